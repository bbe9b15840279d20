"""ww.time_entries against the fake server: one member's day, edited by hand."""

from __future__ import annotations

import datetime

import pytest
from team import Team, last_sent

from webwork_async import (
    AsyncSession,
    InvalidArgumentError,
    NotFoundError,
    TimeEntry,
    TimeEntrySaved,
    ValidationError,
)
from webwork_async.testing import FakeWebWork

DAY = datetime.date(2026, 1, 29)


async def add(ww: AsyncSession, team: Team, start: str, end: str) -> TimeEntrySaved:
    return await ww.time_entries.create(
        workspace_id=team.workspace_id,
        user_id=team.user_id,
        date=DAY,
        start_time=start,
        end_time=end,
        contract_id=team.contract_id,
        notes="Feature work",
    )


async def test_create_reports_the_saved_minutes_and_the_day_lists_the_entry(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    saved = await add(ww, team, "09:00", "17:00")
    assert isinstance(saved, TimeEntrySaved)
    assert saved.saved_minutes == 480 and saved.message
    assert last_sent(webwork_fake)[3] == {
        "workspace_id": team.workspace_id,
        "user_id": team.user_id,
        "date": "2026-01-29",
        "start_time": "09:00",
        "end_time": "17:00",
        "contract_id": team.contract_id,
        "notes": "Feature work",
    }
    where = {"workspace_id": team.workspace_id, "user_id": team.user_id}
    page = await ww.time_entries.list(**where, date=DAY)
    [entry] = page.items
    assert isinstance(entry, TimeEntry)
    assert (entry.duration_minutes, entry.project_id, entry.date) == (480, team.project_id, DAY)
    assert entry.method == "Manually added time"
    assert saved.entry is not None and saved.entry.id == entry.id


async def test_an_overlapping_entry_is_saved_only_in_part(ww: AsyncSession, team: Team) -> None:
    await add(ww, team, "09:00", "12:00")
    overlapping = await add(ww, team, "11:00", "13:00")
    assert overlapping.saved_minutes == 60


async def test_update_moves_and_delete_removes_an_entry(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    saved = await add(ww, team, "09:00", "10:00")
    assert saved.entry is not None
    where = {"workspace_id": team.workspace_id}
    await ww.time_entries.update(
        saved.entry.id, **where, end_time="10:30", notes=None, task_id=None
    )
    assert last_sent(webwork_fake)[3] == {
        **where,
        "end_time": "10:30",
        "notes": None,
        "task_id": None,
    }
    [entry] = await ww.time_entries.list(**where, user_id=team.user_id, date=DAY)
    assert entry.duration_minutes == 90 and entry.activity_description is None
    with pytest.raises(ValidationError):
        await ww.time_entries.update(saved.entry.id, **where, end_time="08:00")
    await ww.time_entries.delete(saved.entry.id, **where)
    assert last_sent(webwork_fake)[:2] == ("DELETE", f"/api/v2/time-entries/{saved.entry.id}")
    assert last_sent(webwork_fake)[3] == where
    assert len(await ww.time_entries.list(**where, user_id=team.user_id, date=DAY)) == 0
    with pytest.raises(NotFoundError):
        await ww.time_entries.delete(saved.entry.id, **where)


async def test_a_day_of_many_entries_is_walked_50_a_page(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    start = datetime.datetime.combine(DAY, datetime.time(0, 0), datetime.timezone.utc)
    for minute in range(0, 120, 2):  # 60 one-minute entries
        webwork_fake.add_time_entry(
            team.workspace_id,
            user_id=team.user_id,
            contract_id=team.contract_id,
            start_time=start + datetime.timedelta(minutes=minute),
            end_time=start + datetime.timedelta(minutes=minute + 1),
        )
    webwork_fake.reset_requests()
    where = {"workspace_id": team.workspace_id, "user_id": team.user_id, "date": DAY}
    entries = [entry async for entry in ww.time_entries.list(**where)]
    assert len(entries) == 60
    assert [r.query["per_page"] for r in webwork_fake.requests] == ["50", "50"]
    results = [r async for r in ww.time_entries.list_many([team.workspace_id], **where_day(team))]
    assert [len(r.items) for r in results] == [60]
    with pytest.raises(InvalidArgumentError, match="between 1 and 50"):
        ww.time_entries.list(**where, per_page=100)


def where_day(team: Team) -> dict[str, object]:
    return {"user_id": team.user_id, "date": DAY}


@pytest.mark.parametrize(
    ("start", "end", "argument"),
    [("17:00", "09:00", "end_time"), ("9", "10:00", "start_time"), ("09:00", None, "end_time")],
)
async def test_bad_times_are_refused_before_sending(
    ww: AsyncSession, webwork_fake: FakeWebWork, start: str, end: str | None, argument: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await ww.time_entries.create(
            workspace_id=1,
            user_id=1,
            date=DAY,
            start_time=start,
            end_time=end,  # type: ignore[arg-type]
        )
    assert caught.value.argument == argument
    assert webwork_fake.request_count() == 0
