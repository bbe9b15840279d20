"""Pages and the paginator that every list operation returns."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from webwork_async import _validation as check
from webwork_async._constants import ITER_PER_PAGE
from webwork_async._progress import ProgressCallback, ProgressTracker, RequestStats
from webwork_async.models._base import Pagination

T = TypeVar("T")

#: Fetches one page: ``(page, per_page, stats)``; page or per_page None leaves it to the service,
#: and the request is counted in ``stats`` when it is given.
PageFetcher = Callable[[int | None, int | None, RequestStats | None], Awaitable["Page[T]"]]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its ``items`` and, when the service sent it, its ``pagination``."""

    items: list[T]
    pagination: Pagination | None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def last_page(self) -> int | None:
        """The number of the last page, when the service told it."""
        return None if self.pagination is None else self.pagination.last_page


class AsyncPaginator(Generic[T]):
    """What ``list()`` returns: await it for one page, iterate it for every item.

    ``await ww.projects.list(workspace_id=1)`` sends one request and gives a :class:`Page`.
    ``async for project in ww.projects.list(workspace_id=1)`` walks every page, 100 items a page
    unless ``per_page`` says otherwise; once the first page tells ``last_page``, the following pages
    are fetched concurrently (at most ``prefetch`` ahead, under the session's semaphore) and
    yielded in order. Without pagination data it walks page by page until an empty page.
    :meth:`pages` and :meth:`to_list` take a ``progress`` callback, called after each page.
    """

    def __init__(
        self, fetch: PageFetcher[T], *, page: int | None, per_page: int | None, prefetch: int
    ) -> None:
        self._fetch = fetch
        self._page = page
        self._per_page = per_page
        self._prefetch = max(1, prefetch)

    def __await__(self) -> Generator[object, None, Page[T]]:
        return self._fetch(self._page, self._per_page, None).__await__()

    def __aiter__(self) -> AsyncGenerator[T, None]:
        return self._items()

    async def _items(self) -> AsyncGenerator[T, None]:
        # aclosing: when the consumer stops early, the page walk (and its prefetches) stops with it.
        async with contextlib.aclosing(self.pages()) as pages:
            async for page in pages:
                for item in page.items:
                    yield item

    async def to_list(self, *, progress: ProgressCallback | None = None) -> list[T]:
        """Every item of every page, in order (gathered a page at a time, not item by item).

        ``progress`` is called with a :class:`~webwork_async.JobProgress` after each page.
        """
        tracker = _tracker(progress)
        return await self._collect(tracker.stats if tracker else None, tracker)

    async def _collect(
        self, stats: RequestStats | None, tracker: ProgressTracker | None = None
    ) -> list[T]:
        """:meth:`to_list`, counting requests in ``stats`` (``list_many`` counts per job)."""
        start, per_page = self._page or 1, self._per_page or ITER_PER_PAGE
        first = await self._fetch(start, per_page, stats)
        _page_done(tracker, first, start)
        if first.last_page is not None and first.last_page <= start:
            return first.items  # one page: the common case of a bulk job, kept cheap
        items = list(first.items)
        following = self._following(first, start, per_page, stats)
        async with contextlib.aclosing(following) as pages:
            async for page in pages:
                _page_done(tracker, page, start)
                items += page.items
        return items

    async def pages(
        self, *, progress: ProgressCallback | None = None
    ) -> AsyncGenerator[Page[T], None]:
        """Every page in order, starting at ``page`` (default 1).

        ``progress`` is called with a :class:`~webwork_async.JobProgress` as each page arrives.
        """
        tracker = _tracker(progress)
        stats = tracker.stats if tracker else None
        start, per_page = self._page or 1, self._per_page or ITER_PER_PAGE
        first = await self._fetch(start, per_page, stats)
        _page_done(tracker, first, start)
        yield first
        following = self._following(first, start, per_page, stats)
        async with contextlib.aclosing(following) as pages:
            async for page in pages:
                _page_done(tracker, page, start)
                yield page

    async def _following(
        self, first: Page[T], start: int, per_page: int, stats: RequestStats | None
    ) -> AsyncGenerator[Page[T], None]:
        """The pages after ``first``, fetched up to ``prefetch`` ahead and yielded in order."""
        last = first.last_page
        if last is None:
            async for page in self._walk_until_empty(first, start, per_page, stats):
                yield page
            return
        window: collections.deque[asyncio.Future[Page[T]]] = collections.deque()
        following = start + 1
        try:
            while following <= last or window:
                while following <= last and len(window) < self._prefetch:
                    window.append(asyncio.ensure_future(self._fetch(following, per_page, stats)))
                    following += 1
                yield await window.popleft()
        finally:
            for pending in window:
                pending.cancel()
            if window:
                await asyncio.gather(*window, return_exceptions=True)

    async def _walk_until_empty(
        self, previous: Page[T], number: int, per_page: int, stats: RequestStats | None
    ) -> AsyncIterator[Page[T]]:
        # Without pagination data a short page does not prove the end (the service may cap
        # per_page), so only an empty page does; a page equal to the one before means the
        # service ignores `page`, and walking on would never end.
        while previous.items:
            number += 1
            page = await self._fetch(number, per_page, stats)
            if page.items == previous.items:
                return
            yield page
            previous = page


def _page_done(tracker: ProgressTracker | None, page: Page[Any], start: int) -> None:
    """Report one finished page of a walk that started at page ``start``."""
    if tracker is None:
        return
    if tracker.total is None and page.last_page is not None:
        tracker.total = max(page.last_page - start + 1, 1)
    tracker.finished(len(page.items))


def _tracker(progress: ProgressCallback | None) -> ProgressTracker | None:
    """A tracker for a page walk's ``progress`` callback (checked), or None without one."""
    return None if progress is None else ProgressTracker(check.callback("progress", progress), None)
