"""The token never shows: not in any error (its message, repr, attributes, its ``__cause__`` and
``__context__`` chain, its formatted traceback, or the locals of the frames in that traceback,
which error trackers record), not in a ``repr`` and not in a log record, for every error class.

Each case provokes one error through the public API against a real server on loopback, with a
session owned by us and with one owned by the caller (whose requests carry the headers).
"""

from __future__ import annotations

import logging
import ssl
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import trustme
from canned_server import ERROR_CLASS_BY_STATUS, Canned, CannedServer
from local_servers import serve_over_tls
from test_core import free_port

from webwork_async import (
    APIError,
    AsyncSession,
    AuthenticationError,
    CertificateError,
    ConfigurationError,
    ConnectError,
    DecodeError,
    InvalidArgumentError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ResponseTooLargeError,
    RetryPolicy,
    ServerError,
    SessionStateError,
    TimeoutError,
    TransportError,
    ValidationError,
    WebWorkError,
    redact_headers,
)
from webwork_async.testing import FakeWebWork

TOKEN = "tok-NEVER-SHOWN-5d0c2b9e81"
TESTS = str(Path(__file__).parent)


def everything_shown(error: BaseException) -> list[str]:
    """Every text an error can end up in: message, repr, attributes, chain, traceback, locals."""
    texts = ["".join(traceback.format_exception(error))]
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current), repr(getattr(current, "__dict__", {}))]
        frame = current.__traceback__
        while frame is not None:
            if not frame.tb_frame.f_code.co_filename.startswith(TESTS):  # the tests' own locals
                texts += [f"{name}={value!r}" for name, value in frame.tb_frame.f_locals.items()]
            frame = frame.tb_next
        pending += [link for link in (current.__cause__, current.__context__) if link]
    return texts


@dataclass
class World:
    fake: FakeWebWork
    workspace: int
    restricted: int
    tls_base_url: str


@pytest.fixture(scope="module")
def server_tls() -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
async def world(server_tls: ssl.SSLContext) -> AsyncIterator[World]:
    fake = FakeWebWork(token=TOKEN)
    workspace = fake.add_workspace()
    fake.add_project(workspace, name="Known")
    restricted = fake.add_workspace(role="Regular User")
    context = server_tls
    with fake.serve_in_thread():
        async with serve_over_tls(fake, context) as tls_base_url:
            yield World(fake, workspace, restricted, tls_base_url)


Call = Callable[[AsyncSession, World], Awaitable[Any]]


async def listing(ww: AsyncSession, world: World) -> Any:
    # 5 s: a 429 asking for 30 s is raised at once rather than waited for.
    return await ww.projects.list(workspace_id=world.workspace, total_timeout=5)


def faulted(kind: str, **options: Any) -> Call:
    async def call(ww: AsyncSession, world: World) -> Any:
        world.fake.inject(kind, method="GET", **options)
        return await listing(ww, world)

    return call


# One case per error class (and per way of producing a transport error).
CASES: list[tuple[str, type[BaseException], Call]] = [
    ("in-band failure", APIError, faulted("in_band_failure")),
    ("redirect", APIError, faulted("redirect")),
    ("403", PermissionDeniedError, lambda ww, w: ww.projects.list(workspace_id=w.restricted)),
    ("404", NotFoundError, lambda ww, w: ww.projects.get(999_999, workspace_id=w.workspace)),
    (
        "422",
        ValidationError,
        lambda ww, w: ww.projects.create(workspace_id=w.workspace, name="x" * 300),
    ),
    ("429", RateLimitError, faulted("rate_limit", retry_after=30)),
    ("503", ServerError, faulted("server_error", status=503)),
    ("reset", TransportError, faulted("reset_before_answer")),
    ("oversized header", TransportError, faulted("headers", headers={"X-Pad": "p" * 9000})),
    ("slow", TimeoutError, faulted("slow", delay=2.0)),
    ("not JSON", DecodeError, faulted("invalid_json")),
    ("deep JSON", DecodeError, faulted("deep_json")),
    ("huge", ResponseTooLargeError, faulted("huge_body", size=40 * 1024 * 1024)),
    ("endless pages", PaginationError, lambda ww, w: _walk_endless(ww, w)),
    ("bad argument", InvalidArgumentError, lambda ww, w: ww.projects.get("12", workspace_id=1)),  # type: ignore[arg-type]
]


