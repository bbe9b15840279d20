"""Leaves API group of the fake server (reference-time §5): leave requests, policies, balances.

Routes: ``GET/POST /leaves`` and ``GET /leaves/balances``. Leave ids are opaque UUIDs; leave
policies (integer ids) have a name, a yearly allowance in days, and are paid or not, day- or
hour-based. A request names a live member, a policy of the workspace and a range of days; it
is made ``pending``, and decided once by :func:`decide` (``FakeWebWork.decide_leave``: the API
documents no route for it). A leave lasts its calendar days, half of each for a half-day
``leave_period`` and ``hours_per_day`` out of an 8-hour day under an hour-based policy. A
member's balance of a policy is its allowance less the approved days of that policy within the
asked range.

Also holds :func:`insert_policy` and :func:`insert_leave`, the lenient builders behind
``FakeWebWork.add_leave_policy`` and ``FakeWebWork.add_leave``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from aiohttp import web

from ._endpoint import Call, Routes
from ._fields import (
    AFTER_START_TIME,
    DATE_RANGE,
    POSITIVE_ID,
    QUERY_ID,
    Spec,
    add_error,
    calendar_date,
    chain,
    integer,
    number,
    one_of,
    parse_date,
    text,
    time_of_day,
)
from ._rows import (
    Builder,
    field_of,
    fresh,
    full_name,
    live,
    matching,
    new_uuid,
    pick,
    picker,
    selected,
)
from ._state import CALLER_USER_ID, FakeState, Row

#: Every field of the Leave object, in the order the API shows them.
LEAVE_FIELDS: Final = (
    "id",
    "status",
    "user_id",
    "policy_id",
    "note",
    "is_paid",
    "created_by",
    "approved_by",
    "rejected_by",
    "reject_reason",
    "start_date",
    "end_date",
    "created_on",
    "total",
)
LEAVE_STATUSES: Final = ("pending", "approved", "rejected")
#: What a leave policy stores (and ``FakeWebWork.leave_policies`` shows).
POLICY_FIELDS: Final = ("id", "name", "days_per_year", "paid", "hour_based")
#: The hours of a working day, to weigh hour-based leave in days.
HOURS_PER_DAY: Final = 8
_HALF_DAYS: Final = frozenset({1, 2})
#: What a leave stores: its fields but the computed ones, and what its request said.
_STORED_FIELDS: Final = (
    *(name for name in LEAVE_FIELDS if name not in ("is_paid", "total")),
    "start_time",
    "end_time",
    "hours_per_day",
    "leave_period",
)
_FOR_HOURS: Final = ("start_time", "end_time", "hours_per_day")
_CREATE: Final = {
    "user_id": Spec(POSITIVE_ID, required=True),
    "policy_id": Spec(POSITIVE_ID, required=True),
    "start": Spec(calendar_date(), required=True),
    "end": Spec(calendar_date(), required=True, after="start"),
    "start_time": Spec(time_of_day(), nullable=True),
    "end_time": Spec(time_of_day(), nullable=True),
    "hours_per_day": Spec(number(low=0), nullable=True),
    "leave_period": Spec(chain(integer(), one_of((0, 1, 2))), nullable=True),
    "reason": Spec(text(1000), nullable=True, store="note"),
}
_FILTERS: Final = {
    "id": Spec(text(), nullable=True),
    "policy_id": Spec(QUERY_ID, nullable=True),
    "is_paid": Spec(one_of(("yes", "no")), nullable=True),
    "status": Spec(one_of(LEAVE_STATUSES), nullable=True),
    **DATE_RANGE,
    "user_id": Spec(QUERY_ID, nullable=True),
}
_BALANCES: Final = {
    "date_from": Spec(calendar_date(), required=True),
    "date_to": Spec(calendar_date(), required=True, after="date_from"),
    "user_id": Spec(QUERY_ID, nullable=True),
}


# --- storage -----------------------------------------------------------------------------------


def _policy_defaults(_workspace: Row, _now: str) -> dict[str, Any]:
    return {**dict.fromkeys(POLICY_FIELDS), "paid": True, "hour_based": False}


def _leave_defaults(_workspace: Row, now: str) -> dict[str, Any]:
    fixed = {"status": "pending", "created_by": CALLER_USER_ID, "created_on": now}
    return fresh(_STORED_FIELDS, now, {**fixed, "leave_period": 0})


_POLICIES: Final = Builder(
    "Leave policy",
    POLICY_FIELDS,
    _policy_defaults,
    lambda state: state.leave_policies,
    "leave_policy",
)
_LEAVES: Final = Builder(
    "Leave", _STORED_FIELDS, _leave_defaults, lambda state: state.leaves, "leave", new_uuid
)


def insert_policy(state: FakeState, workspace_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Store a leave policy of ``workspace_id`` from policy ``fields``; return it.

    ``fields``: ``name``, ``days_per_year``, ``paid`` (default true), ``hour_based`` (false),
    ``id`` (the next free one unless given). Raises ``KeyError`` for an unknown workspace,
    ``TypeError`` for another field and ``ValueError`` for a taken id.
    """
    return _POLICIES.insert(state, workspace_id, fields)


