"""The rate limiter and the rate-limit headers, on a clock given by the test (no sleeping)."""

from __future__ import annotations

import gc
import heapq
import random
import weakref

import pytest

from webwork_async import ConfigurationError, RateLimit
from webwork_async._ratelimit import (
    RateLimiter,
    RateLimitHeaders,
    read_rate_limit_headers,
    shared_limiter,
)

EPOCH = 1_800_000_000.0


def paced(rate: RateLimit) -> RateLimiter:
    """A limiter with one session attached that asked for ``rate``."""
    limiter = RateLimiter()
    limiter.attach(rate)
    return limiter


def drain(limiter: RateLimiter, now: float) -> int:
    """How many requests the limiter lets go at ``now``, each answered at once."""
    sent = 0
    while limiter.acquire(now) == 0.0:
        limiter.release(now)
        sent += 1
    return sent


def send_times(limiter: RateLimiter, count: int) -> list[float]:
    """When ``count`` requests would go, each waiting exactly as long as the limiter says."""
    now, times = 0.0, []
    while len(times) < count:
        wait = limiter.acquire(now)
        if wait:
            now += wait
        else:
            limiter.release(now)
            times.append(now)
    return times


def test_a_burst_up_to_the_limit_goes_at_once_then_waits_for_the_window() -> None:
    limiter = paced(RateLimit(requests=5, period=1.0))
    assert drain(limiter, 0.0) == 5
    assert limiter.acquire(0.5) == pytest.approx(0.52)  # the first slot returns after 1.02 s
    assert drain(limiter, 1.02) == 5


@pytest.mark.parametrize(("requests", "period"), [(60, 60.0), (5, 1.0), (3, 0.25)])
def test_no_window_of_one_period_ever_holds_more_than_the_limit(
    requests: int, period: float
) -> None:
    times = send_times(paced(RateLimit(requests=requests, period=period)), requests * 7)
    for index in range(len(times) - requests):
        assert times[index + requests] - times[index] >= period
    # ... and the limit is used: seven windows' worth goes in a little over six periods
    assert times[-1] <= 6 * period * 1.03


def test_pacing_off_lets_everything_go() -> None:
    limiter = RateLimiter()
    assert limiter.capacity is None
    assert drain_bounded(limiter, 10_000) == 10_000


def drain_bounded(limiter: RateLimiter, most: int) -> int:
    """How many of ``most`` requests go at 0.0, each answered at once."""
    sent = 0
    for _ in range(most):
        if limiter.acquire(0.0) == 0.0:
            limiter.release(0.0)
            sent += 1
    return sent


def test_a_slot_in_flight_comes_back_one_period_after_its_answer() -> None:
    limiter = paced(RateLimit(requests=2, period=1.0))
    assert limiter.acquire(0.0) == 0.0
    assert limiter.acquire(0.0) == 0.0
    # Both in flight: nothing can be free within a period from now, whatever happens next.
    assert limiter.acquire(0.5) == pytest.approx(1.02)
    limiter.release(3.0)  # a slow answer: the service may have counted it as late as 3.0
    assert limiter.acquire(3.9) == pytest.approx(0.12)
    assert limiter.acquire(4.02) == 0.0


def arrivals_at_the_service(
    limiter: RateLimiter, trips: list[tuple[float, float]], concurrency: int
) -> list[float]:
    """When requests sent as fast as the limiter allows reach the service, in order.

    Each of ``trips`` is (delay to reach the service, time from there to the answer); at most
    ``concurrency`` requests are in flight, and each slot is released when its answer comes.
    """
    now, answers, arrivals = 0.0, [], []
    for delay, duration in trips:
        while True:
            while answers and answers[0] <= now:
                limiter.release(heapq.heappop(answers))
            full = len(answers) >= concurrency
            wait = answers[0] - now if full else limiter.acquire(now)
            if not wait:
                break
            now += min(wait, answers[0] - now) if answers else wait
        arrivals.append(now + delay)
        heapq.heappush(answers, now + delay + duration)
    return sorted(arrivals)


