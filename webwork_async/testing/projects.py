"""Projects API group of the fake server (reference §3.3, §4.3; ``seed-projects.txt`` wins).

Routes: ``GET/POST /projects`` and ``GET/PUT/DELETE /projects/{projectId}``. DELETE archives: the
project keeps its row with ``deleted_at`` set and disappears from every route.

Also holds :func:`insert_project`, the lenient builder used by ``FakeWebWork.add_project`` (no API
validation, so tests can store any shape of data they need), and :func:`store_built_projects`, the
seeder's fast path for rows it builds JSON-ready itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Final

from aiohttp import web

from ._http import (
    API_PREFIX,
    STATE_KEY,
    ApiError,
    FieldErrors,
    is_number,
    json_body,
    json_copy,
    label,
    page_params,
    paginated,
    path_id,
    query_params,
    require_workspace,
    success,
    workspace_id_from_body,
    workspace_id_from_query,
)
from ._state import FakeState, Row, format_date, format_timestamp

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
_DATE_FIELDS: Final = ("start_date", "deadline")
_TIMESTAMP_FIELDS: Final = ("created_at", "updated_at", "deleted_at")
_DATE_SHAPE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NAME_MAX: Final = 255
_ICON_MAX: Final = 255
_NOTES_MAX: Final = 65_535


# --- storage -----------------------------------------------------------------------------------


def _defaults(state: FakeState, workspace: Row) -> dict[str, Any]:
    now = format_timestamp(state.now())
    return {
        "id": 0,
        "name": "",
        "owner_id": workspace.data["owner_id"],
        "start_date": None,
        "deadline": None,
        "estimation": None,
        "budget_estimation": None,
        "notes": None,
        "icon": None,
        "is_billable": True,
        "rate": 0,
        "weekly_hours_limit": 168,
        "screenshots": "blur",
        "tags": [],
        "contracts_count": 0,
        "status": 1,
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
    }


def _json_ready(field: str, value: Any) -> Any:
    if field in _DATE_FIELDS and isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        return format_date(day)
    if field in _TIMESTAMP_FIELDS and isinstance(value, datetime):
        return format_timestamp(value)
    return value


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
    unknown = sorted(set(fields) - set(PROJECT_FIELDS))
    if unknown:
        raise TypeError(f"not Project fields: {', '.join(unknown)}")
    with state.lock:
        workspace = state.workspaces.get(workspace_id)
        if workspace is None:
            raise KeyError(f"unknown workspace {workspace_id}")
        data = _defaults(state, workspace)
        for field, value in fields.items():
            data[field] = _json_ready(field, value)
        try:
            data = json_copy(data)  # detaches caller's lists/dicts; rejects non-JSON values
        except (TypeError, ValueError) as exc:
            raise TypeError(f"Project fields must be JSON-ready: {exc}") from None
        if "id" in fields:
            project_id = fields["id"]
            if isinstance(project_id, bool) or not isinstance(project_id, int) or project_id < 1:
                raise ValueError(f"project id must be a positive integer, not {project_id!r}")
            if project_id in state.projects:
                raise ValueError(f"project {project_id} already exists")
            state.claim_id(PROJECT_KIND, project_id)
        else:
            project_id = state.next_id(PROJECT_KIND)
            while project_id in state.projects:
                project_id = state.next_id(PROJECT_KIND)
        data["id"] = project_id
        state.projects.insert(project_id, Row(workspace_id=workspace_id, data=data))
        return data


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


def _visible_project(state: FakeState, workspace_id: int, project_id: int) -> Row:
    row = state.projects.get(project_id)
    if row is None or row.workspace_id != workspace_id or row.data.get("deleted_at") is not None:
        raise ApiError(
            404,
            "Project not found",
            error=f"No project with id {project_id} in workspace {workspace_id}",
        )
    return row


# --- input validation --------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    # Laravel's ConvertEmptyStringsToNull: "" arrives as null.
    return value is None or value == ""


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or _DATE_SHAPE.fullmatch(value) is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _validate_input(
    body: Mapping[str, Any], errors: FieldErrors, *, partial: bool
) -> dict[str, Any]:
    """Check the create/update fields present in ``body``; return changes by stored field name.

    ``partial`` (PUT) only looks at fields present; otherwise ``name`` is required. Request field
    ``budget`` is stored as ``budget_estimation``. A present ``null`` (or ``""``) clears a
    nullable field.
    """
    changes: dict[str, Any] = {}
    if "name" in body or not partial:
        name = body.get("name")
        if name is None or (isinstance(name, str) and not name.strip()):
            errors.add("name", "The name field is required.")
        elif not isinstance(name, str):
            errors.add("name", "The name field must be a string.")
        elif len(name) > _NAME_MAX:
            errors.add("name", f"The name field must not be greater than {_NAME_MAX} characters.")
        else:
            changes["name"] = name
    for field in _DATE_FIELDS:
        if field not in body:
            continue
        value = body[field]
        if _blank(value):
            changes[field] = None
        elif _parse_date(value) is None:
            errors.add(field, f"The {label(field)} field must be a valid date in Y-m-d format.")
        else:
            changes[field] = value
    for field, stored in (("estimation", "estimation"), ("budget", "budget_estimation")):
        if field not in body:
            continue
        value = body[field]
        if _blank(value):
            changes[stored] = None
        elif not is_number(value):
            errors.add(field, f"The {label(field)} field must be a number.")
        elif value < 0:
            errors.add(field, f"The {label(field)} field must be at least 0.")
        else:
            changes[stored] = value
    for field, limit in (("notes", _NOTES_MAX), ("icon", _ICON_MAX)):
        if field not in body:
            continue
        value = body[field]
        if _blank(value):
            changes[field] = None
        elif not isinstance(value, str):
            errors.add(field, f"The {label(field)} field must be a string.")
        elif len(value) > limit:
            errors.add(
                field, f"The {label(field)} field must not be greater than {limit} characters."
            )
        else:
            changes[field] = value
    return changes


def _check_dates(start: Any, deadline: Any, errors: FieldErrors) -> None:
    start_day, deadline_day = _parse_date(start), _parse_date(deadline)
    if start_day is not None and deadline_day is not None and deadline_day < start_day:
        errors.add("deadline", "The deadline field must be a date after or equal to start date.")


# --- handlers ----------------------------------------------------------------------------------


async def list_projects(request: web.Request) -> web.Response:
    """GET /projects: live projects of a workspace by id, optional ``name`` substring filter."""
    state = request.app[STATE_KEY]
    query = query_params(request)
    errors = FieldErrors()
    workspace_id = workspace_id_from_query(query, errors)
    page = page_params(query, errors)
    errors.raise_if_any()
    needle = query.get("name", "").strip().casefold()
    with state.lock:
        workspace = require_workspace(state, workspace_id)
        items = list_stored(state, workspace.workspace_id)
        if needle:
            items = [item for item in items if needle in str(item.get("name", "")).casefold()]
        return paginated(request, items, page, "Projects retrieved successfully")


async def create_project(request: web.Request) -> web.Response:
    """POST /projects: validate the body (``workspace_id`` in it, variant B), answer 201."""
    state = request.app[STATE_KEY]
    body = await json_body(request)
    errors = FieldErrors()
    workspace_id = workspace_id_from_body(body, errors)
    changes = _validate_input(body, errors, partial=False)
    if "start_date" not in errors and "deadline" not in errors:
        _check_dates(changes.get("start_date"), changes.get("deadline"), errors)
    errors.raise_if_any()
    with state.lock:
        workspace = require_workspace(state, workspace_id)
        project = insert_project(state, workspace.workspace_id, changes)
        return success(request, project, "Project created successfully", status=201)


async def get_project(request: web.Request) -> web.Response:
    """GET /projects/{projectId}?workspace_id=: one live project of the workspace."""
    state = request.app[STATE_KEY]
    project_id = _project_id(request)
    errors = FieldErrors()
    workspace_id = workspace_id_from_query(query_params(request), errors)
    errors.raise_if_any()
    with state.lock:
        workspace = require_workspace(state, workspace_id)
        row = _visible_project(state, workspace.workspace_id, project_id)
        return success(request, row.data, "Project retrieved successfully")


async def update_project(request: web.Request) -> web.Response:
    """PUT /projects/{projectId}: change only the fields present; refresh ``updated_at``."""
    state = request.app[STATE_KEY]
    project_id = _project_id(request)
    body = await json_body(request)
    errors = FieldErrors()
    workspace_id = workspace_id_from_body(body, errors)
    changes = _validate_input(body, errors, partial=True)
    errors.raise_if_any()
    with state.lock:
        workspace = require_workspace(state, workspace_id)
        row = _visible_project(state, workspace.workspace_id, project_id)
        if "start_date" in changes or "deadline" in changes:
            merged = {**row.data, **changes}
            _check_dates(merged["start_date"], merged["deadline"], errors)
            errors.raise_if_any()
        row.data.update(changes)
        row.data["updated_at"] = format_timestamp(state.now())
        return success(request, row.data, "Project updated successfully")


async def delete_project(request: web.Request) -> web.Response:
    """DELETE /projects/{projectId} with body ``{"workspace_id": ...}``: archive the project."""
    state = request.app[STATE_KEY]
    project_id = _project_id(request)
    body = await json_body(request)
    errors = FieldErrors()
    workspace_id = workspace_id_from_body(body, errors)
    errors.raise_if_any()
    with state.lock:
        workspace = require_workspace(state, workspace_id)
        row = _visible_project(state, workspace.workspace_id, project_id)
        now = format_timestamp(state.now())
        row.data["deleted_at"] = now
        row.data["updated_at"] = now
        return success(request, None, "Project deleted successfully")


def _project_id(request: web.Request) -> int:
    project_id = path_id(request, "project_id")
    if project_id is None:
        raise ApiError(
            404,
            "Project not found",
            error=f"{request.match_info.get('project_id')!r} is not a project id",
        )
    return project_id


def add_routes(app: web.Application) -> None:
    """Register this group's routes on ``app``."""
    base = f"{API_PREFIX}/projects"
    app.router.add_get(base, list_projects)
    app.router.add_post(base, create_project)
    app.router.add_get(base + "/{project_id}", get_project)
    app.router.add_put(base + "/{project_id}", update_project)
    app.router.add_delete(base + "/{project_id}", delete_project)
