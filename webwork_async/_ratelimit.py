"""Client-side rate limiting: stay under the service's limit instead of learning it from 429s.

WebWork allows about 60 requests per minute per user token. :class:`RateLimiter` keeps at most
``requests`` requests in any window of ``period`` seconds, whether the service counts in a
sliding window or in fixed windows, and whatever the network delays. A request holds its slot
while it is in flight, and the slot comes back one period after the exchange *ended*: the
service counted the request at some moment between its sending and its answer, and the answer is
the latest that moment can be, so no two uses of one slot can ever fall within one period of the
service's clock, however late or early each request arrived there. (Counting from the sending
instead leaves the promise to the arrival jitter, which a loaded machine makes larger than any
small margin.) The limiter adapts to what the service says: lower announced limits,
``Remaining`` counts and ``Retry-After`` pauses, which hold back every request of the bucket
together.

The limiter does arithmetic on a clock it is given and never sleeps itself, so it is tested with
plain numbers; the request core does the waiting. One limiter is shared by every
:class:`~webwork_async.AsyncSession` of the process that uses the same token and base URL.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass

from webwork_async import _constants as defaults
from webwork_async._protocol import parse_retry_after
from webwork_async._validation import is_count, is_seconds
from webwork_async.errors import ConfigurationError

__all__ = ["RateLimit", "RateLimitHeaders", "RateLimiter", "read_rate_limit_headers"]


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` requests in any ``period`` seconds (the service: 60 per 60 s)."""

    requests: int = defaults.RATE_LIMIT_REQUESTS
    period: float = defaults.RATE_LIMIT_PERIOD

    def __post_init__(self) -> None:
        if not is_count(self.requests, 1):
            raise ConfigurationError(f"requests must be an int >= 1, got {self.requests!r}")
        if not is_seconds(self.period):
            raise ConfigurationError(f"period must be a number of seconds > 0, got {self.period!r}")


@dataclass(frozen=True)
class RateLimitHeaders:
    """What an answer's rate-limit headers said; None where a header was absent or unreadable.

    The reference says limits are announced in headers without naming them; these are the common
    names (``X-RateLimit-Limit``, ``X-RateLimit-Remaining``, ``X-RateLimit-Reset``,
    ``Retry-After``), read leniently.
    """

    limit: int | None = None
    remaining: int | None = None
    reset_after: float | None = None
    retry_after: float | None = None
    #: What the answer announced beyond sane bounds, each saying how it was taken instead.
    out_of_range: tuple[str, ...] = ()


