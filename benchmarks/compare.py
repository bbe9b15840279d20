"""webwork-async against the usual ways to call the WebWork API, in one run, on one machine.

A cheap loopback WebWork server runs in its own process (``_server.py``); every job runs in a
fresh process (``_jobs.py``), so that its peak RSS is its own. Three scenarios:

1. bulk: every project of W workspaces (P each, so one request per workspace), C requests at once,
   each answer decoded into objects that are all kept; webwork-async against a hand-written floor
   (aiohttp + msgspec ``gc=False`` Structs), aiohttp + json.loads, httpx + pydantic and
   requests + threads, interleaved in rounds with the order rotated, medians compared;
2. rate limited: the server allows 60 requests per 1.0 s sliding window to one token;
   webwork-async with ``RateLimit(requests=60, period=1.0)`` against the theoretical maximum;
3. streaming: ``async for`` over 100,000 projects of one workspace, peak RSS against a raw aiohttp
   baseline that holds one page's bytes at a time.

It prints the machine, a table per scenario and whether each target is met. It exits 1 if a job
fetched anything other than what the server holds (a failed target alone does not).

    ./scripts/bench.sh [--quick] [--rounds N] [--workspaces N] [--projects N] [--concurrency N]
                       [--stream-projects N] [--limited-workspaces N] [--json PATH]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import math
import os
import platform
import secrets
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from _jobs import sized_options, write_results
from _server import ID_STRIDE, PER_PAGE_MAX, project_checksum

HERE = Path(__file__).resolve().parent
REFERENCE = "webwork-async"
FLOOR = "floor"
BULK_VARIANTS = (REFERENCE, FLOOR, "aiohttp+json.loads", "httpx+pydantic", "requests+threads")
RATE_LIMIT = (60, 1.0)  # requests, period in seconds: the service's 60 per minute, time-scaled
STREAM_WORKSPACE = ID_STRIDE - 1
PACKAGES = ("webwork-async", "aiohttp", "msgspec", "httpx", "pydantic", "requests")

# The targets of issue 4.
MAX_FLOOR_RATIO = 1.15
MIN_SPEEDUP_HTTPX = 10.0
MIN_SPEEDUP_REQUESTS = 3.0
MIN_RATE_SHARE = 0.95
MAX_STREAM_EXTRA_MB = 60.0


@dataclasses.dataclass(frozen=True)
class Sizes:
    """How big each scenario is."""

    rounds: int = dataclasses.field(default=5, metadata={"help": "bulk rounds"})
    workspaces: int = dataclasses.field(default=2000, metadata={"help": "bulk workspaces"})
    projects: int = dataclasses.field(default=50, metadata={"help": "projects per workspace"})
    concurrency: int = dataclasses.field(default=64, metadata={"help": "requests at once"})
    stream_projects: int = dataclasses.field(
        default=100_000, metadata={"help": "projects of the streamed workspace"}
    )
    limited_workspaces: int = dataclasses.field(
        default=300, metadata={"help": "workspaces of the rate-limited job"}
    )

    @property
    def pages_per_workspace(self) -> int:
        return max(1, math.ceil(self.projects / PER_PAGE_MAX))

    @property
    def stream_pages(self) -> int:
        return max(1, math.ceil(self.stream_projects / PER_PAGE_MAX))


FULL = Sizes()
QUICK = Sizes(rounds=2, workspaces=200, stream_projects=10_000, limited_workspaces=120)


@dataclasses.dataclass(frozen=True)
class Server:
    """The running loopback server: where it is and the two tokens it accepts."""

    base_url: str
    token: str
    limited_token: str


@contextmanager
def loopback_server(sizes: Sizes) -> Iterator[Server]:
    """The loopback server of these sizes, rate limited as :data:`RATE_LIMIT` says."""
    requests, period = RATE_LIMIT
    options = [
        f"--limit={requests}",
        f"--period={period}",
        f"--workspaces={max(sizes.workspaces, sizes.limited_workspaces)}",
        f"--projects={sizes.projects}",
        f"--stream-workspace={STREAM_WORKSPACE}",
        f"--stream-projects={sizes.stream_projects}",
        f"--warm-per-page={PER_PAGE_MAX}",
    ]
    with start_server(options) as server:
        yield server


@contextmanager
def start_server(options: list[str]) -> Iterator[Server]:
    """Start ``_server.py`` with ``options`` and two fresh tokens, in its own process; it stops
    when its standard input closes."""
    token, limited_token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    command = [
        sys.executable,
        str(HERE / "_server.py"),
        f"--token={token}",
        f"--limited-token={limited_token}",
        *options,
    ]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            line = process.stdout.readline()
            if not line:
                raise SystemExit("the loopback server did not start (see its error above)")
            port = json.loads(line)["port"]
            yield Server(f"http://127.0.0.1:{port}/api/v2/", token, limited_token)
        finally:
            process.stdin.close()
            process.wait(timeout=30)


def run_job(job: str, server: Server, sizes: Sizes, **spec: Any) -> dict[str, Any]:
    """Run one job of ``_jobs.py`` in a fresh process and return its JSON report."""
    spec = {
        "job": job,
        "base_url": server.base_url,
        "token": server.token,
        "first_workspace": 1,
        "workspaces": sizes.workspaces,
        "concurrency": sizes.concurrency,
        "per_page": PER_PAGE_MAX,
        **spec,
    }
    command = [sys.executable, str(HERE / "_jobs.py"), json.dumps(spec)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise SystemExit(f"job {job!r} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def check(
    report: dict[str, Any], *, projects: int, checksum: int, requests: int | None
) -> list[str]:
    """What is wrong with a job's report, compared with what the server holds.

    ``requests=None`` skips the request count (a rate-limited job may repeat refused requests).
    """
    expected = {"projects": projects, "checksum": checksum, "requests": requests, "failed": 0}
    if requests is None:
        del expected["requests"]
    return [
        f"{report['job']}: {key} = {report[key]}, expected {value}"
        for key, value in expected.items()
        if report[key] != value
    ]


def bulk(server: Server, sizes: Sizes, problems: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every bulk variant once a round, the order rotated each round."""
    projects = sizes.workspaces * sizes.projects
    checksum = sum(project_checksum(w, sizes.projects) for w in range(1, sizes.workspaces + 1))
    requests = sizes.workspaces * sizes.pages_per_workspace
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in BULK_VARIANTS}
    for number in range(sizes.rounds):
        shift = number % len(BULK_VARIANTS)
        order = BULK_VARIANTS[shift:] + BULK_VARIANTS[:shift]
        for name in order:
            report = run_job(name, server, sizes)
            problems += check(report, projects=projects, checksum=checksum, requests=requests)
            runs[name].append(report)
        times = ", ".join(f"{name} {runs[name][-1]['seconds']:.2f}s" for name in order)
        print(f"  round {number + 1}/{sizes.rounds}: {times}", flush=True)
    return runs


