"""RedisCoordination: one rate limit, one 429 pause and one OAuth2 refresh for every process.

See :mod:`webwork_async.redis` for the overview and :mod:`webwork_async.redis._scripts` for the
rules the Lua scripts apply.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import hashlib
import logging
import math
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import msgspec
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from webwork_async import _constants as defaults
from webwork_async._coordination import Coordination, SharedLimiter
from webwork_async._ratelimit import RateLimit, RateLimiter, RateLimitHeaders
from webwork_async._validation import is_seconds
from webwork_async.errors import ConfigurationError, CoordinationError
from webwork_async.oauth2 import OAuth2Token
from webwork_async.redis import _scripts

__all__ = ["OnCoordinationError", "RedisCoordination", "RedisLimiter"]

logger = logging.getLogger(f"{defaults.LOGGER_NAME}.redis")

#: What a session does when Redis cannot be used: pace on its own, or raise CoordinationError.
OnCoordinationError = Literal["fallback", "raise"]

_T = TypeVar("_T")
_SCHEMES = ("redis://", "rediss://", "unix://")
_URL_PASSWORD = re.compile(r"(://[^:/@]*):[^@]*@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)
_token_json = msgspec.json.Decoder(OAuth2Token)


def redact(url: str) -> str:
    """``url`` with its password (in the authority or the query) shown as ``***``."""
    return _QUERY_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1:***@", url))


def _client_url(client: aioredis.Redis) -> str:
    """Where a client the caller made points, as a URL without its password."""
    options = client.connection_pool.connection_kwargs
    secret = ":***@" if options.get("password") else ""
    if options.get("path"):
        return f"unix://{secret}{options['path']}?db={options.get('db', 0)}"
    scheme = (
        "rediss" if client.connection_pool.connection_class.__name__.startswith("SSL") else "redis"
    )
    host, port = options.get("host", "localhost"), options.get("port", 6379)
    return f"{scheme}://{secret}{host}:{port}/{options.get('db', 0)}"


class _Unavailable(Exception):
    """Redis could not be used for one call; the message says what failed, without secrets."""


def _digest(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


@dataclass(frozen=True)
class _Ticket:
    """What a granted acquire hands back: which limiter granted it (Redis, or this process's
    own during an outage), the request's id in Redis and the rate it was paced at."""

    request_id: str
    local: bool
    rate: RateLimit | None

    def __repr__(self) -> str:
        return f"<ticket {self.request_id} {'local' if self.local else 'redis'}>"


