"""Share one token's rate limit, 429 pauses and OAuth2 refreshes between processes, via Redis.

The service counts a token's requests wherever they come from: two workers that each pace at
60 a minute send 120. With ``AsyncSession(coordination=RedisCoordination("redis://..."))`` (or
just the URL) every process using the token asks one Redis before each request, so together
they stay within the limit, a 429 met by one holds back all, and an OAuth2 refresh is done by
one of them::

    from webwork_async.redis import RedisCoordination

    coordination = RedisCoordination("redis://redis.internal:6379/0")
    try:
        async with AsyncSession(token, coordination=coordination) as ww:
            ...
    finally:
        await coordination.aclose()

One acquire or release is one Lua script call (one round trip), decided on Redis's clock.
When Redis cannot be used, each process paces on its own at a share of the limit (or raises
:class:`~webwork_async.errors.CoordinationError`, if asked to) and goes back to shared pacing
once Redis answers again. Needs the ``redis`` package: ``pip install 'webwork-async[redis]'``.
"""

from __future__ import annotations

try:
    import redis.asyncio  # noqa: F401  (the check that the extra is installed)
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "webwork_async.redis needs the redis package: pip install 'webwork-async[redis]'"
    ) from exc

from webwork_async.redis._backend import OnCoordinationError, RedisCoordination, RedisLimiter

__all__ = ["OnCoordinationError", "RedisCoordination", "RedisLimiter"]
