"""Time Entries API group of the fake server (reference-time §2, OLD docs only).

Routes: ``GET/POST /time-entries`` and ``PUT/DELETE /time-entries/{time_entry_id}``, on the
timeline every time group shares (``state.time_entries``). Entry ids are opaque UUIDs. Times
of day (``HH:mm``) are UTC times of the entry's ``date``. A new entry is "Manually added time"
of a live member (on a live contract of theirs and maybe a live task of its project); of the
period asked for, only what no entry of the member covers yet is saved, one entry per free
stretch, and the answer's ``saved_minutes`` and message say how much. An update changes only
what it names (``project_id`` moves the entry to the member's contract on that project); a
delete is for good. A day lists 50 entries a page at most.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any, Final

from aiohttp import web

from webwork_async._constants import TIME_ENTRIES_MAX_PER_PAGE

from ._endpoint import Call, Routes
from ._fields import (
    AFTER_START_TIME,
    NAME_MAX,
    POSITIVE_ID,
    QUERY_ID,
    SELECTED_INVALID,
    Spec,
    add_error,
    calendar_date,
    parse_date,
    text,
    time_of_day,
)
from ._rows import (
    MANUAL_TIME,
    entry_period,
    full_name,
    insert_time_entry,
    live,
    live_time_entry,
    matching,
    render_time_entry,
    selected,
    time_entries,
    tracked_work,
    whole_minutes,
)
from ._state import Row, format_date, format_timestamp

_ONE: Final = "/{time_entry_id}"
_NOTES: Final = Spec(text(NAME_MAX), nullable=True, store="activity_description")
_LIST: Final = {
    "user_id": Spec(QUERY_ID, required=True),
    "date": Spec(calendar_date(), required=True),
    "project_id": Spec(QUERY_ID, nullable=True),
    "task_id": Spec(QUERY_ID, nullable=True),
}
_CREATE: Final = {
    "user_id": Spec(POSITIVE_ID, required=True),
    "contract_id": Spec(POSITIVE_ID, nullable=True),
    "task_id": Spec(POSITIVE_ID, nullable=True),
    "notes": _NOTES,
    "date": Spec(calendar_date(), required=True),
    "start_time": Spec(time_of_day(), required=True),
    "end_time": Spec(time_of_day(), required=True),
}
_UPDATE: Final = {
    "project_id": Spec(POSITIVE_ID, nullable=True),
    "task_id": Spec(POSITIVE_ID, nullable=True),
    "notes": _NOTES,
    "date": Spec(calendar_date()),
    "start_time": Spec(time_of_day()),
    "end_time": Spec(time_of_day()),
}


def _at(day: date, clock: str) -> datetime:
    """The UTC moment of the time of day ``clock`` (``HH:mm``) on ``day``."""
    return datetime.combine(day, time.fromisoformat(clock), timezone.utc)


def _duration(minutes: int) -> str:
    """Minutes as the API words them in messages: "8 hr", "1 hr 30 min", "45 min"."""
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} hr"] if hours else []
    if rest or not hours:
        parts.append(f"{rest} min")
    return " ".join(parts)


def _free_stretches(
    start: datetime, end: datetime, taken: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """The parts of ``start``..``end`` that no ``taken`` period covers, in time order."""
    free, cursor = [], start
    for busy_start, busy_end in sorted(taken):
        if busy_start >= end:
            break
        if busy_start > cursor:
            free.append((cursor, busy_start))
        cursor = max(cursor, busy_end)
    if cursor < end:
        free.append((cursor, end))
    return free


def _taken(call: Call, user_id: int) -> list[tuple[datetime, datetime]]:
    """The periods the member's time entries of the workspace cover already."""
    periods = []
    for row in call.state.time_entries.in_workspace(call.workspace_id):
        start, end = entry_period(row.data)
        if row.data["user_id"] == user_id and start is not None and end is not None:
            periods.append((start, end))
    return periods


def _project_contract(call: Call, row: Row, project_id: int) -> Row:
    """The entry's member's live contract on the workspace's live project ``project_id``;
    else the 422 on ``project_id``."""
    state, user_id = call.state, row.data["user_id"]
    if selected(call, "project_id", state.projects.get(project_id)) is None:
        call.errors.raise_if_any()
    contracts = [
        contract
        for contract in live(state.contracts.in_workspace(call.workspace_id))
        if contract.data["project_id"] == project_id and contract.data["user_id"] == user_id
    ]
    if not contracts:
        call.reject("project_id", SELECTED_INVALID)
    return contracts[0]


