"""Per-call options: the overrides every operation accepts, checked before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import aiohttp

from webwork_async._progress import RequestStats
from webwork_async._validation import is_count, is_seconds
from webwork_async.errors import InvalidArgumentError

__all__ = ["CallOptions", "CallSettings", "attempt_timeout"]


class CallOptions(TypedDict, total=False):
    """Keyword arguments that every operation takes to override the session's settings.

    Attributes:
        timeout: seconds for one attempt (connect, send, read), counted from the moment the
            request is sent; queueing for the concurrency limit or the rate limiter is not part
            of it.
        total_timeout: seconds for the whole call from the moment it is made: queueing, every
            attempt and every wait between attempts.
        max_retries: attempts after the first (0 = no retry); only failures that are safe to
            repeat are retried.
        strict: True makes one list item that does not fit its model fail the whole page with
            :class:`~webwork_async.errors.DecodeError`; by default the other items arrive and
            the bad one is reported in ``item_errors``.
    """

    timeout: float
    total_timeout: float
    max_retries: int
    strict: bool


@dataclass(frozen=True)
class CallSettings:
    """The resolved settings of one call: the session's, with the call's options applied.

    ``strict`` makes one bad item fail its whole page. ``stats``, when set, is where the request
    core counts the requests of one job (for its progress callback); ``deadline_at``
    (``time.monotonic()``) bounds a call that is part of a longer one (a page of a walk gathered
    whole) by that call's deadline.
    """

    timeout: aiohttp.ClientTimeout
    total_timeout: float
    max_retries: int
    strict: bool = False
    stats: RequestStats | None = None
    deadline_at: float | None = None

    def apply(self, options: CallOptions) -> CallSettings:
        """These settings with ``options`` applied; a bad option raises InvalidArgumentError."""
        if not options:
            return self
        timeout, total_timeout, max_retries = self.timeout, self.total_timeout, self.max_retries
        strict = self.strict
        for name, value in options.items():
            if name == "timeout":
                timeout = attempt_timeout(self.timeout, _seconds(name, value))
            elif name == "total_timeout":
                total_timeout = _seconds(name, value)
            elif name == "max_retries":
                if not is_count(value, 0):
                    raise InvalidArgumentError(name, f"must be an int >= 0, got {value!r}")
                max_retries = value
            elif name == "strict":
                if not isinstance(value, bool):
                    raise InvalidArgumentError(name, f"must be True or False, got {value!r}")
                strict = value
            else:
                raise InvalidArgumentError(
                    name, "unknown option; expected timeout, total_timeout, max_retries or strict"
                )
        return CallSettings(
            timeout=timeout,
            total_timeout=total_timeout,
            max_retries=max_retries,
            strict=strict,
            stats=self.stats,
            deadline_at=self.deadline_at,
        )

    def within(self, stats: RequestStats | None, deadline_at: float | None) -> CallSettings:
        """These settings counted in ``stats`` and bounded by ``deadline_at`` (None: unchanged)."""
        if stats is None and deadline_at is None:
            return self
        # Built directly: dataclasses.replace costs more than the rest of this, once per page.
        return CallSettings(
            self.timeout, self.total_timeout, self.max_retries, self.strict, stats, deadline_at
        )


def _seconds(name: str, value: object) -> float:
    if not is_seconds(value):
        raise InvalidArgumentError(name, f"must be a number of seconds > 0, got {value!r}")
    return float(value)


def attempt_timeout(base: aiohttp.ClientTimeout, total: float) -> aiohttp.ClientTimeout:
    """``base`` with its total set to ``total``, and no phase allowed to outlast the total."""

    def capped(phase: float | None) -> float | None:
        return None if phase is None else min(phase, total)

    return aiohttp.ClientTimeout(
        total=total,
        connect=capped(base.connect),
        sock_read=capped(base.sock_read),
        sock_connect=capped(base.sock_connect),
    )
