"""Fault injection and rate-limit enforcement of the fake server.

:meth:`FakeWebWork.inject <webwork_async.testing.FakeWebWork.inject>` adds a :class:`FaultRule`;
:meth:`~webwork_async.testing.FakeWebWork.enforce_rate_limit` turns on a sliding-window limit.
Every request goes record -> auth -> rate limit -> faults -> handler, and its answer then goes
through :func:`deliver`, which plays the wire part of a fault (cut, rewritten, delayed or dropped
answers) and stores the outcome on the recorded request.

Whether a rule fires is decided from a hash of the seed, the rule's position, the request's
method, path, sorted query and body, and how many identical requests came before, so the same
seed and the same set of requests get the same faults whatever order they arrive in.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import math
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any, Final

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler

from ._http import STATE_KEY, ApiError, api_path, json_response, meta
from ._state import FakeState, RecordedRequest


class FaultKind(str, enum.Enum):
    """What an injected fault does; see :meth:`FakeWebWork.inject` for each kind."""

    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    RESET_BEFORE_ANSWER = "reset_before_answer"
    RESET_MID_BODY = "reset_mid_body"
    TRUNCATED_JSON = "truncated_json"
    INVALID_JSON = "invalid_json"
    SCHEMA_MISMATCH = "schema_mismatch"
    SLOW = "slow"
    IN_BAND_FAILURE = "in_band_failure"


#: ``server_error`` statuses and their envelope messages.
SERVER_ERRORS: Final = {
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
#: Kinds that change the answer's body after the handler ran.
_BODY_FAULTS: Final = frozenset(
    {FaultKind.TRUNCATED_JSON, FaultKind.INVALID_JSON, FaultKind.SCHEMA_MISMATCH}
)
_HTML_PAGE: Final = (
    b"<!DOCTYPE html>\n<html><head><title>Maintenance</title></head>"
    b"<body><h1>We'll be back soon</h1><p>The service is temporarily unavailable.</p>"
    b"</body></html>\n"
)
#: How long a shutting-down server waits for the answers it cut short.
_RELEASE_TIMEOUT: Final = 5.0


def format_seconds(seconds: float) -> str:
    """Seconds for a header: "0.25" when fractional (milliseconds at most), "2" when whole."""
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


# --- rules ---------------------------------------------------------------------------------------


@dataclass
class _Tally:
    fired: int = 0
    hits: int = 0
    #: identical-request digest -> first occurrence no longer in the current burst
    burst_ends: dict[bytes, int] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class FaultRule:
    """One injected fault and the requests it applies to; made by :meth:`FakeWebWork.inject`.

    The settings are read-only. :attr:`fired` counts how often the rule fired (what ``times``
    limits); :attr:`hits` counts the requests that got its fault, burst followers included.
    """

    kind: FaultKind
    method: str | None
    path: str | None
    probability: float
    times: int | None
    burst: int
    status: int
    retry_after: float
    delay: float
    seed: int | None
    _lock: threading.RLock = field(repr=False)
    _tally: _Tally = field(default_factory=_Tally, repr=False)

    @property
    def fired(self) -> int:
        """How many times the rule fired (a burst counts once)."""
        with self._lock:
            return self._tally.fired

    @property
    def hits(self) -> int:
        """How many requests got this rule's fault."""
        with self._lock:
            return self._tally.hits

    def _applies(
        self, index: int, seed: int, method: str, path: str, identity: bytes, occurrence: int
    ) -> bool:
        """Decide for one request (call with the lock held); count a hit when it applies."""
        if (self.method is not None and self.method != method) or (
            self.path is not None and not fnmatchcase(path, self.path)
        ):
            return False
        tally = self._tally
        if occurrence >= tally.burst_ends.get(identity, 0):
            if self.times is not None and tally.fired >= self.times:
                return False
            if _unit(seed, index, identity, occurrence) >= self.probability:
                return False
            tally.fired += 1
            if self.burst > 1:
                tally.burst_ends[identity] = occurrence + self.burst
        tally.hits += 1
        return True


