"""In-memory state shared by every API group of the fake server.

One :class:`FakeState` holds all stored objects, the id counters and the request log, behind one
re-entrant lock. Request handlers (running on the server's event loop, possibly in another thread)
and the public mutators of :class:`~webwork_async.testing.FakeWebWork` (running in the test's
thread) both take ``state.lock``, so tests may change the data while a server is running.

Each API group keeps its objects in its own :class:`Table` attribute; new groups add one here.
Members and project viewers are kept per workspace by user id (the same user may belong to several
workspaces), so their tables are keyed by ``(workspace_id, user_id)``; user ids come from
:attr:`FakeState.users`, one id per e-mail address across the whole fake. Objects whose API ids
are opaque strings (webhooks, timesheets, time requests, time entries, leaves, expenses and
expense categories) live in an :class:`OpaqueTable`, under internal numbers that keep them in
creation order.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Final, Generic, TypeVar

#: Role names exactly as the API spells them (reference §2.3).
ROLES: Final = (
    "Owner",
    "Executive manager",
    "Team manager",
    "Project manager",
    "Regular User",
    "Project viewer",
)
#: Variant B: the whole API is limited to these caller roles.
API_ROLES: Final = frozenset({"Owner", "Executive manager"})
#: Member / workspace status values (reference §2.8).
WORKSPACE_STATUSES: Final = ("active", "inactive", "left", "unknown")
#: User id of the token's owner (the "caller"); the same person in every workspace.
CALLER_USER_ID: Final = 100
#: The caller's e-mail address and name, as their Member object shows them.
CALLER_EMAIL: Final = "caller@example.com"
CALLER_NAME: Final = ("Casey", "Caller")
#: Id kind of users (members and project viewers): one id space for both.
USER_KIND: Final = "user"

#: Row keys: plain ids, or (workspace_id, user_id) for per-workspace users.
_K = TypeVar("_K", int, tuple[int, int])


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the fake received, kept so tests can assert on what a client sent.

    ``query`` keeps the last value of repeated parameters (as PHP/Laravel does). ``workspace_id``
    is read from the query string or, failing that, from a JSON object body; ``None`` when neither
    holds an integer. ``route`` is the matched route template ("/api/v2/projects/{project_id}"),
    ``None`` for an unknown path or method.

    The request is recorded on arrival; once it is answered the entry is replaced by one that
    also tells what happened: ``status`` sent (``None`` while in flight and when the connection
    was dropped before a status line), the injected ``fault`` (a ``FaultKind`` value or
    ``None``), whether the route handler ``executed`` and whether the rate limit of
    ``FakeWebWork.enforce_rate_limit`` rejected it (``rate_limited``). ``received_at`` is the
    ``time.monotonic()`` of its arrival, for tests of how long a client waited between requests.
    ``caller`` tells which token sent it: 0 for ``FakeWebWork.token``, 1, 2... for those of
    ``FakeWebWork.add_token`` in the order added, ``None`` when unauthenticated (never the token
    itself).
    """

    method: str
    path: str
    query: dict[str, str]
    body: bytes
    workspace_id: int | None
    route: str | None = None
    status: int | None = None
    fault: str | None = None
    executed: bool = False
    rate_limited: bool = False
    received_at: float = 0.0
    caller: int | None = None


@dataclass
class Row:
    """A stored object: the workspace it belongs to and its JSON-ready payload."""

    workspace_id: int
    data: dict[str, Any]


class Table(Generic[_K]):
    """Rows of one object kind by key, plus a per-workspace index kept in key order.

    Workspace-scoped lists (projects, members, contracts, tasks...) are read far more often than
    written, so the index makes a list request cost the size of one workspace, not of all data.
    Keys are ids, or ``(workspace_id, user_id)`` pairs for per-workspace users (ordered by user
    id within a workspace). Call with the state lock held.
    """

    def __init__(self) -> None:
        """Start empty."""
        self._rows: dict[_K, Row] = {}
        self._by_workspace: dict[int, list[_K]] = {}

    def __len__(self) -> int:
        """Number of rows, archived ones included."""
        return len(self._rows)

    def __contains__(self, row_id: object) -> bool:
        """Tell whether ``row_id`` is taken."""
        return row_id in self._rows

    def __iter__(self) -> Iterator[Row]:
        """Every row, in insertion order."""
        return iter(list(self._rows.values()))

    def get(self, row_id: _K) -> Row | None:
        """The row with ``row_id`` or ``None``."""
        return self._rows.get(row_id)

    def insert(self, row_id: _K, row: Row) -> None:
        """Store ``row`` under the new id ``row_id``."""
        if row_id in self._rows:
            raise ValueError(f"id {row_id} already exists")
        self._rows[row_id] = row
        bisect.insort(self._by_workspace.setdefault(row.workspace_id, []), row_id)

    def in_workspace(self, workspace_id: int) -> list[Row]:
        """Rows of ``workspace_id`` ordered by id."""
        return [self._rows[row_id] for row_id in self._by_workspace.get(workspace_id, ())]

    def remove(self, row_id: _K) -> Row:
        """Take the row with ``row_id`` out (``KeyError`` if there is none); return it."""
        row = self._rows.pop(row_id)
        keys = self._by_workspace[row.workspace_id]
        del keys[bisect.bisect_left(keys, row_id)]
        return row


