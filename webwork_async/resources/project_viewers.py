"""The Project Viewers group: ``/project-viewers`` (reference §4.6): clients who may read the
projects assigned to them."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING

from webwork_async._bulk import WorkspaceResult
from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator
from webwork_async._progress import ProgressCallback
from webwork_async.models.project_viewers import ProjectViewer
from webwork_async.resources._base import Resource
from webwork_async.resources._operations import Operation

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ProjectViewersResource"]

_PATH = "project-viewers"
_ONE = _PATH + "/{viewer_id}"
_WITH_PROJECT = frozenset({"workspace_id", "project_id"})
_LIST = Operation[ProjectViewer]("GET", _PATH, ProjectViewer)
_GET = Operation[ProjectViewer]("GET", _ONE, ProjectViewer)
_CREATE = Operation[ProjectViewer](
    "POST", _PATH, ProjectViewer, frozenset({"workspace_id", "email", "firstname", "lastname"})
)
_DELETE = Operation[None]("DELETE", _ONE)
_RESTORE = Operation[None]("POST", _ONE + "/restore")
_ASSIGN_PROJECT = Operation[None]("POST", _ONE + "/assign-project", None, _WITH_PROJECT)
_UNASSIGN_PROJECT = Operation[None]("DELETE", _ONE + "/unassign-project", None, _WITH_PROJECT)


class ProjectViewersResource(Resource):
    """``ww.project_viewers``: list, create, archive and restore viewers; grant and revoke
    their projects. ``viewer_id`` is the viewer's user id."""

    def list(
        self,
        *,
        workspace_id: int,
        email: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[ProjectViewer]:
        """Viewers of a workspace (archived ones are not listed), optionally the one with
        ``email``: await for one page, ``async for`` for all of them."""
        return self._list(_LIST, locals())

    def list_many(
        self,
        workspace_ids: Iterable[int],
        *,
        email: str | None = None,
        per_page: int | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[ProjectViewer], None]:
        """Every viewer of each workspace, yielded per workspace as it completes (like
        :meth:`ProjectsResource.list_many <webwork_async.resources.ProjectsResource.list_many>`)."""
        return self._list_many(_LIST, locals())

    async def get(
        self, viewer_id: int, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> ProjectViewer:
        """One viewer; :class:`~webwork_async.errors.NotFoundError` if not in the workspace."""
        return await self._run(_GET, locals())

    async def create(
        self,
        *,
        workspace_id: int,
        email: str,
        firstname: str,
        lastname: str,
        **options: Unpack[CallOptions],
    ) -> ProjectViewer:
        """Create a viewer, who is sent an invitation e-mail (owners and executive managers).

        Never sent twice: a creation that may have reached the service is not retried.
        """
        return await self._run(_CREATE, locals())

    async def delete(
        self, viewer_id: int, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> None:
        """Archive a viewer; :meth:`restore` brings them back."""
        await self._run(_DELETE, locals())

    async def restore(
        self, viewer_id: int, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> None:
        """Bring an archived viewer back. Never sent twice."""
        await self._run(_RESTORE, locals())

    async def assign_project(
        self,
        viewer_id: int,
        *,
        workspace_id: int,
        project_id: int,
        **options: Unpack[CallOptions],
    ) -> None:
        """Let the viewer read project ``project_id``. Never sent twice."""
        await self._run(_ASSIGN_PROJECT, locals())

    async def unassign_project(
        self,
        viewer_id: int,
        *,
        workspace_id: int,
        project_id: int,
        **options: Unpack[CallOptions],
    ) -> None:
        """Take project ``project_id`` away from the viewer."""
        await self._run(_UNASSIGN_PROJECT, locals())
