"""Project Viewers API group of the fake server (reference §3.6, §4.6).

Routes: ``GET/POST /project-viewers``, ``GET/DELETE /project-viewers/{viewerId}`` and ``POST
/project-viewers/{viewerId}/restore``, ``POST .../assign-project``, ``DELETE
.../unassign-project``. A viewer ("client") is a user (by user id, like members) with read access
to the projects assigned to them; its ``projects`` list shows the live ones. DELETE archives
(status "inactive", gone from every route but restore); restore makes it "active" again.

Also holds :func:`insert_viewer`, the lenient builder behind ``FakeWebWork.add_viewer``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web

from ._endpoint import Call, Routes
from ._fields import POSITIVE_ID, TAKEN, Spec, text
from ._http import live_row
from ._rows import Builder, link, live, pick, shown, soft_delete, unlink
from ._state import FakeState, Row
from .members import PERSON, PERSON_DEFAULTS
from .projects import live_project

#: Every field of the Project viewer object, in the order the API shows them.
VIEWER_FIELDS: Final = (
    "id",
    "email",
    "firstname",
    "lastname",
    "status",
    "member_since",
    "projects",
)
#: What a viewer stores: ``projects`` as project ids, and ``deleted_at`` while archived.
_STORED_FIELDS: Final = (*VIEWER_FIELDS[:-1], "project_ids", "deleted_at")
VIEWER_STATUSES: Final = ("active", "inactive", "left")
_FILTERS: Final = {"email": Spec(text(), nullable=True)}
_PROJECT: Final = {"project_id": Spec(POSITIVE_ID, required=True)}
_VIEWER_ID: Final = {"viewer_id": "Project viewer"}


# --- storage -----------------------------------------------------------------------------------


def _defaults(_workspace: Row, now: str) -> dict[str, Any]:
    return {
        **PERSON_DEFAULTS,
        "firstname": "Test",
        "lastname": "Viewer",
        "status": "active",
        "member_since": now,
        "project_ids": [],
        "deleted_at": None,
    }


_BUILDER: Final = Builder("Project viewer", _STORED_FIELDS, _defaults, lambda state: state.viewers)


def insert_viewer(state: FakeState, workspace_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Store a project viewer of ``workspace_id`` from ``fields``; return the stored dict.

    ``email`` is required; the user id is ``id`` if given, else the one of the e-mail address.
    ``projects`` is a list of project ids; ``deleted_at`` stores an archived viewer. No API
    validation. Raises ``KeyError`` for an unknown workspace, ``TypeError`` for another field
    and ``ValueError`` when the user is a viewer there already.
    """
    fields = dict(fields)
    if "projects" in fields:
        fields["project_ids"] = list(fields.pop("projects"))
    return _BUILDER.insert(state, workspace_id, fields)


def render(state: FakeState, row: Row) -> dict[str, Any]:
    """The Project viewer object of a stored row; ``projects`` lists the live ones."""
    projects = []
    for project_id in row.data["project_ids"]:
        project = state.projects.get(project_id)
        if project is not None and live([project]) and project.workspace_id == row.workspace_id:
            projects.append({"project_id": project_id, "project_name": project.data["name"]})
    return pick({**row.data, "projects": projects}, VIEWER_FIELDS)


def list_stored(
    state: FakeState, workspace_id: int, *, include_archived: bool = False
) -> list[dict[str, Any]]:
    """Viewer objects of ``workspace_id`` ordered by user id (new dicts; hold ``state.lock``)."""
    return shown(state, state.viewers.in_workspace(workspace_id), render, include_archived)


def _viewer(call: Call, *, archived: bool = False) -> Row:
    """The call's viewer: a live one, or with ``archived`` any (404 "Project viewer not found")."""
    viewer_id = call.ids["viewer_id"]
    row = call.state.viewers.get((call.workspace_id, viewer_id))
    if archived and row is not None:
        return row
    return live_row(row, call.workspace_id, "Project viewer", viewer_id)


# --- handlers ----------------------------------------------------------------------------------

ROUTES: Final = Routes("/project-viewers")


@ROUTES.get(fields=_FILTERS, paged=True)
def list_viewers(call: Call) -> web.Response:
    """GET /project-viewers: live viewers by user id; filter ``email`` (exact)."""
    viewers = list_stored(call.state, call.workspace_id)
    email = call.values.get("email")
    if email:
        viewers = [item for item in viewers if item["email"].casefold() == email.casefold()]
    return call.listing(viewers, "Project viewers retrieved successfully")


@ROUTES.post(fields=PERSON)
def create_viewer(call: Call) -> web.Response:
    """POST /project-viewers: a new viewer with no projects; 201. A known e-mail is 422."""
    email = call.values["email"].casefold()
    rows = call.state.viewers.in_workspace(call.workspace_id)
    user_id = call.state.user_id(email)
    if any(row.data["email"].casefold() == email or row.data["id"] == user_id for row in rows):
        call.reject("email", TAKEN)  # archived ones too: restore those
    stored = insert_viewer(call.state, call.workspace_id, {**call.values, "id": user_id})
    row = Row(call.workspace_id, stored)
    return call.ok(render(call.state, row), "Project viewer created successfully", status=201)


ROUTES.show(
    "/{viewer_id}", _viewer, render, "Project viewer retrieved successfully", ids=_VIEWER_ID
)


@ROUTES.delete("/{viewer_id}", ids=_VIEWER_ID)
def delete_viewer(call: Call) -> web.Response:
    """DELETE /project-viewers/{viewerId} with body ``workspace_id``: archive (restorable)."""
    row = _viewer(call)
    soft_delete(row, call.now())
    row.data["status"] = "inactive"
    return call.ok(None, "Project viewer deleted successfully")


@ROUTES.post("/{viewer_id}/restore", ids=_VIEWER_ID)
def restore_viewer(call: Call) -> web.Response:
    """POST /project-viewers/{viewerId}/restore: an archived viewer is active again."""
    row = _viewer(call, archived=True)
    if row.data["deleted_at"] is None:
        call.reject("viewer_id", "The project viewer is not archived.")
    row.data.update(deleted_at=None, status="active")
    return call.ok(None, "Project viewer restored successfully")


@ROUTES.post("/{viewer_id}/assign-project", fields=_PROJECT, ids=_VIEWER_ID)
def assign_project(call: Call) -> web.Response:
    """POST /project-viewers/{viewerId}/assign-project: give access to a live project."""
    row = _viewer(call)
    project = live_project(call.state, call.workspace_id, call.values["project_id"])
    message = "The project is already assigned to this viewer."
    link(call, row.data["project_ids"], project.data["id"], "project_id", message)
    return call.ok(None, "Project assigned to viewer successfully")


@ROUTES.delete("/{viewer_id}/unassign-project", fields=_PROJECT, ids=_VIEWER_ID)
def unassign_project(call: Call) -> web.Response:
    """DELETE /project-viewers/{viewerId}/unassign-project: revoke access (not given: 404).

    The body's ``project_id`` must be a live project of the workspace (else 404).
    """
    row = _viewer(call)
    project_id = live_project(call.state, call.workspace_id, call.values["project_id"]).data["id"]
    detail = f"Project {project_id} is not assigned to viewer {row.data['id']}"
    unlink(row.data["project_ids"], project_id, "Project", detail)
    return call.ok(None, "Project unassigned from viewer successfully")


def add_routes(app: web.Application) -> None:
    """Register this group's routes on ``app``."""
    ROUTES.add_to(app)
