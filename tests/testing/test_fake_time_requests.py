"""Time Requests routes of the fake WebWork server, checked over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import fake_checks as check
import pytest
from fake_helpers import WORK_422, Api, Worksite, foreign_work

from webwork_async.testing import FakeWebWork

REQUEST_KEYS = [
    "id", "user_id", "contract_id", "project_id", "task_id", "start", "end", "status", "notes",
    "comment", "updated_by", "created_at", "updated_at", "activity_description",
]  # fmt: skip
PERIOD = {"start": "2024-01-15T09:00:00Z", "end": "2024-01-15T17:00:00Z"}
APPROVED = "Time request approved successfully"
REJECTED = "Time request rejected successfully"
REFUSED = {
    "approve": "Only pending time requests can be approved.",
    "reject": "Only pending time requests can be rejected.",
}


async def create(api: Api, site: Worksite, **fields: Any) -> Any:
    return await api.call("POST", "time-requests", json=site.work(**{**PERIOD, **fields}))


async def decide(api: Api, workspace_id: int, request_id: str, action: str, **body: Any) -> Any:
    if action == "reject":
        body.setdefault("comment", "Conflicts with the schedule")
    path = f"time-requests/{request_id}/{action}"
    return await api.call("POST", path, json={"workspace_id": workspace_id, **body})


def stored(fake: FakeWebWork, site: Worksite, **fields: Any) -> dict[str, Any]:
    period = {"start": PERIOD["start"], "end": PERIOD["end"], **fields}
    return fake.add_time_request(site.ws, user_id=site.user, contract_id=site.contract, **period)


# --- create and get ------------------------------------------------------------------------------


async def test_create_answers_201_with_a_pending_request(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    reply = await create(
        api, site, start="2024-01-15T10:00:00+01:00", end="2024-01-15T17:30:15.5Z",
        task_id=site.task, notes="Docs", activity_description="Writing",
    )  # fmt: skip
    request = check.success(reply, "Time request created successfully", status=201)
    assert list(request) == REQUEST_KEYS
    assert request["id"] == str(uuid.UUID(request["id"]))
    assert (request["user_id"], request["contract_id"], request["project_id"]) == (
        site.user, site.contract, site.project,
    )  # fmt: skip
    assert (request["task_id"], request["status"]) == (site.task, "pending")
    assert (request["start"], request["end"]) == (
        "2024-01-15T09:00:00.000000Z", "2024-01-15T17:30:15.500000Z",
    )  # fmt: skip
    assert (request["notes"], request["activity_description"]) == ("Docs", "Writing")
    assert (request["comment"], request["updated_by"]) == (None, None)
    check.recent(request["created_at"])
    assert request["updated_at"] == request["created_at"]
    assert fake.time_requests(site.ws) == [request]
    assert fake.time_entries(site.ws) == []

    got = await api.get(f"time-requests/{request['id']}", workspace_id=site.ws)
    assert check.success(got, "Time request retrieved successfully") == request


async def test_create_with_only_the_required_fields(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    request = check.success(await create(api, site), "Time request created successfully", 201)
    assert (request["task_id"], request["notes"], request["activity_description"]) == (
        None, None, None,
    )  # fmt: skip
    assert (request["start"], request["end"]) == (
        "2024-01-15T09:00:00.000000Z", "2024-01-15T17:00:00.000000Z",
    )  # fmt: skip
    early = await create(api, site, start="0264-06-04T05:40:05.2Z", end="1082-08-29T06:24:23Z")
    assert check.success(early, "Time request created successfully", 201)["start"] == (
        "0264-06-04T05:40:05.200000Z"  # four digits of year: a valid date-time
    )


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"user_id": None, "contract_id": None, "start": None, "end": None},
         {"user_id": ["The user id field is required."],
          "contract_id": ["The contract id field is required."],
          "start": ["The start field is required."], "end": ["The end field is required."]}),
        ({"start": "yesterday", "end": "2024-02-30T10:00:00Z"},
         {"start": ["The start field must be a valid date."],
          "end": ["The end field must be a valid date."]}),
        ({"start": 1705309200}, {"start": ["The start field must be a valid date."]}),
        ({"end": "2024-01-15T09:00:00Z"}, {"end": ["The end field must be a date after start."]}),
        ({"end": "2024-01-15T10:00:00+02:00"},
         {"end": ["The end field must be a date after start."]}),
        ({"start": "1082-08-29T06:24:23Z", "end": "0264-06-04T05:40:05Z"},  # found by schemathesis
         {"end": ["The end field must be a date after start."]}),
        ({"notes": 5, "task_id": "3"},
         {"notes": ["The notes field must be a string."],
          "task_id": ["The task id field must be an integer."]}),
        *WORK_422,
        ({"contract_id": 999, "end": "2024-01-15T08:00:00Z"},
         {"end": ["The end field must be a date after start."],
          "contract_id": ["The selected contract id is invalid."]}),
    ],
)  # fmt: skip
async def test_create_422(
    api: Api, site: Worksite, fields: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    """Every problem of the body in one answer; nothing is stored."""
    assert check.field_errors(await create(api, site, **fields)) == errors
    nothing = await api.get("time-requests", workspace_id=site.ws)
    assert check.success(nothing, "Time requests retrieved successfully") == []


async def test_create_needs_the_members_contract_and_a_task_of_its_project(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    cases = foreign_work(fake, site)
    replies = [await create(api, site, **fields) for fields, _wrong in cases]
    assert [sorted(check.field_errors(reply)) for reply in replies] == [w for _f, w in cases]
    assert fake.time_requests(site.ws) == []


async def test_404_for_unknown_and_other_workspaces_requests(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    foreign = fake.add_time_request(site.other, user_id=100, contract_id=1, **PERIOD)
    for request_id in (foreign["id"], str(uuid.uuid4()), "42"):
        got = await api.get(f"time-requests/{request_id}", workspace_id=site.ws)
        check.error(got, 404, "Time request not found")
        for action in ("approve", "reject"):
            reply = await decide(api, site.ws, request_id, action)
            check.error(reply, 404, "Time request not found")
    assert fake.time_requests(site.other) == [foreign]
    assert fake.time_entries(site.other) == []


# --- list ----------------------------------------------------------------------------------------


async def test_list_filters_and_pages(fake: FakeWebWork, api: Api, site: Worksite) -> None:
    other_project = fake.add_project(site.ws, name="Other")["id"]
    a = stored(fake, site, start="2024-01-15T23:30:00Z", end="2024-01-16T01:00:00Z")
    b = stored(fake, site, start="2024-01-20T09:00:00Z", end="2024-01-20T10:00:00Z",
               status="approved", project_id=other_project)  # fmt: skip
    c = fake.add_time_request(site.ws, user_id=100, contract_id=7, status="rejected",
                              start="2024-01-31T09:00:00Z", end="2024-01-31T10:00:00Z")  # fmt: skip
    stored(fake, site, start="2024-01-16T09:00:00Z", end="2024-01-16T10:00:00Z", id="elsewhere")
    fake.add_time_request(site.other, user_id=100, contract_id=1, **PERIOD)
    ids = {"a": a["id"], "b": b["id"], "c": c["id"], "d": "elsewhere"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "abcd"),
        ({"id": b["id"]}, "b"),
        ({"status": "pending"}, "ad"),
        ({"status": "rejected"}, "c"),
        ({"user_id": site.user}, "abd"),
        ({"project_id": other_project}, "b"),
        ({"date_from": "2024-01-16"}, "bcd"),
        ({"date_to": "2024-01-15"}, "a"),
        ({"date_from": "2024-01-16", "date_to": "2024-01-20"}, "bd"),
        ({"date_from": "2024-01-31", "date_to": "2024-01-31"}, "c"),
        ({"per_page": 2, "page": 2}, "cd"),
    ]
    for params, expected in cases:
        reply = await api.get("time-requests", workspace_id=site.ws, **params)
        found = check.success(reply, "Time requests retrieved successfully")
        assert [item["id"] for item in found] == [ids[name] for name in expected], params
    assert (await api.get("time-requests", workspace_id=site.ws)).body["data"][0] == a
    reply = await api.get("time-requests", workspace_id=site.ws, per_page=3)
    assert reply.body["meta"]["pagination"] == {
        "total": 4, "per_page": 3, "current_page": 1, "last_page": 2, "from": 1, "to": 3,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("params", "wrong"),
    [({"status": "open"}, ["status"]),
     ({"user_id": "-1", "project_id": "x"}, ["project_id", "user_id"]),
     ({"date_from": "2024-01-32"}, ["date_from"]),
     ({"date_from": "2024-02-01", "date_to": "2024-01-01"}, ["date_to"]),
     ({"page": 0}, ["page"])],
)  # fmt: skip
async def test_list_422(api: Api, site: Worksite, params: dict[str, Any], wrong: list[str]) -> None:
    reply = await api.get("time-requests", workspace_id=site.ws, **params)
    assert sorted(check.field_errors(reply)) == wrong


# --- approve and reject --------------------------------------------------------------------------


async def test_approve_once_adds_the_period_to_the_timeline(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    created = await create(api, site, task_id=site.task, notes="Docs", end="2024-01-15T17:00:59Z")
    request = created.body["data"]
    data = check.success(await decide(api, site.ws, request["id"], "approve"), APPROVED)
    assert list(data) == REQUEST_KEYS
    assert data == {**request, "status": "approved", "updated_by": 100,
                    "updated_at": data["updated_at"]}  # fmt: skip
    check.recent(data["updated_at"])
    assert fake.time_requests(site.ws) == [data]
    (entry,) = fake.time_entries(site.ws)
    assert entry["id"] == str(uuid.UUID(entry["id"]))
    assert {name: value for name, value in entry.items() if name != "id"} == {
        "user_id": site.user, "contract_id": site.contract, "project_id": site.project,
        "project_name": "Website", "task_id": site.task, "task_title": "Homepage",
        "activity_description": "Docs", "method": "Manually added time", "date": "2024-01-15",
        "start_time": "2024-01-15T09:00:00.000000Z", "end_time": "2024-01-15T17:00:59.000000Z",
        "duration_minutes": 480,
    }  # fmt: skip

    for action in ("approve", "reject"):
        again = await decide(api, site.ws, request["id"], action)
        assert check.field_errors(again) == {"status": [REFUSED[action]]}
    assert fake.time_requests(site.ws) == [data]
    assert len(fake.time_entries(site.ws)) == 1


async def test_reject_once_keeps_the_comment(fake: FakeWebWork, api: Api, site: Worksite) -> None:
    request = stored(fake, site, activity_description="Writing")
    reply = await decide(api, site.ws, request["id"], "reject", comment="Overlaps a meeting")
    data = check.success(reply, REJECTED)
    assert list(data) == REQUEST_KEYS
    assert (data["status"], data["comment"], data["updated_by"]) == (
        "rejected", "Overlaps a meeting", 100,
    )  # fmt: skip
    assert fake.time_requests(site.ws) == [data]
    assert fake.time_entries(site.ws) == []
    for action in ("reject", "approve"):
        again = await decide(api, site.ws, request["id"], action)
        assert check.field_errors(again) == {"status": [REFUSED[action]]}
    assert fake.time_entries(site.ws) == []


async def test_approving_uses_the_activity_description_first(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    request = stored(fake, site, notes="Memo", activity_description="Writing")
    check.success(await decide(api, site.ws, request["id"], "approve"), APPROVED)
    (entry,) = fake.time_entries(site.ws)
    assert (entry["activity_description"], entry["task_id"], entry["task_title"]) == (
        "Writing", None, None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("comment", "message"),
    [(None, "The comment field is required."), ("", "The comment field is required."),
     (["no"], "The comment field must be a string."),
     ("x" * 1001, "The comment field must not be greater than 1000 characters.")],
)  # fmt: skip
async def test_reject_needs_a_comment(
    fake: FakeWebWork, api: Api, site: Worksite, comment: Any, message: str
) -> None:
    request = stored(fake, site)
    reply = await decide(api, site.ws, request["id"], "reject", comment=comment)
    assert check.field_errors(reply) == {"comment": [message]}
    assert fake.time_requests(site.ws) == [request]
