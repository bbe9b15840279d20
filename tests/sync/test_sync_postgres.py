"""``webwork sync`` into a real PostgreSQL server (started by the tests, see conftest.py): the
same rows as into SQLite, and the same clear errors for a database it cannot use."""

from __future__ import annotations

import asyncio
import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sync_helpers import SyncShell, counts, rows

from webwork_async.sync import TABLES
from webwork_async.testing import FakeWebWork

_VOLATILE = {"_synced_at", "_deleted_at"}  # when a row was written: differs between two runs


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[SyncShell]:
    fake = FakeWebWork()
    fake.seed(workspaces=8, projects_per_workspace=(0, 130), every_group=True)
    fake.add_workspace(role="Regular User")  # fails in both: reported alike
    with fake.serve_in_thread() as base_url:
        yield SyncShell(fake, base_url, tmp_path, str(tmp_path / "webwork.sqlite"))


def _kinds(table_name: str) -> dict[str, str]:
    """The kind of each column (model fields, and the system columns that have one)."""
    table = next(t for t in TABLES if t.name == table_name)
    return {
        **{c.name: c.kind for c in table.columns},
        "_raw": "json",
        "_day": "date",
        "_day_end": "date",
    }


def _normal(value: Any, kind: str | None) -> Any:
    """A stored value as the same Python value, whichever database it came from: SQLite keeps
    dates and times as ISO text, JSON as text and booleans as 0 and 1."""
    if value is None:
        return None
    if kind == "json":
        return json.loads(value) if isinstance(value, str) else value
    if kind == "date" and isinstance(value, str):
        return datetime.date.fromisoformat(value)
    if kind == "datetime":
        moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(datetime.timezone.utc)
    if kind == "bool":
        return bool(value)
    return value


def _comparable(row: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any]:
    return {
        name: _normal(value, kinds.get(name))
        for name, value in row.items()
        if name not in _VOLATILE
    }


async def _postgres_rows(dsn: str, table: str) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(dsn)
    try:
        found = await connection.fetch(
            f'SELECT * FROM "{table}" WHERE "_deleted_at" IS NULL ORDER BY "workspace_id", "id"'
        )
    finally:
        await connection.close()
    return [dict(row) for row in found]


def _same_rows(shell: SyncShell, dsn: str) -> None:
    for table in TABLES:
        in_sqlite = rows(shell.db, table.name)
        in_postgres = asyncio.run(_postgres_rows(dsn, table.name))
        assert len(in_sqlite) == len(in_postgres), table.name
        kinds = _kinds(table.name)
        for lite, post in zip(in_sqlite, in_postgres, strict=True):
            assert _comparable(lite, kinds) == _comparable(post, kinds), table.name


def _summary_counts(summary: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    keys = ("rows", "inserted", "updated", "deleted", "failed", "requests")
    return {name: tuple(c[k] for k in keys) for name, c in counts(summary).items()}


def test_the_same_sync_into_postgres_gives_the_same_rows_as_into_sqlite(
    shell: SyncShell, postgres_dsn: str
) -> None:
    into_sqlite = shell.run("--format", "json")
    into_postgres = shell.run("--format", "json", db=postgres_dsn)
    assert into_sqlite.exit_code == into_postgres.exit_code == 1  # the restricted workspace
    first = json.loads(into_sqlite.stdout), json.loads(into_postgres.stdout)
    assert _summary_counts(first[0]) == _summary_counts(first[1])
    assert first[0]["failures"] == first[1]["failures"]
    _same_rows(shell, postgres_dsn)

    workspace = shell.fake.seed(workspaces=1, projects_per_workspace=(3, 3), seed=99)[0]
    project = shell.fake.projects(workspace)[0]
    shell.command("projects", "delete", str(project["id"]), "--workspace", str(workspace))
    second = [
        json.loads(shell.run("--format", "json", db=target).stdout)
        for target in (shell.db, postgres_dsn)
    ]
    assert _summary_counts(second[0]) == _summary_counts(second[1])
    assert counts(second[1])["projects"]["inserted"] == 2
    _same_rows(shell, postgres_dsn)


async def _execute(dsn: str, *statements: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def _tables(dsn: str) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        found = await connection.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() ORDER BY 1"
        )
    finally:
        await connection.close()
    return [row[0] for row in found]


def test_a_read_only_database_is_a_clear_error_that_changes_nothing(
    shell: SyncShell, postgres_dsn: str
) -> None:
    name = postgres_dsn.rsplit("/", 1)[1]
    read_only = f"ALTER DATABASE {name} SET default_transaction_read_only = on"
    asyncio.run(_execute(postgres_dsn, read_only))
    result = shell.run(db=postgres_dsn)
    assert result.exit_code == 2
    assert "is read-only" in result.stderr and "give a writable --db" in result.stderr
    assert asyncio.run(_tables(postgres_dsn)) == []


def test_a_locked_database_is_a_clear_error_that_changes_nothing(
    shell: SyncShell, postgres_dsn: str
) -> None:
    assert shell.run(db=postgres_dsn).exit_code == 1
    runs_before = asyncio.run(_runs(postgres_dsn))

    async def locked_run() -> Any:
        holder = await asyncpg.connect(postgres_dsn)
        try:
            async with holder.transaction():
                await holder.execute('LOCK TABLE "projects" IN ACCESS EXCLUSIVE MODE')
                return await asyncio.to_thread(shell.run, "--lock-timeout", "0.3", db=postgres_dsn)
        finally:
            await holder.close()

    result = asyncio.run(locked_run())
    assert result.exit_code == 2
    assert "is locked" in result.stderr
    assert asyncio.run(_runs(postgres_dsn)) == runs_before


async def _runs(dsn: str) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(dsn)
    try:
        return [tuple(row) for row in await connection.fetch("SELECT * FROM _sync_runs")]
    finally:
        await connection.close()


def test_a_missing_database_is_a_clear_error_without_the_password(
    shell: SyncShell, postgres_dsn: str
) -> None:
    wrong = postgres_dsn.rsplit("/", 1)[0] + "/no_such_database"
    with_password = wrong.replace("://webwork@", "://webwork:pg-PASSWORD-41@")
    result = shell.run(db=with_password)
    assert result.exit_code == 2
    assert "cannot connect to" in result.stderr and "no_such_database" in result.stderr
    assert "pg-PASSWORD-41" not in result.stderr and "webwork:***@" in result.stderr
