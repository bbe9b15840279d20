"""Several bearer tokens: ``FakeWebWork.add_token``, each token seeing its own workspaces.

Checked through real :class:`~webwork_async.AsyncSession` objects (no pacing, no retries), and
with raw aiohttp where the exact bytes of an answer matter.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from fake_helpers import TOKEN, Api

from webwork_async import AsyncSession
from webwork_async.errors import (
    APIError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from webwork_async.testing import FakeWebWork

UNKNOWN = 999


def session(fake: FakeWebWork, token: str) -> AsyncSession:
    assert fake.base_url is not None
    return AsyncSession(token=token, base_url=fake.base_url, rate_limit=None, retry=None)


@dataclass
class Owners:
    """Workspaces ``a`` and ``b`` (projects "A1", "B1"), ``manager`` (caller not allowed), and
    ``other``, a token that sees ``a`` and ``manager`` only."""

    a: int
    b: int
    manager: int
    other: str


@pytest.fixture
def owners(fake: FakeWebWork) -> Owners:
    a, b = fake.add_workspace(name="A"), fake.add_workspace(name="B")
    manager = fake.add_workspace(name="M", role="Team manager")
    fake.add_project(a, name="A1")
    fake.add_project(b, name="B1")
    return Owners(a, b, manager, fake.add_token(workspaces=[a, manager]))


@pytest.fixture
async def served(fake: FakeWebWork) -> AsyncIterator[Api]:
    async with fake.serve() as base_url, aiohttp.ClientSession() as client:
        yield Api(client, base_url)


def without_meta(body: bytes) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(body)
    del decoded["meta"]  # its timestamp differs
    return decoded


def refusal(exc: APIError) -> tuple[type[APIError], int, str, str | None]:
    return type(exc), exc.status, exc.message, exc.error


async def test_a_token_sees_only_its_workspaces(
    fake: FakeWebWork, owners: Owners, served: Api
) -> None:
    async with session(fake, owners.other) as ww:
        listed = [workspace.id async for workspace in ww.workspaces.list(per_page=1)]
        names = [project.name async for project in ww.projects.list(workspace_id=owners.a)]
        with pytest.raises(NotFoundError) as hidden:
            await ww.projects.list(workspace_id=owners.b)
        with pytest.raises(NotFoundError) as unknown:
            await ww.projects.list(workspace_id=UNKNOWN)
        with pytest.raises(PermissionDeniedError):  # seen, but the caller's role is not allowed
            await ww.projects.list(workspace_id=owners.manager)
    assert listed == [owners.a, owners.manager]  # two pages of one
    assert names == ["A1"]
    assert refusal(hidden.value) == (
        NotFoundError,
        404,
        "Workspace not found",
        f"No workspace with id {owners.b}",
    )
    assert refusal(unknown.value) == (
        NotFoundError,
        404,
        "Workspace not found",
        f"No workspace with id {UNKNOWN}",
    )

    async with session(fake, TOKEN) as ww:  # the main token still sees them all
        assert [workspace.id async for workspace in ww.workspaces.list()] == [1, 2, 3]
        assert [project.name async for project in ww.projects.list(workspace_id=owners.b)] == ["B1"]


def asks(workspace_id: int, project_id: int) -> list[tuple[str, str, Any, Any]]:
    """A list, a get and a write in ``workspace_id``: (method, path, query, JSON body)."""
    query = {"workspace_id": workspace_id}
    return [
        ("GET", "projects", query, None),
        ("GET", f"projects/{project_id}", query, None),
        ("POST", "projects", None, {"workspace_id": workspace_id, "name": "Sneaky"}),
    ]


async def test_a_hidden_workspace_is_answered_as_an_unknown_one(
    fake: FakeWebWork, owners: Owners, served: Api
) -> None:
    project = fake.add_project(owners.b, name="B2")["id"]
    hidden = asks(owners.b, project)
    unknown = asks(UNKNOWN, project)
    for (method, path, query, body), (_, _, other_query, other_body) in zip(
        hidden, unknown, strict=True
    ):
        seen = await served.send(method, path, params=query, json=body, token=owners.other)
        gone = await served.send(method, path, params=other_query, json=other_body)
        assert (seen.status, seen.content_type) == (404, "application/json")
        assert (gone.status, gone.content_type) == (404, "application/json")
        expected = json.dumps(without_meta(gone.body)).replace(str(UNKNOWN), str(owners.b))
        assert json.dumps(without_meta(seen.body)) == expected, (method, path)
    assert [project["name"] for project in fake.projects(owners.b)] == ["B1", "B2"]

    nothing = await served.send("GET", "workspaces", token=fake.add_token(workspaces=[]))
    assert json.loads(nothing.body)["data"] == []
    assert json.loads(nothing.body)["meta"]["pagination"]["total"] == 0


async def test_an_unknown_token_is_refused(fake: FakeWebWork, owners: Owners, served: Api) -> None:
    for token in ["nobody", TOKEN + "x", owners.other[:-1]]:
        async with session(fake, token) as ww:
            with pytest.raises(AuthenticationError) as refused:
                await ww.workspaces.list()
        assert (refused.value.status, refused.value.error) == (401, "Invalid or expired token")
    missing = await served.send("GET", "workspaces", token=None)
    assert missing.status == 401
    assert [recorded.caller for recorded in fake.requests] == [None] * 4
    assert fake.executed_count() == 0


async def test_each_request_records_its_caller(
    fake: FakeWebWork, owners: Owners, served: Api
) -> None:
    third = fake.add_token()  # caller 2, sees every workspace
    for token in [TOKEN, owners.other, third, owners.other]:
        async with session(fake, token) as ww:
            await ww.workspaces.list()
    await served.send("GET", "workspaces", token="wrong")
    await served.send("GET", "no-such-route", token=third)  # answered before auth
    async with session(fake, third) as ww:
        with pytest.raises(NotFoundError):
            await ww.projects.list(workspace_id=UNKNOWN)

    assert [recorded.caller for recorded in fake.requests] == [0, 1, 2, 1, None, None, 2]
    assert fake.request_count(caller=1) == 2
    assert fake.request_count("GET", "workspaces", caller=2) == 1
    assert fake.request_count("GET", "projects", caller=2) == 1
    assert fake.request_count(caller=0) == 1
    assert fake.executed_count(caller=2) == 2
    assert fake.request_count() == 7


async def test_the_rate_limit_counts_each_token_apart(
    fake: FakeWebWork, owners: Owners, served: Api
) -> None:
    fake.enforce_rate_limit(10, period=60)
    async with session(fake, TOKEN) as ww:
        for _ in range(10):
            await ww.workspaces.list()
        with pytest.raises(RateLimitError) as limited:
            await ww.workspaces.list()
    assert limited.value.retry_after is not None and limited.value.retry_after > 0
    first = await served.send("GET", "workspaces", token=owners.other)
    assert (first.status, first.headers["X-RateLimit-Remaining"]) == (200, "9")
    async with session(fake, owners.other) as ww:
        for _ in range(9):
            await ww.workspaces.list()
        with pytest.raises(RateLimitError):
            await ww.workspaces.list()
    late = fake.add_token()
    assert (await served.send("GET", "workspaces", token=late)).status == 200

    outcomes = [(recorded.caller, recorded.rate_limited) for recorded in fake.requests]
    assert outcomes == [
        *[(0, False)] * 10,
        (0, True),
        *[(1, False)] * 10,
        (1, True),
        (2, False),
    ]
    assert fake.rate_limited_count == 2


async def test_no_token_is_shown(fake: FakeWebWork, owners: Owners, served: Api) -> None:
    chosen = fake.add_token("chosen-token-text", workspaces=[owners.b])
    tokens = [TOKEN, owners.other, chosen, fake.add_token(), "unknown-token-text"]
    for token in tokens:
        await served.send("GET", "workspaces", token=token)
        await served.send("GET", "projects", params={"workspace_id": owners.b}, token=token)
    shown = [repr(fake), repr(fake.requests), *map(repr, fake.requests), str(fake.requests)]
    for token in tokens:
        assert not any(token in text for text in shown)
    assert {recorded.caller for recorded in fake.requests} == {0, 1, 2, 3, None}


def test_add_token_returns_the_token_random_unless_given(fake: FakeWebWork) -> None:
    workspace = fake.add_workspace()
    assert fake.add_token("given", workspaces=(workspace,)) == "given"
    random = {fake.add_token() for _ in range(3)}
    assert len(random) == 3
    assert all(len(token) >= 40 and token != fake.token for token in random)


def test_add_token_refuses_bad_tokens_without_saying_them(fake: FakeWebWork) -> None:
    workspace = fake.add_workspace()
    fake.add_token("taken-token")
    with pytest.raises(KeyError, match="unknown workspace 2"):
        fake.add_token(workspaces=[workspace, 2])
    accepted, blank = "accepted already", "non-empty and hold no whitespace"
    refusals = [(fake.token, accepted), ("taken-token", accepted), ("", blank)]
    for bad, reason in [*refusals, ("two words", blank), ("tab\t", blank)]:
        with pytest.raises(ValueError, match=reason) as refused:
            fake.add_token(bad, workspaces=[workspace])
        assert not bad or bad not in str(refused.value)
    with pytest.raises(TypeError):
        fake.add_token(b"bytes")  # type: ignore[arg-type]
    # Nothing refused was added: the next token is caller 2.
    assert fake.add_token("next") == "next"


def test_tokens_work_at_once_on_a_running_server_and_see_later_workspaces() -> None:
    fake = FakeWebWork(token=TOKEN)
    first = fake.add_workspace()
    every = fake.add_token()
    only_first = fake.add_token(workspaces=[first])
    with fake.serve_in_thread():
        later = fake.add_workspace()
        added_late = fake.add_token(workspaces=[later])
        assert _ids(fake, every) == [first, later]
        assert _ids(fake, only_first) == [first]
        assert _ids(fake, added_late) == [later]
        assert _ids(fake, TOKEN) == [first, later]


def _ids(fake: FakeWebWork, token: str) -> list[int]:
    request = urllib.request.Request(f"{fake.base_url}workspaces")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        return [workspace["id"] for workspace in json.loads(response.read())["data"]]


def test_tokens_added_from_many_threads_get_distinct_callers() -> None:
    fake = FakeWebWork(token=TOKEN)
    workspace = fake.add_workspace()
    tokens: list[str] = []
    lock = threading.Lock()

    def add() -> None:
        token = fake.add_token(workspaces=[workspace])
        with lock:
            tokens.append(token)

    with fake.serve_in_thread():
        threads = [threading.Thread(target=add) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for token in tokens:
            assert _ids(fake, token) == [workspace]
    assert sorted(recorded.caller or 0 for recorded in fake.requests) == list(range(1, 9))
