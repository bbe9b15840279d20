"""Members API group of the fake server (reference §3.2, §4.2).

Routes: ``GET/POST /members`` and ``GET/PUT/DELETE /members/{memberId}``. A member is a user (by
user id) in one workspace: the same user may be a member of several workspaces, and the caller
(user ``CALLER_USER_ID``) is a member of every workspace, with the workspace's role. An invited
member is "inactive" until ``FakeWebWork.accept_invitation``. DELETE archives: the member keeps
its row (``deleted_at`` set) but disappears from every route, its contracts are soft-deleted and
it leaves every task's assignees. Invite, update and delete deliver ``member.invited``,
``member.updated`` and ``member.deleted`` or ``member.archived`` (see :func:`delete_member`) to
the webhooks that want them, and an accepted invitation ``member.activated``.

Also holds :func:`insert_member`, the lenient builder behind ``FakeWebWork.add_member``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web

from ._deliveries import announce
from ._endpoint import Call, Routes
from ._fields import (
    NAME_MAX,
    TAKEN,
    WEEKLY_HOURS,
    ZERO_OR_ONE,
    Spec,
    email_address,
    one_of,
    text,
)
from ._http import ApiError, live_row
from ._rows import Builder, end_contracts, live, pick, shown, soft_delete, unassign_everywhere
from ._state import (
    CALLER_EMAIL,
    CALLER_NAME,
    CALLER_USER_ID,
    ROLES,
    WORKSPACE_STATUSES,
    FakeState,
    Row,
    format_timestamp,
)

#: Every field of the Member object, in the order the API shows them.
MEMBER_FIELDS: Final = (
    "id",
    "email",
    "firstname",
    "lastname",
    "avatar",
    "current_role",
    "timezone",
    "status",
    "team_name",
    "title",
    "rate",
    "rate_status",
    "weekly_hours_limit",
    "created_at",
    "updated_at",
)
#: What the builder accepts: the Member fields and ``deleted_at`` (an archived member).
_STORED_FIELDS: Final = (*MEMBER_FIELDS, "deleted_at")
#: Roles that invite and update may give ("Owner" is not assignable).
ASSIGNABLE_ROLES: Final = (
    "Regular User",
    "Project manager",
    "Team manager",
    "Executive manager",
    "Project viewer",
)
INVITATION_URL: Final = "https://app.webwork-tracker.com/dashboard/accept-invitation/"
_NAME: Final = Spec(text(NAME_MAX), required=True)
#: A person as invite member and create project viewer take one.
PERSON: Final = {
    "email": Spec(email_address(), required=True),
    "firstname": _NAME,
    "lastname": _NAME,
}
#: The defaults of a person's stored fields, for the builders of members and viewers.
PERSON_DEFAULTS: Final = {"id": 0, "email": "", "firstname": "", "lastname": ""}
_INVITE: Final = {**PERSON, "role": Spec(one_of(ASSIGNABLE_ROLES), required=True)}
_UPDATE: Final = {
    **PERSON,
    "timezone": Spec(text(NAME_MAX), nullable=True),
    "role": Spec(one_of(ASSIGNABLE_ROLES), store="current_role"),
    "rate_status": Spec(ZERO_OR_ONE),
    "weekly_hours_limit": Spec(WEEKLY_HOURS),
    "remove_avatar": Spec(ZERO_OR_ONE),
}
_FILTERS: Final = {
    "email": Spec(text(), nullable=True),
    "status": Spec(one_of(WORKSPACE_STATUSES), nullable=True),
    "role": Spec(one_of(ROLES), nullable=True),
}


# --- storage -----------------------------------------------------------------------------------


def _defaults(_workspace: Row, now: str) -> dict[str, Any]:
    return {
        **dict.fromkeys(_STORED_FIELDS),  # the fields in order, null unless set here
        **PERSON_DEFAULTS,
        "current_role": "Regular User",
        "timezone": "UTC",
        "status": "active",
        "rate_status": 0,
        "weekly_hours_limit": 168,
        "created_at": now,
        "updated_at": now,
    }


def add_caller(state: FakeState, workspace: Row) -> None:
    """Store the caller's membership of a new ``workspace`` (its role, status and creation time).

    The fast path of ``create_workspace``, so that seeding thousands of workspaces stays quick.
    """
    data = _defaults(workspace, workspace.data["created_at"])
    firstname, lastname = CALLER_NAME
    data.update(
        id=CALLER_USER_ID,
        email=CALLER_EMAIL,
        firstname=firstname,
        lastname=lastname,
        current_role=workspace.data["role"],
        status=workspace.data["status"],
    )
    state.members.insert(
        (workspace.workspace_id, CALLER_USER_ID), Row(workspace.workspace_id, data)
    )


_BUILDER: Final = Builder("Member", _STORED_FIELDS, _defaults, lambda state: state.members)


def insert_member(state: FakeState, workspace_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Store a member of ``workspace_id`` from Member ``fields``; return the stored dict.

    ``email`` is required; the user id is ``id`` if given, else the one of the e-mail address
    (the same user in every workspace). Missing fields get the defaults of an accepted
    invitation ("Regular User", "active"). No API validation. Raises ``KeyError`` for an unknown
    workspace, ``TypeError`` for a field the Member object does not have (``deleted_at`` is
    accepted: an archived member) and ``ValueError`` when the user is already a member there.
    """
    return _BUILDER.insert(state, workspace_id, fields)


