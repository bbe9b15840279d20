"""Fault injection and rate-limit enforcement of the fake server.

:meth:`FakeWebWork.inject <webwork_async.testing.FakeWebWork.inject>` adds a :class:`FaultRule`;
:meth:`~webwork_async.testing.FakeWebWork.enforce_rate_limit` turns on a sliding-window limit.
Every request goes record -> auth -> rate limit -> faults -> handler, and its answer then goes
through :func:`deliver`, which plays the wire part of a fault (cut, rewritten, inflated, delayed
or dropped answers, extra headers) and stores the outcome on the recorded request.

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
import secrets
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from http import HTTPStatus
from types import MappingProxyType
from typing import Any, Final

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler

from ._http import STATE_KEY, ApiError, api_path, json_response, meta, parse_digits, query_params
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
    REDIRECT = "redirect"
    HUGE_BODY = "huge_body"
    GZIP_BOMB = "gzip_bomb"
    DEEP_JSON = "deep_json"
    NULL_DATA = "null_data"
    ENDLESS_PAGES = "endless_pages"
    HEADERS = "headers"


#: ``server_error`` statuses and their envelope messages.
SERVER_ERRORS: Final = {
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
#: ``redirect`` statuses.
REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
#: The ``status`` each kind that takes one accepts, and its default.
_STATUSES: Final = {
    FaultKind.SERVER_ERROR: (frozenset(SERVER_ERRORS), 503),
    FaultKind.REDIRECT: (REDIRECTS, 302),
}
#: The default ``size`` of the kinds that take one.
_SIZES: Final = {FaultKind.HUGE_BODY: 64 * 1024 * 1024, FaultKind.GZIP_BOMB: 512 * 1024 * 1024}
_DEFAULT_DEPTH: Final = 1000
#: Where a ``redirect`` without ``location`` points: a port nobody listens on.
_NOWHERE: Final = "http://127.0.0.1:9"
#: Kinds that change the answer's JSON body after the handler ran.
_BODY_FAULTS: Final = frozenset(
    {
        FaultKind.TRUNCATED_JSON,
        FaultKind.INVALID_JSON,
        FaultKind.SCHEMA_MISMATCH,
        FaultKind.DEEP_JSON,
        FaultKind.NULL_DATA,
        FaultKind.ENDLESS_PAGES,
    }
)
#: What ``null_data`` makes a pagination claim at least.
_CLAIMED_TOTAL: Final = 500
_CLAIMED_PER_PAGE: Final = 100
#: ``endless_pages`` claims this many pages.
_ENDLESS: Final = 10**9
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
    #: ``redirect``: the ``Location`` (``None``: the request's path on http://127.0.0.1:9)
    location: str | None
    #: ``huge_body``/``gzip_bomb``: bytes of the (decompressed) body; ``None`` for other kinds
    size: int | None
    #: ``deep_json``: nesting depth of ``data``; ``None`` for other kinds
    depth: int | None
    #: added to the answer of every kind (they override the fault's own headers)
    headers: Mapping[str, str]
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
        location: str | None = None,
        size: int | None = None,
        depth: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FaultRule:
        """Validate the settings and append a rule (checked after the earlier ones)."""
        fault = _fault_kind(kind)
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
            status=_checked_status(fault, status),
            retry_after=float(retry_after),
            delay=float(delay),
            seed=seed,
            location=_checked_location(fault, location),
            size=_checked_size(fault, size),
            depth=_checked_depth(fault, depth),
            headers=_checked_headers(headers),
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


def _checked_status(kind: FaultKind, status: int | None) -> int:
    """The rule's status: validated for server_error and redirect, refused for other kinds."""
    allowed = _STATUSES.get(kind)
    if allowed is None:
        if status is not None:
            raise ValueError("status applies to server_error and redirect faults only")
        return 503  # unused; what rules of other kinds always said
    statuses, default = allowed
    if status is None:
        return default
    if isinstance(status, bool) or status not in statuses:
        raise ValueError(f"{kind.value} status must be one of {sorted(statuses)}, not {status!r}")
    return status


def _checked_location(kind: FaultKind, location: str | None) -> str | None:
    if location is None:
        return None
    if kind is not FaultKind.REDIRECT:
        raise ValueError("location applies to redirect faults only")
    if not isinstance(location, str):
        raise TypeError(f"location must be a str, not {location!r}")
    if "\r" in location or "\n" in location:
        raise ValueError("location must not contain CR or LF")
    return location


