"""Four worker processes on one token: shared pacing through Redis against the alternatives.

The fake WebWork server (``webwork_async.testing.FakeWebWork``, served from a thread of this
process) allows N requests per P seconds per token in a sliding window and answers 429 beyond
it. Four worker processes (``_coordination_worker.py``, real subprocesses, all started at once)
send ``GET /workspaces`` on its one token for (W + 0.5) x P seconds, each with 8 requests in
flight at most, paced in one of three ways:

1. redis: each ``RateLimit(N, P)``, ``coordination=`` one throwaway Redis server;
2. static shares: each ``RateLimit(N // 4, P)``, no Redis;
3. no coordination: each ``RateLimit(N, P)``, no Redis (each process paces on its own, as
   without ``coordination=``);

under two loads: all busy (every worker has more requests than the limit lets through) and one
busy (one worker has, the other three send 3 requests each). Per scenario, from the times the
fake recorded the requests' arrival: the throughput as a share of the limit, the 429s, the most
requests in any P seconds, the requests that failed (after the client's retries) and the wall
time; for redis, the script calls Redis ran per request. Then the cost per request of the Redis
round trips: ``RedisLimiter.acquire`` + ``release`` against the in-process ``RateLimiter``'s, in
one process.

Targets: redis, all busy: no 429 and >= 95% of the limit (90% with ``--quick``: the Redis round
trips delay each window's reuse by some tens of ms, which weighs more in its 1 s windows); redis,
any load: at most N requests in any P seconds; no coordination, all busy: some 429s (the
problem Redis solves); static shares, one busy: well under the limit (below 50%). It exits 1
when a target is missed or a result is wrong (a worker failed, a request failed where none may,
the counts disagree).

    ./scripts/bench.sh --coordination-only [--quick] [--rounds N] [--requests N] [--period S]
                                           [--windows N] [--calls N] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import collections
import contextlib
import dataclasses
import datetime
import hashlib
import json
import logging
import os
import re
import secrets
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import redis
import redis.asyncio as aioredis
from _jobs import sized_options, write_results
from compare import machine

from webwork_async import RateLimit
from webwork_async._ratelimit import RateLimiter
from webwork_async.redis import RedisCoordination
from webwork_async.testing import FakeWebWork, running_redis_server

HERE = Path(__file__).resolve().parent
WORKER = HERE / "_coordination_worker.py"
WORKERS = 4
CONCURRENCY = 8  # requests in flight at most, per worker
FEW = 3  # requests of each of the three idle workers under "one busy"
READY_TIMEOUT = 60.0  # seconds for the workers to import and open their sessions
STOP_GRACE = 30.0  # seconds past the deadline for a worker to finish and exit
LEASE = 30.0  # seconds a timed Redis slot may be held (the core's attempt timeout and margin)

REDIS, STATIC, NONE = "redis", "static shares", "no coordination"
ALL_BUSY, ONE_BUSY = "all busy", "one busy"

# The targets. The Redis round trips make each window's slots come back some tens of ms later
# than the in-process limiter's: about 1% of the full run's 3 s period, 3-5% of --quick's 1 s.
MIN_REDIS_SHARE = 0.95
MIN_REDIS_SHARE_QUICK = 0.90
MAX_STATIC_ONE_BUSY_SHARE = 0.50


@dataclasses.dataclass(frozen=True)
class Plan:
    """The token's limit (N per P s), how long each scenario runs, how often, and how many
    acquire/release pairs the cost measurement times."""

    requests: int = dataclasses.field(metadata={"help": "N: the limit's requests per period"})
    period: float = dataclasses.field(metadata={"help": "P: the limit's period, in seconds"})
    windows: int = dataclasses.field(metadata={"help": "W: each scenario runs W + 0.5 periods"})
    rounds: int = dataclasses.field(metadata={"help": "rounds of every scenario"})
    calls: int = dataclasses.field(metadata={"help": "acquire/release pairs timed, per limiter"})

    @property
    def duration(self) -> float:
        """Seconds from go to the deadline: W windows after the first, and half a period more,
        so that the deadline falls between two windows' bursts."""
        return (self.windows + 0.5) * self.period

    @property
    def per_second(self) -> float:
        return self.requests / self.period


