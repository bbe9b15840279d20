"""The request core: the one place that talks HTTP; every resource calls ``RequestCore.request``.

It owns the aiohttp session (or borrows the caller's), the concurrency semaphore, the attempt loop
and the waiting. The decisions are pure functions elsewhere: what an answer or an exception means
(:mod:`webwork_async._protocol`), whether and when to retry (:mod:`webwork_async._retry`), and
when the rate limit lets a request go (:mod:`webwork_async._ratelimit`).
"""

from __future__ import annotations

import asyncio
import builtins
import enum
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, NoReturn

import aiohttp
import msgspec
from yarl import URL

from webwork_async._constants import LOGGER_NAME, MAX_ERROR_BODY_BYTES, REDIS_LEASE_MARGIN
from webwork_async._coordination import Coordination, SharedLimiter
from webwork_async._options import CallSettings, attempt_timeout
from webwork_async._protocol import (
    SecretHeaders,
    decode_answer,
    encode_query,
    transport_error,
)
from webwork_async._ratelimit import (
    RateLimit,
    RateLimiter,
    RateLimitHeaders,
    read_rate_limit_headers,
)
from webwork_async._retry import RetryPolicy, is_retryable, retry_delay
from webwork_async._token_refresh import OAuth2Auth
from webwork_async.errors import (
    APIError,
    AuthenticationError,
    DecodeError,
    ResponseTooLargeError,
    SessionStateError,
    TimeoutError,
    TransportError,
    WebWorkError,
)
from webwork_async.models._base import Envelope

logger = logging.getLogger(LOGGER_NAME)

_OTHER_LOOP = (
    "this AsyncSession is used from an event loop other than the one that opened it "
    "(another thread, or another asyncio.run())"
)
_ONE_PER_LOOP = (
    "An AsyncSession belongs to the event loop that opened it: open one per loop, "
    "inside it, with 'async with AsyncSession(...)'"
)

_encoder = msgspec.json.Encoder()


class _State(enum.Enum):
    NEW = "not opened"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class ConnectionOptions:
    """How the aiohttp session a core creates connects: its pool, TLS, proxy and tracing."""

    limit: int
    limit_per_host: int
    keepalive_timeout: float
    ssl: ssl.SSLContext | bool = True
    proxy: str | None = field(default=None, repr=False)  # may carry credentials
    trust_env: bool = False
    trace_configs: list[aiohttp.TraceConfig] | None = None


