"""Timesheets API group of the fake server (reference-time §3).

Routes: ``GET /timesheets`` and ``PUT /timesheets/{timesheetId}/approve``, ``/reject``,
``/submit`` and ``/unsubmit``. Timesheet ids are opaque UUIDs. A timesheet is a member's pay
period; it moves only open -> submitted (submit), rejected -> submitted (submit again),
submitted -> approved (approve), submitted -> rejected (reject, with a ``reject_reason``) and
submitted -> open (unsubmit); any other move is 422 on ``status``. "pending", OLD's name for
open, is taken as open. The totals are read from the member's time entries of the period each
time a timesheet is shown; ``total_amount`` is null (the fake keeps no money).

Also holds :func:`insert_timesheet`, the lenient builder behind ``FakeWebWork.add_timesheet``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Final

from aiohttp import web

from ._endpoint import Call, Routes
from ._fields import DATE_RANGE, QUERY_ID, REASON, Spec, one_of, text
from ._rows import (
    change_status,
    daily_minutes,
    full_name,
    matching,
    pick,
    shown,
    time_entries,
    uuid_builder,
)
from ._state import FakeState, Row

#: Every field of the Timesheet object, in the order the fake shows them.
TIMESHEET_FIELDS: Final = (
    "id",
    "user_id",
    "member",
    "date_from",
    "date_to",
    "total_hours",
    "total_minutes",
    "submitted_on",
    "reject_reason",
    "status",
    "total_amount",
    "daily_breakdown",
)
#: Timesheet statuses: NEW's four and OLD's "pending" (= open).
TIMESHEET_STATUSES: Final = ("open", "submitted", "rejected", "approved", "pending")
_OPEN: Final = frozenset({"open", "pending"})
_SUBMITTED: Final = frozenset({"submitted"})
#: What a timesheet stores: the fields that are not computed, and when it was made.
_STORED_FIELDS: Final = (
    "id",
    "user_id",
    "date_from",
    "date_to",
    "submitted_on",
    "reject_reason",
    "status",
    "created_at",
    "updated_at",
)
_FILTERS: Final = {
    "id": Spec(text(), nullable=True),
    "status": Spec(one_of(TIMESHEET_STATUSES), nullable=True),
    **DATE_RANGE,
    "user_id": Spec(QUERY_ID, nullable=True),
    "order_by": Spec(one_of(("asc", "desc")), nullable=True),
}


# --- storage -----------------------------------------------------------------------------------


_BUILDER: Final = uuid_builder(
    "Timesheet", _STORED_FIELDS, {"status": "open"}, lambda state: state.timesheets
)


def insert_timesheet(
    state: FakeState, workspace_id: int, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Store a timesheet of ``workspace_id`` from stored Timesheet ``fields``; return it.

    ``fields``: ``user_id``, ``date_from``/``date_to`` (str or ``date``), ``status``,
    ``submitted_on``, ``reject_reason``, ``created_at``, ``id`` (a new UUID unless given). No
    API validation: the member need not exist. Raises ``KeyError`` for an unknown workspace,
    ``TypeError`` for another field and ``ValueError`` for a taken id.
    """
    return _BUILDER.insert(state, workspace_id, fields)


def store_built_timesheets(
    state: FakeState, workspace_id: int, built: Iterable[dict[str, Any]]
) -> None:
    """Store ``built`` timesheets of ``workspace_id``: the seeder's fast path
    (:meth:`~._rows.Builder.store_built`). Each dict holds every stored field (the Timesheet
    fields that are not computed, ``created_at`` and ``updated_at``), a UUID ``id`` not taken."""
    _BUILDER.store_built(state, workspace_id, built)


