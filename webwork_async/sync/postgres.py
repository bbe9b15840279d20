"""The PostgreSQL backend of ``webwork sync``: asyncpg (``pip install webwork-async[postgres]``).

Why asyncpg: it speaks PostgreSQL's protocol natively on asyncio (no thread per connection, no
libpq) and passes values in binary; a page of rows is one multi-row statement, one round trip.
One connection is enough: a sync writes one page at a time, the fetching is what runs
concurrently.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Sequence
from typing import Any

from webwork_async.sync._storage import POSTGRES, Statement, SyncStorage, SyncStorageError

__all__ = ["PostgresStorage"]

#: A key for pg_try_advisory_lock: one sync at a time per database.
_LOCK_KEY = 0x77E6_57E6


class PostgresStorage(SyncStorage):
    """A PostgreSQL database, given as a ``postgresql://`` URL."""

    dialect = POSTGRES

    def __init__(self, dsn: str, *, busy_timeout: float) -> None:
        super().__init__()
        self._dsn = dsn
        self.target = _without_password(dsn)
        self._busy_timeout = busy_timeout
        self._connection: Any = None
        self._lock = asyncio.Lock()

    async def _connect(self) -> None:
        try:
            import asyncpg  # type: ignore[import-untyped]
        except ImportError:
            raise SyncStorageError(
                "a PostgreSQL --db needs asyncpg: pip install 'webwork-async[postgres]'"
            ) from None
        try:
            self._connection = await asyncpg.connect(
                self._dsn,
                timeout=self._busy_timeout,
                server_settings={"lock_timeout": f"{int(self._busy_timeout * 1000)}"},
            )
        except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
            raise SyncStorageError(f"cannot connect to {self.target}: {_message(exc)}") from None
        locked = await self._connection.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK_KEY)
        if not locked:
            raise SyncStorageError(
                f"{self.target} is locked: another webwork sync is writing to it; wait for it"
            )

    async def _batch(self, statements: Sequence[Statement]) -> list[Any]:
        import asyncpg

        connection = self._connection
        results: list[Any] = []
        async with self._lock:
            try:
                async with connection.transaction():
                    for sql, args, kind in statements:
                        query = _numbered(sql)
                        if kind == "fetch":
                            results.append(await connection.fetch(query, *args))
                        else:
                            status = await connection.execute(query, *args)
                            results.append(_changed(status))
            except asyncpg.exceptions.ReadOnlySQLTransactionError:
                raise SyncStorageError(
                    f"{self.target} is read-only (a standby, or default_transaction_read_only); "
                    "give a writable --db"
                ) from None
            except asyncpg.exceptions.LockNotAvailableError:
                raise SyncStorageError(
                    f"{self.target} is locked: another session holds a lock on the sync's "
                    "tables; wait for it"
                ) from None
            except asyncpg.exceptions.InsufficientPrivilegeError as exc:
                raise SyncStorageError(f"{self.target}: {_message(exc)}") from None
        return results

    async def _columns(self) -> dict[str, set[str]]:
        rows = await self._connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        )
        found: dict[str, set[str]] = {}
        for table, column in rows:
            found.setdefault(table, set()).add(column)
        return found

    async def close(self) -> None:
        if self._connection is not None:
            async with self._lock:  # a batch running is finished first
                await self._connection.close()
            self._connection = None


@functools.lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2 ...`` (the shared SQL has no ``?`` else)."""
    counter = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


def _changed(status: str) -> int:
    """The row count of a command status such as ``UPDATE 5``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def _message(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _without_password(dsn: str) -> str:
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", dsn)
