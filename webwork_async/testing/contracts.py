"""Contracts API group of the fake server (reference §3.4, §4.4).

Routes: ``GET/POST /contracts`` and ``GET/PUT/DELETE /contracts/{contractId}``. A contract ties a
live member to a live project of the workspace, at most one live contract (active or paused) per
pair; the project's ``contracts_count`` counts its live contracts. DELETE soft-deletes. The
project and member fields of a Contract are read from the project and member when it is shown,
so renames show; ``rate`` is null on a project that is not billable.

Also holds :func:`insert_contract`, the lenient builder behind ``FakeWebWork.add_contract``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from aiohttp import web

from ._endpoint import Call, Routes
from ._fields import (
    POSITIVE_ID,
    QUERY_ID,
    SELECTED_INVALID,
    WEEKLY_HOURS,
    Spec,
    add_error,
    number,
    one_of,
)
from ._http import ApiError, live_row
from ._rows import Builder, end_contracts, fresh, live, matching, pick, recount_contracts, shown
from ._state import FakeState, Row
from .members import live_member
from .projects import live_project

CONTRACT_KIND: Final = "contract"
#: Every field of the Contract object, in the order the API shows them.
CONTRACT_FIELDS: Final = (
    "id",
    "project_id",
    "project_name",
    "project_icon",
    "user_id",
    "user_firstname",
    "user_lastname",
    "user_email",
    "user_role",
    "weekly_hours_limit",
    "screenshots",
    "screenshots_label",
    "rate",
    "rate_type",
    "status",
    "currency",
    "contract_name",
    "created_at",
    "updated_at",
)
#: Fields read from the contract's project and member (or derived) when it is shown.
_SHOWN_FIELDS: Final = frozenset(
    {
        "project_name",
        "project_icon",
        "user_firstname",
        "user_lastname",
        "user_email",
        "user_role",
        "screenshots_label",
    }
)
#: What a contract stores: the rest, and ``deleted_at`` once deleted.
_STORED_FIELDS: Final = (
    *(name for name in CONTRACT_FIELDS if name not in _SHOWN_FIELDS),
    "deleted_at",
)
#: The screenshot modes (reference §2.8) and the labels the fake shows for them.
SCREENSHOT_LABELS: Final = {
    "full": "Screenshot on",
    "blurred": "Blurred screenshots",
    "no_preview": "Screenshots without preview",
    "no_screenshot": "Screenshot off",
    "background_blurred": "Background blurred",
    "video_full": "Video on",
    "video_blurred": "Blurred video",
    "video_full_silent": "Silent video on",
    "video_blurred_silent": "Silent blurred video",
}
CONTRACT_STATUSES: Final = ("active", "paused")
#: ``rate_type`` values: the contract's own rate, the member's, the project's.
CUSTOM_RATE, MEMBER_RATE, PROJECT_RATE = 1, 2, 3
#: What a new contract holds besides nulls and timestamps (as after POST /contracts).
_DEFAULTS: Final = {
    "weekly_hours_limit": 168, "screenshots": "full", "rate_type": PROJECT_RATE, "status": "active",
    "currency": "USD",
}  # fmt: skip
_TERMS: Final = {
    "weekly_hours_limit": Spec(WEEKLY_HOURS),
    "screenshots": Spec(one_of(SCREENSHOT_LABELS)),
    "rate": Spec(number(low=0)),
}
_CREATE: Final = {
    "project_id": Spec(POSITIVE_ID, required=True),
    "user_id": Spec(POSITIVE_ID, required=True),
    **_TERMS,
}
_UPDATE: Final = {**_TERMS, "status": Spec(one_of(CONTRACT_STATUSES))}
_FILTERS: Final = {
    "project_id": Spec(QUERY_ID, nullable=True),
    "user_id": Spec(QUERY_ID, nullable=True),
    "status": Spec(one_of(CONTRACT_STATUSES), nullable=True),
}


# --- storage -----------------------------------------------------------------------------------


def _defaults(_workspace: Row, now: str) -> dict[str, Any]:
    return fresh(_STORED_FIELDS, now, _DEFAULTS)


_BUILDER: Final = Builder(
    "Contract", _STORED_FIELDS, _defaults, lambda state: state.contracts, CONTRACT_KIND
)


def insert_contract(
    state: FakeState, workspace_id: int, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Store a contract of ``workspace_id`` from ``fields``; return the stored dict.

    ``fields`` are the stored Contract fields (``project_id``, ``user_id``, ``rate``,
    ``status``..., ``deleted_at`` for a deleted one; not the project's or member's fields,
    which are read from them). No API validation: the project and member need not exist. The
    project's ``contracts_count`` is recounted. Raises ``KeyError`` for an unknown workspace,
    ``TypeError`` for another field and ``ValueError`` for a taken id.
    """
    with state.lock:
        data = _BUILDER.insert(state, workspace_id, fields)
        recount_contracts(state, workspace_id, [data["project_id"]])
        return data


