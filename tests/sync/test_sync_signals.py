"""``webwork sync`` as a real process, stopped by ``kill -9`` or Ctrl-C half-way, then rerun."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_helpers import SyncShell, counts, rows

from webwork_async.testing import FakeWebWork

#: The list route each table is read from, as the fake records it.
ROUTES = {
    "members": "/api/v2/members",
    "projects": "/api/v2/projects",
    "contracts": "/api/v2/contracts",
    "tasks": "/api/v2/tasks",
    "project_viewers": "/api/v2/project-viewers",
    "webhooks": "/api/v2/webhooks",
    "tracked_hours": "/api/v2/reports/tracked-hours",
    "time_entries": "/api/v2/time-entries",
    "timesheets": "/api/v2/timesheets",
    "time_requests": "/api/v2/time-requests",
    "leaves": "/api/v2/leaves",
    "expenses": "/api/v2/expenses",
}
_STOP_AFTER_UNITS = 40  # units done when the process is stopped: well inside the run


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[SyncShell]:
    fake = FakeWebWork()
    fake.seed(workspaces=12, projects_per_workspace=(0, 120), every_group=True)
    # Every answer waits a little, so that the run lasts a few seconds and is stopped mid-way.
    fake.inject("slow", delay=0.03)
    with fake.serve_in_thread() as base_url:
        yield SyncShell(fake, base_url, tmp_path, str(tmp_path / "webwork.sqlite"))


def _units(db: str, status: str = "done") -> dict[tuple[str, int], int]:
    """The (table, workspace) units with this status and the page of their checkpoint, read
    while the sync may be writing."""
    try:
        with sqlite3.connect(db, timeout=5) as connection:
            found = connection.execute(
                "SELECT table_name, workspace_id, page FROM _sync_state WHERE status = ?",
                (status,),
            ).fetchall()
        connection.close()
    except sqlite3.OperationalError:  # not created yet
        return {}
    return {(table, workspace): page for table, workspace, page in found}


def _stop_mid_way(shell: SyncShell, how: signal.Signals) -> tuple[int, float, bytes]:
    """Start the sync, send ``how`` once enough units are done; its exit code, the seconds it
    took to exit after the signal, and its stderr."""
    process = shell.process("--per-page", "20")
    try:
        deadline = time.monotonic() + 60
        while len(_units(shell.db)) < _STOP_AFTER_UNITS:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the sync did not get far enough"
            time.sleep(0.02)
        sent = time.monotonic()
        process.send_signal(how)
        _, stderr = process.communicate(timeout=30)
        return process.returncode, time.monotonic() - sent, stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _every_row_once(shell: SyncShell) -> None:
    fake = shell.fake
    workspaces = [w["id"] for w in rows(shell.db, "workspaces")]
    assert len(workspaces) == 12
    stored = rows(shell.db, "projects")
    assert [(r["workspace_id"], r["id"]) for r in stored] == [
        (w, p["id"]) for w in sorted(workspaces) for p in fake.projects(w)
    ]
    members = rows(shell.db, "members")
    assert len(members) == sum(len(fake.members(w)) for w in workspaces)
    assert len({(r["workspace_id"], r["id"]) for r in rows(shell.db, "tasks")}) == sum(
        len(fake.tasks(w)) for w in workspaces
    )


def test_kill_9_mid_sync_then_a_rerun_resumes_without_refetching_or_duplicating(
    shell: SyncShell,
) -> None:
    code, _, _ = _stop_mid_way(shell, signal.SIGKILL)
    assert code == -signal.SIGKILL
    done_before = _units(shell.db)
    half_way = _units(shell.db, "running")
    assert len(done_before) >= _STOP_AFTER_UNITS
    shell.fake.clear_faults()
    shell.fake.reset_requests()

    summary = shell.summary("--per-page", "20")
    assert summary["resumed"] is True and summary["finished"] is True
    per_table = counts(summary)
    assert sum(c["skipped"] for c in per_table.values()) == len(
        {unit for unit in done_before if unit[0] != "workspaces"}
    )
    fetched = {(r.route, r.workspace_id) for r in shell.fake.requests}
    refetched = [u for u in done_before if u[0] in ROUTES and (ROUTES[u[0]], u[1]) in fetched]
    assert refetched == []  # nothing completed was fetched again
    for (table, workspace), page in half_way.items():  # went on from their checkpoints
        if table in ("members", "projects", "contracts", "timesheets", "leaves", "expenses"):
            asked = [
                int(r.query["page"])
                for r in shell.fake.requests
                if r.route == ROUTES[table] and r.workspace_id == workspace
            ]
            assert min(asked) == page, (table, workspace)
    _every_row_once(shell)


def test_ctrl_c_stops_promptly_leaves_the_database_consistent_and_the_next_run_resumes(
    shell: SyncShell,
) -> None:
    code, seconds, stderr = _stop_mid_way(shell, signal.SIGINT)
    assert code == 130, stderr
    assert b"the next webwork sync resumes where this one stopped" in stderr
    assert seconds < 1.5, f"took {seconds:.2f} s to stop"
    with sqlite3.connect(shell.db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        runs = connection.execute("SELECT id, finished_at FROM _sync_runs").fetchall()
    connection.close()
    assert runs == [(1, None)]
    done_before = _units(shell.db)
    shell.fake.clear_faults()

    result = shell.run("--per-page", "20", "--format", "json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["resumed"] is True and summary["run"] == 1
    skipped = sum(c["skipped"] for c in counts(summary).values())
    assert skipped == len({u for u in done_before if u[0] != "workspaces"})
    _every_row_once(shell)
