"""The operations table: how arguments are checked and placed, without any I/O.

Every resource method hands its ``locals()`` to an ``Operation``; these tests hold the rules
that all the operations share, and check that the table and the methods agree.
"""

from __future__ import annotations

import datetime
import inspect

import pytest
from msgspec import UNSET

from webwork_async import AsyncSession, InvalidArgumentError, TaskStatus, WebhookEvent
from webwork_async.resources import _operations
from webwork_async.resources._base import Resource
from webwork_async.resources._operations import ARGUMENT_CHECKS, Operation
from webwork_async.resources.raw import RawResource

# Parameters that are never fields of a request.
NOT_FIELDS = {"self", "options", "page", "per_page", "progress", "workspace_ids", "projects"}


def resources() -> dict[str, Resource]:
    """The session's API groups (not ``ww.api``, which takes any method and path)."""
    session = AsyncSession(token="t", base_url="http://127.0.0.1:9/api/v2/")
    return {
        name: value
        for name, value in vars(session).items()
        if isinstance(value, Resource) and not isinstance(value, RawResource)
    }


def operations() -> list[tuple[str, Operation[object]]]:
    import webwork_async.resources as package

    found = []
    for module_name in package.__all__:
        module = inspect.getmodule(getattr(package, module_name))
        for name, value in vars(module).items():
            if isinstance(value, Operation):
                found.append((f"{module.__name__.rsplit('.', 1)[1]}.{name}", value))
    return found


def test_there_are_63_operations_and_each_is_reached_from_the_session() -> None:
    # 36 in reference §1, less GET /webhooks/{id}, which API v2 does not document; the 28 of
    # reference-time with a known method and path.
    methods = [
        (group, name)
        for group, resource in resources().items()
        for name, member in inspect.getmembers(type(resource), inspect.isfunction)
        if not name.startswith("_") and not name.endswith("_many")
    ]
    assert len(methods) == 63
    # A list operation serves both list and list_many (tracked hours has a second operation
    # object for the same endpoint: the one of one user, whose range is bounded).
    assert len({(op.method, op.path) for _, op in operations()}) == 63


def test_every_argument_of_every_method_has_a_check() -> None:
    for group, resource in resources().items():
        for name, method in inspect.getmembers(type(resource), inspect.isfunction):
            if name.startswith("_"):
                continue
            for parameter in inspect.signature(method).parameters:
                if parameter not in NOT_FIELDS:
                    assert parameter in ARGUMENT_CHECKS, f"{group}.{name}({parameter})"


def test_every_path_id_has_a_check_and_each_required_name_too() -> None:
    for name, operation in operations():
        for field in operation.required | set(_operations._path_ids(operation.path)):
            assert field in ARGUMENT_CHECKS, f"{name}: {field}"


def test_a_get_sends_fields_in_the_query_and_a_write_in_the_body_delete_included() -> None:
    read = Operation[None]("GET", "things/{task_id}")
    assert read.prepare({"task_id": 5, "workspace_id": 1, "email": None}) == (
        "things/5",
        {"workspace_id": 1},
        None,
    )
    delete = Operation[None]("DELETE", "things/{task_id}")
    assert delete.prepare({"task_id": 5, "workspace_id": 1}) == (
        "things/5",
        None,
        {"workspace_id": 1},
    )


def test_none_is_left_out_of_a_create_but_a_required_none_is_refused() -> None:
    create = Operation[None]("POST", "tasks", required=frozenset({"workspace_id", "title"}))
    assert create.prepare({"workspace_id": 1, "title": "T", "description": None}).body == {
        "workspace_id": 1,
        "title": "T",
    }
    with pytest.raises(InvalidArgumentError) as caught:
        create.prepare({"workspace_id": 1, "title": None})
    assert caught.value.argument == "title"


