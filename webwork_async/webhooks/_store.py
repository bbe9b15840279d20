"""Where a webhook receiver keeps each delivery from its 2xx until the callback has finished.

A delivery is written (id, raw body, when it came) *before* the sender hears 2xx, so a bot that
dies between the answer and the end of its callback finds it again on restart; once the callback
has finished, the delivery is marked done and only its id is kept, for
``WEBHOOK_DONE_RETENTION``, so that the sender's retries of it are acknowledged and skipped.
What is stored is what the sender sent in the body: never the webhook's secret, a signature or
any token.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Protocol, TypeVar

from webwork_async._constants import WEBHOOK_MAX_ERROR_LENGTH
from webwork_async._thread import OwnThread

__all__ = ["Delivery", "DeliveryStore", "MemoryDeliveryStore", "SQLiteDeliveryStore"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class Delivery:
    """One delivery not yet handled: what a store gives back on restart.

    ``id`` is the sender's ``webhook-id`` (the same across its retries), ``body`` the raw bytes
    as they were verified, ``received_at`` Unix seconds, ``attempts`` how many times the callback
    raised on it so far and ``last_error`` what it raised last (None before any failure).
    """

    id: str
    body: bytes
    received_at: float
    attempts: int = 0
    last_error: str | None = None


class DeliveryStore(Protocol):
    """What a webhook receiver needs to keep deliveries across a restart.

    The receiver calls ``open`` when it starts and ``close`` when it stops, and each other method
    from its event loop, one at a time or concurrently. ``add`` must have made the delivery
    durable when it returns True: the receiver answers 2xx right after.
    """

    async def open(self) -> None:
        """Make the store ready (create the file, the table); called once per start."""

    async def close(self) -> None:
        """Release what ``open`` took; the store may be opened again later."""

    async def add(self, id: str, body: bytes) -> bool:
        """Keep a new pending delivery; False, keeping nothing, when ``id`` is known already
        (pending or done)."""

    async def pending(self) -> list[Delivery]:
        """Every delivery not marked done, oldest first."""

    async def done(self, id: str) -> None:
        """The callback finished on ``id``: forget its body, keep its id for deduplication."""

    async def failed(self, id: str, error: str) -> None:
        """The callback raised on ``id``: count the attempt, keep ``error``; still pending."""

    async def prune(self, older_than: float) -> int:
        """Forget the ids of deliveries done more than ``older_than`` seconds ago; how many."""


def _error_text(error: str) -> str:
    return error[:WEBHOOK_MAX_ERROR_LENGTH]


class MemoryDeliveryStore:
    """A store in this process's memory: for tests and for bots that can afford to lose events.

    Deliveries accepted but not yet handled are **lost when the process ends**, and a sender's
    retry of a delivery handled before a restart reaches the callback again. Use
    :class:`SQLiteDeliveryStore` (the default) for a bot that must not lose events.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._pending: dict[str, Delivery] = {}
        self._done: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"MemoryDeliveryStore(pending={len(self._pending)}, done={len(self._done)})"

    async def open(self) -> None:
        """Nothing to open: the deliveries live as long as this object."""

    async def close(self) -> None:
        """Nothing to release: a receiver started again finds what is still pending."""

    async def add(self, id: str, body: bytes) -> bool:
        """Keep a new pending delivery; False when ``id`` is known already."""
        if id in self._pending or id in self._done:
            return False
        self._pending[id] = Delivery(id, bytes(body), self._clock())
        return True

    async def pending(self) -> list[Delivery]:
        """Every delivery not marked done, in the order they came."""
        return list(self._pending.values())

    async def done(self, id: str) -> None:
        """Forget the body of ``id``, keep its id."""
        if self._pending.pop(id, None) is not None:
            self._done[id] = self._clock()

    async def failed(self, id: str, error: str) -> None:
        """Count a failed attempt of ``id`` and keep what it raised."""
        delivery = self._pending.get(id)
        if delivery is not None:
            self._pending[id] = replace(
                delivery, attempts=delivery.attempts + 1, last_error=_error_text(error)
            )

    async def prune(self, older_than: float) -> int:
        """Forget the ids done more than ``older_than`` seconds ago."""
        cutoff = self._clock() - older_than
        old = [id for id, done_at in self._done.items() if done_at < cutoff]
        for id in old:
            del self._done[id]
        return len(old)


