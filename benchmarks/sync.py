"""``webwork sync`` into SQLite against fetch-only ``list_many``, on the same server, in one run.

For each size (100,000 and 1,000,000 project rows; 10,000 and 50,000 with ``--quick``) the
loopback server of ``compare.py`` (``_server.py``) serves W workspaces of P projects (100 a
page) and their ``GET /workspaces`` list. Two jobs run in rounds, fetch-only then sync, each in
a fresh process (its peak RSS its own, read with ``os.wait4`` when it ends):

- fetch-only (``_sync_fetch.py``): ``AsyncSession(rate_limit=None).projects.list_many`` over the
  workspace ids that ``GET /workspaces`` lists (as the sync discovers them), every project
  decoded, counted and checksummed, none kept;
- sync: ``webwork --rate-limit off --quiet sync --group projects --db FILE --format json``, a
  fresh SQLite file each round; the file must then hold exactly the projects the server serves
  (count, id checksum, workspaces, none marked deleted, the run finished).

Both at the same concurrency (16, the command's default). Times are the whole process's wall
time, start-up and exit included (what a user waits for); the time of the job alone (inside the
process: ``asyncio.run`` of the fetch, the sync's own ``seconds``) is printed beside them.
Medians over the rounds. Targets: the sync within 1.3x the fetch-only time at every size, and
its peak RSS at the biggest size within +50 MB of that at the smallest. It exits 1 when a job
failed or the database does not hold what the server serves (a missed target alone does not).

    ./scripts/bench.sh [--quick]           (after compare.py)
    python benchmarks/sync.py [--quick] [--rounds N] [--rows N N ...] [--projects N]
                              [--concurrency N] [--json PATH]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _jobs import server_stats, write_results
from _server import PER_PAGE_MAX, project_checksum
from compare import Server, machine, start_server

HERE = Path(__file__).resolve().parent

# The targets of the sync issue.
MAX_TIME_RATIO = 1.3
MAX_RSS_GROWTH_MB = 50.0


@dataclasses.dataclass(frozen=True)
class Plan:
    """What to run: the sizes (project rows), how they are laid out, and how often."""

    rows: tuple[int, ...]
    projects: int  # per workspace
    concurrency: int
    rounds: int

    def workspaces(self, rows: int) -> int:
        return rows // self.projects


FULL = Plan(rows=(100_000, 1_000_000), projects=100, concurrency=16, rounds=3)
QUICK = Plan(rows=(10_000, 50_000), projects=100, concurrency=16, rounds=2)


@dataclasses.dataclass(frozen=True)
class Measured:
    """One child process: its wall time, peak RSS, exit code and output."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def run_measured(command: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run ``command`` to its end; its wall time from the spawn to the exit, and its own peak
    RSS (``os.wait4`` gives the child's rusage alone, not the maximum over every child)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
        out.seek(0)
        err.seek(0)
        return Measured(
            seconds=seconds,
            peak_rss_mb=usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024),
            returncode=process.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def webwork_command() -> list[str]:
    """The ``webwork`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("webwork")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from webwork_async.cli import main; main()"]


# -- the jobs ------------------------------------------------------------------------------------


def measure_fetch(server: Server, plan: Plan) -> tuple[Measured, dict[str, Any]]:
    spec = {"base_url": server.base_url, "token": server.token, "concurrency": plan.concurrency}
    command = [sys.executable, str(HERE / "_sync_fetch.py"), json.dumps(spec)]
    measured = run_measured(command)
    if measured.returncode != 0:
        raise SystemExit(f"fetch-only failed (exit {measured.returncode}):\n{measured.stderr}")
    report: dict[str, Any] = json.loads(measured.stdout.strip().splitlines()[-1])
    return measured, report


def measure_sync(server: Server, plan: Plan, db: Path) -> tuple[Measured, dict[str, Any]]:
    command = [
        *webwork_command(),
        f"--base-url={server.base_url}",
        "--rate-limit=off",
        f"--concurrency={plan.concurrency}",
        "--quiet",
        "sync",
        "--group=projects",
        f"--db={db}",
        "--format=json",
    ]
    env = {**os.environ, "WEBWORK_TOKEN": server.token}
    env.pop("WEBWORK_BASE_URL", None)
    measured = run_measured(command, env)
    if measured.returncode != 0:
        raise SystemExit(
            f"webwork sync failed (exit {measured.returncode}):\n"
            f"{measured.stdout[-3000:]}{measured.stderr[-3000:]}"
        )
    summary: dict[str, Any] = json.loads(measured.stdout.strip().splitlines()[-1])
    return measured, {"job_seconds": summary["seconds"], "summary": summary}


def database_problems(db: Path, workspaces: int, projects: int) -> list[str]:
    """What the synced file holds that differs from what the server serves."""
    expected = {
        "rows": workspaces * projects,
        "checksum": sum(project_checksum(w, projects) for w in range(1, workspaces + 1)),
        "workspaces": workspaces,
        "marked deleted": 0,
        "unfinished runs": 0,
    }
    connection = sqlite3.connect(db)
    try:
        rows, checksum, spaces, deleted = connection.execute(
            'SELECT count(*), sum("id"), count(DISTINCT "workspace_id"), '
            'count("_deleted_at") FROM "projects"'
        ).fetchone()
        (unfinished,) = connection.execute(
            "SELECT count(*) FROM _sync_runs WHERE finished_at IS NULL"
        ).fetchone()
    finally:
        connection.close()
    found = {
        "rows": rows,
        "checksum": checksum,
        "workspaces": spaces,
        "marked deleted": deleted,
        "unfinished runs": unfinished,
    }
    return [
        f"{db.name}: {key} = {found[key]}, expected {value}"
        for key, value in expected.items()
        if found[key] != value
    ]


def fetch_problems(report: dict[str, Any], workspaces: int, projects: int) -> list[str]:
    expected = {
        "workspaces": workspaces,
        "projects": workspaces * projects,
        "checksum": sum(project_checksum(w, projects) for w in range(1, workspaces + 1)),
        "failed": 0,
    }
    return [
        f"fetch-only: {key} = {report[key]}, expected {value}"
        for key, value in expected.items()
        if report[key] != value
    ]


def remove_database(db: Path) -> None:
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        path.unlink(missing_ok=True)


# -- one size ------------------------------------------------------------------------------------


def run_size(plan: Plan, rows: int, folder: Path, problems: list[str]) -> dict[str, Any]:
    """Every round of one size against a server of that size; the medians and the runs."""
    workspaces = plan.workspaces(rows)
    options = [
        f"--workspaces={workspaces}",
        f"--projects={plan.projects}",
        # The streamed workspace of compare.py is workspace 1 here, of the same size as the others.
        "--stream-workspace=1",
        f"--stream-projects={plan.projects}",
        f"--warm-per-page={PER_PAGE_MAX}",
    ]
    print(f"\n{rows:,} rows: {workspaces:,} workspaces x {plan.projects} projects", flush=True)
    started = time.perf_counter()
    runs: dict[str, list[dict[str, Any]]] = {"fetch": [], "sync": []}
    with start_server(options) as server:
        print(f"  server ready in {time.perf_counter() - started:.1f} s", flush=True)
        for number in range(plan.rounds):
            before = server_stats(server.base_url)
            fetched, report = measure_fetch(server, plan)
            middle = server_stats(server.base_url)
            problems += fetch_problems(report, workspaces, plan.projects)
            db = folder / f"sync-{rows}-{number + 1}.sqlite"
            remove_database(db)
            synced, sync_report = measure_sync(server, plan, db)
            after = server_stats(server.base_url)
            problems += database_problems(db, workspaces, plan.projects)
            database_mb = db.stat().st_size / 1e6
            remove_database(db)
            for name, measured, job, first, last in (
                ("fetch", fetched, report, before, middle),
                ("sync", synced, sync_report, middle, after),
            ):
                runs[name].append(
                    {
                        "seconds": measured.seconds,
                        "job_seconds": job["job_seconds"],
                        "peak_rss_mb": measured.peak_rss_mb,
                        "requests": last["requests"] - first["requests"],
                        "server_cpu_seconds": last["cpu_seconds"] - first["cpu_seconds"],
                    }
                )
            runs["sync"][-1]["database_mb"] = database_mb
            print(
                f"  round {number + 1}/{plan.rounds}: fetch-only {fetched.seconds:.2f} s "
                f"({fetched.peak_rss_mb:.0f} MB), sync {synced.seconds:.2f} s "
                f"({synced.peak_rss_mb:.0f} MB, file {database_mb:.0f} MB)",
                flush=True,
            )
    medians = {
        name: {key: statistics.median(run[key] for run in reports) for key in reports[0]}
        for name, reports in runs.items()
    }
    paired = statistics.median(
        s["seconds"] / f["seconds"] for f, s in zip(runs["fetch"], runs["sync"], strict=True)
    )
    return {
        "rows": rows,
        "workspaces": workspaces,
        "fetch": medians["fetch"],
        "sync": medians["sync"],
        "ratio": medians["sync"]["seconds"] / medians["fetch"]["seconds"],
        "paired_ratio": paired,
        "job_ratio": medians["sync"]["job_seconds"] / medians["fetch"]["job_seconds"],
        "runs": runs,
    }


# -- report --------------------------------------------------------------------------------------


def verdict(met: bool, by: str) -> str:
    return "target met" if met else f"NOT met (over by {by})"


def print_size(plan: Plan, result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = result["rows"]
    print(
        f"\n{rows:,} project rows ({result['workspaces']:,} workspaces x {plan.projects}, "
        f"{PER_PAGE_MAX} a page), concurrency {plan.concurrency}, median of {plan.rounds} rounds"
    )
    print(
        f"  {'job':11} {'seconds':>8} {'rows/s':>9} {'job s':>7} {'job rows/s':>11} "
        f"{'peak RSS MB':>12} {'requests':>9} {'server CPU':>11}"
    )
    for name, label in (("fetch", "fetch-only"), ("sync", "sync")):
        values = result[name]
        print(
            f"  {label:11} {values['seconds']:8.2f} {rows / values['seconds']:9,.0f} "
            f"{values['job_seconds']:7.2f} {rows / values['job_seconds']:11,.0f} "
            f"{values['peak_rss_mb']:12.1f} {values['requests']:9,.0f} "
            f"{values['server_cpu_seconds'] / values['seconds']:11.0%}"
        )
    ratio = result["ratio"]
    print(
        f"  sync / fetch-only time: {ratio:.2f}x (per round {result['paired_ratio']:.2f}x; "
        f"job alone {result['job_ratio']:.2f}x); target <= {MAX_TIME_RATIO}x: "
        f"{verdict(ratio <= MAX_TIME_RATIO, f'{ratio - MAX_TIME_RATIO:.2f}x')}"
    )
    return [
        {
            "target": f"{rows:,} rows: sync <= {MAX_TIME_RATIO}x the fetch-only time",
            "measured": f"{ratio:.2f}x",
            "met": ratio <= MAX_TIME_RATIO,
        }
    ]


def print_memory(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    small, big = results[0], results[-1]
    growth = big["sync"]["peak_rss_mb"] - small["sync"]["peak_rss_mb"]
    fetch_growth = big["fetch"]["peak_rss_mb"] - small["fetch"]["peak_rss_mb"]
    met = growth <= MAX_RSS_GROWTH_MB
    print(
        f"\nsync peak RSS at {big['rows']:,} rows minus at {small['rows']:,}: "
        f"{big['sync']['peak_rss_mb']:.1f} - {small['sync']['peak_rss_mb']:.1f} = "
        f"{growth:+.1f} MB (fetch-only {fetch_growth:+.1f} MB); target <= "
        f"+{MAX_RSS_GROWTH_MB:g} MB: {verdict(met, f'{growth - MAX_RSS_GROWTH_MB:.1f} MB')}"
    )
    return [
        {
            "target": f"sync peak RSS, {big['rows']:,} rows vs {small['rows']:,}: "
            f"<= +{MAX_RSS_GROWTH_MB:g} MB",
            "measured": f"{growth:+.1f} MB",
            "met": met,
        }
    ]


def parse_plan(argv: list[str] | None) -> tuple[Plan, argparse.Namespace]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument(
        "--rounds",
        type=int,
        metavar="N",
        help=f"rounds per size (default {FULL.rounds}, {QUICK.rounds} with --quick)",
    )
    parser.add_argument(
        "--rows",
        type=int,
        nargs="+",
        metavar="N",
        help=f"the sizes, in project rows (default {' '.join(map(str, FULL.rows))}, "
        f"{' '.join(map(str, QUICK.rows))} with --quick)",
    )
    parser.add_argument(
        "--projects",
        type=int,
        metavar="N",
        help=f"projects per workspace (default {FULL.projects}: one page each)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help=f"requests at once, both jobs (default {FULL.concurrency})",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    args = parser.parse_args(argv)
    given = {
        name: getattr(args, name)
        for name in ("rounds", "rows", "projects", "concurrency")
        if getattr(args, name) is not None
    }
    if "rows" in given:
        given["rows"] = tuple(sorted(given["rows"]))
    plan = dataclasses.replace(QUICK if args.quick else FULL, **given)
    if min(plan.rounds, plan.projects, plan.concurrency, *plan.rows) < 1:
        parser.error("every size must be >= 1")
    if any(rows % plan.projects for rows in plan.rows):
        parser.error(f"every --rows must be a multiple of --projects ({plan.projects})")
    return plan, args


def main(argv: list[str] | None = None) -> int:
    plan, args = parse_plan(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    clock = time.perf_counter()
    host = machine()
    print(f"webwork sync benchmark, {started:%Y-%m-%d %H:%M} UTC")
    print(f"machine: {host['cores']} cores, {host['cpu']}, {host['os']}; {host['python']}")
    print(
        "fetch-only = AsyncSession.projects.list_many over the listed workspaces, nothing kept; "
        "sync = webwork sync --group projects into a fresh SQLite file; each job a fresh process, "
        "seconds = its whole wall time, job s = the job inside it"
    )
    problems: list[str] = []
    results = []
    with tempfile.TemporaryDirectory(prefix="webwork-bench-sync-") as folder:
        for rows in plan.rows:
            results.append(run_size(plan, rows, Path(folder), problems))
    met = [line for result in results for line in print_size(plan, result)]
    if len(results) > 1:
        met += print_memory(results)
    for problem in problems:
        print(f"CHECK FAILED: {problem}")
    print(f"\nthe whole run took {time.perf_counter() - clock:.0f} s")
    if args.json is not None:
        write_results(args.json, started=started, machine=host, targets=met, problems=problems,
                      plan=dataclasses.asdict(plan), sizes=results)  # fmt: skip
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