def list_stored(
    state: FakeState, workspace_id: int, *, include_archived: bool = False
) -> list[dict[str, Any]]:
    """Member objects of ``workspace_id`` ordered by user id (new dicts; hold ``state.lock``)."""
    return shown(state, state.members.in_workspace(workspace_id), render, include_archived)


def render(_state: FakeState, row: Row) -> dict[str, Any]:
    """The Member object of a stored row."""
    return pick(row.data, MEMBER_FIELDS)


def live_member(state: FakeState, workspace_id: int, user_id: int) -> Row:
    """The live member ``user_id`` of the workspace, else the 404 "Member not found"."""
    return live_row(state.members.get((workspace_id, user_id)), workspace_id, "Member", user_id)


def accept(state: FakeState, workspace_id: int, user_id: int) -> dict[str, Any]:
    """Make an invited member active (the invitation was accepted); return the Member object.

    Raises ``KeyError`` when ``user_id`` is no live member of the workspace.
    """
    with state.lock:
        try:
            row = live_member(state, workspace_id, user_id)
        except ApiError:
            raise KeyError(f"no member {user_id} in workspace {workspace_id}") from None
        row.data["status"] = "active"
        row.data["updated_at"] = format_timestamp(state.now())
        return render(state, row)


def _member(call: Call) -> Row:
    return live_member(call.state, call.workspace_id, call.ids["member_id"])


def _email_taken(call: Call, email: str, user_id: int | None = None) -> bool:
    """Whether another live member of the workspace has ``email`` (case-insensitive)."""
    wanted = email.casefold()
    return any(
        row.data["email"].casefold() == wanted and row.data["id"] != user_id
        for row in live(call.state.members.in_workspace(call.workspace_id))
    )


# --- handlers ----------------------------------------------------------------------------------

ROUTES: Final = Routes("/members")

_MEMBER_ID: Final = {"member_id": "Member"}


@ROUTES.get(fields=_FILTERS, paged=True)
def list_members(call: Call) -> web.Response:
    """GET /members: live members by user id; filters ``email`` (exact), ``status``, ``role``."""
    items = list_stored(call.state, call.workspace_id)
    email, status, role = (call.values.get(name) for name in ("email", "status", "role"))
    if email:
        items = [item for item in items if item["email"].casefold() == email.casefold()]
    if status:
        items = [item for item in items if item["status"] == status]
    if role:
        items = [item for item in items if item["current_role"] == role]
    return call.listing(items, "Members retrieved successfully")


