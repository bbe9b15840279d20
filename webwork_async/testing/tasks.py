"""Tasks API group of the fake server (reference §3.5, §4.5).

Routes: ``GET/POST /tasks``, ``GET/PUT/DELETE /tasks/{taskId}``, ``POST
/tasks/{taskId}/assign/{userId}``, ``DELETE /tasks/{taskId}/unassign/{userId}`` and ``GET
/tasks/{taskId}/assignees``. Every route names the task's project (``project_id``: query on
reads, body on writes, required): a project that is not live in the workspace is 404, and so is
a task of another project. Only members with a live contract on the project can be assignees.
``completed_at`` is set when the status becomes Done (20) or Completed (30), cleared otherwise.
DELETE soft-deletes.

Also holds :func:`insert_task`, the lenient builder behind ``FakeWebWork.add_task``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from aiohttp import web

from ._endpoint import Call, Routes
from ._fields import (
    POSITIVE_ID,
    QUERY_ID,
    SELECTED_INVALID,
    TEXT_MAX,
    Spec,
    add_error,
    calendar_date,
    chain,
    check_order,
    fail_item,
    integer,
    items,
    one_of,
    query_integer,
    text,
)
from ._http import ApiError, live_row, not_found
from ._rows import Builder, fresh, link, matching, pick, shown, soft_delete, unlink
from ._state import CALLER_USER_ID, FakeState, Row
from .contracts import has_contract
from .members import live_member
from .projects import live_project

TASK_KIND: Final = "task"
#: Every field of the Task object, in the order the fake shows them.
TASK_FIELDS: Final = (
    "id",
    "title",
    "description",
    "project_id",
    "owner_id",
    "creator_id",
    "status",
    "priority",
    "start_date",
    "end_date",
    "completed_at",
    "assignees",
    "parent_id",
    "status_name",
    "priority_name",
    "created_at",
    "updated_at",
    "deleted_at",
)
#: Status and priority codes with their names (variant B).
STATUS_NAMES: Final = {0: "Incomplete", 10: "Doing", 20: "Done", 30: "Completed"}
PRIORITY_NAMES: Final = {10: "Urgent", 20: "High", 30: "Normal", 40: "Low"}
_COMPLETE: Final = frozenset({20, 30})
#: What a task stores: its fields but the names (looked up) and assignees (user ids instead).
_STORED_FIELDS: Final = (
    *(name for name in TASK_FIELDS if name not in ("assignees", "status_name", "priority_name")),
    "assignee_ids",
)
#: What a new task holds besides nulls, timestamps and the owner (as after POST /tasks).
_DEFAULTS: Final = {
    "title": "", "creator_id": CALLER_USER_ID, "status": 0, "priority": 30, "assignee_ids": [],
}  # fmt: skip
_SCOPE_QUERY: Final = {"project_id": Spec(QUERY_ID, required=True)}
_SCOPE_BODY: Final = {"project_id": Spec(POSITIVE_ID, required=True)}
_FILTERS: Final = {
    "status": Spec(query_integer(low=0), nullable=True),
    "priority": Spec(chain(query_integer(), one_of(PRIORITY_NAMES)), nullable=True),
    "order_by": Spec(one_of(("asc", "desc")), nullable=True),
}
_UPDATE: Final = {
    "title": Spec(text(), required=True),
    "description": Spec(text(TEXT_MAX), nullable=True),
    "status": Spec(chain(integer(), one_of(STATUS_NAMES))),
    "priority": Spec(chain(integer(), one_of(PRIORITY_NAMES))),
    "start_date": Spec(calendar_date(), nullable=True),
    "end_date": Spec(calendar_date(), nullable=True, after="start_date"),
    "parent_id": Spec(POSITIVE_ID, nullable=True),
}
_CREATE: Final = {**_UPDATE, "assignees": Spec(items(POSITIVE_ID))}


# --- storage -----------------------------------------------------------------------------------


def _defaults(workspace: Row, now: str) -> dict[str, Any]:
    return {**fresh(_STORED_FIELDS, now, _DEFAULTS), "owner_id": workspace.data["owner_id"]}


_BUILDER: Final = Builder("Task", _STORED_FIELDS, _defaults, lambda state: state.tasks, TASK_KIND)


def insert_task(state: FakeState, workspace_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Store a task of ``workspace_id`` from Task ``fields``; return the stored dict.

    ``assignees`` is a list of user ids (their names are read from the members when the task
    is shown); ``status_name``/``priority_name`` follow the codes. Missing fields get the
    defaults of ``POST /tasks``. No API validation: the project and assignees need not exist.
    Raises ``KeyError`` for an unknown workspace, ``TypeError`` for another field and
    ``ValueError`` for a taken id.
    """
    fields = dict(fields)
    if "assignees" in fields:
        fields["assignee_ids"] = list(fields.pop("assignees"))
    return _BUILDER.insert(state, workspace_id, fields)


