"""The fake server against the spec: schemathesis sends every operation of
``spec/webwork-v2.openapi.yaml`` to a seeded :class:`FakeWebWork` and checks each answer.

Checks: no 5xx, every status code and content type is one the operation documents, and every
body fits the documented schema of its status. Generation is bounded (``MAX_EXAMPLES`` per
operation and phase) and deterministic (a fixed seed, derandomized Hypothesis, no example
database), so a failure shows up on every run and replays the same way.

The seeded objects carry the ids of the spec's examples (project 100, contract 100, task 500,
webhook "abc123def456", timesheet, time request, time entry, leave and expense UUIDs, leave
policy 5 ...), so that the examples phase reaches real objects; the ids of the fuzzing phase are
steered to seeded ones by :func:`map_case`.

A disagreement found here is settled by the reference: the spec is fixed when it is wrong,
the fake when it is (and the case pinned by a plain test, as the 500 that an object or array in
an enum field once gave).
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import DelimitedValue
from schemathesis.generation.case import Case
from schemathesis.hooks import HookContext
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from spec_helpers import SPEC_PATH

from webwork_async.testing import FakeWebWork

#: Examples per operation and phase: the whole module runs in well under a minute here.
MAX_EXAMPLES = 15
SEED = 20261201

#: The caller owns workspace 1; in workspace 2 the caller is a regular member (403 there).
OWNED, FOREIGN = 1, 2
#: Ids the fuzzing phase is steered to: the examples' ids and a few more.
PROJECT_IDS = (100, 101)
CONTRACT_IDS = (100, 1)
TASK_IDS = (500, 1)
USER_IDS = (100, 101)
VIEWER_IDS = (102, 103)
WEBHOOK_ID = "abc123def456"
#: The spec's example timesheet (submitted) and a second one (open), then the spec's example time
#: request and a second one, both pending.
TIMESHEET_IDS = ("a1b2c3d4-e5f6-7890-abcd-ef1234567890", "0b6f2c1e-9a4d-4e57-8c3b-5d1e7f9a2b64")
TIME_REQUEST_IDS = ("f47ac10b-58cc-4372-a567-0e02b2c3d479", "6c1d9e2a-3b7f-4a85-9d0c-1e2f3a4b5c6d")
#: The spec's example time entry, leave, expense and expense category; its leave policy (day
#: based) and a second, hour-based one.
TIME_ENTRY_ID = "9b2e4f6a-1c3d-4e5f-8a7b-0c1d2e3f4a5b"
LEAVE_ID = "5d7e9f1a-2b3c-4d5e-9f0a-1b2c3d4e5f6a"
EXPENSE_ID = "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
CATEGORY_ID = "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b"
POLICY_IDS = (5, 6)
#: The time groups: their user, contract and task ids are steered too (a tracker, a timesheet,
#: a time request and a time entry name a member, one of their contracts and a task of its
#: project; a leave a member and a policy; the reports filter by members, projects, tasks).
TIME_PATHS = (
    "/time-tracking/",
    "/timesheets",
    "/time-requests",
    "/time-entries",
    "/leaves",
    "/expenses",
    "/reports/",
)

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
        "phases": {"stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_path(SPEC_PATH, config=CONFIG)

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _seed(fake: FakeWebWork) -> None:
    fake.add_workspace(OWNED, name="Owned workspace")
    fake.add_workspace(FOREIGN, name="Someone else's workspace", role="Regular User")
    for project_id in PROJECT_IDS:
        fake.add_project(
            OWNED,
            id=project_id,
            name=f"Project {project_id}",
            start_date="2024-01-15",
            tags=[{"id": project_id, "name": "Tag", "color": None}],
        )
    fake.add_member(OWNED, id=101, email="jane.roe@example.com", title="Designer")
    for contract_id, user_id in zip(CONTRACT_IDS, USER_IDS, strict=True):
        fake.add_contract(OWNED, id=contract_id, project_id=100, user_id=user_id)
    for task_id in TASK_IDS:
        fake.add_task(OWNED, id=task_id, project_id=100, title=f"Task {task_id}", assignees=[100])
    fake.add_viewer(OWNED, id=102, email="viewer@example.com", projects=[100])
    fake.add_viewer(OWNED, id=103, email="archived@example.com", deleted_at="2025-01-01T00:00:00Z")
    fake.add_webhook(OWNED, id=WEBHOOK_ID, url="https://example.com/webhook/endpoint")
    fake.add_time_entry(
        OWNED,
        id=TIME_ENTRY_ID,
        user_id=100,
        contract_id=100,
        task_id=500,
        start_time="2024-01-15T09:00:00Z",
        end_time="2024-01-15T17:00:00Z",
    )
    # User 101 is tracking (stop and current-data find it); the caller, user 100, is not.
    fake.add_running_tracker(OWNED, user_id=101, contract_id=1, task_id=1)
    submitted, still_open = TIMESHEET_IDS
    fake.add_timesheet(
        OWNED,
        id=submitted,
        user_id=100,
        date_from="2024-01-15",
        date_to="2024-01-21",
        status="submitted",
        submitted_on="2024-01-22T10:30:00Z",
    )
    fake.add_timesheet(
        OWNED, id=still_open, user_id=101, date_from="2024-01-15", date_to="2024-01-21"
    )
    for request_id, user_id, contract_id in zip(
        TIME_REQUEST_IDS, USER_IDS, CONTRACT_IDS, strict=True
    ):
        fake.add_time_request(
            OWNED,
            id=request_id,
            user_id=user_id,
            contract_id=contract_id,
            start="2024-01-16T09:00:00Z",
            end="2024-01-16T12:00:00Z",
            notes="Working on project documentation",
        )
    vacation, hours = POLICY_IDS
    fake.add_leave_policy(OWNED, id=vacation, name="Vacation", days_per_year=20)
    fake.add_leave_policy(
        OWNED, id=hours, name="Doctor visits", days_per_year=5, paid=False, hour_based=True
    )
    fake.add_leave(
        OWNED,
        id=LEAVE_ID,
        user_id=100,
        policy_id=vacation,
        start="2024-01-22",
        end="2024-01-24",
        status="approved",
        approved_by=101,
        note="Family vacation",
    )
    fake.add_expense_category(OWNED, id=CATEGORY_ID, name="Office Supplies")
    fake.add_expense(
        OWNED,
        id=EXPENSE_ID,
        expense_name="Office Supplies",
        amount=150.5,
        date="2024-01-15",
        category_id=CATEGORY_ID,
        project_id=100,
        note="Purchased office supplies for Q1",
        is_billable=True,
    )


class FreshFakes:
    """One seeded fake per operation, served from a thread: what one operation deletes is
    there again for the next. (A function-scoped fixture would trip Hypothesis' health check.)
    """

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._label: str | None = None
        self.current = FakeWebWork()

    def for_operation(self, label: str) -> FakeWebWork:
        if label != self._label:
            self.close()
            self.current = FakeWebWork()
            _seed(self.current)
            self._stack.enter_context(self.current.serve_in_thread())
            self._label = label
        return self.current

    def close(self) -> None:
        self._stack.close()
        self._label = None


@pytest.fixture(scope="module")
def fakes() -> Iterator[FreshFakes]:
    pool = FreshFakes()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeWebWork]:
    """A fake with the seeded data for the tests of known bugs, served from a thread."""
    server = FakeWebWork()
    _seed(server)
    with server.serve_in_thread():
        yield server


# --- steering the fuzzing phase to the seeded data ------------------------------------------

_WORKSPACES = (OWNED, OWNED, OWNED, FOREIGN, 990_001)
_PATH_IDS = {
    "memberId": USER_IDS,
    "userId": USER_IDS,
    "projectId": PROJECT_IDS,
    "contractId": CONTRACT_IDS,
    "taskId": TASK_IDS,
    "viewerId": VIEWER_IDS,
}
#: Opaque string path ids: an odd-length one becomes a seeded id (picked by its length).
_STRING_PATH_IDS = {
    "webhookId": (WEBHOOK_ID,),
    "timesheetId": TIMESHEET_IDS,
    "id": TIME_REQUEST_IDS,
    "time_entry_id": (TIME_ENTRY_ID,),
    "expenseId": (EXPENSE_ID,),
}
#: Body and query ids steered in the time groups; a comma-separated list of ids (the reports'
#: filters) has each of its ids steered.
_TIME_FIELD_IDS = {
    "user_id": USER_IDS,
    "contract_id": CONTRACT_IDS,
    "task_id": TASK_IDS,
    "policy_id": POLICY_IDS,
    "users": USER_IDS,
    "user_ids": USER_IDS,
    "projects": PROJECT_IDS,
    "project_id": PROJECT_IDS,
}
#: Opaque string ids of the bodies steered like the path's.
_STRING_FIELD_IDS = {"category_id": (CATEGORY_ID,)}


def _steer(value: Any, choices: tuple[int, ...]) -> Any:
    """A valid id becomes one of ``choices`` (picked by its value); an invalid one stays."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return value
    return choices[value % len(choices)]


def _steer_ids(value: Any, choices: tuple[int, ...]) -> Any:
    """An id steered as :func:`_steer` does, or each id of a comma-separated query array
    (schemathesis hands those over already joined) when all of them are digits."""
    if isinstance(value, DelimitedValue):
        parts = value.split(",")
        if not all(part.isdigit() for part in parts):
            return value
        joined = ",".join(str(_steer(int(part), choices)) for part in parts)
        return DelimitedValue(joined, joined)
    return _steer(value, choices)


def _steer_text(value: Any, choices: tuple[str, ...]) -> Any:
    """An odd-length string id becomes one of ``choices`` (picked by its length); an
    even-length one stays, to meet the unknown-id answers."""
    if isinstance(value, str) and len(value) % 2:
        return choices[len(value) // 2 % len(choices)]
    return value


@schema.hook
def map_case(context: HookContext, case: Case) -> Case:
    """Point generated ids at the seeded data, so that most cases reach the handlers (random
    ids would only ever meet 404), some an unknown or foreign workspace; invalid values stay,
    to test validation."""
    time_group = case.operation.path.startswith(TIME_PATHS)
    for container in (case.query, case.body):
        if isinstance(container, dict) and "workspace_id" in container:
            container["workspace_id"] = _steer(container["workspace_id"], _WORKSPACES)
        if isinstance(container, dict) and "project_id" in container:
            container["project_id"] = _steer(container["project_id"], PROJECT_IDS)
        if isinstance(container, dict) and time_group:
            for name, choices in _TIME_FIELD_IDS.items():
                if name in container:
                    container[name] = _steer_ids(container[name], choices)
            for name, texts in _STRING_FIELD_IDS.items():
                if name in container:
                    container[name] = _steer_text(container[name], texts)
    if isinstance(case.path_parameters, dict):
        for name, value in case.path_parameters.items():
            if name in _PATH_IDS:
                case.path_parameters[name] = _steer(value, _PATH_IDS[name])
            elif name in _STRING_PATH_IDS:
                case.path_parameters[name] = _steer_text(value, _STRING_PATH_IDS[name])
    return case


# --- the tests ----------------------------------------------------------------------------


@schema.parametrize()
def test_fake_answers_as_the_spec_says(case: Case, fakes: FreshFakes) -> None:
    fake = fakes.for_operation(case.operation.label)
    assert fake.base_url is not None
    case.call_and_validate(
        base_url=fake.base_url.rstrip("/"),
        headers={"Authorization": f"Bearer {fake.token}"},
        checks=CHECKS,
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "members", {"email": "a@example.com", "firstname": "A", "lastname": "B"}),
        ("PUT", "contracts/100", {}),
        ("POST", "webhooks", {"url": "https://example.com/hook"}),
    ],
)
@pytest.mark.parametrize("bad", [{}, []])
def test_fake_refuses_a_non_scalar_enum_value(
    fake: FakeWebWork, method: str, path: str, body: dict[str, Any], bad: Any
) -> None:
    field = {"members": "role", "contracts/100": "status", "webhooks": "events"}[path]
    value = [bad] if field == "events" else bad
    payload = json.dumps({"workspace_id": OWNED, **body, field: value}).encode()
    request = urllib.request.Request(
        f"{fake.base_url}{path}",
        data=payload,
        method=method,
        headers={"Authorization": f"Bearer {fake.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
        error.close()
    assert status == 422
