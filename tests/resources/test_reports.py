"""ww.reports against the fake server: reports add up the timeline the test writes."""

from __future__ import annotations

import datetime

import pytest
from team import Team, last_sent

from webwork_async import (
    AsyncSession,
    AttendanceFilter,
    InvalidArgumentError,
    TrackedHoursDay,
    TrackedHoursReport,
    TrackedHoursRow,
    TrackedMinutes,
)
from webwork_async.testing import FakeWebWork

UTC = datetime.timezone.utc
JAN = {"start_date": datetime.date(2026, 1, 1), "end_date": datetime.date(2026, 1, 31)}


def work(fake: FakeWebWork, team: Team, day: int, hour: int, minutes: int, **extra: object) -> None:
    start = datetime.datetime(2026, 1, day, hour, tzinfo=UTC)
    fake.add_time_entry(
        team.workspace_id,
        user_id=team.user_id,
        contract_id=team.contract_id,
        start_time=start,
        end_time=start + datetime.timedelta(minutes=minutes),
        **extra,  # type: ignore[arg-type]
    )


async def test_tracked_hours_add_up_the_entries_by_day_user_project_and_contract(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    work(webwork_fake, team, 5, 9, 90)
    work(webwork_fake, team, 5, 14, 30)
    work(webwork_fake, team, 6, 9, 60)
    work(webwork_fake, team, 20, 9, 15)
    report = await ww.reports.tracked_hours(
        workspace_id=team.workspace_id, start_date="2026-01-01", end_date="2026-01-10"
    )
    assert isinstance(report, TrackedHoursReport)
    assert report.start_date == datetime.date(2026, 1, 1)
    assert report.end_date == datetime.date(2026, 1, 10)
    rows = report.rows()
    assert rows == [
        TrackedHoursRow(
            day="2026-01-05",
            date=datetime.date(2026, 1, 5),
            user_id=team.user_id,
            project_id=team.project_id,
            contract_id=team.contract_id,
            total_minutes=120,
        ),
        TrackedHoursRow(
            day="2026-01-06",
            date=datetime.date(2026, 1, 6),
            user_id=team.user_id,
            project_id=team.project_id,
            contract_id=team.contract_id,
            total_minutes=60,
        ),
    ]


async def test_one_users_range_is_31_days_at_most_and_arrays_go_comma_separated(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    with pytest.raises(InvalidArgumentError, match="31"):
        await ww.reports.tracked_hours(
            workspace_id=1, user_id=2, start_date="2026-01-01", end_date="2026-02-01"
        )
    assert webwork_fake.request_count() == 0
    await ww.reports.tracked_hours(
        workspace_id=team.workspace_id, start_date="2026-01-01", end_date="2026-02-28",
        users=[team.user_id, team.user_id], projects=[team.project_id],
    )  # fmt: skip
    query = last_sent(webwork_fake)[2]
    assert (query["users"], query["projects"]) == (str(team.user_id), str(team.project_id))


async def test_a_month_of_tracked_hours_for_200_workspaces_accounts_for_every_one(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    workspaces = [webwork_fake.add_workspace() for _ in range(199)]
    work(webwork_fake, team, 12, 10, 45)
    forbidden = webwork_fake.add_workspace(role="Regular User")
    every = [team.workspace_id, *workspaces, forbidden]
    results = [r async for r in ww.reports.tracked_hours_many(every, **JAN)]
    assert sorted(r.workspace_id for r in results) == sorted(every)
    by_id = {r.workspace_id: r for r in results}
    assert [row.total_minutes for row in by_id[team.workspace_id].unwrap()] == [45]
    assert all(by_id[w].ok and by_id[w].items == [] for w in workspaces)
    assert not by_id[forbidden].ok
    assert sum(r.ok for r in results) == 200


async def test_the_daily_reports_list_users_with_their_day(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    work(webwork_fake, team, 7, 9, 120)
    work(webwork_fake, team, 7, 13, 60)
    where = {"workspace_id": team.workspace_id, "date": datetime.date(2026, 1, 7)}
    [day] = await ww.reports.daily_timeline(**where)
    assert (day.user_id, day.total_minutes, len(day.entries)) == (team.user_id, 180, 2)
    assert [e.duration_minutes for e in day.entries] == [120, 60]
    attendance = {a.user_id: a async for a in ww.reports.daily_attendance(**where)}
    assert attendance[team.user_id].statuses == ["Present"]
    assert attendance[team.user_id].tracked_minutes == 180
    absent = await ww.reports.daily_attendance(**where, status=[AttendanceFilter.ABSENT])
    assert team.user_id not in [a.user_id for a in absent]
    assert last_sent(webwork_fake)[2]["status"] == "absent"
    results = [r async for r in ww.reports.daily_timeline_many([team.workspace_id], **where_day())]
    assert [len(r.items) for r in results] == [1]


def where_day() -> dict[str, object]:
    return {"date": datetime.date(2026, 1, 7)}


async def test_task_and_activity_reports_cover_a_range_of_at_most_31_days(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    task = await ww.tasks.create(
        workspace_id=team.workspace_id, project_id=team.project_id, title="Docs"
    )
    work(webwork_fake, team, 8, 9, 30, task_id=task.id)
    work(webwork_fake, team, 9, 9, 20)
    where = {"workspace_id": team.workspace_id, **JAN}
    [user] = await ww.reports.task_report(**where)
    totals = {t.task_id: t.total_minutes for t in user.tasks_breakdown}
    assert totals == {task.id: 30, None: 20}
    assert set(user.daily_breakdown) == {"2026-01-08", "2026-01-09"}
    [only_tasks] = await ww.reports.task_report(**where, include_no_task=False)
    assert [t.task_id for t in only_tasks.tasks_breakdown] == [task.id]
    [activity] = await ww.reports.activity_level(**where)
    assert set(activity.days) == {"2026-01-08", "2026-01-09"}
    for report in (ww.reports.task_report, ww.reports.activity_level):
        with pytest.raises(InvalidArgumentError, match="32 days"):
            report(workspace_id=1, start_date="2026-01-01", end_date="2026-02-01")


def test_rows_keep_a_day_key_that_is_not_a_date_as_the_text_sent() -> None:
    report = TrackedHoursReport(
        days={
            "2026-01-05": TrackedHoursDay(users=[TrackedMinutes(user_id=1, total_minutes=5)]),
            "week 2": TrackedHoursDay(users=[TrackedMinutes(user_id=2, total_minutes=7)]),
        }
    )
    assert [(row.day, row.date, row.user_id) for row in report.rows()] == [
        ("2026-01-05", datetime.date(2026, 1, 5), 1),
        ("week 2", None, 2),
    ]
