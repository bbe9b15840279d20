"""ww.tasks against the fake server: tasks of a project, their assignees, and bulk per project."""

from __future__ import annotations

import datetime

import pytest
from team import Team, last_sent

from webwork_async import (
    AsyncSession,
    InvalidArgumentError,
    NotFoundError,
    Task,
    TaskAssignee,
    TaskPriority,
    TaskStatus,
    ValidationError,
)
from webwork_async.testing import FakeWebWork


async def test_create_with_assignees_then_read_it_back(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    task = await ww.tasks.create(
        workspace_id=team.workspace_id,
        project_id=team.project_id,
        title="Implement login",
        priority=TaskPriority.HIGH,
        start_date=datetime.date(2024, 1, 15),
        end_date="2024-01-30",
        assignees=[team.user_id],
    )
    assert isinstance(task, Task) and task.title == "Implement login"
    assert (task.status, task.priority) == (TaskStatus.INCOMPLETE, 20)
    assert task.end_date == datetime.date(2024, 1, 30)
    assert [a.id for a in task.assignees] == [team.user_id]
    assert last_sent(webwork_fake)[3] == {
        "workspace_id": team.workspace_id,
        "project_id": team.project_id,
        "title": "Implement login",
        "priority": 20,
        "start_date": "2024-01-15",
        "end_date": "2024-01-30",
        "assignees": [team.user_id],
    }
    got = await ww.tasks.get(task.id, workspace_id=team.workspace_id, project_id=team.project_id)
    assert got.id == task.id
    assert last_sent(webwork_fake)[2] == {
        "workspace_id": str(team.workspace_id),
        "project_id": str(team.project_id),
    }
    listed = await ww.tasks.list(workspace_id=team.workspace_id, project_id=team.project_id)
    assert [t.id for t in listed] == [task.id]


async def test_update_completes_and_assign_rules_hold(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    where = {"workspace_id": team.workspace_id, "project_id": team.project_id}
    task = await ww.tasks.create(**where, title="Write docs")
    done = await ww.tasks.update(task.id, **where, status=TaskStatus.DONE)
    assert done.status == 20 and done.completed_at is not None
    await ww.tasks.assign(task.id, team.user_id, **where)
    assert last_sent(webwork_fake)[:2] == (
        "POST",
        f"/api/v2/tasks/{task.id}/assign/{team.user_id}",
    )
    assignees = await ww.tasks.assignees(task.id, **where)
    assert [(a.id, a.email) for a in assignees] == [(team.user_id, "ann@example.com")]
    assert all(isinstance(a, TaskAssignee) for a in assignees)
    with pytest.raises(ValidationError):
        await ww.tasks.assign(task.id, team.user_id, **where)  # already assigned
    with pytest.raises(ValidationError):
        await ww.tasks.assign(task.id, 100, **where)  # the caller has no contract on it
    await ww.tasks.unassign(task.id, team.user_id, **where)
    assert await ww.tasks.assignees(task.id, **where) == []
    with pytest.raises(NotFoundError):
        await ww.tasks.unassign(task.id, team.user_id, **where)
    await ww.tasks.delete(task.id, **where)
    with pytest.raises(NotFoundError):
        await ww.tasks.get(task.id, **where)


async def test_checks_before_sending(ww: AsyncSession, webwork_fake: FakeWebWork) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await ww.tasks.create(workspace_id=1, project_id=2, title="t", status=15)
    assert caught.value.argument == "status"
    with pytest.raises(InvalidArgumentError) as caught:
        await ww.tasks.create(
            workspace_id=1, project_id=2, title="t", start_date="2024-02-01", end_date="2024-01-01"
        )
    assert caught.value.argument == "end_date"
    with pytest.raises(InvalidArgumentError, match="project_id or contract_id"):
        ww.tasks.list(workspace_id=1)
    ww.tasks.list(workspace_id=1, project_id=2, status=21)  # a workspace's custom code
    assert webwork_fake.requests == []


async def test_list_many_over_projects_reports_each_pair(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    other = await ww.projects.create(workspace_id=team.workspace_id, name="Other")
    for title in ("a", "b"):
        await ww.tasks.create(
            workspace_id=team.workspace_id, project_id=team.project_id, title=title
        )
    pairs = [
        (team.workspace_id, team.project_id),
        (team.workspace_id, other.id),
        (team.workspace_id, 999),
    ]
    results = {r.project_id: r async for r in ww.tasks.list_many(pairs + pairs[:1])}
    assert len(results) == 3  # repeated pairs are fetched once
    assert [t.title for t in results[team.project_id].items] == ["a", "b"]
    assert results[other.id].ok and results[other.id].items == []
    assert isinstance(results[999].error, NotFoundError)
    assert all(r.workspace_id == team.workspace_id for r in results.values())
