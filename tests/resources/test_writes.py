"""Every write of every group under one fault: a POST is never replayed, a PUT or DELETE is.

The fake answers the first request of the write with a 503 without acting on it. The client
cannot know that the service did not act, so a POST (invite, create, assign, restore ...) gives
up at once, while PUT and DELETE, idempotent, are sent again and succeed.
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from team import Team
from test_operations import TIME_WRITES, operations

from webwork_async import AsyncSession, RetryPolicy, ServerError
from webwork_async.testing import FakeWebWork


@dataclass(frozen=True)
class Write:
    """A write: its HTTP method, its path (relative to /api/v2/) and how to call it."""

    name: str
    method: str
    path: Callable[[dict[str, Any]], str]
    call: Callable[[AsyncSession, dict[str, Any]], Awaitable[object]]


async def objects(ww: AsyncSession, team: Team, fake: FakeWebWork) -> dict[str, Any]:
    """One object of each group, in the team's workspace."""
    where = {"workspace_id": team.workspace_id}
    task = await ww.tasks.create(**where, project_id=team.project_id, title="T")
    viewer = await ww.project_viewers.create(
        **where, email="view@example.com", firstname="V", lastname="W"
    )
    hook = await ww.webhooks.create(**where, url="https://h.example/x", events=["tracker.started"])
    # An assignment, a grant and an archived viewer, for the writes that undo them.
    assigned = await ww.tasks.create(**where, project_id=team.project_id, title="Assigned")
    await ww.tasks.assign(assigned.id, team.user_id, **where, project_id=team.project_id)
    await ww.project_viewers.assign_project(viewer.id, **where, project_id=team.project_id)
    archived = await ww.project_viewers.create(
        **where, email="gone@example.com", firstname="G", lastname="O"
    )
    await ww.project_viewers.delete(archived.id, **where)
    entry = fake.add_time_entry(
        team.workspace_id,
        user_id=team.user_id,
        start_time=datetime.datetime(2026, 1, 29, 9, tzinfo=datetime.timezone.utc),
        end_time=datetime.datetime(2026, 1, 29, 10, tzinfo=datetime.timezone.utc),
    )
    category = fake.add_expense_category(team.workspace_id, name="Travel")
    expense = await ww.expenses.create(
        **where, expense_name="Taxi", date="2026-01-29", amount=20, category_id=category["id"]
    )
    return {
        "team": team,
        "entry": entry["id"],
        "expense": expense.id,
        "ws": team.workspace_id,
        "task": task.id,
        "assigned": assigned.id,
        "viewer": viewer.id,
        "archived": archived.id,
        "hook": hook.id,
    }


def in_ws(o: dict[str, Any]) -> dict[str, Any]:
    return {"workspace_id": o["ws"]}


def in_project(o: dict[str, Any]) -> dict[str, Any]:
    return {"workspace_id": o["ws"], "project_id": o["team"].project_id}


