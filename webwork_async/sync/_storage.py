"""The storage interface of ``webwork sync``: one implementation per database, the SQL shared.

Everything a sync writes goes through :class:`SyncStorage`, whose logic (schema, migration,
checkpoints, counting, deletion marking) lives here once. A backend supplies only a dialect (SQL
types, how values are passed) and :meth:`SyncStorage._batch`: run statements in one
transaction. Each page's rows and its checkpoint are one batch, so a sync killed at any moment
leaves either both or neither.
"""

from __future__ import annotations

import abc
import datetime
import hashlib
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

import msgspec

from webwork_async.sync._tables import TABLES, ColumnKind, Table

__all__ = [
    "SCHEMA_VERSION",
    "Dialect",
    "Run",
    "Statement",
    "SyncStorage",
    "SyncStorageError",
    "UnitState",
]

#: The layout of the tables besides the model columns (system columns, state tables); a
#: database of another version is refused, not rewritten.
SCHEMA_VERSION = 1

_encode = msgspec.json.Encoder().encode


class SyncStorageError(Exception):
    """The database cannot be used as it is (locked, read-only, of another schema version,
    not reachable); the message says which and what to do. Nothing was changed."""


class Statement(NamedTuple):
    """One statement of a batch, which ``fetch``-es rows or ``count``-s the rows it changed."""

    sql: str
    args: Sequence[Any]
    kind: Literal["fetch", "count"] = "count"


Adapter = Callable[[Any], Any]


@dataclass(frozen=True)
class Dialect:
    """What differs between databases: SQL types, and values as the driver takes them."""

    types: Mapping[ColumnKind, str]
    adapters: Mapping[ColumnKind, Adapter]
    #: The type each kind's values are decoded as, from an item's JSON, to be stored.
    field_types: Mapping[ColumnKind, Any] = field(default_factory=dict)
    #: Kinds whose decoded values the driver takes as they are: no adapter call for them.
    as_is: frozenset[ColumnKind] = frozenset()
    #: A statement that waits (up to the lock timeout) for every other writer of the tables
    #: to finish, so that a locked database is refused before anything changes; None when a
    #: write transaction does that already (SQLite's BEGIN IMMEDIATE).
    lock_tables: Callable[[Sequence[str]], str] | None = None


def quote(name: str) -> str:
    """An identifier, quoted: fields such as ``end`` and ``date`` are SQL keywords."""
    return '"' + name.replace('"', '""') + '"'


def _iso(value: Any) -> Any:
    return None if value is None else value.isoformat()


def _aware(value: Any) -> Any:
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    return value


def _raw_text(value: Any) -> Any:
    """A nested field's JSON, as sent, as text (its ``null`` as NULL)."""
    if value is None:  # not in the item at all
        return None
    text = bytes(value)
    return None if text == b"null" else text.decode()


def _integer(value: Any) -> Any:
    """A boolean as SQLite stores it (binding an int skips sqlite3's adapter lookup)."""
    return None if value is None else int(value)


def _as_is(value: Any) -> Any:
    return value


#: The adapters of the kinds that both dialects take as decoded.
_AS_DECODED: Mapping[ColumnKind, Adapter] = dict.fromkeys(("int", "float", "bool", "text"), _as_is)

#: What every dialect decodes a kind as (nested fields: their JSON as sent).
_DECODED: Mapping[ColumnKind, Any] = {
    "int": int,
    "float": float,
    "bool": bool,
    "text": str,
    "json": msgspec.Raw,
}

#: SQLite: dates and times as ISO text, JSON as text.
SQLITE = Dialect(
    types={
        "int": "INTEGER",
        "float": "REAL",
        "bool": "INTEGER",
        "text": "TEXT",
        "datetime": "TEXT",
        "date": "TEXT",
        "json": "TEXT",
    },
    adapters={**_AS_DECODED, "bool": _integer, "datetime": _iso, "date": _iso, "json": _raw_text},
    field_types={**_DECODED, "datetime": str, "date": str},  # the ISO text as sent
    as_is=frozenset({"int", "float", "text", "datetime", "date"}),
)

