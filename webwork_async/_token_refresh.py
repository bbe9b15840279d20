"""OAuth2 tokens inside an ``AsyncSession``: refreshed ahead of expiry, once for the whole process.

Every :class:`OAuth2Auth` built from the same sign-in (the same refresh token, client and token
URL) joins one :class:`_Grant`, however many sessions, tasks or event loops use it. The grant
holds the current token and at most one refresh in flight (a ``concurrent.futures.Future``, so
that a session in another loop or thread can wait on it too). With rotating refresh tokens two
refreshes of one pair leave the loser with ``invalid_grant``; with one refresh per grant that
cannot happen inside a process. Between processes it still can: on ``invalid_grant`` the stores
are read again, since another process may have saved the new pair there.

A refresh is never cancelled half-way (the service may have rotated the pair already, and a lost
answer signs the user out): it runs as a task of its own, waiters that are cancelled leave it
running, and closing the session that started it waits for it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import hashlib
import inspect
import logging
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Final, Literal, NamedTuple, TypedDict, TypeVar

import aiohttp

from webwork_async._constants import (
    LOGGER_NAME,
    OAUTH2_ADVISORY_RETRY,
    OAUTH2_ADVISORY_WINDOW,
    OAUTH2_CLIENT_AUTH,
    OAUTH2_MANDATORY_WINDOW,
    OAUTH2_TOKEN_URL,
)
from webwork_async._coordination import Coordination
from webwork_async._oauth2_flow import (
    ClientAuth,
    MemoryTokenStore,
    OAuth2Token,
    TokenStore,
    refresh,
)
from webwork_async._protocol import Secret, check_token
from webwork_async._validation import is_seconds
from webwork_async.errors import ConfigurationError, OAuth2Error, SessionStateError

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["OAuth2Auth", "OAuth2Options", "RefreshNeed", "TokenCallback", "refresh_need"]

logger = logging.getLogger(LOGGER_NAME)

#: What a token's remaining lifetime calls for: nothing, a refresh in the background, or a
#: refresh that every request waits for.
RefreshNeed = Literal["none", "advisory", "mandatory"]

#: ``on_token_refresh``: called with each new token (a plain function or a coroutine function).
TokenCallback = Callable[[OAuth2Token], "Awaitable[None] | None"]

_METHOD: Final = "POST"
_T = TypeVar("_T")


def refresh_need(
    expires_in: float,
    *,
    advisory_window: float = OAUTH2_ADVISORY_WINDOW,
    mandatory_window: float = OAUTH2_MANDATORY_WINDOW,
) -> RefreshNeed:
    """What a token that expires in ``expires_in`` seconds calls for (pure)."""
    if expires_in <= mandatory_window:
        return "mandatory"
    if expires_in <= advisory_window:
        return "advisory"
    return "none"


def _grant_key(token_url: str, client_id: str, token: OAuth2Token) -> str:
    """The registry key of the sign-in ``token`` belongs to: a hash, never the token itself."""
    held = token.refresh_token or token.access_token
    return hashlib.sha256(f"{token_url}\0{client_id}\0{held}".encode()).hexdigest()


class _Grant:
    """One sign-in as the whole process sees it: its current token and its refresh in flight."""

    def __init__(self, token: OAuth2Token, key: str) -> None:
        self.token = token
        self.generation = 0  # +1 with every new token
        self.limiter_key = "oauth2\0" + key  # stays the same across refreshes
        self.lock = threading.Lock()
        self.inflight: concurrent.futures.Future[OAuth2Token] | None = None
        self.task: asyncio.Task[None] | None = None
        self.advisory_after = 0.0  # monotonic: no advisory refresh before this (after a failure)
        self.failure: OAuth2Error | None = None  # set once only a new sign-in can help
        self.members: weakref.WeakSet[OAuth2Auth] = weakref.WeakSet()

    def adopt(self, token: OAuth2Token, key: str) -> None:
        """Make ``token`` the current one (call with :data:`_registry_lock` held)."""
        self.token = token
        self.generation += 1
        self.failure = None
        _registry[key] = self


_registry: weakref.WeakValueDictionary[str, _Grant] = weakref.WeakValueDictionary()
_registry_lock = threading.Lock()


def _join(key: str, token: OAuth2Token) -> _Grant:
    """The grant of ``key``, made for ``token`` when the process has none yet; a grant that knows
    a later token of the same pair keeps it."""
    with _registry_lock:
        grant = _registry.get(key)
        if grant is None:
            grant = _registry[key] = _Grant(token, key)
        elif token.expires_at > grant.token.expires_at and token.refresh_token == (
            grant.token.refresh_token
        ):
            grant.adopt(token, key)
        return grant


class OAuth2Options(TypedDict, total=False):
    """The options of :class:`OAuth2Auth` besides the token, the client and the store."""

    on_token_refresh: TokenCallback | None
    token_url: str
    client_auth: ClientAuth
    advisory_window: float
    mandatory_window: float
    rate_limit_key: str | None


class OAuth2Auth:
    """OAuth2 for an :class:`~webwork_async.AsyncSession`: ``AsyncSession(auth=OAuth2Auth(...))``.

    The session sends ``token``'s access token and keeps it fresh: within ``advisory_window``
    seconds of its expiry one request starts a refresh while the others go on with the current
    token; within ``mandatory_window`` seconds (or once it has expired) every request waits for
    the new one; a request answered 401 waits for a refresh and is sent once more. There is one
    refresh at a time for every session of the process that holds the same sign-in, whatever
    ``OAuth2Auth`` object each was given.

    Each new token is saved to ``store`` (by default a
    :class:`~webwork_async.oauth2.MemoryTokenStore`) before the requests waiting for it go on,
    and handed to ``on_token_refresh``. When the token URL answers ``invalid_grant`` (another
    process rotated the pair, say), the store is read again and a newer pair found there is
    used; otherwise the requests raise :class:`~webwork_async.errors.OAuth2Error`, an
    ``AuthenticationError`` whose ``sign_in_again`` is True and whose message says that the
    user must sign in again.

    ``client_id``, ``client_secret``, ``token_url`` and ``client_auth`` are those of
    :func:`~webwork_async.oauth2.refresh`. The client secret and the tokens never appear in a
    ``repr``, a log line or an error.

    The rate limit (60 requests a minute per user) is shared by every session of the sign-in,
    across its refreshes. Sessions of other processes (``coordination=``) share it when they
    started from the same pair; give ``rate_limit_key`` (the app's own id for the user, hashed
    before use) to share it whatever pair each process holds.
    """

    def __init__(
        self,
        token: OAuth2Token,
        *,
        client_id: str,
        client_secret: str,
        store: TokenStore | None = None,
        on_token_refresh: TokenCallback | None = None,
        token_url: str = OAUTH2_TOKEN_URL,
        client_auth: ClientAuth = OAUTH2_CLIENT_AUTH,
        advisory_window: float = OAUTH2_ADVISORY_WINDOW,
        mandatory_window: float = OAUTH2_MANDATORY_WINDOW,
        rate_limit_key: str | None = None,
    ) -> None:
        """Use ``token`` (and keep its successors in ``store``)."""
        self._client_secret = Secret(client_secret)
        del client_secret
        if not isinstance(self._client_secret.reveal(), str) or not self._client_secret.reveal():
            raise ConfigurationError("client_secret must be a non-empty string")
        if not isinstance(token, OAuth2Token):
            raise ConfigurationError(f"token must be an OAuth2Token, got {type(token).__name__}")
        if not isinstance(client_id, str) or not client_id.strip():
            raise ConfigurationError("client_id must be a non-empty string")
        if store is not None and not isinstance(store, TokenStore):
            raise ConfigurationError(
                f"store must have async load() and save(), got {type(store).__name__}"
            )
        if on_token_refresh is not None and not callable(on_token_refresh):
            raise ConfigurationError("on_token_refresh must be callable")
        for name, window in (
            ("advisory_window", advisory_window),
            ("mandatory_window", mandatory_window),
        ):
            if not is_seconds(window, zero_allowed=True):
                raise ConfigurationError(f"{name} must be a number of seconds >= 0, got {window!r}")
        if mandatory_window > advisory_window:
            raise ConfigurationError(
                f"mandatory_window ({mandatory_window}) must not exceed "
                f"advisory_window ({advisory_window})"
            )
        if client_auth not in ("post", "basic"):
            raise ConfigurationError(f"client_auth must be 'post' or 'basic', not {client_auth!r}")
        if rate_limit_key is not None and (
            not isinstance(rate_limit_key, str) or not rate_limit_key
        ):
            raise ConfigurationError("rate_limit_key must be a non-empty string or None")
        _header_value(token)
        self.client_id = client_id
        self.token_url = token_url
        self.client_auth: ClientAuth = client_auth
        self.store: TokenStore = store if store is not None else MemoryTokenStore(token)
        self.on_token_refresh = on_token_refresh
        self.advisory_window = float(advisory_window)
        self.mandatory_window = float(mandatory_window)
        self._grant = _join(_grant_key(token_url, client_id, token), token)
        self._grant.members.add(self)
        self._limiter_key = self._grant.limiter_key
        if rate_limit_key is not None:
            self._limiter_key = "oauth2-user\0" + rate_limit_key

    @classmethod
    async def from_store(
        cls,
        store: TokenStore,
        *,
        client_id: str,
        client_secret: str,
        **options: Unpack[OAuth2Options],
    ) -> OAuth2Auth:
        """An ``OAuth2Auth`` for the token ``store`` holds (``options`` as for the class); a
        store that holds none is a :class:`~webwork_async.errors.ConfigurationError` (the user
        has to sign in first)."""
        secret = Secret(client_secret)
        del client_secret
        token = await store.load()
        if token is None:
            raise ConfigurationError(f"{store!r} holds no token: the user has to sign in first")
        return cls(
            token, client_id=client_id, client_secret=str(secret.reveal()), store=store, **options
        )

    def __repr__(self) -> str:
        return (
            f"OAuth2Auth(client_id={self.client_id!r}, "
            f"expires_at={self.token.expires_at.isoformat()!r}, store={self.store!r})"
        )

    @property
    def token(self) -> OAuth2Token:
        """The current token (the latest any session of the process refreshed to)."""
        return self._grant.token

    # -- what the request core calls ----------------------------------------------------------

    @property
    def limiter_key(self) -> str:
        """What the rate limiter is shared by: ``rate_limit_key``, else the sign-in (the same
        across its refreshes)."""
        return self._limiter_key

    @property
    def generation(self) -> int:
        """A number that changes with every new token; read it before a request is sent."""
        return self._grant.generation

    def authorization(self) -> str:
        """The ``Authorization`` header of the current token."""
        return _header_value(self._grant.token)

    async def ensure_fresh(
        self, http: aiohttp.ClientSession, coordination: Coordination | None = None
    ) -> None:
        """Refresh as the windows say: start one in the advisory window, wait for one in the
        mandatory window. Raises the refresh's error when a request has to wait for it. With
        ``coordination``, one process of all that hold the sign-in refreshes."""
        grant = self._grant
        if grant.failure is not None:
            raise _again(grant.failure)
        need = refresh_need(
            grant.token.expires_in(),
            advisory_window=self.advisory_window,
            mandatory_window=self.mandatory_window,
        )
        if need == "none":
            return
        if need == "advisory":
            if grant.inflight is None and time.monotonic() >= grant.advisory_after:
                self._start(http, coordination)
            return
        await _wait(self._start(http, coordination))

    async def unauthorized(
        self,
        generation: int,
        http: aiohttp.ClientSession,
        coordination: Coordination | None = None,
    ) -> None:
        """A request sent with the token of ``generation`` was answered 401: refresh, unless a
        newer token has arrived since, and return once there is one to send it again with."""
        grant = self._grant
        if grant.generation != generation:
            return
        if grant.failure is not None:
            raise _again(grant.failure)
        await _wait(self._start(http, coordination))

    async def settle(self) -> None:
        """Wait for a refresh in flight in the running loop (a session closing), so that the
        pair it brings is kept; it ends within the token URL's timeout."""
        task = self._grant.task
        if task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop():
            await asyncio.wait([task])

    # -- the refresh ---------------------------------------------------------------------------

    def _start(
        self, http: aiohttp.ClientSession, coordination: Coordination | None
    ) -> concurrent.futures.Future[OAuth2Token]:
        """The refresh in flight, started now (as a task of the running loop) if there is none."""
        grant = self._grant
        with grant.lock:
            if grant.inflight is not None:
                return grant.inflight
            outcome: concurrent.futures.Future[OAuth2Token] = concurrent.futures.Future()
            outcome.set_running_or_notify_cancel()  # a waiter's cancellation cannot cancel it
            grant.inflight = outcome
            grant.task = asyncio.get_running_loop().create_task(
                self._refresh(outcome, _Caller(self, http, coordination))
            )
            return outcome

    async def _refresh(
        self, outcome: concurrent.futures.Future[OAuth2Token], caller: _Caller
    ) -> None:
        grant = self._grant
        try:
            token = await self._new_token(grant.token, caller)
            _header_value(token)
        except BaseException as exc:  # every waiter gets it; a cancelled task still tells them
            error: BaseException = exc
            if isinstance(exc, asyncio.CancelledError):
                error = SessionStateError("the OAuth2 refresh was cancelled (its loop stopped)")
            with grant.lock:
                grant.inflight = None
                grant.advisory_after = time.monotonic() + OAUTH2_ADVISORY_RETRY
                if isinstance(error, OAuth2Error) and (
                    error.sign_in_again or grant.token.refresh_token is None
                ):
                    grant.failure = error  # only a new sign-in helps: not tried again
            logger.warning("refreshing the OAuth2 token failed: %s", error)
            outcome.set_exception(error)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        with _registry_lock, grant.lock:
            grant.adopt(token, _grant_key(self.token_url, self.client_id, token))
            grant.inflight = None
        logger.info("refreshed the OAuth2 token; it expires at %s", token.expires_at.isoformat())
        await _keep(grant, token)
        outcome.set_result(token)

    async def _new_token(self, current: OAuth2Token, caller: _Caller) -> OAuth2Token:
        """A token to go on with: ``current`` refreshed, or a newer one another process saved in
        a store when the token URL says ``current``'s refresh token is used."""
        if current.refresh_token is None:
            raise OAuth2Error(
                error=None,
                description="the access token expires and there is no refresh token; "
                "the user must sign in again",
                status=401,
                method=_METHOD,
                url=self.token_url,
            )
        try:
            return await caller.refresh(current)
        except OAuth2Error as exc:
            if not exc.sign_in_again:
                raise
            refused = exc
        stored = await _newer_in_stores(self._grant, current)
        if stored is None:
            raise refused
        need = refresh_need(
            stored.expires_in(),
            advisory_window=self.advisory_window,
            mandatory_window=self.mandatory_window,
        )
        return stored if need != "mandatory" else await caller.refresh(stored)

    async def _call(self, token: OAuth2Token, http: aiohttp.ClientSession) -> OAuth2Token:
        return await refresh(
            token,
            client_id=self.client_id,
            client_secret=str(self._client_secret.reveal()),
            token_url=self.token_url,
            client_auth=self.client_auth,
            session=http,
        )