async def _walk_endless(ww: AsyncSession, world: World) -> Any:
    world.fake.add_project(world.workspace, name="Second")
    world.fake.inject("endless_pages", method="GET")
    return await ww.projects.list(workspace_id=world.workspace, per_page=1).to_list()


@pytest.mark.parametrize("owner", ["ours", "caller's"])
@pytest.mark.parametrize(("name", "expected", "call"), CASES, ids=[case[0] for case in CASES])
async def test_no_error_shows_the_token(
    world: World,
    caplog: pytest.LogCaptureFixture,
    owner: str,
    name: str,
    expected: type[BaseException],
    call: Call,
) -> None:
    caplog.set_level(logging.DEBUG)
    assert world.fake.base_url is not None
    retry = RetryPolicy(max_retries=1, backoff=0.01)
    async with aiohttp.ClientSession() as own:
        options: dict[str, Any] = {"session": own} if owner == "caller's" else {}
        ww = AsyncSession(
            token=TOKEN,
            base_url=world.fake.base_url,
            rate_limit=None,
            retry=retry,
            timeout=0.5,
            **options,
        )
        async with ww:
            with pytest.raises(expected) as caught:
                await call(ww, world)
        shown = [*everything_shown(caught.value), repr(ww), repr(ww.projects)]
    shown += [record.getMessage() for record in caplog.records]
    assert not [text for text in shown if TOKEN in text]


async def test_connect_certificate_state_and_configuration_errors_do_not_show_it(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    retry = RetryPolicy(max_retries=1, backoff=0.01)
    nowhere = f"http://127.0.0.1:{free_port()}/api/v2/"
    for base_url, expected in ((nowhere, ConnectError), (world.tls_base_url, CertificateError)):
        async with AsyncSession(token=TOKEN, base_url=base_url, retry=retry) as ww:
            with pytest.raises(expected) as caught:
                await listing(ww, world)
        errors.append(caught.value)
    with pytest.raises(SessionStateError) as closed:
        await listing(ww, world)
    errors.append(closed.value)
    for refused in ({"token": TOKEN + " with a space"}, {"token": TOKEN, "timeout": -1}):
        with pytest.raises(ConfigurationError) as config:
            AsyncSession(**refused)  # type: ignore[arg-type]
        errors.append(config.value)
    shown = [text for error in errors for text in everything_shown(error)]
    shown += [record.getMessage() for record in caplog.records]
    assert not [text for text in shown if TOKEN in text]
    assert all(isinstance(error, WebWorkError) for error in errors)


@pytest.mark.parametrize(("status", "expected"), ERROR_CLASS_BY_STATUS)
async def test_no_error_status_shows_the_token(
    canned: CannedServer, status: int, expected: type[APIError]
) -> None:
    canned.answer["/api/v2/projects"] = Canned(status, {"success": False, "message": "No."})
    async with aiohttp.ClientSession() as own:
        for options in ({}, {"session": own}):
            async with AsyncSession(
                token=TOKEN, base_url=canned.base_url, retry=None, **options
            ) as ww:
                with pytest.raises(expected) as caught:
                    await ww.projects.list(workspace_id=1)
            assert not [text for text in everything_shown(caught.value) if TOKEN in text]


async def test_an_auth_error_with_a_wrong_token_does_not_show_that_token(world: World) -> None:
    assert world.fake.base_url is not None
    wrong = TOKEN + "-revoked"
    async with AsyncSession(token=wrong, base_url=world.fake.base_url, rate_limit=None) as ww:
        with pytest.raises(AuthenticationError) as caught:
            await listing(ww, world)
    assert not [text for text in everything_shown(caught.value) if wrong in text]


async def test_trace_configs_see_the_header_and_redact_headers_hides_it(world: World) -> None:
    logged: list[str] = []

    async def on_request_start(
        _session: aiohttp.ClientSession, _context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        assert params.headers["Authorization"] == f"Bearer {TOKEN}"  # why the helper exists
        logged.append(repr(redact_headers(params.headers)))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    assert world.fake.base_url is not None
    async with AsyncSession(
        token=TOKEN, base_url=world.fake.base_url, rate_limit=None, trace_configs=[trace]
    ) as ww:
        await listing(ww, world)
    assert len(logged) == 1 and "'Authorization': '***'" in logged[0]
    assert TOKEN not in logged[0]