def store_built_tasks(state: FakeState, workspace_id: int, built: Iterable[dict[str, Any]]) -> None:
    """Store ``built`` tasks of ``workspace_id``: the seeder's fast path
    (:meth:`~._rows.Builder.store_built`). Each dict holds the stored fields: the Task fields
    but the names, ``assignee_ids`` (user ids) for ``assignees``; its ``id`` is set."""
    _BUILDER.store_built(state, workspace_id, built)


def _person(state: FakeState, workspace_id: int, user_id: int) -> dict[str, Any]:
    member = state.members.get((workspace_id, user_id))
    data = member.data if member is not None else {}
    return {
        "id": user_id,
        "email": data.get("email"),
        "firstname": data.get("firstname"),
        "lastname": data.get("lastname"),
    }


def render(state: FakeState, row: Row) -> dict[str, Any]:
    """The Task object of a stored row, assignees as ``{id, firstname, lastname, email}``."""
    data = row.data
    assignees = [
        pick(_person(state, row.workspace_id, user_id), ("id", "firstname", "lastname", "email"))
        for user_id in data["assignee_ids"]
    ]
    shown = {
        **data,
        "assignees": assignees,
        "status_name": STATUS_NAMES.get(data["status"]),
        "priority_name": PRIORITY_NAMES.get(data["priority"]),
    }
    return pick(shown, TASK_FIELDS)


def list_stored(
    state: FakeState,
    workspace_id: int,
    project_id: int | None = None,
    *,
    include_deleted: bool = False,
) -> list[dict[str, Any]]:
    """Task objects of the workspace (or one project) by id (new dicts; hold ``state.lock``)."""
    tasks = shown(state, state.tasks.in_workspace(workspace_id), render, include_deleted)
    return matching(tasks, project_id=project_id)


def _live_task(call: Call, task_id: int) -> Row:
    """The live task of the call's live project, else 404 (project first)."""
    project_id = call.values["project_id"]
    live_project(call.state, call.workspace_id, project_id)
    row = live_row(call.state.tasks.get(task_id), call.workspace_id, "Task", task_id)
    if row.data["project_id"] != project_id:
        raise not_found("Task", f"Task {task_id} is not a task of project {project_id}")
    return row


def _task(call: Call) -> Row:
    return _live_task(call, call.ids["task_id"])


def _assignable(call: Call, user_id: int) -> bool:
    """Whether ``user_id`` is a live member with a live contract on the call's project."""
    try:
        live_member(call.state, call.workspace_id, user_id)
    except ApiError:
        return False
    return has_contract(call.state, call.workspace_id, call.values["project_id"], user_id)


def _check_links(call: Call, task_id: int | None, assignees: Sequence[int]) -> None:
    """Record 422s for a ``parent_id`` that is no other live task of the project and for
    ``assignees`` without a live contract on it."""
    parent_id = call.values.get("parent_id")
    if parent_id is not None:
        parent = call.state.tasks.get(parent_id)
        if (
            parent_id == task_id
            or parent is None
            or parent.workspace_id != call.workspace_id
            or parent.data["deleted_at"] is not None
            or parent.data["project_id"] != call.values["project_id"]
        ):
            add_error(call.errors, "parent_id", SELECTED_INVALID)
    for user_id in assignees:
        if not _assignable(call, user_id):
            fail_item(call.errors, "assignees", assignees, user_id)


def set_status(data: dict[str, Any], status: int, now: str) -> None:
    """Give the stored task ``status``; ``completed_at`` is ``now`` when it becomes complete,
    kept while it stays so, cleared otherwise."""
    if status not in _COMPLETE:
        data["completed_at"] = None
    elif data["status"] not in _COMPLETE or data["completed_at"] is None:
        data["completed_at"] = now
    data["status"] = status


# --- handlers ----------------------------------------------------------------------------------

ROUTES: Final = Routes("/tasks")

_TASK_ID: Final = {"task_id": "Task"}
_TASK_AND_USER: Final = {"task_id": "Task", "user_id": "Member"}


