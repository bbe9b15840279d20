"""list_many: every workspace asked for gives exactly one complete result or one error."""

from __future__ import annotations

import asyncio
from itertools import pairwise
from typing import Any

import pytest
from canned_server import stray_tasks

from webwork_async import (
    AsyncSession,
    AuthenticationError,
    InvalidArgumentError,
    JobProgress,
    NotFoundError,
    PermissionDeniedError,
    Project,
    RateLimit,
    RetryPolicy,
    SessionStateError,
    WorkspaceResult,
)
from webwork_async.testing import FakeWebWork


async def test_hundreds_of_workspaces_with_some_failing(
    webwork_fake: FakeWebWork, loop_errors: list[dict[str, Any]]
) -> None:
    good = webwork_fake.seed(workspaces=500, projects_per_workspace=(0, 130), seed=11)
    restricted = [webwork_fake.add_workspace(role="Regular User") for _ in range(7)]
    unknown = [880_001, 880_002, 880_003]
    asked = [*good, *restricted, *unknown]
    assert webwork_fake.base_url is not None
    results: list[WorkspaceResult[Project]] = []
    async with AsyncSession(
        token=webwork_fake.token,
        base_url=webwork_fake.base_url,
        max_concurrency=12,
        rate_limit=None,
    ) as ww:
        async for result in ww.projects.list_many(asked):
            results.append(result)

    by_id = {result.workspace_id: result for result in results}
    assert len(results) == len(asked) == len(by_id)  # none missing, none twice
    for workspace_id in good:
        result = by_id[workspace_id]
        assert result.ok and result.error is None
        assert [p.id for p in result.items] == [
            p["id"] for p in webwork_fake.projects(workspace_id)
        ]
    for workspace_id in restricted:
        assert isinstance(by_id[workspace_id].error, PermissionDeniedError)
        assert by_id[workspace_id].items == []
        with pytest.raises(PermissionDeniedError):
            by_id[workspace_id].unwrap()
    for workspace_id in unknown:
        assert isinstance(by_id[workspace_id].error, NotFoundError)
    assert sum(len(r.items) for r in results) == sum(len(webwork_fake.projects(w)) for w in good)


