"""Instructions per request of the bulk job, webwork-async against the floor, under callgrind.

Wall time on a shared machine drifts by tens of percent between rounds; the number of machine
instructions a job executes hardly does. Each job of ``_jobs.py`` runs twice under
``valgrind --tool=callgrind``, once over 1 workspace and once over W + 1: the difference divided by
W is the cost of one request (one page of 50 projects, decoded and kept), with interpreter
start-up, imports and the first request's set-up cancelled out.

    .venv/bin/python benchmarks/instructions.py [--workspaces W]   # about 2 minutes for W=200

Needs ``valgrind`` on the PATH (Debian: ``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from compare import FLOOR, PER_PAGE_MAX, REFERENCE, loopback_server, parse_sizes

HERE = Path(__file__).resolve().parent
COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(job: str, base_url: str, token: str, workspaces: int) -> int:
    """The instructions one run of ``job`` over ``workspaces`` executes, start-up included."""
    spec = {
        "job": job,
        "base_url": base_url,
        "token": token,
        "first_workspace": 1,
        "workspaces": workspaces,
        "concurrency": 64,
        "per_page": PER_PAGE_MAX,
    }
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(HERE / "_jobs.py"),
        json.dumps(spec),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    found = COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{job!r} under callgrind failed:\n{done.stderr[-3000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=200, metavar="W")
    args = parser.parse_args()
    if args.workspaces < 1:
        parser.error("--workspaces must be >= 1")
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    sizes, _ = parse_sizes(["--workspaces", str(args.workspaces + 1)])
    per_request: dict[str, float] = {}
    with loopback_server(sizes) as server:
        for job in (REFERENCE, FLOOR):
            one = instructions(job, server.base_url, server.token, 1)
            many = instructions(job, server.base_url, server.token, args.workspaces + 1)
            per_request[job] = (many - one) / args.workspaces
            print(f"{job:15s} {per_request[job] / 1000:8,.0f}k instructions per request")
    ratio = per_request[REFERENCE] / per_request[FLOOR]
    print(f"webwork-async executes {ratio:.3f}x the floor's instructions per request")


if __name__ == "__main__":
    main()
