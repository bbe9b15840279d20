"""Pages and the paginator that every list operation returns.

The service's pagination is checked, not trusted: ``last_page`` is held to what ``total`` and
``per_page`` allow, a page identical to the one before it ends the walk with a
:class:`~webwork_async.errors.PaginationError` in every mode, and a walk gathered whole
(``to_list``, each workspace of ``list_many``) has the call's ``total_timeout`` as its bound.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, Generic, NamedTuple, TypeVar

import msgspec

from webwork_async import _validation as check
from webwork_async._constants import ITER_PER_PAGE
from webwork_async._progress import ProgressCallback, ProgressTracker, RequestStats
from webwork_async.errors import DecodeError, PaginationError
from webwork_async.models._base import Pagination

T = TypeVar("T")
U = TypeVar("U")


class Walk(NamedTuple):
    """What the page requests of one walk share: their counts, and the walk's deadline."""

    stats: RequestStats | None = None
    deadline_at: float | None = None  # time.monotonic() by which the whole walk must end


#: Fetches one page: ``(page, per_page, walk)``; page or per_page None leaves it to the service.
PageFetcher = Callable[[int | None, int | None, Walk], Awaitable["Page[T]"]]
#: Makes the same paginator over items of another type (see ``AsyncPaginator.as_type``).
Retyper = Callable[[Any], "AsyncPaginator[Any]"]

_ONE_REQUEST = Walk()