class RedisLimiter(SharedLimiter):
    """The rate limit of one token in Redis (see :class:`RedisCoordination`), with this
    process's own limiter at a share of the rate standing in while Redis is unreachable."""

    def __init__(self, coordination: RedisCoordination, key: str) -> None:
        self._coordination = coordination
        self._keys = _scripts.keys_of(coordination.prefix, key)
        self._rates: list[RateLimit | None] = []
        self._local = RateLimiter()
        self._tasks: set[asyncio.Task[None]] = set()
        # What the local limiter granted that Redis does not know of: told to Redis on the first
        # acquire after the outage, so that the service's window is counted whole.
        self._untold: set[str] = set()  # ids of local tickets in flight
        self._local_returns: list[float] = []  # monotonic times their slots come back
        self._local_paused_until = 0.0

    def __repr__(self) -> str:
        return f"<RedisLimiter {self._keys[0].rsplit(':', 1)[0]} at {self._coordination.url}>"

    def attach(self, rate: RateLimit | None) -> None:
        """A session that asked for ``rate`` (None: unpaced) starts using this limiter."""
        self._rates.append(rate)
        self._local.attach(self._coordination._share_of(rate))

    def detach(self, rate: RateLimit | None) -> None:
        """A session that attached ``rate`` is done with it."""
        self._rates.remove(rate)
        self._local.detach(self._coordination._share_of(rate))

    def _rate(self) -> RateLimit | None:
        """The strictest rate attached here (the one this process asks Redis for)."""
        paced = [rate for rate in self._rates if rate is not None]
        return min(paced, key=lambda rate: rate.requests / rate.period) if paced else None

    async def acquire(self, lease: float) -> tuple[float, object | None]:
        """Take a slot in Redis for a request about to be sent: ``(0.0, ticket)``, or
        ``(wait, None)``; while Redis is unreachable, in this process's own limiter."""
        rate = self._rate()
        coordination = self._coordination
        if coordination._worth_trying():
            request_id = secrets.token_hex(8)
            carry = self._carry()
            try:
                answer = await coordination._call(
                    coordination._acquire(
                        keys=self._keys, args=_scripts.acquire_args(request_id, rate, lease, carry)
                    )
                )
            except _Unavailable as fault:
                coordination._failed(str(fault))
            else:
                coordination._succeeded()
                if carry is not _scripts.NO_CARRY:
                    self._carried(carry)
                wait = float(answer) / 1000
                if wait > 0:
                    return wait, None
                return 0.0, _Ticket(request_id, False, rate)
        coordination._raise_if_asked()
        wait = self._local.acquire(time.monotonic())
        if wait:
            return wait, None
        ticket = _Ticket(secrets.token_hex(8), True, rate)
        self._untold.add(ticket.request_id)
        return 0.0, ticket

    def release(self, ticket: object, status: int | None, headers: RateLimitHeaders | None) -> None:
        """The exchange of ``ticket``'s request ended; Redis is told in the background (the
        limiter that granted it, rather), with what the answer's headers said."""
        if not isinstance(ticket, _Ticket):
            raise TypeError(f"not a ticket of a RedisLimiter: {type(ticket).__name__}")
        if ticket.local:
            self._release_local(ticket, status, headers)
            return
        task = asyncio.get_running_loop().create_task(self._release_remote(ticket, status, headers))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("a release to Redis failed", exc_info=task.exception())

    async def _release_remote(
        self, ticket: _Ticket, status: int | None, headers: RateLimitHeaders | None
    ) -> None:
        coordination = self._coordination
        if status == 429:  # known here too, should Redis be gone when the next request asks
            self._local.observe(headers or RateLimitHeaders(), time.monotonic(), rejected=True)
        if not coordination._worth_trying():
            return  # its lease in Redis lapses, and the slot comes back then
        try:
            await coordination._call(
                coordination._release(
                    keys=self._keys,
                    args=_scripts.release_args(ticket.request_id, ticket.rate, status, headers),
                )
            )
        except _Unavailable as fault:
            coordination._failed(str(fault))
        else:
            coordination._succeeded()

    def _release_local(
        self, ticket: _Ticket, status: int | None, headers: RateLimitHeaders | None
    ) -> None:
        now = time.monotonic()
        self._local.release(now)
        rate = self._rate()
        if ticket.request_id in self._untold:
            self._untold.discard(ticket.request_id)
            if rate is not None:
                self._local_returns.append(now + rate.period * (1 + defaults.RATE_LIMIT_MARGIN))
        if status != 429 and headers is None:
            return
        info = headers or RateLimitHeaders()
        self._local.observe(info, now, rejected=status == 429)
        if status == 429:
            wait = info.retry_after if info.retry_after is not None else info.reset_after
            wait = defaults.RETRY_BACKOFF if wait is None else wait
            self._local_paused_until = max(self._local_paused_until, now + wait)

    def _carry(self) -> _scripts.Carry:
        """What to tell Redis of the local limiter's work: nothing, but after an outage."""
        now = time.monotonic()
        self._local_returns = [back for back in self._local_returns if back > now]
        pause = self._local_paused_until - now
        if not self._local_returns and not self._untold and pause <= 0:
            return _scripts.NO_CARRY
        return _scripts.Carry(
            pause=max(0.0, pause),
            in_flight=frozenset(self._untold),
            returns=tuple(self._local_returns),
            now=now,
        )

    def _carried(self, carry: _scripts.Carry) -> None:
        """Redis knows what ``carry`` said (the local work since may be untold still)."""
        self._untold -= carry.in_flight
        told = set(carry.returns)
        self._local_returns = [back for back in self._local_returns if back not in told]
        if self._local_paused_until <= carry.now + carry.pause:
            self._local_paused_until = 0.0

    async def aclose(self) -> None:
        """Wait for the releases still being told to Redis (a session closing)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


class RedisCoordination(Coordination):
    """Share the rate limit, the 429 pauses and the OAuth2 refreshes of a token through Redis,
    so that every process and machine using it stays under the service's limit together.

    ``url_or_client`` is a ``redis://host:port/db`` (``rediss://``, ``unix://``) URL, or a
    ``redis.asyncio.Redis`` the caller owns (and closes: :meth:`aclose` leaves it open). Keys
    start with ``prefix`` and hold hashes, never a token. When Redis cannot be used (down, no
    answer within ``timeout`` seconds, a script refused), ``on_coordination_error="fallback"``
    paces each process on its own at ``fallback_share`` of the limit and tries Redis again
    every ``REDIS_RETRY_INTERVAL`` seconds; ``"raise"`` raises
    :class:`~webwork_async.errors.CoordinationError` instead, and nothing is sent.

    :meth:`refresh_once` keeps a refreshed OAuth2 pair in Redis for the other processes (they
    would be refused the old refresh token once the service rotates it): Redis then holds a
    live token, so protect it as you protect the token store (a password, TLS, no public port).

    One object serves every session of the process (pass it to each; close it after them), in
    one event loop: the ``redis.asyncio`` client is bound to the loop it first ran in.
    """

    def __init__(
        self,
        url_or_client: str | aioredis.Redis,
        *,
        prefix: str = defaults.REDIS_PREFIX,
        fallback_share: float = defaults.REDIS_FALLBACK_SHARE,
        on_coordination_error: OnCoordinationError = "fallback",
        timeout: float = defaults.REDIS_TIMEOUT,
    ) -> None:
        if not isinstance(prefix, str) or not prefix:
            raise ConfigurationError(f"prefix must be a non-empty str, got {prefix!r}")
        if not is_seconds(fallback_share) or fallback_share > 1:  # a fraction in (0, 1]
            raise ConfigurationError(
                f"fallback_share must be a number in (0, 1], got {fallback_share!r}"
            )
        if on_coordination_error not in ("fallback", "raise"):
            raise ConfigurationError(
                "on_coordination_error must be 'fallback' or 'raise', "
                f"got {on_coordination_error!r}"
            )
        if not is_seconds(timeout):
            raise ConfigurationError(f"timeout must be a number of seconds > 0, got {timeout!r}")
        self._password: str | None = None
        if isinstance(url_or_client, str):
            if not url_or_client.startswith(_SCHEMES):
                raise ConfigurationError(
                    "url_or_client must be a redis://, rediss:// or unix:// URL or a "
                    f"redis.asyncio.Redis, got {redact(url_or_client)!r}"
                )
            self.url = redact(url_or_client)
            try:
                client = aioredis.Redis.from_url(
                    url_or_client,
                    socket_timeout=timeout,
                    socket_connect_timeout=timeout,
                    retry=Retry(NoBackoff(), 0),
                )
            except ValueError as exc:
                raise ConfigurationError(
                    f"url_or_client: {self.url} is no Redis URL: {redact(str(exc))}"
                ) from None
            self._owned = True
        elif isinstance(url_or_client, aioredis.Redis):
            client = url_or_client
            self.url = _client_url(client)
            self._owned = False
        else:
            raise ConfigurationError(
                "url_or_client must be a redis:// URL or a redis.asyncio.Redis, "
                f"got {type(url_or_client).__name__}"
            )
        password = client.connection_pool.connection_kwargs.get("password")
        self._password = password if isinstance(password, str) and password else None
        self._client = client
        self.prefix = prefix
        self.fallback_share = float(fallback_share)
        self.on_coordination_error: OnCoordinationError = on_coordination_error
        self.timeout = float(timeout)
        self._acquire = client.register_script(_scripts.ACQUIRE)
        self._release = client.register_script(_scripts.RELEASE)
        self._unlock = client.register_script(_scripts.UNLOCK)
        self._limiters: dict[str, RedisLimiter] = {}
        self._down = False
        self._next_try = 0.0
        self._last_problem = ""
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"RedisCoordination({self.url!r}, prefix={self.prefix!r}, "
            f"fallback_share={self.fallback_share:g}, "
            f"on_coordination_error={self.on_coordination_error!r})"
        )

    def limiter(self, key: str) -> RedisLimiter:
        """The shared limiter of the token whose hash is ``key``; one object per key."""
        if not isinstance(key, str) or not key:
            raise ConfigurationError(f"key must be a non-empty str, got {type(key).__name__}")
        found = self._limiters.get(key)
        if found is None:
            found = self._limiters[key] = RedisLimiter(self, key)
        return found

    def _share_of(self, rate: RateLimit | None) -> RateLimit | None:
        """The rate a process paces at on its own: its share, at least one request a period."""
        if rate is None:
            return None
        requests = max(1, math.floor(rate.requests * self.fallback_share))
        return RateLimit(requests=requests, period=rate.period)

    # -- calls and faults -------------------------------------------------------------------

    def _clean(self, text: str) -> str:
        return text.replace(self._password, "***") if self._password else text

    async def _call(self, call: Awaitable[_T]) -> _T:
        """One Redis call, bounded by the timeout; any failure is :class:`_Unavailable`."""
        try:
            return await asyncio.wait_for(call, self.timeout)
        except (asyncio.TimeoutError, builtins.TimeoutError, RedisTimeoutError):
            raise _Unavailable(f"no answer within {self.timeout:g} s") from None
        except ResponseError as exc:
            problem = f"refused a command ({type(exc).__name__}: {self._clean(str(exc))})"
            raise _Unavailable(problem) from None
        except (RedisError, OSError) as exc:
            raise _Unavailable(
                f"unreachable ({type(exc).__name__}: {self._clean(str(exc))})"
            ) from None

    def _worth_trying(self) -> bool:
        """Whether to ask Redis now: always when it works, once a retry interval when not."""
        if not self._down:
            return True
        now = time.monotonic()
        if now < self._next_try:
            return False
        self._next_try = now + defaults.REDIS_RETRY_INTERVAL  # one probe at a time
        return True

    def _failed(self, problem: str) -> None:
        self._last_problem = problem
        self._next_try = time.monotonic() + defaults.REDIS_RETRY_INTERVAL
        if self._down:
            return
        self._down = True
        if self.on_coordination_error == "raise":
            then = "requests raise CoordinationError until it is back"
        else:
            then = (
                f"pacing on this process's own at {self.fallback_share:.0%} of the limit "
                "until it is back"
            )
        logger.warning("Redis at %s: %s; %s", self.url, problem, then)

    def _succeeded(self) -> None:
        if self._down:
            self._down = False
            logger.info("Redis at %s is back: shared pacing resumes", self.url)

    def _raise_if_asked(self) -> None:
        if self.on_coordination_error == "raise":
            raise CoordinationError(
                f"Redis at {self.url}: {self._last_problem}; the request was not sent "
                "(on_coordination_error='raise')"
            )

    # -- OAuth2 -------------------------------------------------------------------------------

    def _oauth_key(self, key: str, name: str) -> str:
        return f"{self.prefix}{{{key}}}:oauth:{name}"

    async def refresh_once(
        self,
        key: str,
        current: OAuth2Token,
        refresh: Callable[[OAuth2Token], Awaitable[OAuth2Token]],
    ) -> OAuth2Token:
        """The successor of ``current``: the one another process stored, else the one
        ``refresh(current)`` gives, called by one process at a time and stored for the others
        (under a hash of ``current``'s refresh token, for ``REDIS_SUCCESSOR_TTL`` seconds).

        The stored pair holds live tokens: protect Redis as you protect the token store.
        Without Redis, ``"fallback"`` refreshes here (logged) and ``"raise"`` raises
        :class:`~webwork_async.errors.CoordinationError`.
        """
        if current.refresh_token is None:
            return await refresh(current)  # nothing to share: it fails as it would alone
        try:
            found = await self._successor(key, current)
            if found is not None:
                return found
            return await self._refresh_locked(key, current, refresh)
        except _Unavailable as fault:
            if self.on_coordination_error == "raise":
                raise CoordinationError(
                    f"Redis at {self.url}: {fault}; the OAuth2 token was not refreshed "
                    "(on_coordination_error='raise')"
                ) from None
            logger.warning(
                "Redis at %s: %s; refreshing the OAuth2 token without telling the other "
                "processes (they may be refused the old refresh token)",
                self.url,
                fault,
            )
            return await refresh(current)

    async def _successor(self, key: str, current: OAuth2Token) -> OAuth2Token | None:
        """The newest pair stored after ``current`` (following the chain), None if none."""
        found: OAuth2Token | None = None
        token = current
        seen: set[str] = set()
        for _ in range(defaults.REDIS_SUCCESSOR_CHAIN):
            if token.refresh_token is None:
                break
            digest = _digest(token.refresh_token)
            if digest in seen:
                break  # a service that does not rotate refresh tokens
            seen.add(digest)
            raw: Any = await self._call(self._client.get(self._oauth_key(key, f"next:{digest}")))
            if raw is None:
                break
            try:
                following = _token_json.decode(raw)
            except msgspec.DecodeError:
                logger.warning("Redis at %s: a stored OAuth2 pair is unreadable; ignored", self.url)
                break
            if following.access_token == token.access_token:
                break  # what the caller has already: it needs a new one
            found = token = following
        return found

    async def _refresh_locked(
        self,
        key: str,
        current: OAuth2Token,
        refresh: Callable[[OAuth2Token], Awaitable[OAuth2Token]],
    ) -> OAuth2Token:
        """Refresh under the sign-in's lock, unless a successor appears while waiting for it."""
        lock = self._oauth_key(key, "lock")
        mine = secrets.token_hex(16)
        hold = defaults.OAUTH2_TIMEOUT + defaults.REDIS_REFRESH_LOCK_MARGIN
        deadline = time.monotonic() + hold
        while not await self._call(self._client.set(lock, mine, nx=True, px=round(hold * 1000))):
            if time.monotonic() >= deadline:
                raise _Unavailable(f"the OAuth2 refresh lock stayed taken for {hold:g} s")
            await asyncio.sleep(defaults.REDIS_REFRESH_POLL)
            found = await self._successor(key, current)
            if found is not None:
                return found
        try:
            found = await self._successor(key, current)
            if found is not None:
                return found
            fresh = await refresh(current)
            assert current.refresh_token is not None  # refresh_once checked
            stored = self._oauth_key(key, f"next:{_digest(current.refresh_token)}")
            try:
                await self._call(
                    self._client.set(
                        stored,
                        msgspec.json.encode(fresh),
                        px=round(defaults.REDIS_SUCCESSOR_TTL * 1000),
                    )
                )
            except _Unavailable as fault:
                logger.warning(
                    "Redis at %s: %s; the refreshed OAuth2 token is not shared with the other "
                    "processes",
                    self.url,
                    fault,
                )
            return fresh
        finally:
            with contextlib.suppress(_Unavailable):  # else it expires by itself
                await self._call(self._unlock(keys=[lock], args=[mine]))

    # -- closing ------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Wait for the releases still being told to Redis, then close the client if this
        object made it (a client the caller passed stays open)."""
        for limiter in list(self._limiters.values()):
            await limiter.aclose()
        if self._owned and not self._closed:
            self._closed = True
            await self._client.aclose()
