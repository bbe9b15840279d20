"""``AsyncSession``: the object users hold, one per token and event loop."""

from __future__ import annotations

import os
import platform
import warnings
from pathlib import Path
from ssl import SSLContext, SSLError, create_default_context
from types import TracebackType
from urllib.parse import urlsplit

import aiohttp

from webwork_async import _constants as defaults
from webwork_async._coordination import Coordination
from webwork_async._core import ConnectionOptions, RequestCore
from webwork_async._options import CallSettings
from webwork_async._protocol import (
    Secret,
    build_headers,
    check_proxy,
    check_token,
    is_loopback,
    normalize_base_url,
    redact_url,
)
from webwork_async._ratelimit import RateLimit, shared_limiter
from webwork_async._retry import RetryPolicy
from webwork_async._token_refresh import OAuth2Auth
from webwork_async._validation import is_count, is_seconds
from webwork_async._version import __version__
from webwork_async.errors import ConfigurationError, InsecureTLSWarning
from webwork_async.resources import (
    ContractsResource,
    ExpensesResource,
    LeavesResource,
    MembersResource,
    ProjectsResource,
    ProjectViewersResource,
    ReportsResource,
    TasksResource,
    TimeEntriesResource,
    TimeRequestsResource,
    TimesheetsResource,
    TimeTrackingResource,
    WebhooksResource,
    WorkspacesResource,
)
from webwork_async.resources.raw import RawResource

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


#: What ``ssl=`` takes: a context, a CA bundle file, False (no verification), or None/True.
TLSOption = SSLContext | str | os.PathLike[str] | bool | None


def _tls_setting(value: TLSOption, base_url: str) -> SSLContext | bool:
    """The connector's ``ssl`` for ``value``; a path becomes a context trusting that CA bundle.

    ``False`` switches certificate checks off: meant for a local test server, so it warns
    (:class:`InsecureTLSWarning`) for any other host.
    """
    if value is None or value is True:
        return True
    if value is False:
        host = urlsplit(base_url).hostname or ""
        if not is_loopback(host):
            warnings.warn(
                f"ssl=False: TLS certificates of {host} are not checked, so anyone on the path "
                "can read the token; pass ssl='/path/to/ca-bundle.pem' to trust a private CA",
                InsecureTLSWarning,
                stacklevel=3,
            )
        return False
    if isinstance(value, SSLContext):
        return value
    if isinstance(value, (str, os.PathLike)):
        path = Path(value)
        if not path.is_file():
            raise ConfigurationError(f"ssl: no CA bundle file at {str(path)!r}")
        try:
            return create_default_context(cafile=str(path))
        except SSLError as exc:
            raise ConfigurationError(
                f"ssl: {str(path)!r} is not a PEM CA bundle ({exc.reason or exc})"
            ) from None
    raise ConfigurationError(
        "ssl must be an ssl.SSLContext, a CA bundle path, False or None, "
        f"got {type(value).__name__}"
    )