class RequestCore:
    """Sends requests for one :class:`~webwork_async.AsyncSession`.

    The aiohttp session and connector are created in :meth:`open`, inside the running loop, and
    closed in :meth:`close`; a caller-owned session is used as it is and left open.
    """

    def __init__(
        self,
        *,
        base_url: str,
        headers: SecretHeaders,
        settings: CallSettings,
        retry: RetryPolicy,
        limiter: RateLimiter,
        rate_limit: RateLimit | None,
        max_concurrency: int,
        max_response_size: int,
        connection: ConnectionOptions,
        session: aiohttp.ClientSession | None,
        auth: OAuth2Auth | None = None,
        coordination: Coordination | None = None,
        shared_key: str = "",
    ) -> None:
        self.base_url = base_url
        self._headers = headers  # without Authorization when ``auth`` gives it per request
        self._auth = auth
        # Per-request headers: everything for a caller's session; for our own session the common
        # headers are set once on it, so aiohttp need not merge them into every request, and only
        # a body's Content-Type is added per request.
        self._plain_headers: dict[str, str] | None = None
        self._json_headers = {"Content-Type": "application/json"}
        self.settings = settings
        self._retry = retry
        self._limiter = limiter
        # With a coordination backend its limiter paces instead (``limiter`` is then unused).
        self._coordination = coordination
        self._shared: SharedLimiter | None = (
            None if coordination is None else coordination.limiter(shared_key)
        )
        self._rate_limit = rate_limit
        self._max_concurrency = max_concurrency
        self._max_response_size = max_response_size
        self._connection = connection
        self._caller_session = session
        self._state = _State.NEW
        self._opened: _Opened | None = None

    @property
    def state(self) -> str:
        """``not opened``, ``open`` or ``closed``."""
        return self._state.value

    @property
    def max_concurrency(self) -> int:
        """How many requests may be in flight at once."""
        return self._max_concurrency

    async def open(self) -> None:
        """Create the connector and session in the running loop (or adopt the caller's)."""
        if self._state is not _State.NEW:
            raise SessionStateError(
                f"this AsyncSession is {self._state.value}; create a new one for each 'async with'"
            )
        if self._caller_session is not None:
            if self._caller_session.closed:
                raise SessionStateError("the aiohttp.ClientSession passed as session= is closed")
            http = self._caller_session
            self._plain_headers = self._headers
            self._json_headers = SecretHeaders({**self._headers, **self._json_headers})
        else:
            options = self._connection
            connector = aiohttp.TCPConnector(
                limit=options.limit,
                limit_per_host=options.limit_per_host,
                keepalive_timeout=options.keepalive_timeout,
                ssl=options.ssl,
            )
            http = aiohttp.ClientSession(
                connector=connector,
                headers=self._headers,
                timeout=self.settings.timeout,
                trace_configs=options.trace_configs,
                raise_for_status=False,
                proxy=options.proxy,
                trust_env=options.trust_env,
            )
            # aiohttp resends a GET, PUT or DELETE once, silently, when the connection drops
            # (ClientSession._retry_connection, private, since 3.10). Every replay must be the
            # retry gate's decision: approving a timesheet is a PUT that must never go twice.
            if hasattr(http, "_retry_connection"):
                http._retry_connection = False
        if self._shared is not None:
            self._shared.attach(self._rate_limit)
        else:
            self._limiter.attach(self._rate_limit)
        self._opened = _Opened(
            asyncio.get_running_loop(), http, asyncio.Semaphore(self._max_concurrency)
        )
        self._state = _State.OPEN

    async def close(self) -> None:
        """Close what this core owns. Safe to call twice; completes even when cancelled.

        Closing from another event loop is refused while the one that opened the session runs
        (its connections are not this loop's to close); once that loop has closed, closing
        releases what is left.
        """
        opened, self._opened = self._opened, None
        self._state = _State.CLOSED
        if opened is None:
            return
        if opened.loop is not asyncio.get_running_loop() and not opened.loop.is_closed():
            self._opened, self._state = opened, _State.OPEN
            raise SessionStateError(_OTHER_LOOP + "; close it from that loop")
        if self._shared is not None:
            self._shared.detach(self._rate_limit)
            await self._shared.aclose()  # the releases still being told
        else:
            self._limiter.detach(self._rate_limit)
        if self._auth is not None:
            await self._auth.settle()  # a refresh in flight brings a pair that must be kept
        if opened.http is self._caller_session:
            return
        closing = asyncio.ensure_future(opened.http.close())
        try:
            await asyncio.shield(closing)
        except asyncio.CancelledError:
            await closing  # finish releasing the connector, then let the cancellation through
            raise

    async def _refuse(self) -> NoReturn:
        """Raise the SessionStateError that says why this session cannot send from here.

        A session whose own loop has closed (an ``asyncio.run`` ended while it was open) can
        never send again: what it holds is released first, so nothing is left to warn later.
        """
        if self._state is _State.NEW:
            raise SessionStateError(
                "the AsyncSession is not open: use it inside 'async with AsyncSession(...)'"
            )
        if self._state is _State.CLOSED:
            raise SessionStateError(
                "the AsyncSession is closed: open a new one with 'async with AsyncSession(...)' "
                "(a closed session cannot be reopened)"
            )
        if self._opened is not None and self._opened.loop.is_closed():
            await self.close()
            raise SessionStateError(
                "the event loop that opened this AsyncSession has closed (did an asyncio.run() "
                "end while it was open?), so the session is closed now. " + _ONE_PER_LOOP
            )
        raise SessionStateError(_OTHER_LOOP + "; nothing was sent. " + _ONE_PER_LOOP)

    async def request(
        self,
        method: str,
        path: str,
        data_type: Any,
        *,
        params: Mapping[str, object] | None = None,
        body: Mapping[str, object] | None = None,
        settings: CallSettings | None = None,
        idempotent: bool | None = None,
    ) -> Envelope[Any]:
        """Send one request, retrying what is safe to retry, and return its envelope.

        ``data`` is decoded into ``data_type``. ``idempotent`` says whether the request may be
        replayed after it may have reached the service (None: as its method says; see
        :func:`~webwork_async._retry.is_retryable`). Raises the typed error an answer stands for,
        :class:`TransportError` (or a subclass) when the exchange fails, :class:`TimeoutError`
        when the call's deadline passes; lets cancellation through untouched.
        """
        opened = self._opened
        if opened is None or opened.loop is not asyncio.get_running_loop():
            await self._refuse()
        settings = settings or self.settings
        url = URL(self.base_url + path)
        if params:
            url = url.with_query(encode_query(params))
        payload = None if body is None else _encoder.encode(body)
        headers = self._plain_headers if payload is None else self._json_headers
        exchange = _Exchange(
            method, url, str(url), payload, headers, data_type, settings, idempotent
        )
        called_at = time.monotonic()
        deadline_at = called_at + settings.total_timeout
        if settings.deadline_at is not None:
            deadline_at = min(deadline_at, settings.deadline_at)
        auth, generation, reauthorized = self._auth, 0, False
        attempt = 1
        while True:
            if auth is not None:
                await auth.ensure_fresh(opened.http, self._coordination)
                generation = auth.generation
            try:
                return await self._attempt(opened, exchange, attempt, deadline_at)
            except (APIError, DecodeError, TransportError) as exc:
                if auth is not None and not reauthorized and isinstance(exc, AuthenticationError):
                    # A 401 was not acted on: once a refreshed token is there, send it again
                    # (not a retry; a second 401 is the answer).
                    reauthorized = True
                    await auth.unauthorized(generation, opened.http, self._coordination)
                    continue
                exc.attempts = attempt
                wait = self._retry_wait(exchange, exc, attempt, deadline_at)
                if wait is None:
                    if attempt > 1:
                        exc.elapsed = time.monotonic() - called_at
                    raise
                if settings.stats is not None:
                    settings.stats.retries += 1
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "retry %s %s attempt=%d error=%s wait=%.3fs",
                        method,
                        url.path_qs,
                        attempt,
                        type(exc).__name__,
                        wait,
                    )
                await asyncio.sleep(wait)
                attempt += 1

    def _retry_wait(
        self, exchange: _Exchange, error: WebWorkError, attempt: int, deadline_at: float
    ) -> float | None:
        """Seconds before the next attempt, or None to raise ``error`` now."""
        if attempt > exchange.settings.max_retries or not is_retryable(
            exchange.method, error, idempotent=exchange.idempotent
        ):
            return None
        retry_after = error.retry_after if isinstance(error, APIError) else None
        wait = retry_delay(self._retry, attempt, retry_after=retry_after, sample=random.random())
        if wait is None or time.monotonic() + wait >= deadline_at:
            return None  # the deadline would pass while waiting: report the real cause now
        return wait

    async def _attempt(
        self, opened: _Opened, exchange: _Exchange, attempt: int, deadline_at: float
    ) -> Envelope[Any]:
        """One attempt: queue for a slot and the rate limiter, send, read, decode.

        Every bulk request passes here, so the common case stays in this one coroutine: a free
        slot, no wait for the limiter, a plain body. The error of a failed exchange is raised
        outside the ``except`` clauses, so that neither its ``__cause__`` nor its ``__context__``
        is aiohttp's exception, whose request information (and that of any redirect in its
        history) carries the ``Authorization`` header.
        """
        method, url, settings = exchange.method, exchange.url, exchange.settings
        headers = exchange.headers
        debug = logger.isEnabledFor(logging.DEBUG)
        semaphore, http = opened.semaphore, opened.http
        if semaphore.locked():
            await self._wait_for_slot(semaphore, exchange, deadline_at)
        else:
            await semaphore.acquire()
        failure: WebWorkError | None = None
        shared, ticket, answered = self._shared, None, False
        try:
            if shared is not None:
                ticket = await self._take_shared_slot(shared, exchange, deadline_at, debug)
            else:
                refused_for = self._limiter.acquire(time.monotonic())
                if refused_for:
                    await self._pace(exchange, refused_for, deadline_at, debug)
            if settings.stats is not None:
                settings.stats.requests += 1
            try:
                if self._auth is not None:  # the latest token, read as late as can be
                    headers = SecretHeaders(headers or {})
                    headers["Authorization"] = self._auth.authorization()
                timeout = settings.timeout
                started = time.monotonic()
                remaining = deadline_at - started
                if timeout.total is None or timeout.total > remaining:
                    timeout = attempt_timeout(timeout, max(remaining, 0.001))
                if debug:
                    logger.debug("request %s %s attempt=%d", method, url.path_qs, attempt)
                async with http.request(
                    method,
                    url,
                    data=exchange.payload,
                    headers=headers,
                    timeout=timeout,
                    # The API does not redirect: a redirect comes from a proxy or a wrong
                    # base_url, and following it would replay a write elsewhere or pass another
                    # host's answer off as API data. It is an APIError instead.
                    allow_redirects=False,
                ) as response:
                    limit = self._max_response_size
                    if reads_whole(response, limit):
                        raw = await response.read()
                    else:
                        raw = await read_body(response, limit, method, exchange.url_text)
                    status, response_headers = response.status, response.headers
                    answered = True
            except (asyncio.TimeoutError, builtins.TimeoutError, aiohttp.ClientError) as exc:
                failure = transport_error(
                    exc, method=method, url=exchange.url_text, timeout=timeout.total
                )
            except RuntimeError:
                if not http.closed:
                    raise
                # aiohttp's answer to a request racing the session's close.
                failure = SessionStateError(
                    "the AsyncSession closed while this request was in flight"
                )
            finally:
                # The service counted this request before the exchange ended, at the latest now.
                if shared is None:
                    self._limiter.release(time.monotonic())
                elif not answered:  # nothing to tell but the release
                    shared.release(ticket, None, None)
        finally:
            semaphore.release()
        if failure is not None:
            raise failure
        self._observe_limits(status, response_headers, ticket)
        if debug:
            logger.debug(
                "response %s %s status=%d attempt=%d bytes=%d duration=%.3fs",
                method,
                url.path_qs,
                status,
                attempt,
                len(raw),
                time.monotonic() - started,
            )
        return decode_answer(
            exchange.data_type,
            status=status,
            body=raw,
            method=method,
            url=exchange.url_text,
            headers=response_headers,
            strict=settings.strict,
        )

    async def _wait_for_slot(
        self, semaphore: asyncio.Semaphore, exchange: _Exchange, deadline_at: float
    ) -> None:
        """Wait for a concurrency slot, giving up with TimeoutError if the deadline passes first."""
        remaining = deadline_at - time.monotonic()
        try:
            if remaining <= 0:
                raise asyncio.TimeoutError
            await asyncio.wait_for(semaphore.acquire(), remaining)
        except asyncio.TimeoutError:
            raise exchange.queue_timeout("a concurrency slot") from None

    async def _take_shared_slot(
        self, shared: SharedLimiter, exchange: _Exchange, deadline_at: float, debug: bool
    ) -> object:
        """A slot of the coordination backend's limiter (waiting as it says), and its ticket."""
        attempt = exchange.settings.timeout.total
        remaining = deadline_at - time.monotonic()
        lease = min(attempt or remaining, remaining) + REDIS_LEASE_MARGIN
        wait, ticket = await shared.acquire(lease)
        if ticket is None:
            tickets: list[object] = []

            async def again() -> float:
                wait, ticket = await shared.acquire(lease)
                if ticket is not None:
                    tickets.append(ticket)
                return wait

            await self._pace(exchange, wait, deadline_at, debug, again)
            ticket = tickets[0]
        return ticket

    async def _pace(
        self,
        exchange: _Exchange,
        wait: float,
        deadline_at: float,
        debug: bool,
        again: Callable[[], Awaitable[float]] | None = None,
    ) -> None:
        """Wait until the rate limiter lets this request go (it stays within the deadline),
        once it has refused it for ``wait`` seconds; ``again`` asks a shared limiter anew."""
        limiter = self._limiter
        waiting_since = now = time.monotonic()
        while wait:
            if now + wait >= deadline_at:
                raise exchange.queue_timeout("the rate limiter")
            if debug:
                logger.debug(
                    "rate-limit wait %s %s wait=%.3fs",
                    exchange.method,
                    exchange.url.path_qs,
                    wait,
                )
            await asyncio.sleep(wait)
            wait = limiter.acquire(time.monotonic()) if again is None else await again()
            now = time.monotonic()
        stats = exchange.settings.stats
        if stats is not None:
            stats.rate_limit_waits += 1
            stats.rate_limit_wait_seconds += now - waiting_since

    def _observe_limits(self, status: int, headers: Mapping[str, str], ticket: object) -> None:
        info = read_rate_limit_headers(
            headers, now_epoch=time.time(), max_wait=self._retry.max_server_wait
        )
        if info is not None and info.out_of_range:
            for note in info.out_of_range:
                logger.warning("the service announced a value out of range: %s", note)
        if self._shared is not None:  # the release carries what the answer said
            self._shared.release(ticket, status, info)
        elif status == 429:
            self._limiter.observe(info or RateLimitHeaders(), time.monotonic(), rejected=True)
        elif info is not None:
            self._limiter.observe(info, time.monotonic(), rejected=False)


