"""What the ``webwork sync`` tests share: the command run through click's runner against the
fake in a thread, and reading back what it wrote."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from webwork_async.cli import webwork
from webwork_async.testing import FakeWebWork

#: The command as a real process (for signals): the console script's entry point.
COMMAND = [sys.executable, "-m", "webwork_async.cli"]


@dataclass
class SyncShell:
    """The fake, its URL, a home folder, and the database the runs write to."""

    fake: FakeWebWork
    base_url: str
    home: Path
    db: str

    def environment(self, **extra: str) -> dict[str, str]:
        return {
            "HOME": str(self.home),
            "WEBWORK_TOKEN": self.fake.token,
            "WEBWORK_BASE_URL": "",
            **extra,
        }

    def arguments(self, *args: str, db: str | None = None, rate_limit: str = "off") -> list[str]:
        return [
            "--base-url",
            self.base_url,
            "--rate-limit",
            rate_limit,
            "sync",
            "--db",
            db or self.db,
            *args,
        ]

    def run(self, *args: str, db: str | None = None, **env: str) -> Result:
        """``webwork sync`` with ``args``; the token must show nowhere in what it printed."""
        result = CliRunner().invoke(
            webwork, self.arguments(*args, db=db), env=self.environment(**env)
        )
        assert self.fake.token not in result.stdout + result.stderr
        return result

    def command(self, *args: str) -> Result:
        """Another ``webwork`` command (a write, say), which must succeed."""
        command = ["--base-url", self.base_url, "--rate-limit", "off", *args]
        result = CliRunner().invoke(webwork, command, env=self.environment())
        assert result.exit_code == 0, result.stderr
        return result

    def summary(self, *args: str, **env: str) -> dict[str, Any]:
        """The JSON summary of a run that must end with exit code 0."""
        result = self.run("--format", "json", *args, **env)
        assert result.exit_code == 0, result.stderr
        summary: dict[str, Any] = json.loads(result.stdout)
        return summary

    def process(self, *args: str) -> subprocess.Popen[bytes]:
        """The command as a real child process, for signals."""
        env = {**os.environ, **self.environment()}
        return subprocess.Popen(
            [*COMMAND, *self.arguments(*args)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )


def counts(summary: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per table, the summary's counts."""
    return {entry["table"]: entry for entry in summary["tables"]}


def rows(db: str | Path, table: str, *, live: bool = True) -> list[dict[str, Any]]:
    """The rows of a SQLite table, ordered by key; only those not marked deleted by default."""
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        where = ' WHERE "_deleted_at" IS NULL' if live else ""
        found = connection.execute(
            f'SELECT * FROM "{table}"{where} ORDER BY "workspace_id", "id"'
        ).fetchall()
    connection.close()
    return [dict(row) for row in found]