@pytest.mark.parametrize("seed", range(5))
def test_the_service_never_counts_more_than_the_limit_whatever_the_network_delays(
    seed: int,
) -> None:
    """Requests reach the service late by a delay that varies from one to the next (a loaded
    machine, a far network), and the service counts each on arrival: no window of one period
    on its clock holds more than the limit, although the delays exceed the 2% margin.
    """
    rng = random.Random(seed)
    requests, period = 10, 0.1
    trips = [
        (rng.choice((0.0, 0.002, 0.05, 0.2)) * rng.random(), 0.05 * rng.random())
        for _ in range(400)
    ]
    arrivals = arrivals_at_the_service(paced(RateLimit(requests, period)), trips, 16)
    for index in range(len(arrivals) - requests):
        assert arrivals[index + requests] - arrivals[index] >= period


def test_a_429_pauses_everyone_until_retry_after_then_paces_the_window() -> None:
    limiter = paced(RateLimit(requests=10, period=1.0))
    assert drain_bounded(limiter, 2) == 2
    limiter.observe(RateLimitHeaders(retry_after=3.0), 0.1, rejected=True)
    assert limiter.acquire(0.2) == pytest.approx(2.9)
    assert limiter.acquire(3.0) == pytest.approx(0.1)
    # After the pause its own 2 slots are free again; the 8 it did not know about (the service
    # said its window was full) come back spread over the next period, not all at once.
    assert drain(limiter, 3.1) == 2
    assert drain(limiter, 3.25) == 1
    assert drain(limiter, 4.1) == 7


def test_a_429_without_headers_still_pauses_and_with_pacing_off_too() -> None:
    for limiter in (paced(RateLimit(requests=3, period=1.0)), RateLimiter()):
        limiter.observe(RateLimitHeaders(), 10.0, rejected=True)
        assert limiter.acquire(10.0) > 0
        assert limiter.acquire(20.0) == 0.0


def test_remaining_holds_back_slots_the_service_says_are_used() -> None:
    limiter = paced(RateLimit(requests=10, period=60.0))
    assert limiter.acquire(0.0) == 0.0
    limiter.observe(RateLimitHeaders(remaining=3, reset_after=20.0), 1.0, rejected=False)
    assert drain(limiter, 1.0) == 3
    assert drain(limiter, 21.0) == 0  # the margin is 2% of the period
    assert drain(limiter, 22.3) == 6
    # Remaining above what the client knows changes nothing.
    limiter.observe(RateLimitHeaders(remaining=50), 23.0, rejected=False)
    assert drain(limiter, 23.0) == 0


def test_remaining_zero_with_pacing_off_pauses_until_reset() -> None:
    limiter = RateLimiter()
    limiter.observe(RateLimitHeaders(remaining=0, reset_after=5.0), 0.0, rejected=False)
    assert limiter.acquire(1.0) == pytest.approx(4.0)
    assert limiter.acquire(5.0) == 0.0


def test_a_lower_announced_limit_is_adopted_a_higher_one_is_not() -> None:
    limiter = paced(RateLimit(requests=60, period=60.0))
    limiter.observe(RateLimitHeaders(limit=100), 0.0, rejected=False)
    assert limiter.capacity == 60
    limiter.observe(RateLimitHeaders(limit=30), 0.0, rejected=False)
    assert limiter.capacity == 30
    assert drain(limiter, 0.0) == 30


