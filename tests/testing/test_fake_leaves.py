"""Leaves routes of the fake WebWork server (and its leave builders), checked over HTTP."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import fake_checks as check
import pytest
from fake_helpers import Api, Errors, Fields, Worksite

from webwork_async.testing import FakeWebWork

LEAVE_KEYS = [
    "id", "status", "user_id", "policy_id", "note", "is_paid", "created_by", "approved_by",
    "rejected_by", "reject_reason", "start_date", "end_date", "created_on", "total",
]  # fmt: skip
CREATED = "Leave request created successfully"
LISTED = "Leaves retrieved successfully"
BALANCES = "Leave balances retrieved successfully"
YEAR = {"date_from": "2026-01-01", "date_to": "2026-12-31"}


def vacation(fake: FakeWebWork, site: Worksite, **fields: Any) -> Any:
    return fake.add_leave_policy(site.ws, name="Vacation", days_per_year=20, **fields)


async def request_leave(api: Api, site: Worksite, policy: int, **fields: Any) -> Any:
    body = {"workspace_id": site.ws, "user_id": site.user, "policy_id": policy,
            "start": "2026-02-10", "end": "2026-02-12", **fields}  # fmt: skip
    return await api.call("POST", "leaves", json=body)


async def listed(api: Api, workspace_id: int, **params: Any) -> list[Any]:
    items: list[Any] = check.success(
        await api.get("leaves", workspace_id=workspace_id, **params), LISTED
    )
    return items


async def balances(api: Api, site: Worksite, **params: Any) -> dict[int, list[tuple[str, str]]]:
    reply = await api.get("leaves/balances", workspace_id=site.ws, **{**YEAR, **params})
    return {
        item["user_id"]: [(b["leave_type"], b["balance"]) for b in item["leave_information"]]
        for item in check.success(reply, BALANCES)
    }


# --- builders ------------------------------------------------------------------------------------


def test_policies_and_leaves_are_built_directly(fake: FakeWebWork, site: Worksite) -> None:
    paid = vacation(fake, site)
    unpaid = fake.add_leave_policy(site.ws, name="Unpaid", days_per_year=5.5, paid=False, id=70)
    assert paid == {"id": 1, "name": "Vacation", "days_per_year": 20, "paid": True,
                    "hour_based": False}  # fmt: skip
    assert (unpaid["id"], unpaid["paid"]) == (70, False)
    assert fake.leave_policies(site.ws) == [paid, unpaid]
    assert fake.leave_policies(site.other) == []
    leave = fake.add_leave(site.ws, user_id=site.user, policy_id=70, start=date(2026, 3, 2),
                           end="2026-03-06", note="Trip", leave_period=1)  # fmt: skip
    assert list(leave) == LEAVE_KEYS
    assert leave["id"] == str(uuid.UUID(leave["id"]))
    assert {name: leave[name] for name in LEAVE_KEYS[1:-2]} == {
        "status": "pending", "user_id": site.user, "policy_id": 70, "note": "Trip",
        "is_paid": "no", "created_by": 100, "approved_by": None, "rejected_by": None,
        "reject_reason": None, "start_date": "2026-03-02", "end_date": "2026-03-06",
    }  # fmt: skip
    check.recent(leave["created_on"])
    assert leave["total"] == {"days": 2.5, "hours": 20.0}  # five half days
    assert fake.leaves(site.ws) == [leave]
    with pytest.raises(TypeError, match="not Leave fields"):
        fake.add_leave(site.ws, user_id=1, policy_id=1, start="2026-01-01", end="2026-01-01",
                       colour="red")  # fmt: skip


def test_a_leave_is_decided_once(fake: FakeWebWork, site: Worksite) -> None:
    policy = vacation(fake, site)["id"]
    period = {"user_id": site.user, "policy_id": policy, "start": "2026-02-10", "end": "2026-02-12"}
    approved = fake.add_leave(site.ws, **period)
    rejected = fake.add_leave(site.ws, **period)
    done = fake.decide_leave(site.ws, approved["id"], "approved")
    assert done == {**approved, "status": "approved", "approved_by": 100}
    refused = fake.decide_leave(site.ws, rejected["id"], "rejected", reason="Too busy")
    assert refused == {**rejected, "status": "rejected", "rejected_by": 100,
                       "reject_reason": "Too busy"}  # fmt: skip
    for leave_id in (approved["id"], rejected["id"]):
        for status in ("approved", "rejected"):
            with pytest.raises(ValueError, match="already decided"):
                fake.decide_leave(site.ws, leave_id, status)
    assert fake.leaves(site.ws) == [done, refused]
    pending = fake.add_leave(site.ws, **period)
    with pytest.raises(ValueError, match="approved or rejected"):
        fake.decide_leave(site.ws, pending["id"], "pending")
    with pytest.raises(ValueError, match="rejection only"):
        fake.decide_leave(site.ws, pending["id"], "approved", reason="Fine")
    with pytest.raises(KeyError):
        fake.decide_leave(site.other, pending["id"], "approved")
    assert fake.leaves(site.ws)[-1] == pending


# --- create --------------------------------------------------------------------------------------


async def test_create_answers_201_without_data_and_stores_a_pending_leave(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    policy = vacation(fake, site)["id"]
    reply = await request_leave(api, site, policy, reason="Family trip", leave_period=0)
    assert check.success(reply, CREATED, status=201) is None
    [leave] = fake.leaves(site.ws)
    assert {name: leave[name] for name in LEAVE_KEYS[1:-2]} == {
        "status": "pending", "user_id": site.user, "policy_id": policy, "note": "Family trip",
        "is_paid": "yes", "created_by": 100, "approved_by": None, "rejected_by": None,
        "reject_reason": None, "start_date": "2026-02-10", "end_date": "2026-02-12",
    }  # fmt: skip
    assert leave["total"] == {"days": 3.0, "hours": 24.0}
    check.recent(leave["created_on"])
    assert await listed(api, site.ws) == [leave]


async def test_an_hour_based_policy_needs_its_hours(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    policy = fake.add_leave_policy(site.ws, name="Doctor", days_per_year=5, hour_based=True)["id"]
    one_day = {"start": "2026-04-01", "end": "2026-04-02"}
    reply = await request_leave(api, site, policy, **one_day, start_time="09:00")
    assert check.field_errors(reply) == {
        "end_time": ["The end time field is required for hour-based leave."],
        "hours_per_day": ["The hours per day field is required for hour-based leave."],
    }
    hours = {"start_time": "09:00", "end_time": "13:00", "hours_per_day": 4}
    check.success(await request_leave(api, site, policy, **one_day, **hours), CREATED, 201)
    [leave] = fake.leaves(site.ws)
    assert leave["total"] == {"days": 1.0, "hours": 8.0}  # two half days of 4 hours


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"start": "2026-02-12", "end": "2026-02-10"},
         {"end": ["The end field must be a date after or equal to start."]}),
        ({"user_id": None, "policy_id": None, "start": None, "end": None},
         {"user_id": ["The user id field is required."],
          "policy_id": ["The policy id field is required."],
          "start": ["The start field is required."], "end": ["The end field is required."]}),
        ({"start": "2026-02-10T09:00:00Z"},
         {"start": ["The start field must be a valid date in Y-m-d format."]}),
        ({"leave_period": 3, "hours_per_day": -1},
         {"leave_period": ["The selected leave period is invalid."],
          "hours_per_day": ["The hours per day field must be at least 0."]}),
        ({"start_time": "13:00", "end_time": "09:00"},
         {"end_time": ["The end time field must be a time after start time."]}),
        ({"start_time": "9", "reason": 5},
         {"start_time": ["The start time field must match the format H:i."],
          "reason": ["The reason field must be a string."]}),
        ({"user_id": 999, "policy_id": 999},
         {"user_id": ["The selected user id is invalid."],
          "policy_id": ["The selected policy id is invalid."]}),
    ],
)  # fmt: skip
async def test_create_422(
    fake: FakeWebWork, api: Api, site: Worksite, fields: Fields, errors: Errors
) -> None:
    policy = vacation(fake, site)["id"]
    assert check.field_errors(await request_leave(api, site, policy, **fields)) == errors
    assert fake.leaves(site.ws) == []


async def test_create_needs_a_live_member_and_a_policy_of_the_workspace(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    foreign = fake.add_leave_policy(site.other, name="Elsewhere", days_per_year=1)["id"]
    gone = fake.add_member(site.ws, email="gone@example.com", deleted_at="2026-01-01")["id"]
    policy = vacation(fake, site)["id"]
    reply = await request_leave(api, site, foreign)
    assert check.field_errors(reply) == {"policy_id": ["The selected policy id is invalid."]}
    reply = await request_leave(api, site, policy, user_id=gone)
    assert check.field_errors(reply) == {"user_id": ["The selected user id is invalid."]}
    assert fake.leaves(site.ws) == fake.leaves(site.other) == []


# --- list ----------------------------------------------------------------------------------------


async def test_list_filters_and_pages(fake: FakeWebWork, api: Api, site: Worksite) -> None:
    paid = vacation(fake, site)["id"]
    unpaid = fake.add_leave_policy(site.ws, name="Unpaid", days_per_year=10, paid=False)["id"]

    def leave(policy: int, start: str, end: str, **fields: Any) -> str:
        fields.setdefault("user_id", site.user)
        made = fake.add_leave(site.ws, policy_id=policy, start=start, end=end, **fields)
        return str(made["id"])

    ids = {
        "a": leave(paid, "2026-03-01", "2026-03-02"),
        "b": leave(unpaid, "2026-03-30", "2026-04-02", status="approved"),
        "c": leave(paid, "2026-05-04", "2026-05-04", status="rejected", user_id=100),
    }
    fake.add_leave(site.other, user_id=100, policy_id=paid, start="2026-03-01", end="2026-03-01")
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "abc"),
        ({"id": ids["b"]}, "b"),
        ({"policy_id": paid}, "ac"),
        ({"is_paid": "no"}, "b"),
        ({"is_paid": "yes", "status": "pending"}, "a"),
        ({"status": "rejected"}, "c"),
        ({"user_id": site.user}, "ab"),
        ({"date_from": "2026-03-02", "date_to": "2026-03-29"}, "a"),
        ({"date_from": "2026-04-01", "date_to": "2026-04-30"}, "b"),
        ({"date_from": "2026-04-03"}, "c"),
        ({"date_to": "2026-03-01"}, "a"),
        ({"per_page": 2, "page": 2}, "c"),
    ]
    for params, expected in cases:
        found = await listed(api, site.ws, **params)
        assert [item["id"] for item in found] == [ids[name] for name in expected], params
    reply = await api.get("leaves", workspace_id=site.ws, per_page=2)
    assert reply.body["meta"]["pagination"] == {
        "total": 3, "per_page": 2, "current_page": 1, "last_page": 2, "from": 1, "to": 2,
    }  # fmt: skip


async def test_list_422(api: Api, site: Worksite) -> None:
    for params, wrong in [
        ({"is_paid": "true"}, ["is_paid"]), ({"status": "open"}, ["status"]),
        ({"policy_id": "x", "user_id": 0}, ["policy_id", "user_id"]),
        ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, ["date_to"]),
        ({"per_page": 101}, ["per_page"]),
    ]:  # fmt: skip
        reply = await api.get("leaves", workspace_id=site.ws, **params)
        assert sorted(check.field_errors(reply)) == wrong, params


# --- balances ------------------------------------------------------------------------------------


async def test_balances_drop_by_the_approved_days_within_the_range(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    paid = vacation(fake, site)["id"]
    sick = fake.add_leave_policy(site.ws, name="Sick", days_per_year=10)["id"]
    fresh = {100: [("Vacation", "20 days"), ("Sick", "10 days")],
             site.user: [("Vacation", "20 days"), ("Sick", "10 days")]}  # fmt: skip
    assert await balances(api, site) == fresh
    period = {"user_id": site.user, "policy_id": paid}
    trip = fake.add_leave(site.ws, **period, start="2026-02-10", end="2026-02-12")
    fake.add_leave(site.ws, **period, start="2026-03-02", end="2026-03-02", status="rejected")
    assert await balances(api, site) == fresh  # pending and rejected leave takes nothing
    fake.decide_leave(site.ws, trip["id"], "approved")
    fake.add_leave(site.ws, **period, start="2026-12-31", end="2027-01-04", status="approved")
    fake.add_leave(site.ws, user_id=site.user, policy_id=sick, start="2026-05-05",
                   end="2026-05-05", leave_period=2, status="approved")  # fmt: skip
    assert await balances(api, site) == {
        100: fresh[100], site.user: [("Vacation", "16 days"), ("Sick", "9.5 days")],
    }  # fmt: skip
    february = await balances(api, site, date_from="2026-02-11", date_to="2026-02-28")
    assert february[site.user] == [("Vacation", "18 days"), ("Sick", "10 days")]


async def test_balances_by_user_and_paged(fake: FakeWebWork, api: Api, site: Worksite) -> None:
    vacation(fake, site)
    fake.add_member(site.ws, email="gone@example.com", deleted_at="2026-01-01")
    reply = await api.get("leaves/balances", workspace_id=site.ws, **YEAR, user_id=site.user)
    assert check.success(reply, BALANCES) == [
        {"user_id": site.user, "user_name": "Ann Lee",
         "leave_information": [{"leave_type": "Vacation", "balance": "20 days"}],
         "total_balance": None},
    ]  # fmt: skip
    page = await api.get("leaves/balances", workspace_id=site.ws, **YEAR, per_page=1, page=2)
    assert [item["user_id"] for item in check.success(page, BALANCES)] == [site.user]
    assert page.body["meta"]["pagination"]["total"] == 2  # the archived member has none
    none = await api.get("leaves/balances", workspace_id=site.other, **YEAR)
    assert check.success(none, BALANCES) == [
        {"user_id": 100, "user_name": "Casey Caller", "leave_information": [],
         "total_balance": None},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "errors"),
    [({}, {"date_from": ["The date from field is required."],
           "date_to": ["The date to field is required."]}),
     ({"date_from": "2026-01-01"}, {"date_to": ["The date to field is required."]}),
     ({**YEAR, "date_to": "2025-12-31"},
      {"date_to": ["The date to field must be a date after or equal to date from."]}),
     ({**YEAR, "user_id": 999}, {"user_id": ["The selected user id is invalid."]})],
)  # fmt: skip
async def test_balances_422(api: Api, site: Worksite, params: Fields, errors: Errors) -> None:
    reply = await api.get("leaves/balances", workspace_id=site.ws, **params)
    assert check.field_errors(reply) == errors
