"""Progress of a bulk job or a page walk: what a ``progress`` callback is given, and the counts.

A long job (300 workspaces at 60 requests a minute is five minutes) should show signs of life.
``list_many(..., progress=callback)``, ``paginator.pages(progress=callback)`` and
``paginator.to_list(progress=callback)`` call ``callback(JobProgress)`` each time a workspace or a
page is finished. Nothing is counted when no callback is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["JobProgress", "ProgressCallback", "ProgressTracker", "RequestStats"]


@dataclass(frozen=True)
class JobProgress:
    """How far a job has come, at the moment a workspace (or a page) was finished.

    Attributes:
        done: workspaces finished (``list_many``), complete or failed; pages (a page walk).
        total: how many there are: the distinct workspaces asked for, or the pages from the one
            the walk started at to ``last_page``; None while the service has not told it.
        failed: of ``done``, the workspaces that ended with an error (always 0 for a page walk).
        items: items received so far.
        requests: requests sent so far, every attempt counted.
        retries: attempts that were retries of a failed one.
        rate_limit_waits: requests that had to wait for the rate limiter.
        rate_limit_wait_seconds: the time those requests spent waiting, summed.
        elapsed: seconds since the job started.
    """

    done: int
    total: int | None
    failed: int
    items: int
    requests: int
    retries: int
    rate_limit_waits: int
    rate_limit_wait_seconds: float
    elapsed: float


#: What ``progress=`` takes: a plain function, called in the task that consumes the results.
ProgressCallback = Callable[[JobProgress], object]


class RequestStats:
    """What the request core counts for one job, when the job's settings carry it."""

    __slots__ = ("rate_limit_wait_seconds", "rate_limit_waits", "requests", "retries")

    def __init__(self) -> None:
        self.requests = 0
        self.retries = 0
        self.rate_limit_waits = 0
        self.rate_limit_wait_seconds = 0.0


class ProgressTracker:
    """Counts one job's finished units; hands a :class:`JobProgress` to the callback each time."""

    __slots__ = ("_callback", "_started", "done", "failed", "items", "stats", "total")

    def __init__(self, callback: ProgressCallback, total: int | None) -> None:
        self._callback = callback
        self._started = time.monotonic()
        self.stats = RequestStats()
        self.total = total
        self.done = 0
        self.failed = 0
        self.items = 0

    def finished(self, items: int, *, failed: bool = False) -> None:
        """One unit (workspace or page) is finished with ``items`` items."""
        self.done += 1
        self.failed += failed
        self.items += items
        stats = self.stats
        self._callback(
            JobProgress(
                done=self.done,
                total=self.total,
                failed=self.failed,
                items=self.items,
                requests=stats.requests,
                retries=stats.retries,
                rate_limit_waits=stats.rate_limit_waits,
                rate_limit_wait_seconds=stats.rate_limit_wait_seconds,
                elapsed=time.monotonic() - self._started,
            )
        )