class Page(msgspec.Struct, Generic[T], frozen=True):
    """One page of a list: its ``items`` and, when the service sent it, its ``pagination``.

    ``item_errors`` holds a :class:`~webwork_async.errors.DecodeError` for each item of the
    answer that did not fit its model (its ``index``, ``path`` and raw ``item``); those items
    are not in ``items``. Empty unless the service sent something unexpected.

    A frozen Struct rather than a dataclass: one is made per page request, and a frozen
    dataclass costs seven times as much to create.
    """

    items: list[T]
    pagination: Pagination | None
    item_errors: list[DecodeError] = msgspec.field(default_factory=list)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def last_page(self) -> int | None:
        """The number of the last page, when the service told it; never beyond what its own
        ``total`` and ``per_page`` allow (a lying ``last_page`` cannot make a walk endless)."""
        info = self.pagination
        if info is None:
            return None
        last = info.last_page
        if info.total is not None and info.per_page:
            allowed = max(1, -(-info.total // info.per_page))
            last = allowed if last is None else min(last, allowed)
        return last


def promises_items(pagination: Pagination | None, page: int | None) -> bool:
    """Whether ``pagination`` says that page ``page`` (None: the first) holds items."""
    if pagination is None or not pagination.total:
        return False
    size = pagination.per_page
    return size is None or pagination.total > ((page or 1) - 1) * size


class AsyncPaginator(Generic[T]):
    """What ``list()`` returns: await it for one page, iterate it for every item.

    ``await ww.projects.list(workspace_id=1)`` sends one request and gives a :class:`Page`.
    ``async for project in ww.projects.list(workspace_id=1)`` walks every page, 100 items a page
    unless ``per_page`` says otherwise; once the first page tells ``last_page``, the following pages
    are fetched concurrently (at most ``prefetch`` ahead, under the session's semaphore) and
    yielded in order. Without pagination data it walks page by page until an empty page.
    :meth:`pages` and :meth:`to_list` take a ``progress`` callback, called after each page.

    ``total_timeout`` bounds each page request of a walk you iterate (your loop sets the pace),
    and the whole walk of :meth:`to_list`. A page identical to the one before it raises
    :class:`~webwork_async.errors.PaginationError` (the service ignores ``page``).

    An item that does not fit its model is left out, logged at WARNING on the ``webwork_async``
    logger and kept in :attr:`item_errors` (and in its page's ``item_errors``); with the option
    ``strict=True`` it fails its page with :class:`~webwork_async.errors.DecodeError` instead.
    """

    item_errors: list[DecodeError]
    """A :class:`~webwork_async.errors.DecodeError` per item left out of the pages fetched so
    far (by ``await``, ``async for``, :meth:`pages` or :meth:`to_list`), in page order."""

    def __init__(
        self,
        fetch: PageFetcher[T],
        *,
        page: int | None,
        per_page: int | None,
        prefetch: int,
        total_timeout: float,
        source: Callable[[], str],
        walk_size: int = ITER_PER_PAGE,
        retype: Retyper | None = None,
    ) -> None:
        self._fetch = fetch
        self._retype = retype
        self._page = page
        self._per_page = per_page
        self._walk_size = walk_size  # the page size of a walk when per_page is not given
        self._prefetch = max(1, prefetch)
        self._total_timeout = total_timeout
        self._source = source  # the URL walked, for errors
        self.item_errors = []

    def as_type(self, item_type: type[U]) -> AsyncPaginator[U]:
        """The same list (path, filters, page, options), its items decoded as ``item_type``.

        ``paginator.as_type(msgspec.Raw)`` gives each item's JSON exactly as the service sent
        it, to store alongside the model (``webwork sync`` keeps it in a ``_raw`` column, so
        fields the models do not know yet are not lost); the typed walk pays nothing for it.
        """
        if self._retype is None:
            raise TypeError("this paginator cannot decode its items as another type")
        retyped: AsyncPaginator[U] = self._retype(item_type)
        return retyped

    def __await__(self) -> Generator[object, None, Page[T]]:
        return self._first(self._page, self._per_page, _ONE_REQUEST).__await__()

    async def _first(self, number: int | None, size: int | None, walk: Walk) -> Page[T]:
        """The page a walk starts with (or the one page of ``await``), its item errors kept."""
        page = await self._fetch(number, size, walk)
        self.item_errors += page.item_errors
        return page

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
        tracker = progress_tracker(progress)
        return await self._collect(tracker.stats if tracker else None, tracker)

    async def _collect(
        self, stats: RequestStats | None, tracker: ProgressTracker | None = None
    ) -> list[T]:
        """:meth:`to_list`, counting requests in ``stats``; the whole walk must end within
        ``total_timeout``."""
        walk = Walk(stats, time.monotonic() + self._total_timeout)
        start, per_page = self._page or 1, self._per_page or self._walk_size
        first = await self._fetch(start, per_page, walk)  # not _first: one coroutine less
        _page_done(tracker, first, start)
        if first.last_page is not None and first.last_page <= start:
            self.item_errors += first.item_errors
            return first.items  # one page: kept cheap
        return await self._collect_after(first, walk, tracker)

    async def _collect_after(
        self, first: Page[T], walk: Walk, tracker: ProgressTracker | None = None
    ) -> list[T]:
        """The items of ``first`` (already fetched) and of every page after it, within the
        ``walk``; ``list_many`` fetches each workspace's first page itself and comes here only
        for a workspace of several pages."""
        start, per_page = self._page or 1, self._per_page or self._walk_size
        self.item_errors += first.item_errors
        items = list(first.items)
        following = self._following(first, start, per_page, walk)
        async with contextlib.aclosing(following) as pages:
            async for page in pages:
                _page_done(tracker, page, start)
                self.item_errors += page.item_errors
                items += page.items
        return items

    async def pages(
        self, *, progress: ProgressCallback | None = None
    ) -> AsyncGenerator[Page[T], None]:
        """Every page in order, starting at ``page`` (default 1).

        ``progress`` is called with a :class:`~webwork_async.JobProgress` as each page arrives.
        """
        tracker = progress_tracker(progress)
        walk = Walk(tracker.stats if tracker else None)
        start, per_page = self._page or 1, self._per_page or self._walk_size
        first = await self._first(start, per_page, walk)
        _page_done(tracker, first, start)
        yield first
        following = self._following(first, start, per_page, walk)
        async with contextlib.aclosing(following) as pages:
            async for page in pages:
                _page_done(tracker, page, start)
                self.item_errors += page.item_errors
                yield page

    async def _following(
        self, first: Page[T], start: int, per_page: int, walk: Walk
    ) -> AsyncGenerator[Page[T], None]:
        """The pages after ``first``, fetched up to ``prefetch`` ahead and yielded in order."""
        last = first.last_page
        if last is None:
            async for page in self._walk_until_empty(first, start, per_page, walk):
                yield page
            return
        window: collections.deque[asyncio.Future[Page[T]]] = collections.deque()
        following, previous = start + 1, first
        try:
            while following <= last or window:
                while following <= last and len(window) < self._prefetch:
                    window.append(asyncio.ensure_future(self._fetch(following, per_page, walk)))
                    following += 1
                page = await window.popleft()
                self._check_moved_on(previous, page, following - len(window) - 1)
                yield page
                previous = page
        finally:
            for pending in window:
                pending.cancel()
            if window:
                await asyncio.gather(*window, return_exceptions=True)

    async def _walk_until_empty(
        self, previous: Page[T], number: int, per_page: int, walk: Walk
    ) -> AsyncIterator[Page[T]]:
        # Without pagination data a short page does not prove the end (the service may cap
        # per_page), so only an empty page does.
        while previous.items:
            number += 1
            page = await self._fetch(number, per_page, walk)
            self._check_moved_on(previous, page, number)
            yield page
            previous = page

    def _check_moved_on(self, previous: Page[T], page: Page[T], number: int) -> None:
        """A page identical to the one before means the service ignores ``page``: walking on
        would never end, and stopping quietly could pass a partial list off as whole."""
        if page.items and page.items == previous.items:
            raise PaginationError(
                f"the service answered the same {len(page.items)} items as page {number - 1} "
                "(it seems to ignore the page parameter); the walk stops",
                page=number,
                method="GET",
                url=self._source(),
            )


def _page_done(tracker: ProgressTracker | None, page: Page[Any], start: int) -> None:
    """Report one finished page of a walk that started at page ``start``."""
    if tracker is None:
        return
    if tracker.total is None and page.last_page is not None:
        tracker.total = max(page.last_page - start + 1, 1)
    tracker.finished(len(page.items))


def progress_tracker(progress: object, total: int | None = None) -> ProgressTracker | None:
    """The tracker of a ``progress`` callback (checked) for a job of ``total`` steps (None:
    told by the first page), or None without one."""
    if progress is None:
        return None
    return ProgressTracker(check.callback("progress", progress), total)
