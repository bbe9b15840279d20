"""The Tasks group: ``/tasks`` (reference §4.5). Tasks live in a project: most calls need both
``workspace_id`` and ``project_id``."""

from __future__ import annotations

import builtins
import datetime
from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING, Literal

from msgspec import UNSET, UnsetType

from webwork_async._bulk import WorkspaceResult
from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator
from webwork_async._progress import ProgressCallback
from webwork_async.models.tasks import Task, TaskAssignee, TaskPriority, TaskStatus
from webwork_async.resources._base import Resource
from webwork_async.resources._operations import TASK_STATUS, TASK_STATUS_FILTER, Operation

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["TasksResource"]

Day = datetime.date | str
Status = TaskStatus | int
Priority = TaskPriority | int

_IN_PROJECT = frozenset({"workspace_id", "project_id"})
_LIST = Operation[Task](
    "GET", "tasks", Task, checks=TASK_STATUS_FILTER, any_of=("project_id", "contract_id")
)
_GET = Operation[Task]("GET", "tasks/{task_id}", Task, _IN_PROJECT)
_CREATE = Operation[Task]("POST", "tasks", Task, _IN_PROJECT | {"title"}, TASK_STATUS)
_UPDATE = Operation[Task]("PUT", "tasks/{task_id}", Task, _IN_PROJECT, TASK_STATUS, partial=True)
_DELETE = Operation[None]("DELETE", "tasks/{task_id}", None, _IN_PROJECT)
_ASSIGN = Operation[None]("POST", "tasks/{task_id}/assign/{user_id}", None, _IN_PROJECT)
_UNASSIGN = Operation[None]("DELETE", "tasks/{task_id}/unassign/{user_id}", None, _IN_PROJECT)
_ASSIGNEES = Operation[list[TaskAssignee]](
    "GET", "tasks/{task_id}/assignees", list[TaskAssignee], _IN_PROJECT
)


class TasksResource(Resource):
    """``ww.tasks``: tasks of projects, and who is assigned to them.

    Owners, executive managers, project managers and team managers may create and update tasks.
    """

    def list(
        self,
        *,
        workspace_id: int,
        project_id: int | None = None,
        contract_id: int | None = None,
        status: Status | None = None,
        priority: Priority | None = None,
        order_by: Literal["asc", "desc"] | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Task]:
        """Tasks of a project: await for one page, ``async for`` for all of them.

        Give ``project_id`` (or, where the service supports it, ``contract_id``, whose project is
        used). ``status`` takes the base codes of :class:`~webwork_async.models.TaskStatus` or a
        workspace's custom code (an int >= 0); ``order_by`` sorts by task id.
        """
        return self._list(_LIST, locals())

    def list_many(
        self,
        projects: Iterable[tuple[int, int]],
        *,
        status: Status | None = None,
        priority: Priority | None = None,
        order_by: Literal["asc", "desc"] | None = None,
        per_page: int | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[Task], None]:
        """Every task of each ``(workspace_id, project_id)`` pair, one result per pair (its
        ``project_id`` set), yielded as each completes; failures are reported as for
        :meth:`ProjectsResource.list_many <webwork_async.resources.ProjectsResource.list_many>`.
        """
        return self._list_many(_LIST, locals())

    async def get(
        self, task_id: int, *, workspace_id: int, project_id: int, **options: Unpack[CallOptions]
    ) -> Task:
        """One task of a project; :class:`~webwork_async.errors.NotFoundError` if not there."""
        return await self._run(_GET, locals())

    async def create(
        self,
        *,
        workspace_id: int,
        project_id: int,
        title: str,
        description: str | None = None,
        status: Status | None = None,
        priority: Priority | None = None,
        start_date: Day | None = None,
        end_date: Day | None = None,
        assignees: Iterable[int] | None = None,
        parent_id: int | None = None,
        **options: Unpack[CallOptions],
    ) -> Task:
        """Create a task in a project; ``assignees`` are user ids, ``parent_id`` a task of the
        same project. ``end_date`` may not be before ``start_date``. Never sent twice."""
        return await self._run(_CREATE, locals())

    async def update(
        self,
        task_id: int,
        *,
        workspace_id: int,
        project_id: int,
        title: str | UnsetType = UNSET,
        description: str | UnsetType | None = UNSET,
        status: Status | UnsetType = UNSET,
        priority: Priority | UnsetType = UNSET,
        start_date: Day | UnsetType | None = UNSET,
        end_date: Day | UnsetType | None = UNSET,
        parent_id: int | UnsetType = UNSET,
        **options: Unpack[CallOptions],
    ) -> Task:
        """Change the given fields only; None clears a date or the description. Assignees
        change through :meth:`assign` and :meth:`unassign`."""
        return await self._run(_UPDATE, locals())

    async def delete(
        self, task_id: int, *, workspace_id: int, project_id: int, **options: Unpack[CallOptions]
    ) -> None:
        """Delete a task."""
        await self._run(_DELETE, locals())

    async def assign(
        self,
        task_id: int,
        user_id: int,
        *,
        workspace_id: int,
        project_id: int,
        **options: Unpack[CallOptions],
    ) -> None:
        """Add member ``user_id`` to the task's assignees (they need a contract on the project).

        Never sent twice: an assignment that may have reached the service is not retried.
        """
        await self._run(_ASSIGN, locals())

    async def unassign(
        self,
        task_id: int,
        user_id: int,
        *,
        workspace_id: int,
        project_id: int,
        **options: Unpack[CallOptions],
    ) -> None:
        """Remove member ``user_id`` from the task's assignees."""
        await self._run(_UNASSIGN, locals())

    async def assignees(
        self, task_id: int, *, workspace_id: int, project_id: int, **options: Unpack[CallOptions]
    ) -> builtins.list[TaskAssignee]:
        """Who is assigned to the task (the whole list; the service does not page it)."""
        return await self._run(_ASSIGNEES, locals())
