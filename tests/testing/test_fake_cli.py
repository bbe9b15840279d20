"""The ``python -m webwork_async.testing`` / ``webwork-fake`` command line."""

from __future__ import annotations

import datetime
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from local_servers import free_port

from webwork_async.testing import FaultKind
from webwork_async.testing.__main__ import _fault_spec, _is_loopback, _parser

SECRET = "cli-secret-token-0123456789"


def _env(token: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "WEBWORK_TOKEN"}
    if token is not None:
        env["WEBWORK_TOKEN"] = token
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-W", "error", "-m", "webwork_async.testing", *args]


def _wait_until_answering(url: str, process: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 15
    while True:
        assert process.poll() is None, "the CLI exited early"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_cli_serves_seeded_data_and_hides_token(stop_signal: signal.Signals) -> None:
    port = free_port()
    process = subprocess.Popen(
        _command("--port", str(port), "--workspaces", "3", "--projects-max", "5", "--seed", "1"),
        env=_env(SECRET),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = f"http://127.0.0.1:{port}/api/v2/"
        assert _wait_until_answering(base_url + "workspaces", process) == 401
        request = urllib.request.Request(base_url + "workspaces?per_page=100")
        request.add_header("Authorization", f"Bearer {SECRET}")
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.loads(response.read())
        assert [w["id"] for w in body["data"]] == [1, 2, 3]
    finally:
        process.send_signal(stop_signal)
        stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert SECRET not in stdout
    assert SECRET not in stderr
    first_line = stdout.splitlines()[0]
    assert base_url in first_line
    assert "3 workspaces" in first_line
    assert " projects" in first_line
    assert "Warning" not in stderr


def _get_json(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_cli_tells_the_seeding_on_stderr() -> None:
    port = free_port()
    process = subprocess.Popen(
        _command(
            "--port", str(port), "--workspaces", "4", "--projects-min", "2", "--projects-max",
            "9", "--seed", "3",
        ),
        env=_env(SECRET),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        base_url = f"http://127.0.0.1:{port}/api/v2/"
        _wait_until_answering(base_url + "workspaces", process)
        workspaces = _get_json(base_url + "workspaces?per_page=100", SECRET)["data"]
        served_projects = 0
        for workspace in workspaces:
            page = _get_json(base_url + f"projects?workspace_id={workspace['id']}", SECRET)
            served_projects += page["meta"]["pagination"]["total"]
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert SECRET not in stdout + stderr
    assert len(workspaces) == 4
    assert 4 * 2 <= served_projects <= 4 * 9
    lines = stderr.splitlines()
    assert len(lines) == 2, stderr  # no progress lines for a small seed
    assert lines[0] == "Seeding 4 workspaces (2-9 projects each, seed 3)..."
    assert re.fullmatch(
        rf"seeded 4 workspaces and {served_projects} projects in \d+\.\d s", lines[1]
    )
    assert f"with 4 workspaces and {served_projects} projects (seed 3)" in stdout.splitlines()[0]


def test_cli_reports_progress_of_big_seeds() -> None:
    port = free_port()
    process = subprocess.Popen(
        _command("--port", str(port), "--workspaces", "600", "--projects-max", "0"),
        env=_env(SECRET),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = f"http://127.0.0.1:{port}/api/v2/"
        _wait_until_answering(base_url + "workspaces", process)
        served = _get_json(base_url + "workspaces?per_page=1", SECRET)["meta"]["pagination"]
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert SECRET not in stdout + stderr
    assert served["total"] == 600
    lines = stderr.splitlines()
    assert lines[0] == "Seeding 600 workspaces (0 projects each, seed 0)..."
    assert lines[1:-1] == [f"... {done}/600 workspaces" for done in range(60, 600, 60)]
    assert re.fullmatch(r"seeded 600 workspaces and 0 projects in \d+\.\d s", lines[-1])
    assert "with 600 workspaces and 0 projects" in stdout.splitlines()[0]


def test_cli_every_group_seeds_members_contracts_and_time() -> None:
    port = free_port()
    process = subprocess.Popen(
        _command("--port", str(port), "--workspaces", "2", "--every-group", "--seed", "2"),
        env=_env(SECRET),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    today = datetime.datetime.now(datetime.timezone.utc).date()
    since = today - datetime.timedelta(days=45)
    try:
        base_url = f"http://127.0.0.1:{port}/api/v2/"
        _wait_until_answering(base_url + "workspaces", process)
        members = _get_json(base_url + "members?workspace_id=1", SECRET)["data"]
        contracts = _get_json(base_url + "contracts?workspace_id=1", SECRET)["data"]
        tracked = f"reports/tracked-hours?workspace_id=1&start_date={since}&end_date={today}"
        report = _get_json(base_url + tracked, SECRET)["data"]
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    seeding = "Seeding 2 workspaces (0-60 projects each, every group, seed 2)..."
    assert stderr.splitlines()[0] == seeding
    assert len(members) >= 3
    assert {contract["user_id"] for contract in contracts} <= {member["id"] for member in members}
    assert report["total"]["total_minutes"] > 0


def test_cli_help_tells_every_group() -> None:
    assert _parser().parse_args(["--every-group"]).every_group is True
    assert _parser().parse_args([]).every_group is False
    help_text = " ".join(_parser().format_help().split())
    assert "--every-group also seed members, contracts, tasks" in help_text


def test_cli_token_option_overrides_environment() -> None:
    port = free_port()
    process = subprocess.Popen(
        _command("--port", str(port), "--workspaces", "1", "--token", SECRET),
        env=_env("other-token"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v2/workspaces"
        _wait_until_answering(url, process)
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {SECRET}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=15)
    assert SECRET not in stdout + stderr
    assert process.returncode == 0
    warning, seeding = stderr.splitlines()[:2]  # told before seeding and binding
    assert warning.startswith("Warning: --token shows the token in the process list")
    assert "WEBWORK_TOKEN" in warning
    assert seeding.startswith("Seeding 1 workspace")
    assert stderr.count("Warning") == 1


def test_cli_help_prefers_the_token_from_the_environment() -> None:
    help_text = " ".join(_parser().format_help().split())
    assert "Prefer $WEBWORK_TOKEN: a token on the command line shows in the process list" in (
        help_text
    )
    assert "shell history" in help_text


def test_cli_warns_when_reachable_from_the_network() -> None:
    process = subprocess.Popen(
        _command("--host", "0.0.0.0", "--port", "0", "--workspaces", "1"),
        env=_env(SECRET),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(30, process.kill)  # readline() must not block forever
    watchdog.start()
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()  # printed once listening
        match = re.search(r"http://0\.0\.0\.0:(\d+)/api/v2/", first_line)
        assert match is not None, first_line
        url = f"http://127.0.0.1:{match.group(1)}/api/v2/workspaces"
        assert _wait_until_answering(url, process) == 401
    finally:
        watchdog.cancel()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert SECRET not in first_line + stdout + stderr
    warning = stderr.splitlines()[0]  # before seeding, so before binding
    assert warning == (
        "Warning: --host 0.0.0.0 is not a loopback address: the fake is reachable from the "
        "network and accepts a bearer token that may be a real one"
    )
    assert stderr.count("Warning") == 1


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LocalHost", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("10.1.2.3", False),
        ("192.168.0.10", False),
        ("2001:db8::1", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert _is_loopback(host) is loopback


@pytest.mark.parametrize("kind", list(FaultKind))
def test_cli_accepts_every_fault_kind(kind: FaultKind) -> None:
    assert _fault_spec(f"{kind.value}:1:projects") == (kind.value, 1.0, "projects")


def test_cli_injects_the_hostile_fault_kinds() -> None:
    port = free_port()
    options = ["--workspaces", "1", "--fault", "redirect:1:projects", "--fault", "null_data"]
    process = subprocess.Popen(
        _command("--port", str(port), *options),
        env=_env(SECRET),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = f"http://127.0.0.1:{port}/api/v2/"
        _wait_until_answering(base_url + "workspaces", process)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            headers = {"Authorization": f"Bearer {SECRET}"}
            connection.request("GET", "/api/v2/projects?workspace_id=1", headers=headers)
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        assert response.status == 302
        assert response.headers["Location"] == ("http://127.0.0.1:9/api/v2/projects?workspace_id=1")
        assert _get_json(base_url + "workspaces", SECRET)["data"] is None
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert stdout.splitlines()[1:3] == [
        "Fault redirect with probability 1 on projects",
        "Fault null_data with probability 1 on every route",
    ]
    assert "Warning" not in stderr


def test_cli_without_token_exits_2() -> None:
    result = subprocess.run(
        _command("--port", "0"), env=_env(None), capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "WEBWORK_TOKEN" in result.stderr
    assert "--token" in result.stderr
    assert result.stdout == ""


def _get(url: str, token: str) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers)


def test_cli_injects_faults_and_enforces_a_rate_limit() -> None:
    port = free_port()
    options = [
        "--workspaces", "1", "--fault", "server_error:1:projects", "--fault", "slow:0",
        "--fault-seed", "5", "--rate-limit", "3/60",
    ]  # fmt: skip
    process = subprocess.Popen(
        _command("--port", str(port), *options),
        env=_env(SECRET),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = f"http://127.0.0.1:{port}/api/v2/"
        assert _wait_until_answering(base_url + "workspaces", process) == 401  # not counted
        status, headers = _get(base_url + "workspaces", SECRET)
        assert (status, headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"]) == (
            200,
            "3",
            "2",
        )
        assert _get(base_url + "projects?workspace_id=1", SECRET)[0] == 503
        assert _get(base_url + "workspaces", SECRET)[0] == 200
        status, headers = _get(base_url + "workspaces", SECRET)
        assert status == 429
        assert 0 < float(headers["Retry-After"]) <= 60
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert SECRET not in stdout + stderr
    assert stdout.splitlines()[1:3] == [
        "Fault server_error with probability 1 on projects",
        "Fault slow with probability 0 on every route",
    ]
    assert "Rate limit 3 requests per 60 s" in stdout
    assert "Warning" not in stderr


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--fault", "bogus", "unknown fault kind 'bogus'"),
        ("--fault", "slow:2", "probability must be from 0 to 1"),
        ("--fault", "slow:x", "probability must be from 0 to 1"),
        ("--rate-limit", "60", "expected N/SECONDS"),
        ("--rate-limit", "0/60", "expected N/SECONDS"),
    ],
)
def test_cli_rejects_bad_fault_options(flag: str, value: str, message: str) -> None:
    result = subprocess.run(
        _command("--port", "0", flag, value),
        env=_env(SECRET),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
