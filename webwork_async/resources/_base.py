"""What every resource shares: a handle on the request core and the list/fan-out plumbing."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any, TypeVar

from yarl import URL

from webwork_async import _validation as check
from webwork_async._bulk import Fetched, Scope, WorkspaceResult, fan_out
from webwork_async._constants import LOGGER_NAME
from webwork_async._core import RequestCore
from webwork_async._options import CallOptions, CallSettings
from webwork_async._pagination import AsyncPaginator, Page, Walk, progress_tracker, promises_items
from webwork_async._progress import ProgressCallback
from webwork_async._protocol import DecodedItems, ListOf, encode_query
from webwork_async.errors import PaginationError
from webwork_async.resources._operations import Operation

T = TypeVar("T")

logger = logging.getLogger(LOGGER_NAME)


class Resource:
    """Base of the per-group resources (``ww.projects``, ``ww.workspaces`` ...)."""

    def __init__(self, core: RequestCore) -> None:
        self._core = core

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    async def _run(self, operation: Operation[T], arguments: Mapping[str, object]) -> T:
        """Send ``operation`` with a method's ``arguments`` (its ``locals()``), checked first."""
        path, params, body = operation.prepare(arguments)
        settings = self._core.settings.apply(_options(arguments))
        envelope = await self._core.request(
            operation.method,
            path,
            operation.returns,
            params=params,
            body=body,
            settings=settings,
            idempotent=operation.idempotent,
        )
        if operation.answer is not None:
            return operation.answer(envelope)
        result: T = envelope.data
        return result

    def _list(self, operation: Operation[T], arguments: Mapping[str, object]) -> AsyncPaginator[T]:
        """A paginator over a list ``operation``, from a method's ``arguments`` (``locals()``);
        everything is checked before anything is sent. The call's options apply to each page."""
        path, params, _ = operation.prepare(arguments)
        limit = operation.page_limit
        return self._paginator(
            path,
            operation.returns,
            params or {},
            self._core.settings.apply(_options(arguments)),
            page=check.page_number(arguments.get("page")),
            per_page=check.page_size(arguments.get("per_page"), limit),
            walk_size=limit,
        )

    def _list_many(
        self, operation: Operation[T], arguments: Mapping[str, object]
    ) -> AsyncGenerator[WorkspaceResult[T], None]:
        """Every item of a list ``operation`` for each of ``arguments["workspace_ids"]``.

        A list per project fans out over the ``(workspace_id, project_id)`` pairs of
        ``arguments["projects"]`` instead.
        """
        if "workspace_ids" in arguments:
            ids = check.positive_ids("workspace_ids", arguments["workspace_ids"])
            scopes: list[Scope] = [(workspace_id, None) for workspace_id in ids]
        else:  # a list per project: (workspace_id, project_id) pairs
            scopes = list(check.project_scopes("projects", arguments["projects"]))
            arguments = {name: v for name, v in arguments.items() if name != "projects"}
        path, params, _ = operation.prepare(arguments, per_workspace=True)
        progress: Any = arguments.get("progress")
        limit = operation.page_limit
        return self._fan_out(
            scopes,
            path,
            operation.returns,
            params or {},
            _options(arguments),
            size=check.page_size(arguments.get("per_page"), limit) or limit,
            progress=progress,
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
        walk_size: int,
    ) -> AsyncPaginator[T]:
        """A paginator from arguments already checked."""
        data_type = ListOf.of(item_type)
        return AsyncPaginator(
            functools.partial(self._fetch_page, path, data_type, params, settings),
            page=page,
            per_page=per_page,
            prefetch=self._core.max_concurrency,
            total_timeout=settings.total_timeout,
            source=functools.partial(self._source, path, params),
            walk_size=walk_size,
            retype=functools.partial(
                self._retyped, path, params, settings, page, per_page, walk_size
            ),
        )

    def _retyped(
        self,
        path: str,
        params: Mapping[str, object],
        settings: CallSettings,
        page: int | None,
        per_page: int | None,
        walk_size: int,
        item_type: type[Any],
    ) -> AsyncPaginator[Any]:
        """:meth:`_paginator` over ``item_type`` (``AsyncPaginator.as_type``)."""
        return self._paginator(
            path, item_type, params, settings, page=page, per_page=per_page, walk_size=walk_size
        )

    def _source(self, path: str, params: Mapping[str, object]) -> str:
        """The URL a walk reads, for an error or a log line only: a URL costs ~20 µs."""
        return str(URL(self._core.base_url + path).with_query(encode_query(params)))

    async def _fetch_page(
        self,
        path: str,
        data_type: ListOf,
        params: Mapping[str, object],
        settings: CallSettings,
        number: int | None,
        size: int | None,
        walk: Walk,
    ) -> Page[Any]:
        """One page of ``GET path``; its items that did not fit are logged and kept aside."""
        query = {**params, "page": number, "per_page": size}
        envelope = await self._core.request(
            "GET", path, data_type, params=query, settings=settings.within(*walk)
        )
        pagination, data = envelope.page_info, envelope.data
        if data is None and promises_items(pagination, number):
            raise PaginationError(
                "data is null although the pagination promises items on this page",
                page=number or 1,
                method="GET",
                url=self._source(path, params),
            )
        item_errors = data.item_errors if isinstance(data, DecodedItems) else []
        for error in item_errors:
            logger.warning(
                "left out item %d of page %d of GET %s: %s",
                error.index,
                number or 1,
                self._source(path, params),
                error.problem,
            )
        return Page(data or [], pagination, item_errors)

    def _fan_out(
        self,
        scopes: list[Scope],
        path: str,
        item_type: type[T],
        params: Mapping[str, object],
        options: CallOptions,
        *,
        size: int,
        progress: ProgressCallback | None = None,
    ) -> AsyncGenerator[WorkspaceResult[T], None]:
        """Every item of ``GET path`` for each scope (a workspace, or a project of one), one
        result per distinct scope, ``size`` items a page.

        Everything is checked once, before any request; each scope reuses the result.
        """
        settings = self._core.settings.apply(options)
        tracker = progress_tracker(progress, len(scopes))
        first_walk = Walk(None if tracker is None else tracker.stats)
        data_type = ListOf.of(item_type)

        async def fetch_all(scope: Scope) -> Fetched[T]:
            # Most workspaces fit on one page: that page is fetched here, and only a workspace
            # with more pages gets a paginator for the rest. The first page's own deadline is
            # the walk's (both run total_timeout from now); the rest keep to the walk's.
            started = time.monotonic()
            workspace_id, project_id = scope
            query = {**params, "workspace_id": workspace_id}
            if project_id is not None:
                query["project_id"] = project_id
            first = await self._fetch_page(path, data_type, query, settings, 1, size, first_walk)
            last = first.last_page
            if last is not None and last <= 1:
                return first.items, first.item_errors
            paginator = self._paginator(
                path, item_type, query, settings, page=None, per_page=size, walk_size=size
            )
            walk = first_walk._replace(deadline_at=started + settings.total_timeout)
            items = await paginator._collect_after(first, walk)  # counted per job
            return items, paginator.item_errors

        return fan_out(scopes, fetch_all, in_flight=self._core.max_concurrency, tracker=tracker)

    def _run_many(
        self,
        operation: Operation[Any],
        arguments: Mapping[str, object],
        items: Callable[[Any], list[T]],
    ) -> AsyncGenerator[WorkspaceResult[T], None]:
        """``operation`` (one GET answering one object) for each of ``arguments["workspace_ids"]``,
        each answer made into a workspace's items by ``items``: a report over many workspaces.

        Everything is checked once, before any request.
        """
        ids = check.positive_ids("workspace_ids", arguments["workspace_ids"])
        path, params, _ = operation.prepare(arguments, per_workspace=True)
        settings = self._core.settings.apply(_options(arguments))
        progress: Any = arguments.get("progress")
        tracker = progress_tracker(progress, len(ids))
        if tracker is not None:
            settings = settings.within(tracker.stats, None)

        async def fetch_all(scope: Scope) -> Fetched[T]:
            query = {**(params or {}), "workspace_id": scope[0]}
            envelope = await self._core.request(
                "GET", path, operation.returns, params=query, settings=settings
            )
            return items(envelope.data), []

        scopes: list[Scope] = [(workspace_id, None) for workspace_id in ids]
        return fan_out(scopes, fetch_all, in_flight=self._core.max_concurrency, tracker=tracker)


def _options(arguments: Mapping[str, object]) -> CallOptions:
    """The call options among a method's ``arguments``."""
    options: CallOptions = arguments.get("options") or {}  # type: ignore[assignment]
    return options
