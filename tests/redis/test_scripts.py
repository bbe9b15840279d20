"""The Lua scripts of ``webwork_async.redis`` run directly against a real Redis server.

Times are Redis's own (``TIME``, in ms); each check brackets a script's moment between two
readings of that clock, so that a slow machine cannot make it flaky. Periods are short (0.3 s).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from typing import Any

import pytest
import redis.asyncio as aioredis

from webwork_async import RateLimit
from webwork_async._constants import RATE_LIMIT_MARGIN, REDIS_IDLE_TTL, RETRY_BACKOFF
from webwork_async._ratelimit import RateLimitHeaders
from webwork_async.redis._scripts import (
    ACQUIRE,
    NO_CARRY,
    RELEASE,
    Carry,
    acquire_args,
    keys_of,
    release_args,
)

PERIOD = 0.3
BACK_MS = PERIOD * 1000 * (1 + RATE_LIMIT_MARGIN)  # a slot comes back this long after a release
TIGHT = 1e-6  # ms: the script's own arithmetic, no clock in between


class Token:
    """One token's keys, and the two scripts called as the library calls them."""

    def __init__(self, raw: aioredis.Redis, prefix: str, key: str = "k") -> None:
        self.raw = raw
        self.keys = keys_of(prefix, key)
        self.slots, self.flight, self.rates, self.state = self.keys
        self._acquire = raw.register_script(ACQUIRE)
        self._release = raw.register_script(RELEASE)

    async def acquire(
        self, request_id: str, rate: RateLimit | None, lease: float = 5.0, carry: Carry = NO_CARRY
    ) -> float:
        """The wait in ms (0.0: granted)."""
        answer = await self._acquire(
            keys=self.keys, args=acquire_args(request_id, rate, lease, carry)
        )
        return float(answer)

    async def release(
        self,
        request_id: str,
        rate: RateLimit | None,
        status: int | None = 200,
        info: RateLimitHeaders | None = None,
    ) -> None:
        await self._release(keys=self.keys, args=release_args(request_id, rate, status, info))

    async def field(self, name: str) -> float:
        """A number of the token's :state hash."""
        value = await self.raw.hget(self.state, name)
        assert value is not None, f"no {name} in {self.state}"
        return float(value)

    async def now(self) -> float:
        seconds, micros = await self.raw.time()
        return seconds * 1000 + micros / 1000

    async def score(self, key: str, member: str) -> float:
        found = await self.raw.zscore(key, member)
        assert found is not None, f"{member} not in {key}"
        return float(found)

    async def members(self, key: str) -> dict[str, float]:
        found: Any = await self.raw.zrange(key, 0, -1, withscores=True)
        return dict(found)


@pytest.fixture
def token(raw: aioredis.Redis, prefix: str) -> Token:
    return Token(raw, prefix)


RATE = RateLimit(3, PERIOD)


async def test_capacity_then_a_wait_of_one_period_and_margin_while_all_are_in_flight(
    token: Token,
) -> None:
    for n in range(3):
        assert await token.acquire(f"r{n}", RATE) == 0
    # All three in flight: none can be back before a period (and margin) from now.
    assert await token.acquire("r3", RATE) == pytest.approx(BACK_MS, abs=TIGHT)
    assert set(await token.members(token.flight)) == {"r0", "r1", "r2"}


async def test_a_released_slot_comes_back_a_period_and_margin_after_the_release(
    token: Token,
) -> None:
    for n in range(3):
        await token.acquire(f"r{n}", RATE)
    before = await token.now()
    await token.release("r1", RATE)
    after = await token.now()
    back = await token.score(token.slots, "r1")
    assert before + BACK_MS <= back <= after + BACK_MS  # the margin is applied
    assert "r1" not in await token.members(token.flight)

    # The wait is until that slot, the earliest to come back.
    before = await token.now()
    wait = await token.acquire("r3", RATE)
    after = await token.now()
    assert back - after <= wait <= back - before

    # Refused just before it on Redis's clock, granted from it on.
    await asyncio.sleep(max(0.0, (back - await token.now()) / 1000 - 0.05))
    assert await token.acquire("r3", RATE) > 0
    while (left := back - await token.now()) > 0:
        await asyncio.sleep(left / 1000)
    assert await token.acquire("r3", RATE) == 0
    assert "r1" not in await token.members(token.slots)  # dropped once back


