"""The Leaves group: ``/leaves`` (reference-time §5): leave requests and balances.

Approving and rejecting a leave, and the leave policies, are named in the docs but their pages
were not found, so they are not here; requesting leave (``create``) is in the older docs only.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING

from webwork_async._bulk import WorkspaceResult
from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator
from webwork_async._progress import ProgressCallback
from webwork_async.models.leaves import Leave, LeaveBalance, LeavePeriod, LeaveStatus
from webwork_async.resources._base import Resource
from webwork_async.resources._operations import LEAVE_DAYS, LEAVE_STATUS, Operation

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["LeavesResource"]

Day = datetime.date | str
Status = LeaveStatus | str
Paid = bool | str

_LIST = Operation[Leave]("GET", "leaves", Leave, checks=LEAVE_STATUS)
_CREATE = Operation[None](
    "POST",
    "leaves",
    None,
    frozenset({"workspace_id", "user_id", "policy_id", "start", "end"}),
    LEAVE_DAYS,
)
_BALANCES = Operation[LeaveBalance](
    "GET", "leaves/balances", LeaveBalance, frozenset({"workspace_id", "date_from", "date_to"})
)


class LeavesResource(Resource):
    """``ww.leaves``: list leave requests, request leave, read leave balances."""

    def list(
        self,
        *,
        workspace_id: int,
        id: str | None = None,
        policy_id: int | None = None,
        is_paid: Paid | None = None,
        status: Status | None = None,
        date_from: Day | None = None,
        date_to: Day | None = None,
        user_id: int | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Leave]:
        """Leave requests of a workspace: await for one page, ``async for`` for all of them.

        ``is_paid`` takes a bool (or the API's ``"yes"``/``"no"``); ``status`` a
        :class:`~webwork_async.models.LeaveStatus` value.
        """
        return self._list(_LIST, locals())

    def list_many(
        self,
        workspace_ids: Iterable[int],
        *,
        status: Status | None = None,
        is_paid: Paid | None = None,
        date_from: Day | None = None,
        date_to: Day | None = None,
        user_id: int | None = None,
        per_page: int | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[Leave], None]:
        """Every leave request of each workspace, yielded per workspace as it completes (like
        :meth:`ProjectsResource.list_many <webwork_async.resources.ProjectsResource.list_many>`):
        the payroll job's approved leaves of a month."""
        return self._list_many(_LIST, locals())

    async def create(
        self,
        *,
        workspace_id: int,
        user_id: int,
        policy_id: int,
        start: Day,
        end: Day,
        start_time: datetime.time | str | None = None,
        end_time: datetime.time | str | None = None,
        hours_per_day: float | None = None,
        leave_period: LeavePeriod | int | None = None,
        reason: str | None = None,
        **options: Unpack[CallOptions],
    ) -> None:
        """Request leave for member ``user_id`` under policy ``policy_id``, from ``start`` to
        ``end`` (dates, inclusive).

        An hour-based policy needs ``start_time``, ``end_time`` (``HH:MM``) and
        ``hours_per_day``; ``leave_period`` takes a day's half (a
        :class:`~webwork_async.models.LeavePeriod`). The service answers with no object.
        Never sent twice.
        """
        await self._run(_CREATE, locals())

    def balances(
        self,
        *,
        workspace_id: int,
        date_from: Day,
        date_to: Day,
        user_id: int | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[LeaveBalance]:
        """Leave balances of the members (or of ``user_id``) over ``date_from``..``date_to``,
        both required: await for one page, ``async for`` for all of them. The docs list no
        ``per_page`` for it; a walk sends one all the same, and the pagination it answers with
        decides."""
        return self._list(_BALANCES, locals())
