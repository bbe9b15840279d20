"""``webwork sync`` against a fake that misbehaves (``FakeWebWork.inject``), into SQLite and a
real PostgreSQL: every unit ends synced or reported, and the next run completes the rest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_helpers import SyncShell, counts

from webwork_async.testing import FakeWebWork

#: Transient faults the retries recover from, and one that fails a unit for good (a 500 is
#: never retried): each seeded, so a run meets the same ones.
FAULTS = (
    ("server_error", {"status": 503, "probability": 0.04}),
    ("reset_before_answer", {"probability": 0.02}),
    ("truncated_json", {"probability": 0.02}),
    ("rate_limit", {"probability": 0.02, "retry_after": 0.05}),
    ("server_error", {"status": 500, "probability": 0.02}),
)


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "webwork.sqlite")
    dsn: str = request.getfixturevalue("postgres_dsn")
    return dsn


@pytest.fixture
def seeded(tmp_path: Path, target: str) -> Iterator[tuple[SyncShell, list[int]]]:
    """The shell on a seeded fake, and the seeded workspaces."""
    fake = FakeWebWork()
    ids = fake.seed(workspaces=10, projects_per_workspace=(0, 30), every_group=True, seed=5)
    with fake.serve_in_thread() as base_url:
        yield SyncShell(fake, base_url, tmp_path, target), ids


def test_every_unit_is_synced_or_reported_and_the_next_run_completes_them(
    seeded: tuple[SyncShell, list[int]],
) -> None:
    shell, workspaces = seeded
    fake = shell.fake
    fake.fault_seed = 11
    for kind, options in FAULTS:
        fake.inject(kind, method="GET", **options)  # type: ignore[arg-type]
    faulty = shell.run("--per-page", "50", "--format", "json")
    summary = json.loads(faulty.stdout)
    assert faulty.exit_code == (1 if summary["failures"] else 0), faulty.stderr
    per_table = counts(summary)
    units = sum(c["total"] for name, c in per_table.items() if name != "workspaces")
    done = sum(c["done"] for name, c in per_table.items() if name != "workspaces")
    assert done == units  # every unit ended: synced, or failed and reported
    reported = {(f["table"], f["workspace_id"]) for f in summary["failures"]}
    assert len(reported) == sum(c["failed"] for c in per_table.values())
    assert summary["failures"], "the 500s must fail some units"
    errors = [f["error"] for f in summary["failures"]]
    assert any("HTTP 500" in error for error in errors), errors
    assert sum(c["retries"] for c in per_table.values()) > 0  # the rest was retried through

    fake.clear_faults()
    clean = shell.summary("--per-page", "50")
    assert clean["failures"] == [] and clean["finished"] is True
    for table, read in (("projects", fake.projects), ("members", fake.members)):
        on_server = sum(len(read(w)) for w in workspaces)
        assert counts(clean)[table]["rows"] == on_server
        # What the faulty run stored plus what the clean run added is all of it, once each.
        inserted = per_table[table]["inserted"] + counts(clean)[table]["inserted"]
        assert inserted == on_server, table
