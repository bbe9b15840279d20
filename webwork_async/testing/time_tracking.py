"""Time Tracking API group of the fake server (reference-time §1).

Routes: ``POST /time-tracking/start``, ``POST /time-tracking/stop`` and ``GET
/time-tracking/current-data``. A member has at most one running tracker per workspace; start
names a live contract of that member (and maybe a live task of its project). Stop (of
``user_id``, by default the caller's own tracker) turns the tracker into a "Web tracker" time
entry of the timeline. A start with a tracker running, or a stop with none, is 400. Start and
stop deliver ``tracker.started`` (the tracker's fields) and ``tracker.stopped`` (the same and
``stopped_at``) to the webhooks that want them.

Also holds :func:`insert_tracker`, the lenient builder behind ``FakeWebWork.add_running_tracker``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web

from ._deliveries import announce
from ._endpoint import Call, Routes
from ._fields import POSITIVE_ID, QUERY_ID, TRACKED_WORK, Spec, parse_timestamp
from ._http import ApiError
from ._rows import (
    WEB_TRACKER,
    built_data,
    field_of,
    full_name,
    insert_time_entry,
    pick,
    selected,
    time_entries,
    tracked_work,
)
from ._state import CALLER_USER_ID, FakeState, Row, format_date

#: What a running tracker stores (and ``FakeWebWork.running_trackers`` shows).
TRACKER_FIELDS: Final = (
    "user_id",
    "contract_id",
    "project_id",
    "task_id",
    "activity_description",
    "start_time",
)
_STARTED: Final = "Time tracking started successfully"
_STOPPED: Final = "Time tracking stopped successfully"
_STOP: Final = {"user_id": Spec(POSITIVE_ID, nullable=True)}
_CURRENT: Final = {"user_id": Spec(QUERY_ID, required=True)}


# --- storage -----------------------------------------------------------------------------------


def _defaults(_workspace: Row, now: str) -> dict[str, Any]:
    return {**dict.fromkeys(TRACKER_FIELDS), "start_time": now}


def insert_tracker(
    state: FakeState, workspace_id: int, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Store a running tracker of ``workspace_id`` from tracker ``fields``; return it.

    ``user_id`` is required; ``start_time`` (str or ``datetime``) defaults to now, the rest to
    null. No API validation: the member, contract and task need not exist. Raises ``KeyError``
    for an unknown workspace, ``TypeError`` for another field and ``ValueError`` when that user
    already has a running tracker there.
    """
    with state.lock:
        data = built_data(state, workspace_id, "Tracker", _defaults, fields, TRACKER_FIELDS)
        key = (workspace_id, data["user_id"])
        if key in state.trackers:
            raise ValueError(f"user {data['user_id']} already has a running tracker")
        state.trackers.insert(key, Row(workspace_id, data))
        return data


def list_stored(state: FakeState, workspace_id: int) -> list[dict[str, Any]]:
    """The workspace's running trackers by user id (new dicts; hold ``state.lock``)."""
    return [pick(row.data, TRACKER_FIELDS) for row in state.trackers.in_workspace(workspace_id)]


def _member_of(call: Call, user_id: int) -> None:
    """``user_id`` must be a live member of the workspace: else the 422 on ``user_id``."""
    selected(call, "user_id", call.state.members.get((call.workspace_id, user_id)))
    call.errors.raise_if_any()


# --- handlers ----------------------------------------------------------------------------------

ROUTES: Final = Routes("/time-tracking")


@ROUTES.post("/start", fields=TRACKED_WORK)
def start_tracking(call: Call) -> web.Response:
    """POST /time-tracking/start: start the member's tracker on a contract (400 if one runs)."""
    work = tracked_work(call)
    user_id = work.member.data["id"]
    if (call.workspace_id, user_id) in call.state.trackers:
        raise ApiError(
            400,
            "The user already has a running tracker",
            error=f"User {user_id} is tracking time already",
        )
    fields = {
        **work.fields(),
        "activity_description": call.values.get("activity_description"),
        "start_time": call.now(),
    }
    stored = insert_tracker(call.state, call.workspace_id, fields)
    announce(call, "tracker.started", stored)
    shown = ("start_time", "contract_id", "project_id", "task_id", "activity_description")
    data = {
        "message": _STARTED,
        **pick(stored, (*shown, "user_id")),
        "user_name": full_name(call.state, call.workspace_id, user_id),
        "user_email": work.member.data["email"],
        "project_name": field_of(
            call.state.projects, call.workspace_id, stored["project_id"], "name"
        ),
    }
    return call.ok(data, _STARTED)


@ROUTES.post("/stop", fields=_STOP)
def stop_tracking(call: Call) -> web.Response:
    """POST /time-tracking/stop: stop the tracker of ``user_id`` (default: the caller's own).

    The tracked period becomes a "Web tracker" time entry; no tracker running is 400.
    """
    user_id = call.values.get("user_id") or CALLER_USER_ID
    _member_of(call, user_id)
    key = (call.workspace_id, user_id)
    if key not in call.state.trackers:
        raise ApiError(
            400, "No running tracker found", error=f"User {user_id} is not tracking time"
        )
    tracker = call.state.trackers.remove(key).data
    stopped_at = call.now()
    entry = {**pick(tracker, TRACKER_FIELDS), "end_time": stopped_at, "method": WEB_TRACKER}
    insert_time_entry(call.state, call.workspace_id, entry)
    announce(call, "tracker.stopped", {**pick(tracker, TRACKER_FIELDS), "stopped_at": stopped_at})
    return call.ok({"message": _STOPPED, "stopped_at": stopped_at}, _STOPPED)


@ROUTES.get("/current-data", fields=_CURRENT)
def current_tracker(call: Call) -> web.Response:
    """GET /time-tracking/current-data: the member's running tracker, ``data: null`` if none.

    ``total_minutes`` adds the whole minutes of the running tracker to the member's time
    entries of its start date; ``total_seconds`` is what is left over.
    """
    user_id = call.values["user_id"]
    _member_of(call, user_id)
    row = call.state.trackers.get((call.workspace_id, user_id))
    if row is None:
        return call.ok(None, "No running tracker")
    tracker, now = row.data, call.state.now()
    start = parse_timestamp(tracker["start_time"]) or now
    elapsed = max(0, int((now - start).total_seconds()))
    day = format_date(start.date())
    entries = time_entries(call.state, call.workspace_id, user_id, day, day)
    booked = sum(entry["duration_minutes"] or 0 for entry in entries)
    data = {
        **pick(tracker, ("contract_id", "user_id", "activity_description", "task_id")),
        "task_title": field_of(call.state.tasks, call.workspace_id, tracker["task_id"], "title"),
        "total_seconds": elapsed % 60,
        "total_minutes": booked + elapsed // 60,
        "date": day,
    }
    return call.ok(data, "Current tracker data retrieved successfully")


def add_routes(app: web.Application) -> None:
    """Register this group's routes on ``app``."""
    ROUTES.add_to(app)
