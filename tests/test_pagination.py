"""The paginator against servers that paginate in each documented way, or not at all."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from canned_server import Canned, CannedServer, envelope, stray_tasks

from webwork_async import (
    AsyncSession,
    InvalidArgumentError,
    JobProgress,
    PaginationError,
    Project,
    ServerError,
)


def project(n: int) -> dict[str, Any]:
    return {"id": n, "name": f"P{n}"}


def paged(total: int, *, where: str = "meta", delay: float = 0.0) -> Any:
    """A handler serving `total` projects, pagination in `meta`, at the `top` level, or `none`."""

    def answer(request: web.Request) -> Canned:
        page = int(request.query.get("page", "1"))
        size = int(request.query.get("per_page", "20"))
        items = [project(n) for n in range((page - 1) * size + 1, min(total, page * size) + 1)]
        info = {"total": total, "per_page": size, "current_page": page}
        info["last_page"] = max(1, -(-total // size))
        body = envelope(items)
        if where == "meta":
            body["meta"]["pagination"] = info
        elif where == "top":
            body["pagination"] = info
        return Canned(body=body, delay=delay)

    return answer


@pytest.mark.parametrize("where", ["meta", "top"])
async def test_pagination_in_meta_or_at_top_level(canned: CannedServer, where: str) -> None:
    canned.answer["/api/v2/projects"] = paged(95, where=where)
    async with AsyncSession(token="t", base_url=canned.base_url) as ww:
        ids = [p.id async for p in ww.projects.list(workspace_id=1, per_page=10)]
    assert ids == list(range(1, 96))
    assert len(canned.seen) == 10


async def test_without_pagination_walks_until_an_empty_page(canned: CannedServer) -> None:
    canned.answer["/api/v2/projects"] = paged(45, where="none")
    async with AsyncSession(token="t", base_url=canned.base_url) as ww:
        ids = [p.id async for p in ww.projects.list(workspace_id=1, per_page=20)]
    assert ids == list(range(1, 46))
    assert [req[2]["page"] for req in canned.seen] == ["1", "2", "3", "4"]


async def test_without_pagination_a_capped_page_size_loses_nothing(canned: CannedServer) -> None:
    # The service may cap per_page below what was asked: short pages must not end the walk.
    def capped(request: web.Request) -> Canned:
        page = int(request.query["page"])
        items = [project(n) for n in range((page - 1) * 30 + 1, min(70, page * 30) + 1)]
        return Canned(body=envelope(items))

    canned.answer["/api/v2/projects"] = capped
    async with AsyncSession(token="t", base_url=canned.base_url) as ww:
        ids = [p.id async for p in ww.projects.list(workspace_id=1)]
    assert ids == list(range(1, 71))


async def test_a_service_that_ignores_page_is_an_error_not_an_endless_walk(
    canned: CannedServer,
) -> None:
    canned.answer["/api/v2/projects"] = Canned(body=envelope([project(1), project(2)]))
    async with AsyncSession(token="t", base_url=canned.base_url) as ww:
        seen: list[int] = []
        with pytest.raises(PaginationError, match="same 2 items as page 1") as caught:
            async for item in ww.projects.list(workspace_id=1):
                seen.append(item.id)
    assert seen == [1, 2]  # what came before the repeat was delivered, nothing was passed twice
    assert caught.value.page == 2 and "workspace_id=1" in caught.value.url
    assert len(canned.seen) == 2


async def test_pages_after_the_first_are_fetched_concurrently_in_order(
    canned: CannedServer,
) -> None:
    canned.answer["/api/v2/projects"] = paged(1000, delay=0.02)
    async with AsyncSession(
        token="t", base_url=canned.base_url, max_concurrency=4, rate_limit=None
    ) as ww:
        paginator = ww.projects.list(workspace_id=1, per_page=50)
        pages = [page async for page in paginator.pages()]
    assert [page.pagination.current_page for page in pages if page.pagination] == list(range(1, 21))
    assert [p.id for page in pages for p in page.items] == list(range(1, 1001))
    assert canned.max_in_flight == 4  # the semaphore's limit, reached and never passed


async def test_a_failing_page_stops_the_walk_and_cancels_prefetches(
    canned: CannedServer, loop_errors: list[dict[str, Any]]
) -> None:
    healthy = paged(500, delay=0.01)

    def third_page_fails(request: web.Request) -> Canned:
        if request.query["page"] == "3":
            return Canned(500, {"success": False, "message": "boom", "error": "Internal"})
        return healthy(request)

    canned.answer["/api/v2/projects"] = third_page_fails
    got: list[Project] = []
    async with AsyncSession(
        token="t", base_url=canned.base_url, max_concurrency=3, rate_limit=None
    ) as ww:
        with pytest.raises(ServerError, match="boom"):
            async for item in ww.projects.list(workspace_id=1, per_page=10):
                got.append(item)
        assert stray_tasks() == []
    assert [p.id for p in got] == list(range(1, 21))


async def test_breaking_out_early_stops_the_prefetches(
    canned: CannedServer, loop_errors: list[dict[str, Any]]
) -> None:
    canned.answer["/api/v2/projects"] = paged(2000, delay=0.01)
    async with AsyncSession(
        token="t", base_url=canned.base_url, max_concurrency=4, rate_limit=None
    ) as ww:
        seen = 0
        async for _ in ww.projects.list(workspace_id=1, per_page=10):
            seen += 1
            if seen == 25:
                break
        for _ in range(50):  # the dropped iterator is closed by the loop's finalizer hook
            if not stray_tasks():
                break
            await asyncio.sleep(0.01)
        assert stray_tasks() == []
        asked = len(canned.seen)
    assert seen == 25
    assert asked <= 3 + 4  # the pages read, plus at most one prefetch window; not all 200


@pytest.mark.parametrize("where", ["meta", "none"])
async def test_a_page_walk_reports_progress_after_each_page(
    canned: CannedServer, where: str
) -> None:
    canned.answer["/api/v2/projects"] = paged(950, where=where)
    seen: list[JobProgress] = []
    async with AsyncSession(token="t", base_url=canned.base_url, rate_limit=None) as ww:
        walked = [
            len(page) async for page in ww.projects.list(workspace_id=1).pages(progress=seen.append)
        ]
        collected = await ww.projects.list(workspace_id=1, page=3).to_list(progress=seen.append)
    assert walked[:10] == [100] * 9 + [50]
    walk, from_page_3 = seen[: len(walked)], seen[len(walked) :]
    assert [progress.done for progress in walk] == list(range(1, len(walked) + 1))
    # Without pagination data the number of pages is never told, and one empty page ends it.
    assert {progress.total for progress in walk} == ({10} if where == "meta" else {None})
    assert [progress.items for progress in walk][:10] == [100 * n for n in range(1, 10)] + [950]
    assert walk[-1].requests == len(walked) and walk[-1].failed == 0
    assert len(collected) == 750 and from_page_3[-1].items == 750
    assert from_page_3[0].total == (8 if where == "meta" else None)


async def test_a_progress_that_is_not_a_function_is_refused(canned: CannedServer) -> None:
    async with AsyncSession(token="t", base_url=canned.base_url, rate_limit=None) as ww:
        with pytest.raises(InvalidArgumentError, match="progress"):
            await ww.projects.list(workspace_id=1).to_list(progress=42)  # type: ignore[arg-type]
    assert canned.seen == []
