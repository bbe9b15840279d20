"""The Time Tracking group: ``/time-tracking`` (reference-time §1): clock members in and out.

Starting and stopping are never replayed after they may have reached the service: a second
start is refused ("already running") and a second stop would stop the next session's tracker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from webwork_async._options import CallOptions
from webwork_async.models.time_tracking import CurrentTracker, TrackingStart, TrackingStop
from webwork_async.resources._base import Resource
from webwork_async.resources._operations import Operation

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["TimeTrackingResource"]

_OF_USER = frozenset({"workspace_id", "user_id"})
_START = Operation[TrackingStart](
    "POST", "time-tracking/start", TrackingStart, _OF_USER | {"contract_id"}
)
_STOP = Operation[TrackingStop]("POST", "time-tracking/stop", TrackingStop)
_CURRENT = Operation[CurrentTracker | None](
    "GET", "time-tracking/current-data", CurrentTracker | None, _OF_USER
)


class TimeTrackingResource(Resource):
    """``ww.time_tracking``: start and stop a member's tracker, read the running one."""

    async def start(
        self,
        *,
        workspace_id: int,
        user_id: int,
        contract_id: int,
        task_id: int | None = None,
        activity_description: str | None = None,
        **options: Unpack[CallOptions],
    ) -> TrackingStart:
        """Start tracking time for member ``user_id`` on one of their contracts (a ``task_id``
        of the contract's project optional). Refused while that member's tracker runs.

        ``contract_id`` is required by the newer docs (the older ones tracked time without a
        project when it was left out). Never sent twice.
        """
        return await self._run(_START, locals())

    async def stop(
        self, *, workspace_id: int, user_id: int | None = None, **options: Unpack[CallOptions]
    ) -> TrackingStop:
        """Stop a running tracker: by the newer docs the caller's own (no ``user_id``), by the
        older ones member ``user_id``'s (give it to stop someone else's). Refused when none
        runs. ``workspace_id`` is always sent; the newer docs document no body. Never sent
        twice.
        """
        return await self._run(_STOP, locals())

    async def current(
        self, *, workspace_id: int, user_id: int, **options: Unpack[CallOptions]
    ) -> CurrentTracker | None:
        """The running tracker of member ``user_id``, or None when none runs (only trackers
        started from the API or a browser are visible; from the older docs)."""
        return await self._run(_CURRENT, locals())
