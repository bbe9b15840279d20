"""The fake server against the spec: schemathesis sends every operation of
``spec/webwork-v2.openapi.yaml`` to a seeded :class:`FakeWebWork` and checks each answer.

Checks: no 5xx, every status code and content type is one the operation documents, and every
body fits the documented schema of its status. Generation is bounded (``MAX_EXAMPLES`` per
operation and phase) and deterministic (a fixed seed, derandomized Hypothesis, no example
database), so a failure shows up on every run and replays the same way.

The seeded objects carry the ids of the spec's examples (project 100, contract 100, task 500,
webhook "abc123def456" ...), so that the examples phase reaches real objects; the ids of the
fuzzing phase are steered to seeded ones by :func:`map_case`.

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


def _steer(value: Any, choices: tuple[int, ...]) -> Any:
    """A valid id becomes one of ``choices`` (picked by its value); an invalid one stays."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return value
    return choices[value % len(choices)]


@schema.hook
def map_case(context: HookContext, case: Case) -> Case:
    """Point generated ids at the seeded data, so that most cases reach the handlers (random
    ids would only ever meet 404), some an unknown or foreign workspace; invalid values stay,
    to test validation."""
    for container in (case.query, case.body):
        if isinstance(container, dict) and "workspace_id" in container:
            container["workspace_id"] = _steer(container["workspace_id"], _WORKSPACES)
        if isinstance(container, dict) and "project_id" in container:
            container["project_id"] = _steer(container["project_id"], PROJECT_IDS)
    if isinstance(case.path_parameters, dict):
        for name, value in case.path_parameters.items():
            if name in _PATH_IDS:
                case.path_parameters[name] = _steer(value, _PATH_IDS[name])
            elif name == "webhookId" and isinstance(value, str) and len(value) % 2:
                case.path_parameters[name] = WEBHOOK_ID
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
