"""The request core's attempt loop against a real local server: retries, pauses, time limits."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from aiohttp import web
from canned_server import SECRET_TOKEN, Canned, CannedServer, envelope
from test_core import free_port

from webwork_async import (
    AsyncSession,
    ConnectError,
    RateLimit,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TimeoutError,
)

FAST = RetryPolicy(backoff=0.01, backoff_max=0.05, jitter=0.0)
PROJECT = {"id": 7, "name": "Seven"}
DOWN = {"success": False, "message": "Service Unavailable"}


def script(*answers: Canned) -> Any:
    """An answer function that plays ``answers`` in order, then repeats the last one."""
    queue = list(answers)

    def answer(_request: web.Request) -> Canned:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return answer


async def test_a_get_is_retried_through_503s_and_succeeds(canned: CannedServer) -> None:
    canned.answer["/api/v2/projects/7"] = script(
        Canned(503, DOWN), Canned(502, DOWN), Canned(body=envelope(PROJECT))
    )
    async with AsyncSession(token="t", base_url=canned.base_url, retry=FAST) as ww:
        project = await ww.projects.get(7, workspace_id=1)
    assert project.id == 7
    assert len(canned.seen) == 3


async def test_retries_stop_at_max_retries_and_the_error_counts_attempts(
    canned: CannedServer,
) -> None:
    canned.answer["/api/v2/projects/7"] = Canned(504, DOWN)
    async with AsyncSession(
        token="t", base_url=canned.base_url, retry=RetryPolicy(max_retries=2, backoff=0.01)
    ) as ww:
        with pytest.raises(ServerError) as caught:
            await ww.projects.get(7, workspace_id=1)
    assert caught.value.status == 504
    assert caught.value.attempts == 3
    assert len(canned.seen) == 3


async def test_a_post_is_not_retried_after_a_503(canned: CannedServer) -> None:
    canned.answer["/api/v2/projects"] = Canned(503, DOWN)
    async with AsyncSession(token="t", base_url=canned.base_url, retry=FAST) as ww:
        with pytest.raises(ServerError) as caught:
            await ww.projects.create(workspace_id=1, name="Once")
    assert caught.value.attempts == 1
    assert len(canned.seen) == 1


@pytest.mark.parametrize(("method", "status"), [("POST", 429), ("GET", 429), ("GET", 503)])
async def test_a_retry_waits_at_least_what_retry_after_says(
    canned: CannedServer, method: str, status: int
) -> None:
    refused = Canned(status, {"success": False, "message": "Not now."})
    refused.headers["Retry-After"] = "0.3"
    arrivals: list[float] = []

    def answer(_request: web.Request) -> Canned:
        arrivals.append(time.monotonic())
        return refused if len(arrivals) <= 2 else Canned(body=envelope(PROJECT))

    canned.answer["/api/v2/projects" if method == "POST" else "/api/v2/projects/7"] = answer
    # Pacing off, so that only Retry-After decides the wait (with pacing on, the limiter also
    # assumes the service's window is full after a 429 and spreads the next requests out). The
    # 5 s backoff would fail the test by its total_timeout if Retry-After were not used.
    async with AsyncSession(
        token="t",
        base_url=canned.base_url,
        retry=RetryPolicy(backoff=5.0, jitter=0.5),
        rate_limit=None,
        total_timeout=3.0,
    ) as ww:
        if method == "POST":
            project = await ww.projects.create(workspace_id=1, name="Seven")
        else:
            project = await ww.projects.get(7, workspace_id=1)
    assert project.id == 7
    assert len(arrivals) == 3
    # Measured where the service sees it: Retry-After replaced the backoff, and jitter (up to
    # +50% here) only ever lengthened the wait, never shortened it.
    assert arrivals[1] - arrivals[0] >= 0.3 and arrivals[2] - arrivals[1] >= 0.3


async def test_a_429_pauses_every_request_of_the_token_together(canned: CannedServer) -> None:
    limited = Canned(429, {"success": False, "message": "Too Many Attempts."})
    limited.headers["Retry-After"] = "0.4"
    arrivals: list[float] = []

    def timed(answer: Canned) -> Any:
        def record(_request: web.Request) -> Canned:
            arrivals.append(time.monotonic())
            return answer

        return record

    canned.answer["/api/v2/projects/1"] = timed(limited)
    canned.answer["/api/v2/projects/7"] = timed(Canned(body=envelope(PROJECT)))
    # Pacing off: the pause still holds for every session of the token.
    async with AsyncSession(token="t", base_url=canned.base_url, rate_limit=None) as ww:
        with pytest.raises(RateLimitError) as caught:
            await ww.projects.get(1, workspace_id=1, max_retries=0)
        assert caught.value.retry_after == 0.4
        async with AsyncSession(token="t", base_url=canned.base_url, rate_limit=None) as other:
            await asyncio.gather(
                other.projects.get(7, workspace_id=1), ww.projects.get(7, workspace_id=1)
            )
    assert len(arrivals) == 3
    assert arrivals[1] - arrivals[0] >= 0.4 and arrivals[2] - arrivals[0] >= 0.4


async def test_a_connect_error_is_retried_even_for_a_post() -> None:
    base_url = f"http://127.0.0.1:{free_port()}/api/v2/"
    async with AsyncSession(token="t", base_url=base_url, retry=FAST) as ww:
        with pytest.raises(ConnectError) as caught:
            await ww.projects.create(workspace_id=1, name="never sent")
    assert caught.value.attempts == 1 + FAST.max_retries
    # The message itself says that the retries were spent, and how long they took.
    assert caught.value.elapsed is not None
    assert f"(tried {1 + FAST.max_retries} times over {caught.value.elapsed:.1f} s)" in str(
        caught.value
    )


async def test_total_timeout_bounds_the_call_whatever_the_retries(canned: CannedServer) -> None:
    canned.answer["/api/v2/projects/7"] = Canned(body=envelope(PROJECT), delay=5)
    async with AsyncSession(
        token="t",
        base_url=canned.base_url,
        timeout=0.25,
        retry=RetryPolicy(max_retries=10, backoff=0.01),
    ) as ww:
        started = time.monotonic()
        with pytest.raises(TimeoutError) as caught:
            await ww.projects.get(7, workspace_id=1, total_timeout=0.6)
        elapsed = time.monotonic() - started
    assert 0.6 <= elapsed < 0.6 + 0.15
    assert caught.value.attempts == 3  # 0.25 + 0.25 + what was left of the 0.6


async def test_time_queued_for_a_slot_does_not_eat_the_timeout(canned: CannedServer) -> None:
    canned.answer["/api/v2/projects/7"] = Canned(body=envelope(PROJECT), delay=0.3)
    async with AsyncSession(
        token="t", base_url=canned.base_url, max_concurrency=1, timeout=0.5, retry=None
    ) as ww:
        projects = await asyncio.gather(*(ww.projects.get(7, workspace_id=1) for _ in range(4)))
    # The last call queued about 0.9 s, longer than its timeout, and still had its 0.5 s.
    assert [p.id for p in projects] == [7, 7, 7, 7]
    assert canned.max_in_flight == 1


async def test_total_timeout_passing_in_the_queue_sends_nothing(canned: CannedServer) -> None:
    canned.answer["/api/v2/projects/7"] = Canned(body=envelope(PROJECT), delay=0.5)
    async with AsyncSession(
        token="t", base_url=canned.base_url, max_concurrency=1, retry=None
    ) as ww:
        slow = asyncio.ensure_future(ww.projects.get(7, workspace_id=1))
        await asyncio.sleep(0.05)
        with pytest.raises(TimeoutError, match="nothing was sent"):
            await ww.projects.get(7, workspace_id=2, total_timeout=0.1)
        await slow
    assert [seen[2]["workspace_id"] for seen in canned.seen] == ["1"]


async def test_the_rate_limiter_paces_requests_and_logs_its_waits(
    canned: CannedServer, caplog: pytest.LogCaptureFixture
) -> None:
    canned.answer["/api/v2/projects/7"] = Canned(body=envelope(PROJECT))
    caplog.set_level(logging.DEBUG, logger="webwork_async")
    async with AsyncSession(
        token=SECRET_TOKEN, base_url=canned.base_url, rate_limit=RateLimit(requests=3, period=0.3)
    ) as ww:
        started = time.monotonic()
        await asyncio.gather(*(ww.projects.get(7, workspace_id=1) for _ in range(7)))
        elapsed = time.monotonic() - started
    # 3 at once, 3 more a period later, the last one after the second period.
    assert 0.6 <= elapsed < 0.6 + 0.3
    waits = [r.getMessage() for r in caplog.records if r.getMessage().startswith("rate-limit wait")]
    assert waits and all("wait=" in message for message in waits)
    assert all(SECRET_TOKEN not in r.getMessage() for r in caplog.records)


async def test_retries_are_logged_with_attempt_error_and_wait(
    canned: CannedServer, caplog: pytest.LogCaptureFixture
) -> None:
    canned.answer["/api/v2/projects/7"] = script(Canned(503, DOWN), Canned(body=envelope(PROJECT)))
    caplog.set_level(logging.DEBUG, logger="webwork_async")
    async with AsyncSession(token="t", base_url=canned.base_url, retry=FAST) as ww:
        await ww.projects.get(7, workspace_id=1)
    messages = [r.getMessage() for r in caplog.records if r.name == "webwork_async"]
    path = "/api/v2/projects/7?workspace_id=1"
    assert messages == [
        f"request GET {path} attempt=1",
        messages[1],
        f"retry GET {path} attempt=1 error=ServerError wait=0.010s",
        f"request GET {path} attempt=2",
        messages[4],
    ]
    assert messages[1].startswith(f"response GET {path} status=503 attempt=1 ")
    assert messages[4].startswith(f"response GET {path} status=200 attempt=2 ")


async def test_time_queued_for_the_rate_limiter_does_not_eat_the_timeout(
    canned: CannedServer,
) -> None:
    canned.answer["/api/v2/projects/7"] = Canned(body=envelope(PROJECT), delay=0.1)
    async with AsyncSession(
        token="t",
        base_url=canned.base_url,
        timeout=0.3,
        retry=None,
        rate_limit=RateLimit(requests=1, period=0.4),
    ) as ww:
        started = time.monotonic()
        projects = await asyncio.gather(*(ww.projects.get(7, workspace_id=1) for _ in range(3)))
        elapsed = time.monotonic() - started
    # The third call waited about 0.8 s for the limiter, far beyond its 0.3 s timeout.
    assert [p.id for p in projects] == [7, 7, 7]
    assert elapsed >= 0.8