#: PostgreSQL: native dates, times and JSONB.
POSTGRES = Dialect(
    types={
        "int": "BIGINT",
        "float": "DOUBLE PRECISION",
        "bool": "BOOLEAN",
        "text": "TEXT",
        "datetime": "TIMESTAMPTZ",
        "date": "DATE",
        "json": "JSONB",
    },
    adapters={**_AS_DECODED, "datetime": _aware, "date": _as_is, "json": _raw_text},
    field_types={**_DECODED, "datetime": datetime.datetime, "date": datetime.date},
    as_is=frozenset({"int", "float", "text", "bool", "date"}),
    lock_tables=lambda names: (
        f"LOCK TABLE {', '.join(quote(name) for name in names)} IN SHARE ROW EXCLUSIVE MODE"
    ),
)

#: Columns every synced table has besides its model's, in this order after them.
SYSTEM_COLUMNS: tuple[tuple[str, ColumnKind], ...] = (
    ("_raw", "json"),
    ("_digest", "text"),
    ("_day", "date"),
    ("_day_end", "date"),
    ("_sweep", "int"),
    ("_synced_at", "datetime"),
    ("_deleted_at", "datetime"),
)

_STATE_COLUMNS: tuple[tuple[str, ColumnKind], ...] = (
    ("table_name", "text"),
    ("workspace_id", "int"),
    ("run_id", "int"),
    ("sweep", "int"),
    ("status", "text"),
    ("part", "int"),
    ("page", "int"),
    ("window_start", "date"),
    ("window_end", "date"),
    ("rows", "int"),
    ("error", "text"),
    ("updated_at", "datetime"),
)


_STATE_NAMES = [quote(name) for name, _ in _STATE_COLUMNS]
_READ_STATE = (
    f"SELECT {', '.join(_STATE_NAMES[:-1])} FROM _sync_state "
    "WHERE table_name = ? AND workspace_id = ?"
)
_WRITE_STATE = (
    f"INSERT INTO _sync_state ({', '.join(_STATE_NAMES)}) VALUES ({', '.join('?' * 12)}) "
    "ON CONFLICT (table_name, workspace_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _STATE_NAMES[2:])
)


@dataclass(frozen=True)
class Run:
    """One ``webwork sync`` run; ``resumed`` when it continues one that did not finish."""

    id: int
    resumed: bool
    started_at: datetime.datetime


@dataclass(frozen=True)
class UnitState:
    """How far one unit (a table's rows of one workspace) got: the ``_sync_state`` row.

    ``status`` is ``running`` (the next part and page to fetch are ``part`` and ``page``),
    ``done`` or ``failed`` (``error``). ``sweep`` marks the rows this unit's sweep has seen.
    """

    table: str
    workspace_id: int
    run_id: int
    sweep: int
    status: Literal["running", "done", "failed"] = "running"
    part: int = 0
    page: int = 1
    window_start: datetime.date | None = None
    window_end: datetime.date | None = None
    rows: int = 0
    error: str | None = None

    def advanced(self, *, part: int, page: int, rows: int) -> UnitState:
        return replace(self, part=part, page=page, rows=self.rows + rows)


class Fetched(NamedTuple):
    """An item of a page, ready to store: its model, its JSON as sent (secrets removed)."""

    item: Any
    raw: bytes


def digest(raw: bytes) -> str:
    """What tells an updated row from an unchanged one, the same in every database."""
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


