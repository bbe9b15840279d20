"""One worker process of ``coordination.py``: ``_coordination_worker.py SETTINGS_JSON OUT_FILE``.

The settings say where the fake server is, the rate to pace at, whether to share it through
Redis, how many requests to keep in flight, and how many to send (``null``: as many as fit
before the deadline). The secrets come from the environment, never the command line:
``$WEBWORK_TOKEN``, and ``$BENCH_REDIS_URL`` for a coordinated worker.

The worker imports everything and opens its session, prints ``ready`` and waits for the line
``go DEADLINE`` on its standard input (``DEADLINE`` a ``time.monotonic()``, the same clock in
every process of the machine), so that all workers start at once and stop at the same moment.
Requests still waiting at the deadline are cancelled. It then writes its outcome to ``OUT_FILE``
as JSON: requests answered, failures by error type, requests cancelled at the deadline, and when
its first request started and its last ended (monotonic).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webwork_async import AsyncSession, RateLimit, WebWorkError
from webwork_async.redis import RedisCoordination

PATH = "workspaces"


@dataclass
class Outcome:
    """What one worker got."""

    ok: int = 0
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    cancelled: int = 0
    started: float = 0.0
    finished: float = 0.0


async def send(ww: AsyncSession, settings: dict[str, Any], deadline: float) -> Outcome:
    """``concurrency`` lanes, each sending one request after the other until the budget is
    spent or the deadline has come; what is still waiting then is cancelled."""
    outcome = Outcome(started=time.monotonic())
    left: int | None = settings["requests"]  # None: no end but the deadline

    async def lane() -> None:
        nonlocal left
        while (left is None or left > 0) and time.monotonic() < deadline:
            if left is not None:
                left -= 1
            try:
                await ww.api.request("GET", PATH)
            except WebWorkError as exc:
                outcome.errors[type(exc).__name__] += 1
            else:
                outcome.ok += 1

    lanes = [asyncio.ensure_future(lane()) for _ in range(settings["concurrency"])]
    _, pending = await asyncio.wait(lanes, timeout=max(0.0, deadline - time.monotonic()))
    for task in pending:
        task.cancel()
    outcome.cancelled = len(pending)
    for result in await asyncio.gather(*lanes, return_exceptions=True):
        if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
            raise result
    outcome.finished = time.monotonic()
    return outcome


async def run(settings: dict[str, Any]) -> Outcome:
    token = os.environ.pop("WEBWORK_TOKEN")
    redis_url = os.environ.pop("BENCH_REDIS_URL", None)
    coordination = None
    if settings["coordinated"]:
        if redis_url is None:
            raise SystemExit("a coordinated worker needs $BENCH_REDIS_URL")
        coordination = RedisCoordination(redis_url)
    requests, period = settings["rate"]
    try:
        async with AsyncSession(
            token,
            base_url=settings["base_url"],
            rate_limit=RateLimit(requests, period),
            coordination=coordination,
            max_concurrency=settings["concurrency"],
        ) as ww:
            del token
            print("ready", flush=True)
            line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            word, _, deadline = line.partition(" ")
            if word != "go":
                raise SystemExit(f"expected 'go DEADLINE', got {line!r}")
            return await send(ww, settings, float(deadline))
    finally:
        if coordination is not None:
            await coordination.aclose()


def main() -> None:
    settings = json.loads(sys.argv[1])
    outcome = asyncio.run(run(settings))
    # Not dataclasses.asdict: it would rebuild the Counter from its (key, count) pairs.
    Path(sys.argv[2]).write_text(json.dumps({**vars(outcome), "errors": dict(outcome.errors)}))


if __name__ == "__main__":
    main()
