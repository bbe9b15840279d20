"""A broken or hostile server must not block the token, leak it, or exhaust memory.

Each test is one finding of a review against a misbehaving server (a proxy that redirects, a load
balancer with a garbage ``Retry-After``, a gateway serving a huge page, a gzip bomb, JSON nested a
thousand deep, pagination that never ends), played by the fake server's fault kinds, through the
public API only.
"""

from __future__ import annotations

import gc
import logging
import tracemalloc
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from webwork_async import (
    APIError,
    AsyncSession,
    DecodeError,
    JobProgress,
    PaginationError,
    RateLimit,
    RateLimitError,
    ResponseTooLargeError,
    RetryPolicy,
    TimeoutError,
    TransportCause,
    TransportError,
)
from webwork_async.testing import FakeWebWork

MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def collected_at_the_end() -> Iterator[None]:
    """Collect garbage as each test ends, after its servers stopped: a socket that a test left
    open is then reported on that test, not on a later one that happens to run the collector."""
    yield
    gc.collect()


def session(fake: FakeWebWork, **options: Any) -> AsyncSession:
    assert fake.base_url is not None
    settings: dict[str, Any] = {
        "rate_limit": None,
        "retry": RetryPolicy(backoff=0.01, jitter=0.0),
        **options,
    }
    return AsyncSession(token=fake.token, base_url=fake.base_url, **settings)


# --- server-directed waits ---------------------------------------------------------------------


@pytest.mark.parametrize("retry_after", ["1000000000", "1e308", "Fri, 01 Jan 2100 00:00:00 GMT"])
async def test_an_absurd_retry_after_is_raised_at_once_and_pauses_the_token_at_most_the_cap(
    webwork_fake: FakeWebWork, caplog: pytest.LogCaptureFixture, retry_after: str
) -> None:
    workspace = webwork_fake.add_workspace()
    webwork_fake.inject("rate_limit", method="GET", times=1, headers={"Retry-After": retry_after})
    caplog.set_level(logging.WARNING, logger="webwork_async")
    policy = RetryPolicy(backoff=0.01, max_server_wait=0.5)
    async with session(webwork_fake, retry=policy) as ww:
        with pytest.raises(RateLimitError) as caught:
            await ww.projects.list(workspace_id=workspace)
        assert caught.value.attempts == 1  # not waited for, not retried
        assert caught.value.retry_after is not None and caught.value.retry_after > 1e6
        # The token is paused for the cap, not for decades: the next call gets through.
        page = await ww.projects.list(workspace_id=workspace, total_timeout=5)
    assert page.items == []
    assert [r.status for r in webwork_fake.requests] == [429, 200]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("Retry-After" in text and "0.5 s at most" in text for text in warnings)


async def test_remaining_zero_with_a_reset_in_the_far_future_pauses_at_most_the_cap(
    webwork_fake: FakeWebWork, caplog: pytest.LogCaptureFixture
) -> None:
    workspace = webwork_fake.add_workspace()
    far = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "99999999999"}
    webwork_fake.inject("headers", method="GET", times=1, headers=far)
    caplog.set_level(logging.WARNING, logger="webwork_async")
    policy = RetryPolicy(max_server_wait=0.3)
    async with session(webwork_fake, retry=policy) as ww:
        await ww.projects.list(workspace_id=workspace)
        await ww.projects.list(workspace_id=workspace, total_timeout=5)  # paused 0.3 s, then on
    assert webwork_fake.request_count() == 2
    assert any("X-RateLimit-Reset" in record.getMessage() for record in caplog.records)


async def test_an_announced_limit_of_one_is_not_adopted_below_the_floor(
    webwork_fake: FakeWebWork, caplog: pytest.LogCaptureFixture
) -> None:
    ids = [webwork_fake.add_workspace() for _ in range(10)]
    webwork_fake.inject("headers", method="GET", headers={"X-RateLimit-Limit": "1"})
    caplog.set_level(logging.WARNING, logger="webwork_async")
    seen: list[JobProgress] = []
    async with session(webwork_fake, rate_limit=RateLimit(requests=60, period=60.0)) as ww:
        first = await ww.projects.list(workspace_id=ids[0])  # announces the limit of 1
        results = [r async for r in ww.projects.list_many(ids[1:], progress=seen.append)]
    assert first.items == [] and all(result.ok for result in results)
    # Adopted as 10 per minute, not 1: the 10 requests went without waiting for a minute each.
    assert seen[-1].rate_limit_waits == 0 and webwork_fake.request_count() == 10
    assert any("X-RateLimit-Limit 1" in record.getMessage() for record in caplog.records)