def _checked_size(kind: FaultKind, size: int | None) -> int | None:
    default = _SIZES.get(kind)
    if default is None:
        if size is not None:
            raise ValueError("size applies to huge_body and gzip_bomb faults only")
        return None
    if size is None:
        return default
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError(f"size must be an int, not {size!r}")
    if size < 0:
        raise ValueError(f"size must be a number of bytes >= 0, not {size!r}")
    return size


def _checked_depth(kind: FaultKind, depth: int | None) -> int | None:
    if kind is not FaultKind.DEEP_JSON:
        if depth is not None:
            raise ValueError("depth applies to deep_json faults only")
        return None
    if depth is None:
        return _DEFAULT_DEPTH
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise TypeError(f"depth must be an int, not {depth!r}")
    if depth < 1:
        raise ValueError(f"depth must be at least 1, not {depth!r}")
    return depth


def _checked_headers(headers: Mapping[str, str] | None) -> Mapping[str, str]:
    """A read-only copy of ``headers``: string names and values, no CR/LF, names non-empty."""
    checked: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"header names and values must be str, not {name!r}: {value!r}")
        if not name or ":" in name or any(char in name for char in "\r\n"):
            raise ValueError(f"invalid header name {name!r}")
        if "\r" in value or "\n" in value:
            raise ValueError(f"the value of header {name!r} must not contain CR or LF")
        checked[name] = value
    return MappingProxyType(checked)


# --- rate limit ----------------------------------------------------------------------------------


class RateLimiter:
    """A sliding-window request limit per bearer token (by caller number); off until
    :meth:`configure`."""

    def __init__(self, lock: threading.RLock) -> None:
        """Start switched off; ``lock`` is the fake's state lock."""
        self._lock = lock
        self._limit: tuple[int, float] | None = None
        self._windows: dict[int, deque[float]] = {}

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

    def admit(self, key: int) -> tuple[bool, dict[str, str]]:
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
    #: the number of the token that sent it, once authenticated
    caller: int | None = None
    #: added to the answer (rate-limit headers)
    headers: dict[str, str] = field(default_factory=dict)
    #: ``endless_pages``: the page the client asked for (the handler answered page 1)
    page: int | None = None

    def finish(self, state: FakeState, status: int | None) -> None:
        """Replace the recorded entry by one telling the outcome so far (unless the log was
        reset); it may be called again, with the status finally sent."""
        done = replace(
            self.entry,
            status=status,
            fault=self.rule.kind.value if self.rule is not None else None,
            executed=self.executed,
            rate_limited=self.rate_limited,
            caller=self.caller,
        )
        with state.lock:
            if self.index < len(state.requests) and state.requests[self.index] is self.entry:
                state.requests[self.index] = done
                self.entry = done