def render(state: FakeState, row: Row) -> dict[str, Any]:
    """The Contract object of a stored row, with its project's and member's current fields."""
    data = row.data
    project = state.projects.get(data["project_id"])
    project_data = project.data if project and project.workspace_id == row.workspace_id else {}
    member = state.members.get((row.workspace_id, data["user_id"]))
    member_data = member.data if member is not None else {}
    shown = {
        **data,
        "project_name": project_data.get("name"),
        "project_icon": project_data.get("icon"),
        "user_firstname": member_data.get("firstname"),
        "user_lastname": member_data.get("lastname"),
        "user_email": member_data.get("email"),
        "user_role": member_data.get("current_role"),
        "screenshots_label": SCREENSHOT_LABELS.get(data["screenshots"]),
    }
    if project_data.get("is_billable") is False:
        shown["rate"] = None
    if shown["contract_name"] is None:
        shown["contract_name"] = project_data.get("name")
    return pick(shown, CONTRACT_FIELDS)


def list_stored(
    state: FakeState, workspace_id: int, *, include_deleted: bool = False
) -> list[dict[str, Any]]:
    """Contract objects of ``workspace_id`` ordered by id (new dicts; hold ``state.lock``)."""
    return shown(state, state.contracts.in_workspace(workspace_id), render, include_deleted)


def live_contract(state: FakeState, workspace_id: int, contract_id: int) -> Row:
    """The live contract of the workspace, else the 404 "Contract not found"."""
    return live_row(state.contracts.get(contract_id), workspace_id, "Contract", contract_id)


def has_contract(state: FakeState, workspace_id: int, project_id: int, user_id: int) -> bool:
    """Whether ``user_id`` has a live contract on ``project_id``."""
    return any(
        row.data["project_id"] == project_id and row.data["user_id"] == user_id
        for row in live(state.contracts.in_workspace(workspace_id))
    )


def _contract(call: Call) -> Row:
    return live_contract(call.state, call.workspace_id, call.ids["contract_id"])


def _existing(call: Call, field: str, find: Callable[[FakeState, int, int], Row]) -> Row | None:
    """The row ``find(state, workspace_id, id)`` gives for ``field``, or that field's 422."""
    try:
        found = find(call.state, call.workspace_id, call.values[field])
    except ApiError:
        add_error(call.errors, field, SELECTED_INVALID)
        return None
    return found


# --- handlers ----------------------------------------------------------------------------------

ROUTES: Final = Routes("/contracts")

_CONTRACT_ID: Final = {"contract_id": "Contract"}


@ROUTES.get(fields=_FILTERS, paged=True)
def list_contracts(call: Call) -> web.Response:
    """GET /contracts: live contracts by id; filters ``project_id``, ``user_id``, ``status``."""
    items = matching(list_stored(call.state, call.workspace_id), **call.values)
    return call.listing(items, "Contracts retrieved successfully")


@ROUTES.post(fields=_CREATE)
def create_contract(call: Call) -> web.Response:
    """POST /contracts: a live project and member of the workspace, not under contract; 201.

    Without ``rate`` the member's rate applies (``rate_type`` 2), else the project's (3).
    """
    project = _existing(call, "project_id", live_project)
    member = _existing(call, "user_id", live_member)
    call.errors.raise_if_any()
    assert project is not None
    assert member is not None
    fields = dict(call.values)
    if has_contract(call.state, call.workspace_id, fields["project_id"], fields["user_id"]):
        call.reject("user_id", "The member already has a contract on this project.")
    if "rate" in fields:
        fields["rate_type"] = CUSTOM_RATE
    elif member.data["rate"] is not None:
        fields.update(rate=member.data["rate"], rate_type=MEMBER_RATE)
    else:
        fields.update(rate=project.data["rate"], rate_type=PROJECT_RATE)
    stored = insert_contract(call.state, call.workspace_id, fields)
    row = live_contract(call.state, call.workspace_id, stored["id"])
    return call.ok(render(call.state, row), "Contract created successfully", status=201)


ROUTES.show(
    "/{contract_id}", _contract, render, "Contract retrieved successfully", ids=_CONTRACT_ID
)


@ROUTES.put("/{contract_id}", fields=_UPDATE, partial=True, ids=_CONTRACT_ID)
def update_contract(call: Call) -> web.Response:
    """PUT /contracts/{contractId}: change the terms present; a ``rate`` is a custom rate.

    Answers with the message the reference documents for it (sic).
    """
    row = _contract(call)
    row.data.update(call.values, updated_at=call.now())
    if "rate" in call.values:
        row.data["rate_type"] = CUSTOM_RATE
    return call.ok(render(call.state, row), "Contract retrieved successfully")


@ROUTES.delete("/{contract_id}", ids=_CONTRACT_ID)
def delete_contract(call: Call) -> web.Response:
    """DELETE /contracts/{contractId} with body ``workspace_id``: soft-delete the contract."""
    row = _contract(call)
    end_contracts(call.state, call.workspace_id, call.now(), id=row.data["id"])
    return call.ok(None, "Contract deleted successfully")


def add_routes(app: web.Application) -> None:
    """Register this group's routes on ``app``."""
    ROUTES.add_to(app)