def _header_number(value: str | None) -> float | None:
    """A header's value as a finite number >= 0, or None when absent or unreadable."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _whole_number(value: str | None) -> int | None:
    number = _header_number(value)
    return None if number is None else int(number)


def _reset_after(value: str | None, now_epoch: float) -> float | None:
    """``X-RateLimit-Reset`` as seconds from now: epoch seconds when large, else a delay."""
    number = _header_number(value)
    if number is not None and number >= defaults.RATE_LIMIT_RESET_EPOCH_THRESHOLD:
        return max(0.0, number - now_epoch)
    return number


def read_rate_limit_headers(
    headers: Mapping[str, str], *, now_epoch: float, max_wait: float = defaults.MAX_SERVER_WAIT
) -> RateLimitHeaders | None:
    """Read the rate-limit headers of an answer, or None when it carries none of them.

    Values beyond sane bounds are clamped, and ``out_of_range`` says so: a wait longer than
    ``max_wait`` seconds becomes ``max_wait``, a limit below ``MIN_ANNOUNCED_LIMIT`` becomes it.
    """
    limit_text = headers.get("X-RateLimit-Limit")
    remaining = headers.get("X-RateLimit-Remaining")
    reset = headers.get("X-RateLimit-Reset")
    retry_text = headers.get("Retry-After")
    if limit_text is None and remaining is None and reset is None and retry_text is None:
        return None
    notes: list[str] = []
    limit = _whole_number(limit_text)
    if limit is not None and limit < defaults.MIN_ANNOUNCED_LIMIT:
        notes.append(
            f"X-RateLimit-Limit {limit} is below {defaults.MIN_ANNOUNCED_LIMIT}; "
            f"taken as {defaults.MIN_ANNOUNCED_LIMIT}"
        )
        limit = defaults.MIN_ANNOUNCED_LIMIT
    waits = {
        "X-RateLimit-Reset": _reset_after(reset, now_epoch),
        "Retry-After": parse_retry_after(retry_text),
    }
    for name, wait in waits.items():
        if wait is not None and wait > max_wait:
            notes.append(f"{name} asks for a wait of {wait:.3g} s; pausing {max_wait:g} s at most")
            waits[name] = max_wait
    return RateLimitHeaders(
        limit=limit,
        remaining=_whole_number(remaining),
        reset_after=waits["X-RateLimit-Reset"],
        retry_after=waits["Retry-After"],
        out_of_range=tuple(notes),
    )


class RateLimiter:
    """A sliding window of requests for one token; thread-safe, clock passed in by the caller.

    :meth:`acquire` takes a slot for a request about to be sent, and :meth:`release` hands it
    back when that request's exchange has ended (answered, failed or cancelled); the slot is
    free again one period (plus a small margin) after the release. Every granted acquire must be
    released exactly once.

    Each open session attaches the rate it asked for and detaches it when it closes; the window
    paces at the strictest rate attached. With none (or only ``None``) attached nothing is paced,
    but 429 pauses and ``Remaining: 0`` still hold requests back.
    """

    def __init__(self, key: str | None = None) -> None:
        self._key = key  # where shared_limiter keeps it; None for a limiter of its own
        self._lock = threading.Lock()
        self._attached: list[RateLimit | None] = []
        self._announced: int | None = None  # a lower X-RateLimit-Limit the service sent
        self._capacity: int | None = None
        self._period = 0.0
        self._margin = 0.0
        # When each slot used in the current window comes back (a min-heap), and how many slots
        # requests in flight hold (they come back one period after their release).
        self._returns: list[float] = []
        self._in_flight = 0
        self._paused_until = 0.0

    @property
    def key(self) -> str:
        """The hash ``shared_limiter`` keeps it by ("" for a limiter of its own): what a
        coordination backend shares the token's limit by, never the token."""
        return self._key or ""

    @property
    def capacity(self) -> int | None:
        """Requests allowed per window, None when pacing is off."""
        return self._capacity

    def attach(self, rate: RateLimit | None) -> None:
        """A session that asked for ``rate`` starts using this limiter."""
        with self._lock:
            self._attached.append(rate)
            self._pace_at_strictest()

    def detach(self, rate: RateLimit | None) -> None:
        """A session that attached ``rate`` is done with this limiter."""
        with self._lock:
            self._attached.remove(rate)
            self._pace_at_strictest()

    def _pace_at_strictest(self) -> None:
        paced = [rate for rate in self._attached if rate is not None]
        if not paced:
            self._capacity = None
            return
        strictest = min(paced, key=lambda rate: rate.requests / rate.period)
        self._capacity = strictest.requests
        if self._announced is not None:
            self._capacity = min(self._capacity, self._announced)
        self._period = float(strictest.period)
        self._margin = self._period * defaults.RATE_LIMIT_MARGIN

    def acquire(self, now: float) -> float:
        """Take a slot and return 0.0, or return how many seconds to wait before asking again."""
        with self._lock:
            if now < self._paused_until:
                return self._paused_until - now
            if self._capacity is not None:
                returns = self._in_use(now)
                if len(returns) + self._in_flight >= self._capacity:
                    # A slot in flight comes back a period after its release, at the earliest
                    # a period from now: no slot is free before the sooner of the two.
                    earliest = now + self._period + self._margin
                    return (min(returns[0], earliest) if returns else earliest) - now
            self._in_flight += 1
            return 0.0

    def release(self, now: float) -> None:
        """The exchange of a request that :meth:`acquire` let go ended at ``now``."""
        with self._lock:
            self._in_flight -= 1
            if self._capacity is not None:
                heapq.heappush(self._in_use(now), now + self._period + self._margin)

    def _in_use(self, now: float) -> list[float]:
        """The return times of the slots still in use at ``now`` (expired ones dropped)."""
        returns = self._returns
        while returns and returns[0] <= now:
            heapq.heappop(returns)
        return returns

    def observe(self, info: RateLimitHeaders, now: float, *, rejected: bool) -> None:
        """Adapt to an answer's headers; ``rejected`` is True for a 429 (headers or not)."""
        with self._lock:
            if self._capacity is not None and info.limit and info.limit < self._capacity:
                self._announced = self._capacity = info.limit
            if rejected:
                wait = info.retry_after if info.retry_after is not None else info.reset_after
                self._pause(now, defaults.RETRY_BACKOFF if wait is None else wait)
            elif info.remaining is not None:
                self._hold_back(info.remaining, info.reset_after, now)

    def _pause(self, now: float, seconds: float) -> None:
        """Hold every request back until ``now + seconds``, then pace as if the window were full.

        The service's window was full when it refused, so the slots this client does not know to
        be in use (another process, another session) are assumed busy and come back spread over
        one period after the pause, instead of all at once.
        """
        until = now + seconds
        self._paused_until = max(self._paused_until, until)
        if self._key is not None:
            _keep_until(self._key, self, self._paused_until)
        if self._capacity is None:
            return
        returns = self._in_use(now)
        unknown = self._capacity - len(returns) - self._in_flight
        for index in range(unknown):
            heapq.heappush(returns, until + self._period * (index + 1) / unknown)

    def _hold_back(self, remaining: int, reset_after: float | None, now: float) -> None:
        """Never believe in more free slots than the service says remain."""
        if self._capacity is None:
            if remaining == 0 and reset_after is not None:
                self._pause(now, reset_after)
            return
        returns = self._in_use(now)
        surplus = self._capacity - len(returns) - self._in_flight - remaining
        back = now + (reset_after if reset_after is not None else self._period) + self._margin
        for _ in range(max(0, surplus)):
            heapq.heappush(returns, back)


# One limiter per (token, base URL) in the process, alive while a session holds it, and while
# a pause it was told of lasts: a 429's pause outlives every session that met it, until it ends.
_shared: weakref.WeakValueDictionary[str, RateLimiter] = weakref.WeakValueDictionary()
_paused: dict[str, tuple[float, RateLimiter]] = {}  # key -> (paused until, limiter)
_shared_lock = threading.Lock()


def _keep_until(key: str, limiter: RateLimiter, until: float) -> None:
    """Hold ``limiter`` alive until the monotonic time ``until``, its pause's end."""
    with _shared_lock:
        _paused[key] = (until, limiter)


def shared_limiter(token: str, base_url: str, *, now: float | None = None) -> RateLimiter:
    """The limiter for ``token`` at ``base_url``, shared with every other live session using it.

    The key is a hash, so the token itself is not kept here.
    """
    key = hashlib.sha256(f"{base_url}\0{token}".encode()).hexdigest()
    current = time.monotonic() if now is None else now
    with _shared_lock:
        for expired in [k for k, (until, _) in _paused.items() if until <= current]:
            del _paused[expired]
        limiter = _shared.get(key)
        if limiter is None:
            limiter = _shared[key] = RateLimiter(key)
        return limiter
