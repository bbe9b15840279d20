"""Reports API group of the fake server (reference-time §7): sums of the timeline.

Routes: ``GET /reports/tracked-hours``, ``/daily-timeline``, ``/daily-attendance``,
``/task-report`` and ``/activity-level``. Every report reads the time entries of the timeline
(``state.time_entries``) when it is asked for, so a test that adds entries reads their totals
back. Array filters come comma-separated (``users=1,2``). Tracked hours answers one object
(default range: the current week, Monday to Sunday; 31 days at most with ``user_id``); the
other four are lists paged by user, 30 a page by default. The task and activity reports need
a range of at most 31 days (both ends counted). The fake keeps no money (``total_amount`` and
``currency`` are null), no schedules (attendance knows Present, Absent and On leave only) and
no input activity: every entry's activity level is :data:`ACTIVITY_LEVEL`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, Final

from aiohttp import web

from webwork_async._constants import REPORT_MAX_DAYS

from ._endpoint import Call, Routes
from ._fields import (
    QUERY_ID,
    QUERY_IDS,
    Spec,
    calendar_date,
    comma_list,
    one_of,
    parse_date,
    query_boolean,
    text,
)
from ._rows import (
    TIME_ENTRY_FIELDS,
    daily_minutes,
    full_name,
    live,
    pick,
    sum_minutes,
    time_entries,
)
from ._state import format_date
from .leaves import on_leave

#: The activity level (%) the fake gives every tracked entry, and so every user and day.
ACTIVITY_LEVEL: Final = 75.0
#: Users a page of a paged report holds by default (documented: 30, at most 100).
REPORT_PER_PAGE: Final = 30
#: The attendance report's ``status`` filter values and the statuses they keep.
ATTENDANCE_FILTERS: Final = {
    "late": "Late",
    "left_early": "Left early",
    "tracked_less": "Tracked less",
    "absent": "Absent",
    "on_leave": "On leave",
}
#: The fields of a TimelineEntry that it shares with its TimeEntry.
_TIMELINE_ENTRY_FIELDS: Final = tuple(
    name for name in TIME_ENTRY_FIELDS if name not in ("id", "user_id", "contract_id", "date")
)
_TASK_TIME_FIELDS: Final = ("task_id", "task_title", "project_id", "project_name")
_MINUTES_FIELDS: Final = ("user_id", "project_id", "contract_id")
_IDS: Final = Spec(QUERY_IDS, nullable=True)
_DAY: Final = {"date": Spec(calendar_date(), required=True)}
_RANGE: Final = {
    "start_date": Spec(calendar_date(), required=True),
    "end_date": Spec(calendar_date(), required=True, after="start_date"),
}
_TRACKED_HOURS: Final = {
    "start_date": Spec(calendar_date(), nullable=True),
    "end_date": Spec(calendar_date(), nullable=True, after="start_date"),
    "user_id": Spec(QUERY_ID, nullable=True),
    "users": _IDS,
    "projects": _IDS,
    "teams": _IDS,
    "titles": _IDS,
    "currencies": Spec(comma_list(text()), nullable=True),
}
_TIMELINE: Final = {**_DAY, "user_ids": _IDS}
_ATTENDANCE: Final = {
    **_DAY,
    "users": _IDS,
    "status": Spec(comma_list(one_of(ATTENDANCE_FILTERS)), nullable=True),
}
_TASKS: Final = {
    **_RANGE,
    "users": _IDS,
    "project_id": _IDS,
    "task_id": _IDS,
    "include_no_task": Spec(query_boolean(), nullable=True),
}
_ACTIVITY: Final = {**_RANGE, "contract_id": Spec(QUERY_ID, nullable=True), "user_ids": _IDS}
_TOO_LONG: Final = (
    f"The {{field}} field must be a date within {REPORT_MAX_DAYS} days of start date."
)


def _limit_span(call: Call, first: str, last: str) -> None:
    """A range of more than 31 days (both ends counted) is the 422 on ``end_date``."""
    start, end = parse_date(first), parse_date(last)
    assert start is not None
    assert end is not None
    if (end - start).days >= REPORT_MAX_DAYS:
        call.reject("end_date", _TOO_LONG)


def _entries(call: Call, first: str, last: str, **among: list[Any] | None) -> list[dict[str, Any]]:
    """The workspace's TimeEntry objects with a date in ``first``..``last`` by start time,
    each of whose fields named in ``among`` is one of the values given there (if any)."""
    found = [
        entry
        for entry in time_entries(call.state, call.workspace_id, None, first, last)
        if all(wanted is None or entry[name] in wanted for name, wanted in among.items())
    ]
    return sorted(found, key=lambda entry: entry["start_time"] or "")


def _users(call: Call, entries: Iterable[Mapping[str, Any]], wanted: list[int] | None) -> list[int]:
    """The users a report lists, by id: those with ``entries``, or the ``wanted`` ones that
    have some or are members of the workspace."""
    tracked = {entry["user_id"] for entry in entries} - {None}
    if wanted is None:
        return sorted(tracked)
    members = call.state.members
    return sorted(
        user for user in wanted if user in tracked or (call.workspace_id, user) in members
    )


def _per_user(
    call: Call, entries: list[dict[str, Any]], wanted: list[int] | None
) -> Iterable[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """For each user the report lists: the start of their item (``user_id``, ``user_name``)
    and their ``entries``."""
    for user_id in _users(call, entries, wanted):
        head = {"user_id": user_id, "user_name": full_name(call.state, call.workspace_id, user_id)}
        yield head, [entry for entry in entries if entry["user_id"] == user_id]


def _minutes(entries: Iterable[Mapping[str, Any]]) -> int:
    return sum(entry["duration_minutes"] or 0 for entry in entries)


# --- handlers ----------------------------------------------------------------------------------

ROUTES: Final = Routes("/reports")


@ROUTES.get("/tracked-hours", fields=_TRACKED_HOURS)
def tracked_hours(call: Call) -> web.Response:
    """GET /reports/tracked-hours: minutes by day, then by (user, project, contract).

    ``teams``, ``titles`` and ``currencies`` are accepted and change nothing (the fake has no
    teams, titles or rates).
    """
    values = call.values
    today = call.state.now().date()
    monday = today - timedelta(days=today.weekday())
    first = values.get("start_date") or format_date(monday)
    last = values.get("end_date") or format_date(monday + timedelta(days=6))
    if last < first:
        call.reject("end_date", "The {field} field must be a date after or equal to start date.")
    user_id = values.get("user_id")
    if user_id is not None:
        _limit_span(call, first, last)
    users = values.get("users")
    if user_id is not None:
        users = [user for user in users or [user_id] if user == user_id]
    entries = _entries(call, first, last, user_id=users, project_id=values.get("projects"))
    days = daily_minutes(entries, _MINUTES_FIELDS, total_amount=None)
    data = {
        "report_type": "tracked_hours",
        "start_date": first,
        "end_date": last,
        "total": {"total_minutes": _minutes(entries)},
        "days": {day: {"users": rows} for day, rows in days.items()},
    }
    return call.ok(data, "Tracked hours report retrieved successfully")


@ROUTES.get("/daily-timeline", fields=_TIMELINE, paged=True, per_page=REPORT_PER_PAGE)
def daily_timeline(call: Call) -> web.Response:
    """GET /reports/daily-timeline: each user's entries of ``date`` by start time (users with
    entries that day, or ``user_ids``)."""
    day = call.values["date"]
    items = []
    for head, entries in _per_user(call, _entries(call, day, day), call.values.get("user_ids")):
        shown = [
            {**pick(entry, _TIMELINE_ENTRY_FIELDS), "activity_level": ACTIVITY_LEVEL}
            for entry in entries
        ]
        items.append({
            **head,
            "total_minutes": _minutes(entries),
            "activity_level": ACTIVITY_LEVEL if entries else None,
            "total_amount": None,
            "currency": None,
            "entries": shown,
        })  # fmt: skip
    return call.listing(items, "Daily timeline report retrieved successfully")


@ROUTES.get("/daily-attendance", fields=_ATTENDANCE, paged=True, per_page=REPORT_PER_PAGE)
def daily_attendance(call: Call) -> web.Response:
    """GET /reports/daily-attendance: every live member's (or ``users``') day: Present when
    they tracked, On leave under an approved leave, else Absent; ``status`` keeps the users
    with any of the statuses it names."""
    state, values = call.state, call.values
    day, wanted = values["date"], values.get("users")
    entries = _entries(call, day, day)
    kept = {ATTENDANCE_FILTERS[name] for name in values.get("status") or ()}
    items = []
    for member in live(state.members.in_workspace(call.workspace_id)):
        user_id = member.data["id"]
        if wanted is not None and user_id not in wanted:
            continue
        mine = [entry for entry in entries if entry["user_id"] == user_id]
        statuses = ["Present"] if mine else []
        if on_leave(state, call.workspace_id, user_id, day):
            statuses.append("On leave")
        statuses = statuses or ["Absent"]
        if kept and not kept & set(statuses):
            continue
        items.append({
            "user_id": user_id,
            "user_name": full_name(state, call.workspace_id, user_id),
            "statuses": statuses,
            "tracked_minutes": _minutes(mine),
            "break_minutes": 0,
            "breaks": [],
        })  # fmt: skip
    return call.listing(items, "Daily attendance report retrieved successfully")


@ROUTES.get("/task-report", fields=_TASKS, paged=True, per_page=REPORT_PER_PAGE)
def task_report(call: Call) -> web.Response:
    """GET /reports/task-report: each user's minutes per task over the range, in all and per
    day; time without a task counts unless ``include_no_task=false``."""
    values = call.values
    first, last = values["start_date"], values["end_date"]
    _limit_span(call, first, last)
    among = {"project_id": values.get("project_id"), "task_id": values.get("task_id")}
    entries = [
        entry
        for entry in _entries(call, first, last, **among)
        if entry["task_id"] is not None or values.get("include_no_task", True) is not False
    ]
    items = [
        {
            **head,
            "total_minutes": _minutes(mine),
            "tasks_breakdown": sum_minutes(mine, _TASK_TIME_FIELDS),
            "daily_breakdown": daily_minutes(mine, _TASK_TIME_FIELDS),
        }
        for head, mine in _per_user(call, entries, values.get("users"))
    ]
    return call.listing(items, "Task report retrieved successfully")


@ROUTES.get("/activity-level", fields=_ACTIVITY, paged=True, per_page=REPORT_PER_PAGE)
def activity_level(call: Call) -> web.Response:
    """GET /reports/activity-level: each user's activity per day with entries in the range
    (optionally on ``contract_id``), and their average."""
    values = call.values
    first, last = values["start_date"], values["end_date"]
    _limit_span(call, first, last)
    contract_id = values.get("contract_id")
    contracts = None if contract_id is None else [contract_id]
    entries = _entries(call, first, last, contract_id=contracts)
    items = []
    for head, mine in _per_user(call, entries, values.get("user_ids")):
        days = {entry["date"]: ACTIVITY_LEVEL for entry in mine}  # by start: in date order
        average = sum(days.values()) / len(days) if days else None
        items.append({**head, "average": average, "days": days})
    return call.listing(items, "Activity level report retrieved successfully")


def add_routes(app: web.Application) -> None:
    """Register this group's routes on ``app``."""
    ROUTES.add_to(app)
