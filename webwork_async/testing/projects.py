"""Projects API group of the fake server (reference §3.3, §4.3; ``seed-projects.txt`` wins).

Routes: ``GET/POST /projects`` and ``GET/PUT/DELETE /projects/{projectId}``. DELETE archives: the
project keeps its row with ``deleted_at`` set and disappears from every route. Create, update and
delete deliver ``project.created``, ``project.updated`` and ``project.deleted`` (the project as
the route shows it, archived with ``deleted_at`` for the last) to the webhooks that want them.

Also holds :func:`insert_project`, the lenient builder used by ``FakeWebWork.add_project`` (no API
validation, so tests can store any shape of data they need), and :func:`store_built_projects`, the
seeder's fast path for rows it builds JSON-ready itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from aiohttp import web

from ._deliveries import announce
from ._endpoint import Call, Routes
from ._fields import NAME_MAX, TEXT_MAX, Spec, calendar_date, check_order, number, text
from ._http import live_row
from ._rows import Builder, end_contracts, fresh, soft_delete
from ._state import FakeState, Row

PROJECT_KIND: Final = "project"

#: Every field of the Project object, in the order the API shows them.
PROJECT_FIELDS: Final = (
    "id",
    "name",
    "owner_id",
    "start_date",
    "deadline",
    "estimation",
    "budget_estimation",
    "notes",
    "icon",
    "is_billable",
    "rate",
    "weekly_hours_limit",
    "screenshots",
    "tags",
    "contracts_count",
    "status",
    "created_at",
    "updated_at",
    "deleted_at",
)
#: What a new project holds besides nulls, timestamps and the owner (as after POST /projects).
_DEFAULTS: Final = {
    "name": "", "is_billable": True, "rate": 0, "weekly_hours_limit": 168, "screenshots": "blur",
    "tags": [], "contracts_count": 0, "status": 1,
}  # fmt: skip
#: The fields of create and update (PUT checks only those present). ``budget`` is stored as
#: ``budget_estimation``; a ``null`` (or ``""``) clears a nullable field.
_INPUT: Final = {
    "name": Spec(text(), required=True),
    "start_date": Spec(calendar_date(), nullable=True),
    "deadline": Spec(calendar_date(), nullable=True, after="start_date"),
    "estimation": Spec(number(low=0), nullable=True),
    "budget": Spec(number(low=0), nullable=True, store="budget_estimation"),
    "notes": Spec(text(TEXT_MAX), nullable=True),
    "icon": Spec(text(NAME_MAX), nullable=True),
}


# --- storage -----------------------------------------------------------------------------------


def _defaults(workspace: Row, now: str) -> dict[str, Any]:
    return {**fresh(PROJECT_FIELDS, now, _DEFAULTS), "owner_id": workspace.data["owner_id"]}


_BUILDER: Final = Builder(
    "Project", PROJECT_FIELDS, _defaults, lambda state: state.projects, PROJECT_KIND
)


def insert_project(
    state: FakeState, workspace_id: int, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Store a project in ``workspace_id`` from Project ``fields``; return the stored dict.

    Missing fields get the API's defaults (as after ``POST /projects``); ``id`` is allocated
    unless given. Dates may be ``date`` objects, timestamps ``datetime`` objects. No API
    validation is applied. The result is the live stored dict: copy it before handing it out of
    the lock. Raises ``KeyError`` for an unknown workspace, ``TypeError`` for a field the
    Project object does not have or a value that is not JSON-ready, and ``ValueError`` for a
    taken id.
    """
    return _BUILDER.insert(state, workspace_id, fields)


