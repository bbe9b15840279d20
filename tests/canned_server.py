"""A real HTTP server on 127.0.0.1 with canned answers, for faults the fake server does not make."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web

from webwork_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)

SECRET_TOKEN = "tok-DO-NOT-LEAK-7f3a9c1e5b"

#: Each HTTP error status and the exception it must raise.
ERROR_CLASS_BY_STATUS: list[tuple[int, type[APIError]]] = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (422, ValidationError),
    (429, RateLimitError),
    (500, ServerError),
    (502, ServerError),
    (503, ServerError),
    (409, APIError),
    (418, APIError),
]


@dataclass
class Canned:
    """One canned answer: status, body (bytes or a JSON-able value), headers, delay."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class CannedServer:
    """A real HTTP server on 127.0.0.1 that answers each path as a test tells it to.

    ``answer`` maps a path (``/api/v2/projects``) to a Canned answer or to a function of the
    request returning one. It records requests and the most requests it saw in flight at once.
    """

    base_url: str = ""
    answer: dict[str, Canned | Callable[[web.Request], Canned]] = field(default_factory=dict)
    seen: list[tuple[str, str, dict[str, str], bytes, dict[str, str]]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.seen.append(
            (request.method, request.path, dict(request.query), body, dict(request.headers))
        )
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            rule = self.answer.get(request.path, Canned(404, {"success": False, "message": "?"}))
            canned = rule(request) if callable(rule) else rule
            if canned.delay:
                await asyncio.sleep(canned.delay)
            raw = (
                canned.body if isinstance(canned.body, bytes) else msgspec.json.encode(canned.body)
            )
            return web.Response(
                status=canned.status,
                body=raw,
                headers={"Content-Type": "application/json", **canned.headers},
            )
        finally:
            self.in_flight -= 1


def envelope(data: Any, **meta: Any) -> dict[str, Any]:
    """A success envelope as the service sends it."""
    return {"success": True, "data": data, "meta": {"api_version": "2.0.0", **meta}}


def stray_tasks() -> list[asyncio.Task[Any]]:
    """Pending tasks other than the current one and the local test servers' connection handlers."""
    current = asyncio.current_task()
    return [
        task
        for task in asyncio.all_tasks()
        if task is not current
        and not getattr(task.get_coro(), "__qualname__", "").startswith("RequestHandler.")
    ]