class _Caller(NamedTuple):
    """Who refreshes: the auth, the HTTP session to call the token URL with, and the backend
    that lets one process of many do it (None: this process is on its own)."""

    auth: OAuth2Auth
    http: aiohttp.ClientSession
    coordination: Coordination | None

    async def refresh(self, token: OAuth2Token) -> OAuth2Token:
        if self.coordination is None:
            return await self.auth._call(token, self.http)
        key = _grant_key(self.auth.token_url, self.auth.client_id, token)
        return await self.coordination.refresh_once(
            key, token, functools.partial(self.auth._call, http=self.http)
        )


def _header_value(token: OAuth2Token) -> str:
    """``Bearer <access token>``, once the token is fit for a header (never echoed)."""
    return f"Bearer {check_token(Secret(token.access_token)).reveal()}"


async def _wait(outcome: concurrent.futures.Future[OAuth2Token]) -> None:
    """Wait for a refresh from any loop; cancelling the wait leaves the refresh running."""
    await asyncio.wrap_future(outcome)


def _again(failure: OAuth2Error) -> OAuth2Error:
    """A fresh error like ``failure``, for one more request of a grant that is refused for good."""
    return OAuth2Error(
        error=failure.error,
        description=failure.description,
        status=failure.status,
        method=failure.method,
        url=failure.url,
    )