@ROUTES.post(fields=_INVITE)
def invite_member(call: Call) -> web.Response:
    """POST /members: a new "inactive" member until the invitation is accepted; 201.

    An e-mail address that is a live member already is 422; an archived member invited again
    comes back (pending again, with the new names and role).
    """
    values = call.values
    if _email_taken(call, values["email"]):
        call.reject("email", TAKEN)
    state, workspace_id = call.state, call.workspace_id
    user_id = state.user_id(values["email"])
    previous = state.members.get((workspace_id, user_id))
    if previous is not None and previous.data["deleted_at"] is None:
        call.reject("email", TAKEN)  # the address was this member's before an e-mail change
    fields = {
        "email": values["email"],
        "firstname": values["firstname"],
        "lastname": values["lastname"],
        "current_role": values["role"],
        "status": "inactive",
        "deleted_at": None,
    }
    if previous is None:
        insert_member(state, workspace_id, {**fields, "id": user_id})
    else:
        previous.data.update(fields, updated_at=call.now())
    announce(call, "member.invited", render(state, live_member(state, workspace_id, user_id)))
    data = {"user_id": user_id, "invitation_link": INVITATION_URL + secrets.token_hex(16)}
    return call.ok(data, "Member invited successfully", status=201)


ROUTES.show("/{member_id}", _member, render, "Member retrieved successfully", ids=_MEMBER_ID)


@ROUTES.put("/{member_id}", fields=_UPDATE, partial=True, ids=_MEMBER_ID)
def update_member(call: Call) -> web.Response:
    """PUT /members/{memberId}: change the fields present; ``remove_avatar: 1`` clears it.

    The workspace owner's role cannot change (403); a new role of the caller is the caller's
    role in the workspace from then on (and may end its API access).
    """
    row = _member(call)
    changes = dict(call.values)
    if "email" in changes:
        if _email_taken(call, changes["email"], row.data["id"]):
            call.reject("email", TAKEN)
        call.state.users.setdefault(changes["email"].casefold(), row.data["id"])
    role = changes.get("current_role", row.data["current_role"])
    if role != row.data["current_role"] and row.data["id"] == call.workspace.data["owner_id"]:
        raise ApiError(403, "The workspace owner's role cannot be changed", error="Forbidden")
    if changes.pop("remove_avatar", 0) == 1:
        changes["avatar"] = None
    if row.data["id"] == CALLER_USER_ID:
        call.workspace.data["role"] = role
    row.data.update(changes, updated_at=call.now())
    announce(call, "member.updated", render(call.state, row))
    return call.ok(render(call.state, row), "Member updated successfully")


@ROUTES.delete("/{member_id}", ids=_MEMBER_ID)
def delete_member(call: Call) -> web.Response:
    """DELETE /members/{memberId} with body ``workspace_id``: archive the member.

    Its contracts are soft-deleted and it leaves every task; the workspace owner and the
    caller cannot be archived (403). Delivers ``member.deleted`` for an invitation never
    accepted (an "inactive" member), else ``member.archived`` (which of the two documented
    events a removal is, is **inferred**).
    """
    row = _member(call)
    user_id = row.data["id"]
    if user_id == call.workspace.data["owner_id"]:
        raise ApiError(403, "The workspace owner cannot be archived", error="Forbidden")
    if user_id == CALLER_USER_ID:
        raise ApiError(403, "You cannot archive yourself", error="Forbidden")
    pending = row.data["status"] == "inactive"
    now = call.now()
    soft_delete(row, now)
    end_contracts(call.state, call.workspace_id, now, user_id=user_id)
    unassign_everywhere(call.state, call.workspace_id, user_id)
    archived = {**render(call.state, row), "deleted_at": row.data["deleted_at"]}
    announce(call, "member.deleted" if pending else "member.archived", archived)
    return call.ok(None, "Member deleted successfully")


def add_routes(app: web.Application) -> None:
    """Register this group's routes on ``app``."""
    ROUTES.add_to(app)
