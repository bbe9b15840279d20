"""Several processes (real subprocesses) on one token, coordinated through a real Redis, against
the fake server enforcing the token's limit: together they stay within it and use it, a 429 one
of them meets pauses the others, and an expiring OAuth2 token is refreshed once for all."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oauth_app import oauth_app

from webwork_async.oauth2 import FileTokenStore
from webwork_async.testing import FakeWebWork, RedisServer

WORKER = Path(__file__).with_name("worker.py")
RUN_TIMEOUT = 60.0
# The token's limit here: 40 requests per 4 s. Windows this long keep the latency of each
# window's first requests (Redis, a loaded machine) a small part of it, as 60 s windows do.
CAPACITY, PERIOD = 40, 4.0
PER_WORKER = CAPACITY  # 4 workers: four windows' worth


@dataclass
class Run:
    outcomes: list[dict[str, Any]]
    fake: FakeWebWork

    def api(self, path: str | None = None) -> list[Any]:
        return [
            r
            for r in self.fake.requests
            if r.path.startswith("/api/") and (path is None or r.path.endswith("/" + path))
        ]


@contextmanager
def workers(
    tmp_path: Path, settings: list[dict[str, Any]], env: dict[str, str]
) -> Iterator[list[dict[str, Any]]]:
    """Start one worker per settings, say go once all run, and give their outcomes."""
    go = tmp_path / "go"
    processes = []
    outs = []
    try:
        for number, each in enumerate(settings):
            out = tmp_path / f"worker-{number}.json"
            file = tmp_path / f"worker-{number}.settings.json"
            file.write_text(json.dumps({**each, "go": str(go), "out": str(out)}))
            outs.append(out)
            with (tmp_path / f"worker-{number}.stderr").open("wb") as stderr:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-W", "error", str(WORKER), str(file)],
                        env={**os.environ, **env},
                        stderr=stderr,
                    )
                )
        time.sleep(0.5)  # let them import and open their sessions; they wait for go anyway
        go.touch()
        for number, process in enumerate(processes):
            code = process.wait(RUN_TIMEOUT)
            stderr = (tmp_path / f"worker-{number}.stderr").read_text()
            assert code == 0, stderr
            assert "Traceback" not in stderr, stderr
        yield [json.loads(out.read_text()) for out in outs]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def steady_share(arrivals: list[float]) -> float:
    """The share of the limit a saturated run uses in the long run, from when the requests
    arrived: each window lets CAPACITY go, so the rate is the requests before the last window
    over the time until that window opened (its first arrival). How the last window's burst
    spreads out does not count: over hours of 60 s windows it would not show."""
    arrivals = sorted(arrivals)
    before_last = len(arrivals) - CAPACITY
    rate = before_last / (arrivals[before_last] - arrivals[0])
    return rate / (CAPACITY / PERIOD)


def max_in_window(arrivals: list[float], window: float) -> int:
    arrivals = sorted(arrivals)
    most, start = 0, 0
    for end, arrival in enumerate(arrivals):
        while arrival - arrivals[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_four_processes_on_one_token_stay_within_its_limit_and_use_it(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    fake = FakeWebWork()
    fake.add_workspace(name="Acme")
    fake.enforce_rate_limit(CAPACITY, PERIOD)
    with fake.serve_in_thread() as base_url:
        common = {"base_url": base_url, "redis": redis_server.url, "rate": [CAPACITY, PERIOD]}
        plan = [{**common, "requests": PER_WORKER, "concurrency": 12, "path": "workspaces"}] * 4
        with workers(tmp_path, plan, {"WEBWORK_TOKEN": fake.token}) as outcomes:
            run = Run(outcomes, fake)
    assert [o["ok"] for o in outcomes] == [PER_WORKER] * 4, outcomes
    api = run.api()
    assert len(api) == 4 * PER_WORKER and not [r for r in api if r.rate_limited or r.status != 200]
    arrivals = [r.received_at for r in api]
    assert max_in_window(arrivals, PERIOD) <= CAPACITY
    assert steady_share(arrivals) >= 0.95


def test_a_429_one_process_meets_pauses_the_others(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    fake = FakeWebWork()
    workspace = fake.add_workspace(name="Acme")
    fake.inject("rate_limit", path="/api/v2/projects", times=1, retry_after=1.5)
    with fake.serve_in_thread() as base_url:
        common = {"base_url": base_url, "redis": redis_server.url, "rate": [1000, 1.0]}
        plan = [
            {
                **common,
                "requests": 3,
                "concurrency": 1,
                "path": "projects",
                "params": {"workspace_id": workspace},
                "delay": 1.0,  # the other one is busy by then, and goes on for a while
            },
            {**common, "duration": 4.0, "concurrency": 1, "path": "workspaces"},
        ]
        with workers(tmp_path, plan, {"WEBWORK_TOKEN": fake.token}) as outcomes:
            run = Run(outcomes, fake)
    assert outcomes[0]["ok"] == 3 and not outcomes[1]["errors"], outcomes
    refused = [r for r in run.api() if r.status == 429]
    assert len(refused) == 1
    paused_at = refused[0].received_at
    others = [r.received_at - paused_at for r in run.api("workspaces")]
    assert any(gap < 0 for gap in others)  # it was busy when the 429 came
    assert len([gap for gap in others if gap > 1.45]) > 20  # then held back, then it went on
    assert len(others) == outcomes[1]["ok"]
    # Once the 429's answer was shared (a request or two may be on the way then), nothing
    # more went out until Retry-After had passed.
    assert [gap for gap in others if 0.1 < gap < 1.45] == []


async def test_two_processes_with_an_expiring_oauth2_token_refresh_it_once(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    async with oauth_app() as app:
        app.fake.configure_oauth(access_token_lifetime=30)  # the mandatory window
        token = await app.sign_in()
        app.fake.configure_oauth(access_token_lifetime=3600)
        plan = []
        for number in range(2):  # each its own copy: no store to fall back on
            file = tmp_path / f"token-{number}.json"
            await FileTokenStore(file).save(token)
            oauth = {
                "token_file": str(file),
                "client_id": app.client_id,
                "token_url": app.token_url,
            }
            plan.append(
                {
                    "base_url": app.fake.base_url,
                    "redis": redis_server.url,
                    "rate": [1000, 1.0],
                    "requests": 30,
                    "concurrency": 10,
                    "path": "workspaces",
                    "oauth": oauth,
                }
            )
        env = {"WORKER_CLIENT_SECRET": app.client_secret}
        outcomes = await _in_thread(tmp_path, plan, env)
        assert [o["ok"] for o in outcomes] == [30, 30], outcomes
        assert app.fake.oauth_token_requests("refresh_token") == 1
        assert [len(o["refreshes"]) for o in outcomes] == [1, 1]  # both went on with the new pair
        stored = [await FileTokenStore(tmp_path / f"token-{n}.json").load() for n in range(2)]
        assert stored[0] == stored[1] != token


async def _in_thread(
    tmp_path: Path, plan: list[dict[str, Any]], env: dict[str, str]
) -> list[dict[str, Any]]:
    """Run the workers from a thread, so that this loop keeps serving the fake meanwhile."""

    def run() -> list[dict[str, Any]]:
        with workers(tmp_path, plan, env) as outcomes:
            return outcomes

    return await asyncio.to_thread(run)