async def _newer_in_stores(grant: _Grant, current: OAuth2Token) -> OAuth2Token | None:
    """The latest token in the grant's stores that is not ``current``'s pair, if any."""
    newest: OAuth2Token | None = None
    for store in _distinct(auth.store for auth in list(grant.members)):
        try:
            stored = await store.load()
        except Exception as exc:  # one broken store must not hide a good one
            logger.warning("reading the OAuth2 token store %r failed: %s", store, exc)
            continue
        if stored is None or stored.refresh_token == current.refresh_token:
            continue
        if newest is None or stored.expires_at > newest.expires_at:
            newest = stored
    return newest


async def _keep(grant: _Grant, token: OAuth2Token) -> None:
    """Save ``token`` to every store of the grant's members and tell their callbacks, once
    each; a failure is logged (the token is in use already) and does not stop the others."""
    members = list(grant.members)
    for store in _distinct(auth.store for auth in members):
        try:
            await store.save(token)
        except Exception:
            logger.exception("saving the refreshed OAuth2 token to %r failed", store)
    for callback in _distinct(auth.on_token_refresh for auth in members):
        if callback is None:
            continue
        try:
            result = callback(token)
            if inspect.isawaitable(result):
                await result
        except Exception:
            logger.exception("on_token_refresh %r failed", callback)


def _distinct(items: Iterable[_T]) -> list[_T]:
    """``items`` without repeats, by identity, in order (two members may share a store)."""
    seen: set[int] = set()
    kept: list[_T] = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            kept.append(item)
    return kept