def _moved_period(call: Call, row: Row) -> dict[str, Any]:
    """The entry's ``date``, start, end and duration after the update's ``date``/times.

    A new ``date`` moves the times kept with it; end must come after start (422 on
    ``end_time``).
    """
    values, data = call.values, row.data
    start, end = entry_period(data)
    old_day = parse_date(data["date"]) or (start or call.state.now()).date()
    day = parse_date(values.get("date")) or old_day
    moment: dict[str, datetime | None] = {}
    for name, kept in (("start_time", start), ("end_time", end)):
        if name in values:
            moment[name] = _at(day, values[name])
            continue
        try:
            moment[name] = None if kept is None else kept + (day - old_day)
        except OverflowError:  # an end past midnight moved to 9999-12-31
            call.reject("date", "The {field} field must be a date before 9999-12-31.")
    start, end = moment["start_time"], moment["end_time"]
    if start is not None and end is not None and end <= start:
        call.reject("end_time", AFTER_START_TIME)
    return {
        "date": format_date(day),
        "start_time": None if start is None else format_timestamp(start),
        "end_time": None if end is None else format_timestamp(end),
        "duration_minutes": 0 if start is None or end is None else whole_minutes(start, end),
    }


# --- handlers ----------------------------------------------------------------------------------

ROUTES: Final = Routes("/time-entries")


@ROUTES.get(fields=_LIST, paged=True, max_per_page=TIME_ENTRIES_MAX_PER_PAGE)
def list_time_entries(call: Call) -> web.Response:
    """GET /time-entries: the member's entries on ``date`` by start time; filters
    ``project_id`` and ``task_id``. ``user_id`` must be a member (archived ones too)."""
    values = call.values
    user_id, day = values["user_id"], values["date"]
    if (call.workspace_id, user_id) not in call.state.members:
        call.reject("user_id", SELECTED_INVALID)
    entries = time_entries(call.state, call.workspace_id, user_id, day, day)
    found = matching(entries, project_id=values.get("project_id"), task_id=values.get("task_id"))
    found.sort(key=lambda entry: entry["start_time"] or "")
    return call.listing(found, "Time entries retrieved successfully")


@ROUTES.post(fields=_CREATE)
def create_time_entry(call: Call) -> web.Response:
    """POST /time-entries: manual time of a member on ``date``; 201 with ``saved_minutes``.

    Only what the member's entries do not cover yet is saved (one entry per free stretch;
    ``data`` is the first, null when nothing was free).
    """
    values = call.values
    if values["end_time"] <= values["start_time"]:
        add_error(call.errors, "end_time", AFTER_START_TIME)
    work = tracked_work(call)  # raises the 422 of every field at once
    day = parse_date(values["date"])
    assert day is not None
    start, end = _at(day, values["start_time"]), _at(day, values["end_time"])
    fields = {
        **work.fields(),
        "activity_description": values.get("activity_description"),
        "method": MANUAL_TIME,
    }
    saved, first = 0, None
    for piece_start, piece_end in _free_stretches(start, end, _taken(call, values["user_id"])):
        minutes = whole_minutes(piece_start, piece_end)
        if minutes < 1:
            continue
        period = {"start_time": piece_start, "end_time": piece_end}
        stored = insert_time_entry(call.state, call.workspace_id, {**fields, **period})
        first = first or render_time_entry(call.state, Row(call.workspace_id, stored))
        saved += minutes
    name = full_name(call.state, call.workspace_id, values["user_id"])
    message = f"{_duration(saved)} successfully added for {name}."
    lost = whole_minutes(start, end) - saved
    if lost:
        message += f" {_duration(lost)} overlapping existing time entries was not saved."
    return call.ok(first, message, status=201, beside={"saved_minutes": saved})


@ROUTES.put(_ONE, fields=_UPDATE, partial=True)
def update_time_entry(call: Call) -> web.Response:
    """PUT /time-entries/{time_entry_id}: change what the body names; ``data: null``.

    ``project_id`` moves the entry to the member's live contract on that project (its task
    is then dropped unless ``task_id`` names one of the project); null takes it off any.
    """
    row = live_time_entry(call, "time_entry_id")
    values, changes = call.values, {}
    if "project_id" in values:
        contract = None
        if values["project_id"] is not None:
            contract = _project_contract(call, row, values["project_id"]).data
        changes["contract_id"] = None if contract is None else contract["id"]
        changes["project_id"] = values["project_id"]
        changes["task_id"] = None
    project_id = changes.get("project_id", row.data["project_id"])
    if values.get("task_id") is not None:
        task = call.state.tasks.get(values["task_id"])
        fits = selected(call, "task_id", task, lambda task: task.data["project_id"] == project_id)
        call.errors.raise_if_any()
        assert fits is not None
    if "task_id" in values:
        changes["task_id"] = values["task_id"]
    if "activity_description" in values:
        changes["activity_description"] = values["activity_description"]
    if {"date", "start_time", "end_time"} & set(values):
        changes.update(_moved_period(call, row))
    row.data.update(changes)
    return call.ok(None, "Time entry updated successfully")


@ROUTES.delete(_ONE, absent_workspace="workspace_id is required in request body")
def delete_time_entry(call: Call) -> web.Response:
    """DELETE /time-entries/{time_entry_id} with body ``workspace_id``: gone for good."""
    row = live_time_entry(call, "time_entry_id")
    call.state.time_entries.take(row.data["id"])
    return call.ok(None, "Time entry deleted successfully")


def add_routes(app: web.Application) -> None:
    """Register this group's routes on ``app``."""
    ROUTES.add_to(app)
