"""``AsyncSession(coordination=...)`` end to end: requests to the fake server enforcing the
token's limit, paced through a real Redis, through an outage of it and after."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
import redis.asyncio as aioredis

from webwork_async import AsyncSession, ConfigurationError, CoordinationError, RateLimit
from webwork_async.redis import RedisCoordination
from webwork_async.testing import FakeWebWork, RedisServer

CAPACITY, PERIOD = 12, 1.0
SHARE = 0.25  # 3 requests a period while Redis is away
NO_HANG = 15.0


def most_in_a_period(arrivals: list[float]) -> int:
    arrivals = sorted(arrivals)
    return max(
        sum(1 for other in arrivals if start <= other < start + PERIOD) for start in arrivals
    )


async def test_a_session_paces_through_redis_falls_back_while_it_is_away_and_comes_back(
    redis_at: RedisServer, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="webwork_async")
    fake = FakeWebWork()
    fake.add_workspace(name="Acme")
    fake.enforce_rate_limit(CAPACITY, PERIOD)
    coordination = RedisCoordination(redis_at.url, prefix=prefix, fallback_share=SHARE)

    async def burst(ww: AsyncSession, count: int) -> list[float]:
        """``count`` concurrent requests; when each one arrived at the fake."""
        before = len(fake.requests)
        calls = (ww.api.request("GET", "workspaces") for _ in range(count))
        await asyncio.wait_for(asyncio.gather(*calls), NO_HANG)
        return [r.received_at for r in fake.requests[before:]]

    async with fake.serve() as base_url:
        session = AsyncSession(
            fake.token,
            base_url=base_url,
            rate_limit=RateLimit(CAPACITY, PERIOD),
            coordination=coordination,
        )
        async with session as ww:
            shared = await burst(ww, 2 * CAPACITY)
            assert most_in_a_period(shared) <= CAPACITY
            await asyncio.sleep(PERIOD * 1.1)  # the service's window empties

            redis_at.stop()
            started = time.monotonic()
            alone = await burst(ww, 9)
            assert time.monotonic() - started >= 2 * PERIOD  # 3, 3, 3: paced at the share
            assert most_in_a_period(alone) <= CAPACITY * SHARE
            warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
            assert len(warnings) == 1 and "25% of the limit" in warnings[0].getMessage()

            redis_at.start()
            await asyncio.sleep(PERIOD * 1.1)  # a retry interval, and the window empties
            await burst(ww, 1)  # finds Redis back (meanwhile the others keep to the share)
            again = await burst(ww, CAPACITY - 1)
            assert max(again) - min(again) < PERIOD / 2  # the whole limit again, at once
            assert any("is back" in r.getMessage() for r in caplog.records)
        await coordination.aclose()
    assert not [r for r in fake.requests if r.rate_limited]  # never over the service's limit
    assert redis_at.password not in caplog.text and fake.token not in caplog.text
    client = aioredis.Redis.from_url(redis_at.url, decode_responses=True)
    try:
        keys = await client.keys(f"{prefix}*")
        ttls = [await client.pttl(key) for key in keys]
    finally:
        await client.aclose()
    assert keys and all(fake.token not in key for key in keys)
    assert all(0 < ttl <= 3600 * 1000 for ttl in ttls)


async def test_a_session_given_a_url_owns_its_coordination(redis_at: RedisServer) -> None:
    fake = FakeWebWork()
    fake.add_workspace(name="Acme")
    async with fake.serve() as base_url:
        async with AsyncSession(fake.token, base_url=base_url, coordination=redis_at.url) as ww:
            assert [w.workspace_name async for w in ww.workspaces.list()] == ["Acme"]
            assert redis_at.password not in repr(ww)
    with pytest.raises(ConfigurationError, match="redis:// URL"):
        AsyncSession(fake.token, coordination="http://127.0.0.1:6379")


async def test_raise_mode_sends_nothing_while_redis_is_away(redis_at: RedisServer) -> None:
    fake = FakeWebWork()
    fake.add_workspace(name="Acme")
    coordination = RedisCoordination(redis_at.url, on_coordination_error="raise", timeout=0.2)
    redis_at.stop()
    try:
        async with fake.serve() as base_url:
            async with AsyncSession(fake.token, base_url=base_url, coordination=coordination) as ww:
                with pytest.raises(CoordinationError, match="not sent") as caught:
                    await asyncio.wait_for(ww.api.request("GET", "workspaces"), NO_HANG)
        assert redis_at.password not in str(caught.value)
        assert fake.requests == []
    finally:
        redis_at.start()
        await coordination.aclose()
