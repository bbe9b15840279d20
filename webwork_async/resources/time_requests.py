"""The Time Requests group: ``/time-requests`` (reference-time §4): manual time, asked for and
then approved or rejected once. Request ids are opaque strings.

Approve and reject are POSTs in the older docs (the newer pages for them were not retrievable),
and neither is ever replayed after it may have reached the service.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING

from webwork_async._bulk import WorkspaceResult
from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator
from webwork_async._progress import ProgressCallback
from webwork_async.models.time_requests import TimeRequest, TimeRequestStatus
from webwork_async.resources._base import Resource
from webwork_async.resources._operations import TIME_REQUEST_STATUS, Operation

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["TimeRequestsResource"]

Status = TimeRequestStatus | str
Moment = datetime.datetime | str

_LIST = Operation[TimeRequest]("GET", "time-requests", TimeRequest, checks=TIME_REQUEST_STATUS)
_GET = Operation[TimeRequest]("GET", "time-requests/{request_id}", TimeRequest)
_CREATE = Operation[TimeRequest](
    "POST",
    "time-requests",
    TimeRequest,
    frozenset({"workspace_id", "user_id", "contract_id", "start", "end"}),
)
_APPROVE = Operation[TimeRequest | None](
    "POST", "time-requests/{request_id}/approve", TimeRequest | None
)
_REJECT = Operation[TimeRequest | None](
    "POST",
    "time-requests/{request_id}/reject",
    TimeRequest | None,
    frozenset({"workspace_id", "comment"}),
)


class TimeRequestsResource(Resource):
    """``ww.time_requests``: list, get, create, approve and reject requests for manual time."""

    def list(
        self,
        *,
        workspace_id: int,
        id: str | None = None,
        status: Status | None = None,
        user_id: int | None = None,
        project_id: int | None = None,
        date_from: datetime.date | str | None = None,
        date_to: datetime.date | str | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[TimeRequest]:
        """Time requests of a workspace, of every status unless ``status`` says: await for one
        page, ``async for`` for all of them.

        ``date_from``/``date_to`` (inclusive) bound the requests' start dates; the older docs
        require both, the newer make them optional. ``project_id`` is from the older docs.
        """
        return self._list(_LIST, locals())

    def list_many(
        self,
        workspace_ids: Iterable[int],
        *,
        status: Status | None = None,
        user_id: int | None = None,
        date_from: datetime.date | str | None = None,
        date_to: datetime.date | str | None = None,
        per_page: int | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[TimeRequest], None]:
        """Every time request of each workspace, yielded per workspace as it completes (like
        :meth:`ProjectsResource.list_many <webwork_async.resources.ProjectsResource.list_many>`)."""
        return self._list_many(_LIST, locals())

    async def get(
        self, request_id: str, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> TimeRequest:
        """One time request; :class:`~webwork_async.errors.NotFoundError` if not in the
        workspace."""
        return await self._run(_GET, locals())

    async def create(
        self,
        *,
        workspace_id: int,
        user_id: int,
        contract_id: int,
        start: Moment,
        end: Moment,
        notes: str | None = None,
        task_id: int | None = None,
        activity_description: str | None = None,
        **options: Unpack[CallOptions],
    ) -> TimeRequest:
        """Ask for time from ``start`` to ``end`` (aware datetimes, or ISO 8601 strings with an
        offset; ``end`` after ``start``) for member ``user_id`` on one of their contracts.

        The request starts as ``pending``; by the older docs a workspace with auto-approval may
        add the time at once. ``notes`` is the newer docs' memo, ``activity_description`` the
        older docs'. Never sent twice.
        """
        return await self._run(_CREATE, locals())

    async def approve(
        self, request_id: str, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> TimeRequest | None:
        """Approve a pending request: its time is added. Gives the request as it is now, when
        the service sends it. Never sent twice."""
        return await self._run(_APPROVE, locals())

    async def reject(
        self, request_id: str, *, workspace_id: int, comment: str, **options: Unpack[CallOptions]
    ) -> TimeRequest | None:
        """Reject a pending request with a ``comment`` that tells why. Never sent twice."""
        return await self._run(_REJECT, locals())
