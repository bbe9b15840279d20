"""A bot for the restart tests, run as its own process: ``webhook_bot.py PORT STORE LOG HOLD``.

It serves ``webhook_handler`` on 127.0.0.1:PORT with the SQLite store STORE, verifying with the
secret in ``$WEBHOOK_BOT_SECRET``. Its callback appends ``start <delivery id>`` to LOG, waits for
as long as the file HOLD exists (so that a test can kill it between the store and the end of the
callback), then appends ``done <delivery id>``.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from aiohttp import web

from webwork_async.webhooks import (
    Event,
    StandardWebhooksVerifier,
    current_delivery,
    webhook_handler,
)

SECRET_ENV_VAR = "WEBHOOK_BOT_SECRET"
HOLD_POLL = 0.02


def append(log: Path, line: str) -> None:
    with log.open("a") as file:
        file.write(line + "\n")


def held(hold: Path) -> bool:
    """Whether the test holds the callback (one stat: cheap enough to poll from the loop)."""
    return hold.exists()


def main(port: str, store: str, log: str, hold: str) -> None:
    async def on_event(event: Event) -> None:
        delivery_id = current_delivery().id
        append(Path(log), f"start {delivery_id}")
        while held(Path(hold)):
            await asyncio.sleep(HOLD_POLL)
        append(Path(log), f"done {delivery_id}")

    verifier = StandardWebhooksVerifier(os.environ[SECRET_ENV_VAR])
    handler = webhook_handler(on_event, verifier=verifier, store=store)
    app = web.Application()
    app.router.add_post("/webhooks", handler)
    handler.attach(app)
    web.run_app(app, host="127.0.0.1", port=int(port), print=None, access_log=None)


if __name__ == "__main__":
    main(*sys.argv[1:])
