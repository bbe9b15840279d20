"""The ``webwork`` command through click's runner, against the fake server in a thread.

Every command is made from the resources; these tests drive a few of each kind (lists over one
and many workspaces in every format, reads, writes with positional ids, ``api``), the token's
sources and the exit codes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from terminal import run_on_terminal

from webwork_async import AsyncSession
from webwork_async.cli import webwork
from webwork_async.resources._base import Resource
from webwork_async.testing import FakeWebWork


@dataclass
class Shell:
    """The fake, its URL, and a runner with a clean environment (no token unless given)."""

    fake: FakeWebWork
    base_url: str
    home: Path

    def run(self, *args: str, token: bool = True, **env: str) -> Result:
        environment = {"HOME": str(self.home), "WEBWORK_TOKEN": "", "WEBWORK_BASE_URL": ""}
        if token:
            environment["WEBWORK_TOKEN"] = self.fake.token
        environment.update(env)
        command = ["--base-url", self.base_url, "--rate-limit", "off", *args]
        result = CliRunner().invoke(webwork, command, env=environment)
        assert self.fake.token not in result.stdout + result.stderr
        return result


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[Shell]:
    fake = FakeWebWork()
    with fake.serve_in_thread() as base_url:
        yield Shell(fake, base_url, tmp_path)


def names(fake: FakeWebWork, workspace_id: int) -> list[str]:
    return [project["name"] for project in fake.projects(workspace_id)]


def test_a_list_in_every_format(shell: Shell) -> None:
    workspace = shell.fake.add_workspace()
    for number in range(3):
        shell.fake.add_project(workspace, name=f"P{number}")
    where = ["projects", "list", "--workspace", str(workspace)]
    as_json = shell.run(*where, "--format", "json")
    assert as_json.exit_code == 0, as_json.stderr
    assert [p["name"] for p in json.loads(as_json.stdout)] == names(shell.fake, workspace)
    as_lines = shell.run(*where, "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["name"] for line in as_lines] == ["P0", "P1", "P2"]
    rows = list(csv.DictReader(io.StringIO(shell.run(*where, "--format", "csv").stdout)))
    assert [row["name"] for row in rows] == ["P0", "P1", "P2"] and "deadline" in rows[0]
    table = shell.run(*where, "--format", "table").stdout
    assert all(name in table for name in ("P0", "P1", "P2"))
    piped = shell.run(*where)  # not a terminal: JSON lines
    assert piped.stdout == "\n".join(as_lines) + "\n"


def test_many_workspaces_report_each_failure_and_exit_1(shell: Shell) -> None:
    readable = [shell.fake.add_workspace() for _ in range(2)]
    for workspace in readable:
        shell.fake.add_project(workspace, name=f"In {workspace}")
    forbidden = shell.fake.add_workspace(role="Regular User")
    result = shell.run("projects", "list", "--all-workspaces", "--format", "json")
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    assert sorted((row["workspace_id"], row["name"]) for row in answer["data"]) == [
        (workspace, f"In {workspace}") for workspace in readable
    ]
    assert [(f["workspace_id"], f["error"]) for f in answer["failures"]] == [
        (forbidden, "PermissionDeniedError")
    ]
    assert f"workspace {forbidden} failed: PermissionDeniedError" in result.stderr
    picked = shell.run("projects", "list", "--workspace", str(readable[0]),
                       "--workspace", str(readable[1]))  # fmt: skip
    assert picked.exit_code == 0
    assert {json.loads(line)["workspace_id"] for line in picked.stdout.splitlines()} == set(
        readable
    )


def test_reads_and_writes_with_positional_ids(shell: Shell) -> None:
    workspace = shell.fake.add_workspace()
    where = ["--workspace", str(workspace)]
    made = shell.run("projects", "create", *where, "--name", "Shop", "--format", "json")
    assert made.exit_code == 0, made.stderr
    project = json.loads(made.stdout)
    assert names(shell.fake, workspace) == ["Shop"]
    shown = shell.run("projects", "get", str(project["id"]), *where, "--format", "json")
    assert json.loads(shown.stdout)["name"] == "Shop"
    in_project = [*where, "--project-id", str(project["id"])]
    made_task = shell.run("tasks", "create", *in_project, "--title", "T", "--format", "json")
    task = json.loads(made_task.stdout)
    member = shell.fake.add_member(workspace, email="ann@example.com")
    shell.fake.add_contract(workspace, project_id=project["id"], user_id=member["id"])
    assigned = shell.run("tasks", "assign", str(task["id"]), str(member["id"]), *in_project)
    assert assigned.exit_code == 0, assigned.stderr
    assert assigned.stdout == ""  # the service answers with no object
    deleted = shell.run("projects", "delete", str(project["id"]), *where)
    assert deleted.exit_code == 0 and names(shell.fake, workspace) == []
    missing = shell.run("projects", "get", str(project["id"]), *where)
    assert missing.exit_code == 1 and missing.stdout == ""
    assert "NotFoundError" in missing.stderr


def test_api_paginates_into_one_array(shell: Shell) -> None:
    workspace = shell.fake.add_workspace()
    for number in range(150):
        shell.fake.add_project(workspace, name=f"P{number}")
    shell.fake.reset_requests()
    result = shell.run("api", "GET", "projects", "--param", f"workspace_id={workspace}",
                       "--paginate", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    items = json.loads(result.stdout)
    assert len(items) == 150 and items[-1]["name"] == "P149"
    assert shell.fake.request_count("GET", "projects") == 2
    one = shell.run("api", "GET", f"projects/{items[0]['id']}",
                    "--param", f"workspace_id={workspace}", "--format", "json")  # fmt: skip
    assert json.loads(one.stdout)["name"] == "P0"
    created = shell.run("api", "POST", "projects", "--param", f"workspace_id={workspace}",
                        "--param", "name=Via api", "--format", "json")  # fmt: skip
    assert json.loads(created.stdout)["name"] == "Via api"
    refusals = [
        ["api", "GET", "../secrets"],
        ["api", "GET", "https://elsewhere.example/x"],
        ["api", "POST", "projects", "--paginate"],
        ["api", "GET", "p", "--param", "x"],
    ]
    for bad in refusals:
        refused = shell.run(*bad)
        assert refused.exit_code == 2, (bad, refused.stderr)


def test_bad_arguments_are_usage_errors_before_anything_is_sent(shell: Shell) -> None:
    workspace = shell.fake.add_workspace()
    shell.fake.reset_requests()
    for args in (
        ["members", "list", "--workspace", str(workspace), "--status", "sleeping"],
        ["projects", "list"],
        ["projects", "get", "x", "--workspace", str(workspace)],
        ["timesheets", "list", "--workspace", str(workspace),
         "--date-from", "2026-02-01", "--date-to", "2026-01-01"],
    ):  # fmt: skip
        result = shell.run(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert result.stderr.strip()
    assert shell.fake.request_count() == 0


def test_the_token_comes_from_the_environment_a_private_file_or_the_config(shell: Shell) -> None:
    workspace = shell.fake.add_workspace()
    args = ("projects", "list", "--workspace", str(workspace))
    missing = shell.run(*args, token=False)
    assert missing.exit_code == 2 and "WEBWORK_TOKEN" in missing.stderr
    token_file = shell.home / "token"
    token_file.write_text(f"\n{shell.fake.token}\n")
    token_file.chmod(0o644)
    open_file = shell.run("--token-file", str(token_file), *args, token=False)
    assert open_file.exit_code == 2 and "chmod 600" in open_file.stderr
    token_file.chmod(0o600)
    assert shell.run("--token-file", str(token_file), *args, token=False).exit_code == 0
    config = shell.home / ".config" / "webwork" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'token = "{shell.fake.token}"\n')
    config.chmod(0o640)
    assert shell.run(*args, token=False).exit_code == 2
    config.chmod(0o600)
    from_config = shell.run(*args, token=False)
    assert from_config.exit_code == 0, from_config.stderr
    wrong = shell.run(*args, WEBWORK_TOKEN="not-the-token")
    assert wrong.exit_code == 1 and "AuthenticationError" in wrong.stderr
    assert "not-the-token" not in wrong.stderr


def test_help_needs_no_token_and_a_bad_rate_limit_says_what_to_write(shell: Shell) -> None:
    assert shell.run("tasks", "assign", "--help", token=False).exit_code == 0
    result = CliRunner().invoke(
        webwork, ["--rate-limit", "fast", "workspaces", "list"], env={"WEBWORK_TOKEN": "t"}
    )
    assert result.exit_code == 2 and "REQUESTS/SECONDS" in result.stderr


def test_every_operation_is_a_command() -> None:
    """63 operations: each public method of each group (bulk forms ride on their list)."""
    session = AsyncSession(token="t", base_url="http://127.0.0.1:9/api/v2/")
    expected = {
        (group.replace("_", "-"), name.replace("_", "-"))
        for group, resource in vars(session).items()
        if isinstance(resource, Resource) and group != "api"
        for name in dir(type(resource))
        if not name.startswith("_") and not name.endswith("_many")
        and callable(getattr(type(resource), name))
    }  # fmt: skip
    found = {
        (group, action)
        for group, command in webwork.commands.items()
        if isinstance(command, click.Group)
        for action in command.commands
    }
    assert found == expected and len(found) == 63


def test_the_console_script_runs_as_a_real_process(shell: Shell) -> None:
    """Installed by the ``cli`` extra: data on stdout, the summary on stderr, exit 0."""
    workspace = shell.fake.add_workspace()
    shell.fake.add_project(workspace, name="Real")
    script = Path(sys.executable).with_name("webwork")
    done = subprocess.run(
        [str(script), "--base-url", shell.base_url, "--rate-limit", "off",
         "projects", "list", "--all-workspaces", "--format", "csv"],
        env={**os.environ, "WEBWORK_TOKEN": shell.fake.token, "HOME": str(shell.home)},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [row["name"] for row in csv.DictReader(io.StringIO(done.stdout))] == ["Real"]
    assert "every workspace done" in done.stderr
    assert shell.fake.token not in done.stdout + done.stderr


def test_a_bulk_list_shows_a_bar_on_a_terminal_and_only_the_summary_in_a_pipe(
    shell: Shell,
) -> None:
    """The bar goes to stderr when it is a terminal (a pseudo-terminal here); stdout stays data."""
    for _ in range(3):
        shell.fake.add_workspace()
    script = Path(sys.executable).with_name("webwork")
    command = [str(script), "--base-url", shell.base_url, "--rate-limit", "off",
               "workspaces", "list", "--format", "json"]  # fmt: skip
    bulk = [str(script), "--base-url", shell.base_url, "--rate-limit", "off",
            "projects", "list", "--all-workspaces", "--format", "json"]  # fmt: skip
    env = {**os.environ, "WEBWORK_TOKEN": shell.fake.token, "HOME": str(shell.home),
           "COLUMNS": "120", "TERM": "xterm"}  # fmt: skip
    assert subprocess.run(command, env=env, capture_output=True, check=False).returncode == 0
    done = run_on_terminal(bulk, env)
    assert done.returncode == 0
    assert json.loads(done.stdout)["failures"] == []
    text = done.terminal
    assert "projects list" in text and "requests" in text  # the bar
    assert "every workspace done" in text
    piped = subprocess.run(bulk, env=env, capture_output=True, text=True, check=False)
    assert piped.stderr.strip() == "every workspace done"
