"""A thread of its own, for blocking work that must stay on one thread: a ``sqlite3``
connection, used by the sync's SQLite backend and the webhook receiver's delivery store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["OwnThread"]

T = TypeVar("T")


class OwnThread:
    """Runs calls one at a time, in order, on one thread, so that the event loop never waits on
    the disk. A call under way is finished even when its caller is cancelled: a transaction
    half-way must end (commit or rollback) before anything else happens."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._executor: ThreadPoolExecutor | None = None

    @property
    def running(self) -> bool:
        return self._executor is not None

    def start(self) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix=self._name)

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` on the thread; RuntimeError when it is not started."""
        if self._executor is None:
            raise RuntimeError(f"the {self._name} thread is not running")
        future = asyncio.get_running_loop().run_in_executor(self._executor, work, *args)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            await asyncio.wait([future])
            raise

    async def stop(self, last: Callable[[], object] | None = None) -> None:
        """Run ``last`` on the thread (a connection's close), then end the thread."""
        if self._executor is None:
            return
        try:
            if last is not None:
                await self.run(last)
        finally:
            executor, self._executor = self._executor, None
            executor.shutdown(wait=True)