# --- the token in exception chains ---------------------------------------------------------------


async def test_an_oversized_header_gives_a_transport_error_with_no_aiohttp_exception_attached(
    webwork_fake: FakeWebWork,
) -> None:
    workspace = webwork_fake.add_workspace()
    webwork_fake.inject("headers", method="GET", headers={"X-Padding": "p" * 9000})
    async with session(webwork_fake, retry=None) as ww:
        with pytest.raises(TransportError) as caught:
            await ww.projects.list(workspace_id=workspace)
    error = caught.value
    assert isinstance(error.__cause__, TransportCause)
    assert "ClientResponseError" in str(error.__cause__)
    assert error.__context__ is None or not isinstance(error.__context__, aiohttp.ClientError)
    assert webwork_fake.token not in repr(error.__cause__) + str(error)


# --- response size -------------------------------------------------------------------------------


async def test_a_huge_page_is_refused_from_its_length_and_not_retried(
    webwork_fake: FakeWebWork,
) -> None:
    workspace = webwork_fake.add_workspace()
    webwork_fake.inject("huge_body", method="GET", size=64 * MIB)
    async with session(webwork_fake) as ww:
        with pytest.raises(ResponseTooLargeError) as caught:
            await ww.projects.list(workspace_id=workspace)
    assert caught.value.size == 64 * MIB and caught.value.limit == 32 * MIB
    assert caught.value.body == b"" and caught.value.attempts == 1
    assert webwork_fake.request_count() == 1  # downloaded once at most, never three times


async def test_a_gzip_bomb_is_stopped_at_the_limit_without_holding_it(
    webwork_fake: FakeWebWork,
) -> None:
    workspace = webwork_fake.add_workspace()
    webwork_fake.inject("gzip_bomb", method="GET", size=512 * MIB)
    async with session(webwork_fake, max_response_size=8 * MIB) as ww:
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError) as caught:
                await ww.projects.list(workspace_id=workspace)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert caught.value.size is None  # the compressed length said nothing of the real size
    assert len(caught.value.body) <= 64 * 1024
    assert peak < 64 * MIB  # the limit and a few chunks, not the 512 MiB it inflates to
    assert webwork_fake.request_count() == 1


async def test_a_large_answer_within_a_raised_limit_is_read(webwork_fake: FakeWebWork) -> None:
    workspace = webwork_fake.add_workspace()
    for number in range(100):
        webwork_fake.add_project(workspace, name=f"P{number}", notes="n" * 2000)
    async with session(webwork_fake, max_response_size=100 * 1024) as ww:
        with pytest.raises(ResponseTooLargeError):
            await ww.projects.list(workspace_id=workspace, per_page=100)
    async with session(webwork_fake, max_response_size=1 * MIB) as ww:
        page = await ww.projects.list(workspace_id=workspace, per_page=100)
    assert len(page.items) == 100


# --- redirects and answers that break the decoder ------------------------------------------------


async def test_a_redirect_to_another_host_is_an_error_and_not_followed(
    webwork_fake: FakeWebWork,
) -> None:
    workspace = webwork_fake.add_workspace()
    webwork_fake.inject(
        "redirect", status=302, location="http://elsewhere.invalid/api/v2/projects/9"
    )
    async with session(webwork_fake) as ww:
        with pytest.raises(APIError, match=r"redirected to http://elsewhere\.invalid") as caught:
            await ww.projects.get(9, workspace_id=workspace)
        with pytest.raises(APIError, match="not followed"):
            await ww.projects.create(workspace_id=workspace, name="Stays here")
    assert caught.value.status == 302 and caught.value.attempts == 1
    assert webwork_fake.request_count() == 2 and webwork_fake.executed_count() == 0


