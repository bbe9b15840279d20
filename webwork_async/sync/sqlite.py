"""The SQLite backend of ``webwork sync``: the stdlib ``sqlite3`` in one thread of its own.

Why not aiosqlite: it is the same design (a thread that owns the connection), one dependency
more. One thread serializes the writes, as SQLite does anyway, and keeps the event loop free
while a page is written. WAL journaling lets readers query the file while a sync runs; with
``synchronous=NORMAL`` a killed process loses no committed page.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from webwork_async._thread import OwnThread
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
        self._thread = OwnThread("webwork-sqlite")  # the connection's, from connect to close
        self._connection: sqlite3.Connection | None = None

    async def _connect(self) -> None:
        self._thread.start()
        await self._thread.run(self._open)

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
        return await self._thread.run(self._run, statements)

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
        await self._thread.stop(self._disconnect)

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


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
