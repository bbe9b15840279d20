"""What every resource shares: a handle on the request core and the list/fan-out plumbing."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Mapping
from typing import Any, TypeVar

from yarl import URL

from webwork_async import _validation as check
from webwork_async._bulk import WorkspaceResult, fan_out
from webwork_async._core import RequestCore
from webwork_async._options import CallOptions, CallSettings
from webwork_async._pagination import AsyncPaginator, Page, Walk, promises_items
from webwork_async._progress import ProgressCallback, ProgressTracker
from webwork_async._protocol import encode_query
from webwork_async.errors import PaginationError

T = TypeVar("T")


# ``list[item] | None`` per item type, built once: a fresh union on every page would be hashed
# again for the decoder cache each time.
_PAGE_TYPES: dict[type[Any], Any] = {}


def _page_type(item_type: type[Any]) -> Any:
    """The type of a page's ``data`` for items of ``item_type``."""
    page_type = _PAGE_TYPES.get(item_type)
    if page_type is None:
        page_type = _PAGE_TYPES[item_type] = list[item_type] | None  # type: ignore[valid-type]
    return page_type


class Resource:
    """Base of the per-group resources (``ww.projects``, ``ww.workspaces`` ...)."""

    def __init__(self, core: RequestCore) -> None:
        self._core = core

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    async def _call(
        self,
        method: str,
        path: str,
        data_type: Any,
        options: CallOptions,
        *,
        params: Mapping[str, object] | None = None,
        body: Mapping[str, object] | None = None,
    ) -> Any:
        settings = self._core.settings.apply(options)
        envelope = await self._core.request(
            method, path, data_type, params=params, body=body, settings=settings
        )
        return envelope.data

    def _paginate(
        self,
        path: str,
        item_type: type[T],
        params: Mapping[str, object],
        options: CallOptions,
        *,
        page: object = None,
        per_page: object = None,
    ) -> AsyncPaginator[T]:
        """A paginator over ``GET path``; the arguments are checked before anything is sent.

        ``options`` apply to each page request.
        """
        return self._paginator(
            path,
            item_type,
            params,
            self._core.settings.apply(options),
            page=check.page_number(page),
            per_page=check.page_size(per_page),
        )

    def _paginator(
        self,
        path: str,
        item_type: type[T],
        params: Mapping[str, object],
        settings: CallSettings,
        *,
        page: int | None,
        per_page: int | None,
    ) -> AsyncPaginator[T]:
        """A paginator from arguments already checked."""
        data_type = _page_type(item_type)
        source = str(URL(self._core.base_url + path).with_query(encode_query(params)))

        async def fetch(number: int | None, size: int | None, walk: Walk) -> Page[T]:
            query = {**params, "page": number, "per_page": size}
            envelope = await self._core.request(
                "GET", path, data_type, params=query, settings=settings.within(*walk)
            )
            pagination = envelope.page_info
            if envelope.data is None and promises_items(pagination, number):
                raise PaginationError(
                    "data is null although the pagination promises items on this page",
                    page=number or 1,
                    method="GET",
                    url=source,
                )
            return Page(items=envelope.data or [], pagination=pagination)

        return AsyncPaginator(
            fetch,
            page=page,
            per_page=per_page,
            prefetch=self._core.max_concurrency,
            total_timeout=settings.total_timeout,
            source=source,
        )

    def _fan_out(
        self,
        workspace_ids: Iterable[int],
        path: str,
        item_type: type[T],
        params: Mapping[str, object],
        options: CallOptions,
        *,
        per_page: object = None,
        progress: ProgressCallback | None = None,
    ) -> AsyncGenerator[WorkspaceResult[T], None]:
        """Every item of ``GET path`` for each workspace, one result per distinct workspace id.

        Everything is checked once, before any request; each workspace reuses the result.
        """
        ids = check.positive_ids("workspace_ids", workspace_ids)
        size = check.page_size(per_page)
        settings = self._core.settings.apply(options)
        tracker = None
        if progress is not None:
            tracker = ProgressTracker(check.callback("progress", progress), len(ids))
        stats = None if tracker is None else tracker.stats

        async def fetch_all(workspace_id: int) -> list[T]:
            query = {**params, "workspace_id": workspace_id}
            paginator = self._paginator(path, item_type, query, settings, page=None, per_page=size)
            return await paginator._collect(stats)  # counted per job, not per workspace

        return fan_out(ids, fetch_all, in_flight=self._core.max_concurrency, tracker=tracker)
