"""Time Requests API group of the fake server (reference-time §4): requests for manual time.

Routes: ``GET/POST /time-requests``, ``GET /time-requests/{id}`` and ``POST
/time-requests/{id}/approve`` and ``/reject``. Request ids are opaque UUIDs. A request names a
live contract of a live member (and maybe a live task of its project) and a period; it is made
``pending`` and decided once: approve adds a "Manually added time" entry for the period to the
timeline, reject keeps the manager's ``comment``. Deciding one that is not pending is 422.

Also holds :func:`insert_time_request`, the lenient builder behind
``FakeWebWork.add_time_request``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web

from ._endpoint import Call, Routes
from ._fields import (
    DATE_RANGE,
    QUERY_ID,
    REASON,
    TEXT_MAX,
    TRACKED_WORK,
    Spec,
    add_error,
    date_time,
    one_of,
    text,
)
from ._rows import (
    MANUAL_TIME,
    change_status,
    insert_time_entry,
    matching,
    pick,
    picker,
    tracked_work,
    uuid_builder,
    within,
)
from ._state import CALLER_USER_ID, FakeState, Row

#: Every field of the TimeRequest object, in the order the API shows them.
TIME_REQUEST_FIELDS: Final = (
    "id",
    "user_id",
    "contract_id",
    "project_id",
    "task_id",
    "start",
    "end",
    "status",
    "notes",
    "comment",
    "updated_by",
    "created_at",
    "updated_at",
    "activity_description",
)
TIME_REQUEST_STATUSES: Final = ("pending", "approved", "rejected")
_PENDING: Final = frozenset({"pending"})
_CREATE: Final = {
    **TRACKED_WORK,
    "start": Spec(date_time(), required=True),
    "end": Spec(date_time(), required=True),
    "notes": Spec(text(TEXT_MAX), nullable=True),
}
_FILTERS: Final = {
    "id": Spec(text(), nullable=True),
    "status": Spec(one_of(TIME_REQUEST_STATUSES), nullable=True),
    "user_id": Spec(QUERY_ID, nullable=True),
    "project_id": Spec(QUERY_ID, nullable=True),
    **DATE_RANGE,
}


# --- storage -----------------------------------------------------------------------------------


_BUILDER: Final = uuid_builder(
    "Time request", TIME_REQUEST_FIELDS, {"status": "pending"}, lambda state: state.time_requests
)


def insert_time_request(
    state: FakeState, workspace_id: int, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Store a time request of ``workspace_id`` from TimeRequest ``fields``; return it.

    ``start``/``end`` and the timestamps may be str or ``datetime``; ``id`` is a new UUID
    unless given, ``status`` "pending" unless given. No API validation: the member, contract
    and task need not exist. Raises ``KeyError`` for an unknown workspace, ``TypeError`` for
    another field and ``ValueError`` for a taken id.
    """
    return _BUILDER.insert(state, workspace_id, fields)


#: The TimeRequest object of a stored row.
render: Final = picker(TIME_REQUEST_FIELDS)


def list_stored(state: FakeState, workspace_id: int) -> list[dict[str, Any]]:
    """TimeRequest objects of ``workspace_id`` in creation order (new dicts; hold the lock)."""
    return _BUILDER.listed(state, workspace_id, render)


# --- handlers ----------------------------------------------------------------------------------

ROUTES: Final = Routes("/time-requests")

_ONE: Final = "/{request_id}"


@ROUTES.get(fields=_FILTERS, paged=True)
def list_time_requests(call: Call) -> web.Response:
    """GET /time-requests: by creation; filters ``id``, ``status``, ``user_id``,
    ``project_id`` and the day of ``start`` in ``date_from``..``date_to``."""
    values = dict(call.values)
    first, last = values.pop("date_from", None), values.pop("date_to", None)
    items = [
        item
        for item in matching(list_stored(call.state, call.workspace_id), **values)
        if within((item["start"] or "")[:10], first, last)
    ]
    return call.listing(items, "Time requests retrieved successfully")


@ROUTES.post(fields=_CREATE)
def create_time_request(call: Call) -> web.Response:
    """POST /time-requests: a pending request for the member's time on a contract; 201."""
    values = call.values
    if values["end"] <= values["start"]:  # both UTC timestamps of one format: text order works
        add_error(call.errors, "end", "The {field} field must be a date after start.")
    work = tracked_work(call)  # raises the 422 of every field at once
    fields = {**work.fields(), **pick(values, ("start", "end"))}
    for name in ("notes", "activity_description"):
        fields[name] = values.get(name)
    stored = insert_time_request(call.state, call.workspace_id, fields)
    created = render(call.state, Row(call.workspace_id, stored))
    return call.ok(created, "Time request created successfully", status=201)


#: The request the path's id names, if it is the workspace's, else 404 "Time request not found".
_request: Final = functools.partial(_BUILDER.live, param="request_id")
ROUTES.show(_ONE, _request, render, "Time request retrieved successfully")


@ROUTES.post(_ONE + "/approve")
def approve_time_request(call: Call) -> web.Response:
    """POST /time-requests/{id}/approve: a pending request is approved; its period becomes a
    "Manually added time" entry of the timeline."""
    row = _request(call)
    refusal = "Only pending time requests can be approved."
    change_status(call, row, _PENDING, "approved", refusal, updated_by=CALLER_USER_ID)
    data = row.data
    entry = pick(data, ("user_id", "contract_id", "project_id", "task_id"))
    entry.update(
        activity_description=data["activity_description"] or data["notes"],
        method=MANUAL_TIME,
        start_time=data["start"],
        end_time=data["end"],
    )
    insert_time_entry(call.state, call.workspace_id, entry)
    return call.ok(render(call.state, row), "Time request approved successfully")


@ROUTES.post(_ONE + "/reject", fields={"comment": REASON})
def reject_time_request(call: Call) -> web.Response:
    """POST /time-requests/{id}/reject: a pending request is rejected with a ``comment``."""
    row = _request(call)
    refusal = "Only pending time requests can be rejected."
    comment = call.values["comment"]
    change_status(
        call, row, _PENDING, "rejected", refusal, comment=comment, updated_by=CALLER_USER_ID
    )
    return call.ok(render(call.state, row), "Time request rejected successfully")


def add_routes(app: web.Application) -> None:
    """Register this group's routes on ``app``."""
    ROUTES.add_to(app)
