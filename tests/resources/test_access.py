"""Every operation against the role and workspace rules of the fake: 403 where the caller is a
regular user, 404 for an object of another workspace, whatever the group."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from team import Team

from webwork_async import AsyncSession, NotFoundError, PermissionDeniedError
from webwork_async.testing import FakeWebWork

Call = Callable[[AsyncSession, int, dict[str, Any]], Awaitable[object]]


async def first_page(paginator: Any) -> object:
    return await paginator


# (name, call): the call made in workspace ``w`` with ids ``o`` of objects of the team.
CALLS: list[tuple[str, Call]] = [
    ("members.list", lambda ww, w, o: first_page(ww.members.list(workspace_id=w))),
    ("members.get", lambda ww, w, o: ww.members.get(o["user"], workspace_id=w)),
    (
        "members.invite",
        lambda ww, w, o: ww.members.invite(
            workspace_id=w, email="x@example.com", firstname="X", lastname="Y", role="Regular User"
        ),
    ),
    ("members.update", lambda ww, w, o: ww.members.update(o["user"], workspace_id=w, lastname="Z")),
    ("members.delete", lambda ww, w, o: ww.members.delete(o["user"], workspace_id=w)),
    ("projects.list", lambda ww, w, o: first_page(ww.projects.list(workspace_id=w))),
    ("projects.get", lambda ww, w, o: ww.projects.get(o["project"], workspace_id=w)),
    ("projects.create", lambda ww, w, o: ww.projects.create(workspace_id=w, name="N")),
    (
        "projects.update",
        lambda ww, w, o: ww.projects.update(o["project"], workspace_id=w, name="M"),
    ),
    ("projects.delete", lambda ww, w, o: ww.projects.delete(o["project"], workspace_id=w)),
    ("contracts.list", lambda ww, w, o: first_page(ww.contracts.list(workspace_id=w))),
    ("contracts.get", lambda ww, w, o: ww.contracts.get(o["contract"], workspace_id=w)),
    (
        "contracts.create",
        lambda ww, w, o: ww.contracts.create(
            workspace_id=w, project_id=o["project"], user_id=o["user"]
        ),
    ),
    (
        "contracts.update",
        lambda ww, w, o: ww.contracts.update(o["contract"], workspace_id=w, rate=1),
    ),
    ("contracts.delete", lambda ww, w, o: ww.contracts.delete(o["contract"], workspace_id=w)),
    (
        "tasks.list",
        lambda ww, w, o: first_page(ww.tasks.list(workspace_id=w, project_id=o["project"])),
    ),
    (
        "tasks.get",
        lambda ww, w, o: ww.tasks.get(o["task"], workspace_id=w, project_id=o["project"]),
    ),
    (
        "tasks.create",
        lambda ww, w, o: ww.tasks.create(workspace_id=w, project_id=o["project"], title="T"),
    ),
    (
        "tasks.update",
        lambda ww, w, o: ww.tasks.update(
            o["task"], workspace_id=w, project_id=o["project"], title="U"
        ),
    ),
    (
        "tasks.delete",
        lambda ww, w, o: ww.tasks.delete(o["task"], workspace_id=w, project_id=o["project"]),
    ),
    (
        "tasks.assign",
        lambda ww, w, o: ww.tasks.assign(
            o["task"], o["user"], workspace_id=w, project_id=o["project"]
        ),
    ),
    (
        "tasks.unassign",
        lambda ww, w, o: ww.tasks.unassign(
            o["task"], o["user"], workspace_id=w, project_id=o["project"]
        ),
    ),
    (
        "tasks.assignees",
        lambda ww, w, o: ww.tasks.assignees(o["task"], workspace_id=w, project_id=o["project"]),
    ),
    ("project_viewers.list", lambda ww, w, o: first_page(ww.project_viewers.list(workspace_id=w))),
    ("project_viewers.get", lambda ww, w, o: ww.project_viewers.get(o["viewer"], workspace_id=w)),
    (
        "project_viewers.create",
        lambda ww, w, o: ww.project_viewers.create(
            workspace_id=w, email="v@example.com", firstname="V", lastname="W"
        ),
    ),
    (
        "project_viewers.delete",
        lambda ww, w, o: ww.project_viewers.delete(o["viewer"], workspace_id=w),
    ),
    (
        "project_viewers.restore",
        lambda ww, w, o: ww.project_viewers.restore(o["viewer"], workspace_id=w),
    ),
    (
        "project_viewers.assign_project",
        lambda ww, w, o: ww.project_viewers.assign_project(
            o["viewer"], workspace_id=w, project_id=o["project"]
        ),
    ),
    (
        "project_viewers.unassign_project",
        lambda ww, w, o: ww.project_viewers.unassign_project(
            o["viewer"], workspace_id=w, project_id=o["project"]
        ),
    ),
    ("webhooks.list", lambda ww, w, o: first_page(ww.webhooks.list(workspace_id=w))),
    (
        "webhooks.create",
        lambda ww, w, o: ww.webhooks.create(
            workspace_id=w, url="https://h.example/a", events=["tracker.started"]
        ),
    ),
    (
        "webhooks.update",
        lambda ww, w, o: ww.webhooks.update(o["hook"], workspace_id=w, url="https://h.example/b"),
    ),
    ("webhooks.delete", lambda ww, w, o: ww.webhooks.delete(o["hook"], workspace_id=w)),
]
#: Calls that name an object by id (in the path or, for tasks, its project too).
BY_ID = [(name, call) for name, call in CALLS if not name.endswith((".list", ".create", "invite"))]


@pytest.fixture
async def objects(ww: AsyncSession, team: Team) -> dict[str, Any]:
    where = {"workspace_id": team.workspace_id}
    task = await ww.tasks.create(**where, project_id=team.project_id, title="T")
    await ww.tasks.assign(task.id, team.user_id, **where, project_id=team.project_id)
    viewer = await ww.project_viewers.create(
        **where, email="c@example.com", firstname="C", lastname="D"
    )
    hook = await ww.webhooks.create(**where, url="https://h.example/x", events=["tracker.started"])
    return {
        "user": team.user_id,
        "project": team.project_id,
        "contract": team.contract_id,
        "task": task.id,
        "viewer": viewer.id,
        "hook": hook.id,
    }


def test_the_table_has_every_operation_but_the_workspace_list() -> None:
    assert len(CALLS) == 34 and len({name for name, _ in CALLS}) == 34


@pytest.mark.parametrize(("name", "call"), CALLS, ids=[name for name, _ in CALLS])
async def test_a_regular_user_gets_403_everywhere(
    ww: AsyncSession, webwork_fake: FakeWebWork, objects: dict[str, Any], name: str, call: Call
) -> None:
    regular = webwork_fake.add_workspace(role="Regular User")
    with pytest.raises(PermissionDeniedError):
        await call(ww, regular, objects)


@pytest.mark.parametrize(("name", "call"), BY_ID, ids=[name for name, _ in BY_ID])
async def test_an_object_of_another_workspace_is_not_found(
    ww: AsyncSession, webwork_fake: FakeWebWork, objects: dict[str, Any], name: str, call: Call
) -> None:
    other = webwork_fake.add_workspace()
    with pytest.raises(NotFoundError):
        await call(ww, other, objects)
