"""ww.leaves against the fake server: leave requests and the balances they use up."""

from __future__ import annotations

import datetime

import pytest
from team import Team, last_sent

from webwork_async import (
    AsyncSession,
    InvalidArgumentError,
    Leave,
    LeaveBalance,
    LeavePeriod,
    LeaveStatus,
    ValidationError,
)
from webwork_async.testing import FakeWebWork

YEAR = {"date_from": datetime.date(2026, 1, 1), "date_to": datetime.date(2026, 12, 31)}


async def test_request_list_and_balances_that_drop_once_a_leave_is_approved(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    policy = webwork_fake.add_leave_policy(team.workspace_id, name="Vacation", days_per_year=20)
    where = {"workspace_id": team.workspace_id}
    await ww.leaves.create(
        **where,
        user_id=team.user_id,
        policy_id=policy["id"],
        start=datetime.date(2026, 2, 10),
        end="2026-02-12",
        leave_period=LeavePeriod.FULL_DAY,
        reason="Family trip",
    )
    assert last_sent(webwork_fake)[3] == {
        **where,
        "user_id": team.user_id,
        "policy_id": policy["id"],
        "start": "2026-02-10",
        "end": "2026-02-12",
        "leave_period": 0,
        "reason": "Family trip",
    }
    [leave] = await ww.leaves.list(**where, status=LeaveStatus.PENDING)
    assert isinstance(leave, Leave)
    assert (leave.user_id, leave.policy_id, leave.start_date) == (
        team.user_id,
        policy["id"],
        datetime.date(2026, 2, 10),
    )
    [before] = await ww.leaves.balances(**where, **YEAR, user_id=team.user_id)
    assert isinstance(before, LeaveBalance)
    balances = [(b.leave_type, b.balance) for b in before.leave_information]
    assert balances == [("Vacation", "20 days")]
    webwork_fake.decide_leave(team.workspace_id, leave.id, "approved")
    [after] = await ww.leaves.balances(**where, **YEAR, user_id=team.user_id)
    assert [b.balance for b in after.leave_information] == ["17 days"]
    assert [lv.id for lv in await ww.leaves.list(**where, status="approved")] == [leave.id]
    with pytest.raises(ValueError, match="decided"):
        webwork_fake.decide_leave(team.workspace_id, leave.id, "rejected")


async def test_list_filters_by_paid_and_period(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    paid = webwork_fake.add_leave_policy(team.workspace_id, name="Vacation", days_per_year=20)
    unpaid = webwork_fake.add_leave_policy(
        team.workspace_id, name="Unpaid", days_per_year=10, paid=False
    )
    for policy, month in ((paid, 3), (unpaid, 5)):
        webwork_fake.add_leave(
            team.workspace_id,
            user_id=team.user_id,
            policy_id=policy["id"],
            start=datetime.date(2026, month, 1),
            end=datetime.date(2026, month, 2),
        )
    where = {"workspace_id": team.workspace_id}
    assert [lv.policy_id for lv in await ww.leaves.list(**where, is_paid=False)] == [unpaid["id"]]
    assert last_sent(webwork_fake)[2]["is_paid"] == "no"
    in_march = await ww.leaves.list(**where, date_from="2026-03-01", date_to="2026-03-31")
    assert [lv.policy_id for lv in in_march] == [paid["id"]]
    other = webwork_fake.add_workspace()
    results = {r.workspace_id: r async for r in ww.leaves.list_many([team.workspace_id, other])}
    assert (len(results[team.workspace_id].items), results[other].items) == (2, [])


async def test_an_hour_based_policy_needs_its_hours_and_balances_need_a_range(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    hours = webwork_fake.add_leave_policy(
        team.workspace_id, name="Doctor", days_per_year=5, hour_based=True
    )
    day = {"start": "2026-04-01", "end": "2026-04-01"}
    where = {"workspace_id": team.workspace_id, "user_id": team.user_id, "policy_id": hours["id"]}
    with pytest.raises(ValidationError):
        await ww.leaves.create(**where, **day)
    await ww.leaves.create(**where, **day, start_time="09:00", end_time="13:00", hours_per_day=4)
    assert len(await ww.leaves.list(workspace_id=team.workspace_id)) == 1


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"start": "2026-02-12", "end": "2026-02-10"}, "end"),
        ({"start": "2026-02-10", "end": "2026-02-12", "leave_period": 3}, "leave_period"),
        ({"start": datetime.datetime(2026, 2, 10), "end": "2026-02-12"}, "start"),
    ],
)
async def test_bad_leave_requests_are_refused_before_sending(
    ww: AsyncSession, webwork_fake: FakeWebWork, arguments: dict[str, object], argument: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await ww.leaves.create(workspace_id=1, user_id=1, policy_id=1, **arguments)  # type: ignore[arg-type]
    assert caught.value.argument == argument
    assert webwork_fake.request_count() == 0
