"""Fan-out across many workspaces: every workspace gives exactly one result, success or error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class WorkspaceResult(Generic[T]):
    """The complete outcome for one workspace of a bulk call.

    Either ``error`` is None and ``items`` holds everything the workspace had, or ``error`` is the
    exception that stopped it and ``items`` is empty: a partial list is never passed off as whole.
    """

    workspace_id: int
    items: list[T] = field(default_factory=list)
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True when the workspace was fetched completely."""
        return self.error is None

    def unwrap(self) -> list[T]:
        """The items, or raise the error that stopped this workspace."""
        if self.error is not None:
            raise self.error
        return self.items


async def fan_out(
    workspace_ids: list[int],
    fetch_all: Callable[[int], Awaitable[list[T]]],
    *,
    in_flight: int,
) -> AsyncGenerator[WorkspaceResult[T], None]:
    """Run ``fetch_all`` for each workspace, at most ``in_flight`` at once, yielding as each ends.

    A workspace that fails becomes a result carrying its error and never stops the others. If the
    consumer stops early (``break``, cancellation), the unfinished fetches are cancelled and
    awaited before this generator closes, so nothing is left running.
    """

    async def run(workspace_id: int) -> WorkspaceResult[T]:
        try:
            return WorkspaceResult(workspace_id, await fetch_all(workspace_id))
        except Exception as exc:  # every failure is reported on its workspace, never dropped
            return WorkspaceResult(workspace_id, error=exc)

    # Each task drops itself into `finished` when done: waiting costs O(1) per workspace, where
    # asyncio.wait over the running set would re-register callbacks on every task each time.
    finished: asyncio.Queue[asyncio.Task[WorkspaceResult[T]]] = asyncio.Queue()
    remaining = iter(workspace_ids)
    running: set[asyncio.Task[WorkspaceResult[T]]] = set()

    def start_next() -> None:
        workspace_id = next(remaining, None)
        if workspace_id is not None:
            task = asyncio.ensure_future(run(workspace_id))
            task.add_done_callback(finished.put_nowait)
            running.add(task)

    try:
        for _ in range(in_flight):
            start_next()
        while running:
            task = await finished.get()
            running.discard(task)
            start_next()
            yield task.result()
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