async def test_a_lapsed_lease_comes_back_a_period_after_it_ended(token: Token) -> None:
    rate = RateLimit(1, PERIOD)
    assert await token.acquire("dead", rate, lease=0.1) == 0
    lease_end = await token.score(token.flight, "dead")
    assert await token.acquire("next", rate) == pytest.approx(BACK_MS, abs=TIGHT)
    while await token.now() <= lease_end:
        await asyncio.sleep(0.01)
    before = await token.now()
    wait = await token.acquire("next", rate)
    after = await token.now()
    assert "dead" not in await token.members(token.flight)
    back = await token.score(token.slots, "dead")
    assert back == pytest.approx(lease_end + BACK_MS, abs=TIGHT)
    assert back - after <= wait <= back - before


async def test_the_strictest_live_rate_paces_everyone_and_a_stale_one_expires(
    token: Token,
) -> None:
    loose, strict = RateLimit(5, PERIOD), RateLimit(1, 0.1)  # 16.7/s and 10/s
    assert await token.acquire("s1", strict) == 0
    # The loose session's process is held to the strict one's single slot.
    wait = await token.acquire("l1", loose)
    assert wait == pytest.approx(100 * (1 + RATE_LIMIT_MARGIN), abs=TIGHT)
    assert set(await token.members(token.rates)) == {"5/300", "1/100"}
    # Nobody asked at the strict rate for three of its periods: it paces no one any more.
    await asyncio.sleep(0.35)
    assert await token.acquire("l1", loose) == 0
    assert set(await token.members(token.rates)) == {"5/300"}


async def test_a_lower_announced_limit_is_adopted_and_a_higher_one_is_not(
    token: Token,
) -> None:
    rate = RateLimit(5, PERIOD)
    await token.acquire("a", rate)
    await token.release("a", rate, 200, RateLimitHeaders(limit=10))
    assert await token.raw.hget(token.state, "announced") is None
    await token.release("a", rate, 200, RateLimitHeaders(limit=2))
    assert await token.raw.hget(token.state, "announced") == "2"
    assert await token.acquire("b", rate) == 0  # a's slot and b: two
    assert await token.acquire("c", rate) > 0


async def test_a_429_pauses_every_caller_then_spreads_the_unknown_slots(token: Token) -> None:
    rate = RateLimit(5, PERIOD)
    await token.acquire("a", rate)
    before = await token.now()
    await token.release("a", rate, 429, RateLimitHeaders(retry_after=0.2))
    after = await token.now()
    until = await token.field("paused_until")
    assert before + 200 <= until <= after + 200

    # Every caller waits for the pause: another rate, another id, even an unpaced one.
    for rid, other in (("b", RateLimit(50, 1.0)), ("c", None)):
        t0 = await token.now()
        wait = await token.acquire(rid, other)
        t1 = await token.now()
        assert until - t1 <= wait <= until - t0

    # The four slots not known to be used (5, less a's) come back spread over one period.
    spread = {m: s for m, s in (await token.members(token.slots)).items() if m.startswith("pause:")}
    assert sorted(spread.values()) == pytest.approx(
        [until + 300 * i / 4 for i in range(1, 5)], abs=TIGHT
    )
    while await token.now() <= until:
        await asyncio.sleep(0.01)
    before = await token.now()
    wait = await token.acquire("b", rate)  # a's slot and the four: full until the first is back
    after = await token.now()
    assert until + 75 - after <= wait <= until + 75 - before


@pytest.mark.parametrize(
    ("info", "wait_ms"),
    [
        (RateLimitHeaders(reset_after=0.25), 250.0),  # no Retry-After: the reset
        (None, RETRY_BACKOFF * 1000),  # nothing said: the backoff
    ],
)
async def test_a_429_without_retry_after_pauses_for_the_reset_or_the_backoff(
    token: Token, info: RateLimitHeaders | None, wait_ms: float
) -> None:
    await token.acquire("a", RATE)
    before = await token.now()
    await token.release("a", RATE, 429, info)
    after = await token.now()
    until = await token.field("paused_until")
    assert before + wait_ms <= until <= after + wait_ms


