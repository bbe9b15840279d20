"""The client against Prism serving ``spec/webwork-v2.openapi.yaml``.

Static mode: every operation once, through the client's own method; Prism checks each request
against the spec (``--errors``: a request the spec refuses gets an error answer, which the client
raises) and answers with the spec's example, which must come back decoded exactly as msgspec
decodes the example into the same model (or the result the method makes of it, as a new time
entry's ``saved_minutes`` beside it). Lists also go through ``async for`` and ``list_many`` (or
the report's ``<name>_many``), and the tracked-hours report through ``tracked_hours_many``, whose
items are the report's rows.

Dynamic mode: Prism generates answers from the schemas, extra properties included, with a few
fixed seeds (repeatable runs, different data per seed); every operation once per seed, with no
decode failure and no item error.

:data:`CALLS` holds one line per operation: a new operation is one more line.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
import pytest_asyncio
from prism import PrismMissingError, PrismMode, prism_binary, prism_mocks
from spec_helpers import SPEC_PATH, operation, operations, ref_name

from webwork_async import AsyncPaginator, AsyncSession, Pagination
from webwork_async.models import AttendanceFilter, LeavePeriod, LeaveStatus, TimeEntrySaved, _base

#: The async tests share the loop of the module-scoped Prism fixture.
in_module_loop = pytest.mark.asyncio(loop_scope="module")

TOKEN = "prism-accepts-any-bearer-token"
#: Seeds of the dynamic mode; each gives every list a few items (some seeds give empty lists).
SEEDS = (1, 2, 4)
W = 1  # a workspace id
DAY, LATER = "2024-01-15", "2024-03-31"
WEEK_END = "2024-01-21"  # reports take 31 days at most
START = datetime.datetime(2024, 1, 15, 9, 0, tzinfo=datetime.timezone.utc)
END = datetime.datetime(2024, 1, 15, 17, 0, tzinfo=datetime.timezone.utc)
TIMESHEET = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"  # the spec's example ids
TIME_REQUEST = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
TIME_ENTRY = "9b2e4f6a-1c3d-4e5f-8a7b-0c1d2e3f4a5b"
EXPENSE = "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
CATEGORY = "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b"


@dataclass(frozen=True)
class Call:
    """One operation called the way a user calls it."""

    operation_id: str
    run: Callable[[AsyncSession], Any]
    #: For lists: the same list over several workspaces, with ``list_many``.
    many: Callable[[AsyncSession], Any] | None = None
    #: The method's result from the example answer and its decoded ``data``, when the result is
    #: more than ``data`` (``saved_minutes`` beside the new time entry).
    result: Callable[[dict[str, Any], Any], Any] | None = None
    #: A workspace's items of ``many`` from the decoded ``data``, when they are not its items
    #: (the rows of a report answered as one object).
    items: Callable[[Any], list[Any]] | None = None


CALLS = [
    Call("getworkspaces", lambda ww: ww.workspaces.list()),
    # Members
    Call(
        "getmembers",
        lambda ww: ww.members.list(workspace_id=W, status="active", role="Regular User"),
        lambda ww: ww.members.list_many([W, 2]),
    ),
    Call(
        "invitemember",
        lambda ww: ww.members.invite(
            workspace_id=W,
            email="john.doe@example.com",
            firstname="John",
            lastname="Doe",
            role="Regular User",
        ),
    ),
    Call("getmember", lambda ww: ww.members.get(100, workspace_id=W)),
    Call(
        "updatemember",
        lambda ww: ww.members.update(
            100,
            workspace_id=W,
            role="Project manager",
            timezone="America/New_York",
            rate_status=True,
            weekly_hours_limit=40,
            remove_avatar=False,
        ),
    ),
    Call("deletemember", lambda ww: ww.members.delete(100, workspace_id=W)),
    # Projects
    Call(
        "getprojects",
        lambda ww: ww.projects.list(workspace_id=W, name="Marketing"),
        lambda ww: ww.projects.list_many([W, 2]),
    ),
    Call(
        "createproject",
        lambda ww: ww.projects.create(
            workspace_id=W,
            name="Marketing Campaign Q1",
            start_date=DAY,
            deadline=LATER,
            estimation=120,
            budget=5000,
            notes="Focus on social media channels",
            icon="project-icon-1",
        ),
    ),
    Call("getproject", lambda ww: ww.projects.get(100, workspace_id=W)),
    Call(
        "updateproject",
        lambda ww: ww.projects.update(100, workspace_id=W, name="Renamed", notes=None),
    ),
    Call("deleteproject", lambda ww: ww.projects.delete(100, workspace_id=W)),
    # Contracts
    Call(
        "getcontracts",
        lambda ww: ww.contracts.list(workspace_id=W, project_id=100, status="active"),
        lambda ww: ww.contracts.list_many([W, 2]),
    ),
    Call(
        "createcontract",
        lambda ww: ww.contracts.create(
            workspace_id=W,
            project_id=100,
            user_id=100,
            weekly_hours_limit=40,
            screenshots="full",
            rate=50,
        ),
    ),
    Call("getcontract", lambda ww: ww.contracts.get(100, workspace_id=W)),
    Call(
        "updatecontract",
        lambda ww: ww.contracts.update(100, workspace_id=W, status="paused", rate=55),
    ),
    Call("deletecontract", lambda ww: ww.contracts.delete(100, workspace_id=W)),
    # Tasks
    Call(
        "gettasks",
        lambda ww: ww.tasks.list(workspace_id=W, project_id=100, status=10, priority=20),
        lambda ww: ww.tasks.list_many([(W, 100), (2, 100)]),
    ),
    Call(
        "createtask",
        lambda ww: ww.tasks.create(
            workspace_id=W,
            project_id=100,
            title="Implement user authentication",
            description="Add OAuth2 authentication support",
            status=0,
            priority=20,
            start_date=DAY,
            end_date=LATER,
            assignees=[100, 101],
        ),
    ),
    Call("gettask", lambda ww: ww.tasks.get(500, workspace_id=W, project_id=100)),
    Call(
        "updatetask",
        lambda ww: ww.tasks.update(
            500, workspace_id=W, project_id=100, title="Renamed", status=10, end_date=None
        ),
    ),
    Call("deletetask", lambda ww: ww.tasks.delete(500, workspace_id=W, project_id=100)),
    Call("assigntask", lambda ww: ww.tasks.assign(500, 101, workspace_id=W, project_id=100)),
    Call("unassigntask", lambda ww: ww.tasks.unassign(500, 101, workspace_id=W, project_id=100)),
    Call("gettaskassignees", lambda ww: ww.tasks.assignees(500, workspace_id=W, project_id=100)),
    # Project viewers
    Call(
        "getprojectviewers",
        lambda ww: ww.project_viewers.list(workspace_id=W, email="viewer@example.com"),
        lambda ww: ww.project_viewers.list_many([W, 2]),
    ),
    Call(
        "createprojectviewer",
        lambda ww: ww.project_viewers.create(
            workspace_id=W, email="viewer@example.com", firstname="John", lastname="Doe"
        ),
    ),
    Call("getprojectviewer", lambda ww: ww.project_viewers.get(100, workspace_id=W)),
    Call("deleteprojectviewer", lambda ww: ww.project_viewers.delete(100, workspace_id=W)),
    Call("restoreprojectviewer", lambda ww: ww.project_viewers.restore(100, workspace_id=W)),
    Call(
        "assignprojecttoviewer",
        lambda ww: ww.project_viewers.assign_project(100, workspace_id=W, project_id=100),
    ),
    Call(
        "unassignprojectfromviewer",
        lambda ww: ww.project_viewers.unassign_project(100, workspace_id=W, project_id=100),
    ),
    # Webhooks
    Call(
        "getwebhooks",
        lambda ww: ww.webhooks.list(workspace_id=W),
        lambda ww: ww.webhooks.list_many([W, 2]),
    ),
    Call(
        "createwebhook",
        lambda ww: ww.webhooks.create(
            workspace_id=W,
            url="https://example.com/webhook/endpoint",
            events=["tracker.started", "tracker.stopped"],
        ),
    ),
    Call(
        "updatewebhook",
        lambda ww: ww.webhooks.update(
            "abc123def456",
            workspace_id=W,
            url="https://example.com/webhook/other",
            events=["tracker.started"],
        ),
    ),
    Call("deletewebhook", lambda ww: ww.webhooks.delete("abc123def456", workspace_id=W)),
    # Time tracking
    Call(
        "starttimetracking",
        lambda ww: ww.time_tracking.start(
            workspace_id=W,
            user_id=100,
            contract_id=100,
            task_id=500,
            activity_description="Working on API documentation",
        ),
    ),
    Call("stoptimetracking", lambda ww: ww.time_tracking.stop(workspace_id=W, user_id=100)),
    Call("getcurrenttrackerdata", lambda ww: ww.time_tracking.current(workspace_id=W, user_id=100)),
    # Timesheets
    Call(
        "gettimesheets",
        lambda ww: ww.timesheets.list(
            workspace_id=W,
            status="submitted",
            date_from=DAY,
            date_to=LATER,
            user_id=100,
            order_by="desc",
        ),
        lambda ww: ww.timesheets.list_many([W, 2]),
    ),
    Call("approvetimesheet", lambda ww: ww.timesheets.approve(TIMESHEET, workspace_id=W)),
    Call(
        "rejecttimesheet",
        lambda ww: ww.timesheets.reject(
            TIMESHEET, workspace_id=W, reason="Hours do not match project requirements"
        ),
    ),
    Call("submittimesheet", lambda ww: ww.timesheets.submit(TIMESHEET, workspace_id=W)),
    Call("unsubmittimesheet", lambda ww: ww.timesheets.unsubmit(TIMESHEET, workspace_id=W)),
    # Time requests
    Call(
        "gettimerequests",
        lambda ww: ww.time_requests.list(
            workspace_id=W,
            status="pending",
            user_id=100,
            project_id=100,
            date_from=DAY,
            date_to=LATER,
        ),
        lambda ww: ww.time_requests.list_many([W, 2]),
    ),
    Call(
        "createtimerequest",
        lambda ww: ww.time_requests.create(
            workspace_id=W,
            user_id=100,
            contract_id=100,
            start=START,
            end=END,
            notes="Working on project documentation",
            task_id=500,
        ),
    ),
    Call("gettimerequest", lambda ww: ww.time_requests.get(TIME_REQUEST, workspace_id=W)),
    Call("approvetimerequest", lambda ww: ww.time_requests.approve(TIME_REQUEST, workspace_id=W)),
    Call(
        "rejecttimerequest",
        lambda ww: ww.time_requests.reject(
            TIME_REQUEST, workspace_id=W, comment="Time entry conflicts with project schedule"
        ),
    ),
    # Time entries
    Call(
        "gettimeentries",
        lambda ww: ww.time_entries.list(
            workspace_id=W, user_id=100, date=DAY, project_id=100, task_id=500
        ),
        lambda ww: ww.time_entries.list_many([W, 2], user_id=100, date=DAY),
    ),
    Call(
        "createtimeentry",
        lambda ww: ww.time_entries.create(
            workspace_id=W,
            user_id=100,
            date=DAY,
            start_time="09:00",
            end_time=datetime.time(17, 0),
            contract_id=100,
            task_id=500,
            notes="Working on feature implementation",
        ),
        result=lambda answer, entry: TimeEntrySaved(
            saved_minutes=answer["saved_minutes"], message=answer["message"], entry=entry
        ),
    ),
    Call(
        "updatetimeentry",
        lambda ww: ww.time_entries.update(
            TIME_ENTRY,
            workspace_id=W,
            project_id=100,
            task_id=500,
            notes=None,
            end_time="17:30",
        ),
    ),
    Call("deletetimeentry", lambda ww: ww.time_entries.delete(TIME_ENTRY, workspace_id=W)),
    # Leaves
    Call(
        "getleaves",
        lambda ww: ww.leaves.list(
            workspace_id=W,
            policy_id=5,
            is_paid=True,
            status="approved",
            date_from=DAY,
            date_to=LATER,
            user_id=100,
        ),
        lambda ww: ww.leaves.list_many([W, 2], status=LeaveStatus.APPROVED, is_paid="yes"),
    ),
    Call(
        "createleaverequest",
        lambda ww: ww.leaves.create(
            workspace_id=W,
            user_id=100,
            policy_id=5,
            start="2024-02-10",
            end="2024-02-12",
            start_time="09:00",
            end_time="13:00",
            hours_per_day=4,
            leave_period=LeavePeriod.FIRST_HALF,
            reason="I will be out of office for the next 2 days",
        ),
    ),
    Call(
        "getleavebalances",
        lambda ww: ww.leaves.balances(
            workspace_id=W, date_from="2024-01-01", date_to="2024-12-31", user_id=100
        ),
    ),
    # Expenses
    Call(
        "getexpenses",
        lambda ww: ww.expenses.list(workspace_id=W, id=EXPENSE, date_from=DAY, date_to=LATER),
        lambda ww: ww.expenses.list_many([W, 2], date_from=DAY),
    ),
    Call(
        "createexpense",
        lambda ww: ww.expenses.create(
            workspace_id=W,
            expense_name="Office Supplies",
            date=DAY,
            amount=150.5,
            category_id=CATEGORY,
            project_id=100,
            note="Purchased office supplies for Q1",
            is_billable=True,
        ),
    ),
    Call(
        "updateexpense",
        lambda ww: ww.expenses.update(
            EXPENSE, workspace_id=W, amount=175, note="Receipt corrected", is_billable=False
        ),
    ),
    # Reports
    Call(
        "gettrackedhoursreport",
        lambda ww: ww.reports.tracked_hours(
            workspace_id=W,
            start_date=DAY,
            end_date=WEEK_END,
            user_id=100,
            users=[100, 101],
            projects=[100],
            teams=[5],
            titles=[1],
            currencies=["USD"],
        ),
        lambda ww: ww.reports.tracked_hours_many([W, 2], start_date=DAY, end_date=WEEK_END),
        items=lambda report: report.rows(),
    ),
    Call(
        "getdailytimelinereport",
        lambda ww: ww.reports.daily_timeline(workspace_id=W, date=DAY, user_ids=[100, 101]),
        lambda ww: ww.reports.daily_timeline_many([W, 2], date=DAY),
    ),
    Call(
        "getdailyattendancereport",
        lambda ww: ww.reports.daily_attendance(
            workspace_id=W, date=DAY, users=[100, 101], status=[AttendanceFilter.LATE, "absent"]
        ),
        lambda ww: ww.reports.daily_attendance_many([W, 2], date=DAY),
    ),
    Call(
        "gettaskreport",
        lambda ww: ww.reports.task_report(
            workspace_id=W,
            start_date=DAY,
            end_date=WEEK_END,
            users=[100],
            project_id=[100, 101],
            task_id=[500],
            include_no_task=False,
        ),
        lambda ww: ww.reports.task_report_many([W, 2], start_date=DAY, end_date=WEEK_END),
    ),
    Call(
        "getactivitylevelreport",
        lambda ww: ww.reports.activity_level(
            workspace_id=W, start_date=DAY, end_date=WEEK_END, contract_id=100, user_ids=[100]
        ),
        lambda ww: ww.reports.activity_level_many([W, 2], start_date=DAY, end_date=WEEK_END),
    ),
]
CALLS_BY_ID = {call.operation_id: call for call in CALLS}
LISTS = [call for call in CALLS if call.many is not None]


@dataclass(frozen=True)
class Mocks:
    static: str
    dynamic: list[str]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def mocks() -> AsyncIterator[Mocks]:
    """One static and one dynamic Prism per seed, started together for the whole module."""
    try:
        prism_binary()
    except PrismMissingError as missing:
        pytest.fail(str(missing), pytrace=False)
    modes = [PrismMode(), *(PrismMode(dynamic=True, seed=seed) for seed in SEEDS)]
    async with prism_mocks(SPEC_PATH, modes) as (static, *dynamic):
        yield Mocks(static, dynamic)


def _session(base_url: str) -> AsyncSession:
    return AsyncSession(token=TOKEN, base_url=base_url, rate_limit=None, retry=None)


def _data_model(operation_id: str) -> tuple[Any, Any]:
    """The model of the ``data`` of the operation's answer, and its example decoded with it."""
    _status, schema, example = operation(operation_id).success()
    data = schema["properties"]["data"]
    if data.get("type") == "array":
        model: Any = list[_model(ref_name(data["items"]))]
    else:
        name = ref_name(data)
        model = None if name is None else _model(name)
    if model is None:
        return None, example["data"]
    return model, msgspec.json.decode(msgspec.json.encode(example["data"]), type=model)