def _coordination(value: Coordination | str | None) -> Coordination | None:
    """The backend ``coordination=`` names: a ``redis://`` (or ``rediss://``, ``unix://``) URL
    becomes a ``RedisCoordination``, imported only then (the core does not depend on it)."""
    if value is None or isinstance(value, Coordination):
        return value
    if isinstance(value, str) and value.startswith(("redis://", "rediss://", "unix://")):
        from webwork_async.redis import RedisCoordination

        return RedisCoordination(value)
    shown = redact_url(value) if isinstance(value, str) else type(value).__name__
    raise ConfigurationError(
        f"coordination must be a redis:// URL or a Coordination object, got {shown!r}"
    )


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
        token: a personal access token (or an OAuth2 access token that is not to be refreshed);
            defaults to ``$WEBWORK_TOKEN`` unless ``auth`` is given.
        auth: an :class:`~webwork_async.oauth2.OAuth2Auth`, for an OAuth2 token that the session
            refreshes (see "Signing in with OAuth2" in the README); instead of ``token``.
        coordination: share the rate limit, the 429 pauses and OAuth2 refreshes with every
            process and machine that uses the same token: a ``redis://`` URL, or a
            ``webwork_async.redis.RedisCoordination`` (the ``[redis]`` extra). A URL's
            connections are this session's and closed with it; an object's are its owner's.
            By default only the sessions of this process share them.
        base_url: the API root; defaults to ``$WEBWORK_BASE_URL``, then
            ``https://api.webwork-tracker.com/api/v2/``.
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
        session: an ``aiohttp.ClientSession`` owned by the caller. aiohttp resends a GET, PUT or
            DELETE once by itself when the connection drops; webwork-async turns that off on
            the sessions it creates (every replay is its retry gate's decision), not on yours,
            so through yours a timesheet move (a PUT) could be sent twice.
        trace_configs: aiohttp trace configs, for the session this object creates. They see
            every request's headers, ``Authorization`` included: never log those as they are.
        proxy: an HTTP proxy for every request, ``http://[user:password@]host:port``; the
            credentials are never shown in a ``repr``, a log line or an error.
        trust_env: take the proxy from ``HTTPS_PROXY``/``HTTP_PROXY`` and ``NO_PROXY`` (as
            aiohttp reads them) when ``proxy`` is not given.
        ssl: how TLS certificates are checked: an ``ssl.SSLContext``, the path of a CA bundle
            to trust (a TLS-inspecting proxy's CA, say), or ``False`` for no check (for a
            local server; it warns for any other host). By default the system's CAs.
        max_response_size: the largest answer accepted, in bytes after decompression (32 MiB);
            a larger one raises :class:`~webwork_async.errors.ResponseTooLargeError`, unretried.
        strict: ``True`` makes one list item that does not fit its model fail the whole page
            with :class:`~webwork_async.errors.DecodeError`. By default the other items arrive
            and the bad one is logged and reported in ``item_errors``; a call's ``strict=``
            option overrides this.
    """

    workspaces: WorkspacesResource
    """Workspaces the token's user belongs to."""
    members: MembersResource
    """Members: list, get, invite, update, delete (archive)."""
    projects: ProjectsResource
    """Projects: list, get, create, update, delete and bulk list across workspaces."""
    contracts: ContractsResource
    """Contracts (a member on a project): list, get, create, update, delete."""
    tasks: TasksResource
    """Tasks of projects: list, get, create, update, delete, assign, unassign, assignees."""
    project_viewers: ProjectViewersResource
    """Project viewers (clients): list, get, create, delete, restore, grant and revoke projects."""
    webhooks: WebhooksResource
    """Webhooks: list, create, update, delete."""
    time_tracking: TimeTrackingResource
    """Time tracking: start and stop a member's tracker, read the running one."""
    timesheets: TimesheetsResource
    """Timesheets: list, submit, unsubmit, approve, reject."""
    time_requests: TimeRequestsResource
    """Requests for manual time: list, get, create, approve, reject."""
    time_entries: TimeEntriesResource
    """A member's timeline of one day: list, create, update, delete entries."""
    leaves: LeavesResource
    """Leave requests: list, create; leave balances."""
    expenses: ExpensesResource
    """Expenses: list, create, update."""
    reports: ReportsResource
    """Reports: tracked hours, daily timeline and attendance, tasks, activity levels."""
    api: RawResource
    """Any path by method: ``await ww.api.request("GET", "projects", params=...)`` and
    ``ww.api.paginate("projects", params=...)``, answered as plain JSON values."""

    def __init__(
        self,
        token: str | None = None,
        *,
        auth: OAuth2Auth | None = None,
        coordination: Coordination | str | None = None,
        base_url: str | None = None,
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
        proxy: str | None = None,
        trust_env: bool = False,
        ssl: TLSOption = None,
        max_response_size: int = defaults.DEFAULT_MAX_RESPONSE_SIZE,
        strict: bool = False,
    ) -> None:
        # From here on the token lives in a Secret only: no frame of this call holds it in a
        # named local when one of the checks below raises.
        if auth is not None and token is not None:
            del token
            raise ConfigurationError("pass token= or auth=, not both")
        if auth is not None and not isinstance(auth, OAuth2Auth):
            raise ConfigurationError(f"auth must be an OAuth2Auth, got {type(auth).__name__}")
        secret = Secret(os.environ.get(defaults.TOKEN_ENV_VAR) if token is None else token)
        del token
        self._own_coordination = isinstance(coordination, str)
        coordination = _coordination(coordination)
        if auth is None and secret.reveal() is None:
            raise ConfigurationError(
                f"no token: pass token=... or set the {defaults.TOKEN_ENV_VAR} environment variable"
            )
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise ConfigurationError(
                f"session must be an aiohttp.ClientSession, got {type(session).__name__}"
            )
        if session is not None:
            given = [
                name
                for name, value in (
                    ("trace_configs", trace_configs),
                    ("proxy", proxy),
                    ("trust_env", trust_env or None),
                    ("ssl", ssl),
                )
                if value is not None
            ]
            if given:
                raise ConfigurationError(
                    f"{', '.join(given)} apply only to a session this object creates; "
                    "give them to your own aiohttp.ClientSession instead"
                )
        for name, switch in (("trust_env", trust_env), ("strict", strict)):
            if not isinstance(switch, bool):
                raise ConfigurationError(f"{name} must be True or False, got {switch!r}")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError(f"retry must be a RetryPolicy or None, got {retry!r}")
        if rate_limit is not None and not isinstance(rate_limit, RateLimit):
            raise ConfigurationError(f"rate_limit must be a RateLimit or None, got {rate_limit!r}")
        if auth is None:
            secret = check_token(secret)
        if base_url is None:
            base_url = os.environ.get(defaults.BASE_URL_ENV_VAR) or defaults.DEFAULT_BASE_URL
        base_url = normalize_base_url(base_url)
        self._proxy = None if proxy is None else check_proxy(proxy)
        retry = retry or RetryPolicy(max_retries=0)
        limiter = shared_limiter(
            str(secret.reveal()) if auth is None else auth.limiter_key, base_url
        )
        # With auth, each request carries the token of its moment instead.
        headers = build_headers(
            None if auth is not None else str(secret.reveal()),
            user_agent or _default_user_agent(),
        )
        self._core = RequestCore(
            base_url=base_url,
            headers=headers,
            settings=CallSettings(
                timeout=_client_timeout(timeout),
                total_timeout=_total_timeout(total_timeout),
                max_retries=retry.max_retries,
                strict=strict,
            ),
            retry=retry,
            limiter=limiter,
            rate_limit=rate_limit,
            max_concurrency=_count("max_concurrency", max_concurrency, minimum=1),
            max_response_size=_count("max_response_size", max_response_size, minimum=1),
            connection=ConnectionOptions(
                limit=_count("connector_limit", connector_limit, minimum=0),
                limit_per_host=_count(
                    "connector_limit_per_host", connector_limit_per_host, minimum=0
                ),
                keepalive_timeout=defaults.DEFAULT_KEEPALIVE_TIMEOUT,
                ssl=_tls_setting(ssl, base_url),
                proxy=self._proxy,
                trust_env=trust_env,
                trace_configs=trace_configs,
            ),
            session=session,
            auth=auth,
            coordination=coordination,
            shared_key=limiter.key,
        )
        self._coordination = coordination
        self.workspaces = WorkspacesResource(self._core)
        self.members = MembersResource(self._core)
        self.projects = ProjectsResource(self._core)
        self.contracts = ContractsResource(self._core)
        self.tasks = TasksResource(self._core)
        self.project_viewers = ProjectViewersResource(self._core)
        self.webhooks = WebhooksResource(self._core)
        self.time_tracking = TimeTrackingResource(self._core)
        self.timesheets = TimesheetsResource(self._core)
        self.time_requests = TimeRequestsResource(self._core)
        self.time_entries = TimeEntriesResource(self._core)
        self.leaves = LeavesResource(self._core)
        self.expenses = ExpensesResource(self._core)
        self.reports = ReportsResource(self._core)
        self.api = RawResource(self._core)

    def __repr__(self) -> str:
        if "_core" not in vars(self):  # a repr while __init__ refuses its arguments
            return "<AsyncSession (not configured)>"
        proxy = "" if self._proxy is None else f" proxy={redact_url(self._proxy)!r}"
        return (
            f"<AsyncSession base_url={self._core.base_url!r} state={self._core.state!r} "
            f"max_concurrency={self._core.max_concurrency}{proxy}>"
        )

    @property
    def base_url(self) -> str:
        """The API root every path is joined to."""
        return self._core.base_url

    @property
    def max_concurrency(self) -> int:
        """How many requests the session has in flight at once at most."""
        return self._core.max_concurrency

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
        if self._own_coordination and self._coordination is not None:
            self._own_coordination = False
            await self._coordination.aclose()
