"""The Time Entries group: ``/time-entries`` (reference-time §2, from the older docs only).

A member's timeline, one day at a time: list a day's entries, add one by hand, edit or delete
one. Entry ids are opaque strings. The service pages these lists by 50 at most.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING

from msgspec import UNSET, UnsetType

from webwork_async._bulk import WorkspaceResult
from webwork_async._constants import TIME_ENTRIES_MAX_PER_PAGE
from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator
from webwork_async._progress import ProgressCallback
from webwork_async.models._base import Envelope
from webwork_async.models.time_entries import TimeEntry, TimeEntrySaved
from webwork_async.resources._base import Resource
from webwork_async.resources._operations import CLEARABLE_IDS, Operation

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["TimeEntriesResource"]

Day = datetime.date | str
TimeOfDay = datetime.time | str


def _saved(envelope: Envelope[TimeEntry | None]) -> TimeEntrySaved:
    return TimeEntrySaved(
        saved_minutes=envelope.saved_minutes, message=envelope.message, entry=envelope.data
    )


_OF_A_DAY = frozenset({"workspace_id", "user_id", "date"})
_LIST = Operation[TimeEntry](
    "GET", "time-entries", TimeEntry, _OF_A_DAY, page_limit=TIME_ENTRIES_MAX_PER_PAGE
)
_CREATE = Operation[TimeEntrySaved](
    "POST",
    "time-entries",
    TimeEntry | None,
    _OF_A_DAY | {"start_time", "end_time"},
    answer=_saved,
)
_UPDATE = Operation[None]("PUT", "time-entries/{time_entry_id}", checks=CLEARABLE_IDS, partial=True)
_DELETE = Operation[None]("DELETE", "time-entries/{time_entry_id}")


class TimeEntriesResource(Resource):
    """``ww.time_entries``: a member's timeline of one day; add, edit and delete entries
    (owners and executive managers)."""

    def list(
        self,
        *,
        workspace_id: int,
        user_id: int,
        date: Day,
        project_id: int | None = None,
        task_id: int | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[TimeEntry]:
        """Member ``user_id``'s entries on ``date``, optionally of one project or task: await
        for one page, ``async for`` for all of them (``per_page`` up to 50)."""
        return self._list(_LIST, locals())

    def list_many(
        self,
        workspace_ids: Iterable[int],
        *,
        user_id: int,
        date: Day,
        per_page: int | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[TimeEntry], None]:
        """Member ``user_id``'s entries on ``date`` in each workspace, yielded per workspace as
        it completes (like :meth:`ProjectsResource.list_many
        <webwork_async.resources.ProjectsResource.list_many>`)."""
        return self._list_many(_LIST, locals())

    async def create(
        self,
        *,
        workspace_id: int,
        user_id: int,
        date: Day,
        start_time: TimeOfDay,
        end_time: TimeOfDay,
        contract_id: int | None = None,
        task_id: int | None = None,
        notes: str | None = None,
        **options: Unpack[CallOptions],
    ) -> TimeEntrySaved:
        """Add time by hand on ``date`` from ``start_time`` to ``end_time`` (``HH:MM`` or
        ``datetime.time``, end after start); ``notes`` is the activity description.

        The service may save only part of it (limits, overlaps): read ``saved_minutes``.
        Never sent twice.
        """
        return await self._run(_CREATE, locals())

    async def update(
        self,
        time_entry_id: str,
        *,
        workspace_id: int,
        project_id: int | UnsetType | None = UNSET,
        task_id: int | UnsetType | None = UNSET,
        notes: str | UnsetType | None = UNSET,
        date: Day | UnsetType = UNSET,
        start_time: TimeOfDay | UnsetType = UNSET,
        end_time: TimeOfDay | UnsetType = UNSET,
        **options: Unpack[CallOptions],
    ) -> None:
        """Change the given fields only; giving one of ``start_time``/``end_time`` keeps the
        other. The entry moves to a project with ``project_id`` (not a contract)."""
        await self._run(_UPDATE, locals())

    async def delete(
        self, time_entry_id: str, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> None:
        """Delete an entry for good (``workspace_id`` goes in the body, as the docs say)."""
        await self._run(_DELETE, locals())
