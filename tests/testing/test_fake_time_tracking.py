"""Time Tracking routes of the fake WebWork server, checked over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import fake_checks as check
import pytest
from fake_helpers import WORK_422, Api, Worksite, foreign_work

from webwork_async.testing import FakeWebWork

STARTED = "Time tracking started successfully"
STOPPED = "Time tracking stopped successfully"
START_KEYS = [
    "message", "start_time", "contract_id", "project_id", "task_id", "activity_description",
    "user_id", "user_name", "user_email", "project_name",
]  # fmt: skip
CURRENT_KEYS = [
    "contract_id", "user_id", "activity_description", "task_id", "task_title", "total_seconds",
    "total_minutes", "date",
]  # fmt: skip


async def start(api: Api, site: Worksite, **fields: Any) -> Any:
    return await api.call("POST", "time-tracking/start", json=site.work(**fields))


async def stop(api: Api, workspace_id: int, **fields: Any) -> Any:
    return await api.call(
        "POST", "time-tracking/stop", json={"workspace_id": workspace_id, **fields}
    )


async def current(api: Api, workspace_id: int, user_id: Any) -> Any:
    return await api.get("time-tracking/current-data", workspace_id=workspace_id, user_id=user_id)


# --- start ---------------------------------------------------------------------------------------


async def test_start_answers_the_started_tracker(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    reply = await start(api, site, task_id=site.task, activity_description="Writing docs")
    data = check.success(reply, STARTED)
    assert list(data) == START_KEYS
    assert data["message"] == STARTED
    check.recent(data["start_time"])
    assert (data["contract_id"], data["project_id"], data["task_id"]) == (
        site.contract, site.project, site.task,
    )  # fmt: skip
    assert (data["user_id"], data["user_name"], data["user_email"]) == (
        site.user, "Ann Lee", "ann@example.com",
    )  # fmt: skip
    assert (data["activity_description"], data["project_name"]) == ("Writing docs", "Website")
    assert fake.running_trackers(site.ws) == [
        {"user_id": site.user, "contract_id": site.contract, "project_id": site.project,
         "task_id": site.task, "activity_description": "Writing docs",
         "start_time": data["start_time"]},
    ]  # fmt: skip
    assert fake.time_entries(site.ws) == []


async def test_start_without_a_task_or_description(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    data = check.success(await start(api, site, task_id=None), STARTED)
    assert (data["task_id"], data["activity_description"]) == (None, None)
    assert [tracker["user_id"] for tracker in fake.running_trackers(site.ws)] == [site.user]


async def test_start_400_while_a_tracker_runs(fake: FakeWebWork, api: Api, site: Worksite) -> None:
    first = check.success(await start(api, site), STARTED)
    check.error(
        await start(api, site, task_id=site.task), 400, "The user already has a running tracker"
    )
    (tracker,) = fake.running_trackers(site.ws)
    assert (tracker["start_time"], tracker["task_id"]) == (first["start_time"], None)
    # A tracker in another workspace does not count.
    fake.add_member(site.other, email="ann@example.com")
    project = fake.add_project(site.other, name="Elsewhere")["id"]
    contract = fake.add_contract(site.other, project_id=project, user_id=site.user)["id"]
    elsewhere = await start(api, site, workspace_id=site.other, contract_id=contract)
    assert check.success(elsewhere, STARTED)["contract_id"] == contract


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"user_id": None, "contract_id": None},
         {"user_id": ["The user id field is required."],
          "contract_id": ["The contract id field is required."]}),
        ({"user_id": "101", "task_id": 0},
         {"user_id": ["The user id field must be an integer."],
          "task_id": ["The task id field must be at least 1."]}),
        ({"activity_description": "x" * 256},
         {"activity_description":
          ["The activity description field must not be greater than 255 characters."]}),
        ({"activity_description": 5},
         {"activity_description": ["The activity description field must be a string."]}),
        *WORK_422,
    ],
)  # fmt: skip
async def test_start_422(
    fake: FakeWebWork,
    api: Api,
    site: Worksite,
    fields: dict[str, Any],
    errors: dict[str, list[str]],
) -> None:
    assert check.field_errors(await start(api, site, **fields)) == errors
    assert fake.running_trackers(site.ws) == []


async def test_start_needs_the_members_live_contract_and_a_task_of_its_project(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    for fields, wrong in foreign_work(fake, site):
        assert sorted(check.field_errors(await start(api, site, **fields))) == wrong, fields
    assert fake.running_trackers(site.ws) == []


# --- stop ----------------------------------------------------------------------------------------


async def test_stop_turns_the_tracker_into_a_time_entry(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    began = datetime.now(timezone.utc) - timedelta(minutes=90, seconds=30)
    fake.add_running_tracker(
        site.ws, user_id=site.user, contract_id=site.contract, project_id=site.project,
        task_id=site.task, activity_description="Layout", start_time=began,
    )  # fmt: skip
    reply = await stop(api, site.ws, user_id=site.user)
    data = check.success(reply, STOPPED)
    assert list(data) == ["message", "stopped_at"]
    assert data["message"] == STOPPED
    stopped_at = check.moment(data["stopped_at"])
    assert fake.running_trackers(site.ws) == []
    (entry,) = fake.time_entries(site.ws)
    assert check.moment(entry["start_time"]) == began
    assert entry["end_time"] == data["stopped_at"]
    assert entry["duration_minutes"] == 90
    assert entry["date"] == began.date().isoformat()
    assert {name: entry[name] for name in
            ("user_id", "contract_id", "project_id", "project_name", "task_id", "task_title",
             "activity_description", "method")} == {
        "user_id": site.user, "contract_id": site.contract, "project_id": site.project,
        "project_name": "Website", "task_id": site.task, "task_title": "Homepage",
        "activity_description": "Layout", "method": "Web tracker",
    }  # fmt: skip
    assert stopped_at >= began
    check.error(await stop(api, site.ws, user_id=site.user), 400, "No running tracker found")


async def test_start_then_stop_over_http(fake: FakeWebWork, api: Api, site: Worksite) -> None:
    started = check.success(await start(api, site), STARTED)
    stopped = check.success(await stop(api, site.ws, user_id=site.user), STOPPED)
    (entry,) = fake.time_entries(site.ws)
    assert (entry["start_time"], entry["end_time"]) == (
        started["start_time"],
        stopped["stopped_at"],
    )
    assert (entry["duration_minutes"], entry["method"]) == (0, "Web tracker")
    assert fake.running_trackers(site.ws) == []


async def test_stop_without_user_stops_the_callers_own_tracker(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    check.error(await stop(api, site.ws), 400, "No running tracker found")
    fake.add_running_tracker(site.ws, user_id=site.user, contract_id=site.contract)
    check.error(await stop(api, site.ws, user_id=None), 400, "No running tracker found")
    fake.add_running_tracker(site.ws, user_id=100)
    check.success(await stop(api, site.ws), STOPPED)
    assert [tracker["user_id"] for tracker in fake.running_trackers(site.ws)] == [site.user]
    assert [entry["user_id"] for entry in fake.time_entries(site.ws)] == [100]


async def test_stop_400_for_a_tracker_of_another_workspace(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    fake.add_member(site.other, email="ann@example.com")
    fake.add_running_tracker(site.other, user_id=site.user)
    check.error(await stop(api, site.ws, user_id=site.user), 400, "No running tracker found")
    assert len(fake.running_trackers(site.other)) == 1


@pytest.mark.parametrize(
    ("user_id", "message"),
    [(999, "The selected user id is invalid."), ("101", "The user id field must be an integer."),
     (0, "The user id field must be at least 1.")],
)  # fmt: skip
async def test_stop_422(
    fake: FakeWebWork, api: Api, site: Worksite, user_id: Any, message: str
) -> None:
    fake.add_running_tracker(site.ws, user_id=site.user)
    assert check.field_errors(await stop(api, site.ws, user_id=user_id)) == {"user_id": [message]}
    assert len(fake.running_trackers(site.ws)) == 1


# --- current-data --------------------------------------------------------------------------------


async def test_current_data_adds_the_running_minutes_to_the_days_entries(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    began = datetime(2024, 1, 15, 8, 0, 0, tzinfo=timezone.utc)
    fake.add_running_tracker(
        site.ws, user_id=site.user, contract_id=site.contract, task_id=site.task,
        activity_description="Layout", start_time=began,
    )  # fmt: skip
    for start, end, user in [
        ("2024-01-15T01:00:00Z", "2024-01-15T01:45:30Z", site.user),  # 45 minutes that day
        ("2024-01-15T03:00:00Z", "2024-01-15T03:20:00Z", site.user),  # 20 more
        ("2024-01-14T03:00:00Z", "2024-01-14T05:00:00Z", site.user),  # another day
        ("2024-01-15T03:00:00Z", "2024-01-15T05:00:00Z", 100),  # another member
    ]:
        fake.add_time_entry(site.ws, user_id=user, start_time=start, end_time=end)
    reply = await current(api, site.ws, site.user)
    data = check.success(reply, "Current tracker data retrieved successfully")
    assert list(data) == CURRENT_KEYS
    assert {name: data[name] for name in CURRENT_KEYS[:5]} == {
        "contract_id": site.contract, "user_id": site.user, "activity_description": "Layout",
        "task_id": site.task, "task_title": "Homepage",
    }  # fmt: skip
    assert data["date"] == "2024-01-15"
    assert 0 <= data["total_seconds"] < 60
    running = (data["total_minutes"] - 65) * 60 + data["total_seconds"]  # the tracker's seconds
    assert abs(began + timedelta(seconds=running) - datetime.now(timezone.utc)) <= check.CLOCK_SLACK


async def test_current_data_of_a_tracker_started_over_http(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    started = check.success(await start(api, site), STARTED)
    data = check.success(
        await current(api, site.ws, site.user), "Current tracker data retrieved successfully"
    )
    assert (data["contract_id"], data["task_id"], data["task_title"]) == (site.contract, None, None)
    assert data["date"] == started["start_time"][:10]
    elapsed = data["total_minutes"] * 60 + data["total_seconds"]
    assert timedelta(seconds=elapsed) <= check.CLOCK_SLACK


async def test_current_data_is_null_without_a_running_tracker(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    assert check.success(await current(api, site.ws, site.user), "No running tracker") is None
    fake.add_running_tracker(site.ws, user_id=100)
    assert check.success(await current(api, site.ws, site.user), "No running tracker") is None


@pytest.mark.parametrize(
    ("user_id", "message"),
    [(None, "The user id field is required."), ("abc", "The user id field must be an integer."),
     (999, "The selected user id is invalid.")],
)  # fmt: skip
async def test_current_data_422(api: Api, site: Worksite, user_id: Any, message: str) -> None:
    params = (
        {"workspace_id": site.ws}
        if user_id is None
        else {"workspace_id": site.ws, "user_id": user_id}
    )
    reply = await api.get("time-tracking/current-data", **params)
    assert check.field_errors(reply) == {"user_id": [message]}


async def test_routes_are_for_owners_and_executive_managers(fake: FakeWebWork, api: Api) -> None:
    regular = fake.add_workspace(role="Regular User")
    await check.forbidden(api, regular, [
        ("POST", "time-tracking/start", {"user_id": 100, "contract_id": 1}),
        ("POST", "time-tracking/stop", {}),
        ("GET", "time-tracking/current-data", {"user_id": 100}),
        ("GET", "timesheets", {}),
        ("PUT", "timesheets/a1b2/approve", {}),
        ("PUT", "timesheets/a1b2/reject", {"reason": "No"}),
        ("PUT", "timesheets/a1b2/submit", {}),
        ("PUT", "timesheets/a1b2/unsubmit", {}),
        ("GET", "time-requests", {}),
        ("POST", "time-requests", {"user_id": 100, "contract_id": 1,
                                   "start": "2024-01-15T09:00:00Z", "end": "2024-01-15T10:00:00Z"}),
        ("GET", "time-requests/a1b2", {}),
        ("POST", "time-requests/a1b2/approve", {}),
        ("POST", "time-requests/a1b2/reject", {"comment": "No"}),
    ])  # fmt: skip
    await check.answers(api, 999, [("POST", "time-tracking/stop", {})], 404, "Workspace not found")
