"""``AsyncSession``: the object users hold, one per token and event loop."""

from __future__ import annotations

import os
import platform
from types import TracebackType

import aiohttp

from webwork_async import _constants as defaults
from webwork_async._core import RequestCore
from webwork_async._options import CallSettings
from webwork_async._protocol import build_headers, check_token, normalize_base_url
from webwork_async._ratelimit import RateLimit, shared_limiter
from webwork_async._retry import RetryPolicy
from webwork_async._validation import is_count, is_seconds
from webwork_async._version import __version__
from webwork_async.errors import ConfigurationError
from webwork_async.resources.projects import ProjectsResource
from webwork_async.resources.workspaces import WorkspacesResource

__all__ = ["AsyncSession"]

_DEFAULT_RETRY = RetryPolicy()
_DEFAULT_RATE_LIMIT = RateLimit()


def _client_timeout(timeout: float | aiohttp.ClientTimeout) -> aiohttp.ClientTimeout:
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if not is_seconds(timeout):
        raise ConfigurationError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    return aiohttp.ClientTimeout(
        total=float(timeout), connect=min(float(timeout), defaults.DEFAULT_CONNECT_TIMEOUT)
    )


def _total_timeout(value: object) -> float:
    if not is_seconds(value):
        raise ConfigurationError(f"total_timeout must be a number of seconds > 0, got {value!r}")
    return float(value)


def _count(name: str, value: object, *, minimum: int) -> int:
    if not is_count(value, minimum):
        raise ConfigurationError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def _default_user_agent() -> str:
    return (
        f"webwork-async/{__version__} aiohttp/{aiohttp.__version__} "
        f"python/{platform.python_version()}"
    )


class AsyncSession:
    """A connection to the WebWork API v2 for one token.

    Use it as an async context manager, once, inside a running event loop::

        async with AsyncSession(token="...") as ww:
            page = await ww.projects.list(workspace_id=1)

    Entering creates one ``aiohttp.ClientSession`` over one ``TCPConnector``; leaving closes both,
    also on error and cancellation. Pass ``session=`` to use an ``aiohttp.ClientSession`` you own
    instead (you close it; our timeout and headers still apply to every request we send).

    Requests are paced by a rate limiter shared by every session of the process with the same
    token, and failures that are safe to repeat are retried; see "Rate limits, retries and
    timeouts" in the README.

    Args:
        token: personal access token or OAuth2 access token; defaults to ``$WEBWORK_TOKEN``.
        base_url: the API root, ``https://api.webwork-tracker.com/api/v2/`` by default.
        timeout: seconds for one attempt (or an ``aiohttp.ClientTimeout``), counted from the
            moment the request is sent: time queued for a slot or the rate limiter is not in it.
        total_timeout: seconds for a whole call from the moment it is made: queueing, every attempt
            and every wait between attempts.
        retry: how failures are retried; ``None`` never retries.
        rate_limit: requests allowed per period for this token (60 per 60 s by default);
            ``None`` switches pacing off (a 429 still pauses every request of the token).
        max_concurrency: requests in flight at once; bulk calls and page prefetching share it.
        connector_limit: size of the connection pool (0 = unbounded).
        connector_limit_per_host: per-host cap of the pool (0 = only ``connector_limit``).
        user_agent: the ``User-Agent`` header; a webwork-async one by default.
        session: an ``aiohttp.ClientSession`` owned by the caller.
        trace_configs: aiohttp trace configs, for the session this object creates.
    """

    projects: ProjectsResource
    """Projects: list, get, create, update, delete and bulk list across workspaces."""
    workspaces: WorkspacesResource
    """Workspaces the token's user belongs to."""

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str = defaults.DEFAULT_BASE_URL,
        timeout: float | aiohttp.ClientTimeout = defaults.DEFAULT_TIMEOUT,
        total_timeout: float = defaults.DEFAULT_TOTAL_TIMEOUT,
        retry: RetryPolicy | None = _DEFAULT_RETRY,
        rate_limit: RateLimit | None = _DEFAULT_RATE_LIMIT,
        max_concurrency: int = defaults.DEFAULT_MAX_CONCURRENCY,
        connector_limit: int = defaults.DEFAULT_CONNECTOR_LIMIT,
        connector_limit_per_host: int = defaults.DEFAULT_CONNECTOR_LIMIT_PER_HOST,
        user_agent: str | None = None,
        session: aiohttp.ClientSession | None = None,
        trace_configs: list[aiohttp.TraceConfig] | None = None,
    ) -> None:
        if token is None:
            token = os.environ.get(defaults.TOKEN_ENV_VAR)
            if token is None:
                raise ConfigurationError(
                    f"no token: pass token=... or set the {defaults.TOKEN_ENV_VAR} "
                    "environment variable"
                )
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise ConfigurationError(
                f"session must be an aiohttp.ClientSession, got {type(session).__name__}"
            )
        if session is not None and trace_configs is not None:
            raise ConfigurationError(
                "trace_configs apply only to a session this object creates; "
                "give them to your own aiohttp.ClientSession instead"
            )
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError(f"retry must be a RetryPolicy or None, got {retry!r}")
        if rate_limit is not None and not isinstance(rate_limit, RateLimit):
            raise ConfigurationError(f"rate_limit must be a RateLimit or None, got {rate_limit!r}")
        token = check_token(token)
        base_url = normalize_base_url(base_url)
        retry = retry or RetryPolicy(max_retries=0)
        self._core = RequestCore(
            base_url=base_url,
            headers=build_headers(token, user_agent or _default_user_agent()),
            settings=CallSettings(
                timeout=_client_timeout(timeout),
                total_timeout=_total_timeout(total_timeout),
                max_retries=retry.max_retries,
            ),
            retry=retry,
            limiter=shared_limiter(token, base_url),
            rate_limit=rate_limit,
            max_concurrency=_count("max_concurrency", max_concurrency, minimum=1),
            connector_limit=_count("connector_limit", connector_limit, minimum=0),
            connector_limit_per_host=_count(
                "connector_limit_per_host", connector_limit_per_host, minimum=0
            ),
            keepalive_timeout=defaults.DEFAULT_KEEPALIVE_TIMEOUT,
            session=session,
            trace_configs=trace_configs,
        )
        self.projects = ProjectsResource(self._core)
        self.workspaces = WorkspacesResource(self._core)

    def __repr__(self) -> str:
        return (
            f"<AsyncSession base_url={self._core.base_url!r} state={self._core.state!r} "
            f"max_concurrency={self._core.max_concurrency}>"
        )

    @property
    def base_url(self) -> str:
        """The API root every path is joined to."""
        return self._core.base_url

    @property
    def closed(self) -> bool:
        """True once the session has been closed."""
        return self._core.state == "closed"

    async def __aenter__(self) -> AsyncSession:
        await self._core.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections this session owns. Idempotent."""
        await self._core.close()
