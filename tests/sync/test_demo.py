"""``python -m webwork_async.sync.demo`` (``./scripts/demo.sh``): the README's first command."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from webwork_async.sync.demo import main


def test_the_demo_syncs_twice_and_checks_the_database(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "demo.sqlite"
    assert main(["--workspaces", "12", "--seed", "3", "--db", str(db)]) == 0
    out, err = capfd.readouterr()
    assert "first run: everything" in out and "second run: what changed" in out
    assert "changed on the fake: projects" in out
    assert "match the server's" in out and "3 unreadable workspaces reported" in out
    assert err.count("webwork sync: run") == 2  # both summaries, from the real command
    assert "inserted  updated  deleted" in err
    with sqlite3.connect(db) as connection:
        runs = connection.execute("SELECT id FROM _sync_runs WHERE finished_at IS NOT NULL")
        assert [row[0] for row in runs] == [1, 2]
    connection.close()


def test_the_demo_refuses_nonsense_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--workspaces", "0"])
    assert stopped.value.code == 2
    assert "--workspaces must be at least 1" in capsys.readouterr().err