def insert_leave(state: FakeState, workspace_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Store a leave of ``workspace_id`` from stored Leave ``fields``; return it.

    ``start_date``/``end_date`` may be str or ``date``; ``status`` is "pending", ``created_by``
    the caller, ``created_on`` now and ``id`` a new UUID unless given. No API validation: the
    member and policy need not exist. Raises ``KeyError`` for an unknown workspace,
    ``TypeError`` for another field and ``ValueError`` for a taken id.
    """
    return _LEAVES.insert(state, workspace_id, fields)


#: What ``FakeWebWork.leave_policies`` shows of a stored policy.
render_policy: Final = picker(POLICY_FIELDS)


def _days_in(data: Mapping[str, Any], first: date | None, last: date | None) -> int:
    """How many calendar days of the leave fall within ``first``..``last`` (either open)."""
    start, end = parse_date(data["start_date"]), parse_date(data["end_date"])
    if start is None:
        return 0
    begin, finish = max(start, first or start), min(end or start, last or end or start)
    return max((finish - begin).days + 1, 0)


def _leave_days(
    state: FakeState, row: Row, first: date | None = None, last: date | None = None
) -> float:
    """The days the leave takes within ``first``..``last``: its calendar days there, halved
    for a half-day ``leave_period``, weighed by ``hours_per_day`` under an hour-based policy."""
    data = row.data
    days: float = _days_in(data, first, last)
    hour_based = field_of(state.leave_policies, row.workspace_id, data["policy_id"], "hour_based")
    if data["leave_period"] in _HALF_DAYS:
        days /= 2
    elif hour_based and data["hours_per_day"] is not None:
        days *= data["hours_per_day"] / HOURS_PER_DAY
    return round(days, 2)


def render(state: FakeState, row: Row) -> dict[str, Any]:
    """The Leave object of a stored row: ``is_paid`` from its policy, ``total`` its length."""
    paid = field_of(state.leave_policies, row.workspace_id, row.data["policy_id"], "paid")
    days = _leave_days(state, row)
    computed = {
        "is_paid": None if paid is None else ("yes" if paid else "no"),
        "total": {"days": days, "hours": round(days * HOURS_PER_DAY, 2)},
    }
    return pick({**row.data, **computed}, LEAVE_FIELDS)


def list_stored(state: FakeState, workspace_id: int) -> list[dict[str, Any]]:
    """Leave objects of ``workspace_id`` in creation order (new dicts; hold ``state.lock``)."""
    return _LEAVES.listed(state, workspace_id, render)


def list_policies(state: FakeState, workspace_id: int) -> list[dict[str, Any]]:
    """Leave policies of ``workspace_id`` by id (new dicts; hold ``state.lock``)."""
    return _POLICIES.listed(state, workspace_id, render_policy)


def decide(
    state: FakeState, workspace_id: int, leave_id: str, status: str, reason: str | None
) -> dict[str, Any]:
    """Approve or reject (``status``) a pending leave, as the caller; return its Leave object.

    ``reason`` is a rejection's ``reject_reason``. Raises ``KeyError`` for a leave that is not
    the workspace's and ``ValueError`` for another status, a reason given with an approval or
    a leave that is already decided.
    """
    if status not in ("approved", "rejected"):
        raise ValueError(f"a leave is approved or rejected, not {status!r}")
    if status == "approved" and reason is not None:
        raise ValueError("a reason goes with a rejection only")
    with state.lock:
        row = state.leaves.find(leave_id)
        if row is None or row.workspace_id != workspace_id:
            raise KeyError(f"no leave {leave_id!r} in workspace {workspace_id}")
        if row.data["status"] != "pending":
            raise ValueError(f"leave {leave_id!r} is already decided ({row.data['status']})")
        decider = "approved_by" if status == "approved" else "rejected_by"
        row.data.update({decider: CALLER_USER_ID}, status=status)
        if reason is not None:
            row.data["reject_reason"] = reason
        return render(state, row)


def _days_text(days: float) -> str:
    """Days as balances word them: "17 days", "12.5 days"."""
    return f"{int(days) if days == int(days) else days} days"


def _balance(state: FakeState, member: Row, first: date, last: date) -> dict[str, Any]:
    """The LeaveBalance object of a member over ``first``..``last``."""
    workspace_id, user_id = member.workspace_id, member.data["id"]
    approved = [
        row
        for row in state.leaves.in_workspace(workspace_id)
        if row.data["user_id"] == user_id and row.data["status"] == "approved"
    ]
    information = []
    for policy in state.leave_policies.in_workspace(workspace_id):
        taken = sum(
            _leave_days(state, row, first, last)
            for row in approved
            if row.data["policy_id"] == policy.data["id"]
        )
        left = round((policy.data["days_per_year"] or 0) - taken, 2)
        information.append({"leave_type": policy.data["name"], "balance": _days_text(left)})
    return {
        "user_id": user_id,
        "user_name": full_name(state, workspace_id, user_id),
        "leave_information": information,
        "total_balance": None,
    }


def on_leave(state: FakeState, workspace_id: int, user_id: int, day: str) -> bool:
    """Whether an approved leave of the member covers ``day`` (``YYYY-MM-DD``)."""
    return any(
        row.data["user_id"] == user_id
        and row.data["status"] == "approved"
        and _overlaps(row.data, day, day)
        for row in state.leaves.in_workspace(workspace_id)
    )


def _overlaps(item: Mapping[str, Any], first: str | None, last: str | None) -> bool:
    """Whether the leave ``item`` has a day in ``first``..``last`` (inclusive, either open)."""
    start, end = item["start_date"] or "", item["end_date"] or item["start_date"] or ""
    return (last is None or start <= last) and (first is None or end >= first)


# --- handlers ----------------------------------------------------------------------------------

ROUTES: Final = Routes("/leaves")


@ROUTES.get(fields=_FILTERS, paged=True)
def list_leaves(call: Call) -> web.Response:
    """GET /leaves: by creation; filters ``id``, ``policy_id``, ``is_paid``, ``status``,
    ``user_id`` and a leave with a day in ``date_from``..``date_to``."""
    values = dict(call.values)
    first, last = values.pop("date_from", None), values.pop("date_to", None)
    items = [
        item
        for item in matching(list_stored(call.state, call.workspace_id), **values)
        if _overlaps(item, first, last)
    ]
    return call.listing(items, "Leaves retrieved successfully")


@ROUTES.post(fields=_CREATE)
def create_leave(call: Call) -> web.Response:
    """POST /leaves: a pending leave of a member under a policy; 201 with ``data: null``.

    An hour-based policy needs ``start_time``, ``end_time`` and ``hours_per_day``.
    """
    state, values = call.state, call.values
    selected(call, "user_id", state.members.get((call.workspace_id, values["user_id"])))
    policy = selected(call, "policy_id", state.leave_policies.get(values["policy_id"]))
    if policy is not None and policy.data["hour_based"]:
        for name in _FOR_HOURS:
            if values.get(name) is None:
                add_error(call.errors, name, "The {field} field is required for hour-based leave.")
    start_time, end_time = values.get("start_time"), values.get("end_time")
    if start_time is not None and end_time is not None and end_time <= start_time:
        add_error(call.errors, "end_time", AFTER_START_TIME)
    call.errors.raise_if_any()
    fields = {name: value for name, value in values.items() if value is not None}
    fields["start_date"], fields["end_date"] = fields.pop("start"), fields.pop("end")
    insert_leave(state, call.workspace_id, fields)
    return call.ok(None, "Leave request created successfully", status=201)


@ROUTES.get("/balances", fields=_BALANCES, paged=True)
def list_balances(call: Call) -> web.Response:
    """GET /leaves/balances: each live member's (or ``user_id``'s) balance of every policy
    over ``date_from``..``date_to`` (both required), by user id."""
    state, values = call.state, call.values
    first, last = parse_date(values["date_from"]), parse_date(values["date_to"])
    assert first is not None
    assert last is not None
    members = live(state.members.in_workspace(call.workspace_id))
    user_id = values.get("user_id")
    if user_id is not None:
        member = selected(call, "user_id", state.members.get((call.workspace_id, user_id)))
        call.errors.raise_if_any()
        assert member is not None
        members = [member]
    items = [_balance(state, member, first, last) for member in members]
    return call.listing(items, "Leave balances retrieved successfully")


def add_routes(app: web.Application) -> None:
    """Register this group's routes on ``app``."""
    ROUTES.add_to(app)
