"""Stored rows shared by the API groups: lenient builders, ids, soft deletes, the links between
groups (a contract ties a member to a project; tasks list members as assignees) and the timeline.

The builders behind ``FakeWebWork.add_*`` apply no API validation: they only refuse what would
corrupt the state (an unknown workspace or field, a value that is not JSON-ready, a taken id).
The link functions keep derived data true when one group's change reaches another's rows: a
project's ``contracts_count`` counts its live contracts, archiving a member or a project ends its
contracts, archiving a member takes them off every task. The timeline is the time entries every
time group shares: a stopped tracker, an approved time request and ``POST /time-entries`` add
one, timesheets, the running tracker's data and the reports sum their minutes. Call everything
with ``state.lock`` held.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from ._endpoint import Call
from ._fields import SELECTED_INVALID, add_error, parse_timestamp
from ._http import json_copy, live_row, not_found
from ._state import (
    USER_KIND,
    FakeState,
    OpaqueTable,
    Row,
    Table,
    format_date,
    format_timestamp,
)


def json_ready(value: Any) -> Any:
    """``datetime`` as an API timestamp, ``date`` as ``YYYY-MM-DD``, anything else unchanged."""
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return format_date(value)
    return value


#: Default row data of a builder, from the workspace and the current timestamp.
Defaults = Callable[[Row, str], dict[str, Any]]


def built_data(
    state: FakeState,
    workspace_id: int,
    what: str,
    defaults: Defaults,
    fields: Mapping[str, Any],
    allowed: Collection[str],
) -> dict[str, Any]:
    """A builder's new row data: ``defaults(workspace, now)`` updated with ``fields``, detached.

    Raises ``KeyError`` for an unknown workspace and ``TypeError`` for a field not in
    ``allowed`` or a value that is not JSON-ready (``date``/``datetime`` are formatted).
    """
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise TypeError(f"not {what} fields: {', '.join(unknown)}")
    workspace = state.workspaces.get(workspace_id)
    if workspace is None:
        raise KeyError(f"unknown workspace {workspace_id}")
    data = defaults(workspace, format_timestamp(state.now()))
    for name, value in fields.items():
        data[name] = json_ready(value)
    try:
        copied: dict[str, Any] = json_copy(data)  # detaches the caller's lists and dicts
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} fields must be JSON-ready: {exc}") from None
    return copied


def take_id(
    state: FakeState, kind: str, given: Any, taken: Callable[[int], bool], what: str
) -> int:
    """``given`` (a positive int not ``taken``, then claimed) or the next free id of ``kind``."""
    if given is None:
        new_id = state.next_id(kind)
        while taken(new_id):
            new_id = state.next_id(kind)
        return new_id
    if isinstance(given, bool) or not isinstance(given, int) or given < 1:
        raise ValueError(f"{what} id must be a positive integer, not {given!r}")
    if taken(given):
        raise ValueError(f"{what} {given} already exists")
    state.claim_id(kind, given)
    return given


def new_uuid() -> str:
    """A random UUID, the opaque id of timesheets, time requests and time entries."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Builder:
    """A group's lenient builder: its object kind, the fields it takes and where rows go.

    ``rows`` picks the group's table from the state; ``kind`` is the id kind of its ids, or
    :data:`USER_KIND` for a table of users keyed by ``(workspace_id, user_id)``. With
    ``new_id`` the API ids are opaque strings it makes (the table is an :class:`OpaqueTable`,
    the rows numbered by ``kind``).
    """

    what: str
    allowed: Collection[str]
    defaults: Defaults
    rows: Callable[[FakeState], Table[Any]]
    kind: str = USER_KIND
    new_id: Callable[[], str] | None = None

    def insert(
        self, state: FakeState, workspace_id: int, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Store ``fields`` over the defaults; return the live stored data.

        The id is ``fields["id"]`` if given, else the next free id of the kind; for users, the
        id of ``fields["email"]`` (the same user in every workspace). Raises ``KeyError`` for
        an unknown workspace, ``TypeError`` for a field not ``allowed`` or a value that is not
        JSON-ready, ``ValueError`` for a taken id (a user already in the workspace).
        """
        with state.lock:
            data = built_data(state, workspace_id, self.what, self.defaults, fields, self.allowed)
            table = self.rows(state)
            given = fields.get("id")
            what = self.what.lower()
            if self.new_id is not None:
                assert isinstance(table, OpaqueTable)
                data["id"] = self._opaque_id(table, given)
                number = take_id(state, self.kind, None, table.__contains__, what)
                table.insert(number, Row(workspace_id, data))
                return data
            if self.kind != USER_KIND:
                data["id"] = take_id(state, self.kind, given, table.__contains__, what)
                table.insert(data["id"], Row(workspace_id, data))
                return data
            email = str(data["email"])
            user_id = state.user_id(email) if given is None else given
            take_id(state, USER_KIND, user_id, lambda uid: (workspace_id, uid) in table, what)
            state.users.setdefault(email.casefold(), user_id)
            data["id"] = user_id
            table.insert((workspace_id, user_id), Row(workspace_id, data))
            return data

    def store_built(
        self, state: FakeState, workspace_id: int, built: Iterable[dict[str, Any]]
    ) -> None:
        """Store ``built`` rows of ``workspace_id`` as they are: the seeders' fast path.

        Each dict holds every stored field, JSON-ready, and shares no list or dict with other
        data: it is neither checked nor copied (use :meth:`insert` for anything else). Its
        ``id`` is set to the next free id of the kind; opaque ids must be given, and not taken.
        Not for users.
        """
        assert self.kind != USER_KIND
        with state.lock:
            table = self.rows(state)
            what = self.what.lower()
            for data in built:
                number = take_id(state, self.kind, None, table.__contains__, what)
                if self.new_id is None:
                    data["id"] = number
                table.insert(number, Row(workspace_id, data))

    def listed(
        self, state: FakeState, workspace_id: int, render: Callable[[FakeState, Row], Any]
    ) -> list[Any]:
        """What ``render`` makes of the workspace's live rows, in key (creation) order."""
        return shown(state, self.rows(state).in_workspace(workspace_id), render)

    def live(self, call: Call, param: str) -> Row:
        """The live row of the call's workspace whose opaque API id is the path's ``param``.

        Anything else (an unknown id, another workspace's, a deleted row) is the 404
        "<what> not found".
        """
        table = self.rows(call.state)
        assert isinstance(table, OpaqueTable)
        api_id = call.request.match_info[param]
        return live_row(table.find(api_id), call.workspace_id, self.what, repr(api_id))

    def _opaque_id(self, table: OpaqueTable, given: Any) -> str:
        """``given`` (a string not taken) or a new opaque id."""
        assert self.new_id is not None
        if given is None:
            new_id = self.new_id()
            while table.holds(new_id):
                new_id = self.new_id()
            return new_id
        if not isinstance(given, str) or not given:
            raise ValueError(f"{self.what.lower()} id must be a non-empty string, not {given!r}")
        if table.holds(given):
            raise ValueError(f"{self.what.lower()} {given!r} already exists")
        return given


def fresh(fields: Iterable[str], now: str, fixed: Mapping[str, Any]) -> dict[str, Any]:
    """New row data: every field null, ``created_at``/``updated_at`` now, then ``fixed``."""
    data = dict.fromkeys(fields)
    for name in ("created_at", "updated_at"):
        if name in data:
            data[name] = now
    data.update(fixed)
    return data


def uuid_builder(
    what: str,
    fields: Collection[str],
    fixed: Mapping[str, Any],
    rows: Callable[[FakeState], OpaqueTable],
) -> Builder:
    """The :class:`Builder` of an object kind with UUID ids whose new rows are
    :func:`fresh` ``fields`` with ``fixed`` values."""

    def defaults(_workspace: Row, now: str) -> dict[str, Any]:
        return fresh(fields, now, fixed)

    return Builder(what, fields, defaults, rows, what.lower().replace(" ", "_"), new_uuid)


def picker(fields: Iterable[str]) -> Callable[[FakeState, Row], dict[str, Any]]:
    """A group's render for objects shown as stored: the ``fields`` of the row's data."""
    names = tuple(fields)

    def render(_state: FakeState, row: Row) -> dict[str, Any]:
        return pick(row.data, names)

    return render


def selected(
    call: Call, field: str, row: Row | None, fits: Callable[[Row], bool] = lambda _row: True
) -> Row | None:
    """``row`` if it is live in the call's workspace and ``fits``; else ``None`` and the 422
    "The selected <field> is invalid." recorded (raise it with ``call.errors``)."""
    if (
        row is None
        or row.workspace_id != call.workspace_id
        or row.data.get("deleted_at") is not None
        or not fits(row)
    ):
        add_error(call.errors, field, SELECTED_INVALID)
        return None
    return row


def change_status(
    call: Call, row: Row, allowed: Collection[str], status: str, refusal: str, **changes: Any
) -> None:
    """Move ``row`` to ``status`` with ``changes`` if its status is ``allowed``, else the 422
    ``refusal`` on ``status``; ``updated_at`` becomes now."""
    if row.data["status"] not in allowed:
        call.reject("status", refusal)
    row.data.update(changes, status=status, updated_at=call.now())


def link(call: Call, ids: list[int], value: int, field: str, message: str) -> None:
    """Add ``value`` to the id list ``ids``; one already there is the 422 ``message``."""
    if value in ids:
        call.reject(field, message)
    ids.append(value)


def unlink(ids: list[int], value: int, what: str, detail: str) -> None:
    """Take ``value`` off the id list ``ids``; one not there is the 404 of ``what``."""
    if value not in ids:
        raise not_found(what, detail)
    ids.remove(value)


def pick(data: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The object's ``fields`` of stored ``data`` (which may hold internal keys too)."""
    return {name: data[name] for name in fields}


def matching(items: Iterable[dict[str, Any]], **wanted: Any) -> list[dict[str, Any]]:
    """The ``items`` whose fields equal every ``wanted`` value that is not ``None`` (filters)."""
    wanted = {name: value for name, value in wanted.items() if value is not None}
    return [item for item in items if all(item[name] == value for name, value in wanted.items())]


def live(rows: Iterable[Row]) -> list[Row]:
    """The rows that are neither archived nor deleted."""
    return [row for row in rows if row.data.get("deleted_at") is None]


def shown(
    state: FakeState,
    rows: list[Row],
    render: Callable[[FakeState, Row], dict[str, Any]],
    everything: bool = False,
) -> list[dict[str, Any]]:
    """The objects ``render`` makes of the live ``rows`` (of all with ``everything``)."""
    return [render(state, row) for row in (rows if everything else live(rows))]


def soft_delete(row: Row, now: str) -> None:
    """Archive/delete ``row``: it keeps its data, with ``deleted_at`` (and ``updated_at``) set."""
    row.data["deleted_at"] = now
    if "updated_at" in row.data:
        row.data["updated_at"] = now


# --- links between groups ----------------------------------------------------------------------


def recount_contracts(state: FakeState, workspace_id: int, project_ids: Iterable[int]) -> None:
    """Set ``contracts_count`` of the workspace's ``project_ids`` to their live contracts."""
    wanted = set(project_ids)
    counts = dict.fromkeys(wanted, 0)
    for row in live(state.contracts.in_workspace(workspace_id)):
        if row.data["project_id"] in wanted:
            counts[row.data["project_id"]] += 1
    for project_id, count in counts.items():
        project = state.projects.get(project_id)
        if project is not None and project.workspace_id == workspace_id:
            project.data["contracts_count"] = count


def end_contracts(state: FakeState, workspace_id: int, now: str, **match: Any) -> None:
    """Soft-delete the workspace's live contracts whose data has ``match``; recount projects."""
    ended = [
        row
        for row in live(state.contracts.in_workspace(workspace_id))
        if all(row.data.get(name) == value for name, value in match.items())
    ]
    for row in ended:
        soft_delete(row, now)
    recount_contracts(state, workspace_id, {row.data["project_id"] for row in ended})


def unassign_everywhere(state: FakeState, workspace_id: int, user_id: int) -> None:
    """Take ``user_id`` off the assignees of every task of the workspace."""
    for row in state.tasks.in_workspace(workspace_id):
        assignees = row.data["assignee_ids"]
        if user_id in assignees:
            assignees.remove(user_id)


def full_name(state: FakeState, workspace_id: int, user_id: int) -> str | None:
    """A member's "firstname lastname" (archived members too), ``None`` for no member."""
    member = state.members.get((workspace_id, user_id))
    if member is None:
        return None
    return f"{member.data['firstname']} {member.data['lastname']}"


@dataclass(frozen=True)
class Work:
    """What a tracker, a time request or a time entry is for: a member, maybe their contract
    (none: time without a project) and maybe a task of its project."""

    member: Row
    contract: Row | None
    task: Row | None

    def fields(self) -> dict[str, Any]:
        """The ids a stored tracker, request or time entry keeps."""
        contract = {} if self.contract is None else self.contract.data
        return {
            "user_id": self.member.data["id"],
            "contract_id": contract.get("id"),
            "project_id": contract.get("project_id"),
            "task_id": None if self.task is None else self.task.data["id"],
        }


def tracked_work(call: Call) -> Work:
    """The :class:`Work` of the call's ``user_id``, ``contract_id`` and ``task_id``.

    The user must be a live member, the contract (if any) a live contract of that user, the
    task (if any) a live task of the contract's project, which a task needs; each that is not
    is a 422 on its field, all of them in one answer.
    """
    state, values = call.state, call.values
    user_id = values["user_id"]
    member = selected(call, "user_id", state.members.get((call.workspace_id, user_id)))
    contract = None
    if values.get("contract_id") is not None:
        contract = selected(
            call,
            "contract_id",
            state.contracts.get(values["contract_id"]),
            lambda row: row.data["user_id"] == user_id,
        )
    elif values.get("task_id") is not None:
        add_error(
            call.errors, "contract_id", "The {field} field is required when task id is present."
        )
    task = None
    if values.get("task_id") is not None and contract is not None:
        project_id = contract.data["project_id"]
        task = selected(
            call,
            "task_id",
            state.tasks.get(values["task_id"]),
            lambda row: row.data["project_id"] == project_id,
        )
    call.errors.raise_if_any()
    assert member is not None
    return Work(member, contract, task)


# --- the timeline: time entries ----------------------------------------------------------------

#: Every field of the TimeEntry object, in the order the API shows them.
TIME_ENTRY_FIELDS: Final = (
    "id",
    "user_id",
    "contract_id",
    "project_id",
    "project_name",
    "task_id",
    "task_title",
    "activity_description",
    "method",
    "date",
    "start_time",
    "end_time",
    "duration_minutes",
)
#: Tracking sources (``method``) the fake's own routes write.
WEB_TRACKER: Final = "Web tracker"
MANUAL_TIME: Final = "Manually added time"
#: What a time entry stores: its fields but the names (read from the project and task).
_ENTRY_STORED: Final = tuple(
    name for name in TIME_ENTRY_FIELDS if name not in ("project_name", "task_title")
)


_ENTRIES: Final = uuid_builder(
    "Time entry", _ENTRY_STORED, {"method": MANUAL_TIME}, lambda state: state.time_entries
)


def live_time_entry(call: Call, param: str) -> Row:
    """The call's workspace's time entry named by the path's ``param``, else the 404 "Time
    entry not found"."""
    return _ENTRIES.live(call, param)


def entry_period(data: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The UTC start and end of a stored time entry (``None`` for one that is no timestamp)."""
    return parse_timestamp(data["start_time"]), parse_timestamp(data["end_time"])


def whole_minutes(start: datetime, end: datetime) -> int:
    """The whole minutes from ``start`` to ``end`` (0 if ``end`` comes first)."""
    return max(0, int((end - start).total_seconds()) // 60)


def insert_time_entry(
    state: FakeState, workspace_id: int, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Store a time entry of ``workspace_id`` from stored TimeEntry ``fields``; return it.

    ``start_time``/``end_time`` are timestamps (str or ``datetime``); ``date`` (the UTC day
    of the start) and ``duration_minutes`` (whole minutes) follow from them unless given, and
    so does ``project_id`` from ``contract_id``'s contract. ``method`` defaults to "Manually
    added time", ``id`` to a new UUID. No API validation. Raises ``KeyError`` for an unknown
    workspace, ``TypeError`` for another field, ``ValueError`` for a taken id or a start that
    is no timestamp when ``date`` is not given.
    """
    given = dict(fields)
    start = parse_timestamp(given.get("start_time"))
    end = parse_timestamp(given.get("end_time"))
    if "date" not in given:
        if start is None:
            raise ValueError(f"start_time is not a timestamp: {given.get('start_time')!r}")
        given["date"] = format_date(start.date())
    if "duration_minutes" not in given:
        given["duration_minutes"] = 0 if start is None or end is None else whole_minutes(start, end)
    with state.lock:
        contract = state.contracts.get(given.get("contract_id") or 0)
        if "project_id" not in given and contract and contract.workspace_id == workspace_id:
            given["project_id"] = contract.data["project_id"]
        return _ENTRIES.insert(state, workspace_id, given)


def store_time_entries(
    state: FakeState, workspace_id: int, built: Iterable[dict[str, Any]]
) -> None:
    """Put ``built`` time entries of ``workspace_id`` on the timeline: the seeder's fast path
    (:meth:`Builder.store_built`). Each dict holds the TimeEntry fields but ``project_name`` and
    ``task_title``, with a UUID ``id`` not taken."""
    _ENTRIES.store_built(state, workspace_id, built)


def field_of(table: Table[int], workspace_id: int, row_id: Any, field: str) -> Any:
    """``field`` of the row ``row_id`` of ``table`` if it is the workspace's, else ``None``."""
    row = table.get(row_id) if isinstance(row_id, int) else None
    return row.data.get(field) if row is not None and row.workspace_id == workspace_id else None


def render_time_entry(state: FakeState, row: Row) -> dict[str, Any]:
    """The TimeEntry object of a stored row, with its project's name and task's title."""
    data, workspace_id = row.data, row.workspace_id
    project_name = field_of(state.projects, workspace_id, data["project_id"], "name")
    task_title = field_of(state.tasks, workspace_id, data["task_id"], "title")
    return pick({**data, "project_name": project_name, "task_title": task_title}, TIME_ENTRY_FIELDS)


def time_entries(
    state: FakeState,
    workspace_id: int,
    user_id: int | None = None,
    first: str | None = None,
    last: str | None = None,
) -> list[dict[str, Any]]:
    """TimeEntry objects of the workspace in creation order: those of ``user_id`` (if given)
    with a ``date`` from ``first`` to ``last`` (``YYYY-MM-DD``, inclusive, either open)."""
    return [
        render_time_entry(state, row)
        for row in state.time_entries.in_workspace(workspace_id)
        if (user_id is None or row.data["user_id"] == user_id)
        and within(row.data["date"], first, last)
    ]


def within(day: str | None, first: str | None, last: str | None) -> bool:
    """Whether the ``YYYY-MM-DD`` ``day`` is in ``first``..``last`` (inclusive, either open;
    no day is before every one)."""
    day = day or ""
    return (first is None or day >= first) and (last is None or day <= last)


def sum_minutes(
    entries: Iterable[Mapping[str, Any]], fields: Sequence[str], **extra: Any
) -> list[dict[str, Any]]:
    """One row per distinct value of ``fields`` among TimeEntry objects ``entries`` (in the
    order first seen): those fields, the ``total_minutes`` of its entries, then ``extra``."""
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for entry in entries:
        key = tuple(entry[name] for name in fields)
        row = rows.setdefault(key, {**pick(entry, fields), "total_minutes": 0, **extra})
        row["total_minutes"] += entry["duration_minutes"] or 0
    return list(rows.values())


def daily_minutes(
    entries: Iterable[Mapping[str, Any]], fields: Sequence[str], **extra: Any
) -> dict[str, list[dict[str, Any]]]:
    """:func:`sum_minutes` of the TimeEntry objects ``entries`` of each ``date``, by date."""
    days: dict[str, list[Mapping[str, Any]]] = {}
    for entry in sorted(entries, key=lambda item: item["date"] or ""):
        days.setdefault(entry["date"] or "", []).append(entry)
    return {day: sum_minutes(found, fields, **extra) for day, found in days.items()}
