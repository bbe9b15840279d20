"""The Timesheets group: ``/timesheets`` (reference-time §3). Timesheet ids are opaque strings.

A timesheet moves open -> submitted -> approved or rejected (a rejected one can be submitted
again, a submitted one unsubmitted). The four moves are PUTs, but none is replayed after it may
have reached the service: the second of two approvals fails with "only submitted timesheets can
be approved", which would hide that the first one worked.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING

from webwork_async._bulk import WorkspaceResult
from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator
from webwork_async._progress import ProgressCallback
from webwork_async.models.timesheets import Timesheet, TimesheetStatus
from webwork_async.resources._base import Resource
from webwork_async.resources._operations import TIMESHEET_STATUS, Operation

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["TimesheetsResource"]

Status = TimesheetStatus | str

_LIST = Operation[Timesheet]("GET", "timesheets", Timesheet, checks=TIMESHEET_STATUS)


def _move(action: str, *extra: str) -> Operation[None]:
    """A status change of one timesheet: a PUT that is never replayed."""
    required = frozenset({"workspace_id", *extra})
    path = f"timesheets/{{timesheet_id}}/{action}"
    return Operation[None]("PUT", path, None, required, idempotent=False)


_APPROVE, _REJECT = _move("approve"), _move("reject", "reason")
_SUBMIT, _UNSUBMIT = _move("submit"), _move("unsubmit")


class TimesheetsResource(Resource):
    """``ww.timesheets``: list timesheets; submit, unsubmit, approve and reject them."""

    def list(
        self,
        *,
        workspace_id: int,
        id: str | None = None,
        status: Status | None = None,
        date_from: datetime.date | str | None = None,
        date_to: datetime.date | str | None = None,
        user_id: int | None = None,
        order_by: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Timesheet]:
        """Timesheets of a workspace: await for one page, ``async for`` for all of them.

        ``status`` is a :class:`~webwork_async.models.TimesheetStatus` value; ``date_from`` and
        ``date_to`` (inclusive) bound the pay periods. ``user_id`` and ``order_by``
        (``"asc"``/``"desc"`` by creation) come from the older docs.
        """
        return self._list(_LIST, locals())

    def list_many(
        self,
        workspace_ids: Iterable[int],
        *,
        status: Status | None = None,
        date_from: datetime.date | str | None = None,
        date_to: datetime.date | str | None = None,
        user_id: int | None = None,
        per_page: int | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[Timesheet], None]:
        """Every timesheet of each workspace, yielded per workspace as it completes (like
        :meth:`ProjectsResource.list_many <webwork_async.resources.ProjectsResource.list_many>`):
        the payroll job's "approved timesheets of last month" in one call."""
        return self._list_many(_LIST, locals())

    async def submit(
        self, timesheet_id: str, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> None:
        """Submit an open (or rejected) timesheet for approval. Never sent twice."""
        await self._run(_SUBMIT, locals())

    async def unsubmit(
        self, timesheet_id: str, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> None:
        """Take a submitted timesheet back to open, so that it can be edited. Never sent twice."""
        await self._run(_UNSUBMIT, locals())

    async def approve(
        self, timesheet_id: str, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> None:
        """Approve a submitted timesheet (owners and executive managers). Never sent twice."""
        await self._run(_APPROVE, locals())

    async def reject(
        self, timesheet_id: str, *, workspace_id: int, reason: str, **options: Unpack[CallOptions]
    ) -> None:
        """Reject a submitted timesheet; the ``reason`` is shown to the member. Never sent
        twice."""
        await self._run(_REJECT, locals())