def test_an_update_leaves_out_unset_sends_none_as_null_and_needs_a_change() -> None:
    update = Operation[None]("PUT", "tasks/{task_id}", partial=True)
    prepared = update.prepare(
        {"task_id": 3, "workspace_id": 1, "title": UNSET, "description": None}
    )
    assert prepared.body == {"workspace_id": 1, "description": None}
    with pytest.raises(InvalidArgumentError, match="at least one field"):
        update.prepare({"task_id": 3, "workspace_id": 1, "title": UNSET})
    with pytest.raises(InvalidArgumentError) as caught:
        update.prepare({"task_id": 3, "workspace_id": 1, "title": None})  # title cannot clear
    assert caught.value.argument == "title"


def test_enum_members_and_plain_values_are_sent_as_plain_values() -> None:
    create = Operation[None]("POST", "tasks", checks=_operations.TASK_STATUS)
    body = create.prepare({"workspace_id": 1, "status": TaskStatus.DONE}).body
    assert body == {"workspace_id": 1, "status": 20}
    assert type(body["status"]) is int  # type: ignore[index]
    events = Operation[None]("POST", "webhooks").prepare(
        {"workspace_id": 1, "events": [WebhookEvent.TRACKER_STARTED, "tracker.stopped"]}
    )
    assert events.body == {"workspace_id": 1, "events": ["tracker.started", "tracker.stopped"]}
    with pytest.raises(InvalidArgumentError, match=r"events\[1\]"):
        Operation[None]("POST", "webhooks").prepare(
            {"workspace_id": 1, "events": ["tracker.started", "y"]}
        )


def test_dates_in_order_and_ids_quoted_into_the_path() -> None:
    create = Operation[None]("POST", "tasks")
    with pytest.raises(InvalidArgumentError) as caught:
        create.prepare(
            {"workspace_id": 1, "start_date": "2024-02-01", "end_date": datetime.date(2024, 1, 1)}
        )
    assert caught.value.argument == "end_date"
    hook = Operation[None]("PUT", "webhooks/{webhook_id}")
    assert hook.prepare({"webhook_id": "abc+12=", "workspace_id": 1}).path == "webhooks/abc%2B12%3D"
    with pytest.raises(InvalidArgumentError, match="webhook_id"):
        hook.prepare({"webhook_id": "../members", "workspace_id": 1})


def test_any_of_and_a_fan_out_supplying_the_scope() -> None:
    listing = Operation[None]("GET", "tasks", any_of=("project_id", "contract_id"))
    with pytest.raises(InvalidArgumentError, match="project_id or contract_id"):
        listing.prepare({"workspace_id": 1, "project_id": None, "contract_id": None})
    assert listing.prepare({"workspace_id": 1, "contract_id": 9}).params == {
        "workspace_id": 1,
        "contract_id": 9,
    }
    scoped = Operation[None]("GET", "tasks/{task_id}", required=frozenset({"workspace_id"}))
    assert scoped.prepare({"task_id": 1}, per_workspace=True).params == {}
    with pytest.raises(InvalidArgumentError) as caught:
        scoped.prepare({"task_id": 1})
    assert caught.value.argument == "workspace_id"


def test_date_ranges_and_spans_of_time_are_checked_before_sending() -> None:
    listing = Operation[None]("GET", "timesheets")
    with pytest.raises(InvalidArgumentError) as caught:
        listing.prepare({"workspace_id": 1, "date_from": "2024-02-01", "date_to": "2024-01-31"})
    assert caught.value.argument == "date_to"
    same_day = listing.prepare({"workspace_id": 1, "date_from": "2024-02-01", "date_to": None})
    assert same_day.params == {"workspace_id": 1, "date_from": datetime.date(2024, 2, 1)}
    create = Operation[None]("POST", "time-requests")
    utc = datetime.timezone.utc
    start = datetime.datetime(2024, 1, 15, 9, tzinfo=utc)
    body = create.prepare({"workspace_id": 1, "start": start, "end": "2024-01-15T17:00:00Z"}).body
    assert body == {"workspace_id": 1, "start": start, "end": start.replace(hour=17)}
    for end, problem in [
        (start, "not after start"),
        ("2024-01-15T08:00:00+00:00", "is before start"),
        (datetime.datetime(2024, 1, 15, 17), "aware"),
        ("tomorrow", "ISO 8601"),
    ]:
        with pytest.raises(InvalidArgumentError, match=problem) as caught:
            create.prepare({"workspace_id": 1, "start": start, "end": end})
        assert caught.value.argument == "end"