FULL = Plan(requests=30, period=3.0, windows=5, rounds=1, calls=5000)
QUICK = Plan(requests=20, period=1.0, windows=2, rounds=1, calls=1000)


@dataclasses.dataclass(frozen=True)
class Scenario:
    """How the workers pace (``coordination``) and how much each has to send (``load``)."""

    coordination: str
    load: str

    @property
    def name(self) -> str:
        return f"{self.coordination}, {self.load}"

    def rate(self, plan: Plan) -> tuple[int, float]:
        """The ``RateLimit`` every worker of the scenario asks for."""
        requests = plan.requests // WORKERS if self.coordination == STATIC else plan.requests
        return requests, plan.period

    def budgets(self) -> list[int | None]:
        """Requests per worker; None: as many as fit before the deadline."""
        if self.load == ALL_BUSY:
            return [None] * WORKERS
        return [None] + [FEW] * (WORKERS - 1)


SCENARIOS = tuple(Scenario(c, load) for load in (ALL_BUSY, ONE_BUSY) for c in (REDIS, STATIC, NONE))


# -- the workers ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Worker:
    """One running worker process, the file it writes its outcome to and its stderr file."""

    number: int
    process: subprocess.Popen[bytes]
    out: Path
    stderr: Path

    def stderr_text(self) -> str:
        try:
            return self.stderr.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def failed(self, what: str) -> SystemExit:
        tail = self.stderr_text()[-3000:].strip() or "(nothing on stderr)"
        return SystemExit(f"worker {self.number} {what}:\n{tail}")

    def wait_ready(self, deadline: float) -> None:
        """Until the worker printed ``ready``: imported everything, opened its session."""
        stdout = self.process.stdout
        assert stdout is not None
        received = b""
        while b"\n" not in received:
            left = deadline - time.monotonic()
            readable, _, _ = select.select([stdout], [], [], max(0.0, left))
            if not readable:
                raise self.failed(f"was not ready within {READY_TIMEOUT:g} s")
            chunk = os.read(stdout.fileno(), 64)
            if not chunk:
                raise self.failed(f"ended before it was ready (exit {self.process.wait()})")
            received += chunk
        if received.strip() != b"ready":
            raise self.failed(f"said {received!r} instead of 'ready'")

    def go(self, deadline: float) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(f"go {deadline!r}\n".encode())
        stdin.flush()

    def outcome(self, timeout: float) -> dict[str, Any]:
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise self.failed(f"did not end within {timeout:.0f} s") from None
        if code != 0:
            raise self.failed(f"failed (exit {code})")
        try:
            outcome: dict[str, Any] = json.loads(self.out.read_text())
        except (OSError, ValueError) as exc:
            raise self.failed(f"left no readable outcome ({type(exc).__name__})") from None
        return outcome


