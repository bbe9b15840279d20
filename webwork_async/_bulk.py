"""Fan-out across many workspaces: every workspace gives exactly one result, success or error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Coroutine
from typing import Any, Generic, TypeVar

import msgspec

from webwork_async._progress import ProgressTracker
from webwork_async.errors import AuthenticationError, DecodeError, SessionStateError

T = TypeVar("T")

#: What one fetch of a fan-out covers: a workspace, or a project of a workspace.
Scope = tuple[int, "int | None"]
#: What a fetch gives for one scope: its items, and the item errors of its pages.
Fetched = tuple[list[T], list[DecodeError]]


class WorkspaceResult(msgspec.Struct, Generic[T], frozen=True):
    """The complete outcome for one workspace of a bulk call.

    Either ``error`` is None and ``items`` holds everything the workspace had, or ``error`` is the
    exception that stopped it and ``items`` is empty: a partial list is never passed off as whole.
    ``item_errors`` tells of the items that did not fit their model, left out of ``items``: a
    workspace with such items is still ``ok`` (see ``Page.item_errors``). A frozen Struct, as
    cheap to create as a tuple: a bulk job makes one per workspace.
    """

    workspace_id: int
    items: list[T] = msgspec.field(default_factory=list)
    error: Exception | None = None
    item_errors: list[DecodeError] = msgspec.field(default_factory=list)
    project_id: int | None = None
    """The project, for a fan-out over projects (``ww.tasks.list_many``); else None."""

    @property
    def ok(self) -> bool:
        """True when the workspace was fetched completely."""
        return self.error is None

    def unwrap(self) -> list[T]:
        """The items, or raise the error that stopped this workspace."""
        if self.error is not None:
            raise self.error
        return self.items


def ends_bulk_job(error: BaseException) -> bool:
    """Whether ``error`` speaks for the whole token or session rather than for one workspace.

    A rejected token (401, :class:`AuthenticationError`) fails every workspace alike, and so does
    a session that is closed or used from the wrong event loop (:class:`SessionStateError`):
    going on would only send requests that must fail. Everything else (403, 404, 5xx, transport
    errors, timeouts) stays on its workspace.
    """
    return isinstance(error, (AuthenticationError, SessionStateError))


async def fan_out(
    scopes: list[Scope],
    fetch_all: Callable[[Scope], Coroutine[Any, Any, Fetched[T]]],
    *,
    in_flight: int,
    tracker: ProgressTracker | None = None,
) -> AsyncGenerator[WorkspaceResult[T], None]:
    """Run ``fetch_all`` (items, item errors) per scope, ``in_flight`` at once at most.

    Results are yielded as each workspace ends.

    A workspace that fails becomes a result carrying its error and never stops the others,
    unless the error :func:`ends_bulk_job`: then the fetches still running are cancelled, no
    workspace is started any more, and every workspace not yet finished is reported with that
    same error. If the consumer stops early (``break``, cancellation), the unfinished fetches are
    cancelled and awaited before this generator closes, so nothing is left running. ``tracker``
    is told of each workspace as it is yielded.
    """

    # Each task drops itself into `finished` when done: waiting costs O(1) per workspace, where
    # asyncio.wait over the running set would re-register callbacks on every task each time.
    finished: asyncio.Queue[asyncio.Task[Fetched[T]]] = asyncio.Queue()
    remaining = iter(scopes)
    running: dict[asyncio.Task[Fetched[T]], Scope] = {}
    create_task = asyncio.get_running_loop().create_task

    def start_next() -> None:
        scope = next(remaining, None)
        if scope is not None:
            task = create_task(fetch_all(scope))
            task.add_done_callback(finished.put_nowait)
            running[task] = scope

    def report(result: WorkspaceResult[T]) -> WorkspaceResult[T]:
        if tracker is not None:
            tracker.finished(len(result.items), failed=result.error is not None)
        return result

    try:
        for _ in range(in_flight):
            start_next()
        while running:
            task = await finished.get()
            result = _outcome(task, running.pop(task))
            if result.error is not None and ends_bulk_job(result.error):
                for settled in await _stop(running):
                    yield report(settled)
                yield report(result)
                for scope in [*running.values(), *remaining]:
                    yield report(failed(scope, result.error))
                return
            start_next()
            yield report(result)
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)


async def _stop(running: dict[asyncio.Task[Fetched[T]], Scope]) -> list[WorkspaceResult[T]]:
    """Cancel the running fetches; return the results of those that had finished anyway.

    Those are removed from ``running``; what stays there was cut short.
    """
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
    settled = [task for task in running if not task.cancelled()]
    return [_outcome(task, running.pop(task)) for task in settled]


def _outcome(task: asyncio.Task[Fetched[T]], scope: Scope) -> WorkspaceResult[T]:
    """The result of a finished fetch: its items, or the error that stopped it (every failure
    is reported on its workspace, never dropped; cancellation and the like go through)."""
    error = task.exception()
    if error is None:
        items, item_errors = task.result()
        return WorkspaceResult(scope[0], items, item_errors=item_errors, project_id=scope[1])
    if not isinstance(error, Exception):
        raise error
    return failed(scope, error)


def failed(scope: Scope, error: Exception) -> WorkspaceResult[Any]:
    """The result of a scope that ``error`` stopped."""
    return WorkspaceResult(scope[0], error=error, project_id=scope[1])
