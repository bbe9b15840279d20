"""What a coordination backend gives the request core: a rate limit, a 429 pause and an OAuth2
refresh shared beyond one process (``AsyncSession(coordination=...)``).

The default is no backend: the in-process limiter of :mod:`webwork_async._ratelimit` and the
in-process refresh of :mod:`webwork_async._token_refresh`. A backend (``webwork_async.redis``
ships one) implements :class:`Coordination`; the core only ever calls these methods, and never
imports a backend.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from webwork_async._oauth2_flow import OAuth2Token
from webwork_async._ratelimit import RateLimit, RateLimitHeaders

__all__ = ["Coordination", "SharedLimiter"]


class SharedLimiter(Protocol):
    """The rate limit of one token, shared by every process that uses it.

    Every granted :meth:`acquire` is followed by exactly one :meth:`release` of its ticket.
    """

    def attach(self, rate: RateLimit | None) -> None:
        """A session that asked for ``rate`` (None: unpaced) starts using this limiter."""
        ...

    def detach(self, rate: RateLimit | None) -> None:
        """A session that attached ``rate`` is done with it."""
        ...

    async def acquire(self, lease: float) -> tuple[float, object | None]:
        """Take a slot for a request about to be sent: ``(0.0, ticket)``, or ``(wait, None)``
        with the seconds to wait before asking again (the window is full, or the token is
        paused after a 429). ``lease`` is how long the request may be in flight at most: a slot
        held longer (its process died) comes back by itself."""
        ...

    def release(self, ticket: object, status: int | None, headers: RateLimitHeaders | None) -> None:
        """The exchange of ``ticket``'s request ended (``status`` None: it failed without an
        answer); what the answer's rate-limit headers said, a 429 included, is shared too.
        Never blocks: the work is done in the background and :meth:`aclose` waits for it."""
        ...

    async def aclose(self) -> None:
        """Finish what :meth:`release` left running (a session closing)."""
        ...


@runtime_checkable
class Coordination(Protocol):
    """A backend that shares rate limits and OAuth2 refreshes between processes."""

    def limiter(self, key: str) -> SharedLimiter:
        """The shared limiter of the token whose hash is ``key`` (never the token itself)."""
        ...

    async def refresh_once(
        self,
        key: str,
        current: OAuth2Token,
        refresh: Callable[[OAuth2Token], Awaitable[OAuth2Token]],
    ) -> OAuth2Token:
        """The successor of ``current``, refreshed by one process only.

        ``key`` is the hash of the sign-in. If another process has refreshed ``current``
        already, its successor is returned without a call; else ``refresh(current)`` is called
        by one process at a time and the new pair kept where the others find it.
        """
        ...

    async def aclose(self) -> None:
        """Close the backend's connections."""
        ...
