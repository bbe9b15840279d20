"""The programs in examples/ run as real processes against the fake server, as a user runs them.

Each example gets ``WEBWORK_TOKEN`` and ``WEBWORK_BASE_URL`` in its environment (nothing on its
command line) and runs with ``-W error``; the web apps are started on a free port, asked real
HTTP requests with aiohttp, then stopped with a signal and must exit cleanly.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import datetime
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from local_servers import free_port

from webwork_async import AsyncSession, webhooks
from webwork_async.testing import FakeWebWork

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RUN_TIMEOUT = 60.0  # a generous bound for a whole run, never reached when things work
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
#: What a clean run never prints: crashes, unclosed sessions or connections, lost tasks.
CRASH_SIGNS = ("Traceback", "Unclosed", "Task was destroyed", "Exception ignored")


@dataclass
class World:
    """A fake WebWork served from a thread, and the environment the examples run in."""

    fake: FakeWebWork
    env: dict[str, str]
    managed: list[int]  # workspaces where the user may use the API, in id order
    big: int  # one of them, with more than one page of projects
    restricted: int  # the user is a "Regular User" there: 403


@pytest.fixture
def world() -> Iterator[World]:
    fake = FakeWebWork()
    restricted = fake.add_workspace(role="Regular User")  # first: the examples must skip it
    fake.add_project(restricted, name="Not yours")
    managed = fake.seed(workspaces=3, projects_per_workspace=(2, 12), seed=5)
    big = fake.add_workspace(role="Executive manager", name="Big")
    for number in range(130):
        fake.add_project(big, name=f"Big project {number}")
    fake.add_project(big, name="Launch", deadline="2030-06-30")
    with fake.serve_in_thread() as base_url:
        env = {**clean_env(), "WEBWORK_TOKEN": fake.token, "WEBWORK_BASE_URL": base_url}
        yield World(fake, env, [*managed, big], big, restricted)


def clean_env() -> dict[str, str]:
    """This process's environment without WebWork or pytest settings; output unbuffered."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WEBWORK_", "PYTEST_"))
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_example(name: str, *args: str, world: World, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``examples/<name>.py`` to its end (killed if it outlives RUN_TIMEOUT)."""
    return subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / f"{name}.py"), *args],
        env=world.env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def assert_clean(world: World, *outputs: str, secret: str | None = None) -> None:
    for output in outputs:
        assert world.fake.token not in output
        assert secret is None or secret not in output
        for sign in CRASH_SIGNS:
            assert sign not in output, output


# --- quickstart ----------------------------------------------------------------------------------


def test_quickstart(world: World, tmp_path: Path) -> None:
    done = run_example("quickstart", world=world, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert_clean(world, done.stdout, done.stderr)
    workspace_id = world.managed[0]
    assert f"workspace {world.restricted}: " in done.stdout  # listed, then skipped
    assert f"using workspace {workspace_id}\n" in done.stdout
    expected = len(world.fake.projects(workspace_id))
    assert f"all pages: {expected} projects" in done.stdout
    created = re.search(r"^created project (\d+) ", done.stdout, re.MULTILINE)
    assert created is not None, done.stdout
    project_id = int(created.group(1))
    for verb in ("got", "updated", "archived"):
        assert f"{verb} project {project_id}" in done.stdout

    archived = [
        p for p in world.fake.projects(workspace_id, include_archived=True) if p["id"] == project_id
    ]
    assert len(archived) == 1
    assert archived[0]["name"] == "Quickstart project"
    assert archived[0]["budget_estimation"] == 5000
    assert archived[0]["deadline"] is not None
    assert archived[0]["deleted_at"] is not None  # archived, so no longer listed
    assert project_id not in {p["id"] for p in world.fake.projects(workspace_id)}
    fake = world.fake
    assert fake.request_count("POST", "projects") == 1
    for method in ("GET", "PUT", "DELETE"):
        assert fake.request_count(method, f"projects/{project_id}") == 1
    assert all(request.workspace_id != world.restricted for request in fake.requests)


# --- bulk_job ------------------------------------------------------------------------------------


def stored_rows(db: Path) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as connection:
        return connection.execute(
            "SELECT workspace_id, id, name, deadline FROM projects ORDER BY workspace_id, id"
        ).fetchall()


def fake_rows(world: World) -> list[tuple[Any, ...]]:
    return [
        (workspace_id, p["id"], p["name"], p["deadline"])
        for workspace_id in world.managed
        for p in world.fake.projects(workspace_id)
    ]


def test_bulk_job_stores_every_complete_workspace_and_reports_the_rest(
    world: World, tmp_path: Path
) -> None:
    db = tmp_path / "projects.db"

    def sync() -> subprocess.CompletedProcess[str]:
        done = run_example(
            "bulk_job", "--db", str(db), "--concurrency", "3", world=world, cwd=tmp_path
        )
        assert done.returncode == 1, done.stderr  # the restricted workspace failed
        assert_clean(world, done.stdout, done.stderr)
        assert f"workspace {world.restricted} failed: PermissionDeniedError" in done.stderr
        assert "rate-limit waits" in done.stderr  # the progress bar's last state
        return done

    done = sync()
    expected = fake_rows(world)
    assert any(row[3] == "2030-06-30" for row in expected)  # deadlines are stored too
    assert stored_rows(db) == expected
    workspaces = len(world.managed) + 1
    assert f"{len(expected)} projects stored, 1 of {workspaces} workspaces failed" in done.stdout

    sync()  # again: upserted, not duplicated
    assert stored_rows(db) == expected

    world.fake.add_project(world.managed[0], name="New since the last run")
    gone = world.fake.projects(world.big)[0]["id"]
    asyncio.run(archive(world, gone, workspace_id=world.big))
    sync()  # the file follows: the new project is in, the archived one is out
    assert stored_rows(db) == fake_rows(world) != expected
    assert gone not in {row[1] for row in stored_rows(db)}


async def archive(world: World, project_id: int, *, workspace_id: int) -> None:
    fake = world.fake
    assert fake.base_url is not None
    async with AsyncSession(token=fake.token, base_url=fake.base_url, rate_limit=None) as ww:
        await ww.projects.delete(project_id, workspace_id=workspace_id)


# --- the long-running servers ------------------------------------------------------------------


@dataclass
class Server:
    """An example server running as a process; ``url`` has no trailing slash."""

    process: subprocess.Popen[bytes]
    url: str
    stderr_file: Path

    def stop(self, signum: int) -> int:
        """Send ``signum``; the exit code (-N: ended by signal N) once it has exited."""
        self.process.send_signal(signum)
        return self.process.wait(STOP_TIMEOUT)

    @property
    def stderr(self) -> str:
        return self.stderr_file.read_text()


@contextmanager
def serving(
    name: str, world: World, tmp_path: Path, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Start ``examples/<name>.py --host 127.0.0.1 --port <free>`` (``env`` added to the
    world's environment); wait until it accepts.

    Killed on the way out if it is still running, also when the test failed.
    """
    port = free_port()
    listen_on = ["--host", "127.0.0.1", "--port", str(port)]
    stdout_file, stderr_file = tmp_path / f"{name}.stdout", tmp_path / f"{name}.stderr"
    with stdout_file.open("wb") as stdout, stderr_file.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-W", "error", EXAMPLES / f"{name}.py", *listen_on],
            env={**world.env, **(env or {})},
            cwd=tmp_path,
            stdout=stdout,
            stderr=stderr,
        )
    server = Server(process, f"http://127.0.0.1:{port}", stderr_file)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, f"{name} exited early:\n{server.stderr}"
            assert time.monotonic() < deadline, f"{name} did not listen:\n{server.stderr}"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
                break
            except OSError:
                time.sleep(0.05)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


