"""``webwork sync``: every API group of every workspace into SQLite or PostgreSQL.

A layer on the library's public surface (sessions, paginators, models); the core never
imports it. :func:`open_storage` gives the database of a ``--db`` target, :func:`run_sync`
fills it::

    storage = open_storage("webwork.sqlite")
    try:
        async with AsyncSession(token) as ww:
            summary = await run_sync([ww], storage)
    finally:
        await storage.close()
"""

from __future__ import annotations

from pathlib import Path

from webwork_async.sync._job import (
    SyncFailure,
    SyncOptions,
    SyncSummary,
    TableProgress,
    assign_workspaces,
    run_sync,
    window_of,
)
from webwork_async.sync._storage import SCHEMA_VERSION, SyncStorage, SyncStorageError, UnitState
from webwork_async.sync._tables import TABLES, Table, table_named

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "SCHEMA_VERSION",
    "TABLES",
    "SyncFailure",
    "SyncOptions",
    "SyncStorage",
    "SyncStorageError",
    "SyncSummary",
    "Table",
    "TableProgress",
    "UnitState",
    "assign_workspaces",
    "open_storage",
    "run_sync",
    "table_named",
    "window_of",
]

#: Seconds to wait for a database another program has locked before giving up.
DEFAULT_BUSY_TIMEOUT = 5.0


def open_storage(target: str | Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> SyncStorage:
    """The storage of a ``--db`` target: a ``postgresql://`` (or ``postgres://``) URL, else a
    SQLite file path. Nothing is opened until :func:`run_sync` (or ``storage.open()``)."""
    text = str(target)
    if text.startswith(("postgresql://", "postgres://")):
        from webwork_async.sync.postgres import PostgresStorage

        return PostgresStorage(text, busy_timeout=busy_timeout)
    from webwork_async.sync.sqlite import SQLiteStorage

    return SQLiteStorage(text, busy_timeout=busy_timeout)