@contextlib.contextmanager
def workers(
    settings: Sequence[dict[str, Any]], env: dict[str, str], folder: Path
) -> Iterator[list[Worker]]:
    """One worker process per settings, each ready (session open) when this yields; every one
    still running on the way out is killed and reaped, also when the body failed."""
    running: list[Worker] = []
    try:
        for number, each in enumerate(settings):
            out, err = folder / f"worker-{number}.json", folder / f"worker-{number}.stderr"
            out.unlink(missing_ok=True)
            with err.open("wb") as stderr:
                process = subprocess.Popen(
                    [sys.executable, str(WORKER), json.dumps(each), str(out)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    env=env,
                    bufsize=0,
                )
            running.append(Worker(number, process, out, err))
        ready_by = time.monotonic() + READY_TIMEOUT
        for worker in running:
            worker.wait_ready(ready_by)
        yield running
    finally:
        for worker in running:
            if worker.process.poll() is None:
                worker.process.kill()
            worker.process.wait()
            for pipe in (worker.process.stdin, worker.process.stdout):
                if pipe is not None:
                    pipe.close()


# -- one round of one scenario -------------------------------------------------------------------


def most_in_window(arrivals: Sequence[float], period: float) -> int:
    """The most arrivals within any ``period`` seconds (``arrivals`` sorted)."""
    most = start = 0
    for end, arrival in enumerate(arrivals):
        while arrival - arrivals[start] >= period:
            start += 1
        most = max(most, end - start + 1)
    return most


def steady_share(answered: Sequence[float], plan: Plan) -> float:
    """Requests answered 200 past the first window's burst, per second from the first to the
    last, against the limit's N / P (``answered``: their arrival times, sorted)."""
    if len(answered) < 2 or answered[-1] <= answered[0]:
        return 0.0
    first_window = bisect.bisect_left(answered, answered[0] + plan.period)
    rate = (len(answered) - first_window) / (answered[-1] - answered[0])
    return rate / plan.per_second


def worker_env(token: str, redis_url: str | None) -> dict[str, str]:
    """The environment of a worker: this one's, with the secrets it needs and no stray
    ``WEBWORK_*`` setting of the caller's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("WEBWORK_")}
    env.pop("BENCH_REDIS_URL", None)
    env["WEBWORK_TOKEN"] = token
    if redis_url is not None:
        env["BENCH_REDIS_URL"] = redis_url
    return env


def script_calls(redis_url: str) -> int:
    """How many Lua script calls (acquires and releases) the Redis server has run so far."""
    client = redis.Redis.from_url(redis_url)
    try:
        stats: dict[str, Any] = client.info("commandstats")
    finally:
        client.close()
    return sum(stats.get(name, {}).get("calls", 0) for name in ("cmdstat_evalsha", "cmdstat_eval"))


def notes_of(text: str) -> list[str]:
    """What a worker wrote on stderr, line by line (the library's warnings, say)."""
    return [line for line in text.splitlines() if line.strip()]


def run_round(
    scenario: Scenario, plan: Plan, redis_url: str, folder: Path, problems: list[str]
) -> dict[str, Any]:
    """Start the four workers against a fresh fake, say go, and read what the fake recorded."""
    fake = FakeWebWork()
    fake.add_workspace(name="Acme")
    fake.enforce_rate_limit(plan.requests, plan.period)
    coordinated = scenario.coordination == REDIS
    rate = scenario.rate(plan)
    calls_before = script_calls(redis_url) if coordinated else 0
    with fake.serve_in_thread() as base_url:
        settings = [
            {
                "base_url": base_url,
                "rate": list(rate),
                "coordinated": coordinated,
                "concurrency": CONCURRENCY,
                "requests": budget,
            }
            for budget in scenario.budgets()
        ]
        env = worker_env(fake.token, redis_url if coordinated else None)
        with workers(settings, env, folder) as running:
            go = time.monotonic()
            for worker in running:
                worker.go(go + plan.duration)
            outcomes = [worker.outcome(plan.duration + STOP_GRACE) for worker in running]
            notes = [line for worker in running for line in notes_of(worker.stderr_text())]
        recorded = [r for r in fake.requests if r.path.startswith("/api/")]
    calls = script_calls(redis_url) - calls_before if coordinated else None
    arrivals = sorted(r.received_at for r in recorded)
    answered = sorted(r.received_at for r in recorded if r.status == 200)
    refused = sum(1 for r in recorded if r.rate_limited)
    others = collections.Counter(
        str(r.status) for r in recorded if r.status != 200 and not r.rate_limited
    )
    errors: collections.Counter[str] = collections.Counter()
    for outcome in outcomes:
        errors.update(outcome["errors"])
    ok = sum(outcome["ok"] for outcome in outcomes)
    cancelled = sum(outcome["cancelled"] for outcome in outcomes)
    result = {
        "scenario": scenario.name,
        "coordination": scenario.coordination,
        "load": scenario.load,
        "rate_per_worker": list(rate),
        "share": steady_share(answered, plan),
        "answered": len(answered),
        "refused": refused,
        "other_statuses": dict(others),
        "most_in_window": most_in_window(arrivals, plan.period),
        "failed": sum(errors.values()),
        "errors": dict(errors),
        "cancelled_at_deadline": cancelled,
        "wall_seconds": max(outcome["finished"] for outcome in outcomes) - go,
        "redis_calls_per_request": calls / len(recorded)
        if calls is not None and recorded
        else None,
        "workers": outcomes,
        "notes": notes,
    }
    problems += round_problems(scenario, result, ok)
    return result


def round_problems(scenario: Scenario, result: dict[str, Any], ok: int) -> list[str]:
    """What is wrong with one round, beyond a missed target."""
    name, found = scenario.name, []
    answered, cancelled = result["answered"], result["cancelled_at_deadline"]
    # A request cancelled at the deadline may have been answered before the worker let go.
    if not ok <= answered <= ok + cancelled:
        found.append(
            f"{name}: the fake answered {answered} x 200, the workers counted {ok} "
            f"(+ {cancelled} cancelled at the deadline)"
        )
    if sum(result["other_statuses"].values()) > cancelled:
        found.append(f"{name}: unexpected statuses {result['other_statuses']}")
    if scenario.coordination != NONE and result["failed"]:
        found.append(f"{name}: requests failed: {result['errors']}")
    if scenario.coordination == NONE and set(result["errors"]) - {"RateLimitError"}:
        found.append(f"{name}: requests failed otherwise than by 429: {result['errors']}")
    for number, (budget, outcome) in enumerate(
        zip(scenario.budgets(), result["workers"], strict=True)
    ):
        if budget is not None and scenario.coordination != NONE and outcome["ok"] != budget:
            found.append(f"{name}: worker {number} got {outcome['ok']} of its {budget} requests")
    if any("Traceback" in line for line in result["notes"]):
        found.append(f"{name}: a worker wrote a traceback: {result['notes'][-5:]}")
    return found


# -- the cost of a Redis round trip --------------------------------------------------------------


def microseconds(samples: Sequence[int]) -> dict[str, float]:
    """Median and 90th percentile of nanosecond samples, in µs."""
    return {
        "median_us": statistics.median(samples) / 1000,
        "p90_us": statistics.quantiles(samples, n=10)[8] / 1000,
    }


async def limiter_costs(redis_url: str, calls: int, problems: list[str]) -> dict[str, Any]:
    """Time ``calls`` acquire/release pairs of the in-process limiter and of a RedisLimiter
    (after a tenth as many untimed), at a rate that never makes them wait."""
    rate = RateLimit(requests=1_000_000_000, period=1.0)
    warmup = max(10, calls // 10)
    local = RateLimiter()
    local.attach(rate)
    local_pairs = []
    for number in range(warmup + calls):
        started = time.perf_counter_ns()
        if local.acquire(time.monotonic()):
            problems.append("cost: the in-process limiter made a request wait")
            break
        local.release(time.monotonic())
        if number >= warmup:
            local_pairs.append(time.perf_counter_ns() - started)
    local.detach(rate)

    client = aioredis.Redis.from_url(redis_url)
    pings = []
    try:
        for number in range(warmup + calls):
            started = time.perf_counter_ns()
            await client.ping()
            if number >= warmup:
                pings.append(time.perf_counter_ns() - started)
    finally:
        await client.aclose()

    coordination = RedisCoordination(redis_url, prefix=f"bench-{secrets.token_hex(4)}:")
    redis_pairs, redis_acquires = [], []
    try:
        limiter = coordination.limiter(hashlib.sha256(secrets.token_bytes(16)).hexdigest())
        limiter.attach(rate)
        for number in range(warmup + calls):
            started = time.perf_counter_ns()
            wait, ticket = await limiter.acquire(LEASE)
            acquired = time.perf_counter_ns()
            if wait or ticket is None:
                problems.append(f"cost: the RedisLimiter made a request wait {wait:.3f} s")
                break
            limiter.release(ticket, 200, None)
            await limiter.aclose()  # the release's round trip, done in the background otherwise
            if number >= warmup:
                redis_pairs.append(time.perf_counter_ns() - started)
                redis_acquires.append(acquired - started)
        limiter.detach(rate)
    finally:
        await coordination.aclose()
    if not local_pairs or not redis_pairs:
        return {}
    in_process, pair = microseconds(local_pairs), microseconds(redis_pairs)
    return {
        "calls": calls,
        "in_process_pair": in_process,
        "redis_pair": pair,
        "redis_acquire": microseconds(redis_acquires),
        "redis_ping": microseconds(pings),
        "added_us": pair["median_us"] - in_process["median_us"],
    }


class Warnings(logging.Handler):
    """Counts what the library logs at WARNING and above (a fall back to local pacing)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def measure_costs(redis_url: str, calls: int, problems: list[str]) -> dict[str, Any]:
    logger = logging.getLogger("webwork_async")
    seen = Warnings()
    logger.addHandler(seen)
    try:
        costs = asyncio.run(limiter_costs(redis_url, calls, problems))
    finally:
        logger.removeHandler(seen)
    problems += [f"cost: the library warned: {message}" for message in seen.messages]
    return costs


def print_costs(costs: dict[str, Any]) -> None:
    if not costs:
        return
    print(
        f"\ncost of the limiter per request, {costs['calls']:,} timed calls each, one process, "
        "one Redis connection on 127.0.0.1"
    )
    print(f"  {'':58} {'median µs':>10} {'p90 µs':>8}")
    for key, label in (
        ("in_process_pair", "in-process RateLimiter.acquire + release"),
        ("redis_pair", "RedisLimiter.acquire + release (release awaited)"),
        ("redis_acquire", "  of which acquire (what a request waits before sending)"),
        ("redis_ping", "for scale: one PING round trip of a plain redis-py client"),
    ):
        print(f"  {label:58} {costs[key]['median_us']:10.1f} {costs[key]['p90_us']:8.1f}")
    print(
        f"  added per request by Redis: {costs['added_us']:.0f} µs (medians of the pairs); "
        "the release's round trip runs in the background of a session, after the answer"
    )


# -- the report ----------------------------------------------------------------------------------


def summarize(scenario: Scenario, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The rounds of one scenario: median share, answered and wall time; every round's 429s;
    the most in any window and the failures over all rounds."""
    return {
        "scenario": scenario.name,
        "coordination": scenario.coordination,
        "load": scenario.load,
        "rate_per_worker": rounds[0]["rate_per_worker"],
        "share": statistics.median(r["share"] for r in rounds),
        "answered": statistics.median(r["answered"] for r in rounds),
        "refused": [r["refused"] for r in rounds],
        "most_in_window": max(r["most_in_window"] for r in rounds),
        "failed": sum(r["failed"] for r in rounds),
        "wall_seconds": statistics.median(r["wall_seconds"] for r in rounds),
        "redis_calls_per_request": (
            statistics.median(r["redis_calls_per_request"] for r in rounds)
            if rounds[0]["redis_calls_per_request"] is not None
            else None
        ),
    }


def print_table(plan: Plan, summaries: list[dict[str, Any]]) -> None:
    period = f"{plan.period:g} s"
    median = f", median of {plan.rounds} rounds" if plan.rounds > 1 else ""
    print(
        f"\n{WORKERS} processes on one token; the fake allows {plan.requests} per {period}; each "
        f"scenario {plan.duration:g} s{median}"
    )
    print(
        f"  {'coordination':16} {'load':9} {'each paces at':>13} {'share of limit':>15} "
        f"{'answered':>9} {'429s':>5} {'most in ' + period:>14} {'failed':>7} {'wall s':>7} "
        f"{'Redis calls':>12}"
    )
    for row in summaries:
        requests, _ = row["rate_per_worker"]
        refused = sorted(set(row["refused"]))
        shown = str(refused[0]) if len(refused) == 1 else f"{refused[0]}-{refused[-1]}"
        calls = row["redis_calls_per_request"]
        print(
            f"  {row['coordination']:16} {row['load']:9} {f'{requests} / {period}':>13} "
            f"{row['share']:15.1%} {row['answered']:9.0f} {shown:>5} "
            f"{row['most_in_window']:14} {row['failed']:7} {row['wall_seconds']:7.1f} "
            f"{'-' if calls is None else f'{calls:.1f} / req':>12}"
        )
    print(
        f"  share of limit = (requests answered 200 - those in the first {period}) / (arrival "
        f"of the last 200 - arrival of the first), against {plan.requests} / {period}; arrival "
        "times as the fake recorded them\n"
        f"  answered = requests answered 200; 429s = answered 429 by the fake's limit"
        f"{' (every round)' if plan.rounds > 1 else ''}; most in {period} = the most requests "
        f"the fake received (429s included) in any {period}; failed = requests that raised "
        "after the client's retries; wall = from go to the last worker's last answer; Redis "
        "calls = script calls (acquires, refused acquires, releases) per request received\n"
        f"  all busy: every worker keeps {CONCURRENCY} requests waiting until the deadline; "
        f"one busy: one does, the three others send {FEW} each"
    )


def targets(
    plan: Plan, summaries: dict[str, dict[str, Any]], min_share: float
) -> list[dict[str, Any]]:
    """Each target, what was measured, and whether it is met; a verdict line each."""
    redis_all, redis_one = summaries[f"{REDIS}, {ALL_BUSY}"], summaries[f"{REDIS}, {ONE_BUSY}"]
    none_all = summaries[f"{NONE}, {ALL_BUSY}"]
    static_one = summaries[f"{STATIC}, {ONE_BUSY}"]
    window = f"{plan.period:g} s"
    rows = [
        (
            f"redis, all busy: no 429 and >= {min_share:.0%} of the limit",
            f"{sum(redis_all['refused'])} x 429, {redis_all['share']:.1%}",
            sum(redis_all["refused"]) == 0 and redis_all["share"] >= min_share,
        ),
        (
            f"redis, all busy: <= {plan.requests} requests in any {window}",
            f"at most {redis_all['most_in_window']}",
            redis_all["most_in_window"] <= plan.requests,
        ),
        (
            f"redis, one busy: no 429, <= {plan.requests} requests in any {window}",
            f"{sum(redis_one['refused'])} x 429, at most {redis_one['most_in_window']}; "
            f"{redis_one['share']:.1%} of the limit",
            sum(redis_one["refused"]) == 0 and redis_one["most_in_window"] <= plan.requests,
        ),
        (
            "no coordination, all busy: 429s (the problem shown)",
            f"{min(none_all['refused'])} x 429 (fewest in a round), at most "
            f"{none_all['most_in_window']} in {window}",
            min(none_all["refused"]) > 0,
        ),
        (
            f"static shares, one busy: well under the limit (< {MAX_STATIC_ONE_BUSY_SHARE:.0%})",
            f"{static_one['share']:.1%} of the limit",
            static_one["share"] < MAX_STATIC_ONE_BUSY_SHARE,
        ),
    ]
    print("\ntargets")
    for name, measured, met in rows:
        print(f"  {'met' if met else 'NOT MET':8} {name:58} {measured}")
    return [{"target": name, "measured": measured, "met": met} for name, measured, met in rows]


def redis_version() -> str:
    program = shutil.which("redis-server")
    if program is None:
        return "not installed"
    done = subprocess.run(
        [program, "--version"], capture_output=True, text=True, timeout=10, check=False
    )
    found = re.search(r"v=(\S+)", done.stdout)
    return found.group(1) if found else done.stdout.strip()


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def parse_plan(argv: list[str] | None) -> tuple[Plan, argparse.Namespace]:
    plan, parser, args = sized_options(
        __doc__.splitlines()[0],
        FULL,
        QUICK,
        argv,
        "a smoke run of about 25 s (the full one takes about 2 minutes)",
    )
    if plan.requests < 4 * FEW:
        parser.error(f"--requests must be >= {4 * FEW}")
    if not plan.period > 0 or min(plan.windows, plan.rounds) < 1 or plan.calls < 10:
        parser.error("--period must be > 0, --windows and --rounds >= 1, --calls >= 10")
    return plan, args


def main(argv: list[str] | None = None) -> int:
    plan, args = parse_plan(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    clock = time.perf_counter()
    host = machine()
    host["packages"]["redis"] = package_version("redis")
    host["redis_server"] = redis_version()
    print(f"webwork-async coordination benchmark, {started:%Y-%m-%d %H:%M} UTC")
    print(f"machine: {host['cores']} cores, {host['cpu']}, {host['os']}; {host['python']}")
    print(
        f"webwork-async {host['packages']['webwork-async']}, redis-py {host['packages']['redis']}, "
        f"redis-server {host['redis_server']} on 127.0.0.1; the fake server in a thread of this "
        f"process; {WORKERS} worker processes, started together"
    )
    problems: list[str] = []
    runs: dict[str, list[dict[str, Any]]] = {scenario.name: [] for scenario in SCENARIOS}
    with (
        running_redis_server() as redis_server,
        tempfile.TemporaryDirectory(prefix="webwork-bench-coordination-") as folder,
    ):
        print(f"\nthe Redis round trip: {plan.calls:,} timed pairs per limiter", flush=True)
        costs = measure_costs(redis_server.url, plan.calls, problems)
        print(f"\nscenarios, {plan.duration:g} s each:", flush=True)
        for number in range(plan.rounds):
            shift = number % len(SCENARIOS)
            for scenario in SCENARIOS[shift:] + SCENARIOS[:shift]:
                result = run_round(scenario, plan, redis_server.url, Path(folder), problems)
                runs[scenario.name].append(result)
                print(
                    f"  round {number + 1}/{plan.rounds} {scenario.name:27} "
                    f"{result['share']:6.1%} of the limit, {result['refused']:3} x 429, "
                    f"at most {result['most_in_window']:3} in {plan.period:g} s, "
                    f"{result['answered']:4} answered, {result['failed']:3} failed, "
                    f"{result['wall_seconds']:5.1f} s",
                    flush=True,
                )
                for note in result["notes"][:5]:
                    print(f"    worker said: {note}")
    summaries = {scenario.name: summarize(scenario, runs[scenario.name]) for scenario in SCENARIOS}
    print_table(plan, list(summaries.values()))
    print_costs(costs)
    min_share = MIN_REDIS_SHARE_QUICK if args.quick else MIN_REDIS_SHARE
    met = targets(plan, summaries, min_share)
    if args.quick:
        print(
            f"  (--quick: {MIN_REDIS_SHARE_QUICK:.0%}, since the Redis round trips delay each "
            f"window's reuse by some tens of ms, more of its {plan.period:g} s windows; "
            f"{MIN_REDIS_SHARE:.0%} in a full run)"
        )
    for problem in problems:
        print(f"CHECK FAILED: {problem}")
    print(f"\nthe whole run took {time.perf_counter() - clock:.0f} s")
    if args.json is not None:
        write_results(args.json, started=started, machine=host, targets=met, problems=problems,
                      plan=dataclasses.asdict(plan), quick=args.quick, min_redis_share=min_share,
                      limiter_cost=costs,
                      scenarios={"summary": summaries, "runs": runs})  # fmt: skip
    return 1 if problems or not all(target["met"] for target in met) else 0


if __name__ == "__main__":
    sys.exit(main())