def _identity(method: str, path: str, query: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """Digest naming identical requests: same method, path, query (any order) and body."""
    encoded = msgspec.msgpack.encode([method, path, sorted(query), body])
    return hashlib.blake2b(encoded, digest_size=16).digest()


def _unit(seed: int, index: int, identity: bytes, occurrence: int) -> float:
    """Repeatable pseudo-random number in [0, 1) for one rule and one request occurrence."""
    digest = hashlib.blake2b(
        f"{seed}:{index}:{occurrence}:".encode() + identity, digest_size=8
    ).digest()
    return int.from_bytes(digest, "big") / 2.0**64


class FaultInjector:
    """The fault rules of one fake and the per-request counts behind their decisions."""

    def __init__(self, lock: threading.RLock) -> None:
        """No rules yet; ``lock`` is the fake's state lock."""
        self._lock = lock
        self._rules: list[FaultRule] = []
        self._seen: dict[bytes, int] = {}
        self._seed = 0

    @property
    def seed(self) -> int:
        """Seed of the rules made without their own."""
        with self._lock:
            return self._seed

    @seed.setter
    def seed(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"the fault seed must be an int, not {value!r}")
        with self._lock:
            self._seed = value

    def add(
        self,
        kind: FaultKind | str,
        *,
        method: str | None,
        path: str | None,
        probability: float,
        times: int | None,
        burst: int,
        status: int | None,
        retry_after: float,
        delay: float,
        seed: int | None,
    ) -> FaultRule:
        """Validate the settings and append a rule (checked after the earlier ones)."""
        fault = _fault_kind(kind)
        if status is None:
            status = 503
        elif fault is not FaultKind.SERVER_ERROR:
            raise ValueError("status applies to server_error faults only")
        if status not in SERVER_ERRORS:
            raise ValueError(f"server_error status must be one of {sorted(SERVER_ERRORS)}")
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability must be between 0 and 1, not {probability!r}")
        if times is not None and times < 1:
            raise ValueError(f"times must be at least 1 (or None), not {times!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, not {burst!r}")
        if not (math.isfinite(retry_after) and retry_after >= 0):
            raise ValueError(f"retry_after must be a finite number >= 0, not {retry_after!r}")
        if not (math.isfinite(delay) and delay >= 0):
            raise ValueError(f"delay must be a finite number >= 0, not {delay!r}")
        rule = FaultRule(
            kind=fault,
            method=method.upper() if method is not None else None,
            path=api_path(path) if path is not None else None,
            probability=float(probability),
            times=times,
            burst=burst,
            status=status,
            retry_after=float(retry_after),
            delay=float(delay),
            seed=seed,
            _lock=self._lock,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Drop every rule and forget the identical-request counts."""
        with self._lock:
            self._rules.clear()
            self._seen.clear()

    def decide(
        self, method: str, path: str, query: Iterable[tuple[str, str]], body: bytes
    ) -> FaultRule | None:
        """The first rule that fires for this request, or ``None``.

        Identical requests are only counted while at least one rule is set.
        """
        with self._lock:
            if not self._rules:
                return None
            identity = _identity(method, path, query, body)
            occurrence = self._seen.get(identity, 0)
            self._seen[identity] = occurrence + 1
            for index, rule in enumerate(self._rules):
                seed = rule.seed if rule.seed is not None else self._seed
                if rule._applies(index, seed, method, path, identity, occurrence):
                    return rule
            return None


def _fault_kind(kind: FaultKind | str) -> FaultKind:
    try:
        return FaultKind(kind)
    except ValueError:
        known = ", ".join(member.value for member in FaultKind)
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {known}") from None


# --- rate limit ----------------------------------------------------------------------------------


class RateLimiter:
    """A sliding-window request limit per bearer token; off until :meth:`configure`."""

    def __init__(self, lock: threading.RLock) -> None:
        """Start switched off; ``lock`` is the fake's state lock."""
        self._lock = lock
        self._limit: tuple[int, float] | None = None
        self._windows: dict[str, deque[float]] = {}

    def configure(self, requests: int | None, period: float) -> None:
        """Allow ``requests`` per ``period`` seconds (``None`` switches off); empty the windows."""
        if requests is not None:
            if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
                raise ValueError(f"requests must be a positive integer, not {requests!r}")
            if not (math.isfinite(period) and period > 0):
                raise ValueError(f"period must be a positive number of seconds, not {period!r}")
        with self._lock:
            self._limit = (requests, float(period)) if requests is not None else None
            self._windows.clear()

    def admit(self, key: str) -> tuple[bool, dict[str, str]]:
        """Count one request of ``key`` if it fits; return whether it may pass and the headers.

        The headers are empty when no limit is set. A rejected request is not counted; its
        ``Retry-After`` is the time until the oldest counted request leaves the window, rounded
        up to milliseconds.
        """
        with self._lock:
            if self._limit is None:
                return True, {}
            requests, period = self._limit
            now = time.monotonic()
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - period:
                window.popleft()
            headers = {"X-RateLimit-Limit": str(requests)}
            if len(window) < requests:
                window.append(now)
                headers["X-RateLimit-Remaining"] = str(requests - len(window))
                return True, headers
            wait = max(1, math.ceil((window[0] + period - now) * 1000)) / 1000
        headers["X-RateLimit-Remaining"] = "0"
        headers["Retry-After"] = format_seconds(wait)
        headers["X-RateLimit-Reset"] = format_seconds(time.time() + wait)
        return False, headers


# --- the pipeline steps --------------------------------------------------------------------------


@dataclass
class Exchange:
    """What happens to one recorded request while it is answered; see :meth:`finish`."""

    entry: RecordedRequest
    index: int
    rule: FaultRule | None = None
    executed: bool = False
    rate_limited: bool = False
    #: added to the answer (rate-limit headers)
    headers: dict[str, str] = field(default_factory=dict)

    def finish(self, state: FakeState, status: int | None) -> None:
        """Replace the recorded entry by one telling the outcome (unless the log was reset)."""
        done = replace(
            self.entry,
            status=status,
            fault=self.rule.kind.value if self.rule is not None else None,
            executed=self.executed,
            rate_limited=self.rate_limited,
        )
        with state.lock:
            if self.index < len(state.requests) and state.requests[self.index] is self.entry:
                state.requests[self.index] = done


def check_rate_limit(request: web.Request, token: str, exchange: Exchange) -> None:
    """Count the request against the token's window; 429 "Too Many Attempts." when full."""
    allowed, headers = request.app[LIMITER_KEY].admit(token)
    exchange.headers.update(headers)
    if not allowed:
        exchange.rate_limited = True
        raise _too_many_attempts()


def _too_many_attempts(headers: dict[str, str] | None = None) -> ApiError:
    return ApiError(429, "Too Many Attempts.", error="Rate limit exceeded", headers=headers)


async def run_handler(
    request: web.Request, handler: Handler, exchange: Exchange
) -> web.StreamResponse:
    """Decide the fault of an admitted request; answer it instead or run the route handler."""
    entry = exchange.entry
    rule = request.app[FAULTS_KEY].decide(
        entry.method, entry.path, request.query.items(), entry.body
    )
    exchange.rule = rule
    if rule is not None:
        if rule.kind is FaultKind.RATE_LIMIT:
            raise _too_many_attempts({"Retry-After": format_seconds(rule.retry_after)})
        if rule.kind is FaultKind.SERVER_ERROR:
            raise ApiError(
                rule.status, SERVER_ERRORS[rule.status], error="The request could not be handled"
            )
        if rule.kind is FaultKind.IN_BAND_FAILURE:
            payload = {
                "success": False,
                "message": "The request could not be processed, please try again later",
                "error": "Temporary failure",
                "data": None,
                "meta": meta(request.app[STATE_KEY]),
            }
            return json_response(payload)
    exchange.executed = True
    return await handler(request)


async def deliver(
    request: web.Request, response: web.StreamResponse, exchange: Exchange
) -> web.StreamResponse:
    """Finish an answer: add rate-limit headers, play the fault's wire part, note the outcome."""
    state = request.app[STATE_KEY]
    response.headers.update(exchange.headers)
    rule = exchange.rule
    kind = rule.kind if rule is not None else None
    if (
        rule is not None
        and kind is FaultKind.SLOW
        and not await request.app[SLOW_KEY].wait(rule.delay)
    ):
        kind = FaultKind.RESET_BEFORE_ANSWER  # the server is shutting down: drop the answer
    if kind is FaultKind.RESET_BEFORE_ANSWER:
        exchange.finish(state, None)
        _drop(request)
        return response
    if isinstance(response, web.Response) and isinstance(response.body, bytes):
        if kind is FaultKind.RESET_MID_BODY:
            exchange.finish(state, response.status)
            return await _send_half_then_drop(request, response, response.body)
        if kind in _BODY_FAULTS:
            _rewrite(response, kind, response.body)
    exchange.finish(state, response.status)
    return response


def _drop(request: web.Request) -> None:
    """Close the connection: what was written is still sent, then the client sees EOF."""
    transport = request.transport
    if transport is not None:
        transport.close()


async def _send_half_then_drop(
    request: web.Request, response: web.Response, body: bytes
) -> web.StreamResponse:
    stream = web.StreamResponse(
        status=response.status, reason=response.reason, headers=response.headers
    )
    stream.content_length = len(body)
    with contextlib.suppress(ConnectionError):  # the client left already: nothing to cut
        await stream.prepare(request)
        await stream.write(body[: len(body) // 2])
    _drop(request)
    return stream


def _rewrite(response: web.Response, kind: FaultKind | None, body: bytes) -> None:
    if kind is FaultKind.TRUNCATED_JSON:
        response.body = body[: len(body) // 2]
    elif kind is FaultKind.INVALID_JSON:
        response.body = _HTML_PAGE
        response.content_type = "text/html"
        response.charset = "utf-8"
    else:
        payload = msgspec.json.decode(body)
        if isinstance(payload, dict) and "data" in payload:
            payload["data"] = _mismatch(payload["data"])
            response.body = msgspec.json.encode(payload)


def _mismatch(data: Any) -> Any:
    """``data`` reshaped so that no documented schema fits it."""
    if isinstance(data, list):
        return [_mismatch(item) for item in data] or ["x-unexpected"]
    if isinstance(data, dict):
        return {key: _mismatch_field(key, value) for key, value in data.items()}
    return "x-unexpected"


def _mismatch_field(key: str, value: Any) -> Any:
    if key == "id":
        return f"x-{value}"
    if key == "name" or key.endswith("_name"):
        return {"value": value}
    return value


class SlowAnswers:
    """Holds ``slow`` answers back; ends the delays early when the server shuts down."""

    def __init__(self) -> None:
        """No answer is waiting yet."""
        self._closing = asyncio.Event()
        self._waiting: set[asyncio.Task[Any]] = set()

    async def wait(self, delay: float) -> bool:
        """Wait ``delay`` seconds; ``False`` when the server started shutting down first."""
        task = asyncio.current_task()
        assert task is not None  # always called from a request's task
        self._waiting.add(task)
        try:
            await asyncio.wait_for(self._closing.wait(), delay)
        except asyncio.TimeoutError:
            return True
        finally:
            self._waiting.discard(task)
        return False

    async def release(self, app: web.Application) -> None:
        """``on_shutdown`` hook: end every delay and wait until those requests are done."""
        self._closing.set()
        if self._waiting:
            await asyncio.wait(set(self._waiting), timeout=_RELEASE_TIMEOUT)


FAULTS_KEY: Final = web.AppKey("webwork_fake_faults", FaultInjector)
LIMITER_KEY: Final = web.AppKey("webwork_fake_limiter", RateLimiter)
SLOW_KEY: Final = web.AppKey("webwork_fake_slow", SlowAnswers)