TIME_WRITES = {
    "time_tracking._START",
    "time_tracking._STOP",
    "timesheets._APPROVE",
    "timesheets._REJECT",
    "timesheets._SUBMIT",
    "timesheets._UNSUBMIT",
    "time_requests._CREATE",
    "time_requests._APPROVE",
    "time_requests._REJECT",
    "time_entries._CREATE",
    "leaves._CREATE",
    "expenses._CREATE",
}


def test_time_writes_are_never_replayed_whatever_their_method() -> None:
    found = dict(operations())
    assert set(found) >= TIME_WRITES
    for name in TIME_WRITES:
        operation = found[name]
        replayable = operation.idempotent
        if replayable is None:
            replayable = operation.method in ("GET", "PUT", "DELETE")
        assert replayable is False, name
    assert {found[name].method for name in TIME_WRITES} == {"POST", "PUT"}


def test_times_of_day_report_ranges_and_flags_are_checked_and_sent_as_the_api_writes_them() -> None:
    entry = Operation[None]("POST", "time-entries")
    body = entry.prepare(
        {"workspace_id": 1, "start_time": datetime.time(9, 5), "end_time": "17:30"}
    ).body
    assert body == {"workspace_id": 1, "start_time": "09:05", "end_time": "17:30"}
    for start, end, problem in [
        ("17:30", "09:00", "not after start_time"),
        ("9am", "10:00", "HH:MM"),
        (datetime.time(9, 0, 30), "10:00", "whole minutes"),
    ]:
        with pytest.raises(InvalidArgumentError, match=problem):
            entry.prepare({"workspace_id": 1, "start_time": start, "end_time": end})
    report = Operation[None]("GET", "reports/task-report", max_days=31)
    january = {"workspace_id": 1, "start_date": "2024-01-01", "end_date": "2024-01-31"}
    assert report.prepare(january).params is not None
    with pytest.raises(InvalidArgumentError, match="32 days") as caught:
        report.prepare({**january, "end_date": "2024-02-01"})
    assert caught.value.argument == "end_date"
    leaves = Operation[None]("GET", "leaves")
    assert leaves.prepare({"workspace_id": 1, "is_paid": True}).params == {
        "workspace_id": 1,
        "is_paid": "yes",
    }
    with pytest.raises(InvalidArgumentError, match="is_billable"):
        Operation[None]("POST", "expenses").prepare({"workspace_id": 1, "is_billable": 1})


def test_array_filters_go_comma_separated_into_the_query() -> None:
    from webwork_async._protocol import encode_query

    prepared = Operation[None]("GET", "reports/tracked-hours").prepare(
        {"workspace_id": 1, "users": [3, 1, 3], "currencies": ["USD", "EUR"]}
    )
    assert encode_query(prepared.params or {}) == {
        "workspace_id": "1",
        "users": "3,1",
        "currencies": "USD,EUR",
    }


def test_a_required_argument_given_as_none_is_refused_even_where_its_check_allows_none() -> None:
    listing = Operation[None]("GET", "time-entries", required=frozenset({"workspace_id", "date"}))
    for arguments in ({"workspace_id": 1, "date": None}, {"workspace_id": 1}):
        with pytest.raises(InvalidArgumentError, match="required") as caught:
            listing.prepare(arguments)
        assert caught.value.argument == "date"
