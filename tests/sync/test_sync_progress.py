"""What ``webwork sync`` shows: a bar per group on a terminal, only the summary in a pipe."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_helpers import COMMAND, SyncShell
from terminal import run_on_terminal

from webwork_async.sync import TABLES
from webwork_async.testing import FakeWebWork


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[SyncShell]:
    fake = FakeWebWork()
    fake.seed(workspaces=10, projects_per_workspace=(0, 30), every_group=True)
    with fake.serve_in_thread() as base_url:
        yield SyncShell(fake, base_url, tmp_path, str(tmp_path / "webwork.sqlite"))


def test_a_bar_per_group_on_a_terminal_and_only_the_summary_in_a_pipe(shell: SyncShell) -> None:
    env = {**os.environ, **shell.environment(), "COLUMNS": "160", "TERM": "xterm"}
    command = [*COMMAND, *shell.arguments()]
    shown = run_on_terminal(command, env)
    assert shown.returncode == 0, shown.terminal
    assert shown.stdout == b""  # data and summaries never go to stdout
    for table in TABLES:
        assert table.name in shown.terminal
    assert "10/10" in shown.terminal and "requests" in shown.terminal and "waits" in shown.terminal
    assert "webwork sync: run 1" in shown.terminal  # the summary after the bars
    assert shell.fake.token not in shown.terminal

    piped = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert piped.returncode == 0
    assert piped.stderr.startswith("webwork sync: run 2 into")  # no bar, the summary only
    assert "━" not in piped.stderr and "\x1b[" not in piped.stderr
