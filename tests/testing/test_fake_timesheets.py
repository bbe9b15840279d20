"""Timesheets routes of the fake WebWork server, checked over HTTP."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timezone
from typing import Any

import fake_checks as check
import pytest
from fake_helpers import Api, Worksite

from webwork_async.testing import FakeWebWork

TIMESHEET_KEYS = [
    "id", "user_id", "member", "date_from", "date_to", "total_hours", "total_minutes",
    "submitted_on", "reject_reason", "status", "total_amount", "daily_breakdown",
]  # fmt: skip
STATUSES = ["open", "submitted", "rejected", "approved", "pending"]
ACTIONS = ["approve", "reject", "submit", "unsubmit"]
#: (status, action) -> the status it leads to; every other pair is refused.
MOVES = {
    ("open", "submit"): "submitted",
    ("pending", "submit"): "submitted",
    ("rejected", "submit"): "submitted",
    ("submitted", "approve"): "approved",
    ("submitted", "reject"): "rejected",
    ("submitted", "unsubmit"): "open",
}
DONE = {
    "approve": "Timesheet approved successfully",
    "reject": "Timesheet rejected successfully",
    "submit": "Timesheet submitted successfully",
    "unsubmit": "Timesheet unsubmitted successfully",
}
REFUSED = {
    "approve": "Only submitted timesheets can be approved.",
    "reject": "Only submitted timesheets can be rejected.",
    "submit": "Only open or rejected timesheets can be submitted.",
    "unsubmit": "Only submitted timesheets can be unsubmitted.",
}
JANUARY = {"date_from": "2024-01-01", "date_to": "2024-01-31"}


async def act(api: Api, workspace_id: int, timesheet_id: str, action: str, **body: Any) -> Any:
    if action == "reject":
        body.setdefault("reason", "Hours do not match")
    path = f"timesheets/{timesheet_id}/{action}"
    return await api.call("PUT", path, json={"workspace_id": workspace_id, **body})


async def listed(api: Api, workspace_id: int, **params: Any) -> list[Any]:
    reply = await api.get("timesheets", workspace_id=workspace_id, **params)
    items: list[Any] = check.success(reply, "Timesheets retrieved successfully")
    return items


def entry(fake: FakeWebWork, site: Worksite, start: str, end: str, **fields: Any) -> None:
    fields.setdefault("contract_id", site.contract)
    fake.add_time_entry(site.ws, user_id=site.user, start_time=start, end_time=end, **fields)


# --- list ----------------------------------------------------------------------------------------


async def test_list_shows_totals_from_the_members_time_entries(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    sheet = fake.add_timesheet(site.ws, user_id=site.user, **JANUARY)
    other_project = fake.add_project(site.ws, name="Backend")["id"]
    second = fake.add_contract(site.ws, project_id=other_project, user_id=site.user)["id"]
    entry(fake, site, "2024-01-15T09:00:00Z", "2024-01-15T10:30:00Z")  # 90
    entry(fake, site, "2024-01-15T11:00:00Z", "2024-01-15T11:10:59Z")  # 10
    entry(fake, site, "2024-01-15T12:00:00Z", "2024-01-15T12:30:00Z", contract_id=second)  # 30
    entry(fake, site, "2024-01-02T08:00:00Z", "2024-01-02T08:07:00Z", contract_id=None)  # 7
    entry(fake, site, "2024-01-31T23:00:00Z", "2024-02-01T01:00:00Z")  # 120, dated the 31st
    entry(fake, site, "2024-02-01T09:00:00Z", "2024-02-01T10:00:00Z")  # after the period
    entry(fake, site, "2023-12-31T09:00:00Z", "2023-12-31T10:00:00Z")  # before it
    fake.add_time_entry(
        site.ws, user_id=100, start_time="2024-01-15T09:00:00Z", end_time="2024-01-15T17:00:00Z"
    )  # another member's
    (shown,) = await listed(api, site.ws)
    assert list(shown) == TIMESHEET_KEYS
    assert shown == fake.timesheets(site.ws)[0]
    assert shown["id"] == sheet["id"] == str(uuid.UUID(sheet["id"]))
    assert sheet["total_minutes"] == 0  # as built, before the entries
    assert (shown["user_id"], shown["member"], shown["status"]) == (site.user, "Ann Lee", "open")
    assert (shown["date_from"], shown["date_to"]) == ("2024-01-01", "2024-01-31")
    assert (shown["total_minutes"], shown["total_hours"]) == (257, 4.28)
    assert (shown["submitted_on"], shown["reject_reason"], shown["total_amount"]) == (
        None, None, None,
    )  # fmt: skip
    website = {"project_id": site.project, "project_name": "Website", "contract_id": site.contract}
    assert shown["daily_breakdown"] == {
        "2024-01-02": [{"project_id": None, "project_name": None, "contract_id": None,
                        "total_minutes": 7, "total_amount": None}],
        "2024-01-15": [{**website, "total_minutes": 100, "total_amount": None},
                       {"project_id": other_project, "project_name": "Backend",
                        "contract_id": second, "total_minutes": 30, "total_amount": None}],
        "2024-01-31": [{**website, "total_minutes": 120, "total_amount": None}],
    }  # fmt: skip


async def test_an_empty_period_has_zero_totals(fake: FakeWebWork, api: Api, site: Worksite) -> None:
    fake.add_timesheet(site.ws, user_id=site.user, **JANUARY)
    (shown,) = await listed(api, site.ws)
    assert (shown["total_minutes"], shown["total_hours"], shown["daily_breakdown"]) == (0, 0, {})


async def test_totals_follow_the_timeline(fake: FakeWebWork, api: Api, site: Worksite) -> None:
    today = datetime.now(timezone.utc).date().isoformat()
    fake.add_timesheet(site.ws, user_id=site.user, date_from=today, date_to=today)
    fake.add_running_tracker(site.ws, user_id=site.user, contract_id=site.contract,
                             start_time=f"{today}T00:00:00Z")  # fmt: skip
    stop = await api.call(
        "POST", "time-tracking/stop", json={"workspace_id": site.ws, "user_id": site.user}
    )
    check.success(stop, "Time tracking stopped successfully")
    (shown,) = await listed(api, site.ws)
    (stopped,) = fake.time_entries(site.ws)
    assert shown["total_minutes"] == stopped["duration_minutes"]
    assert list(shown["daily_breakdown"]) == [today]


async def test_list_filters_orders_and_pages(fake: FakeWebWork, api: Api, site: Worksite) -> None:
    ws = site.ws
    a = fake.add_timesheet(ws, user_id=site.user, **JANUARY, created_at="2024-02-01T00:00:00Z")
    b = fake.add_timesheet(ws, user_id=site.user, date_from="2024-02-01", date_to="2024-02-15",
                           status="submitted", created_at="2024-02-16T00:00:00Z")  # fmt: skip
    c = fake.add_timesheet(ws, user_id=100, **JANUARY, status="pending",
                           created_at="2024-01-31T00:00:00Z")  # fmt: skip
    fake.add_timesheet(site.other, user_id=100, **JANUARY)
    ids = {"a": a["id"], "b": b["id"], "c": c["id"]}
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "cab"),
        ({"order_by": "asc"}, "cab"),
        ({"order_by": "desc"}, "bac"),
        ({"id": b["id"]}, "b"),
        ({"id": str(uuid.uuid4())}, ""),
        ({"status": "submitted"}, "b"),
        ({"status": "open"}, "ca"),
        ({"status": "pending"}, "ca"),
        ({"status": "approved"}, ""),
        ({"user_id": site.user}, "ab"),
        ({"date_from": "2024-02-01"}, "b"),
        ({"date_to": "2024-01-31"}, "ca"),
        ({"date_from": "2024-01-01", "date_to": "2024-02-14"}, "ca"),
        ({"per_page": 1, "page": 2}, "a"),
    ]
    for params, expected in cases:
        assert [sheet["id"] for sheet in await listed(api, ws, **params)] == [
            ids[name] for name in expected
        ], params
    reply = await api.get("timesheets", workspace_id=ws, per_page=2)
    assert reply.body["meta"]["pagination"] == {
        "total": 3, "per_page": 2, "current_page": 1, "last_page": 2, "from": 1, "to": 2,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"status": "done"}, {"status": ["The selected status is invalid."]}),
        ({"date_from": "2024-13-01", "date_to": "15.01.2024"},
         {"date_from": ["The date from field must be a valid date in Y-m-d format."],
          "date_to": ["The date to field must be a valid date in Y-m-d format."]}),
        ({"date_from": "2024-02-01", "date_to": "2024-01-31"},
         {"date_to": ["The date to field must be a date after or equal to date from."]}),
        ({"user_id": "x", "order_by": "up"},
         {"user_id": ["The user id field must be an integer."],
          "order_by": ["The selected order by is invalid."]}),
        ({"per_page": 101}, {"per_page": ["The per page field must be between 1 and 100."]}),
    ],
)  # fmt: skip
async def test_list_422(
    api: Api, site: Worksite, params: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    assert check.field_errors(await api.get("timesheets", workspace_id=site.ws, **params)) == errors


# --- transitions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "action"), list(itertools.product(STATUSES, ACTIONS)))
async def test_every_status_and_action(
    fake: FakeWebWork, api: Api, site: Worksite, status: str, action: str
) -> None:
    submitted_on = "2024-02-01T10:00:00.000000Z" if status != "open" else None
    sheet = fake.add_timesheet(
        site.ws, user_id=site.user, **JANUARY, status=status, submitted_on=submitted_on
    )
    reply = await act(api, site.ws, sheet["id"], action)
    (after,) = fake.timesheets(site.ws)
    target = MOVES.get((status, action))
    if target is None:
        assert check.field_errors(reply) == {"status": [REFUSED[action]]}
        assert after == sheet
        return
    assert check.success(reply, DONE[action]) is None
    assert after["status"] == target
    changed = {name for name in TIMESHEET_KEYS if after[name] != sheet[name]}
    if action == "submit":
        check.recent(after["submitted_on"])
        assert changed == {"status", "submitted_on"}
    elif action == "unsubmit":
        assert after["submitted_on"] is None
        assert changed == {"status", "submitted_on"}
    elif action == "reject":
        assert after["reject_reason"] == "Hours do not match"
        assert changed == {"status", "reject_reason"}
    else:
        assert changed == {"status"}


async def test_a_rejected_timesheet_is_submitted_again_and_approved(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    sheet_id = fake.add_timesheet(site.ws, user_id=site.user, **JANUARY)["id"]
    steps = [("submit", "submitted"), ("reject", "rejected"), ("submit", "submitted"),
             ("unsubmit", "open"), ("submit", "submitted"), ("approve", "approved")]  # fmt: skip
    for action, status in steps:
        check.success(await act(api, site.ws, sheet_id, action), DONE[action])
        assert fake.timesheets(site.ws)[0]["status"] == status, action
    for action in ACTIONS:
        assert list(check.field_errors(await act(api, site.ws, sheet_id, action))) == ["status"]


@pytest.mark.parametrize(
    ("reason", "message"),
    [(None, "The reason field is required."), ("   ", "The reason field is required."),
     (7, "The reason field must be a string."),
     ("x" * 1001, "The reason field must not be greater than 1000 characters.")],
)  # fmt: skip
async def test_reject_needs_a_reason(
    fake: FakeWebWork, api: Api, site: Worksite, reason: Any, message: str
) -> None:
    sheet = fake.add_timesheet(site.ws, user_id=site.user, **JANUARY, status="submitted")
    reply = await act(api, site.ws, sheet["id"], "reject", reason=reason)
    assert check.field_errors(reply) == {"reason": [message]}
    assert fake.timesheets(site.ws) == [sheet]
    missing = await api.call(
        "PUT", f"timesheets/{sheet['id']}/reject", json={"workspace_id": site.ws}
    )
    assert check.field_errors(missing) == {"reason": ["The reason field is required."]}


@pytest.mark.parametrize("action", ACTIONS)
async def test_404_for_unknown_and_other_workspaces_timesheets(
    fake: FakeWebWork, api: Api, site: Worksite, action: str
) -> None:
    foreign = fake.add_timesheet(site.other, user_id=100, **JANUARY, status="submitted")
    for timesheet_id in (foreign["id"], str(uuid.uuid4()), "12"):
        check.error(await act(api, site.ws, timesheet_id, action), 404, "Timesheet not found")
    assert fake.timesheets(site.other) == [foreign]
    check.error(await act(api, 999, foreign["id"], action), 404, "Workspace not found")