class OpaqueTable(Table[int]):
    """A :class:`Table` of objects whose API id is an opaque string, ``data["id"]``.

    Rows are stored under internal numbers (so a workspace's rows come in creation order) and
    found by their API id with :meth:`find`; API ids are unique across the whole table.
    """

    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self._numbers: dict[str, int] = {}

    def insert(self, row_id: int, row: Row) -> None:
        """Store ``row`` under the new number ``row_id``; its ``data["id"]`` must be new too."""
        api_id = row.data["id"]
        if api_id in self._numbers:
            raise ValueError(f"id {api_id!r} already exists")
        super().insert(row_id, row)
        self._numbers[api_id] = row_id

    def remove(self, row_id: int) -> Row:
        """Take the row numbered ``row_id`` out; return it."""
        row = super().remove(row_id)
        del self._numbers[row.data["id"]]
        return row

    def holds(self, api_id: object) -> bool:
        """Tell whether the API id ``api_id`` is taken."""
        return api_id in self._numbers

    def find(self, api_id: str) -> Row | None:
        """The row whose API id is ``api_id``, or ``None``."""
        number = self._numbers.get(api_id)
        return None if number is None else self.get(number)

    def take(self, api_id: str) -> Row:
        """Take the row whose API id is ``api_id`` out (``KeyError`` if there is none)."""
        return self.remove(self._numbers[api_id])


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime (the default clock)."""
    return datetime.now(timezone.utc)


def format_timestamp(moment: datetime) -> str:
    """Format like the API's ISO-8601 timestamps: ``2025-02-19T19:24:55.000000Z``.

    Years below 1000 keep four digits (``0264-...``; ``strftime("%Y")`` drops them on glibc),
    so the text of two timestamps sorts as their moments do.
    """
    utc = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


def format_sql_datetime(moment: datetime) -> str:
    """Format like the workspace ``activated_at`` field: ``2025-02-19 19:24:55`` (UTC, no zone)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def format_date(day: date) -> str:
    """Format a calendar date like the API: ``2024-01-15``."""
    return day.isoformat()


_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def format_display_date(day: date) -> str:
    """Format a calendar date for display, as expenses show theirs: ``Jan 15, 2024``."""
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year:04d}"


class FakeState:
    """All mutable data of one fake server, guarded by :attr:`lock`."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        """Create empty state; ``clock`` supplies "now" for timestamps (replaceable in tests)."""
        self.lock = threading.RLock()
        self.clock = clock
        self.workspaces: dict[int, Row] = {}
        self.projects: Table[int] = Table()
        self.members: Table[tuple[int, int]] = Table()
        self.contracts: Table[int] = Table()
        self.tasks: Table[int] = Table()
        self.viewers: Table[tuple[int, int]] = Table()
        self.webhooks = OpaqueTable()
        #: Running trackers, at most one per member: keyed by ``(workspace_id, user_id)``.
        self.trackers: Table[tuple[int, int]] = Table()
        self.timesheets = OpaqueTable()
        self.time_requests = OpaqueTable()
        #: The timeline: every tracked period (stopped trackers, approved requests, entries).
        self.time_entries = OpaqueTable()
        self.leave_policies: Table[int] = Table()
        self.leaves = OpaqueTable()
        self.expense_categories = OpaqueTable()
        self.expenses = OpaqueTable()
        #: User id of every e-mail address seen (case-insensitive), members and viewers alike.
        self.users: dict[str, int] = {CALLER_EMAIL: CALLER_USER_ID}
        self.requests: list[RecordedRequest] = []
        self._last_ids: dict[str, int] = {USER_KIND: CALLER_USER_ID}

    def now(self) -> datetime:
        """Return the current time from the state's clock."""
        return self.clock()

    def next_id(self, kind: str) -> int:
        """Allocate the next id of ``kind`` (ids are global per kind, like database keys)."""
        with self.lock:
            value = self._last_ids.get(kind, 0) + 1
            self._last_ids[kind] = value
            return value

    def claim_id(self, kind: str, value: int) -> None:
        """Note that ``value`` is taken, so auto-allocated ids of ``kind`` never collide with it."""
        with self.lock:
            if value > self._last_ids.get(kind, 0):
                self._last_ids[kind] = value

    def workspace_of(self, workspace_id: int) -> Row | None:
        """Return the stored workspace or ``None``."""
        return self.workspaces.get(workspace_id)

    def user_id(self, email: str) -> int:
        """The user id of ``email`` (case-insensitive), allocated on first sight."""
        with self.lock:
            key = email.casefold()
            found = self.users.get(key)
            if found is None:
                found = self.next_id(USER_KIND)
                self.users[key] = found
            return found
