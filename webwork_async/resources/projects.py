"""The Projects group: ``/projects`` (reference §4.3, the seed pages of variant B).

Reads pass ``workspace_id`` in the query string, writes in the JSON body (DELETE included); the
``budget`` argument is stored by the service as ``budget_estimation``.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Iterable

from msgspec import UNSET, UnsetType

from webwork_async import _validation as check
from webwork_async._bulk import WorkspaceResult
from webwork_async._pagination import AsyncPaginator
from webwork_async.errors import InvalidArgumentError
from webwork_async.models.projects import Project
from webwork_async.resources._base import Resource

__all__ = ["ProjectsResource"]

_PATH = "projects"

Number = int | float


class ProjectsResource(Resource):
    """``ww.projects``: list, get, create, update and delete (archive) projects."""

    def list(
        self,
        *,
        workspace_id: int,
        name: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> AsyncPaginator[Project]:
        """Projects of a workspace: await for one page, ``async for`` for all of them.

        ``name`` filters by case-insensitive substring. Archived projects are not listed.
        """
        params = {
            "workspace_id": check.positive_id("workspace_id", workspace_id),
            "name": check.optional_text("name", name),
        }
        return self._paginate(_PATH, Project, params, page=page, per_page=per_page)

    def list_many(
        self,
        workspace_ids: Iterable[int],
        *,
        name: str | None = None,
        per_page: int | None = None,
    ) -> AsyncIterator[WorkspaceResult[Project]]:
        """Every project of each workspace, yielded per workspace as soon as it is complete.

        Runs under the session's concurrency limit. A workspace that fails yields a result with its
        ``error``; it never stops the others. Repeated ids are fetched once.
        """
        params = {"name": check.optional_text("name", name)}
        return self._fan_out(workspace_ids, _PATH, Project, params, per_page=per_page)

    async def get(self, project_id: int, *, workspace_id: int) -> Project:
        """One project; :class:`~webwork_async.errors.NotFoundError` if not in the workspace."""
        path = f"{_PATH}/{check.positive_id('project_id', project_id)}"
        params = {"workspace_id": check.positive_id("workspace_id", workspace_id)}
        project: Project = await self._call("GET", path, Project, params=params)
        return project

    async def create(
        self,
        *,
        workspace_id: int,
        name: str,
        start_date: datetime.date | str | None = None,
        deadline: datetime.date | str | None = None,
        estimation: Number | None = None,
        budget: Number | None = None,
        notes: str | None = None,
        icon: str | None = None,
    ) -> Project:
        """Create a project (owners and executive managers only).

        ``estimation`` is in hours; ``budget`` comes back as ``budget_estimation``. Fields left as
        None are not sent.
        """
        start = check.calendar_date("start_date", start_date)
        end = check.calendar_date("deadline", deadline)
        check.date_order("start_date", start, "deadline", end)
        fields = {
            "workspace_id": check.positive_id("workspace_id", workspace_id),
            "name": check.non_empty_text("name", name),
            "start_date": start,
            "deadline": end,
            "estimation": check.non_negative_number("estimation", estimation),
            "budget": check.non_negative_number("budget", budget),
            "notes": check.optional_text("notes", notes),
            "icon": check.optional_text("icon", icon),
        }
        body = {key: value for key, value in fields.items() if value is not None}
        project: Project = await self._call("POST", _PATH, Project, body=body)
        return project

    async def update(
        self,
        project_id: int,
        *,
        workspace_id: int,
        name: str | UnsetType = UNSET,
        start_date: datetime.date | str | UnsetType | None = UNSET,
        deadline: datetime.date | str | UnsetType | None = UNSET,
        estimation: Number | UnsetType | None = UNSET,
        budget: Number | UnsetType | None = UNSET,
        notes: str | UnsetType | None = UNSET,
        icon: str | UnsetType | None = UNSET,
    ) -> Project:
        """Change the given fields only; passing None clears a field, leaving it out keeps it.

        A deadline before the start date is refused here when both are given; otherwise the
        service checks it against the stored value.
        """
        path = f"{_PATH}/{check.positive_id('project_id', project_id)}"
        body: dict[str, object] = {"workspace_id": check.positive_id("workspace_id", workspace_id)}
        if name is not UNSET:
            body["name"] = check.non_empty_text("name", name)
        start = end = None
        if start_date is not UNSET:
            body["start_date"] = start = check.calendar_date("start_date", start_date)
        if deadline is not UNSET:
            body["deadline"] = end = check.calendar_date("deadline", deadline)
        check.date_order("start_date", start, "deadline", end)
        if estimation is not UNSET:
            body["estimation"] = check.non_negative_number("estimation", estimation)
        if budget is not UNSET:
            body["budget"] = check.non_negative_number("budget", budget)
        if notes is not UNSET:
            body["notes"] = check.optional_text("notes", notes)
        if icon is not UNSET:
            body["icon"] = check.optional_text("icon", icon)
        if len(body) == 1:
            raise InvalidArgumentError("update", "give at least one field to change")
        project: Project = await self._call("PUT", path, Project, body=body)
        return project

    async def delete(self, project_id: int, *, workspace_id: int) -> None:
        """Archive a project. The service keeps it, but it no longer appears in lists."""
        path = f"{_PATH}/{check.positive_id('project_id', project_id)}"
        body = {"workspace_id": check.positive_id("workspace_id", workspace_id)}
        await self._call("DELETE", path, None, body=body)