def _breakdown(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The minutes of ``entries`` by date, then by (project, contract), in date order."""
    names = ("project_id", "project_name", "contract_id")
    return daily_minutes(entries, names, total_amount=None)


def render(state: FakeState, row: Row) -> dict[str, Any]:
    """The Timesheet object of a stored row, its totals from the member's time entries."""
    data = row.data
    user_id = data["user_id"]
    entries = time_entries(state, row.workspace_id, user_id, data["date_from"], data["date_to"])
    minutes = sum(entry["duration_minutes"] or 0 for entry in entries)
    computed = {
        "member": full_name(state, row.workspace_id, user_id),
        "total_hours": round(minutes / 60, 2),
        "total_minutes": minutes,
        "total_amount": None,
        "daily_breakdown": _breakdown(entries),
    }
    return pick({**data, **computed}, TIMESHEET_FIELDS)


def list_stored(state: FakeState, workspace_id: int) -> list[dict[str, Any]]:
    """Timesheet objects of ``workspace_id`` in creation order (new dicts; hold ``state.lock``)."""
    return _BUILDER.listed(state, workspace_id, render)


def _within(row: Row, first: str | None, last: str | None) -> bool:
    """Whether the period of ``row`` lies in ``first``..``last`` (inclusive, either open)."""
    start, end = row.data["date_from"] or "", row.data["date_to"] or ""
    return (first is None or start >= first) and (last is None or end <= last)


def _move(call: Call, allowed: Collection[str], status: str, refusal: str, **changes: Any) -> None:
    """Move the path's timesheet to ``status`` if it is in an ``allowed`` one (else 422)."""
    change_status(call, _BUILDER.live(call, "timesheet_id"), allowed, status, refusal, **changes)


# --- handlers ----------------------------------------------------------------------------------

ROUTES: Final = Routes("/timesheets")


@ROUTES.get(fields=_FILTERS, paged=True)
def list_timesheets(call: Call) -> web.Response:
    """GET /timesheets: by creation (``order_by`` desc: newest first); filters ``id``,
    ``status`` (pending = open), ``user_id`` and a period within ``date_from``..``date_to``."""
    values = call.values
    status = values.get("status")
    wanted = _OPEN if status in _OPEN else {status}
    rows = [
        row
        for row in call.state.timesheets.in_workspace(call.workspace_id)
        if (status is None or row.data["status"] in wanted)
        and _within(row, values.get("date_from"), values.get("date_to"))
    ]
    rows.sort(
        key=lambda row: row.data["created_at"] or "", reverse=values.get("order_by") == "desc"
    )
    items = matching(
        shown(call.state, rows, render), id=values.get("id"), user_id=values.get("user_id")
    )
    return call.listing(items, "Timesheets retrieved successfully")


@ROUTES.put("/{timesheet_id}/approve")
def approve_timesheet(call: Call) -> web.Response:
    """PUT /timesheets/{timesheetId}/approve: a submitted timesheet becomes approved."""
    _move(call, _SUBMITTED, "approved", "Only submitted timesheets can be approved.")
    return call.ok(None, "Timesheet approved successfully")


@ROUTES.put("/{timesheet_id}/reject", fields={"reason": REASON})
def reject_timesheet(call: Call) -> web.Response:
    """PUT /timesheets/{timesheetId}/reject: a submitted timesheet is rejected for ``reason``."""
    refusal = "Only submitted timesheets can be rejected."
    _move(call, _SUBMITTED, "rejected", refusal, reject_reason=call.values["reason"])
    return call.ok(None, "Timesheet rejected successfully")


@ROUTES.put("/{timesheet_id}/submit")
def submit_timesheet(call: Call) -> web.Response:
    """PUT /timesheets/{timesheetId}/submit: an open or rejected timesheet is submitted now."""
    refusal = "Only open or rejected timesheets can be submitted."
    _move(call, {*_OPEN, "rejected"}, "submitted", refusal, submitted_on=call.now())
    return call.ok(None, "Timesheet submitted successfully")


@ROUTES.put("/{timesheet_id}/unsubmit")
def unsubmit_timesheet(call: Call) -> web.Response:
    """PUT /timesheets/{timesheetId}/unsubmit: a submitted timesheet is open (editable) again."""
    refusal = "Only submitted timesheets can be unsubmitted."
    _move(call, _SUBMITTED, "open", refusal, submitted_on=None)
    return call.ok(None, "Timesheet unsubmitted successfully")


def add_routes(app: web.Application) -> None:
    """Register this group's routes on ``app``."""
    ROUTES.add_to(app)
