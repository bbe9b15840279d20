"""AsyncSession: options, lifecycle, and never showing the token."""

from __future__ import annotations

import asyncio
import builtins
import gc
import logging
import traceback
import warnings
from typing import Any

import aiohttp
import pytest
from canned_server import SECRET_TOKEN, Canned, CannedServer, envelope

from webwork_async import (
    AsyncSession,
    AuthenticationError,
    ConfigurationError,
    RetryPolicy,
    SessionStateError,
    TimeoutError,
    TransportError,
)
from webwork_async.testing import FakeWebWork


def test_token_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBWORK_TOKEN", SECRET_TOKEN)
    session = AsyncSession()
    assert SECRET_TOKEN not in repr(session)


async def test_the_token_and_base_url_from_the_environment_are_the_ones_sent(
    webwork_fake: FakeWebWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = webwork_fake.add_workspace()
    assert webwork_fake.base_url is not None
    monkeypatch.setenv("WEBWORK_TOKEN", webwork_fake.token)
    monkeypatch.setenv("WEBWORK_BASE_URL", webwork_fake.base_url)
    async with AsyncSession(rate_limit=None) as ww:  # a wrong token would be a 401
        page = await ww.projects.list(workspace_id=workspace)
    assert page.items == [] and ww.base_url == webwork_fake.base_url
    monkeypatch.setenv("WEBWORK_TOKEN", "not-" + webwork_fake.token)
    async with AsyncSession(rate_limit=None) as ww:
        with pytest.raises(AuthenticationError):
            await ww.projects.list(workspace_id=workspace)
    assert [r.status for r in webwork_fake.requests] == [200, 401]


def test_missing_token_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEBWORK_TOKEN", raising=False)
    with pytest.raises(ConfigurationError, match="WEBWORK_TOKEN"):
        AsyncSession()


@pytest.mark.parametrize(
    ("options", "names"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1.5}, "timeout"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"connector_limit": -1}, "connector_limit"),
        ({"base_url": "not a url"}, "base_url"),
        ({"session": object()}, "session"),
        ({"total_timeout": 0}, "total_timeout"),
        ({"retry": 3}, "retry"),
        ({"rate_limit": (60, 60)}, "rate_limit"),
    ],
)
def test_bad_options_are_refused_up_front(options: dict[str, Any], names: str) -> None:
    with pytest.raises(ConfigurationError, match=names):
        AsyncSession(token="t", **options)


async def test_using_it_before_entering_is_an_error(webwork_fake: FakeWebWork) -> None:
    ww = AsyncSession(token=webwork_fake.token, base_url=webwork_fake.base_url or "")
    with pytest.raises(SessionStateError, match="async with"):
        await ww.projects.list(workspace_id=1)
    with pytest.raises(SessionStateError):
        await ww.projects.get(1, workspace_id=1)
    assert webwork_fake.request_count() == 0


async def test_using_it_after_closing_is_an_error(
    webwork_fake: FakeWebWork, loop_errors: list[dict[str, Any]]
) -> None:
    workspace = webwork_fake.add_workspace()
    async with AsyncSession(token=webwork_fake.token, base_url=webwork_fake.base_url or "") as ww:
        await ww.projects.list(workspace_id=workspace)
    assert ww.closed
    with pytest.raises(SessionStateError, match="closed"):
        await ww.projects.list(workspace_id=workspace)
    with pytest.raises(SessionStateError, match="new one"):
        async with ww:
            pass
    assert webwork_fake.request_count() == 1


def test_a_session_whose_asyncio_run_ended_is_refused_and_released(
    webwork_fake: FakeWebWork, caplog: pytest.LogCaptureFixture
) -> None:
    """Opened in one ``asyncio.run``, used in the next: a clear error, and nothing left behind."""
    workspace = webwork_fake.add_workspace()
    ww = AsyncSession(token=webwork_fake.token, base_url=webwork_fake.base_url or "")
    asyncio.run(ww.__aenter__())

    async def use_in_a_new_loop(ww: AsyncSession) -> None:
        with pytest.raises(SessionStateError, match="event loop that opened this") as caught:
            await ww.projects.list(workspace_id=workspace)
        assert "open one per loop" in str(caught.value)
        assert ww.closed
        with pytest.raises(SessionStateError, match="closed"):
            await ww.projects.get(1, workspace_id=workspace)
        await ww.aclose()

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        asyncio.run(use_in_a_new_loop(ww))
        del ww
        gc.collect()
    assert [str(warning.message) for warning in seen] == []
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []
    assert webwork_fake.request_count() == 0


