"""Expenses API group of the fake server (reference-time §6): expenses and their categories.

Routes: ``GET/POST /expenses`` and ``PUT /expenses/{expenseId}``. Expense and category ids are
opaque UUIDs; categories have a name only, and the API documents no route for them (they are
made with ``FakeWebWork.add_expense_category``). An expense stores ids and a date; it is shown
with names (its member's, project's and category's) and display dates ("Jan 15, 2024"). A new
expense is the caller's; its category must be one of the workspace, its project a live one.

Also holds :func:`insert_category` and :func:`insert_expense`, the lenient builders behind
``FakeWebWork.add_expense_category`` and ``FakeWebWork.add_expense``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web

from ._endpoint import Call, Routes
from ._fields import (
    DATE_RANGE,
    NAME_MAX,
    POSITIVE_ID,
    TEXT_MAX,
    Spec,
    boolean,
    calendar_date,
    number,
    parse_date,
    parse_timestamp,
    text,
)
from ._rows import field_of, full_name, matching, pick, picker, selected, uuid_builder, within
from ._state import CALLER_USER_ID, FakeState, Row, format_display_date

#: Every field of the Expense object, in the order the API shows them.
EXPENSE_FIELDS: Final = (
    "id",
    "expense_name",
    "amount",
    "type",
    "member",
    "project",
    "category",
    "note",
    "expense_date",
    "added_dte",
)
#: What an expense category stores (and ``FakeWebWork.expense_categories`` shows).
CATEGORY_FIELDS: Final = ("id", "name")
#: What an expense stores: ids rather than names, its day, whether it is billed, when made.
_STORED_FIELDS: Final = (
    "id",
    "expense_name",
    "amount",
    "is_billable",
    "user_id",
    "project_id",
    "category_id",
    "note",
    "date",
    "created_at",
)
_CREATE: Final = {
    "expense_name": Spec(text(NAME_MAX), required=True),
    "date": Spec(calendar_date(), required=True),
    "amount": Spec(number(low=0), required=True),
    "category_id": Spec(text(), required=True),
    "project_id": Spec(POSITIVE_ID, nullable=True),
    "note": Spec(text(TEXT_MAX), nullable=True),
    "is_billable": Spec(boolean()),
}
_FILTERS: Final = {"id": Spec(text(), nullable=True), **DATE_RANGE}


# --- storage -----------------------------------------------------------------------------------


_CATEGORIES: Final = uuid_builder(
    "Expense category", CATEGORY_FIELDS, {}, lambda state: state.expense_categories
)
_EXPENSES: Final = uuid_builder(
    "Expense",
    _STORED_FIELDS,
    {"is_billable": False, "user_id": CALLER_USER_ID},
    lambda state: state.expenses,
)


def insert_category(
    state: FakeState, workspace_id: int, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Store an expense category of ``workspace_id`` (``name``, ``id`` a new UUID unless
    given); return it. Raises ``KeyError`` for an unknown workspace, ``TypeError`` for another
    field and ``ValueError`` for a taken id."""
    return _CATEGORIES.insert(state, workspace_id, fields)


def insert_expense(
    state: FakeState, workspace_id: int, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Store an expense of ``workspace_id`` from stored expense ``fields``; return it.

    ``fields``: ``expense_name``, ``amount``, ``date`` (str or ``date``), ``category_id``,
    ``project_id``, ``note``, ``is_billable`` (default false), ``user_id`` (the member shown,
    default the caller), ``created_at``, ``id`` (a new UUID unless given). No API validation:
    the category, project and member need not exist. Raises ``KeyError`` for an unknown
    workspace, ``TypeError`` for another field and ``ValueError`` for a taken id.
    """
    return _EXPENSES.insert(state, workspace_id, fields)


#: What ``FakeWebWork.expense_categories`` shows of a stored category.
render_category: Final = picker(CATEGORY_FIELDS)


def render(state: FakeState, row: Row) -> dict[str, Any]:
    """The Expense object of a stored row: names for its ids, display dates."""
    data, workspace_id = row.data, row.workspace_id
    category = state.expense_categories.find(data["category_id"] or "")
    day, added = parse_date(data["date"]), parse_timestamp(data["created_at"])
    computed = {
        "type": "billable" if data["is_billable"] else "non-billable",
        "member": full_name(state, workspace_id, data["user_id"]),
        "project": field_of(state.projects, workspace_id, data["project_id"], "name"),
        "category": None if category is None else category.data["name"],
        "expense_date": None if day is None else format_display_date(day),
        "added_dte": None if added is None else format_display_date(added.date()),
    }
    return pick({**data, **computed}, EXPENSE_FIELDS)


def list_stored(state: FakeState, workspace_id: int) -> list[dict[str, Any]]:
    """Expense objects of ``workspace_id`` in creation order (new dicts; hold ``state.lock``)."""
    return _EXPENSES.listed(state, workspace_id, render)


def list_categories(state: FakeState, workspace_id: int) -> list[dict[str, Any]]:
    """Expense categories of ``workspace_id`` in creation order (new dicts; hold the lock)."""
    return _CATEGORIES.listed(state, workspace_id, render_category)


def _check_links(call: Call) -> None:
    """The call's ``category_id`` must be a category of the workspace and its ``project_id``
    a live project of it (when given): else their 422s, all at once."""
    state, values = call.state, call.values
    if "category_id" in values:
        selected(call, "category_id", state.expense_categories.find(values["category_id"]))
    if values.get("project_id") is not None:
        selected(call, "project_id", state.projects.get(values["project_id"]))
    call.errors.raise_if_any()


# --- handlers ----------------------------------------------------------------------------------

ROUTES: Final = Routes("/expenses")


@ROUTES.get(fields=_FILTERS, paged=True)
def list_expenses(call: Call) -> web.Response:
    """GET /expenses: by creation; filters ``id`` and the expense's date in
    ``date_from``..``date_to``."""
    values = call.values
    first, last = values.get("date_from"), values.get("date_to")
    rows = [
        row
        for row in call.state.expenses.in_workspace(call.workspace_id)
        if within(row.data["date"], first, last)
    ]
    items = matching([render(call.state, row) for row in rows], id=values.get("id"))
    return call.listing(items, "Expenses retrieved successfully")


@ROUTES.post(fields=_CREATE)
def create_expense(call: Call) -> web.Response:
    """POST /expenses: the caller's expense; 201 with the Expense."""
    _check_links(call)
    stored = insert_expense(call.state, call.workspace_id, call.values)
    created = render(call.state, Row(call.workspace_id, stored))
    return call.ok(created, "Expense created successfully", status=201)


@ROUTES.put("/{expense_id}", fields=_CREATE, partial=True)
def update_expense(call: Call) -> web.Response:
    """PUT /expenses/{expenseId}: change the fields present; 200 with the Expense."""
    row = _EXPENSES.live(call, "expense_id")
    _check_links(call)
    row.data.update(call.values)
    return call.ok(render(call.state, row), "Expense updated successfully")


def add_routes(app: web.Application) -> None:
    """Register this group's routes on ``app``."""
    ROUTES.add_to(app)
