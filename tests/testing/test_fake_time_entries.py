"""Time Entries routes of the fake WebWork server, checked over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import fake_checks as check
import pytest
from fake_helpers import WORK_422, Api, Errors, Fields, Worksite

from webwork_async.testing import FakeWebWork

ENTRY_KEYS = [
    "id", "user_id", "contract_id", "project_id", "project_name", "task_id", "task_title",
    "activity_description", "method", "date", "start_time", "end_time", "duration_minutes",
]  # fmt: skip
DAY = "2026-01-29"
LISTED = "Time entries retrieved successfully"
UPDATED = "Time entry updated successfully"
DELETED = "Time entry deleted successfully"
NOT_FOUND = "Time entry not found"
AFTER_START = {"end_time": ["The end time field must be a time after start time."]}


async def create(api: Api, site: Worksite, **fields: Any) -> Any:
    body = site.work(date=DAY, start_time="09:00", end_time="17:00")
    return await api.call("POST", "time-entries", json={**body, **fields})


async def update(api: Api, workspace_id: int, entry_id: str, **fields: Any) -> Any:
    body = {"workspace_id": workspace_id, **fields}
    return await api.call("PUT", f"time-entries/{entry_id}", json=body)


async def day(api: Api, site: Worksite, **params: Any) -> list[Any]:
    where = {"workspace_id": site.ws, "user_id": site.user, "date": DAY, **params}
    items: list[Any] = check.success(await api.get("time-entries", **where), LISTED)
    return items


def at(clock: str, date: str = DAY) -> str:
    return f"{date}T{clock}:00.000000Z"


def entry(fake: FakeWebWork, site: Worksite, start: str, end: str, **fields: Any) -> Any:
    fields.setdefault("contract_id", site.contract)
    return fake.add_time_entry(
        site.ws, user_id=site.user, start_time=at(start), end_time=at(end), **fields
    )


# --- create --------------------------------------------------------------------------------------


async def test_create_answers_201_with_the_saved_minutes_beside_the_entry(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    reply = await create(api, site, task_id=site.task, notes="Feature work")
    data = check.success(reply, "8 hr successfully added for Ann Lee.", status=201)
    assert list(reply.body) == ["success", "message", "saved_minutes", "data", "meta"]
    assert reply.body["saved_minutes"] == 480
    assert list(data) == ENTRY_KEYS
    assert data["id"] == str(uuid.UUID(data["id"]))
    assert {name: value for name, value in data.items() if name != "id"} == {
        "user_id": site.user, "contract_id": site.contract, "project_id": site.project,
        "project_name": "Website", "task_id": site.task, "task_title": "Homepage",
        "activity_description": "Feature work", "method": "Manually added time", "date": DAY,
        "start_time": at("09:00"), "end_time": at("17:00"), "duration_minutes": 480,
    }  # fmt: skip
    assert fake.time_entries(site.ws) == [data]
    assert await day(api, site) == [data]


async def test_create_without_a_contract_is_time_without_a_project(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    reply = await create(api, site, contract_id=None, start_time="10:15", end_time="11:00")
    data = check.success(reply, "45 min successfully added for Ann Lee.", status=201)
    assert (data["contract_id"], data["project_id"], data["task_id"]) == (None, None, None)
    assert (data["activity_description"], data["duration_minutes"]) == (None, 45)
    reply = await create(api, site, start_time="12:00", end_time="13:30")
    assert reply.body["message"] == "1 hr 30 min successfully added for Ann Lee."


async def test_an_overlapping_entry_is_saved_only_where_the_day_is_free(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    entry(fake, site, "10:00", "11:00")
    entry(fake, site, "12:00", "12:30")
    fake.add_time_entry(  # another member's time does not count
        site.ws, user_id=100, start_time=at("09:00"), end_time=at("17:00")
    )
    reply = await create(api, site, start_time="09:30", end_time="13:00")
    message = (
        "2 hr successfully added for Ann Lee. 1 hr 30 min overlapping existing time entries "
        "was not saved."
    )
    data = check.success(reply, message, status=201)
    assert reply.body["saved_minutes"] == 120
    assert (data["start_time"], data["end_time"], data["duration_minutes"]) == (
        at("09:30"), at("10:00"), 30,
    )  # fmt: skip
    pieces = [(item["start_time"], item["end_time"]) for item in await day(api, site)]
    assert pieces == [
        (at("09:30"), at("10:00")), (at("10:00"), at("11:00")), (at("11:00"), at("12:00")),
        (at("12:00"), at("12:30")), (at("12:30"), at("13:00")),
    ]  # fmt: skip


async def test_an_entry_over_time_already_tracked_saves_nothing(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    entry(fake, site, "08:00", "18:00")
    reply = await create(api, site)
    message = (
        "0 min successfully added for Ann Lee. 8 hr overlapping existing time entries was not "
        "saved."
    )
    assert check.success(reply, message, status=201) is None
    assert reply.body["saved_minutes"] == 0
    assert len(fake.time_entries(site.ws)) == 1


async def test_entries_of_another_workspace_do_not_overlap(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    fake.add_member(site.other, email="ann@example.com")
    fake.add_time_entry(site.other, user_id=site.user, start_time=at("08:00"), end_time=at("18:00"))
    assert (await create(api, site)).body["saved_minutes"] == 480


async def test_create_needs_the_members_live_contract_and_a_task_of_its_project(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    await check.refuses_foreign_work(fake, site, lambda **fields: create(api, site, **fields))
    assert fake.time_entries(site.ws) == []


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"user_id": None, "date": None, "start_time": None, "end_time": None},
         {"user_id": ["The user id field is required."], "date": ["The date field is required."],
          "start_time": ["The start time field is required."],
          "end_time": ["The end time field is required."]}),
        ({"start_time": "9:00", "end_time": "24:00"},
         {"start_time": ["The start time field must match the format H:i."],
          "end_time": ["The end time field must match the format H:i."]}),
        ({"start_time": 900, "date": "2026-02-30"},
         {"start_time": ["The start time field must match the format H:i."],
          "date": ["The date field must be a valid date in Y-m-d format."]}),
        ({"end_time": "09:00"}, AFTER_START),
        ({"end_time": "08:59", "contract_id": 999},
         {"end_time": ["The end time field must be a time after start time."],
          "contract_id": ["The selected contract id is invalid."]}),
        ({"notes": 5, "task_id": "3"},
         {"notes": ["The notes field must be a string."],
          "task_id": ["The task id field must be an integer."]}),
        ({"contract_id": None, "task_id": 1},
         {"contract_id": ["The contract id field is required when task id is present."]}),
        *WORK_422,
    ],
)  # fmt: skip
async def test_create_422(
    fake: FakeWebWork, api: Api, site: Worksite, fields: Fields, errors: Errors
) -> None:
    assert check.field_errors(await create(api, site, **fields)) == errors
    assert fake.time_entries(site.ws) == []


# --- list ----------------------------------------------------------------------------------------


async def test_list_is_the_members_day_by_start_time_with_filters(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    other = fake.add_project(site.ws, name="Backend")["id"]
    second = fake.add_contract(site.ws, project_id=other, user_id=site.user)["id"]
    late = entry(fake, site, "15:00", "16:00", task_id=site.task)
    early = entry(fake, site, "08:00", "09:00", contract_id=second)
    noon = entry(fake, site, "12:00", "12:20")
    entry(fake, site, "09:00", "10:00", date="2026-01-28")  # dated the day before
    fake.add_time_entry(site.ws, user_id=100, start_time=at("09:00"), end_time=at("10:00"))
    fake.add_time_entry(
        site.ws, user_id=site.user, start_time=at("09:00", "2026-01-30"), end_time=at("10:00")
    )
    assert await day(api, site) == [early, noon, late]
    assert await day(api, site, project_id=site.project) == [noon, late]
    assert await day(api, site, project_id=other) == [early]
    assert await day(api, site, task_id=site.task) == [late]
    assert await day(api, site, date="2026-01-31") == []
    assert early["project_name"] == "Backend"


async def test_list_pages_50_entries_at_most(fake: FakeWebWork, api: Api, site: Worksite) -> None:
    for minute in range(52):
        entry(fake, site, f"10:{minute:02d}", f"10:{minute + 1:02d}")
    where = {"workspace_id": site.ws, "user_id": site.user, "date": DAY}
    reply = await api.get("time-entries", **where, per_page=50, page=2)
    assert [item["start_time"] for item in check.success(reply, LISTED)] == [
        at("10:50"), at("10:51"),
    ]  # fmt: skip
    assert reply.body["meta"]["pagination"] == {
        "total": 52, "per_page": 50, "current_page": 2, "last_page": 2, "from": 51, "to": 52,
    }  # fmt: skip
    assert len(check.success(await api.get("time-entries", **where), LISTED)) == 20
    too_many = await api.get("time-entries", **where, per_page=51)
    assert check.field_errors(too_many) == {
        "per_page": ["The per page field must be between 1 and 50."]
    }


@pytest.mark.parametrize(
    ("params", "errors"),
    [({"user_id": None, "date": None},
      {"user_id": ["The user id field is required."], "date": ["The date field is required."]}),
     ({"user_id": "x", "date": "29-01-2026", "project_id": 0},
      {"user_id": ["The user id field must be an integer."],
       "date": ["The date field must be a valid date in Y-m-d format."],
       "project_id": ["The project id field must be at least 1."]}),
     ({"user_id": 999}, {"user_id": ["The selected user id is invalid."]})],
)  # fmt: skip
async def test_list_422(api: Api, site: Worksite, params: Fields, errors: Errors) -> None:
    given = {"user_id": site.user, "date": DAY, **params}
    query = {name: value for name, value in given.items() if value is not None}
    assert (
        check.field_errors(await api.get("time-entries", workspace_id=site.ws, **query)) == errors
    )


async def test_list_of_an_archived_member_shows_their_history(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    gone = fake.add_member(site.ws, email="gone@example.com", deleted_at="2026-01-01")["id"]
    made = fake.add_time_entry(site.ws, user_id=gone, start_time=at("09:00"), end_time=at("10:00"))
    assert await day(api, site, user_id=gone) == [made]


# --- update --------------------------------------------------------------------------------------


async def test_update_changes_only_what_it_names(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    made = entry(fake, site, "09:00", "10:00", task_id=site.task, activity_description="Docs")
    assert check.success(await update(api, site.ws, made["id"], end_time="10:30"), UPDATED) is None
    [changed] = fake.time_entries(site.ws)
    assert changed == {**made, "end_time": at("10:30"), "duration_minutes": 90}
    check.success(await update(api, site.ws, made["id"], notes=None, start_time="08:15"), UPDATED)
    [changed] = fake.time_entries(site.ws)
    assert changed == {**made, "activity_description": None, "start_time": at("08:15"),
                       "end_time": at("10:30"), "duration_minutes": 135}  # fmt: skip
    check.success(await update(api, site.ws, made["id"], task_id=None), UPDATED)
    assert fake.time_entries(site.ws)[0]["task_id"] is None


async def test_a_new_date_moves_the_times_kept(fake: FakeWebWork, api: Api, site: Worksite) -> None:
    made = entry(fake, site, "09:00", "10:00")
    reply = await update(api, site.ws, made["id"], date="2026-02-02", end_time="11:00")
    check.success(reply, UPDATED)
    [moved] = fake.time_entries(site.ws)
    assert (moved["date"], moved["start_time"], moved["end_time"], moved["duration_minutes"]) == (
        "2026-02-02", at("09:00", "2026-02-02"), at("11:00", "2026-02-02"), 120,
    )  # fmt: skip
    assert await day(api, site) == []
    night = fake.add_time_entry(site.ws, user_id=site.user, start_time=at("23:00"),
                                end_time=at("01:00", "2026-01-30"))  # fmt: skip
    reply = await update(api, site.ws, night["id"], date="9999-12-31")
    assert check.field_errors(reply) == {
        "date": ["The date field must be a date before 9999-12-31."]
    }


async def test_update_moves_an_entry_to_the_members_contract_on_a_project(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    other = fake.add_project(site.ws, name="Backend")["id"]
    second = fake.add_contract(site.ws, project_id=other, user_id=site.user)["id"]
    task = fake.add_task(site.ws, project_id=other, title="API")["id"]
    made = entry(fake, site, "09:00", "10:00", task_id=site.task)
    check.success(await update(api, site.ws, made["id"], project_id=other), UPDATED)
    [moved] = fake.time_entries(site.ws)
    assert (moved["project_id"], moved["contract_id"], moved["task_id"]) == (other, second, None)
    check.success(
        await update(api, site.ws, made["id"], project_id=site.project, task_id=site.task), UPDATED
    )
    [moved] = fake.time_entries(site.ws)
    assert (moved["project_id"], moved["contract_id"], moved["task_id"]) == (
        site.project, site.contract, site.task,
    )  # fmt: skip
    wrong = await update(api, site.ws, made["id"], task_id=task)
    assert check.field_errors(wrong) == {"task_id": ["The selected task id is invalid."]}
    check.success(await update(api, site.ws, made["id"], project_id=None), UPDATED)
    [moved] = fake.time_entries(site.ws)
    assert (moved["project_id"], moved["contract_id"], moved["task_id"]) == (None, None, None)
    assert check.field_errors(await update(api, site.ws, made["id"], task_id=site.task)) == {
        "task_id": ["The selected task id is invalid."]
    }


@pytest.mark.parametrize(
    ("fields", "errors"),
    [({"end_time": "08:00"}, AFTER_START), ({"start_time": "10:00"}, AFTER_START),
     ({"date": None, "start_time": "9am"},
      {"date": ["The date field must be a valid date in Y-m-d format."],
       "start_time": ["The start time field must match the format H:i."]}),
     ({"project_id": 999}, {"project_id": ["The selected project id is invalid."]}),
     ({"notes": ["x"]}, {"notes": ["The notes field must be a string."]})],
)  # fmt: skip
async def test_update_422(
    fake: FakeWebWork, api: Api, site: Worksite, fields: Fields, errors: Errors
) -> None:
    made = entry(fake, site, "09:00", "10:00")
    assert check.field_errors(await update(api, site.ws, made["id"], **fields)) == errors
    assert fake.time_entries(site.ws) == [made]


async def test_update_needs_a_project_the_member_has_a_contract_on(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    made = entry(fake, site, "09:00", "10:00")
    bare = fake.add_project(site.ws, name="No contract")["id"]
    archived = fake.add_project(site.ws, name="Archived", deleted_at="2026-01-01")["id"]
    foreign = fake.add_project(site.other, name="Foreign")["id"]
    for project_id in (bare, archived, foreign):
        reply = await update(api, site.ws, made["id"], project_id=project_id)
        assert check.field_errors(reply) == {"project_id": ["The selected project id is invalid."]}
    assert fake.time_entries(site.ws) == [made]


# --- delete and 404 ------------------------------------------------------------------------------


async def test_delete_removes_the_entry_for_good(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    made = entry(fake, site, "09:00", "10:00")
    kept = entry(fake, site, "11:00", "12:00")
    path = f"time-entries/{made['id']}"
    reply = await api.call("DELETE", path, json={"workspace_id": site.ws})
    assert check.success(reply, DELETED) is None
    assert fake.time_entries(site.ws) == [kept]
    again = await api.call("DELETE", path, json={"workspace_id": site.ws})
    check.error(again, 404, NOT_FOUND)
    check.error(await update(api, site.ws, made["id"], notes="x"), 404, NOT_FOUND)


@pytest.mark.parametrize("body", [None, {}, {"workspace_id": None}, {"workspace_id": ""}])
async def test_delete_400_without_workspace_id_in_the_body(
    fake: FakeWebWork, api: Api, site: Worksite, body: Any
) -> None:
    made = entry(fake, site, "09:00", "10:00")
    reply = await api.call("DELETE", f"time-entries/{made['id']}", json=body)
    check.error(reply, 400, "workspace_id is required in request body")
    wrong = await api.call("DELETE", f"time-entries/{made['id']}", json={"workspace_id": "1"})
    assert check.field_errors(wrong) == {
        "workspace_id": ["The workspace id field must be an integer."]
    }
    assert fake.time_entries(site.ws) == [made]


async def test_404_for_unknown_and_other_workspaces_entries(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    foreign = fake.add_time_entry(
        site.other, user_id=100, start_time=at("09:00"), end_time=at("10:00")
    )
    for entry_id in (foreign["id"], str(uuid.uuid4()), "42"):
        check.error(await update(api, site.ws, entry_id, notes="x"), 404, NOT_FOUND)
        reply = await api.call("DELETE", f"time-entries/{entry_id}", json={"workspace_id": site.ws})
        check.error(reply, 404, NOT_FOUND)
    assert fake.time_entries(site.other) == [foreign]