async def test_a_session_used_from_a_loop_in_another_thread_is_refused(
    webwork_fake: FakeWebWork, loop_errors: list[dict[str, Any]]
) -> None:
    workspace = webwork_fake.add_workspace()
    async with AsyncSession(token=webwork_fake.token, base_url=webwork_fake.base_url or "") as ww:

        def list_projects_from_a_thread() -> None:
            async def use() -> None:
                await ww.projects.list(workspace_id=workspace)

            asyncio.run(use())

        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            with pytest.raises(SessionStateError, match="other than the one that opened it"):
                await asyncio.to_thread(list_projects_from_a_thread)
            with pytest.raises(SessionStateError, match="close it from that loop"):
                await asyncio.to_thread(asyncio.run, ww.aclose())
        assert [str(warning.message) for warning in seen] == []
        assert webwork_fake.request_count() == 0
        assert not ww.closed  # still the session of this loop, and it works here
        await ww.projects.list(workspace_id=workspace)
    assert webwork_fake.request_count() == 1


async def test_error_inside_the_block_still_closes_everything(
    webwork_fake: FakeWebWork, loop_errors: list[dict[str, Any]]
) -> None:
    with pytest.raises(KeyError):
        async with AsyncSession(
            token=webwork_fake.token, base_url=webwork_fake.base_url or ""
        ) as ww:
            await ww.projects.list(workspace_id=webwork_fake.add_workspace())
            raise KeyError("boom")
    assert ww.closed


async def test_cancellation_mid_request_closes_cleanly_and_is_not_wrapped(
    canned: CannedServer, loop_errors: list[dict[str, Any]]
) -> None:
    canned.answer["/api/v2/projects"] = Canned(body=envelope([]), delay=5)

    async def job() -> None:
        async with AsyncSession(token="t", base_url=canned.base_url) as ww:
            await ww.projects.list(workspace_id=1)

    task = asyncio.create_task(job())
    while not canned.seen:
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_closing_twice_is_harmless(webwork_fake: FakeWebWork) -> None:
    ww = AsyncSession(token=webwork_fake.token, base_url=webwork_fake.base_url or "")
    async with ww:
        pass
    await ww.aclose()
    assert ww.closed


async def test_caller_owned_session_is_used_and_left_open(
    canned: CannedServer, loop_errors: list[dict[str, Any]]
) -> None:
    canned.answer["/api/v2/projects"] = Canned(body=envelope([{"id": 1, "name": "a"}]))
    async with aiohttp.ClientSession(headers={"X-Caller": "mine"}) as http:
        async with AsyncSession(token=SECRET_TOKEN, base_url=canned.base_url, session=http) as ww:
            page = await ww.projects.list(workspace_id=1)
        assert not http.closed
        assert [p.id for p in page.items] == [1]
        headers = canned.seen[-1][4]
        assert headers["Authorization"] == f"Bearer {SECRET_TOKEN}"
        assert headers["X-Caller"] == "mine"
        assert headers["User-Agent"].startswith("webwork-async/")


async def test_our_timeout_applies_to_a_caller_owned_session(canned: CannedServer) -> None:
    canned.answer["/api/v2/projects"] = Canned(body=envelope([]), delay=2)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        async with AsyncSession(
            token="t", base_url=canned.base_url, session=http, timeout=0.2, retry=None
        ) as ww:
            started = asyncio.get_running_loop().time()
            with pytest.raises(TimeoutError):
                await ww.projects.list(workspace_id=1)
            assert asyncio.get_running_loop().time() - started < 1.5


