"""``RedisCoordination`` against a real Redis server: two objects stand for two processes, the
server is stopped and started for outages, and a silent TCP server plays a Redis that hangs."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import redis.asyncio as aioredis

from webwork_async import RateLimit
from webwork_async._constants import REDIS_RETRY_INTERVAL
from webwork_async.errors import ConfigurationError, CoordinationError
from webwork_async.oauth2 import OAuth2Token
from webwork_async.redis import RedisCoordination, RedisLimiter
from webwork_async.testing import RedisServer

PERIOD = 0.3
KEY = hashlib.sha256(b"a token").hexdigest()
LOGGER = "webwork_async.redis"


async def take(limiter: RedisLimiter, lease: float = 5.0) -> object:
    """A slot, waiting as the limiter says (what the request core does)."""
    while True:
        wait, ticket = await limiter.acquire(lease)
        if ticket is not None:
            return ticket
        await asyncio.sleep(wait)


def most_in_a_period(times: Sequence[float], period: float = PERIOD) -> int:
    """The most grants in any window [t, t + period)."""
    ordered = sorted(times)
    return max((sum(1 for u in ordered if t <= u < t + period) for t in ordered), default=0)


def records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno == level]


def is_local(ticket: object) -> bool:
    return "local" in repr(ticket)


async def test_two_processes_never_exceed_the_capacity_together(
    redis_at: RedisServer, prefix: str
) -> None:
    capacity = 4
    grants: dict[int, list[float]] = {0: [], 1: []}
    coordinations = [RedisCoordination(redis_at.url, prefix=prefix) for _ in range(2)]
    limiters = [c.limiter(KEY) for c in coordinations]
    for limiter in limiters:
        limiter.attach(RateLimit(capacity, PERIOD))
    stop_at = time.monotonic() + 1.0

    async def worker(n: int) -> None:
        limiter = limiters[n]
        while time.monotonic() < stop_at:
            ticket = await take(limiter)
            grants[n].append(time.monotonic())
            await asyncio.sleep(0.01 + 0.01 * n)  # the exchange
            limiter.release(ticket, 200, None)

    try:
        await asyncio.gather(*(worker(n) for n in (0, 1) for _ in range(3)))
    finally:
        for c in coordinations:
            await c.aclose()
    together = grants[0] + grants[1]
    assert most_in_a_period(together) <= capacity
    assert grants[0] and grants[1]
    assert len(together) >= 2 * capacity  # paced, not starved


async def test_an_outage_falls_back_at_the_share_and_redis_coming_back_resumes_sharing(
    redis_at: RedisServer, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    coordination = RedisCoordination(redis_at.url, prefix=prefix, timeout=0.3)
    limiter = coordination.limiter(KEY)
    limiter.attach(RateLimit(8, PERIOD))  # 25%: 2 a period on its own
    try:
        ticket = await take(limiter)
        assert not is_local(ticket)
        limiter.release(ticket, 200, None)
        await limiter.aclose()

        redis_at.stop()
        started = time.monotonic()
        wait, ticket = await limiter.acquire(5.0)
        assert time.monotonic() - started < 0.3 + 0.2  # bounded by the timeout
        assert wait == 0 and is_local(ticket)
        limiter.release(ticket, 200, None)
        local = [started]
        while time.monotonic() - started < 1.2:  # past a retry: Redis is tried again, in vain
            ticket = await take(limiter)
            local.append(time.monotonic())
            assert is_local(ticket)
            limiter.release(ticket, 200, None)
        assert most_in_a_period(local) <= 2
        assert len(local) >= 4
        held = await take(limiter)  # in flight across the end of the outage
        assert is_local(held)

        (warning,) = records(caplog, logging.WARNING)  # one per outage
        message = warning.getMessage()
        assert f"redis://:***@127.0.0.1:{redis_at.port}/0" in message
        assert "unreachable" in message and "25% of the limit" in message
        assert redis_at.password not in caplog.text
        assert records(caplog, logging.INFO) == []

        redis_at.start()  # empty: it keeps nothing
        await asyncio.sleep(REDIS_RETRY_INTERVAL)
        back = time.monotonic()
        shared = []
        for _ in range(5):
            ticket = await take(limiter)
            shared.append(time.monotonic())
            limiter.release(ticket, 200, None)
        assert shared[-1] - back < PERIOD  # more than the share in one period: shared again
        limiter.release(held, 200, None)
        await limiter.aclose()
        (info,) = records(caplog, logging.INFO)
        assert "back" in info.getMessage() and redis_at.password not in info.getMessage()
        assert len(records(caplog, logging.WARNING)) == 1
        # The request it let go on its own is known to Redis, as in flight.
        fresh = aioredis.Redis.from_url(redis_at.url, decode_responses=True)
        try:
            flight: Any = await fresh.zrange(f"{prefix}{{{KEY}}}:flight", 0, -1)
        finally:
            await fresh.aclose()
        assert any(member.startswith("carry:") for member in flight)
    finally:
        redis_at.start()
        await coordination.aclose()


async def test_raise_mode_raises_coordination_error_and_sends_nothing(
    redis_at: RedisServer, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    coordination = RedisCoordination(redis_at.url, prefix=prefix, on_coordination_error="raise")
    limiter = coordination.limiter(KEY)
    limiter.attach(RateLimit(8, PERIOD))
    try:
        redis_at.stop()
        for _ in range(2):  # the second without trying again: within the retry interval
            with pytest.raises(CoordinationError) as caught:
                await limiter.acquire(5.0)
            text = str(caught.value)
            assert f"redis://:***@127.0.0.1:{redis_at.port}/0" in text
            assert "unreachable" in text and redis_at.password not in text
        assert len(records(caplog, logging.WARNING)) == 1
        redis_at.start()
        await asyncio.sleep(REDIS_RETRY_INTERVAL)
        wait, ticket = await limiter.acquire(5.0)
        assert wait == 0 and not is_local(ticket)
        limiter.release(ticket, 200, None)
    finally:
        redis_at.start()
        await coordination.aclose()


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections and never says a word."""
    writers: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()