async def get_all(base: str, paths: list[str]) -> list[tuple[int, Any]]:
    """GET each path in turn: (status, decoded JSON body) per path."""
    async with aiohttp.ClientSession(base) as http:
        answers = []
        for path in paths:
            async with http.get(path) as response:
                answers.append((response.status, await response.json()))
        return answers


# aiohttp's run_app ends with 0 on SIGINT and on SIGTERM. uvicorn ends with 0 on SIGINT; on
# SIGTERM it shuts down gracefully, then re-raises the signal, so the process ends by SIGTERM.
WEB_APP_STOPS = [
    pytest.param("aiohttp_app", signal.SIGINT, 0, id="aiohttp_app-SIGINT"),
    pytest.param("aiohttp_app", signal.SIGTERM, 0, id="aiohttp_app-SIGTERM"),
    pytest.param("fastapi_app", signal.SIGINT, 0, id="fastapi_app-SIGINT"),
    pytest.param("fastapi_app", signal.SIGTERM, -signal.SIGTERM, id="fastapi_app-SIGTERM"),
]


@pytest.mark.parametrize(("name", "signum", "exit_code"), WEB_APP_STOPS)
def test_web_app(
    name: str, signum: signal.Signals, exit_code: int, world: World, tmp_path: Path
) -> None:
    fake, big = world.fake, world.big
    launch = next(p for p in fake.projects(big) if p["name"] == "Launch")
    not_a_number = 422 if name == "fastapi_app" else 400  # FastAPI refuses it itself
    with serving(name, world, tmp_path) as server:
        refused = asyncio.run(
            get_all(
                server.url,
                [
                    "/workspaces/0/projects",
                    "/workspaces/abc/projects",
                    f"/workspaces/{big}/projects/0",
                    f"/workspaces/{big}/projects/abc",
                ],
            )
        )
        assert [status for status, _ in refused] == [400, not_a_number, 400, not_a_number]
        assert fake.requests == []  # refused before anything was sent
        for (_, body), argument in zip(
            refused, ["workspace_id"] * 2 + ["project_id"] * 2, strict=True
        ):
            assert argument in json.dumps(body), body

        answers = asyncio.run(
            get_all(
                server.url,
                [
                    f"/workspaces/{big}/projects",
                    f"/workspaces/{big}/projects/{launch['id']}",
                    f"/workspaces/{big}/projects/999999",
                    "/workspaces/777777/projects",
                    f"/workspaces/{world.restricted}/projects",
                ],
            )
        )
        listed, shown, *failures = answers
        assert listed == (200, [{"id": p["id"], "name": p["name"]} for p in fake.projects(big)])
        assert len(listed[1]) > 100  # more than one page
        assert shown == (200, {"id": launch["id"], "name": "Launch", "deadline": "2030-06-30"})
        assert [(status, body["error"]) for status, body in failures] == [
            (404, "NotFoundError"),
            (404, "NotFoundError"),
            (403, "PermissionDeniedError"),
        ]
        assert all(body["message"] for _, body in failures)

        assert server.stop(signum) == exit_code
    assert_clean(world, server.stderr, (tmp_path / f"{name}.stdout").read_text())
    # The session was closed on the way out: by the cleanup context, by the lifespan.
    closed = "Application shutdown complete." if name == "fastapi_app" else "WebWork session closed"
    assert closed in server.stderr