async def test_timeout_is_a_timeout_error_naming_the_request(canned: CannedServer) -> None:
    canned.answer["/api/v2/projects/5"] = Canned(body=envelope({"id": 5, "name": "x"}), delay=2)
    async with AsyncSession(token="t", base_url=canned.base_url, timeout=0.2, retry=None) as ww:
        with pytest.raises(TimeoutError) as caught:
            await ww.projects.get(5, workspace_id=3)
    assert isinstance(caught.value, builtins.TimeoutError)
    assert caught.value.method == "GET"
    assert caught.value.url.endswith("/api/v2/projects/5?workspace_id=3")


async def test_custom_user_agent_is_sent(canned: CannedServer) -> None:
    canned.answer["/api/v2/workspaces"] = Canned(body=envelope([]))
    async with AsyncSession(token="t", base_url=canned.base_url, user_agent="sync-job/2") as ww:
        await ww.workspaces.list()
    assert canned.seen[-1][4]["User-Agent"] == "sync-job/2"


async def test_token_never_appears_in_reprs_logs_or_errors(
    canned: CannedServer, caplog: pytest.LogCaptureFixture
) -> None:
    canned.answer["/api/v2/projects"] = Canned(
        401, {"success": False, "message": "Unauthenticated.", "error": None}
    )
    canned.answer["/api/v2/projects/9"] = Canned(body=b"{not json")
    texts: list[str] = []
    caplog.set_level(logging.DEBUG)
    fast = RetryPolicy(backoff=0.01)  # the retries are logged too
    async with AsyncSession(
        token=SECRET_TOKEN, base_url=canned.base_url, timeout=5, retry=fast
    ) as ww:
        texts += [repr(ww), str(ww), repr(ww.projects), repr(ww.projects.list(workspace_id=1))]
        for call in (
            ww.projects.list(workspace_id=1),
            ww.projects.get(9, workspace_id=1),
        ):
            try:
                await call
            except Exception as exc:
                texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
                texts += [repr(vars(exc))]
    unreachable = "http://127.0.0.1:9/api/v2/"
    async with AsyncSession(token=SECRET_TOKEN, base_url=unreachable, retry=fast) as ww:
        with pytest.raises(TransportError) as caught:
            await ww.projects.list(workspace_id=1)
        texts += [str(caught.value), "".join(traceback.format_exception(caught.value))]
    texts += [record.getMessage() for record in caplog.records]
    assert any("401" in text for text in texts)  # the errors were really produced
    assert any(record.name == "webwork_async" for record in caplog.records)
    for text in texts:
        assert SECRET_TOKEN not in text


async def test_an_auth_error_carries_what_is_needed_to_act(canned: CannedServer) -> None:
    body = b'{"success":false,"message":"Token expired","error":"expired","meta":{}}'
    canned.answer["/api/v2/workspaces"] = Canned(401, body)
    async with AsyncSession(token="t", base_url=canned.base_url) as ww:
        with pytest.raises(AuthenticationError) as caught:
            await ww.workspaces.list(per_page=5)
    error = caught.value
    assert (error.status, error.message, error.error, error.method) == (
        401,
        "Token expired",
        "expired",
        "GET",
    )
    assert error.url == f"{canned.base_url}workspaces?per_page=5"
    assert error.body == body


async def test_trace_configs_see_every_request(canned: CannedServer) -> None:
    canned.answer["/api/v2/workspaces"] = Canned(body=envelope([]))
    started: list[str] = []

    async def on_request_start(
        _session: aiohttp.ClientSession,
        _context: object,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        started.append(f"{params.method} {params.url.path}")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    async with AsyncSession(token="t", base_url=canned.base_url, trace_configs=[trace]) as ww:
        await ww.workspaces.list()
        await ww.workspaces.list(page=2)
    assert started == ["GET /api/v2/workspaces", "GET /api/v2/workspaces"]


async def test_connector_limit_bounds_open_connections(canned: CannedServer) -> None:
    canned.answer["/api/v2/projects"] = Canned(body=envelope([]), delay=0.02)
    async with AsyncSession(
        token="t", base_url=canned.base_url, max_concurrency=10, connector_limit=2
    ) as ww:
        await asyncio.gather(*(ww.projects.list(workspace_id=n) for n in range(1, 11)))
    assert len(canned.seen) == 10
    assert canned.max_in_flight == 2