async def test_remaining_holds_back_the_slots_the_service_says_are_used(token: Token) -> None:
    rate = RateLimit(5, PERIOD)
    await token.acquire("a", rate)
    before = await token.now()
    await token.release("a", rate, 200, RateLimitHeaders(remaining=1))
    after = await token.now()
    held = {m: s for m, s in (await token.members(token.slots)).items() if m.startswith("held:")}
    assert len(held) == 3  # 5 slots, a's used, 1 remaining: 3 used elsewhere
    assert all(before + BACK_MS <= back <= after + BACK_MS for back in held.values())
    assert await token.acquire("b", rate) == 0  # the one remaining
    assert await token.acquire("c", rate) > 0

    # With a reset, they come back then (and the margin).
    await token.release("b", rate, 200, RateLimitHeaders(remaining=0, reset_after=0.1))
    held_b = [s for m, s in (await token.members(token.slots)).items() if m.startswith("held:b")]
    assert held_b == []  # already as full as the service says
    await token.raw.delete(token.slots)
    before = await token.now()
    await token.release("b", rate, 200, RateLimitHeaders(remaining=3, reset_after=0.1))
    after = await token.now()
    held_b = [s for m, s in (await token.members(token.slots)).items() if m.startswith("held:b")]
    margin = PERIOD * 1000 * RATE_LIMIT_MARGIN
    assert len(held_b) == 1  # b's own slot, and 3 remaining of 5
    assert before + 100 + margin <= held_b[0] <= after + 100 + margin


async def test_an_unpaced_caller_is_not_held_to_the_window_but_is_counted_and_paused(
    token: Token,
) -> None:
    strict = RateLimit(1, PERIOD)
    assert await token.acquire("p", strict) == 0
    assert await token.acquire("u1", None) == 0  # the window is full, but it is not paced
    assert set(await token.members(token.rates)) == {"1/300"}  # the unpaced one registers none
    await token.release("u1", None)
    assert "u1" in await token.members(token.slots)  # held for the paced ones' period
    await token.release("p", strict, 429, RateLimitHeaders(retry_after=0.2))
    assert await token.acquire("u2", None) > 0  # the pause holds it back


async def test_what_a_process_learnt_on_its_own_is_carried_into_redis(token: Token) -> None:
    rate = RateLimit(5, PERIOD)
    carry = Carry(pause=0.0, in_flight=frozenset({"x", "y"}), returns=(10.2, 10.25), now=10.0)
    before = await token.now()
    assert await token.acquire("a", rate, lease=1.0, carry=carry) == 0
    after = await token.now()
    slots, flight = await token.members(token.slots), await token.members(token.flight)
    carried_flight = [s for m, s in flight.items() if m.startswith("carry:")]
    assert len(carried_flight) == 2
    assert all(before + 1000 <= s <= after + 1000 for s in carried_flight)
    assert sorted(s - before for s in slots.values()) == pytest.approx(
        [200, 250], abs=after - before
    )
    # 2 in flight and 2 slots carried, and a: full until the first carried slot is back.
    first = min(slots.values())
    t0 = await token.now()
    wait = await token.acquire("b", rate)
    t1 = await token.now()
    assert first - t1 <= wait <= first - t0
    # A pause it met is carried too.
    assert await token.acquire("d", rate, carry=Carry(pause=0.15)) == pytest.approx(150, abs=TIGHT)


async def test_keys_carry_the_prefix_and_hash_tag_and_expire(token: Token, prefix: str) -> None:
    secret = "tok-DO-NOT-STORE-5e1f"
    key = hashlib.sha256(secret.encode()).hexdigest()
    hashed = Token(token.raw, prefix, key)
    rate = RateLimit(2, PERIOD)
    await hashed.acquire("a", rate)
    await hashed.acquire("b", rate)
    await hashed.release("a", rate, 429, RateLimitHeaders(limit=10, retry_after=0.1))
    names = [name async for name in token.raw.scan_iter(match="*")]
    assert names
    pattern = re.compile(rf"{re.escape(prefix)}\{{{key}\}}:(slots|flight|rates|state)")
    assert all(pattern.fullmatch(name) for name in names), names
    assert {name.rsplit(":", 1)[1] for name in names} == {"slots", "flight", "rates", "state"}
    for name in names:
        assert secret not in name
        assert 0 < await token.raw.pttl(name) <= REDIS_IDLE_TTL * 1000
    for value in await token.raw.hgetall(hashed.state), await hashed.members(hashed.slots):
        assert secret not in str(value)
