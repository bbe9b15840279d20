"""The Projects group: ``/projects`` (reference §4.3, the seed pages of variant B).

The ``budget`` argument is stored by the service as ``budget_estimation``.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING

from msgspec import UNSET, UnsetType

from webwork_async._bulk import WorkspaceResult
from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator
from webwork_async._progress import ProgressCallback
from webwork_async.models.projects import Project
from webwork_async.resources._base import Resource
from webwork_async.resources._operations import Operation

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ProjectsResource"]

Number = int | float

_LIST = Operation[Project]("GET", "projects", Project)
_GET = Operation[Project]("GET", "projects/{project_id}", Project)
_CREATE = Operation[Project]("POST", "projects", Project, frozenset({"workspace_id", "name"}))
_UPDATE = Operation[Project]("PUT", "projects/{project_id}", Project, partial=True)
_DELETE = Operation[None]("DELETE", "projects/{project_id}")


class ProjectsResource(Resource):
    """``ww.projects``: list, get, create, update and delete (archive) projects."""

    def list(
        self,
        *,
        workspace_id: int,
        name: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Project]:
        """Projects of a workspace: await for one page, ``async for`` for all of them.

        ``name`` filters by case-insensitive substring. Archived projects are not listed.
        """
        return self._list(_LIST, locals())

    def list_many(
        self,
        workspace_ids: Iterable[int],
        *,
        name: str | None = None,
        per_page: int | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[Project], None]:
        """Every project of each workspace, yielded per workspace as soon as it is complete.

        Runs under the session's concurrency limit. A workspace that fails yields a result with its
        ``error`` and never stops the others, except a rejected token (401) or an unusable session:
        then every workspace not yet finished is reported with that error at once, and nothing more
        is sent. Repeated ids are fetched once. ``progress`` is called with a
        :class:`~webwork_async.JobProgress` as each workspace is finished.
        """
        return self._list_many(_LIST, locals())

    async def get(
        self, project_id: int, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> Project:
        """One project; :class:`~webwork_async.errors.NotFoundError` if not in the workspace."""
        return await self._run(_GET, locals())

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
        **options: Unpack[CallOptions],
    ) -> Project:
        """Create a project (owners and executive managers only).

        ``estimation`` is in hours; ``budget`` comes back as ``budget_estimation``. Fields left as
        None are not sent.
        """
        return await self._run(_CREATE, locals())

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
        **options: Unpack[CallOptions],
    ) -> Project:
        """Change the given fields only; passing None clears a field, leaving it out keeps it.

        A deadline before the start date is refused here when both are given; otherwise the
        service checks it against the stored value.
        """
        return await self._run(_UPDATE, locals())

    async def delete(
        self, project_id: int, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> None:
        """Archive a project. The service keeps it, but it no longer appears in lists."""
        await self._run(_DELETE, locals())
