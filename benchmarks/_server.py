"""A cheap loopback WebWork server for the benchmarks, run in its own process by ``compare.py``.

A raw ``asyncio.Protocol`` HTTP/1.1 server with keep-alive: every page a run asks for is encoded
once, at start-up, into the complete response bytes, so that answering costs a dict lookup and a
socket write. It serves

- ``GET /api/v2/projects?workspace_id=N&page=P&per_page=K``: the WebWork envelope with realistic
  projects, behind a Bearer token check (401). One more token is rate limited: at most ``limit``
  answers per sliding window of ``period`` seconds, beyond which it answers 429 with a fractional
  ``Retry-After`` and ``X-RateLimit-Limit``/``X-RateLimit-Remaining`` headers;
- ``GET /api/v2/workspaces?page=P&per_page=K``: the workspaces it serves (1 to ``workspaces``
  and the streamed one, ordered by id, the caller their owner), paged the same way behind the
  same token check, so that ``webwork sync`` can discover them;
- ``GET /_bench/stats``: the server's own CPU time and the count of answers by status.

    python benchmarks/_server.py --token T --limited-token L --workspaces 2000 --projects 50 ...

It prints ``{"port": N}`` on one line once it listens, and stops when its standard input closes.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime
import functools
import json
import math
import sys
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

import msgspec

PROJECTS_PATH = "/api/v2/projects"
WORKSPACES_PATH = "/api/v2/workspaces"
STATS_PATH = "/_bench/stats"
ID_STRIDE = 1_000_000  # project ids are workspace_id * ID_STRIDE + n, n = 1, 2, ...
PER_PAGE_DEFAULT = 20
PER_PAGE_MAX = 100
CALLER_USER_ID = 100  # the token's user: the owner of every workspace served
_SCREENSHOTS = ("blur", "normal", "disabled")
_TAGS = (("Marketing", "#FF5733"), ("Backend", "#3366FF"), ("Q1", "#33AA55"))
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Unprocessable Content",
    429: "Too Many Requests",
}


def project_checksum(workspace_id: int, count: int) -> int:
    """The sum of the ids of a workspace's ``count`` projects."""
    return count * workspace_id * ID_STRIDE + count * (count + 1) // 2


@functools.cache
def _moment(minutes: int) -> str:
    moment = datetime.datetime(2024, 1, 1, 8, 30) + datetime.timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


@functools.cache
def _day(days: int) -> str:
    return (datetime.date(2024, 1, 1) + datetime.timedelta(days=days)).isoformat()


def project(workspace_id: int, n: int) -> dict[str, object]:
    """Project ``n`` of a workspace, with every field of ``webwork_async.models.Project``."""
    return {
        "id": workspace_id * ID_STRIDE + n,
        "name": f"Project {n} of workspace {workspace_id}",
        "owner_id": 1000 + workspace_id,
        "start_date": _day(n % 365),
        "deadline": _day(n % 365 + 30 + n % 90) if n % 4 else None,
        "estimation": 40 + n % 160 if n % 5 else 12.5,
        "budget_estimation": 5000 + 25 * (n % 40),
        "notes": f"Focus on channel {n % 17}; review every Friday" if n % 3 else None,
        "icon": f"project-icon-{n % 8 + 1}",
        "is_billable": n % 2 == 0,
        "rate": 45.5 if n % 2 == 0 else 0,
        "weekly_hours_limit": 40 if n % 6 else 168,
        "screenshots": _SCREENSHOTS[n % 3],
        "tags": [
            {"id": 5 + k, "name": name, "color": color}
            for k, (name, color) in enumerate(_TAGS[: n % 4])
        ],
        "contracts_count": n % 7,
        "status": 1,
        "created_at": _moment(n % 997 * 37),
        "updated_at": _moment(n % 997 * 37 + 1440),
        "deleted_at": None,
    }


def workspace(workspace_id: int) -> dict[str, object]:
    """A workspace of the caller, with every field of ``webwork_async.models.Workspace``."""
    return {
        "id": workspace_id,
        "workspace_name": f"Workspace {workspace_id}",
        "owner_id": CALLER_USER_ID,
        "user_id": CALLER_USER_ID,
        "role": "Owner",
        "status": "active",
        "created_at": _moment(workspace_id % 997),
        "activated_at": _moment(workspace_id % 997).replace("T", " ")[:19],
    }


