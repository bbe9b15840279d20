"""The request core: the one place that talks HTTP; every resource calls ``RequestCore.request``.

It owns the aiohttp session (or borrows the caller's), the concurrency semaphore, and the mapping of
aiohttp's exceptions to ours. What an answer means is decided by the pure functions in
:mod:`webwork_async._protocol`.
"""

from __future__ import annotations

import asyncio
import builtins
import enum
import logging
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import msgspec
from yarl import URL

from webwork_async._constants import LOGGER_NAME
from webwork_async._protocol import decode_answer, encode_query
from webwork_async.errors import SessionStateError, TimeoutError, TransportError
from webwork_async.models._base import Envelope

logger = logging.getLogger(LOGGER_NAME)

_encoder = msgspec.json.Encoder()


class _State(enum.Enum):
    NEW = "not opened"
    OPEN = "open"
    CLOSED = "closed"


class RequestCore:
    """Sends requests for one :class:`~webwork_async.AsyncSession`.

    The aiohttp session and connector are created in :meth:`open`, inside the running loop, and
    closed in :meth:`close`; a caller-owned session is used as it is and left open.
    """

    def __init__(
        self,
        *,
        base_url: str,
        headers: dict[str, str],
        timeout: aiohttp.ClientTimeout,
        max_concurrency: int,
        connector_limit: int,
        connector_limit_per_host: int,
        keepalive_timeout: float,
        session: aiohttp.ClientSession | None,
        trace_configs: list[aiohttp.TraceConfig] | None,
    ) -> None:
        self.base_url = base_url
        self._headers = headers
        self._json_headers = {**headers, "Content-Type": "application/json"}
        self._timeout = timeout
        self._max_concurrency = max_concurrency
        self._connector_limit = connector_limit
        self._connector_limit_per_host = connector_limit_per_host
        self._keepalive_timeout = keepalive_timeout
        self._caller_session = session
        self._trace_configs = trace_configs
        self._http: aiohttp.ClientSession | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._state = _State.NEW

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
            self._http = self._caller_session
        else:
            connector = aiohttp.TCPConnector(
                limit=self._connector_limit,
                limit_per_host=self._connector_limit_per_host,
                keepalive_timeout=self._keepalive_timeout,
            )
            self._http = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                trace_configs=self._trace_configs,
                raise_for_status=False,
            )
        self._semaphore = asyncio.Semaphore(self._max_concurrency)
        self._state = _State.OPEN

    async def close(self) -> None:
        """Close what this core owns. Safe to call twice; completes even when cancelled."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        http, self._http = self._http, None
        if http is None or http is self._caller_session:
            return
        closing = asyncio.ensure_future(http.close())
        try:
            await asyncio.shield(closing)
        except asyncio.CancelledError:
            await closing  # finish releasing the connector, then let the cancellation through
            raise

    def _open_session(self) -> tuple[aiohttp.ClientSession, asyncio.Semaphore]:
        if self._state is not _State.OPEN or self._http is None or self._semaphore is None:
            if self._state is _State.NEW:
                raise SessionStateError(
                    "the AsyncSession is not open: use it inside 'async with AsyncSession(...)'"
                )
            raise SessionStateError("the AsyncSession is closed")
        return self._http, self._semaphore

    async def request(
        self,
        method: str,
        path: str,
        data_type: Any,
        *,
        params: Mapping[str, object] | None = None,
        body: Mapping[str, object] | None = None,
    ) -> Envelope[Any]:
        """Send one request and return its envelope, ``data`` decoded into ``data_type``.

        Raises the typed error an answer stands for, :class:`TransportError` (or its
        :class:`TimeoutError`) when the exchange itself fails, and lets cancellation through.
        """
        http, semaphore = self._open_session()
        url = URL(self.base_url + path)
        if params:
            url = url.with_query(encode_query(params))
        payload = None if body is None else _encoder.encode(body)
        headers = self._headers if payload is None else self._json_headers
        debug = logger.isEnabledFor(logging.DEBUG)
        async with semaphore:
            started = time.monotonic()
            if debug:
                logger.debug("request %s %s", method, url.path_qs)
            try:
                async with http.request(
                    method, url, data=payload, headers=headers, timeout=self._timeout
                ) as response:
                    raw = await response.read()
                    status = response.status
                    response_headers = response.headers
            except (asyncio.TimeoutError, builtins.TimeoutError) as exc:  # distinct before 3.11
                raise TimeoutError(
                    f"no complete answer within {self._timeout.total}s", method=method, url=str(url)
                ) from exc
            except aiohttp.ClientError as exc:
                raise TransportError(
                    f"{type(exc).__name__}: {exc}", method=method, url=str(url)
                ) from exc
            except RuntimeError as exc:
                if not http.closed:
                    raise
                # aiohttp's answer to a request racing the session's close.
                raise SessionStateError(
                    "the AsyncSession closed while this request was in flight"
                ) from exc
        if debug:
            logger.debug(
                "response %s %s status=%d bytes=%d duration=%.3fs",
                method,
                url.path_qs,
                status,
                len(raw),
                time.monotonic() - started,
            )
        return decode_answer(
            data_type,
            status=status,
            body=raw,
            method=method,
            url=str(url),
            headers=response_headers,
        )
