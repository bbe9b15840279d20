"""The SQLite backend of ``webwork sync``: the stdlib ``sqlite3`` in one thread of its own.

Why not aiosqlite: it is the same design (a thread that owns the connection), one dependency
more. One thread serializes the writes, as SQLite does anyway, and keeps the event loop free
while a page is written. WAL journaling lets readers query the file while a sync runs; with
``synchronous=NORMAL`` a killed process loses no committed page.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from webwork_async.sync._storage import SQLITE, Statement, SyncStorage, SyncStorageError

__all__ = ["SQLiteStorage"]


class SQLiteStorage(SyncStorage):
    """A SQLite file (created when missing)."""

    dialect = SQLITE

    def __init__(self, path: str | Path, *, busy_timeout: float) -> None:
        super().__init__()
        self.path = Path(path)
        self.target = str(path)
        self._busy_timeout = busy_timeout
        self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="webwork-sqlite")
        self._connection: sqlite3.Connection | None = None

    async def _call(self, work: Any, *args: Any) -> Any:
        """Run ``work`` in the connection's thread. A cancelled caller still waits for it: a
        transaction half-way must end (commit or rollback) before anything else happens."""
        future = asyncio.get_running_loop().run_in_executor(self._thread, work, *args)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            await asyncio.wait([future])
            raise

    async def _connect(self) -> None:
        await self._call(self._open)

    def _open(self) -> None:
        if not self.path.parent.is_dir():
            raise SyncStorageError(f"cannot create {self.path}: no folder {self.path.parent}")
        try:
            connection = sqlite3.connect(
                self.path, timeout=self._busy_timeout, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise SyncStorageError(_problem(self.path, exc)) from None
        self._connection = connection
        try:
            connection.execute("PRAGMA journal_mode=WAL").fetchall()
            connection.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise SyncStorageError(_problem(self.path, exc)) from None

    async def _batch(self, statements: Sequence[Statement]) -> list[Any]:
        return list(await self._call(self._run, statements))

    def _run(self, statements: Sequence[Statement]) -> list[Any]:
        connection = self._connection
        assert connection is not None
        results: list[Any] = []
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                for sql, args, kind in statements:
                    if kind == "fetch":
                        results.append(connection.execute(sql, args).fetchall())
                    else:
                        results.append(connection.execute(sql, args).rowcount)
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
        except sqlite3.Error as exc:
            raise SyncStorageError(_problem(self.path, exc)) from None
        return results

    async def _columns(self) -> dict[str, set[str]]:
        (tables,) = await self._batch(
            [Statement("SELECT name FROM sqlite_master WHERE type = 'table'", (), "fetch")]
        )
        found: dict[str, set[str]] = {}
        for (name,) in tables:
            (columns,) = await self._batch(
                [Statement("SELECT name FROM pragma_table_info(?)", (name,), "fetch")]
            )
            found[name] = {column for (column,) in columns}
        return found

    async def close(self) -> None:
        if self._connection is not None:
            await self._call(self._connection.close)
            self._connection = None
        self._thread.shutdown(wait=True)


def _problem(path: Path, exc: sqlite3.Error) -> str:
    """A message that says what is wrong with the file and what to do."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return (
            f"{path} is locked by another program (another webwork sync, or an open write "
            "transaction); wait for it, or give another --db"
        )
    if "readonly" in text or "read-only" in text:
        return (
            f"{path} is read-only (the file or its folder): make it writable, or give another --db"
        )
    if "not a database" in text:
        return f"{path} is not a SQLite database; give another --db"
    if "unable to open" in text:
        return f"cannot open {path}: check the path and its folder's permissions"
    return f"{path}: {text}"