async def test_results_arrive_as_each_workspace_finishes(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    big = webwork_fake.add_workspace()
    for n in range(900):
        webwork_fake.add_project(big, name=f"P{n}")
    small = [webwork_fake.add_workspace() for _ in range(5)]
    order = [r.workspace_id async for r in ww.projects.list_many([big, *small])]
    # The 9-page workspace was asked for first but cannot be the first to finish.
    assert order[0] != big
    assert sorted(order) == sorted([big, *small])


async def test_repeated_ids_are_fetched_once(ww: AsyncSession, webwork_fake: FakeWebWork) -> None:
    first, second = webwork_fake.add_workspace(), webwork_fake.add_workspace()
    got = [r.workspace_id async for r in ww.projects.list_many([first, second, first, first])]
    assert sorted(got) == sorted([first, second])
    assert webwork_fake.request_count() == 2


async def test_accepts_any_iterable_and_passes_filters(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    ids = webwork_fake.seed(workspaces=4, projects_per_workspace=(3, 3), seed=1)
    for workspace_id in ids:
        webwork_fake.add_project(workspace_id, name="Needle")
    results = [r async for r in ww.projects.list_many(iter(ids), name="needle", per_page=7)]
    assert all([p.name for p in r.items] == ["Needle"] for r in results)
    assert {r.query["per_page"] for r in webwork_fake.requests} == {"7"}
    assert {r.query["name"] for r in webwork_fake.requests} == {"needle"}


async def test_stopping_early_cancels_the_rest_cleanly(
    webwork_fake: FakeWebWork, loop_errors: list[dict[str, Any]]
) -> None:
    ids = webwork_fake.seed(workspaces=200, projects_per_workspace=(50, 250), seed=3)
    assert webwork_fake.base_url is not None
    async with AsyncSession(
        token=webwork_fake.token,
        base_url=webwork_fake.base_url,
        max_concurrency=8,
        rate_limit=None,
    ) as ww:
        stream = ww.projects.list_many(ids)
        received = 0
        async for _ in stream:
            received += 1
            if received == 10:
                break
        await stream.aclose()  # type: ignore[attr-defined]
        assert stray_tasks() == []
    assert received == 10
    # Far fewer requests than a full run: the unfinished workspaces really stopped.
    assert webwork_fake.request_count() < 200


async def test_cancelling_the_consumer_leaves_nothing_running(
    webwork_fake: FakeWebWork, loop_errors: list[dict[str, Any]]
) -> None:
    ids = webwork_fake.seed(workspaces=300, projects_per_workspace=(100, 300), seed=5)
    assert webwork_fake.base_url is not None

    async def consume(ww: AsyncSession) -> int:
        return len([r async for r in ww.projects.list_many(ids)])

    async with AsyncSession(
        token=webwork_fake.token,
        base_url=webwork_fake.base_url,
        max_concurrency=8,
        rate_limit=None,
    ) as ww:
        job = asyncio.create_task(consume(ww))
        while webwork_fake.request_count() < 20:
            await asyncio.sleep(0.005)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        assert stray_tasks() == []


async def test_a_rejected_token_ends_the_job_at_once_with_every_workspace_reported(
    webwork_fake: FakeWebWork, loop_errors: list[dict[str, Any]]
) -> None:
    ids = webwork_fake.seed(workspaces=300, projects_per_workspace=(0, 5), seed=2)
    assert webwork_fake.base_url is not None
    # The service's own pace (60 per minute): without the stop, 300 401s would take minutes.
    async with AsyncSession(
        token="a-revoked-token", base_url=webwork_fake.base_url, max_concurrency=16
    ) as ww:
        results = [result async for result in ww.projects.list_many(ids)]
        assert stray_tasks() == []
    assert sorted(result.workspace_id for result in results) == sorted(ids)  # none dropped
    assert all(isinstance(result.error, AuthenticationError) for result in results)
    assert webwork_fake.request_count() <= 16  # at most one request per in-flight slot


async def test_a_session_from_another_loop_ends_the_job_with_no_request(
    webwork_fake: FakeWebWork, loop_errors: list[dict[str, Any]]
) -> None:
    ids = webwork_fake.seed(workspaces=50, projects_per_workspace=(0, 5), seed=2)
    assert webwork_fake.base_url is not None
    async with AsyncSession(
        token=webwork_fake.token, base_url=webwork_fake.base_url, rate_limit=None
    ) as ww:

        def bulk_job_in_a_thread() -> list[WorkspaceResult[Project]]:
            async def job() -> list[WorkspaceResult[Project]]:
                return [result async for result in ww.projects.list_many(ids)]

            return asyncio.run(job())

        results = await asyncio.to_thread(bulk_job_in_a_thread)
    assert sorted(result.workspace_id for result in results) == sorted(ids)
    assert all(isinstance(result.error, SessionStateError) for result in results)
    assert webwork_fake.request_count() == 0


async def test_errors_of_one_workspace_do_not_end_the_job(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    good = webwork_fake.seed(workspaces=30, projects_per_workspace=(0, 5), seed=4)
    restricted = webwork_fake.add_workspace(role="Regular User")
    results = [result async for result in ww.projects.list_many([restricted, *good, 770_001])]
    errors = {result.workspace_id: type(result.error) for result in results if not result.ok}
    assert errors == {restricted: PermissionDeniedError, 770_001: NotFoundError}
    assert len(results) == 32


async def test_progress_counts_workspaces_items_requests_retries_and_waits(
    webwork_fake: FakeWebWork,
) -> None:
    good = webwork_fake.seed(workspaces=40, projects_per_workspace=(0, 250), seed=8)
    restricted = [webwork_fake.add_workspace(role="Regular User") for _ in range(3)]
    asked = [*restricted, *good, *good[:5]]  # repeated ids count once
    webwork_fake.inject("server_error", status=503, method="GET", path="projects", times=5)
    assert webwork_fake.base_url is not None
    seen: list[JobProgress] = []
    async with AsyncSession(
        token=webwork_fake.token,
        base_url=webwork_fake.base_url,
        retry=RetryPolicy(backoff=0.001, jitter=0.0),
        rate_limit=RateLimit(requests=20, period=0.1),  # a few waits for the limiter
    ) as ww:
        results = [result async for result in ww.projects.list_many(asked, progress=seen.append)]
    assert [progress.done for progress in seen] == list(range(1, 44))
    assert {progress.total for progress in seen} == {43}
    last = seen[-1]
    assert last.failed == 3 == sum(not result.ok for result in results)
    assert last.items == sum(len(webwork_fake.projects(w)) for w in good)
    assert last.requests == webwork_fake.request_count() > 43
    assert last.retries == 5
    assert last.rate_limit_waits > 0 and last.rate_limit_wait_seconds > 0
    assert all(a.elapsed <= b.elapsed and a.requests <= b.requests for a, b in pairwise(seen))


async def test_a_progress_that_is_not_a_function_is_refused_before_sending(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    with pytest.raises(InvalidArgumentError, match=r"progress: must be a function, got 'bar'"):
        ww.projects.list_many([1, 2], progress="bar")  # type: ignore[arg-type]
    assert webwork_fake.request_count() == 0