def test_headers_are_read_leniently() -> None:
    headers = {
        "X-RateLimit-Limit": "60",
        "X-RateLimit-Remaining": " 7 ",
        "X-RateLimit-Reset": str(EPOCH + 12.5),
        "Retry-After": "1.5",
    }
    assert read_rate_limit_headers(headers, now_epoch=EPOCH) == RateLimitHeaders(
        limit=60, remaining=7, reset_after=12.5, retry_after=1.5
    )
    # A small reset is a delay, not a date; garbage is ignored, not fatal.
    odd = {"X-RateLimit-Reset": "30", "X-RateLimit-Remaining": "many", "X-RateLimit-Limit": "-1"}
    assert read_rate_limit_headers(odd, now_epoch=EPOCH) == RateLimitHeaders(reset_after=30.0)
    past = {"X-RateLimit-Reset": str(EPOCH - 5)}
    assert read_rate_limit_headers(past, now_epoch=EPOCH) == RateLimitHeaders(reset_after=0.0)
    assert read_rate_limit_headers({"Content-Type": "x"}, now_epoch=EPOCH) is None


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"requests": 0}, "requests"),
        ({"requests": 2.5}, "requests"),
        ({"requests": True}, "requests"),
        ({"period": 0}, "period"),
        ({"period": float("inf")}, "period"),
        ({"period": "60"}, "period"),
    ],
)
def test_bad_rate_limit_is_a_configuration_error(options: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        RateLimit(**options)  # type: ignore[arg-type]


def test_open_sessions_of_a_token_share_one_limiter_at_the_strictest_rate() -> None:
    limiter = shared_limiter("tok-a", "http://x/api/v2/")
    assert shared_limiter("tok-a", "http://x/api/v2/") is limiter
    assert shared_limiter("tok-b", "http://x/api/v2/") is not limiter
    assert shared_limiter("tok-a", "http://y/api/v2/") is not limiter
    loose, strict = RateLimit(requests=60, period=60.0), RateLimit(requests=10, period=60.0)
    limiter.attach(loose)
    limiter.attach(None)  # a session with pacing off does not loosen the others
    assert limiter.capacity == 60
    limiter.attach(strict)
    assert limiter.capacity == 10
    limiter.detach(strict)  # once the strict session closes, the others pace at their own rate
    assert limiter.capacity == 60
    limiter.detach(loose)
    assert limiter.capacity is None
    limiter.detach(None)


def test_a_pause_outlives_every_session_until_it_ends() -> None:
    # No reference is kept here: only the pause itself may keep the limiter alive.
    shared_limiter("tok-c", "http://x/api/v2/", now=0.0).observe(
        RateLimitHeaders(retry_after=30.0), 0.0, rejected=True
    )
    gc.collect()
    assert shared_limiter("tok-c", "http://x/api/v2/", now=1.0).acquire(1.0) == pytest.approx(29)
    gc.collect()
    # Once the pause has ended the limiter is let go: the next one starts afresh.
    later = shared_limiter("tok-c", "http://x/api/v2/", now=31.0)
    gc.collect()
    assert later.acquire(31.0) == 0.0
    probe = weakref.ref(later)
    del later
    gc.collect()
    assert probe() is None


def test_out_of_range_waits_and_limits_are_clamped_and_said() -> None:
    absurd = {
        "Retry-After": "1e308",
        "X-RateLimit-Reset": "99999999999",
        "X-RateLimit-Limit": "1",
        "X-RateLimit-Remaining": "0",
    }
    info = read_rate_limit_headers(absurd, now_epoch=EPOCH, max_wait=900.0)
    assert info is not None
    assert (info.retry_after, info.reset_after, info.limit) == (900.0, 900.0, 10)
    assert len(info.out_of_range) == 3
    assert any("Retry-After" in note and "900 s at most" in note for note in info.out_of_range)
    date_in_2100 = {"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"}
    info = read_rate_limit_headers(date_in_2100, now_epoch=EPOCH, max_wait=60.0)
    assert info is not None and info.retry_after == 60.0 and len(info.out_of_range) == 1
    sane = {"Retry-After": "30", "X-RateLimit-Limit": "60", "X-RateLimit-Reset": "45"}
    info = read_rate_limit_headers(sane, now_epoch=EPOCH)
    assert info is not None and info.out_of_range == ()


def test_an_announced_limit_stays_below_every_attached_rate() -> None:
    limiter = paced(RateLimit(requests=60, period=60.0))
    limiter.observe(RateLimitHeaders(limit=20), 0.0, rejected=False)
    limiter.attach(RateLimit(requests=40, period=60.0))
    assert limiter.capacity == 20
