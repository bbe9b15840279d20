"""Reports routes of the fake WebWork server, checked over HTTP: they sum the timeline."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import fake_checks as check
import pytest
from fake_helpers import Api, Errors, Fields, Worksite

from webwork_async.testing import FakeWebWork

TRACKED = "Tracked hours report retrieved successfully"
TIMELINE = "Daily timeline report retrieved successfully"
ATTENDANCE = "Daily attendance report retrieved successfully"
TASKS = "Task report retrieved successfully"
ACTIVITY = "Activity level report retrieved successfully"
JAN = {"start_date": "2026-01-01", "end_date": "2026-01-31"}
TOO_LONG = {"end_date": ["The end date field must be a date within 31 days of start date."]}
BEFORE = {"end_date": ["The end date field must be a date after or equal to start date."]}


def work(
    fake: FakeWebWork, site: Worksite, day: str, clock: str, minutes: int, **fields: Any
) -> Any:
    fields.setdefault("user_id", site.user)
    fields.setdefault("contract_id", site.contract)
    start = datetime.fromisoformat(f"{day}T{clock}:00+00:00")
    end = start + timedelta(minutes=minutes)
    return fake.add_time_entry(site.ws, start_time=start, end_time=end, **fields)


async def report(api: Api, site: Worksite, name: str, message: str, **params: Any) -> Any:
    return check.success(await api.get(f"reports/{name}", workspace_id=site.ws, **params), message)


async def errors(api: Api, site: Worksite, name: str, **params: Any) -> Errors:
    return check.field_errors(await api.get(f"reports/{name}", workspace_id=site.ws, **params))


@pytest.fixture
def crew(fake: FakeWebWork, site: Worksite) -> dict[str, int]:
    """A second member, Bo Park, with a contract on a second project, and its task."""
    bo = fake.add_member(site.ws, email="bo@example.com", firstname="Bo", lastname="Park")["id"]
    backend = fake.add_project(site.ws, name="Backend")["id"]
    contract = fake.add_contract(site.ws, project_id=backend, user_id=bo)["id"]
    task = fake.add_task(site.ws, project_id=backend, title="API")["id"]
    return {"bo": bo, "backend": backend, "contract": contract, "task": task}


# --- tracked hours -------------------------------------------------------------------------------


async def test_tracked_hours_sum_the_entries_by_day_user_project_and_contract(
    fake: FakeWebWork, api: Api, site: Worksite, crew: dict[str, int]
) -> None:
    bo = {"user_id": crew["bo"], "contract_id": crew["contract"]}
    work(fake, site, "2026-01-05", "09:00", 90)
    work(fake, site, "2026-01-05", "14:00", 30, task_id=site.task)
    work(fake, site, "2026-01-05", "11:00", 45, **bo)
    work(fake, site, "2026-01-06", "09:00", 60, contract_id=None)
    work(fake, site, "2026-01-11", "09:00", 15)  # after the range
    fake.add_time_entry(site.other, user_id=100, start_time="2026-01-05T09:00:00Z",
                        end_time="2026-01-05T10:00:00Z")  # fmt: skip
    data = await report(api, site, "tracked-hours", TRACKED, start_date="2026-01-01",
                        end_date="2026-01-10")  # fmt: skip
    ann = {"user_id": site.user, "project_id": site.project, "contract_id": site.contract}
    assert data == {
        "report_type": "tracked_hours",
        "start_date": "2026-01-01",
        "end_date": "2026-01-10",
        "total": {"total_minutes": 225},
        "days": {
            "2026-01-05": {"users": [
                {**ann, "total_minutes": 120, "total_amount": None},
                {"user_id": crew["bo"], "project_id": crew["backend"],
                 "contract_id": crew["contract"], "total_minutes": 45, "total_amount": None},
            ]},
            "2026-01-06": {"users": [
                {"user_id": site.user, "project_id": None, "contract_id": None,
                 "total_minutes": 60, "total_amount": None},
            ]},
        },
    }  # fmt: skip
    only_bo = await report(api, site, "tracked-hours", TRACKED, **JAN, users=f"{crew['bo']},999")
    assert only_bo["total"] == {"total_minutes": 45}
    by_project = await report(api, site, "tracked-hours", TRACKED, **JAN, projects=site.project)
    assert by_project["total"] == {"total_minutes": 135}
    ann_only = await report(api, site, "tracked-hours", TRACKED, **JAN, user_id=site.user)
    assert ann_only["total"] == {"total_minutes": 195}
    none = await report(api, site, "tracked-hours", TRACKED, **JAN, user_id=site.user,
                        users=crew["bo"], teams="1,2", titles=3, currencies="USD,EUR")  # fmt: skip
    assert (none["total"], none["days"]) == ({"total_minutes": 0}, {})


async def test_tracked_hours_default_to_the_current_week(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    def week() -> tuple[str, str]:
        today = datetime.now(timezone.utc).date()
        monday = today - timedelta(days=today.weekday())
        return monday.isoformat(), (monday + timedelta(days=6)).isoformat()

    before = week()
    work(fake, site, before[0], "09:00", 30)
    work(fake, site, before[1], "09:00", 20)
    data = await report(api, site, "tracked-hours", TRACKED)
    assert (data["start_date"], data["end_date"]) in {before, week()}
    if (data["start_date"], data["end_date"]) == before:
        assert data["total"] == {"total_minutes": 50}
    late = await api.get("reports/tracked-hours", workspace_id=site.ws, start_date="2999-01-01")
    assert check.field_errors(late) == BEFORE


@pytest.mark.parametrize(
    ("params", "expected"),
    [({"start_date": "2026-01-01", "end_date": "2026-02-01", "user_id": 101}, TOO_LONG),
     ({"start_date": "2026-01-02", "end_date": "2026-01-01"}, BEFORE),
     ({"users": "1,x", "projects": "0"},
      {"users.1": ["The users.1 field must be an integer."],
       "projects.0": ["The projects.0 field must be at least 1."]}),
     ({"start_date": "Jan 1", "user_id": "me"},
      {"start_date": ["The start date field must be a valid date in Y-m-d format."],
       "user_id": ["The user id field must be an integer."]})],
)  # fmt: skip
async def test_tracked_hours_422(
    api: Api, site: Worksite, params: Fields, expected: Errors
) -> None:
    assert await errors(api, site, "tracked-hours", **params) == expected


async def test_a_long_range_is_fine_without_a_user(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    work(fake, site, "2026-02-28", "09:00", 10)
    data = await report(api, site, "tracked-hours", TRACKED, start_date="2026-01-01",
                        end_date="2026-12-31")  # fmt: skip
    assert list(data["days"]) == ["2026-02-28"]
    thirty_one = {"start_date": "2026-01-01", "end_date": "2026-01-31", "user_id": site.user}
    assert (await report(api, site, "tracked-hours", TRACKED, **thirty_one))["days"] == {}


# --- daily timeline ------------------------------------------------------------------------------


async def test_daily_timeline_lists_each_users_entries_of_the_day(
    fake: FakeWebWork, api: Api, site: Worksite, crew: dict[str, int]
) -> None:
    late = work(fake, site, "2026-01-07", "13:00", 60, task_id=site.task,
                activity_description="Docs")  # fmt: skip
    early = work(fake, site, "2026-01-07", "09:00", 120)
    work(fake, site, "2026-01-08", "09:00", 120)
    data = await report(api, site, "daily-timeline", TIMELINE, date="2026-01-07")
    shown = ["start_time", "end_time", "duration_minutes", "project_id", "project_name",
             "task_id", "task_title", "activity_description", "method"]  # fmt: skip
    assert data == [{
        "user_id": site.user, "user_name": "Ann Lee", "total_minutes": 180,
        "activity_level": 75.0, "total_amount": None, "currency": None,
        "entries": [{**{name: item[name] for name in shown}, "activity_level": 75.0}
                    for item in (early, late)],
    }]  # fmt: skip
    asked = await report(api, site, "daily-timeline", TIMELINE, date="2026-01-07",
                         user_ids=f"{crew['bo']},{site.user},999")  # fmt: skip
    assert [(item["user_id"], item["total_minutes"], item["activity_level"]) for item in asked] == [
        (site.user, 180, 75.0), (crew["bo"], 0, None),
    ]  # fmt: skip
    assert asked[1] == {"user_id": crew["bo"], "user_name": "Bo Park", "total_minutes": 0,
                        "activity_level": None, "total_amount": None, "currency": None,
                        "entries": []}  # fmt: skip


async def test_paged_reports_page_by_user_30_by_default(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    users = [site.user]
    for number in range(34):
        user = fake.add_member(site.ws, email=f"m{number}@example.com")["id"]
        users.append(user)
    for user in users:
        work(fake, site, "2026-01-07", "09:00", 10, user_id=user, contract_id=None)
    day = {"date": "2026-01-07"}
    for name in ("daily-timeline", "daily-attendance", "task-report", "activity-level"):
        params = day if name.startswith("daily") else JAN
        reply = await api.get(f"reports/{name}", workspace_id=site.ws, **params)
        assert reply.status == 200, name
        listed = len(users) + (name == "daily-attendance")  # the caller attends too
        assert reply.body["meta"]["pagination"] == {
            "total": listed, "per_page": 30, "current_page": 1, "last_page": 2, "from": 1,
            "to": 30,
        }, name  # fmt: skip
        page = await api.get(f"reports/{name}", workspace_id=site.ws, **params, per_page=100,
                             page=1)  # fmt: skip
        ids = [item["user_id"] for item in page.body["data"]]
        assert ids == sorted(ids) and len(ids) == listed, name
        assert sorted(check.field_errors(
            await api.get(f"reports/{name}", workspace_id=site.ws, **params, per_page=101)
        )) == ["per_page"]  # fmt: skip


@pytest.mark.parametrize("name", ["daily-timeline", "daily-attendance"])
async def test_daily_reports_need_a_date(api: Api, site: Worksite, name: str) -> None:
    assert await errors(api, site, name) == {"date": ["The date field is required."]}
    assert await errors(api, site, name, date="2026-13-01") == {
        "date": ["The date field must be a valid date in Y-m-d format."]
    }


# --- daily attendance ----------------------------------------------------------------------------


async def test_daily_attendance_tells_who_was_present_absent_or_on_leave(
    fake: FakeWebWork, api: Api, site: Worksite, crew: dict[str, int]
) -> None:
    work(fake, site, "2026-01-07", "09:00", 100)
    work(fake, site, "2026-01-07", "13:00", 20)
    policy = fake.add_leave_policy(site.ws, name="Vacation", days_per_year=20)["id"]
    period = {"policy_id": policy, "start": "2026-01-06", "end": "2026-01-08"}
    fake.add_leave(site.ws, user_id=crew["bo"], status="approved", **period)
    fake.add_leave(site.ws, user_id=100, **period)  # pending: not on leave
    fake.add_member(site.ws, email="gone@example.com", deleted_at="2025-12-31")
    data = await report(api, site, "daily-attendance", ATTENDANCE, date="2026-01-07")
    assert data == [
        {"user_id": 100, "user_name": "Casey Caller", "statuses": ["Absent"],
         "tracked_minutes": 0, "break_minutes": 0, "breaks": []},
        {"user_id": site.user, "user_name": "Ann Lee", "statuses": ["Present"],
         "tracked_minutes": 120, "break_minutes": 0, "breaks": []},
        {"user_id": crew["bo"], "user_name": "Bo Park", "statuses": ["On leave"],
         "tracked_minutes": 0, "break_minutes": 0, "breaks": []},
    ]  # fmt: skip

    async def who(**params: Any) -> list[int]:
        found = await report(api, site, "daily-attendance", ATTENDANCE, date="2026-01-07",
                             **params)  # fmt: skip
        return [item["user_id"] for item in found]

    assert await who(status="absent") == [100]
    assert await who(status="on_leave,absent") == [100, crew["bo"]]
    assert await who(status="late,left_early,tracked_less") == []
    assert await who(users=f"{site.user},{crew['bo']},999") == [site.user, crew["bo"]]
    assert await who(users=crew["bo"], status="absent") == []
    work(fake, site, "2026-01-07", "09:00", 30, user_id=crew["bo"], contract_id=crew["contract"])
    both = await report(api, site, "daily-attendance", ATTENDANCE, date="2026-01-07",
                        users=crew["bo"])  # fmt: skip
    assert both[0]["statuses"] == ["Present", "On leave"]
    assert await errors(api, site, "daily-attendance", date="2026-01-07", status="late,early") == {
        "status.1": ["The selected status.1 is invalid."]
    }


# --- task report ---------------------------------------------------------------------------------


async def test_task_report_sums_each_users_tasks_in_all_and_per_day(
    fake: FakeWebWork, api: Api, site: Worksite, crew: dict[str, int]
) -> None:
    work(fake, site, "2026-01-08", "09:00", 30, task_id=site.task)
    work(fake, site, "2026-01-08", "10:00", 15, task_id=site.task)
    work(fake, site, "2026-01-09", "09:00", 20)
    work(fake, site, "2026-01-09", "11:00", 5, task_id=site.task)
    work(fake, site, "2026-01-09", "09:00", 40, user_id=crew["bo"], contract_id=crew["contract"],
         task_id=crew["task"])  # fmt: skip
    work(fake, site, "2026-02-01", "09:00", 60)  # after the range
    data = await report(api, site, "task-report", TASKS, **JAN)
    homepage = {"task_id": site.task, "task_title": "Homepage", "project_id": site.project,
                "project_name": "Website"}  # fmt: skip
    no_task = {"task_id": None, "task_title": None, "project_id": site.project,
               "project_name": "Website"}  # fmt: skip
    api_task = {"task_id": crew["task"], "task_title": "API", "project_id": crew["backend"],
                "project_name": "Backend"}  # fmt: skip
    assert data == [
        {"user_id": site.user, "user_name": "Ann Lee", "total_minutes": 70,
         "tasks_breakdown": [{**homepage, "total_minutes": 50}, {**no_task, "total_minutes": 20}],
         "daily_breakdown": {
             "2026-01-08": [{**homepage, "total_minutes": 45}],
             "2026-01-09": [{**no_task, "total_minutes": 20}, {**homepage, "total_minutes": 5}],
         }},
        {"user_id": crew["bo"], "user_name": "Bo Park", "total_minutes": 40,
         "tasks_breakdown": [{**api_task, "total_minutes": 40}],
         "daily_breakdown": {"2026-01-09": [{**api_task, "total_minutes": 40}]}},
    ]  # fmt: skip

    async def totals(**params: Any) -> dict[int, int]:
        found = await report(api, site, "task-report", TASKS, **JAN, **params)
        return {item["user_id"]: item["total_minutes"] for item in found}

    assert await totals(include_no_task="false") == {site.user: 50, crew["bo"]: 40}
    assert await totals(include_no_task="true", users=crew["bo"]) == {crew["bo"]: 40}
    assert await totals(project_id=f"{crew['backend']},999") == {crew["bo"]: 40}
    assert await totals(task_id=site.task) == {site.user: 50}
    assert await totals(users=f"{site.user},{crew['bo']}", task_id=crew["task"]) == {
        site.user: 0, crew["bo"]: 40,
    }  # fmt: skip


# --- activity level ------------------------------------------------------------------------------


async def test_activity_level_has_a_level_per_day_with_entries(
    fake: FakeWebWork, api: Api, site: Worksite, crew: dict[str, int]
) -> None:
    work(fake, site, "2026-01-09", "09:00", 20)
    work(fake, site, "2026-01-08", "09:00", 30)
    work(fake, site, "2026-01-08", "14:00", 30, contract_id=None)
    work(fake, site, "2026-01-12", "09:00", 5, user_id=crew["bo"], contract_id=crew["contract"])
    data = await report(api, site, "activity-level", ACTIVITY, **JAN)
    assert data == [
        {"user_id": site.user, "user_name": "Ann Lee", "average": 75.0,
         "days": {"2026-01-08": 75.0, "2026-01-09": 75.0}},
        {"user_id": crew["bo"], "user_name": "Bo Park", "average": 75.0,
         "days": {"2026-01-12": 75.0}},
    ]  # fmt: skip
    on_contract = await report(api, site, "activity-level", ACTIVITY, **JAN,
                               contract_id=crew["contract"])  # fmt: skip
    assert [item["user_id"] for item in on_contract] == [crew["bo"]]
    asked = await report(api, site, "activity-level", ACTIVITY, start_date="2026-01-09",
                         end_date="2026-01-10", user_ids=f"{crew['bo']},{site.user}")  # fmt: skip
    assert [(item["user_id"], item["days"], item["average"]) for item in asked] == [
        (site.user, {"2026-01-09": 75.0}, 75.0), (crew["bo"], {}, None),
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["task-report", "activity-level"])
@pytest.mark.parametrize(
    ("params", "expected"),
    [({}, {"start_date": ["The start date field is required."],
           "end_date": ["The end date field is required."]}),
     ({"start_date": "2026-01-01", "end_date": "2026-02-01"}, TOO_LONG),
     ({"start_date": "2026-01-31", "end_date": "2026-01-30"}, BEFORE),
     ({**JAN, "users": "a", "user_ids": "0", "contract_id": "x", "include_no_task": "maybe"},
      None)],
)  # fmt: skip
async def test_range_reports_need_a_range_of_31_days_at_most(
    api: Api, site: Worksite, name: str, params: dict[str, Any], expected: Any
) -> None:
    found = await errors(api, site, name, **params)
    if expected is not None:
        assert found == expected
    elif name == "task-report":
        assert found == {
            "users.0": ["The users.0 field must be an integer."],
            "include_no_task": ["The include no task field must be true or false."],
        }
    else:
        assert found == {
            "contract_id": ["The contract id field must be an integer."],
            "user_ids.0": ["The user ids.0 field must be at least 1."],
        }


async def test_a_range_of_31_days_is_fine(fake: FakeWebWork, api: Api, site: Worksite) -> None:
    work(fake, site, "2026-01-31", "09:00", 10)
    for name, message in (("task-report", TASKS), ("activity-level", ACTIVITY)):
        found = await report(api, site, name, message, start_date="2026-01-01",
                             end_date="2026-01-31")  # fmt: skip
        assert [item["user_id"] for item in found] == [site.user]
        one_day = await report(api, site, name, message, start_date="2026-01-31",
                               end_date="2026-01-31")  # fmt: skip
        assert len(one_day) == 1


# --- access --------------------------------------------------------------------------------------


async def test_routes_are_for_owners_and_executive_managers(fake: FakeWebWork, api: Api) -> None:
    regular = fake.add_workspace(role="Regular User")
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "time-entries", {"user_id": 100, "date": "2026-01-29"}),
        ("POST", "time-entries", {"user_id": 100, "date": "2026-01-29", "start_time": "09:00",
                                  "end_time": "10:00"}),
        ("PUT", "time-entries/a1b2", {"notes": "x"}),
        ("DELETE", "time-entries/a1b2", {}),
        ("GET", "leaves", {}),
        ("POST", "leaves", {"user_id": 100, "policy_id": 1, "start": "2026-02-10",
                            "end": "2026-02-10"}),
        ("GET", "leaves/balances", {"date_from": "2026-01-01", "date_to": "2026-12-31"}),
        ("GET", "expenses", {}),
        ("POST", "expenses", {"expense_name": "Taxi", "date": "2026-01-29", "amount": 1,
                              "category_id": "c1"}),
        ("PUT", "expenses/a1b2", {"amount": 2}),
        ("GET", "reports/tracked-hours", {}),
        ("GET", "reports/daily-timeline", {"date": "2026-01-07"}),
        ("GET", "reports/daily-attendance", {"date": "2026-01-07"}),
        ("GET", "reports/task-report", JAN),
        ("GET", "reports/activity-level", JAN),
    ]  # fmt: skip
    await check.forbidden(api, regular, calls)
    await check.answers(api, 999, calls, 404, "Workspace not found")
