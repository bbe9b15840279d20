"""The fault table of the README, row by row, against the fake server with faults injected.

Each row: a bulk read over hundreds of workspaces where every workspace arrives complete and
correct or is reported with the error that stopped it (none missing, none twice), and a batch of
writes where no POST is carried out twice.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
from canned_server import stray_tasks
from yarl import URL

from webwork_async import (
    APIError,
    AsyncSession,
    DecodeError,
    Project,
    RateLimit,
    RateLimitError,
    RetryPolicy,
    ServerError,
    SessionStateError,
    TimeoutError,
    TransportError,
    WebWorkError,
    WorkspaceResult,
)
from webwork_async import _constants as defaults
from webwork_async.testing import FakeWebWork

WORKSPACES = 520
RETRY = RetryPolicy(max_retries=3, backoff=0.005, backoff_max=0.02, jitter=0.0)
TIMEOUT = 2.0  # the attempt timeout, generous so that a loaded machine does not time out
SLOW_TIMEOUT = 0.2  # the attempt timeout under the `slow` fault, whose answers take SLOW
SLOW = 0.6


@dataclass(frozen=True)
class Row:
    """One row of the fault table: the fault, and what a caller sees for reads and for writes."""

    kind: str
    status: int | None = None
    read_error: type[WebWorkError] | None = None  # None: retried until the workspace is complete
    write_error: type[WebWorkError] | None = None  # None: retried, the write happens once
    write_executed: bool = True  # did the service act on the faulted write?


ROWS = [
    Row("rate_limit", write_error=None, write_executed=False),
    Row("server_error", 503, write_error=ServerError, write_executed=False),
    Row("server_error", 502, write_error=ServerError, write_executed=False),
    Row("server_error", 500, read_error=ServerError, write_error=ServerError, write_executed=False),
    Row("reset_before_answer", write_error=TransportError),
    Row("reset_mid_body", write_error=TransportError),
    Row("truncated_json", write_error=DecodeError),
    Row("invalid_json", write_error=DecodeError),
    Row("schema_mismatch", read_error=DecodeError, write_error=DecodeError),
    Row("slow", write_error=TimeoutError),
    Row("in_band_failure", read_error=APIError, write_error=APIError, write_executed=False),
]


def row_id(row: Row) -> str:
    return row.kind if row.status is None else f"{row.kind}_{row.status}"


# Ten times the retry backoff, so that a retry which ignored Retry-After shows (see below).
RETRY_AFTER = 0.05


def inject(fake: FakeWebWork, row: Row, method: str, probability: float) -> None:
    fake.inject(
        row.kind,
        method=method,
        path="projects",
        probability=probability,
        status=row.status,
        retry_after=RETRY_AFTER,
        delay=SLOW,
    )


def retry_gaps(fake: FakeWebWork) -> list[float]:
    """Seconds between each 429 and the next try of the same request, as the fake saw them."""
    requests = fake.requests
    gaps = []
    for index, refused in enumerate(requests):
        if refused.status != 429:
            continue
        retry = next(
            (
                later
                for later in requests[index + 1 :]
                if (later.path, later.query) == (refused.path, refused.query)
            ),
            None,
        )
        if retry is not None:
            gaps.append(retry.received_at - refused.received_at)
    return gaps


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[FakeWebWork, dict[int, list[int]]]]:
    """One fake with 520 workspaces (some with two pages of projects), served for the module."""
    fake = FakeWebWork()
    ids = fake.seed(workspaces=WORKSPACES, projects_per_workspace=(0, 130), seed=5)
    expected = {w: [project["id"] for project in fake.projects(w)] for w in ids}
    with fake.serve_in_thread():
        yield fake, expected


@pytest.fixture
def bulk_fake(
    seeded: tuple[FakeWebWork, dict[int, list[int]]],
) -> Iterator[tuple[FakeWebWork, dict[int, list[int]]]]:
    fake, expected = seeded
    yield fake, expected
    fake.clear_faults()
    fake.enforce_rate_limit(None)
    fake.reset_requests()


def session(fake: FakeWebWork, row: Row | None = None, **options: Any) -> AsyncSession:
    assert fake.base_url is not None
    settings: dict[str, Any] = {
        "timeout": SLOW_TIMEOUT if row is not None and row.kind == "slow" else TIMEOUT,
        "retry": RETRY,
        "rate_limit": None,
        "max_concurrency": 16,
        **options,
    }
    return AsyncSession(token=fake.token, base_url=fake.base_url, **settings)


async def fetch_all(ww: AsyncSession, ids: list[int]) -> dict[int, WorkspaceResult[Project]]:
    results = [result async for result in ww.projects.list_many(ids)]
    by_id = {result.workspace_id: result for result in results}
    assert len(results) == len(by_id) == len(ids)  # none missing, none twice
    return by_id


def check_complete_or_reported(
    by_id: dict[int, WorkspaceResult[Project]], expected: dict[int, list[int]]
) -> list[WebWorkError]:
    """Every workspace is complete and correct, or carries an error and no items.

    An item that did not fit its model (the schema_mismatch fault turns ids into "x-<id>") is
    in the workspace's item_errors instead of its items: reported too, never dropped.
    """
    errors: list[WebWorkError] = []
    for workspace_id, result in by_id.items():
        if result.ok:
            reported = [
                int(str(e.item["id"]).removeprefix("x-"))
                for e in result.item_errors
                if isinstance(e.item, dict)  # not the "x-unexpected" of an empty page
            ]
            got = [project.id for project in result.items]
            assert sorted(got + reported) == expected[workspace_id]
            errors += result.item_errors
        else:
            assert result.items == []
            assert isinstance(result.error, WebWorkError)
            errors.append(result.error)
    return errors


@pytest.mark.parametrize("row", ROWS, ids=row_id)
async def test_bulk_read_under_fault(
    bulk_fake: tuple[FakeWebWork, dict[int, list[int]]], row: Row
) -> None:
    fake, expected = bulk_fake
    inject(fake, row, "GET", probability=0.2)
    async with session(fake, row) as ww:
        by_id = await fetch_all(ww, list(expected))
    errors = check_complete_or_reported(by_id, expected)
    faulted = sum(1 for recorded in fake.requests if recorded.fault is not None)
    assert faulted > 50  # the fault really hit a fifth of the requests
    if row.kind == "rate_limit":
        # Every retry waited what the service asked (not the 5 ms backoff), and mostly no more
        # (not the 0.5 s a 429 without Retry-After gets).
        gaps = retry_gaps(fake)
        assert len(gaps) > 50 and min(gaps) >= RETRY_AFTER
        assert statistics.median(gaps) < defaults.RETRY_BACKOFF
    if row.read_error is None:
        # Retried: only a workspace whose request failed 1 + max_retries times in a row is lost.
        assert len(errors) <= 5
        assert all(error.attempts == 1 + RETRY.max_retries for error in errors)
    else:
        # Not worth retrying: each faulted workspace reports this error after one attempt.
        assert len(errors) > 50
        assert all(type(error) is row.read_error and error.attempts == 1 for error in errors)
        if row.read_error is DecodeError:
            assert all(error.path for error in errors if isinstance(error, DecodeError))


@pytest.mark.parametrize("row", ROWS, ids=row_id)
async def test_no_write_is_carried_out_twice_under_fault(
    webwork_fake: FakeWebWork, row: Row
) -> None:
    workspace_id = webwork_fake.add_workspace()
    inject(webwork_fake, row, "POST", probability=0.5)
    names = [f"Project {n}" for n in range(40)]
    # Retries enough that a write the policy does retry is not failed 9 times in a row at 50%.
    retry = RetryPolicy(max_retries=8, backoff=0.005)
    async with session(webwork_fake, row, retry=retry) as ww:
        outcomes = await asyncio.gather(
            *(ww.projects.create(workspace_id=workspace_id, name=name) for name in names),
            return_exceptions=True,
        )
    if row.kind == "slow":
        await until_answered(webwork_fake, "POST")  # those the client gave up on, too
    stored = [project["name"] for project in webwork_fake.projects(workspace_id)]
    assert len(stored) == len(set(stored))  # no name twice: no POST was carried out twice
    posts = [r for r in webwork_fake.requests if r.method == "POST"]
    assert webwork_fake.executed_count("POST") == len(stored)
    failures = 0
    for name, outcome in zip(names, outcomes, strict=True):
        sent = [r for r in posts if msgspec.json.decode(r.body)["name"] == name]
        if isinstance(outcome, BaseException):
            failures += 1
            assert isinstance(outcome, WebWorkError)
            assert len(sent) <= 1 and outcome.attempts == 1  # raised, never replayed
            if sent and sent[0].fault is not None:
                assert row.write_error is not None and isinstance(outcome, row.write_error)
                assert sent[0].executed is row.write_executed
            else:
                # No fault: the machine was too slow for the attempt timeout. Whether the
                # service got the write or not, it is raised and never sent again.
                assert isinstance(outcome, TimeoutError)
            assert (name in stored) is bool(sent and sent[0].executed)
        else:
            assert outcome.name == name and stored.count(name) == 1
            assert sum(1 for r in sent if r.executed) == 1
    if row.write_error is None:
        assert failures == 0
    else:
        assert failures >= 10  # about half the writes were faulted


# The short window makes the limiter's 2% margin 2 ms, far less than the arrival jitter of a
# threaded server on a loaded machine: the promise must hold from how slots are counted, not
# from the margin.
@pytest.mark.parametrize(("requests", "period"), [(300, 1.0), (25, 0.1)])
async def test_bulk_read_under_the_enforced_limit_gets_no_429(
    bulk_fake: tuple[FakeWebWork, dict[int, list[int]]], requests: int, period: float
) -> None:
    fake, expected = bulk_fake
    fake.enforce_rate_limit(requests, period)
    async with session(fake, rate_limit=RateLimit(requests=requests, period=period)) as ww:
        by_id = await fetch_all(ww, list(expected))
    assert check_complete_or_reported(by_id, expected) == []
    assert fake.rate_limited_count == 0
    assert len(fake.requests) > WORKSPACES


async def test_without_the_limiter_the_same_job_meets_429s_and_still_completes(
    bulk_fake: tuple[FakeWebWork, dict[int, list[int]]],
) -> None:
    fake, expected = bulk_fake
    fake.enforce_rate_limit(20, 0.25)  # 16 requests go at once: the limit is met at once
    ids = list(expected)[:60]
    async with session(fake, retry=RetryPolicy(max_retries=20, backoff=0.01)) as ww:
        by_id = await fetch_all(ww, ids)
    assert check_complete_or_reported(by_id, expected) == []
    assert fake.rate_limited_count > 0  # what the limiter spares the service (and the caller)


@pytest.mark.parametrize("row", [row for row in ROWS if row.read_error is None], ids=row_id)
async def test_total_timeout_holds_whatever_the_retries(
    bulk_fake: tuple[FakeWebWork, dict[int, list[int]]], row: Row
) -> None:
    fake, expected = bulk_fake
    inject(fake, row, "GET", probability=1.0)
    workspace_id = next(iter(expected))
    async with session(fake, row, retry=RetryPolicy(max_retries=1000, backoff=0.02)) as ww:
        started = time.monotonic()
        with pytest.raises(WebWorkError) as caught:
            await ww.projects.list(workspace_id=workspace_id, total_timeout=0.5)
        elapsed = time.monotonic() - started
    assert elapsed < 0.5 + 0.1
    assert caught.value.attempts > 1


async def test_a_retry_after_beyond_the_total_timeout_is_raised_at_once(
    webwork_fake: FakeWebWork,
) -> None:
    # Its own fake (and token): the 30 s pause is shared by every session of the token.
    workspace_id = webwork_fake.add_workspace()
    webwork_fake.inject("rate_limit", method="GET", retry_after=30)
    async with session(webwork_fake) as ww:
        started = time.monotonic()
        with pytest.raises(RateLimitError) as caught:
            await ww.projects.list(workspace_id=workspace_id, total_timeout=5)
        assert time.monotonic() - started < 1
        with pytest.raises(TimeoutError, match="rate limiter; nothing was sent"):
            await ww.projects.list(workspace_id=workspace_id, total_timeout=5)
    assert caught.value.retry_after == 30 and caught.value.attempts == 1
    assert webwork_fake.request_count() == 1


async def until_answered(fake: FakeWebWork, method: str) -> None:
    """Wait until the fake has answered (or dropped) every ``method`` request it received."""
    for _ in range(500):
        if all(r.status is not None for r in fake.requests if r.method == method):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the fake still has {method} requests in flight after 10 s")


def open_connections(port: int) -> int:
    """Established TCP connections to ``port`` on this machine (Linux ``/proc/net/tcp``).

    Only client sockets have ``port`` as their remote port, so the server's side is not counted.
    """
    count = 0
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            remote, state = line.split()[2:4]
            if state == "01" and int(remote.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


async def until_no_connections(port: int) -> int:
    """Open connections to ``port`` once closing sockets have had a moment to go."""
    for _ in range(50):
        if open_connections(port) == 0:
            return 0
        await asyncio.sleep(0.02)
    return open_connections(port)


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="counts sockets with Linux /proc")
async def test_cancelling_a_bulk_job_halfway_leaves_nothing_open(
    bulk_fake: tuple[FakeWebWork, dict[int, list[int]]], loop_errors: list[dict[str, Any]]
) -> None:
    fake, expected = bulk_fake
    fake.inject("slow", method="GET", probability=0.3, delay=0.3)
    received: list[WorkspaceResult[Project]] = []
    async with session(fake, timeout=5) as ww:

        async def job() -> None:
            async for result in ww.projects.list_many(list(expected)):
                received.append(result)

        task = asyncio.ensure_future(job())
        while len(received) < WORKSPACES // 2:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert stray_tasks() == []
    assert len({result.workspace_id for result in received}) == len(received)


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="counts sockets with Linux /proc")
async def test_cancelling_closes_the_connections_of_the_requests_it_cut_short(
    bulk_fake: tuple[FakeWebWork, dict[int, list[int]]], loop_errors: list[dict[str, Any]]
) -> None:
    """Every request is in flight when the job is cancelled, so none has an idle connection to
    return to the pool: with the session still open, no connection may be left."""
    fake, expected = bulk_fake
    fake.inject("slow", method="GET", delay=3.0)
    port = URL(fake.base_url or "").port or 0
    async with session(fake, timeout=5) as ww:

        async def job() -> None:
            async for _ in ww.projects.list_many(list(expected)):
                raise AssertionError("no workspace can finish before the cancellation")

        task = asyncio.ensure_future(job())
        while sum(1 for r in fake.requests if r.status is None) < 16:
            await asyncio.sleep(0.01)
        assert open_connections(port) == 16
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert stray_tasks() == []
        assert await until_no_connections(port) == 0  # while the session is still open


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="counts sockets with Linux /proc")
async def test_closing_the_session_with_requests_in_flight_is_clean(
    bulk_fake: tuple[FakeWebWork, dict[int, list[int]]], loop_errors: list[dict[str, Any]]
) -> None:
    fake, expected = bulk_fake
    fake.inject("slow", method="GET", delay=0.5)
    port = URL(fake.base_url or "").port or 0
    ww = session(fake, timeout=5)
    await ww.__aenter__()
    calls = [asyncio.ensure_future(ww.projects.list(workspace_id=w)) for w in list(expected)[:10]]
    await asyncio.sleep(0.1)
    assert open_connections(port) == 10
    await ww.aclose()
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(outcome, (SessionStateError, TransportError)) for outcome in outcomes)
    assert stray_tasks() == []
    assert await until_no_connections(port) == 0