def reads_whole(response: aiohttp.ClientResponse, limit: int) -> bool:
    """Whether the body may be read in one go: a plain answer whose Content-Length is within
    ``limit``, the common case. Any other is read by :func:`read_body`."""
    length = response.content_length
    return length is not None and length <= limit and "Content-Encoding" not in response.headers


async def read_body(response: aiohttp.ClientResponse, limit: int, method: str, url: str) -> bytes:
    """The body of an answer that :func:`reads_whole` does not allow to read in one go; one
    larger than ``limit`` bytes (after decompression) is refused.

    A compressed or chunked body is counted as it is decompressed, and reading stops at the
    limit, so neither a gateway's huge page nor a gzip bomb is ever held whole.
    """
    length = response.content_length
    if length is not None and length > limit:
        raise ResponseTooLargeError(
            limit=limit, method=method, url=url, status=response.status, body=b"", size=length
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > limit:
            prefix = bytearray()
            for kept in chunks:
                prefix += kept[: MAX_ERROR_BODY_BYTES - len(prefix)]
                if len(prefix) >= MAX_ERROR_BODY_BYTES:
                    break
            raise ResponseTooLargeError(
                limit=limit,
                method=method,
                url=url,
                status=response.status,
                body=bytes(prefix),
                size=None,
            )
        chunks.append(chunk)
    return b"".join(chunks)


class _Opened(NamedTuple):
    """What an open session holds, all bound to the event loop that opened it."""

    loop: asyncio.AbstractEventLoop
    http: aiohttp.ClientSession
    semaphore: asyncio.Semaphore


class _Exchange(NamedTuple):
    """What stays the same across the attempts of one call (a tuple: built once per call)."""

    method: str
    url: URL
    url_text: str  # str(url), made once: errors, logs and the decoder all want it
    payload: bytes | None
    headers: dict[str, str] | None
    data_type: Any
    settings: CallSettings
    idempotent: bool | None  # None: as the method says

    def queue_timeout(self, waiting_for: str) -> TimeoutError:
        return TimeoutError(
            f"total_timeout of {self.settings.total_timeout}s passed while waiting for "
            f"{waiting_for}; nothing was sent",
            method=self.method,
            url=self.url_text,
        )
