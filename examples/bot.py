"""A webhook bot: WebWork's signed deliveries in, one log line per event out.

``POST /webhook`` is served by ``webhook_handler``: every delivery is verified with the webhook's
token (a forged or unsigned one is answered 401 and never reaches ``on_event``), written to a
SQLite file (``--store``) before it is answered 202, and handed to ``on_event`` one at a time, in
order, again after a crash. ``on_event`` logs a created project; for a started tracker it
fetches the running tracker (``await event.fetch(ww)``) and logs who tracks what; it logs the
type of an event it does not know. A failed WebWork call is logged as a warning and the event is
done with (re-raise instead, and the receiver calls ``on_event`` again after a back-off, holding
the events behind it). Neither the token nor the secret is ever logged.

The delivery's body (``type``, ``timestamp``, ``workspace_id``, ``data``) and its signing (the
Standard Webhooks scheme, keyed with the webhook's ``token``) are **inferred**: WebWork documents
only the event names and that the token verifies deliveries.

Run it against the fake server, which delivers what changes through the API (the token, base
URL and secret come from the environment only)::

    export WEBWORK_TOKEN=dev-token WEBWORK_BASE_URL=http://127.0.0.1:8080/api/v2/
    .venv/bin/webwork-fake --port 8080 --workspaces 3 &
    .venv/bin/webwork webhooks create --workspace 1 --url http://127.0.0.1:8000/webhook \
        --events project.created --events tracker.started --format json
    export WEBWORK_WEBHOOK_SECRET=whsec_...  # the "token" of the webhook just created
    python examples/bot.py --port 8000 &
    .venv/bin/webwork projects create --workspace 1 --name Launch  # delivered: project.created
    .venv/bin/webwork-fake trigger tracker.started --to http://127.0.0.1:8000/webhook

(``trigger`` sends a made-up event, signed with ``$WEBWORK_WEBHOOK_SECRET``; its member is not
in the fake's workspace 1, so the bot logs the failed fetch.) Ctrl-C or SIGTERM stops it
cleanly: the receiver first, then the session.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from webwork_async import AsyncSession, ConfigurationError, WebWorkError
from webwork_async.webhooks import (
    Event,
    ProjectCreated,
    StandardWebhooksVerifier,
    TrackerStarted,
    UnknownEvent,
    WebhookHandler,
    current_delivery,
    webhook_handler,
)

SECRET_ENV_VAR = "WEBWORK_WEBHOOK_SECRET"
TOKEN_ENV_VAR = "WEBWORK_TOKEN"
WEBWORK = web.AppKey("webwork", AsyncSession)
WEBHOOKS = web.AppKey("webhooks", WebhookHandler)
TIMEOUT = 10.0  # seconds for a whole WebWork call, retries included
log = logging.getLogger("bot")


async def handle(ww: AsyncSession, event: Event) -> None:
    """Log one event; for a started tracker, read it first (one WebWork call)."""
    match event:
        case ProjectCreated(workspace_id=workspace_id, data=project):
            log.info(
                "project created in workspace %s: %s %r", workspace_id, project.id, project.name
            )
        case TrackerStarted(workspace_id=workspace_id, data=started):
            tracker = await event.fetch(ww, total_timeout=TIMEOUT)
            if tracker is None:
                log.info("user %s started tracking and has stopped since", started.user_id)
                return
            log.info(
                "user %s tracks in workspace %s: contract %s (project %s), task %r, %r; "
                "%s min on %s",
                tracker.user_id,
                workspace_id,
                tracker.contract_id,
                started.project_id,
                tracker.task_title,
                tracker.activity_description,
                tracker.total_minutes,
                tracker.date,
            )
        case UnknownEvent(type=kind, problem=problem):
            log.info("unknown event %r%s", kind, f" ({problem})" if problem else "")
        case _:
            log.info("ignored event %s", event.type.value)


async def on_event(ww: AsyncSession, event: Event) -> None:
    """Handle one event; a failed WebWork call is logged, and the event is then done with."""
    try:
        await handle(ww, event)
    except WebWorkError as exc:  # typed, with status and message; never the token
        log.warning("delivery %s: WebWork call failed: %s", current_delivery().id, exc)


async def lifetime(app: web.Application) -> AsyncIterator[None]:
    """The session for the app's life, and the receiver inside it: pending deliveries of an
    earlier run are handed over once the session is open, and the receiver stops before the
    session closes."""
    async with AsyncSession() as ww:  # token from $WEBWORK_TOKEN, base URL $WEBWORK_BASE_URL
        app[WEBWORK] = ww
        await app[WEBHOOKS].start()
        try:
            yield
        finally:
            await app[WEBHOOKS].close()
    log.info("WebWork session closed")


def make_app(secret: str, store: Path) -> web.Application:
    app = web.Application()

    async def callback(event: Event) -> None:
        await on_event(app[WEBWORK], event)

    hooks = webhook_handler(callback, verifier=StandardWebhooksVerifier(secret), store=store)
    app[WEBHOOKS] = hooks
    app.router.add_post("/webhook", hooks)
    app.cleanup_ctx.append(lifetime)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Receive WebWork webhook events.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--store", type=Path, default=Path("bot-deliveries.sqlite"), help="SQLite file"
    )
    args = parser.parse_args()
    for name in (TOKEN_ENV_VAR, SECRET_ENV_VAR):
        if not os.environ.get(name):
            parser.error(f"set ${name}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        app = make_app(os.environ[SECRET_ENV_VAR], args.store)
    except ConfigurationError as exc:  # an unusable secret; the message never shows it
        parser.error(str(exc))
    web.run_app(app, host=args.host, port=args.port)  # handles SIGINT and SIGTERM


if __name__ == "__main__":
    main()
