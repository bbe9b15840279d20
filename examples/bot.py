"""A long-running webhook bot: on each "project.created" event it fetches the project and logs it.

    POST /webhook  {"event": "project.created", "workspace_id": "12", "project_id": "345"}

The WebWork API documentation does not describe webhook deliveries (their payload, headers or
signature), so this shape is an assumption: the ids are accepted as JSON numbers or as strings of
digits; anything else is answered 400. Other events are acknowledged (200) and ignored. A failed
WebWork call is logged as a warning and answered 200 with ``{"ok": false, "error": "<name>"}``
(``NotFoundError``, say), so the sender does not redeliver it forever: the bot keeps one session
for weeks and survives every API failure. The token is never logged. Nothing authenticates the
sender here: put the bot behind a secret URL or a proxy that checks one.

Run it against the fake server (the token and base URL come from the environment only)::

    WEBWORK_TOKEN=dev-token .venv/bin/webwork-fake --port 8080 --workspaces 30
    WEBWORK_TOKEN=dev-token WEBWORK_BASE_URL=http://127.0.0.1:8080/api/v2/ \
        python examples/bot.py --port 8000
    curl -d '{"event": "project.created", "workspace_id": "1", "project_id": "1"}' \
        http://127.0.0.1:8000/webhook

Ctrl-C (SIGINT) or SIGTERM stops it cleanly.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from webwork_async import AsyncSession, WebWorkError

WEBWORK = web.AppKey("webwork", AsyncSession)
TIMEOUT = 10.0  # seconds for a whole WebWork call, retries included
log = logging.getLogger("bot")


async def webwork_session(app: web.Application) -> AsyncIterator[None]:
    async with AsyncSession() as ww:  # token from $WEBWORK_TOKEN
        app[WEBWORK] = ww
        yield
    log.info("WebWork session closed")


def event_id(value: object) -> int | None:
    """A positive id from a JSON number or a string of digits; None for anything else."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def bad_request(message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=400)


async def on_event(request: web.Request) -> web.Response:
    try:
        event = await request.json()
    except ValueError:
        return bad_request("the body is not JSON")
    if not isinstance(event, dict) or not isinstance(event.get("event"), str):
        return bad_request('expected a JSON object with an "event" string')
    if event["event"] != "project.created":
        log.info("ignored event %r", event["event"])
        return web.json_response({"ok": True, "ignored": True})
    workspace_id = event_id(event.get("workspace_id"))
    project_id = event_id(event.get("project_id"))
    if workspace_id is None or project_id is None:
        return bad_request("workspace_id and project_id must be positive integers")

    ww = request.app[WEBWORK]
    try:
        project = await ww.projects.get(
            project_id, workspace_id=workspace_id, total_timeout=TIMEOUT
        )
    except WebWorkError as exc:  # typed, carries status and message; never the token
        log.warning(
            "workspace %s project %s: WebWork call failed: %s", workspace_id, project_id, exc
        )
        return web.json_response({"ok": False, "error": type(exc).__name__})
    log.info("project created in workspace %s: %s %r", workspace_id, project.id, project.name)
    return web.json_response({"ok": True})


def main() -> None:
    parser = argparse.ArgumentParser(description="Receive WebWork webhook events.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = web.Application()
    app.cleanup_ctx.append(webwork_session)
    app.router.add_post("/webhook", on_event)
    web.run_app(app, host=args.host, port=args.port)  # handles SIGINT and SIGTERM


if __name__ == "__main__":
    main()
