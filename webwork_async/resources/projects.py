"""The Projects group: ``/projects`` (reference §4.3, the seed pages of variant B).

Reads pass ``workspace_id`` in the query string, writes in the JSON body (DELETE included); the
``budget`` argument is stored by the service as ``budget_estimation``.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from msgspec import UNSET, UnsetType

from webwork_async import _validation as check
from webwork_async._bulk import WorkspaceResult
from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator
from webwork_async._progress import ProgressCallback
from webwork_async.errors import InvalidArgumentError
from webwork_async.models.projects import Project
from webwork_async.resources._base import Resource

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ProjectsResource"]

_PATH = "projects"

Number = int | float

# How each writable field is checked; None passes every check but the name's, so update can clear.
_FIELD_CHECKS: dict[str, Callable[[str, object], object]] = {
    "name": check.non_empty_text,
    "start_date": check.calendar_date,
    "deadline": check.calendar_date,
    "estimation": check.non_negative_number,
    "budget": check.non_negative_number,
    "notes": check.optional_text,
    "icon": check.optional_text,
}


def _checked_fields(given: Mapping[str, object]) -> dict[str, object]:
    """Check each given field, then the date order; the error names the offending argument."""
    fields = {key: _FIELD_CHECKS[key](key, value) for key, value in given.items()}
    check.date_order("start_date", fields.get("start_date"), "deadline", fields.get("deadline"))
    return fields


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
        params = {
            "workspace_id": check.positive_id("workspace_id", workspace_id),
            "name": check.optional_text("name", name),
        }
        return self._paginate(_PATH, Project, params, options, page=page, per_page=per_page)

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
        params = {"name": check.optional_text("name", name)}
        return self._fan_out(
            workspace_ids, _PATH, Project, params, options, per_page=per_page, progress=progress
        )

    async def get(
        self, project_id: int, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> Project:
        """One project; :class:`~webwork_async.errors.NotFoundError` if not in the workspace."""
        path = f"{_PATH}/{check.positive_id('project_id', project_id)}"
        params = {"workspace_id": check.positive_id("workspace_id", workspace_id)}
        project: Project = await self._call("GET", path, Project, options, params=params)
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
        **options: Unpack[CallOptions],
    ) -> Project:
        """Create a project (owners and executive managers only).

        ``estimation`` is in hours; ``budget`` comes back as ``budget_estimation``. Fields left as
        None are not sent.
        """
        optional = {
            "start_date": start_date,
            "deadline": deadline,
            "estimation": estimation,
            "budget": budget,
            "notes": notes,
            "icon": icon,
        }
        given = {"name": name, **{key: val for key, val in optional.items() if val is not None}}
        body = {
            "workspace_id": check.positive_id("workspace_id", workspace_id),
            **_checked_fields(given),
        }
        project: Project = await self._call("POST", _PATH, Project, options, body=body)
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
        **options: Unpack[CallOptions],
    ) -> Project:
        """Change the given fields only; passing None clears a field, leaving it out keeps it.

        A deadline before the start date is refused here when both are given; otherwise the
        service checks it against the stored value.
        """
        path = f"{_PATH}/{check.positive_id('project_id', project_id)}"
        given = {
            "name": name,
            "start_date": start_date,
            "deadline": deadline,
            "estimation": estimation,
            "budget": budget,
            "notes": notes,
            "icon": icon,
        }
        changes = _checked_fields(
            {key: value for key, value in given.items() if value is not UNSET}
        )
        if not changes:
            raise InvalidArgumentError("update", "give at least one field to change")
        body = {"workspace_id": check.positive_id("workspace_id", workspace_id), **changes}
        project: Project = await self._call("PUT", path, Project, options, body=body)
        return project

    async def delete(
        self, project_id: int, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> None:
        """Archive a project. The service keeps it, but it no longer appears in lists."""
        path = f"{_PATH}/{check.positive_id('project_id', project_id)}"
        body = {"workspace_id": check.positive_id("workspace_id", workspace_id)}
        await self._call("DELETE", path, None, options, body=body)