def _model(name: str | None) -> type[msgspec.Struct]:
    import webwork_async.models as models

    assert name is not None
    found: type[msgspec.Struct] = getattr(models, name, None) or getattr(_base, name)
    return found


def test_every_operation_of_the_spec_has_a_call() -> None:
    assert sorted(call.operation_id for call in CALLS) == sorted(
        op.operation_id for op in operations()
    )


# --- static: the examples come back decoded ----------------------------------------------


@in_module_loop
@pytest.mark.parametrize("call", CALLS, ids=lambda call: call.operation_id)
async def test_static_answer_is_the_example_decoded(mocks: Mocks, call: Call) -> None:
    model, expected = _data_model(call.operation_id)
    if call.result is not None:
        expected = call.result(operation(call.operation_id).success()[2], expected)
    async with _session(mocks.static) as ww:
        result = call.run(ww)
        if isinstance(result, AsyncPaginator):
            page = await result
            assert page.items == expected
            assert page.item_errors == []
            _status, _schema, example = operation(call.operation_id).success()
            assert page.pagination == msgspec.convert(example["meta"]["pagination"], Pagination)
            assert [item async for item in call.run(ww)] == expected
            return
        value = await result
    if model is None or value is None:
        # The method returns nothing (or the answer's data is null in the spec).
        assert value is None
    else:
        assert value == expected


