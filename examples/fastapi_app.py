"""A FastAPI app that serves WebWork projects from one shared AsyncSession.

The session is opened in the app's ``lifespan`` (closed again on shutdown) and handed to the
routes by a dependency. One exception handler turns the library's errors into HTTP answers with
a JSON body: a bad id 400 (``abc`` is refused by FastAPI itself, 422), an unknown workspace or
project 404, a workspace you may not use 403, anything else 502.

    GET /workspaces/{workspace_id}/projects               [{"id": ..., "name": ...}, ...]
    GET /workspaces/{workspace_id}/projects/{project_id}  {"id": ..., "name": ..., "deadline": ...}

Run it against the fake server (the token and base URL come from the environment only)::

    WEBWORK_TOKEN=dev-token .venv/bin/webwork-fake --port 8080 --workspaces 30
    WEBWORK_TOKEN=dev-token WEBWORK_BASE_URL=http://127.0.0.1:8080/api/v2/ \
        python examples/fastapi_app.py --port 8000
    curl http://127.0.0.1:8000/workspaces/1/projects

Needs ``pip install fastapi uvicorn``. Ctrl-C (SIGINT) or SIGTERM stops it cleanly.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated

import uvicorn
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from webwork_async import (
    AsyncSession,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    WebWorkError,
)

TIMEOUT = 10.0  # seconds for a whole WebWork call, retries included: a request never hangs
log = logging.getLogger("fastapi_app")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with AsyncSession(max_concurrency=8) as ww:  # token from $WEBWORK_TOKEN
        app.state.webwork = ww
        yield


def webwork(request: Request) -> AsyncSession:
    ww: AsyncSession = request.app.state.webwork
    return ww


WebWork = Annotated[AsyncSession, Depends(webwork)]
app = FastAPI(lifespan=lifespan)


@app.exception_handler(WebWorkError)
async def webwork_error(request: Request, exc: WebWorkError) -> JSONResponse:
    if isinstance(exc, InvalidArgumentError):  # refused before sending: workspace_id=0...
        status, message = 400, str(exc)
    elif isinstance(exc, NotFoundError):
        status, message = 404, exc.message
    elif isinstance(exc, PermissionDeniedError):
        status, message = 403, exc.message
    else:  # 401, 429, 5xx, timeouts: our upstream failed, not the caller
        log.warning("WebWork call failed: %s", exc)
        status, message = 502, "the WebWork API call failed"
    return JSONResponse({"error": type(exc).__name__, "message": message}, status_code=status)


class ProjectSummary(BaseModel):
    id: int
    name: str


class ProjectDetail(ProjectSummary):
    deadline: date | None


@app.get("/workspaces/{workspace_id}/projects")
async def list_projects(workspace_id: int, ww: WebWork) -> list[ProjectSummary]:
    projects = ww.projects.list(workspace_id=workspace_id, total_timeout=TIMEOUT)  # each page
    return [ProjectSummary(id=p.id, name=p.name) async for p in projects]


@app.get("/workspaces/{workspace_id}/projects/{project_id}")
async def show_project(workspace_id: int, project_id: int, ww: WebWork) -> ProjectDetail:
    project = await ww.projects.get(project_id, workspace_id=workspace_id, total_timeout=TIMEOUT)
    return ProjectDetail(id=project.id, name=project.name, deadline=project.deadline)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve WebWork projects over HTTP.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port)  # handles SIGINT and SIGTERM