class SyncStorage(abc.ABC):
    """A database that ``webwork sync`` writes to; use :func:`open_storage` to get one.

    Backends implement :meth:`_batch`, :meth:`_columns`, :meth:`_connect` and :meth:`close`.
    """

    dialect: Dialect
    target: str  # the --db value, without a password
    _shapes: dict[str, _Shape]

    def __init__(self) -> None:
        self._shapes = {}

    # -- what a backend supplies ----------------------------------------------------------------

    @abc.abstractmethod
    async def _connect(self) -> None:
        """Connect; raise :class:`SyncStorageError` saying why it cannot."""

    @abc.abstractmethod
    async def _batch(self, statements: Sequence[Statement]) -> list[Any]:
        """Run ``statements`` in one transaction: every one of them or none. Returns per
        statement its rows (``fetch``) or its changed-row count (``count``)."""

    @abc.abstractmethod
    async def _columns(self) -> dict[str, set[str]]:
        """The tables of the database and their columns."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close the connection (a batch still running is finished first)."""

    # -- schema ---------------------------------------------------------------------------------

    def _type(self, kind: ColumnKind) -> str:
        return self.dialect.types[kind]

    def table_sql(self, table: Table) -> str:
        """``CREATE TABLE`` of a synced table."""
        columns = [
            f"{quote('workspace_id')} {self._type('int')} NOT NULL",
            *(f"{quote(c.name)} {self._type(c.kind)}" for c in table.columns),
            *(f"{quote(name)} {self._type(kind)}" for name, kind in SYSTEM_COLUMNS),
        ]
        return (
            f"CREATE TABLE {quote(table.name)} (\n    "
            + ",\n    ".join(columns)
            + ',\n    PRIMARY KEY ("workspace_id", "id")\n)'
        )

    def schema_sql(self, tables: Sequence[Table] = TABLES) -> list[str]:
        """Every statement that creates the database's tables (``--print-schema``)."""
        state = ", ".join(f"{quote(n)} {self._type(k)}" for n, k in _STATE_COLUMNS)
        return [
            "CREATE TABLE _sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            f"CREATE TABLE _sync_runs (id {self._type('int')} PRIMARY KEY, "
            f"started_at {self._type('datetime')} NOT NULL, "
            f"finished_at {self._type('datetime')}, full_sync {self._type('bool')} NOT NULL)",
            f"CREATE TABLE _sync_state ({state}, PRIMARY KEY (table_name, workspace_id))",
            *(self.table_sql(table) for table in tables),
            *(
                f"CREATE INDEX {quote(table.name + '_by_day')} ON {quote(table.name)} "
                '("workspace_id", "_day")'
                for table in tables
                if table.windowed
            ),
        ]

    async def open(self, tables: Sequence[Table] = TABLES) -> list[str]:
        """Connect, then create the schema or check and migrate it, in one transaction.

        Returns what was migrated (``members: added column title``). Raises
        :class:`SyncStorageError` for a database of another schema version, or one that holds
        tables of these names that this command did not create; nothing is changed then.
        """
        await self._connect()
        existing = await self._columns()
        ours = {table.name for table in tables}
        if "_sync_meta" not in existing:
            clashing = sorted(ours & existing.keys())
            if clashing:
                raise SyncStorageError(
                    f"{self.target} already has tables named {', '.join(clashing)} that webwork "
                    "sync did not create (no _sync_meta table); give another --db"
                )
            statements = [Statement(sql, ()) for sql in self.schema_sql(tables)]
            statements.append(
                Statement(
                    "INSERT INTO _sync_meta (key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
            )
            await self._batch(statements)
            return []
        (rows,) = await self._batch(
            [Statement("SELECT value FROM _sync_meta WHERE key = 'schema_version'", (), "fetch")]
        )
        version = rows[0][0] if rows else None
        if version != str(SCHEMA_VERSION):
            raise SyncStorageError(
                f"{self.target} has sync schema version {version}, this webwork-async writes "
                f"version {SCHEMA_VERSION}; use the webwork-async that wrote it, or another --db"
            )
        migrations: list[str] = []
        statements = []
        if self.dialect.lock_tables is not None:
            names = ["_sync_runs", "_sync_state", *(t.name for t in tables if t.name in existing)]
            statements.append(Statement(self.dialect.lock_tables(names), ()))
        for table in tables:
            if table.name not in existing:
                statements.append(Statement(self.table_sql(table), ()))
                migrations.append(f"{table.name}: created")
                continue
            for column in table.columns:
                if column.name not in existing[table.name]:
                    statements.append(
                        Statement(
                            f"ALTER TABLE {quote(table.name)} ADD COLUMN "
                            f"{quote(column.name)} {self._type(column.kind)}",
                            (),
                        )
                    )
                    migrations.append(f"{table.name}: added column {column.name}")
        await self._batch(statements)
        return migrations

    # -- runs and checkpoints -------------------------------------------------------------------

    async def begin_run(self, *, full: bool, now: datetime.datetime) -> Run:
        """Resume the last run if it did not finish (unless ``full``), else start a new one."""
        last = "SELECT id, finished_at, started_at FROM _sync_runs ORDER BY id DESC LIMIT 1"
        (rows,) = await self._batch([Statement(last, (), "fetch")])
        if rows and rows[0][1] is None and not full:
            return Run(int(rows[0][0]), True, _datetime(rows[0][2]))
        run_id = int(rows[0][0]) + 1 if rows else 1
        moment = self.dialect.adapters["datetime"](now)
        await self._batch(
            [
                Statement(
                    "INSERT INTO _sync_runs (id, started_at, full_sync) VALUES (?, ?, ?)",
                    (run_id, moment, full),
                )
            ]
        )
        return Run(run_id, False, now)

    async def finish_run(self, run: Run, now: datetime.datetime) -> None:
        """The run went through every unit (some may have failed): the next one starts anew."""
        moment = self.dialect.adapters["datetime"](now)
        await self._batch(
            [Statement("UPDATE _sync_runs SET finished_at = ? WHERE id = ?", (moment, run.id))]
        )

    async def unit(self, table: str, workspace_id: int) -> UnitState | None:
        """The checkpoint of a unit, if it was ever started."""
        (rows,) = await self._batch([Statement(_READ_STATE, (table, workspace_id), "fetch")])
        if not rows:
            return None
        row = list(rows[0])
        row[7], row[8] = _date(row[7]), _date(row[8])
        return UnitState(*row)

    def _save_state(self, state: UnitState, now: datetime.datetime) -> Statement:
        adapt = self.dialect.adapters
        values = (
            state.table,
            state.workspace_id,
            state.run_id,
            state.sweep,
            state.status,
            state.part,
            state.page,
            adapt["date"](state.window_start),
            adapt["date"](state.window_end),
            state.rows,
            state.error,
            adapt["datetime"](now),
        )
        return Statement(_WRITE_STATE, values)

    async def save_unit(self, state: UnitState, now: datetime.datetime) -> None:
        """Record a unit's state on its own (started, or failed)."""
        await self._batch([self._save_state(state, now)])

    # -- rows -----------------------------------------------------------------------------------

    def _shape(self, table: Table) -> _Shape:
        """How ``table``'s rows are built and written, worked out once per table."""
        shape = self._shapes.get(table.name)
        if shape is None:
            shape = self._shapes[table.name] = _Shape.of(table, self.dialect)
        return shape

    def _rows(
        self, table: Table, rows: Sequence[tuple[int, Fetched]], sweep: int, synced_at: Any
    ) -> list[tuple[Any, ...]]:
        """The rows to write, in the order of :meth:`table_sql`'s columns. Their values are
        decoded a second time from the items' JSON, into the dialect's column types (see
        :class:`_Shape`): C work, where converting each model value would be Python's."""
        shape = self._shape(table)
        fields = shape.decode(b"[" + b",".join(raw for _, (_, raw) in rows) + b"]")
        get, convert, date = shape.get, shape.convert, self.dialect.adapters["date"]
        built = []
        for (workspace_id, (item, raw)), row in zip(rows, fields, strict=True):
            values = list(get(row))
            for index, adapt in convert:
                values[index] = adapt(values[index])
            start, end = table.days(item)
            built.append(
                (workspace_id, *values, raw.decode(), digest(raw), date(start), date(end),
                 sweep, synced_at, None)
            )  # fmt: skip
        return built

    async def write_page(
        self,
        table: Table,
        state: UnitState,
        rows: Sequence[tuple[int, Fetched]],
        now: datetime.datetime,
        *,
        finish: bool = False,
    ) -> tuple[int, int, int]:
        """Store a page's rows (``(workspace_id, fetched)``) and the unit's new checkpoint
        ``state`` in one transaction; with ``finish`` the page is the sweep's last, and the
        same transaction ends the sweep (see :meth:`finish_unit`). Returns (inserted, updated,
        marked deleted): a row counts as updated when its JSON changed or it had been marked
        deleted."""
        values = self._rows(table, rows, state.sweep, self.dialect.adapters["datetime"](now))
        shape = self._shape(table)
        keys = [(row[0], row[shape.id_at]) for row in values]
        statements: list[Statement] = []
        for start in range(0, len(values), shape.rows_a_statement):
            chunk = slice(start, start + shape.rows_a_statement)
            statements.append(self._existing(table, keys[chunk]))
            statements.append(shape.upsert(values[chunk]))
        statements += self._ending(table, state, now) if finish else [self._save_state(state, now)]
        results = await self._batch(statements)
        found = results[: len(statements) - (2 if finish else 1) : 2]
        before = {
            (ws, key): (seen, gone) for rows_found in found for ws, key, seen, gone in rows_found
        }
        inserted = updated = 0
        for key, row in zip(keys, values, strict=True):
            known = before.get(key)
            if known is None:
                inserted += 1
            elif known[0] != row[shape.digest_at] or known[1]:
                updated += 1
        return inserted, updated, int(results[-2]) if finish else 0

    def _existing(self, table: Table, keys: Sequence[tuple[int, Any]]) -> Statement:
        """The stored digest and deletion flag of the rows with these keys."""
        workspaces = {workspace for workspace, _ in keys}
        if len(workspaces) == 1:  # a page of one workspace: its primary key's range
            where = f'"workspace_id" = ? AND "id" IN ({", ".join("?" * len(keys))})'
            args = [*workspaces, *(key for _, key in keys)]
        else:
            where = " OR ".join(['("workspace_id" = ? AND "id" = ?)'] * len(keys))
            args = [value for key in keys for value in key]
        return Statement(
            f'SELECT "workspace_id", "id", "_digest", "_deleted_at" IS NOT NULL '
            f"FROM {quote(table.name)} WHERE {where}",
            args,
            "fetch",
        )

    def _ending(self, table: Table, state: UnitState, now: datetime.datetime) -> list[Statement]:
        """The end of a complete sweep: mark deleted the rows of the unit (in its window, for
        time data) that the sweep did not see, and record the unit done."""
        adapt = self.dialect.adapters
        where = ['"_sweep" <> ?', '"_deleted_at" IS NULL']
        args: list[Any] = [adapt["datetime"](now), state.sweep]
        if table.fill != "account":
            where.insert(0, '"workspace_id" = ?')
            args.insert(1, state.workspace_id)
        if table.windowed:
            where += ['"_day" >= ?', '"_day_end" <= ?']
            args += [adapt["date"](state.window_start), adapt["date"](state.window_end)]
        mark = f'UPDATE {quote(table.name)} SET "_deleted_at" = ? WHERE ' + " AND ".join(where)
        done = replace(state, status="done", error=None)
        return [Statement(mark, args), self._save_state(done, now)]

    async def finish_unit(self, table: Table, state: UnitState, now: datetime.datetime) -> int:
        """End a complete sweep whose last page is written already (see :meth:`_ending`), in
        one transaction. Returns how many rows were marked deleted."""
        marked, _ = await self._batch(self._ending(table, state, now))
        return int(marked)

    # -- what later units read ------------------------------------------------------------------

    async def live_projects(self, workspace_id: int) -> list[int]:
        """The workspace's projects not marked deleted: the parts of its tasks unit."""
        (rows,) = await self._batch(
            [
                Statement(
                    'SELECT "id" FROM "projects" WHERE "workspace_id" = ? '
                    'AND "_deleted_at" IS NULL ORDER BY "id"',
                    (workspace_id,),
                    "fetch",
                )
            ]
        )
        return [int(row[0]) for row in rows]

    async def tracked_days(
        self, workspace_id: int, start: datetime.date, end: datetime.date
    ) -> list[tuple[int, datetime.date]]:
        """The (user, day) pairs with tracked time in a window: the parts of its time-entries
        unit (the time-entries list answers one user's day at a time)."""
        adapt = self.dialect.adapters["date"]
        (rows,) = await self._batch(
            [
                Statement(
                    'SELECT DISTINCT "user_id", "date" FROM "tracked_hours" '
                    'WHERE "workspace_id" = ? AND "_deleted_at" IS NULL AND "user_id" IS NOT NULL '
                    'AND "total_minutes" > 0 AND "date" >= ? AND "date" <= ? '
                    'ORDER BY "user_id", "date"',
                    (workspace_id, adapt(start), adapt(end)),
                    "fetch",
                )
            ]
        )
        return [(int(user), _date(day) or start) for user, day in rows]


def _optional(kind: Any) -> Any:
    """A field type that also takes ``null`` (msgspec.Raw keeps a ``null`` as its JSON)."""
    return kind if kind is msgspec.Raw else kind | None


#: Bound values a statement may carry: below both SQLite's (32,766) and PostgreSQL's (32,767).
_MAX_VALUES = 30_000


@dataclass(frozen=True)
class _Shape:
    """A table's row layout for one dialect: what is read from an item, what is converted,
    and the multi-row upsert (one statement a page: a statement a row costs SQLite a round of
    its interpreter lock per row)."""

    decode: Callable[[bytes], list[Any]]  # a page's items as structs of the column types
    get: Callable[[Any], tuple[Any, ...]]
    convert: tuple[tuple[int, Adapter], ...]
    id_at: int  # in a row
    digest_at: int
    rows_a_statement: int
    head: str
    marks: str
    tail: str

    @classmethod
    def of(cls, table: Table, dialect: Dialect) -> _Shape:
        columns = table.columns
        convert = [
            (index, dialect.adapters[column.kind])
            for index, column in enumerate(columns)
            if column.kind not in dialect.as_is
        ]
        fields = [(c.name, _optional(dialect.field_types[c.kind]), None) for c in columns]
        row_type = msgspec.defstruct(f"{table.name}_columns", fields, kw_only=True, gc=False)
        names = ["workspace_id", *(c.name for c in columns), *(n for n, _ in SYSTEM_COLUMNS)]
        updates = ", ".join(
            f"{quote(n)} = excluded.{quote(n)}" for n in names if n not in ("workspace_id", "id")
        )
        return cls(
            decode=msgspec.json.Decoder(list[row_type], strict=False).decode,  # type: ignore[valid-type]
            get=operator.attrgetter(*(c.name for c in columns)),
            convert=tuple(convert),
            id_at=1 + next(i for i, c in enumerate(columns) if c.name == "id"),
            digest_at=1 + len(columns) + 1,
            rows_a_statement=max(1, _MAX_VALUES // len(names)),
            head=f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) VALUES ",
            marks=f"({', '.join('?' * len(names))})",
            tail=f' ON CONFLICT ("workspace_id", "id") DO UPDATE SET {updates}',
        )

    def upsert(self, rows: Sequence[tuple[Any, ...]]) -> Statement:
        """One statement that writes ``rows`` (inserted, or updated in place)."""
        sql = self.head + ", ".join([self.marks] * len(rows)) + self.tail
        return Statement(sql, [value for row in rows for value in row])


def _date(value: Any) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def _datetime(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))
