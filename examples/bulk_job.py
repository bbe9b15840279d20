"""A bulk-sync job: copy every project of every workspace into a SQLite file.

``list_many`` fetches all workspaces under one concurrency limit, paced by the rate limiter
(60 requests a minute on the real service), and yields each workspace once all its pages are in.
Each complete workspace is written in one transaction: its projects are upserted and the ones it
no longer has (archived) deleted, so running the job again brings the file up to date. A
workspace that fails is reported on stderr, never dropped, and the exit code is 1.

A progress bar on stderr shows the workspaces done, the requests sent and the rate-limit waits.

Run it against the fake server (the token and base URL come from the environment only)::

    WEBWORK_TOKEN=dev-token .venv/bin/webwork-fake --port 8080 --workspaces 30
    WEBWORK_TOKEN=dev-token WEBWORK_BASE_URL=http://127.0.0.1:8080/api/v2/ \
        python examples/bulk_job.py --db projects.db
    sqlite3 projects.db 'SELECT workspace_id, count(*) FROM projects GROUP BY workspace_id'

Needs ``pip install rich``. Exit code: 0 when every workspace was stored, 1 when some failed,
2 when the job could not run at all (no token, the workspace list failed).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from contextlib import closing

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as ProgressBar  # ours is JobProgress

from webwork_async import AsyncSession, JobProgress, Project, WebWorkError

SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    workspace_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    name TEXT NOT NULL,
    deadline TEXT,
    PRIMARY KEY (workspace_id, id)
)
"""
UPSERT = """
INSERT INTO projects (workspace_id, id, name, deadline) VALUES (?, ?, ?, ?)
ON CONFLICT (workspace_id, id) DO UPDATE SET name = excluded.name, deadline = excluded.deadline
"""


def store(db: sqlite3.Connection, workspace_id: int, projects: list[Project]) -> None:
    """Make the file's rows of ``workspace_id`` exactly ``projects``, in one transaction."""
    rows = [
        (workspace_id, p.id, p.name, None if p.deadline is None else p.deadline.isoformat())
        for p in projects
    ]
    with db:  # commits, or rolls back on error: a workspace is stored whole or not at all
        db.executemany(UPSERT, rows)
        stored = db.execute("SELECT id FROM projects WHERE workspace_id = ?", (workspace_id,))
        gone = {row[0] for row in stored} - {p.id for p in projects}
        db.executemany(
            "DELETE FROM projects WHERE workspace_id = ? AND id = ?",
            [(workspace_id, project_id) for project_id in gone],
        )


async def sync(
    db: sqlite3.Connection, concurrency: int, bar: ProgressBar
) -> tuple[int, dict[int, Exception]]:
    """Store every workspace that can be fetched; return how many there are and the failures."""
    task = bar.add_task("workspaces", total=None, requests=0, waits=0, waited=0.0)

    def show(progress: JobProgress) -> None:
        bar.update(
            task,
            completed=progress.done,
            total=progress.total,
            requests=progress.requests,
            waits=progress.rate_limit_waits,
            waited=progress.rate_limit_wait_seconds,
        )

    failed: dict[int, Exception] = {}
    async with AsyncSession(max_concurrency=concurrency) as ww:  # token from $WEBWORK_TOKEN
        workspace_ids = [workspace.id async for workspace in ww.workspaces.list()]
        async for result in ww.projects.list_many(workspace_ids, progress=show):
            if result.error is None:
                store(db, result.workspace_id, result.items)  # every project of that workspace
            else:
                failed[result.workspace_id] = result.error  # e.g. PermissionDeniedError
    return len(workspace_ids), failed


def main() -> int:
    parser = argparse.ArgumentParser(description="Copy every WebWork project into SQLite.")
    parser.add_argument("--db", default="projects.db", help="SQLite file (default %(default)s)")
    parser.add_argument(
        "--concurrency", type=int, default=8, help="requests in flight (default %(default)s)"
    )
    args = parser.parse_args()
    bar = ProgressBar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[requests]} requests"),
        TextColumn("{task.fields[waits]} rate-limit waits ({task.fields[waited]:.0f} s)"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    with closing(sqlite3.connect(args.db)) as db:
        db.execute(SCHEMA)
        try:
            with bar:
                total, failed = asyncio.run(sync(db, args.concurrency, bar))
        except WebWorkError as exc:  # no token, a rejected token, the workspace list failed
            print(f"sync failed: {exc}", file=sys.stderr)
            return 2
        (count,) = db.execute("SELECT count(*) FROM projects").fetchone()
    for workspace_id, error in sorted(failed.items()):
        print(f"workspace {workspace_id} failed: {type(error).__name__}: {error}", file=sys.stderr)
    print(f"{args.db}: {count} projects stored, {len(failed)} of {total} workspaces failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