WRITES = [
    Write(
        "members.invite",
        "POST",
        lambda o: "members",
        lambda ww, o: ww.members.invite(
            **in_ws(o), email="new@example.com", firstname="N", lastname="M", role="Regular User"
        ),
    ),
    Write(
        "members.update",
        "PUT",
        lambda o: f"members/{o['team'].user_id}",
        lambda ww, o: ww.members.update(o["team"].user_id, **in_ws(o), firstname="Anne"),
    ),
    Write(
        "members.delete",
        "DELETE",
        lambda o: f"members/{o['team'].user_id}",
        lambda ww, o: ww.members.delete(o["team"].user_id, **in_ws(o)),
    ),
    Write(
        "projects.create",
        "POST",
        lambda o: "projects",
        lambda ww, o: ww.projects.create(**in_ws(o), name="New"),
    ),
    Write(
        "projects.update",
        "PUT",
        lambda o: f"projects/{o['team'].project_id}",
        lambda ww, o: ww.projects.update(o["team"].project_id, **in_ws(o), notes="n"),
    ),
    Write(
        "projects.delete",
        "DELETE",
        lambda o: f"projects/{o['team'].project_id}",
        lambda ww, o: ww.projects.delete(o["team"].project_id, **in_ws(o)),
    ),
    Write(
        "contracts.create",
        "POST",
        lambda o: "contracts",
        lambda ww, o: ww.contracts.create(**in_ws(o), project_id=o["team"].project_id, user_id=100),
    ),
    Write(
        "contracts.update",
        "PUT",
        lambda o: f"contracts/{o['team'].contract_id}",
        lambda ww, o: ww.contracts.update(o["team"].contract_id, **in_ws(o), rate=10),
    ),
    Write(
        "contracts.delete",
        "DELETE",
        lambda o: f"contracts/{o['team'].contract_id}",
        lambda ww, o: ww.contracts.delete(o["team"].contract_id, **in_ws(o)),
    ),
    Write(
        "tasks.create",
        "POST",
        lambda o: "tasks",
        lambda ww, o: ww.tasks.create(**in_project(o), title="Another"),
    ),
    Write(
        "tasks.update",
        "PUT",
        lambda o: f"tasks/{o['task']}",
        lambda ww, o: ww.tasks.update(o["task"], **in_project(o), title="Renamed"),
    ),
    Write(
        "tasks.assign",
        "POST",
        lambda o: f"tasks/{o['task']}/assign/{o['team'].user_id}",
        lambda ww, o: ww.tasks.assign(o["task"], o["team"].user_id, **in_project(o)),
    ),
    Write(
        "tasks.unassign",
        "DELETE",
        lambda o: f"tasks/{o['assigned']}/unassign/{o['team'].user_id}",
        lambda ww, o: ww.tasks.unassign(o["assigned"], o["team"].user_id, **in_project(o)),
    ),
    Write(
        "tasks.delete",
        "DELETE",
        lambda o: f"tasks/{o['task']}",
        lambda ww, o: ww.tasks.delete(o["task"], **in_project(o)),
    ),
    Write(
        "project_viewers.create",
        "POST",
        lambda o: "project-viewers",
        lambda ww, o: ww.project_viewers.create(
            **in_ws(o), email="v2@example.com", firstname="A", lastname="B"
        ),
    ),
    Write(
        "project_viewers.assign_project",
        "POST",
        lambda o: f"project-viewers/{o['viewer']}/assign-project",
        lambda ww, o: ww.project_viewers.assign_project(o["viewer"], **in_project(o)),
    ),
    Write(
        "project_viewers.unassign_project",
        "DELETE",
        lambda o: f"project-viewers/{o['viewer']}/unassign-project",
        lambda ww, o: ww.project_viewers.unassign_project(o["viewer"], **in_project(o)),
    ),
    Write(
        "project_viewers.restore",
        "POST",
        lambda o: f"project-viewers/{o['archived']}/restore",
        lambda ww, o: ww.project_viewers.restore(o["archived"], **in_ws(o)),
    ),
    Write(
        "project_viewers.delete",
        "DELETE",
        lambda o: f"project-viewers/{o['viewer']}",
        lambda ww, o: ww.project_viewers.delete(o["viewer"], **in_ws(o)),
    ),
    Write(
        "webhooks.create",
        "POST",
        lambda o: "webhooks",
        lambda ww, o: ww.webhooks.create(
            **in_ws(o), url="https://h.example/y", events=["tracker.stopped"]
        ),
    ),
    Write(
        "webhooks.update",
        "PUT",
        lambda o: f"webhooks/{o['hook']}",
        lambda ww, o: ww.webhooks.update(o["hook"], **in_ws(o), url="https://h.example/z"),
    ),
    Write(
        "webhooks.delete",
        "DELETE",
        lambda o: f"webhooks/{o['hook']}",
        lambda ww, o: ww.webhooks.delete(o["hook"], **in_ws(o)),
    ),
    Write(
        "time_entries.update",
        "PUT",
        lambda o: f"time-entries/{o['entry']}",
        lambda ww, o: ww.time_entries.update(o["entry"], **in_ws(o), notes="Edited"),
    ),
    Write(
        "time_entries.delete",
        "DELETE",
        lambda o: f"time-entries/{o['entry']}",
        lambda ww, o: ww.time_entries.delete(o["entry"], **in_ws(o)),
    ),
    Write(
        "expenses.update",
        "PUT",
        lambda o: f"expenses/{o['expense']}",
        lambda ww, o: ww.expenses.update(o["expense"], **in_ws(o), amount=25),
    ),
]


def retrying_session(fake: FakeWebWork, **options: Any) -> AsyncSession:
    """A session on the fake that retries at once (whatever it may retry), unpaced."""
    assert fake.base_url is not None
    retry = RetryPolicy(max_retries=3, backoff=0.001)
    return AsyncSession(
        token=fake.token, base_url=fake.base_url, rate_limit=None, retry=retry, **options
    )


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.name)
async def test_a_post_is_never_replayed_and_an_idempotent_write_is(
    webwork_fake: FakeWebWork, team: Team, write: Write
) -> None:
    async with retrying_session(webwork_fake) as ww:
        made = await objects(ww, team, webwork_fake)
        path = write.path(made)
        webwork_fake.reset_requests()
        webwork_fake.inject("server_error", method=write.method, path=path, times=1)
        if write.method == "POST":
            with pytest.raises(ServerError):
                await write.call(ww, made)
            assert webwork_fake.request_count(write.method, path) == 1
        else:
            await write.call(ww, made)
            assert webwork_fake.request_count(write.method, path) == 2
            assert webwork_fake.executed_count(write.method, path) == 1


def test_the_table_holds_every_write_of_the_operations_table() -> None:
    """Every write but the time groups' (never replayed, see test_time_writes.py)."""
    writes = [op for name, op in operations() if op.method != "GET" and name not in TIME_WRITES]
    assert len({write.name for write in WRITES}) == len(WRITES) == len(writes) == 25
