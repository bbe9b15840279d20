"""ww.time_tracking against the fake server: clocking a member in and out, and the live data."""

from __future__ import annotations

import datetime

import pytest
from team import Team, last_sent

from webwork_async import (
    AsyncSession,
    BadRequestError,
    CurrentTracker,
    InvalidArgumentError,
    TrackingStart,
    TrackingStop,
    ValidationError,
)
from webwork_async.testing import FakeWebWork


async def test_start_then_stop_leaves_one_time_entry_and_no_running_tracker(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    where = {"workspace_id": team.workspace_id}
    assert await ww.time_tracking.current(**where, user_id=team.user_id) is None
    started = await ww.time_tracking.start(
        **where, user_id=team.user_id, contract_id=team.contract_id, activity_description="API"
    )
    assert isinstance(started, TrackingStart)
    assert (started.contract_id, started.project_id) == (team.contract_id, team.project_id)
    assert started.activity_description == "API"
    assert started.start_time is not None and started.start_time.tzinfo is not None
    assert last_sent(webwork_fake)[3] == {
        "workspace_id": team.workspace_id,
        "user_id": team.user_id,
        "contract_id": team.contract_id,
        "activity_description": "API",
    }
    running = await ww.time_tracking.current(**where, user_id=team.user_id)
    assert isinstance(running, CurrentTracker)
    assert (running.user_id, running.contract_id) == (team.user_id, team.contract_id)
    assert running.date == started.start_time.date()
    with pytest.raises(BadRequestError, match="already has a running tracker"):
        await ww.time_tracking.start(**where, user_id=team.user_id, contract_id=team.contract_id)

    stopped = await ww.time_tracking.stop(**where, user_id=team.user_id)
    assert isinstance(stopped, TrackingStop)
    assert stopped.stopped_at is not None and stopped.stopped_at >= started.start_time
    assert last_sent(webwork_fake)[3] == {**where, "user_id": team.user_id}
    assert await ww.time_tracking.current(**where, user_id=team.user_id) is None
    [entry] = webwork_fake.time_entries(team.workspace_id)
    assert (entry["user_id"], entry["contract_id"], entry["project_id"]) == (
        team.user_id,
        team.contract_id,
        team.project_id,
    )
    with pytest.raises(BadRequestError, match="No running tracker"):
        await ww.time_tracking.stop(**where, user_id=team.user_id)


async def test_stop_without_a_user_sends_only_the_workspace(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    """The newer docs' stop: the caller's own tracker (the caller has none here)."""
    with pytest.raises(BadRequestError):
        await ww.time_tracking.stop(workspace_id=team.workspace_id)
    assert last_sent(webwork_fake)[3] == {"workspace_id": team.workspace_id}


async def test_a_contract_of_someone_else_or_a_foreign_task_is_a_field_error(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    other = await ww.projects.create(workspace_id=team.workspace_id, name="Other")
    task = await ww.tasks.create(workspace_id=team.workspace_id, project_id=other.id, title="T")
    with pytest.raises(ValidationError) as caught:
        await ww.time_tracking.start(
            workspace_id=team.workspace_id,
            user_id=team.user_id,
            contract_id=team.contract_id,
            task_id=task.id,
        )
    assert "task_id" in caught.value.errors
    with pytest.raises(ValidationError) as caught:
        await ww.time_tracking.start(
            workspace_id=team.workspace_id, user_id=team.user_id, contract_id=999_999
        )
    assert "contract_id" in caught.value.errors
    assert webwork_fake.running_trackers(team.workspace_id) == []


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"user_id": 0, "contract_id": 1}, "user_id"),
        ({"user_id": 1, "contract_id": None}, "contract_id"),
        ({"user_id": 1, "contract_id": 1, "task_id": "5"}, "task_id"),
        ({"user_id": 1, "contract_id": 1, "activity_description": 7}, "activity_description"),
    ],
)
async def test_bad_arguments_are_refused_before_sending(
    ww: AsyncSession, webwork_fake: FakeWebWork, arguments: dict[str, object], argument: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await ww.time_tracking.start(workspace_id=1, **arguments)  # type: ignore[arg-type]
    assert caught.value.argument == argument
    assert webwork_fake.request_count() == 0


async def test_a_day_of_tracking_counts_in_the_live_minutes(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    """total_minutes: the day's timeline entries plus the running tracker."""
    today = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0)
    webwork_fake.add_time_entry(
        team.workspace_id,
        user_id=team.user_id,
        contract_id=team.contract_id,
        start_time=today,
        end_time=today + datetime.timedelta(minutes=30),
    )
    await ww.time_tracking.start(
        workspace_id=team.workspace_id, user_id=team.user_id, contract_id=team.contract_id
    )
    running = await ww.time_tracking.current(workspace_id=team.workspace_id, user_id=team.user_id)
    assert running is not None and running.total_minutes is not None
    assert 30 <= running.total_minutes <= 31