_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    body BLOB,
    received_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    done_at REAL
);
CREATE INDEX IF NOT EXISTS deliveries_done_at ON deliveries (done_at) WHERE status = 'done';
"""


class SQLiteDeliveryStore:
    """The default store: one SQLite file (stdlib ``sqlite3``), safe across crashes and restarts.

    Table ``deliveries`` (id, body, received_at, status ``pending``/``done``, attempts,
    last_error, done_at), in WAL mode with ``synchronous=FULL``: a delivery ``add`` returned True
    for survives a kill of the process and a power cut. One connection serves every call, on a
    thread of its own, so the event loop never waits on the disk. The file is created readable
    by its owner only (it holds the events' content). One receiver per file at a time.
    """

    def __init__(self, path: str | os.PathLike[str], *, clock: Callable[[], float] = time.time):
        self.path = Path(path)
        self._clock = clock
        self._thread = OwnThread("webwork-webhooks-store")
        self._connection: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"SQLiteDeliveryStore({str(self.path)!r})"

    async def _run(self, call: Callable[..., _T], *args: object) -> _T:
        if not self._thread.running:
            raise RuntimeError(f"{self!r} is not open")
        return await self._thread.run(call, *args)

    async def open(self) -> None:
        """Create the file (mode 0600) and the table if need be, and connect."""
        if not self._thread.running:
            self._thread.start()
            await self._run(self._open)

    def _open(self) -> None:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        connection = sqlite3.connect(self.path, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA busy_timeout=5000")
        connection.executescript(_SCHEMA)
        self._connection = connection

    async def close(self) -> None:
        """Close the connection and its thread; :meth:`open` may be called again."""
        await self._thread.stop(self._close)

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _execute(self, sql: str, *parameters: object) -> sqlite3.Cursor:
        assert self._connection is not None, "called on the store's thread after open()"
        return self._connection.execute(sql, parameters)

    async def add(self, id: str, body: bytes) -> bool:
        """Insert a new pending delivery (committed when this returns True)."""
        return await self._run(self._add, id, bytes(body))

    def _add(self, id: str, body: bytes) -> bool:
        insert = "INSERT OR IGNORE INTO deliveries (id, body, received_at) VALUES (?, ?, ?)"
        return self._execute(insert, id, body, self._clock()).rowcount == 1

    async def pending(self) -> list[Delivery]:
        """Every pending delivery, in the order they were added."""
        return await self._run(self._pending)

    def _pending(self) -> list[Delivery]:
        rows = self._execute(
            "SELECT id, body, received_at, attempts, last_error FROM deliveries"
            " WHERE status = 'pending' ORDER BY rowid"
        ).fetchall()
        return [
            Delivery(id, bytes(body), received_at, attempts, last_error)
            for (id, body, received_at, attempts, last_error) in rows
        ]

    async def done(self, id: str) -> None:
        """Mark ``id`` done and drop its body."""
        await self._run(
            self._execute,
            "UPDATE deliveries SET status = 'done', done_at = ?, body = NULL"
            " WHERE id = ? AND status = 'pending'",
            self._clock(),
            id,
        )

    async def failed(self, id: str, error: str) -> None:
        """Count a failed attempt of ``id`` and keep what it raised."""
        await self._run(
            self._execute,
            "UPDATE deliveries SET attempts = attempts + 1, last_error = ?"
            " WHERE id = ? AND status = 'pending'",
            _error_text(error),
            id,
        )

    async def prune(self, older_than: float) -> int:
        """Delete the deliveries done more than ``older_than`` seconds ago."""
        cursor = await self._run(
            self._execute,
            "DELETE FROM deliveries WHERE status = 'done' AND done_at < ?",
            self._clock() - older_than,
        )
        return cursor.rowcount
