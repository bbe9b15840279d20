"""One worker process of the many-processes tests: ``worker.py SETTINGS_JSON``.

The settings file says where the fake and Redis are, how many requests to send on which path
(or for how many seconds), at which rate, with how many in flight and after what delay, and
where to write the outcome.
The token comes from ``$WEBWORK_TOKEN``, or, for an OAuth2 run, the pair from the file the
settings name (and the client secret from ``$WORKER_CLIENT_SECRET``). The worker waits for the
settings' ``go`` file to exist, so that the test starts all of them at once, then writes
``{"ok": n, "errors": [...], "refreshes": [...]}``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from webwork_async import AsyncSession, RateLimit, WebWorkError
from webwork_async.oauth2 import FileTokenStore, OAuth2Auth
from webwork_async.redis import RedisCoordination

GO_POLL = 0.005
GO_TIMEOUT = 30.0


async def run(settings: dict[str, Any]) -> dict[str, Any]:
    refreshes: list[str] = []
    coordination = None
    if settings.get("redis"):
        coordination = RedisCoordination(settings["redis"])
    auth = None
    token = None
    if settings.get("oauth"):
        oauth = settings["oauth"]
        auth = await OAuth2Auth.from_store(
            FileTokenStore(oauth["token_file"]),
            client_id=oauth["client_id"],
            client_secret=os.environ["WORKER_CLIENT_SECRET"],
            token_url=oauth["token_url"],
            on_token_refresh=lambda new: refreshes.append(new.expires_at.isoformat()),
        )
    else:
        token = os.environ["WEBWORK_TOKEN"]
    count, period = settings["rate"]
    outcome: dict[str, Any] = {"ok": 0, "errors": [], "refreshes": refreshes}
    async with AsyncSession(
        token,
        auth=auth,
        base_url=settings["base_url"],
        rate_limit=RateLimit(count, period),
        coordination=coordination,
        max_concurrency=settings["concurrency"],
    ) as ww:

        async def one() -> None:
            try:
                await ww.api.request("GET", settings["path"], params=settings.get("params"))
                outcome["ok"] += 1
            except WebWorkError as exc:
                outcome["errors"].append(f"{type(exc).__name__}: {exc}")

        await asyncio.sleep(settings.get("delay", 0.0))  # let the others start first
        if "duration" in settings:  # busy for that long, whatever the pace

            async def busy(until: float) -> None:
                while time.monotonic() < until:
                    await one()

            until = time.monotonic() + settings["duration"]
            await asyncio.gather(*(busy(until) for _ in range(settings["concurrency"])))
        else:
            await asyncio.gather(*(one() for _ in range(settings["requests"])))
    if coordination is not None:
        await coordination.aclose()
    return outcome


def main(settings_file: str) -> None:
    settings = json.loads(Path(settings_file).read_text())
    go, deadline = Path(settings["go"]), time.monotonic() + GO_TIMEOUT
    while not go.exists():  # everything imported: only the session is left to open
        assert time.monotonic() < deadline, "the test never said go"
        time.sleep(GO_POLL)
    outcome = asyncio.run(run(settings))
    Path(settings["out"]).write_text(json.dumps(outcome))


if __name__ == "__main__":
    main(sys.argv[1])
