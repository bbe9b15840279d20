"""The fake WebWork server: :class:`FakeWebWork`, its middleware and start/stop.

The application is a plain :class:`aiohttp.web.Application`; the state lives in the
:class:`FakeWebWork` (not in the app), so a new app can be built for every start and tests can
read and change the data at any time, from any thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any, Final

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler

from . import projects, workspaces
from ._http import (
    API_PREFIX,
    STATE_KEY,
    ApiError,
    error_response,
    json_copy,
    parse_digits,
    query_params,
)
from ._seed import seed_state
from ._state import FakeState, RecordedRequest, utcnow

_LOG: Final = logging.getLogger("webwork_async.testing")
_TOKEN_KEY: Final = web.AppKey("webwork_fake_token", str)
#: One module per API group; each exposes ``add_routes(app)``.
_GROUPS: Final = (workspaces, projects)
_START_TIMEOUT: Final = 30.0
_SHUTDOWN_TIMEOUT: Final = 5.0


# --- middleware --------------------------------------------------------------------------------


@web.middleware
async def _error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure into the API's error envelope (ApiError, aiohttp 404/405, crashes)."""
    state = request.app[STATE_KEY]
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(state, exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(state, _from_http_exception(request, exc))
    except Exception as exc:
        _LOG.exception("fake WebWork handler crashed on %s %s", request.method, request.path)
        return error_response(state, ApiError(500, "Server Error", error=type(exc).__name__))


def _from_http_exception(request: web.Request, exc: web.HTTPException) -> ApiError:
    headers: dict[str, str] = {}
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        headers["Allow"] = allowed
        return ApiError(
            405,
            "Method not allowed.",
            error=f"The {request.method} method is not supported for this route. "
            f"Supported methods: {allowed}.",
            headers=headers,
        )
    if isinstance(exc, web.HTTPNotFound):
        return ApiError(
            404, "Not found.", error=f"The route {request.path.lstrip('/')} could not be found."
        )
    return ApiError(exc.status, exc.reason, error=None)


@web.middleware
async def _record_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Append a :class:`RecordedRequest` for every request, before auth, in arrival order."""
    state = request.app[STATE_KEY]
    body = b""
    try:
        body = await request.read()
    finally:  # record even when the body cannot be read (e.g. 413)
        query = query_params(request)
        with state.lock:
            state.requests.append(
                RecordedRequest(
                    method=request.method,
                    path=request.path,
                    query=query,
                    body=body,
                    workspace_id=_recorded_workspace_id(query, body),
                )
            )
    return await handler(request)


def _recorded_workspace_id(query: dict[str, str], body: bytes) -> int | None:
    from_query = parse_digits(query.get("workspace_id", ""))
    if from_query is not None:
        return from_query
    if not body.strip():
        return None
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    if isinstance(decoded, dict):
        value = decoded.get("workspace_id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


@web.middleware
async def _auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Require ``Authorization: Bearer <token>`` on every route (401 "Unauthenticated.")."""
    if request.match_info.http_exception is not None:
        # No such route (404) or method (405): like Laravel, answer that before auth.
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError(
            401,
            "Unauthenticated.",
            error="Missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    expected = request.app[_TOKEN_KEY]
    if not hmac.compare_digest(
        given.strip().encode("utf-8", "surrogateescape"), expected.encode("utf-8")
    ):
        raise ApiError(
            401,
            "Unauthenticated.",
            error="Invalid or expired token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return await handler(request)


# --- the fake ----------------------------------------------------------------------------------


class FakeWebWork:
    """An in-memory WebWork Tracker API v2 (variant B) to run client code against in tests.

    Build data with :meth:`add_workspace`, :meth:`add_project` or :meth:`seed`, serve it with
    :meth:`serve` (current event loop) or :meth:`serve_in_thread` (own loop and thread), point the
    client at :attr:`base_url` with :attr:`token`, then assert on :meth:`projects` and
    :attr:`requests`. All state access is guarded by one ``threading.RLock``.
    """

    def __init__(self, token: str | None = None) -> None:
        """Create an empty fake; ``token`` is the only accepted bearer token (random if None)."""
        self.token: str = token if token is not None else secrets.token_urlsafe(32)
        self.base_url: str | None = None
        self._state = FakeState(clock=utcnow)
        self._app: web.Application | None = None

    def __repr__(self) -> str:
        """Summary for debugging output; never shows the token."""
        with self._state.lock:
            counts = (
                f"workspaces={len(self._state.workspaces)}, projects={len(self._state.projects)}"
            )
        return f"<FakeWebWork base_url={self.base_url!r} {counts}>"

    # -- building data ------------------------------------------------------------------------

    def add_workspace(
        self,
        workspace_id: int | None = None,
        *,
        name: str | None = None,
        role: str = "Owner",
        owner_id: int | None = None,
        status: str = "active",
    ) -> int:
        """Add a workspace the caller belongs to with ``role``; return its id.

        Only "Owner" and "Executive manager" may use the API (others get 403). ``workspace_id``
        auto-increments when None; ``name`` defaults to "Workspace <id>".
        """
        return workspaces.create_workspace(
            self._state, workspace_id, name=name, role=role, owner_id=owner_id, status=status
        )

    def add_project(self, workspace_id: int, *, name: str, **fields: Any) -> dict[str, Any]:
        """Store a project directly (no API validation) and return a copy of it as JSON-ready dict.

        ``fields`` are Project fields (``start_date``/``deadline`` as "YYYY-MM-DD" or ``date``,
        ``created_at``/``updated_at``/``deleted_at`` as str or ``datetime``, ``budget_estimation``,
        ``tags``, ``status``, ``id``...); the rest get the defaults of ``POST /projects``.
        A non-null ``deleted_at`` stores an archived project.
        """
        with self._state.lock:
            stored = projects.insert_project(self._state, workspace_id, {**fields, "name": name})
            return json_copy(stored)

    def seed(
        self,
        *,
        workspaces: int,
        projects_per_workspace: tuple[int, int] = (0, 60),
        seed: int = 0,
    ) -> list[int]:
        """Add ``workspaces`` realistic workspaces with projects; same seed -> same data.

        Returns the new workspace ids.
        """
        return seed_state(
            self._state,
            workspaces=workspaces,
            projects_per_workspace=projects_per_workspace,
            seed=seed,
        )

    # -- reading state ------------------------------------------------------------------------

    def projects(
        self, workspace_id: int, *, include_archived: bool = False
    ) -> list[dict[str, Any]]:
        """Copies of the workspace's projects ordered by id, for assertions."""
        with self._state.lock:
            return json_copy(
                projects.list_stored(self._state, workspace_id, include_archived=include_archived)
            )

    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of every request received so far, in arrival order."""
        with self._state.lock:
            return list(self._state.requests)

    def request_count(self, method: str | None = None, path: str | None = None) -> int:
        """Count recorded requests by method and/or exact path (None matches anything).

        ``path`` is like "/api/v2/projects/5"; a path without a leading "/" ("projects/5") is
        taken relative to "/api/v2/".
        """
        wanted_method = method.upper() if method is not None else None
        wanted_path = path
        if wanted_path is not None and not wanted_path.startswith("/"):
            wanted_path = f"{API_PREFIX}/{wanted_path}"
        with self._state.lock:
            return sum(
                1
                for recorded in self._state.requests
                if (wanted_method is None or recorded.method == wanted_method)
                and (wanted_path is None or recorded.path == wanted_path)
            )

    def reset_requests(self) -> None:
        """Forget the recorded requests (for example after test setup)."""
        with self._state.lock:
            self._state.requests.clear()

    # -- serving ------------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        """Build a new aiohttp application serving this fake's state (usable with TestServer)."""
        app = web.Application(middlewares=[_error_middleware, _record_middleware, _auth_middleware])
        app[STATE_KEY] = self._state
        app[_TOKEN_KEY] = self.token
        for group in _GROUPS:
            group.add_routes(app)
        return app

    @property
    def app(self) -> web.Application:
        """The application built by :meth:`make_app` on first access (then cached)."""
        if self._app is None:
            self._app = self.make_app()
        return self._app

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Serve on the running event loop; yields (and sets) ``base_url``; stops fully on exit.

        ``port=0`` picks a free port. Each call serves a freshly built app.
        """
        runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            bound_port = int(runner.addresses[0][1])
            url_host = f"[{host}]" if ":" in host else host
            self.base_url = f"http://{url_host}:{bound_port}{API_PREFIX}/"
            yield self.base_url
        finally:
            await runner.cleanup()

    @contextlib.contextmanager
    def serve_in_thread(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve from a daemon thread with its own event loop; yields ``base_url`` once listening.

        For sync tests and for async tests whose loop must not host the server. On exit the
        server stops, the loop closes and the thread is joined.
        """
        server = _ThreadedServer(self, host, port)
        base_url = server.start()
        try:
            yield base_url
        finally:
            server.stop()


class _ThreadedServer:
    """Runs ``FakeWebWork.serve`` on a private event loop in a daemon thread."""

    def __init__(self, fake: FakeWebWork, host: str, port: int) -> None:
        """Prepare (not start) the thread that will serve ``fake`` on ``host:port``."""
        self._fake = fake
        self._host = host
        self._port = port
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Future[None] | None = None
        self._base_url: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"FakeWebWork-{id(fake):x}", daemon=True
        )

    def start(self) -> str:
        """Start the thread and block until it listens; re-raise its start-up error if any."""
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT):
            # Leave the daemon thread behind rather than risk blocking forever on join().
            raise RuntimeError("fake WebWork server did not start in time")
        if self._error is not None or self._base_url is None:
            self._thread.join()
            raise self._error or RuntimeError("fake WebWork server failed to start")
        return self._base_url

    def stop(self) -> None:
        """Ask the loop to stop serving, wait for the thread; re-raise a shutdown error if any."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed: thread is ending
                loop.call_soon_threadsafe(_resolve, stop)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # handed to the starting thread by start()/stop()
            self._error = exc
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()
                self._ready.set()

    async def _main(self) -> None:
        self._stop = asyncio.get_running_loop().create_future()
        async with self._fake.serve(self._host, self._port) as base_url:
            self._base_url = base_url
            self._ready.set()
            await self._stop


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