def wait_for_log(server: Server, text: str) -> str:
    """The server's stderr once ``text`` is in it (the callback runs after the answer)."""
    deadline = time.monotonic() + START_TIMEOUT
    while text not in (stderr := server.stderr):
        assert server.process.poll() is None, f"it exited:\n{stderr}"
        assert time.monotonic() < deadline, f"never logged {text!r}:\n{stderr}"
        time.sleep(0.02)
    return stderr


async def post_statuses(url: str, posts: list[tuple[bytes, dict[str, str]]]) -> list[int]:
    """POST each (body, headers) to ``url`` in turn: the status of each answer."""
    async with aiohttp.ClientSession() as http:
        statuses = []
        for body, headers in posts:
            async with http.post(url, data=body, headers=headers) as response:
                statuses.append(response.status)
        return statuses


async def work_in_webwork(
    world: World, workspace_id: int, *, user_id: int, contract_id: int, task_id: int
) -> int:
    """What users do, through the API: a project created and renamed, a tracker started.
    Returns the new project's id."""
    fake = world.fake
    assert fake.base_url is not None
    async with AsyncSession(token=fake.token, base_url=fake.base_url, rate_limit=None) as ww:
        project = await ww.projects.create(workspace_id=workspace_id, name="Bot launch")
        await ww.projects.update(project.id, workspace_id=workspace_id, name="Bot launch v2")
        await ww.time_tracking.start(
            workspace_id=workspace_id,
            user_id=user_id,
            contract_id=contract_id,
            task_id=task_id,
            activity_description="Writing the bot",
        )
    return project.id


