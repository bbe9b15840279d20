"""ww.timesheets against the fake server: the moves of a timesheet, each allowed once."""

from __future__ import annotations

import datetime

import pytest
from team import Team, last_sent

from webwork_async import (
    AsyncSession,
    InvalidArgumentError,
    NotFoundError,
    Timesheet,
    TimesheetStatus,
    ValidationError,
)
from webwork_async.testing import FakeWebWork

JANUARY = {"date_from": datetime.date(2024, 1, 1), "date_to": datetime.date(2024, 1, 31)}


def timesheet(fake: FakeWebWork, team: Team, status: str = "open", **period: object) -> str:
    made = fake.add_timesheet(
        team.workspace_id, user_id=team.user_id, status=status, **{**JANUARY, **period}
    )
    return str(made["id"])


async def status_of(ww: AsyncSession, team: Team, timesheet_id: str) -> str | None:
    [found] = await ww.timesheets.list(workspace_id=team.workspace_id, id=timesheet_id)
    return found.status


async def test_submit_approve_and_reject_resubmit_unsubmit_through_the_api(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    where = {"workspace_id": team.workspace_id}
    first, second = timesheet(webwork_fake, team), timesheet(webwork_fake, team)
    await ww.timesheets.submit(first, **where)
    assert last_sent(webwork_fake)[:2] == ("PUT", f"/api/v2/timesheets/{first}/submit")
    assert last_sent(webwork_fake)[3] == where
    await ww.timesheets.approve(first, **where)
    assert await status_of(ww, team, first) == TimesheetStatus.APPROVED

    await ww.timesheets.submit(second, **where)
    await ww.timesheets.reject(second, **where, reason="Monday is too high")
    assert last_sent(webwork_fake)[3] == {**where, "reason": "Monday is too high"}
    [rejected] = await ww.timesheets.list(**where, id=second)
    assert (rejected.status, rejected.reject_reason) == ("rejected", "Monday is too high")
    await ww.timesheets.submit(second, **where)
    submitted = (await ww.timesheets.list(**where, id=second)).items[0]
    assert submitted.status == "submitted" and submitted.submitted_on is not None
    await ww.timesheets.unsubmit(second, **where)
    assert await status_of(ww, team, second) == TimesheetStatus.OPEN


MOVES = ("submit", "unsubmit", "approve", "reject")
ALLOWED = {
    ("open", "submit"): "submitted",
    ("rejected", "submit"): "submitted",
    ("submitted", "approve"): "approved",
    ("submitted", "reject"): "rejected",
    ("submitted", "unsubmit"): "open",
}


@pytest.mark.parametrize("start", ["open", "submitted", "approved", "rejected"])
@pytest.mark.parametrize("move", MOVES)
async def test_every_move_from_every_status_is_allowed_or_refused_as_documented(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team, start: str, move: str
) -> None:
    made = timesheet(webwork_fake, team, start)
    extra = {"reason": "no"} if move == "reject" else {}
    act = getattr(ww.timesheets, move)
    if (start, move) in ALLOWED:
        await act(made, workspace_id=team.workspace_id, **extra)
        assert await status_of(ww, team, made) == ALLOWED[start, move]
    else:
        with pytest.raises(ValidationError) as caught:
            await act(made, workspace_id=team.workspace_id, **extra)
        assert "status" in caught.value.errors
        assert await status_of(ww, team, made) == start


async def test_list_filters_by_status_period_and_user_and_totals_come_from_the_timeline(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    utc = datetime.timezone.utc
    webwork_fake.add_time_entry(
        team.workspace_id,
        user_id=team.user_id,
        contract_id=team.contract_id,
        start_time=datetime.datetime(2024, 1, 10, 9, tzinfo=utc),
        end_time=datetime.datetime(2024, 1, 10, 11, 30, tzinfo=utc),
    )
    january = timesheet(webwork_fake, team, "approved")
    timesheet(webwork_fake, team, "open", date_from="2024-02-01", date_to="2024-02-29")
    where = {"workspace_id": team.workspace_id}
    page = await ww.timesheets.list(**where, status=TimesheetStatus.APPROVED)
    assert [sheet.id for sheet in page] == [january]
    [sheet] = page.items
    assert isinstance(sheet, Timesheet)
    assert (sheet.total_minutes, sheet.total_hours) == (150, 2.5)
    assert sheet.member == "Ann Lee" and sheet.date_from == datetime.date(2024, 1, 1)
    assert sheet.daily_breakdown is not None
    [day] = sheet.daily_breakdown["2024-01-10"]
    assert (day.project_id, day.contract_id, day.total_minutes) == (
        team.project_id,
        team.contract_id,
        150,
    )
    query = last_sent(webwork_fake)[2]
    assert (query["workspace_id"], query["status"]) == (str(team.workspace_id), "approved")
    february = await ww.timesheets.list(**where, date_from="2024-02-01", date_to="2024-02-29")
    assert [sheet.date_from for sheet in february] == [datetime.date(2024, 2, 1)]
    assert len(await ww.timesheets.list(**where, user_id=team.user_id)) == 2
    other = webwork_fake.add_workspace()
    results = [r async for r in ww.timesheets.list_many([team.workspace_id, other])]
    assert sorted((r.workspace_id, len(r.items)) for r in results) == sorted(
        [(team.workspace_id, 2), (other, 0)]
    )


async def test_another_workspaces_timesheet_is_not_found(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    made = timesheet(webwork_fake, team, "submitted")
    other = webwork_fake.add_workspace()
    with pytest.raises(NotFoundError):
        await ww.timesheets.approve(made, workspace_id=other)
    assert await status_of(ww, team, made) == "submitted"


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda ww: ww.timesheets.reject("a1", workspace_id=1, reason=""), "reason"),
        (lambda ww: ww.timesheets.approve("a/1", workspace_id=1), "timesheet_id"),
        (lambda ww: ww.timesheets.list(workspace_id=1, status="done"), "status"),
        (
            lambda ww: ww.timesheets.list(
                workspace_id=1, date_from="2024-02-01", date_to="2024-01-01"
            ),
            "date_to",
        ),
    ],
)
async def test_bad_arguments_are_refused_before_sending(
    ww: AsyncSession, webwork_fake: FakeWebWork, call: object, argument: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        result = call(ww)  # type: ignore[operator]
        if not hasattr(result, "__aiter__"):
            await result
    assert caught.value.argument == argument
    assert webwork_fake.request_count() == 0
