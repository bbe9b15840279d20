"""The time writes under faults: each is carried out at most once, whatever its method.

``time-tracking/start`` or an approval carried out twice is a real-world error. Every write of
the time groups meets each fault of the fault table that can strike after the service acted (a
reset before the answer, a reset in the middle of the body, an answer slower than the timeout)
and a 503 that did not act: the client sends it once and raises, and the fake's counters show
it ran at most once.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from team import Team
from test_operations import TIME_WRITES, operations
from test_writes import Write, retrying_session

from webwork_async import AsyncSession, WebWorkError
from webwork_async.testing import FakeWebWork

UTC = datetime.timezone.utc
NINE = datetime.datetime(2024, 1, 15, 9, tzinfo=UTC)


def prepare(fake: FakeWebWork, team: Team) -> dict[str, Any]:
    """What each write acts on: timesheets in the status its move needs, pending requests."""
    ws, user = team.workspace_id, team.user_id
    sheet = {"user_id": user, "date_from": "2024-01-01", "date_to": "2024-01-31"}

    def timesheet(status: str) -> str:
        return str(fake.add_timesheet(ws, status=status, **sheet)["id"])

    def request() -> str:
        made = fake.add_time_request(
            ws,
            user_id=user,
            contract_id=team.contract_id,
            start=NINE,
            end=NINE + datetime.timedelta(hours=2),
        )
        return str(made["id"])

    return {
        "team": team,
        "where": {"workspace_id": ws},
        "open": timesheet("open"),
        "submitted": timesheet("submitted"),
        "pending": request(),
        "policy": fake.add_leave_policy(ws, name="Vacation", days_per_year=20)["id"],
        "category": fake.add_expense_category(ws, name="Travel")["id"],
    }


async def start_tracker(ww: AsyncSession, o: dict[str, Any]) -> None:
    team = o["team"]
    await ww.time_tracking.start(**o["where"], user_id=team.user_id, contract_id=team.contract_id)


async def stop_tracker(ww: AsyncSession, o: dict[str, Any]) -> None:
    await ww.time_tracking.stop(**o["where"], user_id=o["team"].user_id)


async def ask_for_time(ww: AsyncSession, o: dict[str, Any]) -> None:
    team = o["team"]
    await ww.time_requests.create(
        **o["where"],
        user_id=team.user_id,
        contract_id=team.contract_id,
        start=NINE,
        end=NINE + datetime.timedelta(hours=1),
    )


async def add_entry(ww: AsyncSession, o: dict[str, Any]) -> None:
    team = o["team"]
    await ww.time_entries.create(
        **o["where"], user_id=team.user_id, date="2026-01-29", start_time="09:00", end_time="10:00"
    )


async def request_leave(ww: AsyncSession, o: dict[str, Any]) -> None:
    team = o["team"]
    await ww.leaves.create(
        **o["where"],
        user_id=team.user_id,
        policy_id=o["policy"],
        start="2026-02-10",
        end="2026-02-11",
    )


async def add_expense(ww: AsyncSession, o: dict[str, Any]) -> None:
    await ww.expenses.create(
        **o["where"], expense_name="Taxi", date="2026-01-29", amount=20, category_id=o["category"]
    )


WRITES = [
    Write("time_tracking._START", "POST", lambda o: "time-tracking/start", start_tracker),
    Write("time_tracking._STOP", "POST", lambda o: "time-tracking/stop", stop_tracker),
    Write(
        "timesheets._SUBMIT",
        "PUT",
        lambda o: f"timesheets/{o['open']}/submit",
        lambda ww, o: ww.timesheets.submit(o["open"], **o["where"]),
    ),
    Write(
        "timesheets._UNSUBMIT",
        "PUT",
        lambda o: f"timesheets/{o['submitted']}/unsubmit",
        lambda ww, o: ww.timesheets.unsubmit(o["submitted"], **o["where"]),
    ),
    Write(
        "timesheets._APPROVE",
        "PUT",
        lambda o: f"timesheets/{o['submitted']}/approve",
        lambda ww, o: ww.timesheets.approve(o["submitted"], **o["where"]),
    ),
    Write(
        "timesheets._REJECT",
        "PUT",
        lambda o: f"timesheets/{o['submitted']}/reject",
        lambda ww, o: ww.timesheets.reject(o["submitted"], **o["where"], reason="Too high"),
    ),
    Write("time_requests._CREATE", "POST", lambda o: "time-requests", ask_for_time),
    Write(
        "time_requests._APPROVE",
        "POST",
        lambda o: f"time-requests/{o['pending']}/approve",
        lambda ww, o: ww.time_requests.approve(o["pending"], **o["where"]),
    ),
    Write(
        "time_requests._REJECT",
        "POST",
        lambda o: f"time-requests/{o['pending']}/reject",
        lambda ww, o: ww.time_requests.reject(o["pending"], **o["where"], comment="No"),
    ),
    Write("time_entries._CREATE", "POST", lambda o: "time-entries", add_entry),
    Write("leaves._CREATE", "POST", lambda o: "leaves", request_leave),
    Write("expenses._CREATE", "POST", lambda o: "expenses", add_expense),
]

SLOW_TIMEOUT, SLOW_ANSWER = 1.0, 3.0  # seconds: the client's timeout, the slow answer's delay
#: (fault, whether the service acted before the client saw it fail)
FAULTS = [
    ("server_error", False),
    ("reset_before_answer", True),
    ("reset_mid_body", True),
    ("slow", True),
]


@pytest.mark.parametrize(("fault", "acted"), FAULTS)
@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.name)
async def test_a_time_write_is_sent_once_and_carried_out_at_most_once(
    webwork_fake: FakeWebWork, team: Team, write: Write, fault: str, acted: bool
) -> None:
    # Only the slow answer is to outlast the timeout: the others keep the default (30 s), so a
    # loaded machine cannot time out the set-up requests.
    timeout = {"timeout": SLOW_TIMEOUT} if fault == "slow" else {}
    async with retrying_session(webwork_fake, **timeout) as ww:
        made = prepare(webwork_fake, team)
        if write.name == "time_tracking._STOP":
            await start_tracker(ww, made)
        path = write.path(made)
        webwork_fake.reset_requests()
        webwork_fake.inject(fault, method=write.method, path=path, times=1, delay=SLOW_ANSWER)
        with pytest.raises(WebWorkError) as caught:
            await write.call(ww, made)
        assert caught.value.attempts == 1
        assert webwork_fake.request_count(write.method, path) == 1
        assert webwork_fake.executed_count(write.method, path) == int(acted)


def test_every_time_write_is_under_test() -> None:
    names = {write.name for write in WRITES}
    assert names == TIME_WRITES
    found = dict(operations())
    assert {(w.name, w.method) for w in WRITES} == {(n, found[n].method) for n in names}
