"""Fixtures of the ``webwork_async.redis`` tests: a real Redis server (see ``redis_server.py``),
one a session since the outage tests stop and start it, and a fresh key prefix a test, so that no
test sees another's keys (the server is flushed too when a test leaves it running)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from webwork_async.testing import RedisServer, running_redis_server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """The session's server; stopped and deleted at its end, also when tests failed."""
    with running_redis_server() as server:
        yield server


@pytest.fixture
def redis_at(redis_server: RedisServer) -> Iterator[RedisServer]:
    """The server, running at the start of the test, and again after it (a test may stop it
    for an outage)."""
    redis_server.start()
    yield redis_server
    redis_server.start()


@pytest.fixture
def prefix() -> str:
    """A key prefix of this test's own."""
    return f"test-{secrets.token_hex(4)}:"


@pytest.fixture
async def raw(redis_at: RedisServer) -> AsyncIterator[aioredis.Redis]:
    """A plain client of the server, for looking at (and flushing) what the library wrote."""
    client = aioredis.Redis.from_url(redis_at.url, decode_responses=True)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.aclose()
