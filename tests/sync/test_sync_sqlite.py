"""``webwork sync`` into a SQLite file, through click's runner, against the fake in a thread."""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import pwd
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sync_helpers import SyncShell, counts, rows

import webwork_async.sync.sqlite  # noqa: F401  (loaded before a fork, see _as_unprivileged)
from webwork_async.sync import SCHEMA_VERSION, TABLES
from webwork_async.testing import FakeWebWork

TODAY = datetime.datetime.now(datetime.timezone.utc).date()


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[SyncShell]:
    fake = FakeWebWork()
    with fake.serve_in_thread() as base_url:
        yield SyncShell(fake, base_url, tmp_path, str(tmp_path / "webwork.sqlite"))


def _moment(day: datetime.date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


def test_every_group_of_every_workspace_is_copied_with_typed_columns_and_raw_json(
    shell: SyncShell,
) -> None:
    fake = shell.fake
    workspaces = fake.seed(workspaces=6, projects_per_workspace=(1, 130), every_group=True)
    restricted = fake.add_workspace(role="Regular User")
    result = shell.run("--format", "json")
    assert result.exit_code == 1, result.stderr  # the restricted workspace fails, reported
    summary = json.loads(result.stdout)
    assert summary["finished"] is True
    assert {f["workspace_id"] for f in summary["failures"]} == {restricted}
    assert f"workspace {restricted}" in result.stderr
    per_table = counts(summary)
    assert set(per_table) == {table.name for table in TABLES}
    for workspace_id in workspaces:
        stored = [r for r in rows(shell.db, "projects") if r["workspace_id"] == workspace_id]
        assert [r["id"] for r in stored] == [p["id"] for p in fake.projects(workspace_id)]
        assert [json.loads(r["_raw"]) for r in stored] == fake.projects(workspace_id)
        members = [r["id"] for r in rows(shell.db, "members") if r["workspace_id"] == workspace_id]
        assert members == [m["id"] for m in fake.members(workspace_id)]
        for group, read in (("timesheets", fake.timesheets), ("leaves", fake.leaves),
                            ("expenses", fake.expenses), ("webhooks", fake.webhooks)):  # fmt: skip
            stored_ids = {
                r["id"] for r in rows(shell.db, group) if r["workspace_id"] == workspace_id
            }
            assert stored_ids <= {item["id"] for item in read(workspace_id)}, group
        entries = {
            r["id"] for r in rows(shell.db, "time_entries") if r["workspace_id"] == workspace_id
        }
        recent = TODAY - datetime.timedelta(days=30)
        expected = {
            e["id"] for e in fake.time_entries(workspace_id) if e["date"] >= recent.isoformat()
        }
        assert entries == expected
    for table in TABLES:
        if table.name != "workspaces":
            assert per_table[table.name]["rows"] > 0, table.name
            assert per_table[table.name]["inserted"] == per_table[table.name]["rows"], table.name
    project = rows(shell.db, "projects")[0]
    assert isinstance(project["id"], int) and isinstance(project["name"], str)
    assert isinstance(json.loads(project["tags"]), list)  # nested fields as JSON
    assert project["_synced_at"] and project["_deleted_at"] is None


def test_secrets_are_never_stored_or_logged(
    shell: SyncShell, caplog: pytest.LogCaptureFixture
) -> None:
    workspace = shell.fake.add_workspace()
    hook = shell.fake.add_webhook(workspace, url="https://bot.example.com/hook")
    assert hook["token"]
    shell.fake.inject("server_error", status=503, times=2)  # retries log their warnings
    caplog.set_level(logging.DEBUG)
    assert shell.run().exit_code == 0
    assert "retry" in caplog.text.lower()  # the log was captured
    assert shell.fake.token not in caplog.text and hook["token"] not in caplog.text
    stored = rows(shell.db, "webhooks")
    assert [row["id"] for row in stored] == [hook["id"]]
    assert "token" not in stored[0] and "token" not in json.loads(stored[0]["_raw"])
    content = b"".join(path.read_bytes() for path in Path(shell.db).parent.glob("webwork.sqlite*"))
    assert hook["token"].encode() not in content
    assert shell.fake.token.encode() not in content


def test_a_second_run_counts_what_changed_and_marks_what_is_gone(shell: SyncShell) -> None:
    fake = shell.fake
    workspace = fake.add_workspace()
    kept, renamed, dropped = (fake.add_project(workspace, name=n) for n in ("Kept", "Old", "Gone"))
    task = fake.add_task(workspace, project_id=kept["id"], title="A task")
    first = counts(shell.summary())
    assert first["projects"]["inserted"] == 3 and first["tasks"]["inserted"] == 1

    where = ("--workspace", str(workspace))
    shell.command("projects", "update", str(renamed["id"]), *where, "--name", "New")
    shell.command("projects", "delete", str(dropped["id"]), *where)
    shell.command("tasks", "delete", str(task["id"]), *where, "--project-id", str(kept["id"]))
    added = fake.add_project(workspace, name="Added")
    second = counts(shell.summary())
    assert (second["projects"]["inserted"], second["projects"]["updated"]) == (1, 1)
    assert second["projects"]["deleted"] == 1
    assert second["tasks"]["deleted"] == 1
    live = {row["id"]: row["name"] for row in rows(shell.db, "projects")}
    assert live == {kept["id"]: "Kept", renamed["id"]: "New", added["id"]: "Added"}
    gone = [row for row in rows(shell.db, "projects", live=False) if row["_deleted_at"]]
    assert [row["id"] for row in gone] == [dropped["id"]]

    third = counts(shell.summary())  # nothing changed: nothing counted
    assert all(third[t][k] == 0 for t in third for k in ("inserted", "updated", "deleted"))


def test_rows_are_marked_deleted_only_after_a_complete_sweep(shell: SyncShell) -> None:
    fake = shell.fake
    workspace = fake.add_workspace()
    projects = [fake.add_project(workspace, name=f"P{n}") for n in range(5)]
    assert shell.run("--per-page", "2").exit_code == 0
    shell.command("projects", "delete", str(projects[0]["id"]), "--workspace", str(workspace))
    rule = fake.inject("server_error", path="projects", status=500, times=1)
    failed = shell.run("--per-page", "2", "--format", "json")
    assert failed.exit_code == 1 and rule.fired == 1
    summary = json.loads(failed.stdout)
    assert [(f["table"], f["workspace_id"]) for f in summary["failures"]] == [
        ("projects", workspace),
        ("tasks", workspace),  # its parts are the projects: not swept on stale ones
    ]
    assert counts(summary)["projects"]["deleted"] == 0
    assert len(rows(shell.db, "projects")) == 5  # the failed sweep marked nothing

    fake.clear_faults()
    after = counts(shell.summary("--per-page", "2"))
    assert after["projects"]["deleted"] == 1
    assert [row["id"] for row in rows(shell.db, "projects")] == [p["id"] for p in projects[1:]]


def test_time_data_is_synced_in_windows_that_move_with_a_look_back(shell: SyncShell) -> None:
    fake = shell.fake
    workspace = fake.add_workspace()
    member = fake.add_member(workspace, email="dev@example.com")
    project = fake.add_project(workspace, name="Billable")
    contract = fake.add_contract(workspace, project_id=project["id"], user_id=member["id"])
    days = {offset: TODAY - datetime.timedelta(days=offset) for offset in (1, 20, 45)}
    for day in days.values():
        fake.add_time_entry(
            workspace,
            user_id=member["id"],
            contract_id=contract["id"],
            start_time=_moment(day, 9),
            end_time=_moment(day, 11),
        )
    first = shell.summary()
    stored = {row["date"] for row in rows(shell.db, "time_entries")}
    assert stored == {days[1].isoformat(), days[20].isoformat()}  # 30 days back by default
    tracked = rows(shell.db, "tracked_hours")
    assert sorted(row["total_minutes"] for row in tracked) == [120, 120]
    assert counts(first)["time_entries"]["requests"] == 2  # one per user and day with time

    fake.reset_requests()
    shell.summary()
    window = [r.query for r in fake.requests if r.path.endswith("/reports/tracked-hours")]
    assert window == [
        {
            "workspace_id": str(workspace),
            "start_date": (TODAY - datetime.timedelta(days=7)).isoformat(),
            "end_date": TODAY.isoformat(),
        }
    ]
    assert {row["date"] for row in rows(shell.db, "time_entries")} == stored  # 20 days ago kept

    since = days[45].isoformat()
    shell.summary("--since", since)
    assert {row["date"] for row in rows(shell.db, "time_entries")} == {
        day.isoformat() for day in days.values()
    }


def test_a_new_field_of_a_model_becomes_a_new_column(shell: SyncShell) -> None:
    workspace = shell.fake.add_workspace()
    shell.fake.add_project(workspace, name="Documented", notes="the notes")
    assert shell.run().exit_code == 0
    with sqlite3.connect(shell.db) as connection:  # a database of a release without "notes"
        connection.execute('ALTER TABLE "projects" DROP COLUMN "notes"')
    connection.close()
    result = shell.run("--full", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["migrations"] == ["projects: added column notes"]
    assert "projects: added column notes" in result.stderr
    assert [row["notes"] for row in rows(shell.db, "projects")] == ["the notes"]


def _fingerprint(db: str) -> str:
    with sqlite3.connect(db) as connection:
        dump = "\n".join(connection.iterdump())
    connection.close()
    return hashlib.sha256(dump.encode()).hexdigest()


def test_a_database_of_another_schema_version_is_refused_and_left_alone(
    shell: SyncShell,
) -> None:
    shell.fake.add_workspace()
    assert shell.run().exit_code == 0
    with sqlite3.connect(shell.db) as connection:
        connection.execute("UPDATE _sync_meta SET value = '99' WHERE key = 'schema_version'")
    connection.close()
    before = _fingerprint(shell.db)
    shell.fake.reset_requests()
    result = shell.run()
    assert result.exit_code == 2
    assert f"schema version 99, this webwork-async writes version {SCHEMA_VERSION}" in result.stderr
    assert _fingerprint(shell.db) == before
    assert shell.fake.requests == []  # refused before anything is fetched


def test_a_foreign_database_is_refused(shell: SyncShell) -> None:
    with sqlite3.connect(shell.db) as connection:
        connection.execute("CREATE TABLE projects (id INTEGER, owner TEXT)")
    connection.close()
    before = _fingerprint(shell.db)
    result = shell.run()
    assert result.exit_code == 2
    assert "already has tables named projects that webwork sync did not create" in result.stderr
    assert _fingerprint(shell.db) == before


def test_a_locked_database_is_a_clear_error_that_changes_nothing(shell: SyncShell) -> None:
    shell.fake.add_workspace()
    assert shell.run().exit_code == 0
    before = _fingerprint(shell.db)
    holder = sqlite3.connect(shell.db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = shell.run("--lock-timeout", "0.2")
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 2
    assert "is locked by another program" in result.stderr
    assert _fingerprint(shell.db) == before


def test_print_schema_shows_every_table_for_the_target(shell: SyncShell) -> None:
    sqlite_schema = shell.run("--print-schema", WEBWORK_TOKEN="")  # needs no token
    assert sqlite_schema.exit_code == 0
    for table in TABLES:
        assert f'CREATE TABLE "{table.name}"' in sqlite_schema.stdout
    assert "_sync_state" in sqlite_schema.stdout and "JSONB" not in sqlite_schema.stdout
    postgres = shell.run("--print-schema", db="postgresql://sync@127.0.0.1/webwork")
    assert postgres.exit_code == 0
    assert '"_raw" JSONB' in postgres.stdout and '"created_at" TIMESTAMPTZ' in postgres.stdout
    assert not Path(shell.db).exists()  # nothing was created


def _as_unprivileged(job: Callable[[], Result]) -> tuple[int, str]:
    """Run ``job`` in a forked child as ``nobody`` (root writes any file, so a file is
    read-only only to another user); its exit code and stderr. Everything the job imports is
    loaded before the fork: the child may not read the project's files."""
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        try:
            user = pwd.getpwnam("nobody")
            os.setgroups([])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            result = job()
            stderr = result.stderr + (repr(result.exception) if result.exit_code == 1 else "")
            os.write(writer, json.dumps([result.exit_code, stderr]).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as answer:
        received = answer.read()
    os.waitpid(child, 0)
    code, stderr = json.loads(received)
    return code, stderr


def test_a_read_only_file_is_a_clear_error_that_changes_nothing(tmp_path: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="webwork-read-only-"))
    try:
        db = folder / "webwork.sqlite"
        fake = FakeWebWork()
        fake.add_workspace()
        with fake.serve_in_thread() as base_url:
            shell = SyncShell(fake, base_url, folder, str(db))  # a home the child may read
            assert shell.run().exit_code == 0
        with sqlite3.connect(db) as connection:  # one file, no -wal left beside it
            connection.execute("PRAGMA journal_mode=DELETE")
        connection.close()
        before = _fingerprint(str(db))
        if os.geteuid() == 0:
            folder.chmod(0o755)
            code, stderr = _as_unprivileged(lambda: shell.run())
        else:
            db.chmod(0o444)
            folder.chmod(0o555)
            result = shell.run()
            code, stderr = result.exit_code, result.stderr
        assert code == 2, stderr
        assert "is read-only" in stderr and "make it writable, or give another --db" in stderr
        assert _fingerprint(str(db)) == before
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)