@in_module_loop
@pytest.mark.parametrize("call", LISTS, ids=lambda call: call.operation_id)
async def test_static_list_many_gives_every_workspace_the_example(mocks: Mocks, call: Call) -> None:
    _model_type, expected = _data_model(call.operation_id)
    if call.items is not None:
        expected = call.items(expected)
    assert call.many is not None
    async with _session(mocks.static) as ww:
        results = [result async for result in call.many(ww)]
    assert len(results) == 2
    for result in results:
        assert result.ok, result.error
        assert result.items == expected
        assert result.item_errors == []


# --- dynamic: whatever the schemas allow decodes -------------------------------------------


@in_module_loop
async def test_dynamic_answers_decode_without_errors(mocks: Mocks) -> None:
    problems: list[str] = []
    items = 0
    for base_url in mocks.dynamic:
        async with _session(base_url) as ww:
            for call in CALLS:
                where = f"{call.operation_id} on {base_url}"
                try:
                    result = call.run(ww)
                    if isinstance(result, AsyncPaginator):
                        page = await result
                        items += len(page.items)
                        problems += [f"{where}: item error {e!r}" for e in page.item_errors]
                    else:
                        await result
                except Exception as error:
                    problems.append(f"{where}: {error!r}")
    assert not problems, "\n".join(problems)
    assert items >= len(LISTS), f"only {items} list items decoded: try other SEEDS"
