"""Workspaces API group of the fake server: ``GET /workspaces`` (reference §3.1, §4.1).

Also holds :func:`create_workspace`, the one place that builds a stored workspace, used by
``FakeWebWork.add_workspace`` and by the seeder.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from aiohttp import web

from ._http import API_PREFIX, STATE_KEY, FieldErrors, page_params, paginated, query_params
from ._state import (
    CALLER_USER_ID,
    ROLES,
    WORKSPACE_STATUSES,
    FakeState,
    Row,
    format_sql_datetime,
    format_timestamp,
)
from ._tokens import CALLER_KEY
from .members import add_caller

WORKSPACE_KIND: Final = "workspace"
#: Owner ids given to workspaces the caller does not own: distinct from the caller's id.
_FOREIGN_OWNER_BASE: Final = 10_000


def create_workspace(
    state: FakeState,
    workspace_id: int | None = None,
    *,
    name: str | None = None,
    role: str = "Owner",
    owner_id: int | None = None,
    status: str = "active",
    created_at: datetime | None = None,
) -> int:
    """Store a workspace the caller belongs to (with ``role``) and return its id.

    The caller (user ``CALLER_USER_ID``) becomes its first member, with that role and status.
    ``owner_id`` defaults to the caller's user id when ``role`` is "Owner", else to another user.
    Raises ``ValueError`` for a taken or non-positive id or an unknown role/status.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if status not in WORKSPACE_STATUSES:
        raise ValueError(f"unknown status {status!r}; expected one of {WORKSPACE_STATUSES}")
    with state.lock:
        if workspace_id is None:
            workspace_id = state.next_id(WORKSPACE_KIND)
            while workspace_id in state.workspaces:
                workspace_id = state.next_id(WORKSPACE_KIND)
        elif isinstance(workspace_id, bool) or workspace_id < 1:
            raise ValueError(f"workspace_id must be a positive integer, not {workspace_id!r}")
        elif workspace_id in state.workspaces:
            raise ValueError(f"workspace {workspace_id} already exists")
        state.claim_id(WORKSPACE_KIND, workspace_id)
        if owner_id is None:
            owner_id = CALLER_USER_ID if role == "Owner" else _FOREIGN_OWNER_BASE + workspace_id
        moment = created_at if created_at is not None else state.now()
        workspace = state.workspaces[workspace_id] = Row(
            workspace_id=workspace_id,
            data={
                "id": workspace_id,
                "owner_id": owner_id,
                "user_id": CALLER_USER_ID,
                "workspace_name": name if name is not None else f"Workspace {workspace_id}",
                "role": role,
                "status": status,
                "created_at": format_timestamp(moment),
                "activated_at": format_sql_datetime(moment),
            },
        )
        add_caller(state, workspace)
        return workspace_id


async def list_workspaces(request: web.Request) -> web.Response:
    """GET /workspaces: every workspace of the caller's token, paginated, ordered by id."""
    state = request.app[STATE_KEY]
    visible = request[CALLER_KEY].workspaces
    errors = FieldErrors()
    page = page_params(query_params(request), errors)
    errors.raise_if_any()
    with state.lock:
        keys = state.workspaces.keys() if visible is None else visible & state.workspaces.keys()
        items = [state.workspaces[key].data for key in sorted(keys)]
        return paginated(request, items, page, "Workspaces retrieved successfully")


def add_routes(app: web.Application) -> None:
    """Register this group's routes on ``app``."""
    app.router.add_get(f"{API_PREFIX}/workspaces", list_workspaces)