async def test_json_nested_a_thousand_deep_is_a_decode_error(webwork_fake: FakeWebWork) -> None:
    workspace = webwork_fake.add_workspace()
    webwork_fake.add_project(workspace, name="Deep")
    project_id = webwork_fake.projects(workspace)[0]["id"]
    webwork_fake.inject("deep_json", method="GET", depth=1000)
    async with session(webwork_fake) as ww:
        with pytest.raises(DecodeError):
            await ww.projects.get(project_id, workspace_id=workspace)
        with pytest.raises(DecodeError):
            await ww.projects.list(workspace_id=workspace)


# --- pagination ----------------------------------------------------------------------------------


async def test_endless_pages_end_the_walk_with_a_pagination_error_in_a_few_requests(
    webwork_fake: FakeWebWork,
) -> None:
    endless = webwork_fake.add_workspace()
    for number in range(3):
        webwork_fake.add_project(endless, name=f"P{number}")
    fine = webwork_fake.add_workspace()
    webwork_fake.add_project(fine, name="Fine")
    webwork_fake.inject("endless_pages", method="GET", path="projects")
    async with session(webwork_fake, max_concurrency=4) as ww:
        results = {r.workspace_id: r async for r in ww.projects.list_many([endless, fine])}
    assert isinstance(results[endless].error, PaginationError)
    assert results[endless].items == []  # never passed off as complete
    assert isinstance(results[fine].error, PaginationError)  # faulted too: its page, again
    # Page 2 repeats page 1: each walk stops there, after one window of prefetches at most.
    assert webwork_fake.request_count() <= 2 * (1 + 4)
    assert "same" in str(results[endless].error)


async def test_null_data_where_items_were_promised_is_an_error_not_an_empty_page(
    webwork_fake: FakeWebWork,
) -> None:
    workspace = webwork_fake.add_workspace()
    webwork_fake.add_project(workspace, name="There")
    webwork_fake.inject("null_data", method="GET", path="projects")
    async with session(webwork_fake) as ww:
        results = [r async for r in ww.projects.list_many([workspace])]
        with pytest.raises(PaginationError, match="data is null"):
            await ww.projects.list(workspace_id=workspace)
    assert isinstance(results[0].error, PaginationError) and results[0].items == []


async def test_a_last_page_beyond_what_total_allows_is_not_walked(canned: Any) -> None:
    from canned_server import Canned, envelope

    def answer(request: Any) -> Canned:
        page = int(request.query.get("page", "1"))
        body = envelope([{"id": page, "name": f"P{page}"}] if page <= 2 else [])
        body["meta"]["pagination"] = {
            "total": 2,
            "per_page": 1,
            "current_page": page,
            "last_page": 1_000_000_000,
        }
        return Canned(body=body)

    canned.answer["/api/v2/projects"] = answer
    async with AsyncSession(token="t", base_url=canned.base_url, rate_limit=None) as ww:
        items = await ww.projects.list(workspace_id=1, per_page=1).to_list()
    assert [item.id for item in items] == [1, 2]
    assert len(canned.seen) == 2  # total 2 at 1 a page: two pages, whatever last_page says


async def test_total_timeout_bounds_a_whole_walk_gathered_at_once(
    webwork_fake: FakeWebWork,
) -> None:
    workspace = webwork_fake.add_workspace()
    for number in range(3000):
        webwork_fake.add_project(workspace, name=f"P{number}")
    webwork_fake.inject("slow", method="GET", path="projects", delay=0.2)
    async with session(webwork_fake, max_concurrency=1, timeout=5) as ww:
        with pytest.raises(TimeoutError):
            await ww.projects.list(workspace_id=workspace, total_timeout=1).to_list()
        results = [r async for r in ww.projects.list_many([workspace], total_timeout=1)]
    assert isinstance(results[0].error, TimeoutError)
    # 30 pages at 0.2 s each would take 6 s per walk: each walk stopped after about 1 s.
    assert webwork_fake.request_count() <= 2 * 8
