"""``python -m webwork_async.sync.demo``: the README's first command, ``webwork sync`` twice.

It starts the embedded fake WebWork server on 127.0.0.1, seeds a few hundred workspaces across
every group (a few of them unreadable, as in real accounts), and runs the real ``webwork sync``
command into a SQLite file. Then it changes some data on the fake (updates, additions,
deletions in every group) and runs the command again, which shows what it inserted, updated
and marked deleted. Last it checks the database against the server. No token is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from webwork_async.testing import FakeWebWork

#: Workspaces where the token's user is a regular member: the API answers 403, and the sync
#: reports them instead of losing them.
_RESTRICTED_WORKSPACES = 3


def _sync(base_url: str, token: str, db: Path, title: str) -> dict[str, Any]:
    """Run ``webwork sync`` as a user would; its summary goes to the terminal (stderr), its
    JSON summary (stdout) is returned for the checks."""
    print(f"\n$ webwork sync --db {db}    # {title}", flush=True)
    command = [sys.executable, "-m", "webwork_async.cli", "--base-url", base_url,
               "--rate-limit", "off", "sync", "--db", str(db), "--format", "json"]  # fmt: skip
    env = {**os.environ, "WEBWORK_TOKEN": token}
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, check=False)
    if done.returncode not in (0, 1):  # 1: the restricted workspaces, reported
        raise SystemExit(f"webwork sync failed with exit code {done.returncode}")
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def _changes_text(changes: dict[str, int]) -> str:
    by_group: dict[str, list[str]] = {}
    for key, count in changes.items():
        group, kind = key.split(".")
        if count:
            by_group.setdefault(group, []).append(f"{count} {kind}")
    return "; ".join(f"{group} {', '.join(kinds)}" for group, kinds in by_group.items())


#: What the demo checks after the second run: each group's live rows against the server's.
_CHECKED = ("projects", "members", "webhooks")


def _stored_keys(db: Path, table: str) -> set[tuple[int, Any]]:
    with sqlite3.connect(db) as connection:
        found = connection.execute(
            f'SELECT "workspace_id", "id" FROM "{table}" WHERE "_deleted_at" IS NULL'
        ).fetchall()
    connection.close()
    return {(workspace_id, key) for workspace_id, key in found}


def _server_keys(
    fake: FakeWebWork, table: str, workspace_ids: Sequence[int]
) -> set[tuple[int, Any]]:
    read = {"projects": fake.projects, "members": fake.members, "webhooks": fake.webhooks}[table]
    return {(w, item["id"]) for w in workspace_ids for item in read(w)}


def run_demo(*, workspaces: int, seed: int, db: Path) -> bool:
    """Run the demo; True when the database matches the server after the second run."""
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        stale.unlink(missing_ok=True)
    fake = FakeWebWork()
    started = time.perf_counter()
    ids = fake.seed(
        workspaces=workspaces, projects_per_workspace=(0, 40), seed=seed, every_group=True
    )
    for _ in range(_RESTRICTED_WORKSPACES):
        fake.add_workspace(role="Regular User")
    seeded = time.perf_counter() - started
    with fake.serve_in_thread() as base_url:
        print(f"fake WebWork server: {base_url}: {workspaces} workspaces seeded across every "
              f"group in {seeded:.1f} s (seed {seed})")  # fmt: skip
        first = _sync(base_url, fake.token, db, "first run: everything")
        changes = fake.change_some(seed=seed)
        print(f"\nchanged on the fake: {_changes_text(changes)}")
        second = _sync(base_url, fake.token, db, "second run: what changed")
        wrong = [t for t in _CHECKED if _stored_keys(db, t) != _server_keys(fake, t, ids)]
    restricted = {failure["workspace_id"] for failure in second["failures"]}
    print(
        f"\nchecked: {', '.join(_CHECKED)} in the database "
        + (f"DO NOT MATCH the server: {', '.join(wrong)}" if wrong else "match the server's")
        + f"; {len(restricted)} unreadable workspaces reported by both runs, none lost "
        f"({len(first['failures'])} failures)"
    )
    return not wrong and len(restricted) == _RESTRICTED_WORKSPACES


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m webwork_async.sync.demo`` (``./scripts/demo.sh``)."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser("./scripts/demo.sh", description=__doc__, formatter_class=raw)
    parser.add_argument("--workspaces", type=int, default=200, help="workspaces to seed (200)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the fake data (7)")
    parser.add_argument("--db", type=Path, default=Path("webwork-demo.sqlite"),
                        help="the SQLite file (webwork-demo.sqlite, replaced)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.workspaces < 1:
        parser.error("--workspaces must be at least 1")
    return 0 if run_demo(workspaces=args.workspaces, seed=args.seed, db=args.db) else 1


if __name__ == "__main__":
    sys.exit(main())
