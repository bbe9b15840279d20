"""An aiohttp.web app that serves WebWork projects from one shared AsyncSession.

The session is opened once in a cleanup context (closed again on shutdown) and stored under a
typed ``web.AppKey``. The library's errors become HTTP answers with a JSON body: a bad id 400,
an unknown workspace or project 404, a workspace you may not use 403, anything else 502.

    GET /workspaces/{workspace_id}/projects               [{"id": ..., "name": ...}, ...]
    GET /workspaces/{workspace_id}/projects/{project_id}  {"id": ..., "name": ..., "deadline": ...}

Run it against the fake server (the token and base URL come from the environment only)::

    WEBWORK_TOKEN=dev-token .venv/bin/webwork-fake --port 8080 --workspaces 30
    WEBWORK_TOKEN=dev-token WEBWORK_BASE_URL=http://127.0.0.1:8080/api/v2/ \
        python examples/aiohttp_app.py --port 8000
    curl http://127.0.0.1:8000/workspaces/1/projects

Ctrl-C (SIGINT) or SIGTERM stops it cleanly.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.typedefs import Handler

from webwork_async import (
    AsyncSession,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    WebWorkError,
)

WEBWORK = web.AppKey("webwork", AsyncSession)
TIMEOUT = 10.0  # seconds for a whole WebWork call, retries included: a request never hangs
log = logging.getLogger("aiohttp_app")


async def webwork_session(app: web.Application) -> AsyncIterator[None]:
    async with AsyncSession(max_concurrency=8) as ww:  # token from $WEBWORK_TOKEN
        app[WEBWORK] = ww
        yield
    log.info("WebWork session closed")


def path_id(request: web.Request, name: str) -> int:
    """An id from the path; anything but (at most 18) digits is a 400, like 0 is."""
    text = request.match_info[name]
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise InvalidArgumentError(name, f"must be a number, got {text!r}")
    return int(text)


def json_error(status: int, exc: Exception, message: str) -> web.Response:
    return web.json_response({"error": type(exc).__name__, "message": message}, status=status)


@web.middleware
async def webwork_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except InvalidArgumentError as exc:  # refused before sending: workspace_id=0, "abc"...
        return json_error(400, exc, str(exc))
    except NotFoundError as exc:
        return json_error(404, exc, exc.message)
    except PermissionDeniedError as exc:
        return json_error(403, exc, exc.message)
    except WebWorkError as exc:  # 401, 429, 5xx, timeouts: our upstream failed, not the caller
        log.warning("WebWork call failed: %s", exc)
        return json_error(502, exc, "the WebWork API call failed")


async def list_projects(request: web.Request) -> web.Response:
    ww = request.app[WEBWORK]
    workspace_id = path_id(request, "workspace_id")
    projects = ww.projects.list(workspace_id=workspace_id, total_timeout=TIMEOUT)  # each page
    return web.json_response([{"id": p.id, "name": p.name} async for p in projects])


async def show_project(request: web.Request) -> web.Response:
    ww = request.app[WEBWORK]
    project = await ww.projects.get(
        path_id(request, "project_id"),
        workspace_id=path_id(request, "workspace_id"),
        total_timeout=TIMEOUT,
    )
    deadline = None if project.deadline is None else project.deadline.isoformat()
    return web.json_response({"id": project.id, "name": project.name, "deadline": deadline})


def make_app() -> web.Application:
    app = web.Application(middlewares=[webwork_errors])
    app.cleanup_ctx.append(webwork_session)
    app.router.add_get("/workspaces/{workspace_id}/projects", list_projects)
    app.router.add_get("/workspaces/{workspace_id}/projects/{project_id}", show_project)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve WebWork projects over HTTP.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    web.run_app(make_app(), host=args.host, port=args.port)  # handles SIGINT and SIGTERM


if __name__ == "__main__":
    main()