@ROUTES.get(fields=_FILTERS, scope=_SCOPE_QUERY, paged=True)
def list_tasks(call: Call) -> web.Response:
    """GET /tasks: live tasks of a live project; filters ``status``, ``priority``, ``order_by``."""
    project_id = call.values["project_id"]
    live_project(call.state, call.workspace_id, project_id)
    tasks = matching(
        list_stored(call.state, call.workspace_id, project_id),
        status=call.values.get("status"),
        priority=call.values.get("priority"),
    )
    if call.values.get("order_by") == "desc":
        tasks.reverse()
    return call.listing(tasks, "Tasks retrieved successfully")


@ROUTES.post(fields=_CREATE, scope=_SCOPE_BODY)
def create_task(call: Call) -> web.Response:
    """POST /tasks: a task of a live project; 201. ``assignees`` need a contract on it."""
    live_project(call.state, call.workspace_id, call.values["project_id"])
    fields = dict(call.values)
    assignees = fields.pop("assignees", [])
    _check_links(call, None, assignees)
    call.errors.raise_if_any()
    now = call.now()
    status = fields.pop("status", 0)
    stored = insert_task(call.state, call.workspace_id, {**fields, "assignee_ids": assignees})
    set_status(stored, status, now)
    row = _live_task(call, stored["id"])
    return call.ok(render(call.state, row), "Task created successfully", status=201)


ROUTES.show(
    "/{task_id}", _task, render, "Task retrieved successfully", ids=_TASK_ID, scope=_SCOPE_QUERY
)


@ROUTES.put("/{task_id}", fields=_UPDATE, partial=True, ids=_TASK_ID, scope=_SCOPE_BODY)
def update_task(call: Call) -> web.Response:
    """PUT /tasks/{taskId}: change the fields present (not the assignees: see assign)."""
    row = _task(call)
    _check_links(call, row.data["id"], [])
    changes = dict(call.values)
    check_order({**row.data, **changes}, _UPDATE, call.errors, changes)
    call.errors.raise_if_any()
    now = call.now()
    if "status" in changes:
        set_status(row.data, changes.pop("status"), now)
    row.data.update(changes, updated_at=now)
    return call.ok(render(call.state, row), "Task updated successfully")


@ROUTES.delete("/{task_id}", ids=_TASK_ID, scope=_SCOPE_BODY)
def delete_task(call: Call) -> web.Response:
    """DELETE /tasks/{taskId} with body ``workspace_id``, ``project_id``: soft-delete it."""
    soft_delete(_task(call), call.now())
    return call.ok(None, "Task deleted successfully")


@ROUTES.post("/{task_id}/assign/{user_id}", ids=_TASK_AND_USER, scope=_SCOPE_BODY)
def assign_task(call: Call) -> web.Response:
    """POST /tasks/{taskId}/assign/{userId}: add an assignee (a member under contract)."""
    row, user_id = _task(call), call.ids["user_id"]
    if not _assignable(call, user_id):
        call.reject("user_id", SELECTED_INVALID)
    message = "The user is already assigned to this task."
    link(call, row.data["assignee_ids"], user_id, "user_id", message)
    row.data["updated_at"] = call.now()
    return call.ok(None, "Task assigned to user successfully")


@ROUTES.delete("/{task_id}/unassign/{user_id}", ids=_TASK_AND_USER, scope=_SCOPE_BODY)
def unassign_task(call: Call) -> web.Response:
    """DELETE /tasks/{taskId}/unassign/{userId}: remove an assignee (not one: 404)."""
    row, user_id = _task(call), call.ids["user_id"]
    detail = f"User {user_id} is not assigned to task {row.data['id']}"
    unlink(row.data["assignee_ids"], user_id, "Assignee", detail)
    row.data["updated_at"] = call.now()
    return call.ok(None, "Task unassigned from user successfully")


@ROUTES.get("/{task_id}/assignees", ids=_TASK_ID, scope=_SCOPE_QUERY)
def list_assignees(call: Call) -> web.Response:
    """GET /tasks/{taskId}/assignees: every assignee as ``{id, email, firstname, lastname}``."""
    row = _task(call)
    people = [_person(call.state, call.workspace_id, uid) for uid in row.data["assignee_ids"]]
    return call.ok(people, "Task assignees retrieved successfully")


def add_routes(app: web.Application) -> None:
    """Register this group's routes on ``app``."""
    ROUTES.add_to(app)