def _response(status: int, body: bytes, headers: tuple[tuple[str, str], ...] = ()) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {_REASONS[status]}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _error(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> bytes:
    body = msgspec.json.encode({"success": False, "message": message})
    return _response(status, body, headers)


@dataclass(frozen=True)
class Config:
    """What the server serves: who may call it, its workspaces, and the rate limit."""

    token: str
    limited_token: str
    limit: int
    period: float
    workspaces: int
    projects: int
    stream_workspace: int
    stream_projects: int
    warm_per_page: int


class App:
    """Answers one request head with the complete response bytes; counts what it answered."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._sizes = dict.fromkeys(range(1, config.workspaces + 1), config.projects)
        self._sizes[config.stream_workspace] = config.stream_projects
        now = datetime.datetime.now(datetime.timezone.utc)
        self._timestamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self._pages: dict[tuple[int, int, int], bytes] = {}
        self._workspace_ids = sorted(self._sizes)
        self._workspace_pages: dict[tuple[int, int], bytes] = {}
        self._window: collections.deque[float] = collections.deque()
        self.statuses: collections.Counter[int] = collections.Counter()

    def warm(self) -> None:
        """Encode every page a run will ask for (page size ``warm_per_page``) before serving."""
        size = self._config.warm_per_page
        for workspace_id, count in self._sizes.items():
            for page in range(1, max(1, math.ceil(count / size)) + 1):
                self._page(workspace_id, page, size)
        for page in range(1, max(1, math.ceil(len(self._workspace_ids) / size)) + 1):
            self._workspaces_page(page, size)

    def _envelope(
        self, message: str, data: list[dict[str, object]], page: int, per_page: int, total: int
    ) -> bytes:
        """A complete 200 answer: the WebWork envelope of one page of a list."""
        first = (page - 1) * per_page + 1
        pagination = {
            "current_page": page,
            "per_page": per_page,
            "total": total,
            "last_page": max(1, math.ceil(total / per_page)),
            "from": first if data else None,
            "to": first + len(data) - 1 if data else None,
        }
        body = {
            "success": True,
            "message": message,
            "data": data,
            "meta": {
                "api_version": "2.0.0",
                "timestamp": self._timestamp,
                "pagination": pagination,
            },
        }
        return _response(200, msgspec.json.encode(body))

    def _page(self, workspace_id: int, page: int, per_page: int) -> bytes:
        key = (workspace_id, page, per_page)
        answer = self._pages.get(key)
        if answer is None:
            total = self._sizes[workspace_id]
            numbers = range((page - 1) * per_page + 1, min(total, page * per_page) + 1)
            data = [project(workspace_id, n) for n in numbers]
            message = "Projects retrieved successfully"
            answer = self._pages[key] = self._envelope(message, data, page, per_page, total)
        return answer

    def _workspaces_page(self, page: int, per_page: int) -> bytes:
        key = (page, per_page)
        answer = self._workspace_pages.get(key)
        if answer is None:
            ids = self._workspace_ids[(page - 1) * per_page : page * per_page]
            data = [workspace(workspace_id) for workspace_id in ids]
            total = len(self._workspace_ids)
            message = "Workspaces retrieved successfully"
            answer = self._workspace_pages[key] = self._envelope(
                message, data, page, per_page, total
            )
        return answer

    def stats(self) -> bytes:
        """The stats answer: CPU seconds this process has used, and answers by status."""
        body = {
            "cpu_seconds": time.process_time(),
            "requests": sum(self.statuses.values()),
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
        }
        return _response(200, msgspec.json.encode(body))

    def answer(self, head: bytes) -> tuple[bytes, bool]:
        """The response to one request head, and whether the connection stays open."""
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        method, _, rest = request_line.partition(" ")
        target, _, version = rest.partition(" ")
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        path, _, query = target.partition("?")
        if path == STATS_PATH:
            return self.stats(), keep_alive
        if method != "GET" or headers.get("content-length", "0") != "0":
            return self._count(_error(405, "Only GET is served here")), False
        if path not in (PROJECTS_PATH, WORKSPACES_PATH):
            return self._count(_error(404, "Not found")), keep_alive
        listing = self._projects if path == PROJECTS_PATH else self._workspaces
        authorization = headers.get("authorization", "")
        if authorization == f"Bearer {self._config.limited_token}":
            refusal, limit_headers = self._take_slot()
            if refusal is not None:
                return self._count(refusal), keep_alive
            return self._count(_with_headers(listing(query), limit_headers)), keep_alive
        if authorization != f"Bearer {self._config.token}":
            return self._count(_error(401, "Unauthenticated.")), keep_alive
        return self._count(listing(query)), keep_alive

    def _count(self, response: bytes) -> bytes:
        self.statuses[int(response[9:12])] += 1  # the status code of "HTTP/1.1 NNN ..."
        return response

    def _take_slot(self) -> tuple[bytes | None, tuple[tuple[str, str], ...]]:
        """The sliding-window limit: a 429 answer, or None and the headers for an accepted one."""
        now = time.monotonic()
        window, limit, period = self._window, self._config.limit, self._config.period
        while window and window[0] <= now - period:
            window.popleft()
        if len(window) >= limit:
            wait = max(0.001, window[0] + period - now)
            headers = (
                ("Retry-After", f"{wait:.3f}"),
                ("X-RateLimit-Limit", str(limit)),
                ("X-RateLimit-Remaining", "0"),
            )
            return _error(429, "Too Many Attempts.", headers), ()
        window.append(now)
        return None, (
            ("X-RateLimit-Limit", str(limit)),
            ("X-RateLimit-Remaining", str(limit - len(window))),
        )

    def _projects(self, query: str) -> bytes:
        params = dict(parse_qsl(query))
        try:
            workspace_id = int(params["workspace_id"])
            page = int(params.get("page", "1"))
            per_page = int(params.get("per_page", str(PER_PAGE_DEFAULT)))
        except (KeyError, ValueError):
            return _error(422, "workspace_id, page and per_page must be integers")
        if page < 1 or not 1 <= per_page <= PER_PAGE_MAX:
            return _error(422, f"page must be >= 1 and per_page 1..{PER_PAGE_MAX}")
        if workspace_id not in self._sizes:
            return _error(404, "Workspace not found")
        return self._page(workspace_id, page, per_page)

    def _workspaces(self, query: str) -> bytes:
        params = dict(parse_qsl(query))
        try:
            page = int(params.get("page", "1"))
            per_page = int(params.get("per_page", str(PER_PAGE_DEFAULT)))
        except ValueError:
            return _error(422, "page and per_page must be integers")
        if page < 1 or not 1 <= per_page <= PER_PAGE_MAX:
            return _error(422, f"page must be >= 1 and per_page 1..{PER_PAGE_MAX}")
        return self._workspaces_page(page, per_page)


def _with_headers(answer: bytes, extra_headers: tuple[tuple[str, str], ...]) -> bytes:
    """A 200 answer with more headers after its status line (any other answer as it is)."""
    if not extra_headers or not answer.startswith(b"HTTP/1.1 200 "):
        return answer
    status_line, _, rest = answer.partition(b"\r\n")
    added = "".join(f"{name}: {value}\r\n" for name, value in extra_headers).encode()
    return status_line + b"\r\n" + added + rest


class _Connection(asyncio.Protocol):
    """One client connection: answers each complete request head, in order (pipelining works)."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buffer += data
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(self._buffer[:end])
            del self._buffer[: end + 4]
            response, keep_alive = self._app.answer(head)
            self._transport.write(response)
            if not keep_alive:
                self._transport.close()
                return


async def serve(app: App, host: str, port: int) -> None:
    """Listen, print the port as JSON, and serve until standard input reaches its end."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(app), host, port, backlog=1024)
    stopped: asyncio.Future[None] = loop.create_future()

    def wait_for_eof() -> None:
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stopped.set_result, None)

    threading.Thread(target=wait_for_eof, daemon=True).start()
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    async with server:
        await stopped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", required=True)
    parser.add_argument("--limited-token", required=True)
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--period", type=float, default=1.0)
    parser.add_argument("--workspaces", type=int, default=2000)
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--stream-workspace", type=int, default=ID_STRIDE - 1)
    parser.add_argument("--stream-projects", type=int, default=100_000)
    parser.add_argument("--warm-per-page", type=int, default=PER_PAGE_MAX)
    args = parser.parse_args()
    config = Config(
        token=args.token,
        limited_token=args.limited_token,
        limit=args.limit,
        period=args.period,
        workspaces=args.workspaces,
        projects=args.projects,
        stream_workspace=args.stream_workspace,
        stream_projects=args.stream_projects,
        warm_per_page=args.warm_per_page,
    )
    app = App(config)
    app.warm()
    asyncio.run(serve(app, args.host, args.port))


if __name__ == "__main__":
    main()