def webhook_secret() -> str:
    """A new secret in the shape of a webhook's token."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def test_bot(world: World, tmp_path: Path) -> None:
    fake, workspace_id = world.fake, world.managed[0]
    secret = webhook_secret()
    member = fake.add_member(workspace_id, email="dev@example.com")
    tracked = fake.projects(workspace_id)[0]
    contract = fake.add_contract(workspace_id, project_id=tracked["id"], user_id=member["id"])
    task = fake.add_task(workspace_id, project_id=tracked["id"], title="Ship the bot")
    forged = json.dumps(
        {"type": "project.created", "workspace_id": workspace_id,
         "data": {"id": 1, "name": "Forged project"}}
    ).encode()  # fmt: skip
    json_type = {"Content-Type": "application/json"}

    with serving("bot", world, tmp_path, env={"WEBWORK_WEBHOOK_SECRET": secret}) as server:
        url = f"{server.url}/webhook"
        events = ["project.created", "project.updated", "tracker.started"]
        fake.add_webhook(workspace_id, url=url, events=events, token=secret)
        project_id = asyncio.run(
            work_in_webwork(
                world,
                workspace_id,
                user_id=member["id"],
                contract_id=contract["id"],
                task_id=task["id"],
            )
        )
        fake.deliver("invoice.paid", workspace_id, {"id": 1}, to=url, secret=secret)
        odd = {"id": 2, "name": "Odd", "surprise": True}  # a known type of another shape
        fake.deliver("project.created", workspace_id, odd, to=url, secret=secret)
        deliveries = fake.wait_deliveries(timeout=RUN_TIMEOUT)
        assert [d.event_type for d in deliveries] == [*events, "invoice.paid", "project.created"]
        assert all(d.statuses == [202] for d in deliveries)

        signed_wrong = webhooks.sign(webhook_secret(), "msg_forged", int(time.time()), forged)
        refused = asyncio.run(
            post_statuses(url, [(forged, json_type), (forged, {**json_type, **signed_wrong})])
        )
        assert refused == [401, 401]

        # A made-up event from the command line (a workspace the user may not use): the
        # tracker's fetch fails, and the bot logs it and goes on.
        trigger = subprocess.run(
            [sys.executable, "-W", "error", "-m", "webwork_async.testing", "trigger",
             "tracker.started", "--to", url, "--workspace", str(world.restricted)],
            env={**world.env, "WEBWORK_WEBHOOK_SECRET": secret},
            capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False,
        )  # fmt: skip
        assert trigger.returncode == 0, trigger.stdout + trigger.stderr
        assert "attempt 1: 202" in trigger.stdout
        wait_for_log(server, "WebWork call failed")  # the last event: all before it are done

        assert server.stop(signal.SIGTERM) == 0
    stderr = server.stderr
    assert_clean(
        world, stderr, (tmp_path / "bot.stdout").read_text(), trigger.stdout, secret=secret
    )
    assert stderr.count("project created in workspace") == 1
    assert f"project created in workspace {workspace_id}: {project_id} 'Bot launch'\n" in stderr
    assert "ignored event project.updated\n" in stderr
    tracking = (
        f"user {member['id']} tracks in workspace {workspace_id}: contract {contract['id']} "
        f"(project {tracked['id']}), task 'Ship the bot', 'Writing the bot'; "
    )
    assert stderr.count(tracking) == 1, stderr  # the task's title comes from the fetch only
    assert "unknown event 'invoice.paid'\n" in stderr
    assert "unknown event 'project.created' (Object contains unknown field `surprise`" in stderr
    assert "Forged" not in stderr  # refused before the callback
    assert stderr.count("WARNING bot") == 1
    assert re.search(
        r"WebWork call failed: GET \S+/time-tracking/current-data\S* -> HTTP 403", stderr
    )
    # The bot's own requests: one fetch per tracker.started, nothing else.
    gets = [r.path for r in fake.requests if r.method == "GET"]
    assert gets == ["/api/v2/time-tracking/current-data"] * 2
    assert (tmp_path / "bot-deliveries.sqlite").exists()
    assert "WebWork session closed" in stderr


# --- test_with_fixture -------------------------------------------------------------------------


def test_the_fixture_example_runs_in_a_fresh_project(tmp_path: Path) -> None:
    project = tmp_path / "user_project"
    project.mkdir()
    shutil.copy(EXAMPLES / "test_with_fixture.py", project)
    # Only [pytest]: no asyncio_mode = auto here, so the file's own marker must do it.
    (project / "pytest.ini").write_text("[pytest]\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(project)],
        env=clean_env(),
        cwd=project,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^3 passed\b", done.stdout, re.MULTILINE), done.stdout


# --- payroll --------------------------------------------------------------------------------------


def test_payroll_sums_approved_hours_and_leave_days_of_the_month(
    world: World, tmp_path: Path
) -> None:
    fake, (first, second) = world.fake, world.managed[:2]
    ann = fake.add_member(first, email="ann@example.com", firstname="Ann", lastname="Lee")
    bob = fake.add_member(second, email="bob@example.com", firstname="Bob", lastname="Ray")

    def worked(workspace_id: int, user_id: int, day: str, minutes: int) -> None:
        start = datetime.datetime.fromisoformat(f"{day}T09:00:00+00:00")
        fake.add_time_entry(
            workspace_id,
            user_id=user_id,
            start_time=start,
            end_time=start + datetime.timedelta(minutes=minutes),
        )

    worked(first, ann["id"], "2026-11-03", 600)
    worked(first, ann["id"], "2026-11-20", 90)
    worked(second, bob["id"], "2026-10-05", 300)
    for period, status in [(("2026-11-01", "2026-11-15"), "approved"),
                           (("2026-11-16", "2026-11-30"), "approved"),
                           (("2026-11-01", "2026-11-15"), "submitted")]:  # fmt: skip
        fake.add_timesheet(
            first, user_id=ann["id"], status=status, date_from=period[0], date_to=period[1]
        )
    fake.add_timesheet(  # October: not this payroll's
        second, user_id=bob["id"], status="approved", date_from="2026-10-01", date_to="2026-10-15"
    )
    vacation = fake.add_leave_policy(second, name="Vacation", days_per_year=20)
    leave = fake.add_leave(
        second, user_id=bob["id"], policy_id=vacation["id"], start="2026-10-30", end="2026-11-03"
    )
    fake.decide_leave(second, leave["id"], "approved")
    done = run_example("payroll", "--month", "2026-11", world=world, cwd=tmp_path)
    assert_clean(world, done.stdout, done.stderr)
    assert done.returncode == 1, done.stderr
    assert f"workspace {world.restricted} failed: PermissionDeniedError" in done.stderr
    rows = list(csv.reader(done.stdout.splitlines()))
    assert rows == [
        ["workspace_id", "user_id", "member", "approved_hours", "leave_days"],
        [str(first), str(ann["id"]), "Ann Lee", "11.50", "0"],
        [str(second), str(bob["id"]), "", "0.00", "3"],
    ]


# --- oauth_app -----------------------------------------------------------------------------------


def test_oauth_app(world: World, tmp_path: Path) -> None:
    fake = world.fake
    secret = "example-client-secret-" + secrets.token_hex(8)
    assert fake.oauth_authorize_url is not None and fake.oauth_token_url is not None
    env = {
        "WEBWORK_OAUTH_CLIENT_ID": "example-app",
        "WEBWORK_OAUTH_CLIENT_SECRET": secret,
        "WEBWORK_OAUTH_AUTHORIZE_URL": fake.oauth_authorize_url,
        "WEBWORK_OAUTH_TOKEN_URL": fake.oauth_token_url,
    }
    app_env = {key: value for key, value in world.env.items() if key != "WEBWORK_TOKEN"}
    expected = sorted(w.workspace_name for w in asyncio.run(all_workspaces(world)))
    with serving("oauth_app", World(fake, app_env, [], 0, 0), tmp_path, env=env) as server:
        fake.add_oauth_client("example-app", secret, [f"{server.url}/callback"])
        fake.configure_oauth(access_token_lifetime=30)  # within the mandatory window at once
        browser, stored = asyncio.run(
            sign_in_and_browse(server.url, fake, expected, tmp_path / "tokens")
        )
        assert server.stop(signal.SIGINT) == 0
    assert fake.oauth_token_requests("authorization_code") == 1  # the stale state sent none
    assert fake.oauth_token_requests("refresh_token") == 2  # one for 20 requests, one refused
    output = server.stderr + (tmp_path / "oauth_app.stdout").read_text()
    assert "signed in" in output and "token refreshed" in output
    assert "the user has to sign in again" in output
    for value in (stored["access_token"], stored["refresh_token"], browser):
        assert value not in output
    assert_clean(world, output, secret=secret)


async def all_workspaces(world: World) -> list[Any]:
    async with AsyncSession(world.fake.token, base_url=world.env["WEBWORK_BASE_URL"]) as ww:
        return [workspace async for workspace in ww.workspaces.list()]


async def sign_in_and_browse(
    url: str, fake: FakeWebWork, expected: list[Any], tokens: Path
) -> tuple[str, dict[str, Any]]:
    """Sign in through the app as a browser does, then use it; the browser's id and the
    token pair the app stored for it."""
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:

        async def follow(address: str) -> str:
            async with browser.get(address, allow_redirects=False) as answer:
                assert answer.status == 302, await answer.text()
                return answer.headers["Location"]

        authorize = await follow(f"{url}/login")
        assert authorize.startswith(f"{fake.oauth_authorize_url}?")
        assert "code_challenge=" in authorize and "state=" in authorize
        callback = await follow(authorize)  # the fake approves at once
        assert callback.startswith(f"{url}/callback?code=")
        assert await follow(callback) == "/workspaces"
        fake.configure_oauth(access_token_lifetime=3600)
        cookie = next(c for c in jar if c.key == "browser")
        assert cookie["httponly"]
        file = tokens / f"{cookie.value}.json"
        assert file.stat().st_mode & 0o777 == 0o600

        async def workspaces() -> list[Any]:
            async with browser.get(f"{url}/workspaces") as answer:
                assert answer.status == 200, await answer.text()
                return sorted(each["name"] for each in await answer.json())

        pages = await asyncio.gather(*(workspaces() for _ in range(20)))
        assert pages == [expected] * 20

        # A stale or forged state is refused, and no code is exchanged.
        await follow(f"{url}/login")
        async with browser.get(f"{url}/callback?code=made-up&state=forged") as answer:
            assert answer.status == 400

        # The user's tokens revoked (as when the 30 days are over): back to signing in.
        stored: dict[str, Any] = json.loads(file.read_text())
        assert fake.revoke_oauth_token(stored["access_token"])
        assert fake.revoke_oauth_token(stored["refresh_token"])
        assert await follow(f"{url}/workspaces") == "/login"
        return cookie.value, stored