def summarize(runs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """Medians per variant, and the time ratio to webwork-async.

    ``ratio`` divides the medians; ``paired_ratio`` is the median of the ratios within each
    round, which cancels the drift of a shared machine between rounds.
    """
    summary = {
        name: {
            "seconds": statistics.median(r["seconds"] for r in reports),
            "requests": statistics.median(r["requests"] for r in reports),
            "rss_before_mb": statistics.median(r["rss_before_mb"] for r in reports),
            "rss_peak_mb": statistics.median(r["rss_peak_mb"] for r in reports),
            "server_cpu_share": statistics.median(
                r["server_cpu_seconds"] / r["seconds"] for r in reports
            ),
        }
        for name, reports in runs.items()
    }
    reference = summary[REFERENCE]["seconds"]
    for name, values in summary.items():
        values["requests_per_second"] = values["requests"] / values["seconds"]
        values["ratio"] = values["seconds"] / reference
        values["paired_ratio"] = statistics.median(
            report["seconds"] / ours["seconds"]
            for report, ours in zip(runs[name], runs[REFERENCE], strict=True)
        )
    return summary


def print_bulk(sizes: Sizes, summary: dict[str, dict[str, float]]) -> None:
    total = sizes.workspaces * sizes.projects
    print(
        f"\nbulk: {sizes.workspaces:,} workspaces x {sizes.projects} projects = {total:,} "
        f"projects decoded and kept, concurrency {sizes.concurrency}, median of "
        f"{sizes.rounds} interleaved rounds"
    )
    print(
        f"{'variant':20} {'median s':>9} {'requests/s':>11} {'RSS before MB':>14} "
        f"{'peak RSS MB':>12} {'time / webwork-async':>21} {'per round':>10} {'server CPU':>11}"
    )
    for name, row in summary.items():
        print(
            f"{name:20} {row['seconds']:9.3f} {row['requests_per_second']:11,.0f} "
            f"{row['rss_before_mb']:14.1f} {row['rss_peak_mb']:12.1f} {row['ratio']:21.2f} "
            f"{row['paired_ratio']:10.2f} {row['server_cpu_share']:11.0%}"
        )
    print(
        f"webwork-async takes {1 / summary[FLOOR]['paired_ratio']:.2f}x the floor's time "
        f"(median of the per-round ratios; {1 / summary[FLOOR]['ratio']:.2f}x from the medians)\n"
        "per round = median over rounds of (variant's time / webwork-async's time in that round)\n"
        "server CPU = the loopback server's CPU time as a share of the job's wall time"
    )


def rate_limited(server: Server, sizes: Sizes, problems: list[str]) -> dict[str, Any]:
    """A bulk job under the server's limit, with webwork-async's own rate limit set to match."""
    limit, period = RATE_LIMIT
    report = run_job(
        "webwork-async, rate limited",
        server,
        sizes,
        token=server.limited_token,
        workspaces=sizes.limited_workspaces,
        rate_limit=RATE_LIMIT,
    )
    if not report["failed"]:  # failed workspaces miss the target; they are not a wrong fetch
        problems += check(
            report,
            projects=sizes.limited_workspaces * sizes.projects,
            checksum=sum(
                project_checksum(w, sizes.projects) for w in range(1, sizes.limited_workspaces + 1)
            ),
            requests=None,
        )
    answered = report["statuses"].get("200", 0)
    minimum = (math.ceil(answered / limit) - 1) * period
    share = minimum / report["seconds"]
    best = f"{answered / minimum:.1f} requests/s" if minimum else "n/a"
    print(
        f"\nrate limited: {sizes.limited_workspaces} workspaces, the server allows {limit} "
        f"requests per {period} s sliding window; webwork-async with "
        f"RateLimit(requests={limit}, period={period}), concurrency {sizes.concurrency}"
    )
    print(
        "  theoretical minimum time for R requests (the first window allows a burst of "
        f"{limit}): (ceil(R / {limit}) - 1) x {period} s = "
        f"(ceil({answered} / {limit}) - 1) x {period} s = {minimum:.2f} s"
    )
    print(
        f"  elapsed {report['seconds']:.2f} s: {answered / report['seconds']:.1f} requests/s, "
        f"{share:.1%} of the theoretical maximum ({answered} / {minimum:.2f} s = {best})"
    )
    print(
        f"  server answered {answered} x 200 and {report['statuses'].get('429', 0)} x 429; "
        f"workspaces failed: {report['failed']} {report['errors'] or ''}"
    )
    return {**report, "theoretical_minimum_seconds": minimum, "share_of_maximum": share}


def streaming(server: Server, sizes: Sizes, problems: list[str]) -> dict[str, Any]:
    """Peak RSS of ``async for`` over one big workspace against holding one page's bytes."""
    common = {"first_workspace": STREAM_WORKSPACE, "workspaces": 1, "pages": sizes.stream_pages}
    ours = run_job("webwork-async, streaming", server, sizes, **common)
    problems += check(
        ours,
        projects=sizes.stream_projects,
        checksum=project_checksum(STREAM_WORKSPACE, sizes.stream_projects),
        requests=sizes.stream_pages,
    )
    baseline = run_job("raw aiohttp, streaming baseline", server, sizes, **common)
    if baseline["requests"] != sizes.stream_pages:
        problems.append(f"streaming baseline: {baseline['requests']} requests")
    extra = ours["rss_peak_mb"] - baseline["rss_peak_mb"]
    print(
        f"\nstreaming: {sizes.stream_projects:,} projects of one workspace "
        f"({sizes.stream_pages:,} pages of {PER_PAGE_MAX}), only a count and checksum kept, "
        f"concurrency {sizes.concurrency}"
    )
    print(f"{'variant':34} {'seconds':>8} {'RSS before MB':>14} {'peak RSS MB':>12}")
    for report in (ours, baseline):
        print(
            f"{report['job']:34} {report['seconds']:8.2f} {report['rss_before_mb']:14.1f} "
            f"{report['rss_peak_mb']:12.1f}"
        )
    print(f"webwork-async's peak RSS is {extra:.1f} MB above the baseline's (one page at a time)")
    return {"webwork_async": ours, "baseline": baseline, "extra_peak_rss_mb": extra}


def targets(
    summary: dict[str, dict[str, float]], limited: dict[str, Any], stream: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each target of issue 4, what was measured, and whether it is met."""
    floor_ratio = 1 / summary[FLOOR]["paired_ratio"]
    rejected = limited["statuses"].get("429", 0)
    rows = [
        (
            f"webwork-async <= {MAX_FLOOR_RATIO}x the floor's time (per round)",
            f"{floor_ratio:.2f}x ({1 / summary[FLOOR]['ratio']:.2f}x from the medians)",
            floor_ratio <= MAX_FLOOR_RATIO,
        ),
        (
            f"webwork-async >= {MIN_SPEEDUP_HTTPX:g}x faster than httpx+pydantic",
            f"{summary['httpx+pydantic']['ratio']:.2f}x",
            summary["httpx+pydantic"]["ratio"] >= MIN_SPEEDUP_HTTPX,
        ),
        (
            f"webwork-async >= {MIN_SPEEDUP_REQUESTS:g}x faster than requests+threads",
            f"{summary['requests+threads']['ratio']:.2f}x",
            summary["requests+threads"]["ratio"] >= MIN_SPEEDUP_REQUESTS,
        ),
        (
            f"rate limited: >= {MIN_RATE_SHARE:.0%} of the maximum throughput, no 429",
            f"{limited['share_of_maximum']:.1%}, {rejected} x 429, {limited['failed']} failed",
            limited["share_of_maximum"] >= MIN_RATE_SHARE
            and rejected == 0
            and limited["failed"] == 0,
        ),
        (
            f"streaming: peak RSS <= {MAX_STREAM_EXTRA_MB:g} MB above the raw baseline",
            f"{stream['extra_peak_rss_mb']:.1f} MB",
            stream["extra_peak_rss_mb"] <= MAX_STREAM_EXTRA_MB,
        ),
    ]
    print("\ntargets")
    for name, measured, met in rows:
        print(f"  {'met' if met else 'NOT MET':8} {name:58} {measured}")
    return [{"target": name, "measured": measured, "met": met} for name, measured, met in rows]


def machine() -> dict[str, Any]:
    """Cores, CPU model, OS, Python and the versions of the packages compared."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": versions,
    }


def parse_sizes(argv: list[str] | None) -> tuple[Sizes, argparse.Namespace]:
    sizes, parser, args = sized_options(
        __doc__.splitlines()[0], FULL, QUICK, argv, "small sizes, for a smoke test"
    )
    if min(dataclasses.astuple(sizes)) < 1:
        parser.error("every size must be >= 1")
    if not sizes.limited_workspaces * sizes.pages_per_workspace > RATE_LIMIT[0]:
        parser.error(f"--limited-workspaces must need more than {RATE_LIMIT[0]} requests")
    if max(sizes.workspaces, sizes.limited_workspaces) >= STREAM_WORKSPACE:
        parser.error(f"at most {STREAM_WORKSPACE - 1} workspaces")
    return sizes, args


def main(argv: list[str] | None = None) -> int:
    sizes, args = parse_sizes(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    host = machine()
    versions = ", ".join(f"{name} {version}" for name, version in host["packages"].items())
    print(f"webwork-async benchmark, {started:%Y-%m-%d %H:%M} UTC")
    print(f"machine: {host['cores']} cores, {host['cpu']}, {host['os']}")
    print(f"python: {host['python']}; {versions}")
    print(
        "server: raw asyncio HTTP/1.1 on 127.0.0.1 in its own process, keep-alive, "
        "answers encoded once at start-up; every job in a fresh process"
    )
    problems: list[str] = []
    with loopback_server(sizes) as server:
        print("\nbulk rounds (order rotated each round):", flush=True)
        runs = bulk(server, sizes, problems)
        summary = summarize(runs)
        print_bulk(sizes, summary)
        limited = rate_limited(server, sizes, problems)
        stream = streaming(server, sizes, problems)
    met = targets(summary, limited, stream)
    for problem in problems:
        print(f"CHECK FAILED: {problem}")
    if args.json is not None:
        write_results(args.json, started=started, machine=host, targets=met, problems=problems,
                      sizes=dataclasses.asdict(sizes), bulk={"summary": summary, "runs": runs},
                      rate_limited=limited, streaming=stream)  # fmt: skip
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