def check_rate_limit(request: web.Request, caller: int, exchange: Exchange) -> None:
    """Count the request against its token's window (the token's caller number); 429 "Too
    Many Attempts." when full."""
    allowed, headers = request.app[LIMITER_KEY].admit(caller)
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
        if rule.kind is FaultKind.REDIRECT:
            location = rule.location if rule.location is not None else _NOWHERE + request.raw_path
            raise ApiError(
                rule.status,
                HTTPStatus(rule.status).phrase,
                error=f"Moved to {location}",
                headers={"Location": location},
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
        if rule.kind is FaultKind.ENDLESS_PAGES and request.method == "GET":
            exchange.page = _requested_page(request)
            if exchange.page is not None:  # a bad page is answered (422) as it is
                request = request.clone(rel_url=request.rel_url.update_query(page="1"))
    exchange.executed = True
    return await handler(request)


def _requested_page(request: web.Request) -> int | None:
    """The ``page`` asked for as the handlers read it (1 when absent); ``None`` when invalid."""
    raw = query_params(request).get("page", "")
    page = parse_digits(raw) if raw else 1
    return page if page is not None and page >= 1 else None


async def deliver(
    request: web.Request, response: web.StreamResponse, exchange: Exchange
) -> web.StreamResponse:
    """Finish an answer: add rate-limit headers, play the fault's wire part, note the outcome."""
    state = request.app[STATE_KEY]
    response.headers.update(exchange.headers)
    rule = exchange.rule
    if rule is None:
        exchange.finish(state, response.status)
        return response
    kind = rule.kind
    if kind is FaultKind.SLOW:
        exchange.finish(state, None)  # the handler ran: tell it while the answer waits
        if not await request.app[SLOW_KEY].wait(rule.delay):
            kind = FaultKind.RESET_BEFORE_ANSWER  # the server is shutting down: drop it
    if kind is FaultKind.RESET_BEFORE_ANSWER:
        exchange.finish(state, None)
        _drop(request)
        return response
    body = response.body if isinstance(response, web.Response) else None
    if kind in _BODY_FAULTS and isinstance(response, web.Response) and isinstance(body, bytes):
        _rewrite(response, kind, body, rule, exchange)
    elif kind is FaultKind.GZIP_BOMB and isinstance(response, web.Response):
        assert rule.size is not None
        response.body = await gzip_bomb(rule.size)
        response.content_type = "application/json"
        response.headers["Content-Encoding"] = "gzip"
    elif kind is FaultKind.HUGE_BODY:
        response = _huge_page_response(response)
    response.headers.update(rule.headers)
    exchange.finish(state, response.status)
    if kind is FaultKind.RESET_MID_BODY and isinstance(body, bytes):
        assert isinstance(response, web.Response)
        return await _send_half_then_drop(request, response, body)
    if kind is FaultKind.HUGE_BODY:
        assert rule.size is not None
        await _send_huge_page(request, response, rule.size)
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


def _rewrite(
    response: web.Response, kind: FaultKind, body: bytes, rule: FaultRule, exchange: Exchange
) -> None:
    if kind is FaultKind.TRUNCATED_JSON:
        response.body = body[: len(body) // 2]
        return
    if kind is FaultKind.INVALID_JSON:
        response.body = _HTML_PAGE
        response.content_type = "text/html"
        response.charset = "utf-8"
        return
    try:
        payload = msgspec.json.decode(body)
    except msgspec.DecodeError:  # not JSON: nothing to reshape
        return
    if kind is FaultKind.DEEP_JSON:
        assert rule.depth is not None
        response.body = _deep_json(payload, rule.depth)
        response.content_type = "application/json"
        return
    if not isinstance(payload, dict):
        return
    if kind is FaultKind.SCHEMA_MISMATCH:
        if "data" in payload:
            payload["data"] = _mismatch(payload["data"])
            response.body = msgspec.json.encode(payload)
    elif kind is FaultKind.NULL_DATA:
        if "data" in payload:
            _claim_items(_pagination(payload))
            payload["data"] = None
            response.body = msgspec.json.encode(payload)
    elif exchange.page is not None and _claim_endless(
        _pagination(payload), exchange.page, payload.get("data")
    ):
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


def _deep_json(payload: Any, depth: int) -> bytes:
    """``payload`` with ``data`` nested ``depth`` arrays deep (just the arrays if no object)."""
    nested = b"[" * depth + b"]" * depth
    if not isinstance(payload, dict):
        return nested
    marker = f"webwork-fake-deep-{secrets.token_hex(8)}"
    payload["data"] = marker
    return msgspec.json.encode(payload).replace(msgspec.json.encode(marker), nested, 1)


def _pagination(payload: dict[str, Any]) -> dict[str, Any] | None:
    body_meta = payload.get("meta")
    pagination = body_meta.get("pagination") if isinstance(body_meta, dict) else None
    return pagination if isinstance(pagination, dict) else None


def _count(value: Any) -> int | None:
    """``value`` if it is a JSON integer, else ``None``."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _claim_items(pagination: dict[str, Any] | None) -> None:
    """``null_data``: have ``pagination`` claim 500 items (5 pages of 100) unless it claims more."""
    if pagination is None:
        return
    total = _count(pagination.get("total"))
    if total is not None and total >= _CLAIMED_TOTAL:
        return
    page = _count(pagination.get("current_page"))
    page = page if page is not None and page >= 1 else 1
    last_page = _CLAIMED_TOTAL // _CLAIMED_PER_PAGE
    on_a_page = page <= last_page
    pagination.update(
        total=_CLAIMED_TOTAL,
        per_page=_CLAIMED_PER_PAGE,
        current_page=page,
        last_page=last_page,
        **{
            "from": (page - 1) * _CLAIMED_PER_PAGE + 1 if on_a_page else None,
            "to": page * _CLAIMED_PER_PAGE if on_a_page else None,
        },
    )


def _claim_endless(pagination: dict[str, Any] | None, page: int, data: Any) -> bool:
    """``endless_pages``: claim 10**9 pages, ``page`` being the current one; False if no paging."""
    if pagination is None:
        return False
    per_page = _count(pagination.get("per_page"))
    if per_page is None or per_page < 1:
        return False
    count = len(data) if isinstance(data, list) else 0
    first = (page - 1) * per_page + 1
    pagination.update(
        total=_ENDLESS * per_page,
        current_page=page,
        last_page=_ENDLESS,
        **{"from": first if count else None, "to": first + count - 1 if count else None},
    )
    return True


# --- big answers ---------------------------------------------------------------------------------

#: ``huge_body`` pages: head, a repeated filler block, tail.
_HUGE_HEAD: Final = (
    b"<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head><body><pre>\n"
)
_HUGE_TAIL: Final = b"</pre></body></html>\n"
_HUGE_BLOCK: Final = b"The service is temporarily unavailable. Please try again later.\n" * 1024
#: ``gzip_bomb`` bodies: ``{"success":true,"data":"`` + spaces + ``"}``.
_BOMB_HEAD: Final = b'{"success":true,"data":"'
_BOMB_TAIL: Final = b'"}'
_BOMB_BLOCK: Final = b" " * (1024 * 1024)
_BOMBS: dict[int, bytes] = {}
_BOMBS_LOCK: Final = threading.Lock()


def _huge_page_response(response: web.StreamResponse) -> web.StreamResponse:
    """A not yet prepared answer with ``response``'s status and headers, for an HTML body."""
    stream = web.StreamResponse(
        status=response.status, reason=response.reason, headers=response.headers
    )
    stream.headers.popall("Content-Length", None)
    stream.content_type = "text/html"
    stream.charset = "utf-8"
    return stream


async def _send_huge_page(request: web.Request, stream: web.StreamResponse, size: int) -> None:
    """Send an HTML page of exactly ``size`` bytes in chunks (``Content-Length`` unless set)."""
    if "Content-Length" not in stream.headers:
        stream.content_length = size
    with contextlib.suppress(ConnectionError):  # the client left: stop sending
        await stream.prepare(request)
        if request.method == "HEAD":
            return
        for chunk in _huge_page_chunks(size):
            await stream.write(chunk)


def _huge_page_chunks(size: int) -> Iterable[bytes | memoryview]:
    """The page's bytes: head, full filler blocks, a partial one, tail (all cut to ``size``)."""
    fixed = len(_HUGE_HEAD) + len(_HUGE_TAIL)
    if size <= fixed:
        yield (_HUGE_HEAD + _HUGE_TAIL)[:size]
        return
    yield _HUGE_HEAD
    blocks, rest = divmod(size - fixed, len(_HUGE_BLOCK))
    for _ in range(blocks):
        yield _HUGE_BLOCK
    if rest:
        yield memoryview(_HUGE_BLOCK)[:rest]
    yield _HUGE_TAIL


async def gzip_bomb(size: int) -> bytes:
    """A gzip stream that decompresses to ``size`` bytes of JSON; made once per size, cached."""
    cached = _BOMBS.get(size)
    if cached is not None:
        return cached
    return await asyncio.to_thread(_cached_bomb, size)


def _cached_bomb(size: int) -> bytes:
    with _BOMBS_LOCK:
        made = _BOMBS.get(size)
        if made is None:
            made = _BOMBS[size] = _make_bomb(size)
        return made


def _make_bomb(size: int) -> bytes:
    """Compress ``{"success":true,"data":"<spaces>"}`` of ``size`` bytes as a single gzip member.

    The spaces are compressed one 1 MiB block at a time, each ended by a full flush (which
    makes its deflate blocks byte-aligned and independent of what came before), so one
    compressed block repeated stands for them all; only the CRC has to read every byte.
    """
    fixed = _BOMB_HEAD + _BOMB_TAIL
    if size <= len(fixed):
        return _gzip_member([fixed[:size]], 1)
    blocks, rest = divmod(size - len(fixed), len(_BOMB_BLOCK))
    return _gzip_member([_BOMB_HEAD, _BOMB_BLOCK, _BOMB_BLOCK[:rest] + _BOMB_TAIL], blocks)


def _gzip_member(parts: list[bytes], repeat: int) -> bytes:
    """gzip of ``parts[0] + parts[1] * repeat + parts[2:]`` (``parts[1]`` once when alone)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    out = [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"]  # gzip, deflate, no name/time
    crc = 0
    length = 0
    for index, part in enumerate(parts):
        times = repeat if index == 1 else 1
        if times == 0:
            continue
        out.append(compressor.compress(part) + compressor.flush(zlib.Z_FULL_FLUSH))
        if times > 1:
            out[-1] *= times
        for _ in range(times):
            crc = zlib.crc32(part, crc)
        length += len(part) * times
    out.append(compressor.flush(zlib.Z_FINISH))
    out.append(crc.to_bytes(4, "little") + (length & 0xFFFFFFFF).to_bytes(4, "little"))
    return b"".join(out)


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