def store_built_projects(
    state: FakeState, workspace_id: int, built: Iterable[dict[str, Any]]
) -> None:
    """Store ``built`` projects, complete JSON-ready Project dicts, in ``workspace_id``.

    The seeder's fast path: each dict must have exactly the keys of :data:`PROJECT_FIELDS` in
    that order, hold only JSON-ready values (dates and timestamps already formatted) and share
    no list or dict with anything else, because it is stored as it is, neither checked nor
    copied (use :func:`insert_project` for any other data). Its ``id`` and ``owner_id`` are
    overwritten with a new id and the workspace's owner. Raises ``KeyError`` for an unknown
    workspace.
    """
    with state.lock:
        workspace = state.workspaces.get(workspace_id)
        if workspace is None:
            raise KeyError(f"unknown workspace {workspace_id}")
        owner_id = workspace.data["owner_id"]
        table = state.projects
        for data in built:
            project_id = state.next_id(PROJECT_KIND)
            while project_id in table:
                project_id = state.next_id(PROJECT_KIND)
            data["id"] = project_id
            data["owner_id"] = owner_id
            table.insert(project_id, Row(workspace_id, data))


def list_stored(
    state: FakeState, workspace_id: int, *, include_archived: bool = False
) -> list[dict[str, Any]]:
    """Projects of ``workspace_id`` ordered by id (live references; hold ``state.lock``)."""
    return [
        row.data
        for row in state.projects.in_workspace(workspace_id)
        if include_archived or row.data.get("deleted_at") is None
    ]


def live_project(state: FakeState, workspace_id: int, project_id: int) -> Row:
    """The project if it is live in the workspace, else the 404 "Project not found"."""
    return live_row(state.projects.get(project_id), workspace_id, "Project", project_id)


def render(_state: FakeState, row: Row) -> dict[str, Any]:
    """The Project object of a stored row: its data as stored."""
    return row.data


def _project(call: Call) -> Row:
    return live_project(call.state, call.workspace_id, call.ids["project_id"])


# --- handlers ----------------------------------------------------------------------------------

ROUTES: Final = Routes("/projects")

_PROJECT_ID: Final = {"project_id": "Project"}


@ROUTES.get(paged=True)
def list_projects(call: Call) -> web.Response:
    """GET /projects: live projects of a workspace by id, optional ``name`` substring filter."""
    items = list_stored(call.state, call.workspace_id)
    needle = str(call.params.get("name", "")).strip().casefold()
    if needle:
        items = [item for item in items if needle in str(item.get("name", "")).casefold()]
    return call.listing(items, "Projects retrieved successfully")


@ROUTES.post(fields=_INPUT)
def create_project(call: Call) -> web.Response:
    """POST /projects: validate the body (``workspace_id`` in it, variant B), answer 201."""
    project = insert_project(call.state, call.workspace_id, call.values)
    announce(call, "project.created", project)
    return call.ok(project, "Project created successfully", status=201)


ROUTES.show("/{project_id}", _project, render, "Project retrieved successfully", ids=_PROJECT_ID)


@ROUTES.put("/{project_id}", fields=_INPUT, partial=True, ids=_PROJECT_ID)
def update_project(call: Call) -> web.Response:
    """PUT /projects/{projectId}: change only the fields present; refresh ``updated_at``."""
    row = _project(call)
    check_order({**row.data, **call.values}, _INPUT, call.errors, call.values)
    call.errors.raise_if_any()
    row.data.update(call.values)
    row.data["updated_at"] = call.now()
    announce(call, "project.updated", row.data)
    return call.ok(row.data, "Project updated successfully")


@ROUTES.delete("/{project_id}", ids=_PROJECT_ID)
def delete_project(call: Call) -> web.Response:
    """DELETE /projects/{projectId} with body ``{"workspace_id": ...}``: archive the project.

    Its contracts are soft-deleted with it; its tasks answer 404 from then on.
    """
    row = _project(call)
    now = call.now()
    soft_delete(row, now)
    end_contracts(call.state, call.workspace_id, now, project_id=row.data["id"])
    announce(call, "project.deleted", row.data)
    return call.ok(None, "Project deleted successfully")


def add_routes(app: web.Application) -> None:
    """Register this group's routes on ``app``."""
    ROUTES.add_to(app)