@pytest.mark.parametrize("given", ["url", "client"])
async def test_a_redis_that_never_answers_leads_to_the_fallback_within_the_timeout(
    silent_port: int, given: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A client of the caller's has no socket timeouts: the library's own bound must hold.
    client = aioredis.Redis(host="127.0.0.1", port=silent_port)
    target = f"redis://127.0.0.1:{silent_port}/0" if given == "url" else client
    coordination = RedisCoordination(target, timeout=0.3)
    limiter = coordination.limiter(KEY)
    limiter.attach(RateLimit(8, PERIOD))
    try:
        started = time.monotonic()
        wait, ticket = await limiter.acquire(5.0)
        assert time.monotonic() - started < 0.3 + 0.3
        assert wait == 0 and is_local(ticket)
        limiter.release(ticket, 200, None)
        started = time.monotonic()
        wait, ticket = await limiter.acquire(5.0)  # not tried again so soon
        assert time.monotonic() - started < 0.05 and is_local(ticket)
        limiter.release(ticket, 200, None)
        (warning,) = records(caplog, logging.WARNING)
        assert "no answer within 0.3 s" in warning.getMessage()
    finally:
        await coordination.aclose()
        await client.aclose()


async def test_a_script_redis_refuses_leads_to_the_fallback(
    redis_at: RedisServer, raw: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    # A user that may not run scripts: every acquire's EVALSHA is refused (NOPERM).
    await raw.acl_setuser(
        "noscripts", enabled=True, passwords=["+np-pass"], keys=["*"],
        commands=["+@all", "-evalsha", "-eval", "-script"],
    )  # fmt: skip
    coordination = RedisCoordination(f"redis://noscripts:np-pass@127.0.0.1:{redis_at.port}/0")
    limiter = coordination.limiter(KEY)
    limiter.attach(RateLimit(8, PERIOD))
    try:
        wait, ticket = await limiter.acquire(5.0)
        assert wait == 0 and is_local(ticket)
        limiter.release(ticket, 200, None)
        (warning,) = records(caplog, logging.WARNING)
        assert "refused a command" in warning.getMessage()
        assert "np-pass" not in caplog.text and "noscripts:***@" in warning.getMessage()
    finally:
        await coordination.aclose()
        await raw.acl_deluser("noscripts")


def token(name: str, *, refresh: str | None = None) -> OAuth2Token:
    return OAuth2Token(
        access_token=f"access-{name}",
        refresh_token=f"refresh-{name}" if refresh is None else refresh,
        expires_at=datetime.now(timezone.utc) + timedelta(hours=1),
        scopes=("read",),
    )


class Refresher:
    """The refresh the session would call: slow, counting, giving ``new`` pairs in turn."""

    def __init__(self, *new: OAuth2Token) -> None:
        self.new = list(new)
        self.calls: list[OAuth2Token] = []

    async def __call__(self, current: OAuth2Token) -> OAuth2Token:
        self.calls.append(current)
        await asyncio.sleep(0.2)
        return self.new.pop(0)


async def test_refresh_once_refreshes_once_for_two_processes_and_later_ones_follow(
    redis_at: RedisServer, prefix: str, raw: aioredis.Redis
) -> None:
    old, new, newer = token("old"), token("new"), token("newer")
    refresh = Refresher(new, newer)
    one, two, late = (RedisCoordination(redis_at.url, prefix=prefix) for _ in range(3))
    try:
        got = await asyncio.gather(
            one.refresh_once(KEY, old, refresh), two.refresh_once(KEY, old, refresh)
        )
        assert list(got) == [new, new]
        assert refresh.calls == [old]
        # A process that comes later with the old pair gets the new one without a refresh.
        assert await late.refresh_once(KEY, old, refresh) == new
        # Once the new pair is refreshed in turn, the old one leads to the newest.
        assert await one.refresh_once(KEY, new, refresh) == newer
        assert await late.refresh_once(KEY, old, refresh) == newer
        assert refresh.calls == [old, new]

        names = [name async for name in raw.scan_iter(match="*")]
        digest = hashlib.sha256(b"refresh-old").hexdigest()
        assert f"{prefix}{{{KEY}}}:oauth:next:{digest}" in names
        assert f"{prefix}{{{KEY}}}:oauth:lock" not in names  # released
        assert not any("refresh-" in name or "access-" in name for name in names)
        ttl = await raw.pttl(f"{prefix}{{{KEY}}}:oauth:next:{digest}")
        assert 0 < ttl <= 24 * 3600 * 1000
    finally:
        for c in (one, two, late):
            await c.aclose()


async def test_refresh_once_with_a_service_that_keeps_the_refresh_token(
    redis_at: RedisServer, prefix: str
) -> None:
    first, second = token("a", refresh="same"), token("b", refresh="same")
    third = token("c", refresh="same")
    refresh = Refresher(second, third)
    coordination, other = (RedisCoordination(redis_at.url, prefix=prefix) for _ in range(2))
    try:
        assert await coordination.refresh_once(KEY, first, refresh) == second
        assert await other.refresh_once(KEY, first, refresh) == second  # no call
        # The holder of the stored pair needs a new one: it is refreshed, not handed back.
        assert await other.refresh_once(KEY, second, refresh) == third
        assert refresh.calls == [first, second]
    finally:
        await coordination.aclose()
        await other.aclose()


async def test_refresh_once_without_redis_refreshes_here_or_raises(
    redis_at: RedisServer, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    old, new = token("old"), token("new")
    fallback = RedisCoordination(redis_at.url, prefix=prefix, timeout=0.3)
    strict = RedisCoordination(
        redis_at.url, prefix=prefix, timeout=0.3, on_coordination_error="raise"
    )
    try:
        redis_at.stop()
        refresh = Refresher(new)
        assert await fallback.refresh_once(KEY, old, refresh) == new
        assert refresh.calls == [old]
        (warning,) = records(caplog, logging.WARNING)
        assert "refreshing the OAuth2 token without" in warning.getMessage()
        with pytest.raises(CoordinationError, match=r"redis://:\*\*\*@"):
            await strict.refresh_once(KEY, old, Refresher())
        assert redis_at.password not in caplog.text
    finally:
        redis_at.start()
        await fallback.aclose()
        await strict.aclose()


async def test_aclose_finishes_the_releases_and_closes_only_its_own_client(
    redis_at: RedisServer, prefix: str, raw: aioredis.Redis
) -> None:
    own = RedisCoordination(redis_at.url, prefix=prefix)
    theirs = aioredis.Redis.from_url(redis_at.url)
    borrowed = RedisCoordination(theirs, prefix=prefix)
    try:
        for c in (own, borrowed):
            limiter = c.limiter(KEY)
            assert c.limiter(KEY) is limiter
            limiter.attach(RateLimit(8, PERIOD))
            limiter.release(await take(limiter), 200, None)
            await c.aclose()
        slots = await raw.zrange(f"{prefix}{{{KEY}}}:slots", 0, -1)
        assert len(slots) == 2  # both releases were told before aclose returned
        assert await theirs.ping()  # the caller's client stays open
        assert len(await raw.client_list()) == 2  # raw's and theirs: own's is closed
    finally:
        await theirs.aclose()


async def test_repr_shows_no_password(redis_at: RedisServer) -> None:
    shown = [
        RedisCoordination(redis_at.url),
        RedisCoordination(f"redis://127.0.0.1:{redis_at.port}/0?password=hunter2"),
        RedisCoordination(aioredis.Redis(port=redis_at.port, password=redis_at.password)),
    ]
    try:
        for coordination in shown:
            text = repr(coordination) + repr(coordination.limiter(KEY))
            assert redis_at.password not in text and "hunter2" not in text
            assert "***" in text
    finally:
        for coordination in shown:
            await coordination.aclose()
        await shown[2]._client.aclose()


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"fallback_share": 0}, "fallback_share"),
        ({"fallback_share": 1.5}, "fallback_share"),
        ({"fallback_share": True}, "fallback_share"),
        ({"prefix": ""}, "prefix"),
        ({"prefix": 3}, "prefix"),
        ({"on_coordination_error": "ignore"}, "on_coordination_error"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
    ],
)
def test_bad_arguments_are_configuration_errors_naming_them(
    options: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"^{named} "):
        RedisCoordination("redis://127.0.0.1:6379/0", **options)  # type: ignore[arg-type]


def test_a_url_that_is_no_redis_url_is_refused_without_its_password() -> None:
    with pytest.raises(ConfigurationError, match="url_or_client") as caught:
        RedisCoordination("http://:s3cret@example.com/")
    assert "s3cret" not in str(caught.value)


def test_importing_without_the_redis_package_says_how_to_install_it() -> None:
    code = "import sys; sys.modules['redis'] = None; import webwork_async.redis"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode != 0
    assert "pip install 'webwork-async[redis]'" in done.stderr
