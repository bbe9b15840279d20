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
import socket
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence, Sized
from datetime import date, datetime
from typing import Any, Final

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler

from webwork_async._protocol import Secret

from . import (
    contracts,
    expenses,
    leaves,
    members,
    project_viewers,
    projects,
    reports,
    tasks,
    time_entries,
    time_requests,
    time_tracking,
    timesheets,
    webhooks,
    workspaces,
)
from ._changes import change_some
from ._deliveries import (
    DELIVERY_BACKOFF,
    DELIVERY_RETRIES,
    DELIVERY_TIMEOUT,
    Deliveries,
    Delivery,
    Schedule,
)
from ._faults import (
    FAULTS_KEY,
    LIMITER_KEY,
    SLOW_KEY,
    Exchange,
    FaultInjector,
    FaultKind,
    FaultRule,
    RateLimiter,
    SlowAnswers,
    check_rate_limit,
    deliver,
    run_handler,
)
from ._http import (
    API_PREFIX,
    STATE_KEY,
    ApiError,
    api_path,
    error_response,
    json_copy,
    parse_digits,
    query_params,
)
from ._oauth import DEFAULT_REDIRECT_URI, OAUTH_KEY, OAUTH_PREFIX, OAuthServer
from ._oauth import add_routes as add_oauth_routes
from ._rows import insert_time_entry, matching, render_time_entry
from ._rows import time_entries as timeline
from ._sample_events import sample_data
from ._seed import seed_state
from ._seed_groups import GroupSeeder
from ._state import FakeState, RecordedRequest, Row, utcnow
from ._tokens import CALLER_KEY, MAIN_CALLER, Caller, Tokens, token_bytes

_LOG: Final = logging.getLogger("webwork_async.testing")
_TOKEN_KEY: Final = web.AppKey("webwork_fake_token", str)
_TOKENS_KEY: Final = web.AppKey("webwork_fake_tokens", Tokens)
#: One module per API group; each exposes ``add_routes(app)``.
_GROUPS: Final = (
    workspaces,
    members,
    projects,
    contracts,
    tasks,
    project_viewers,
    time_tracking,
    time_entries,
    timesheets,
    time_requests,
    leaves,
    expenses,
    reports,
    webhooks,
)
_START_TIMEOUT: Final = 30.0
_SHUTDOWN_TIMEOUT: Final = 5.0
#: The longest request line (and header) the fake reads, in bytes. aiohttp's default, 8190,
#: answers a longer one with a bare text/plain 400 before any route runs; web servers in front
#: of an API commonly allow more, and a spec test's generated queries can be long.
_MAX_LINE_SIZE: Final = 256 * 1024


# --- request pipeline ----------------------------------------------------------------------------


@web.middleware
async def _pipeline_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer a request: record -> auth -> rate limit -> faults -> handler, then deliver.

    Every failure becomes the API's error envelope (ApiError, aiohttp 404/405, crashes); the
    answer then goes through :func:`deliver` (rate-limit headers, wire faults, outcome recorded).
    """
    state = request.app[STATE_KEY]
    exchange, read_error = await _record(request)
    try:
        if read_error is not None:
            raise read_error
        response = await _answer(request, handler, exchange)
    except ApiError as exc:
        response = error_response(state, exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_response(state, _from_http_exception(request, exc))
    except Exception as exc:
        _LOG.exception("fake WebWork handler crashed on %s %s", request.method, request.path)
        response = error_response(state, ApiError(500, "Server Error", error=type(exc).__name__))
    return await deliver(request, response, exchange)


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


async def _record(request: web.Request) -> tuple[Exchange, Exception | None]:
    """Append a :class:`RecordedRequest` (before auth, in arrival order); return its exchange.

    A body that cannot be read (e.g. 413) is recorded as empty and the error returned, to be
    answered like any other. So is the body of an OAuth2 request: secrets are never kept.
    """
    state = request.app[STATE_KEY]
    arrived_at = time.monotonic()
    body = b""
    read_error: Exception | None = None
    try:
        body = await request.read()
    except Exception as exc:
        read_error = exc
    if request.path.startswith(OAUTH_PREFIX + "/"):
        body = b""  # a token request's body holds the client secret, a code or a refresh token
    query = query_params(request)
    match_info = request.match_info
    route = None if match_info.http_exception is not None else match_info.route.resource
    entry = RecordedRequest(
        method=request.method,
        path=request.path,
        query=query,
        body=body,
        workspace_id=_recorded_workspace_id(query, body),
        route=route.canonical if route is not None else None,
        received_at=arrived_at,
    )
    with state.lock:
        state.requests.append(entry)
        index = len(state.requests) - 1
    return Exchange(entry, index), read_error


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


async def _answer(request: web.Request, handler: Handler, exchange: Exchange) -> web.StreamResponse:
    """Authenticate, apply the rate limit, then run the handler unless a fault answers instead."""
    if request.match_info.http_exception is not None:
        # No such route (404) or method (405): like Laravel, answer that before auth.
        return await handler(request)
    if request.path.startswith(OAUTH_PREFIX + "/"):
        # The OAuth2 endpoints authenticate the client themselves, and are not rate-limited.
        return await run_handler(request, handler, exchange)
    caller = _authenticate(request)
    request[CALLER_KEY] = caller
    exchange.caller = caller.number
    check_rate_limit(request, caller.number, exchange)
    return await run_handler(request, handler, exchange)


def _authenticate(request: web.Request) -> Caller:
    """Require ``Authorization: Bearer <token>`` (401 "Unauthenticated."); return its caller.

    The main token is compared in constant time; the others are found by their keyed hash.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given:
        raise ApiError(
            401,
            "Unauthenticated.",
            error="Missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    expected = request.app[_TOKEN_KEY]
    given_bytes = token_bytes(given)
    if hmac.compare_digest(given_bytes, expected.encode("utf-8")):
        return MAIN_CALLER
    caller = request.app[_TOKENS_KEY].find(given_bytes, request.app[STATE_KEY].now())
    if caller is None:
        raise ApiError(
            401,
            "Unauthenticated.",
            error="Invalid or expired token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return caller


# --- the fake ----------------------------------------------------------------------------------


class FakeWebWork:
    """An in-memory WebWork Tracker API v2 (variant B) to run client code against in tests.

    Build data with :meth:`add_workspace`, :meth:`add_project`, :meth:`add_member`,
    :meth:`add_contract`, :meth:`add_task`, :meth:`add_viewer`, :meth:`add_webhook`,
    :meth:`add_time_entry`, :meth:`add_running_tracker`, :meth:`add_timesheet`,
    :meth:`add_time_request`, :meth:`add_leave_policy`, :meth:`add_leave` (decided with
    :meth:`decide_leave`), :meth:`add_expense_category`, :meth:`add_expense` or :meth:`seed` (then
    change it as users would between two syncs with :meth:`change_some`), serve it with
    :meth:`serve` (current event loop) or :meth:`serve_in_thread` (own loop and thread), point the
    client at :attr:`base_url` with :attr:`token` (or tokens of :meth:`add_token`, each seeing
    its own workspaces), then assert on :meth:`projects`, :meth:`members`,
    :meth:`contracts`, :meth:`tasks`, :meth:`viewers`, :meth:`webhooks`, :meth:`time_entries`,
    :meth:`running_trackers`, :meth:`timesheets`, :meth:`time_requests`, :meth:`leaves`,
    :meth:`leave_policies`, :meth:`expenses`, :meth:`expense_categories` and :attr:`requests`. The
    reports sum the time entries. :meth:`inject` and :meth:`enforce_rate_limit` make it misbehave
    like a real network and server. While it serves, changes made through the API are
    delivered to the registered webhooks on loopback URLs (:attr:`deliveries`,
    :meth:`configure_deliveries`, :meth:`deliver`, :meth:`deliveries_settled`). All state
    access is guarded by one ``threading.RLock``.
    """

    def __init__(self, token: str | None = None) -> None:
        """Create an empty fake; ``token`` is the main bearer token (random if None).

        It sees every workspace; :meth:`add_token` accepts further ones.
        """
        self.token: str = token if token is not None else secrets.token_urlsafe(32)
        self.base_url: str | None = None
        self._state = FakeState(clock=utcnow)
        self._faults = FaultInjector(self._state.lock)
        self._limiter = RateLimiter(self._state.lock)
        self._tokens = Tokens(self._state.lock)
        self._oauth = OAuthServer(self._state, self._tokens)
        self._deliveries = Deliveries(self._state)
        self._app: web.Application | None = None

    def __repr__(self) -> str:
        """Summary for debugging output: row counts; never the token nor a webhook's token."""
        state = self._state
        with state.lock:
            tables: dict[str, Sized] = {
                "workspaces": state.workspaces,
                "projects": state.projects,
                "members": state.members,
                "contracts": state.contracts,
                "tasks": state.tasks,
                "viewers": state.viewers,
                "webhooks": state.webhooks,
                "trackers": state.trackers,
                "timesheets": state.timesheets,
                "time_requests": state.time_requests,
                "time_entries": state.time_entries,
                "leave_policies": state.leave_policies,
                "leaves": state.leaves,
                "expense_categories": state.expense_categories,
                "expenses": state.expenses,
            }
            counts = ", ".join(f"{name}={len(rows)}" for name, rows in tables.items())
        return f"<FakeWebWork base_url={self.base_url!r} {counts}>"

    # -- tokens -------------------------------------------------------------------------------

    def add_token(
        self, token: str | None = None, *, workspaces: Iterable[int] | None = None
    ) -> str:
        """Accept another bearer token (random if None) and return it.

        With ``workspaces=None`` it sees every workspace, as :attr:`token` does, those added
        later too; else only the workspaces with those ids, which must exist (``KeyError``).
        Any other workspace is answered to it as an unknown one (404 "Workspace not found"),
        and ``GET /workspaces`` lists only its own. Its requests are recorded with ``caller``
        1 for the first token added, 2 for the second... (0 is :attr:`token`), and
        :meth:`enforce_rate_limit` counts them in a window of their own. It works at once, on a
        running server too. A token accepted already (:attr:`token` included), an empty one or
        one with whitespace is a ``ValueError``. The fake keeps only a keyed hash of the token.
        """
        if token is None:
            token = secrets.token_urlsafe(32)
        if isinstance(token, str) and hmac.compare_digest(
            token_bytes(token), self.token.encode("utf-8")
        ):
            raise ValueError("that token is accepted already")
        with self._state.lock:
            self._tokens.add(token, workspaces, self._state.workspaces)
        return token

    # -- OAuth2 -------------------------------------------------------------------------------

    def add_oauth_client(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uris: Iterable[str] = (DEFAULT_REDIRECT_URI,),
    ) -> tuple[str, str]:
        """Register an OAuth2 client (random id and secret when None); return ``(id, secret)``.

        ``GET /oauth/authorize`` approves its requests at once for one of ``redirect_uris``
        (exact match), and ``POST /oauth/token`` issues tokens to it (see
        ``webwork_async.testing._oauth`` for the rules). The access tokens it gets see every
        workspace, like :attr:`token`, until they expire. A client id in use is a ``ValueError``.
        """
        return self._oauth.add_client(client_id, client_secret, redirect_uris)

    def configure_oauth(
        self,
        *,
        code_lifetime: float | None = None,
        access_token_lifetime: float | None = None,
        refresh_token_lifetime: float | None = None,
    ) -> None:
        """Set the lifetimes, in seconds, of the codes and tokens issued from now on (defaults:
        60 s, an hour, 30 days); None keeps one. 0 issues them expired."""
        self._oauth.configure(
            code_lifetime=code_lifetime,
            access_token_lifetime=access_token_lifetime,
            refresh_token_lifetime=refresh_token_lifetime,
        )

    def revoke_oauth_token(self, token: str) -> bool:
        """Revoke an issued access or refresh token (refused from now on: 401 for an access
        token, ``invalid_grant`` for a refresh token); False when the fake never issued it."""
        return self._oauth.revoke(token)

    def oauth_token_requests(self, grant_type: str | None = None) -> int:
        """How many ``POST /oauth/token`` requests arrived, refused ones included; only those of
        ``grant_type`` (``"authorization_code"``, ``"refresh_token"``) when given."""
        return self._oauth.token_requests(grant_type)

    @property
    def oauth_authorize_url(self) -> str | None:
        """``GET /oauth/authorize`` on the serving host (None when not serving)."""
        return None if self.base_url is None else self._host_url() + OAUTH_PREFIX + "/authorize"

    @property
    def oauth_token_url(self) -> str | None:
        """``POST /oauth/token`` on the serving host (None when not serving)."""
        return None if self.base_url is None else self._host_url() + OAUTH_PREFIX + "/token"

    def _host_url(self) -> str:
        assert self.base_url is not None
        return self.base_url.removesuffix("/").removesuffix(API_PREFIX)

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

    def add_member(
        self,
        workspace_id: int,
        *,
        email: str,
        firstname: str = "Test",
        lastname: str = "Member",
        role: str = "Regular User",
        status: str = "active",
        **fields: Any,
    ) -> dict[str, Any]:
        """Store a member directly (no API validation); return a copy of its Member object.

        The user id is ``id`` if given, else the one of ``email`` (one id per address across
        workspaces, as for invited members). ``fields`` are further Member fields (``avatar``,
        ``timezone``, ``team_name``, ``title``, ``rate``, ``rate_status``,
        ``weekly_hours_limit``, ``created_at``/``updated_at`` as str or ``datetime``...);
        ``deleted_at`` stores an archived member. Raises ``KeyError`` for an unknown workspace,
        ``TypeError`` for an unknown field, ``ValueError`` when the user is a member already
        (the caller, user 100, is a member of every workspace).
        """
        person = {"email": email, "firstname": firstname, "lastname": lastname}
        given = {**person, "current_role": role, "status": status, **fields}
        return self._add(members.insert_member, members.render, workspace_id, given)

    def accept_invitation(self, workspace_id: int, user_id: int) -> dict[str, Any]:
        """Make an invited member active, as accepting the e-mail's link does; return a copy.

        Delivers ``member.activated`` to the webhooks that want it, if the fake is serving.
        Raises ``KeyError`` when ``user_id`` is no live member of the workspace.
        """
        with self._state.lock:
            member = members.accept(self._state, workspace_id, user_id)
            self._deliveries.emit(workspace_id, "member.activated", member)
            return json_copy(member)

    def add_contract(
        self, workspace_id: int, *, project_id: int, user_id: int, **fields: Any
    ) -> dict[str, Any]:
        """Store a contract directly (no API validation); return a copy of its Contract object.

        ``fields`` are stored Contract fields (``weekly_hours_limit``, ``screenshots``,
        ``rate``, ``rate_type``, ``status``, ``currency``, ``contract_name``, ``id``,
        timestamps; ``deleted_at`` for a deleted one); the project and member fields come from
        the project and member, which need not exist. The project's ``contracts_count`` is
        recounted. Raises like :meth:`add_project`.
        """
        given = {"project_id": project_id, "user_id": user_id, **fields}
        return self._add(contracts.insert_contract, contracts.render, workspace_id, given)

    def add_task(
        self, workspace_id: int, *, project_id: int, title: str, **fields: Any
    ) -> dict[str, Any]:
        """Store a task directly (no API validation); return a copy of its Task object.

        ``fields`` are Task fields (``status``, ``priority``, ``start_date``/``end_date`` as str
        or ``date``, ``completed_at``, ``parent_id``, ``description``, ``id``, ``deleted_at``...;
        ``assignees`` as a list of user ids, shown with the members' names). Raises like
        :meth:`add_project`.
        """
        given = {"project_id": project_id, "title": title, **fields}
        return self._add(tasks.insert_task, tasks.render, workspace_id, given)

    def add_viewer(self, workspace_id: int, *, email: str, **fields: Any) -> dict[str, Any]:
        """Store a project viewer directly (no API validation); return a copy of its object.

        The user id is ``id`` if given, else the one of ``email``. ``fields``: ``firstname``
        (default "Test"), ``lastname`` ("Viewer"), ``status`` ("active"), ``member_since``,
        ``projects`` (a list of project ids; the live ones are shown), ``deleted_at`` (an
        archived viewer). Raises like :meth:`add_member`.
        """
        given = {"email": email, **fields}
        return self._add(project_viewers.insert_viewer, project_viewers.render, workspace_id, given)

    def add_webhook(
        self,
        workspace_id: int,
        *,
        url: str,
        events: Sequence[str] = ("tracker.started",),
        **fields: Any,
    ) -> dict[str, Any]:
        """Store a webhook directly (no API validation); return a copy of its Webhook object.

        ``id`` (a string) and ``token`` are random unless given in ``fields``. Raises like
        :meth:`add_project`.
        """
        given = {"url": url, "events": list(events), **fields}
        return self._add(webhooks.insert_webhook, webhooks.render, workspace_id, given)

    def add_time_entry(
        self,
        workspace_id: int,
        *,
        user_id: int,
        start_time: str | datetime,
        end_time: str | datetime,
        contract_id: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Put a tracked period on the timeline directly (no API validation); return a copy.

        The timeline is what timesheet totals and the running tracker's minutes are read from.
        ``start_time``/``end_time`` are timestamps; ``date`` (UTC day of the start),
        ``duration_minutes`` (whole minutes) and ``project_id`` (the contract's) follow unless
        given in ``fields``, as may ``task_id``, ``activity_description``, ``method`` (default
        "Manually added time") and ``id`` (a new UUID). Raises like :meth:`add_project`, and
        ``ValueError`` for a start that is no timestamp.
        """
        given = {"user_id": user_id, "contract_id": contract_id, "start_time": start_time}
        given.update(end_time=end_time, **fields)
        return self._add(insert_time_entry, render_time_entry, workspace_id, given)

    def add_running_tracker(
        self,
        workspace_id: int,
        *,
        user_id: int,
        contract_id: int | None = None,
        start_time: str | datetime | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Store a running tracker directly (no API validation); return a copy of it.

        For trackers started in the past (``start_time``, default now), which the API cannot
        make. ``fields``: ``project_id``, ``task_id``, ``activity_description``. Raises like
        :meth:`add_project`, and ``ValueError`` when the user's tracker runs already.
        """
        given = {"user_id": user_id, "contract_id": contract_id, **fields}
        if start_time is not None:
            given["start_time"] = start_time
        with self._state.lock:
            return json_copy(time_tracking.insert_tracker(self._state, workspace_id, given))

    def add_timesheet(
        self,
        workspace_id: int,
        *,
        user_id: int,
        date_from: str | date,
        date_to: str | date,
        status: str = "open",
        **fields: Any,
    ) -> dict[str, Any]:
        """Store a member's timesheet for a period directly (no API validation); return a copy
        of its Timesheet object, totals read from the member's time entries of the period.

        ``fields``: ``submitted_on``, ``reject_reason``, ``created_at`` (the list's order),
        ``id`` (a new UUID unless given). Raises like :meth:`add_project`.
        """
        given = {"user_id": user_id, "date_from": date_from, "date_to": date_to, **fields}
        given["status"] = status
        return self._add(timesheets.insert_timesheet, timesheets.render, workspace_id, given)

    def add_time_request(
        self,
        workspace_id: int,
        *,
        user_id: int,
        contract_id: int,
        start: str | datetime,
        end: str | datetime,
        status: str = "pending",
        **fields: Any,
    ) -> dict[str, Any]:
        """Store a request for manual time directly (no API validation); return a copy.

        Approving it over the API adds its period to the timeline. ``fields`` are further
        TimeRequest fields (``project_id``, ``task_id``, ``notes``, ``activity_description``,
        ``comment``, ``updated_by``, timestamps, ``id``). Raises like :meth:`add_project`.
        """
        given = {"user_id": user_id, "contract_id": contract_id, "start": start, "end": end}
        given.update(status=status, **fields)
        return self._add(
            time_requests.insert_time_request, time_requests.render, workspace_id, given
        )

    def add_leave_policy(
        self,
        workspace_id: int,
        *,
        name: str,
        days_per_year: float,
        paid: bool = True,
        hour_based: bool = False,
        **fields: Any,
    ) -> dict[str, Any]:
        """Store a leave policy (the API has no route for them); return a copy of it.

        Leaves under it are paid (``is_paid`` "yes") or not; an hour-based one needs hours on
        ``POST /leaves``. Each member's balance of it starts at ``days_per_year``. ``fields``:
        ``id`` (the next free one unless given). Raises like :meth:`add_project`.
        """
        given = {"name": name, "days_per_year": days_per_year, "paid": paid, **fields}
        given["hour_based"] = hour_based
        return self._add(leaves.insert_policy, leaves.render_policy, workspace_id, given)

    def add_leave(
        self,
        workspace_id: int,
        *,
        user_id: int,
        policy_id: int,
        start: str | date,
        end: str | date,
        status: str = "pending",
        **fields: Any,
    ) -> dict[str, Any]:
        """Store a member's leave from ``start`` to ``end`` (days, inclusive) directly (no API
        validation); return a copy of its Leave object.

        ``fields`` are further Leave fields (``note``, ``created_by``, ``approved_by``,
        ``rejected_by``, ``reject_reason``, ``created_on``, ``id``) and what a request may say
        (``start_time``, ``end_time``, ``hours_per_day``, ``leave_period``). Raises like
        :meth:`add_project`.
        """
        given = {"user_id": user_id, "policy_id": policy_id, "start_date": start, **fields}
        given.update(end_date=end, status=status)
        return self._add(leaves.insert_leave, leaves.render, workspace_id, given)

    def decide_leave(
        self, workspace_id: int, leave_id: str, status: str, *, reason: str | None = None
    ) -> dict[str, Any]:
        """Approve (``status`` "approved") or reject ("rejected", with ``reason``) a pending
        leave as the caller, as a manager does in the app; return a copy of its Leave object.

        A leave is decided once: deciding it again raises ``ValueError`` ("already decided"),
        as does another status or a reason for an approval; ``KeyError`` for a leave that is
        not the workspace's.
        """
        return json_copy(leaves.decide(self._state, workspace_id, leave_id, status, reason))

    def add_expense_category(
        self, workspace_id: int, *, name: str, **fields: Any
    ) -> dict[str, Any]:
        """Store an expense category (the API has no route for them); return a copy of it,
        ``id`` a new UUID unless given in ``fields``. Raises like :meth:`add_project`."""
        given = {"name": name, **fields}
        return self._add(expenses.insert_category, expenses.render_category, workspace_id, given)

    def add_expense(
        self,
        workspace_id: int,
        *,
        expense_name: str,
        amount: float,
        date: str | date,
        category_id: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Store an expense directly (no API validation); return a copy of its Expense object.

        ``fields``: ``project_id``, ``note``, ``is_billable`` (default false), ``user_id``
        (whose name ``member`` shows; default the caller), ``created_at``, ``id``. Raises
        like :meth:`add_project`.
        """
        given = {"expense_name": expense_name, "amount": amount, "date": date, **fields}
        given["category_id"] = category_id
        return self._add(expenses.insert_expense, expenses.render, workspace_id, given)

    def _add(
        self,
        insert: Callable[[FakeState, int, dict[str, Any]], dict[str, Any]],
        render: Callable[[FakeState, Row], dict[str, Any]],
        workspace_id: int,
        fields: dict[str, Any],
    ) -> dict[str, Any]:
        with self._state.lock:
            stored = insert(self._state, workspace_id, fields)
            return json_copy(render(self._state, Row(workspace_id, stored)))

    def seed(
        self,
        *,
        workspaces: int,
        projects_per_workspace: tuple[int, int] = (0, 60),
        seed: int = 0,
        progress: Callable[[int, int], object] | None = None,
        every_group: bool = False,
        today: date | None = None,
    ) -> list[int]:
        """Add ``workspaces`` realistic workspaces with projects; same seed -> same data.

        Each workspace gets a random number of projects from the inclusive range
        ``projects_per_workspace``. With ``every_group`` it also gets members, contracts,
        tasks, project viewers, webhooks, leave policies and leaves, expense categories and
        expenses, and time entries on the working days of the 45 days before ``today``
        (default: today in UTC, by the fake's clock) with weekly timesheets and a few time
        requests; the projects are those of the same seed without it, but for their
        ``contracts_count``, which then counts their contracts.

        ``progress``, if given, is called as ``progress(done, total)`` with the number of
        workspaces seeded so far and ``workspaces``: after about every tenth of them and always
        at the end with ``(total, total)`` (once with ``(0, 0)`` when ``workspaces`` is 0), from
        the calling thread while the fake's lock is held, so requests wait; an exception it
        raises stops the seeding, keeping the workspaces done so far. Returns the new workspace
        ids.
        """
        groups = None
        if every_group:
            day = today if today is not None else self._state.now().date()
            groups = GroupSeeder.for_seed(self._state, seed, day).fill
        return seed_state(
            self._state,
            workspaces=workspaces,
            projects_per_workspace=projects_per_workspace,
            seed=seed,
            progress=progress,
            each=groups,
        )

    def change_some(self, *, seed: int = 0, fraction: float = 0.05) -> dict[str, int]:
        """Change some data of every workspace, as users of the app would between two syncs.

        Each live row is updated with probability ``fraction`` (projects renamed, members'
        titles and teams, contracts paused or resumed, task statuses, viewers' projects,
        webhook events, time entry notes, timesheets and pending time requests and leaves
        moved on, expense amounts), else deleted with probability ``fraction / 2`` where the
        API deletes (projects archived with their contracts; contracts, tasks, viewers,
        webhooks, time entries); about ``fraction / 2`` as many rows as a group has are added
        (new projects, invited members, contracts, tasks, viewers, webhooks, time entries and
        expenses of today, pending time requests and leaves). Deleted rows leave the API's
        lists. The same seed on the same data makes the same changes, at the fake's "now".
        Returns how many rows changed, by ``"<group>.<updated|added|deleted>"`` (every key,
        zeros too), the groups named as the readers here are; contracts ended with their
        project count as deleted, approved time requests as added time entries, rows that
        only show another's change (a renamed project's name on its contracts) not at all.
        Raises ``ValueError`` for a fraction outside 0..1.
        """
        return change_some(self._state, seed=seed, fraction=fraction)

    # -- reading state ------------------------------------------------------------------------

    def projects(
        self, workspace_id: int, *, include_archived: bool = False
    ) -> list[dict[str, Any]]:
        """Copies of the workspace's projects ordered by id, for assertions."""
        with self._state.lock:
            return json_copy(
                projects.list_stored(self._state, workspace_id, include_archived=include_archived)
            )

    def members(self, workspace_id: int, *, include_archived: bool = False) -> list[dict[str, Any]]:
        """Copies of the workspace's Member objects ordered by user id, for assertions."""
        with self._state.lock:
            return json_copy(
                members.list_stored(self._state, workspace_id, include_archived=include_archived)
            )

    def contracts(
        self, workspace_id: int, *, project_id: int | None = None, include_deleted: bool = False
    ) -> list[dict[str, Any]]:
        """Copies of the workspace's (or one project's) Contract objects ordered by id."""
        with self._state.lock:
            found = contracts.list_stored(
                self._state, workspace_id, include_deleted=include_deleted
            )
            return json_copy(matching(found, project_id=project_id))

    def tasks(
        self, workspace_id: int, project_id: int | None = None, *, include_deleted: bool = False
    ) -> list[dict[str, Any]]:
        """Copies of the workspace's (or one project's) Task objects ordered by id."""
        with self._state.lock:
            return json_copy(
                tasks.list_stored(
                    self._state, workspace_id, project_id, include_deleted=include_deleted
                )
            )

    def viewers(self, workspace_id: int, *, include_archived: bool = False) -> list[dict[str, Any]]:
        """Copies of the workspace's Project viewer objects ordered by user id."""
        with self._state.lock:
            return json_copy(
                project_viewers.list_stored(
                    self._state, workspace_id, include_archived=include_archived
                )
            )

    def webhooks(self, workspace_id: int) -> list[dict[str, Any]]:
        """Copies of the workspace's Webhook objects (tokens included) in creation order."""
        with self._state.lock:
            return json_copy(webhooks.list_stored(self._state, workspace_id))

    def time_entries(self, workspace_id: int) -> list[dict[str, Any]]:
        """Copies of the workspace's TimeEntry objects (the timeline) in creation order."""
        with self._state.lock:
            return json_copy(timeline(self._state, workspace_id))

    def running_trackers(self, workspace_id: int) -> list[dict[str, Any]]:
        """Copies of the workspace's running trackers ordered by user id."""
        with self._state.lock:
            return json_copy(time_tracking.list_stored(self._state, workspace_id))

    def timesheets(self, workspace_id: int) -> list[dict[str, Any]]:
        """Copies of the workspace's Timesheet objects (with totals) in creation order."""
        with self._state.lock:
            return json_copy(timesheets.list_stored(self._state, workspace_id))

    def time_requests(self, workspace_id: int) -> list[dict[str, Any]]:
        """Copies of the workspace's TimeRequest objects in creation order."""
        with self._state.lock:
            return json_copy(time_requests.list_stored(self._state, workspace_id))

    def leaves(self, workspace_id: int) -> list[dict[str, Any]]:
        """Copies of the workspace's Leave objects in creation order."""
        with self._state.lock:
            return json_copy(leaves.list_stored(self._state, workspace_id))

    def leave_policies(self, workspace_id: int) -> list[dict[str, Any]]:
        """Copies of the workspace's leave policies ordered by id."""
        with self._state.lock:
            return json_copy(leaves.list_policies(self._state, workspace_id))

    def expenses(self, workspace_id: int) -> list[dict[str, Any]]:
        """Copies of the workspace's Expense objects in creation order."""
        with self._state.lock:
            return json_copy(expenses.list_stored(self._state, workspace_id))

    def expense_categories(self, workspace_id: int) -> list[dict[str, Any]]:
        """Copies of the workspace's expense categories in creation order."""
        with self._state.lock:
            return json_copy(expenses.list_categories(self._state, workspace_id))

    def project_count(
        self, workspace_id: int | None = None, *, include_archived: bool = False
    ) -> int:
        """How many projects one workspace (or, with None, every workspace) holds; no copies."""
        with self._state.lock:
            rows = (
                self._state.projects
                if workspace_id is None
                else self._state.projects.in_workspace(workspace_id)
            )
            return sum(1 for row in rows if include_archived or row.data.get("deleted_at") is None)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of every request received so far, in arrival order."""
        with self._state.lock:
            return list(self._state.requests)

    def request_count(
        self, method: str | None = None, path: str | None = None, *, caller: int | None = None
    ) -> int:
        """Count recorded requests by method, exact path and/or ``caller`` (None: anything).

        ``path`` is like "/api/v2/projects/5"; a path without a leading "/" ("projects/5") is
        taken relative to "/api/v2/". ``caller`` is the token's number, as
        :attr:`RecordedRequest.caller` tells it (unauthenticated requests have none).
        """
        return len(self._select(method, path, caller))

    def executed_count(
        self, method: str | None = None, path: str | None = None, *, caller: int | None = None
    ) -> int:
        """Like :meth:`request_count`, counting only requests whose route handler ran.

        Requests answered by auth, the rate limit, a 404/405 or a fault that skips the handler
        (``rate_limit``, ``server_error``, ``in_band_failure``, ``redirect``) are not counted.
        """
        return sum(1 for recorded in self._select(method, path, caller) if recorded.executed)

    def route_counts(self) -> dict[tuple[str, str], int]:
        """Requests received per (method, route template), e.g. ("GET", "/api/v2/projects").

        Parametrised routes count under their template ("/api/v2/projects/{project_id}");
        requests for unknown paths or methods under their plain path.
        """
        with self._state.lock:
            counts = Counter(
                (recorded.method, recorded.route or recorded.path)
                for recorded in self._state.requests
            )
        return dict(counts)

    @property
    def rate_limited_count(self) -> int:
        """How many recorded requests :meth:`enforce_rate_limit` answered with 429.

        Injected ``rate_limit`` faults are not included (their ``fault`` says so instead).
        """
        with self._state.lock:
            return sum(1 for recorded in self._state.requests if recorded.rate_limited)

    def _select(
        self, method: str | None, path: str | None, caller: int | None
    ) -> list[RecordedRequest]:
        wanted_method = method.upper() if method is not None else None
        wanted_path = api_path(path) if path is not None else None
        with self._state.lock:
            return [
                recorded
                for recorded in self._state.requests
                if (wanted_method is None or recorded.method == wanted_method)
                and (wanted_path is None or recorded.path == wanted_path)
                and (caller is None or recorded.caller == caller)
            ]

    def reset_requests(self) -> None:
        """Forget the recorded requests (for example after test setup)."""
        with self._state.lock:
            self._state.requests.clear()

    # -- faults and rate limit ---------------------------------------------------------------

    def inject(
        self,
        kind: FaultKind | str,
        *,
        method: str | None = None,
        path: str | None = None,
        probability: float = 1.0,
        times: int | None = None,
        burst: int = 1,
        status: int | None = None,
        retry_after: float = 1.0,
        delay: float = 2.0,
        location: str | None = None,
        size: int | None = None,
        depth: int | None = None,
        headers: Mapping[str, str] | None = None,
        seed: int | None = None,
    ) -> FaultRule:
        """Make matching requests fail with a fault of ``kind``; return the new rule.

        Kinds (a :class:`FaultKind` or its value); "runs" means the route handler runs first,
        so writes happen although the client sees a failure:

        - ``rate_limit``: 429 "Too Many Attempts." envelope, ``Retry-After: <retry_after>``.
        - ``server_error``: ``status`` (500, 502, 503 (default) or 504) error envelope.
        - ``in_band_failure``: 200 with ``{"success": false, "data": null, ...}``.
        - ``redirect``: ``status`` (301, 302 (default), 303, 307 or 308) with
          ``Location: <location>`` and a small JSON error envelope; the handler does not run.
          Without ``location`` it points at the request's path and query on
          ``http://127.0.0.1:9`` (a port nobody listens on).
        - ``reset_before_answer``: runs, then the connection closes before any answer byte.
        - ``reset_mid_body``: runs; status line, headers with the full ``Content-Length`` and
          half of the body are sent, then the connection closes.
        - ``truncated_json``: runs; complete answer (its status) whose body is the JSON's first
          half, with a matching ``Content-Length``.
        - ``invalid_json``: runs; the answer's status with an HTML page (``text/html``).
        - ``schema_mismatch``: runs; valid JSON whose ``data`` fits no schema: every object's
          ``id`` becomes "x-<id>" and ``name``/``*_name`` an object; null data or an empty list
          becomes "x-unexpected"/["x-unexpected"]. Answers without ``data`` pass unchanged.
        - ``slow``: runs; the answer waits ``delay`` seconds (the connection is closed instead
          if the server shuts down meanwhile).
        - ``huge_body``: runs; the answer's status with an HTML page (``text/html``) of exactly
          ``size`` bytes (default 64 MiB) and that ``Content-Length``, streamed in chunks.
        - ``gzip_bomb``: runs; the answer's status with ``Content-Encoding: gzip``,
          ``Content-Type: application/json`` and the compressed ``Content-Length``: a gzip body
          that decompresses to ``size`` bytes (default 512 MiB) of
          ``{"success":true,"data":"<spaces>"}``. It is compressed once per size (in a thread)
          and cached for the process; 512 MiB compress to about 0.5 MiB.
        - ``deep_json``: runs; the answer's status and envelope with ``data`` replaced by
          ``depth`` nested arrays (default 1000: ``[[[...]]]``), still valid JSON; a body that
          is not a JSON object becomes the bare arrays.
        - ``null_data``: runs; a JSON answer with ``data`` gets ``"data": null``; its
          ``meta.pagination``, if any, claims 500 items on 5 pages of 100 (``current_page`` as
          asked, ``from``/``to`` to match) unless its ``total`` is already 500 or more.
        - ``endless_pages``: a GET runs as if its query said ``page=1`` (every page answers the
          first page's items), then ``meta.pagination`` claims the page asked for out of
          10**9 (``total`` 10**9 * ``per_page``, ``from``/``to`` to match the items). Answers
          without pagination, and requests with an invalid ``page``, pass unchanged.
        - ``headers``: runs; the normal answer with ``headers`` added.

        ``headers`` (names and values are strings without CR or LF; values are sent as given,
        of any length) are added to the answer of every kind last, so they override the
        fault's own (``inject("rate_limit", headers={"Retry-After": "1e308"})``) and the
        rate-limit headers. ``status`` is refused for kinds other than ``server_error`` and
        ``redirect``, ``location`` for kinds other than ``redirect``, ``size`` for kinds other
        than ``huge_body`` and ``gzip_bomb``, ``depth`` for kinds other than ``deep_json``.

        ``method`` (None = any) and ``path`` (None = any; exact or a glob with ``*``, relative
        to "/api/v2/" without a leading "/") select requests; rules are checked in the order
        added and the first that fires wins. Only authenticated, admitted requests to API routes
        are faulted. Whether a rule fires for the n-th identical request (same method, path,
        query and body) depends only on (seed, rule position, request, n) compared with
        ``probability``, so it is the same whatever the arrival order (n counts identical
        requests reaching fault injection while any rule is set, since :meth:`clear_faults`).
        ``burst=k`` also faults occurrences n+1..n+k-1 of a request the rule fired on; ``times``
        caps how often the rule fires (a burst counts once), after which arrival order does
        matter. ``seed`` overrides :attr:`fault_seed` for this rule. The rule's ``fired`` and
        ``hits`` count firings and faulted requests; each recorded request tells its ``fault``.
        """
        return self._faults.add(
            kind,
            method=method,
            path=path,
            probability=probability,
            times=times,
            burst=burst,
            status=status,
            retry_after=retry_after,
            delay=delay,
            seed=seed,
            location=location,
            size=size,
            depth=depth,
            headers=headers,
        )

    def clear_faults(self) -> None:
        """Remove every injected fault and forget the identical-request counts."""
        self._faults.clear()

    @property
    def fault_seed(self) -> int:
        """Seed of the fault decisions of rules made without ``seed`` (default 0)."""
        return self._faults.seed

    @fault_seed.setter
    def fault_seed(self, value: int) -> None:
        self._faults.seed = value

    def enforce_rate_limit(self, requests: int | None = 60, period: float = 60.0) -> None:
        """Allow ``requests`` per sliding ``period`` seconds per token; ``None`` switches off.

        Each token (:attr:`token` and those of :meth:`add_token`) has a window of its own,
        checked after auth on every API route. Beyond the limit the answer is 429 "Too Many
        Attempts." with ``Retry-After`` (seconds until a request fits again, rounded up to
        milliseconds) and ``X-RateLimit-Reset`` (unix time); rejected requests do not count.
        Every answer carries ``X-RateLimit-Limit`` and ``X-RateLimit-Remaining``. Calling it
        again starts with empty windows.
        """
        self._limiter.configure(requests, period)

    # -- webhook deliveries -------------------------------------------------------------------

    def configure_deliveries(
        self,
        *,
        retries: int = DELIVERY_RETRIES,
        backoff: float = DELIVERY_BACKOFF,
        timeout: float = DELIVERY_TIMEOUT,
    ) -> None:
        """Set how webhook deliveries made from now on are tried: ``retries`` more attempts
        after a failed one (a connection error, no answer within ``timeout`` seconds, a status
        other than 2xx), the first after ``backoff`` seconds and each next one after twice the
        wait before it. The defaults (3, 0.1 s, 5 s) spread four attempts over 0.7 s.
        ``ValueError`` for a negative count or wait, or a timeout that is not positive.
        """
        self._deliveries.configure(Schedule(retries, backoff, timeout))

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook delivery so far, in the order the events happened (snapshots).

        While the fake serves, a change made through the API (``project.*`` on create, update
        and delete; ``member.*`` on invite, update and delete, ``member.activated`` on
        :meth:`accept_invitation`; ``tracker.*`` on time-tracking start and stop) is POSTed to
        every live webhook of the workspace subscribed to the event, signed with its ``token``
        the Standard Webhooks way (see ``webwork_async.testing._deliveries``), from the loop
        that serves, a webhook's deliveries one after the other. Changes made with the
        ``add_*`` methods deliver nothing. Only loopback URLs are delivered to; others are
        refused. Wait for them with :meth:`deliveries_settled` or :meth:`wait_deliveries`.
        """
        return self._deliveries.records()

    def deliver(
        self,
        event_type: str,
        workspace_id: int,
        data: Mapping[str, Any] | None = None,
        *,
        to: str | None = None,
        secret: str | None = None,
    ) -> list[Delivery]:
        """Send a test event by hand; return its new deliveries (pending, refused, or cancelled
        when the fake is not serving).

        ``data`` is the event's object, by default a made-up one of the event's kind (the
        event must then be one of the ten the webhooks know, else ``ValueError``). Without
        ``to`` it goes to every live webhook of ``workspace_id`` subscribed to ``event_type``;
        with ``to`` (a URL) to that URL alone, signed with ``secret`` (then required), whatever
        the webhooks.
        """
        if data is None:
            data = sample_data(event_type, self._state.now())
        if to is None:
            if secret is not None:
                raise ValueError("secret goes with to: a webhook signs with its own token")
            return self._deliveries.emit(workspace_id, event_type, data)
        if not secret:
            raise ValueError("deliver(to=...) needs the secret to sign with")
        return [self._deliveries.send(event_type, workspace_id, data, to, Secret(secret))]

    async def deliveries_settled(self, timeout: float | None = 10.0) -> list[Delivery]:
        """Wait until no webhook delivery is pending; return :attr:`deliveries`.

        Async and non-blocking, for a fake served by :meth:`serve` in the test's loop (it works
        with :meth:`serve_in_thread` too). ``TimeoutError`` after ``timeout`` seconds, naming
        what is still pending (None: wait as long as it takes).
        """
        return await self._deliveries.settled(timeout)

    def wait_deliveries(self, timeout: float | None = 10.0) -> list[Delivery]:
        """Block until no webhook delivery is pending; return :attr:`deliveries`.

        For a fake served by :meth:`serve_in_thread`, from any other thread (never from the
        loop that serves: it would wait for itself). ``TimeoutError`` as for
        :meth:`deliveries_settled`.
        """
        return self._deliveries.wait(timeout)

    # -- serving ------------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        """Build a new aiohttp application serving this fake's state (usable with TestServer)."""
        app = web.Application(middlewares=[_pipeline_middleware])
        app[STATE_KEY] = self._state
        app[_TOKEN_KEY] = self.token
        app[_TOKENS_KEY] = self._tokens
        app[OAUTH_KEY] = self._oauth
        app[FAULTS_KEY] = self._faults
        app[LIMITER_KEY] = self._limiter
        slow_answers = SlowAnswers()
        app[SLOW_KEY] = slow_answers
        app.on_shutdown.append(slow_answers.release)
        self._deliveries.attach(app)
        for group in _GROUPS:
            group.add_routes(app)
        add_oauth_routes(app)
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
        runner = web.AppRunner(
            self.make_app(),
            access_log=None,
            shutdown_timeout=_SHUTDOWN_TIMEOUT,
            max_line_size=_MAX_LINE_SIZE,
            max_field_size=_MAX_LINE_SIZE,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            bound_port = int(runner.addresses[0][1])
            url_host = f"[{host}]" if ":" in host else host
            self.base_url = f"http://{url_host}:{bound_port}{API_PREFIX}/"
            yield self.base_url
        finally:
            await stop_runner(runner)

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


async def stop_runner(runner: web.BaseRunner) -> None:
    """Stop ``runner`` so that none of its connections outlives the running loop.

    aiohttp's cleanup closes each connection, but a socket whose answer is still being written
    (to a client that gave up on it) only closes once the loop sees it writable again; a loop
    that ends first leaves it open, to warn "unclosed transport" when collected. What is left
    after the cleanup is cut, and the loop is given the turn in which that takes effect.
    """
    server = runner.server
    transports = [handler.transport for handler in server.connections] if server else []
    await runner.cleanup()
    for transport in transports:
        if transport is not None:
            transport.abort()
    await asyncio.sleep(0)


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
        loop = _ServerLoop()
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # handed to the starting thread by start()/stop()
            self._error = exc
        finally:
            try:
                loop.finish()
            finally:
                loop.close()
                self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = self._loop.create_future()
        async with self._fake.serve(self._host, self._port) as base_url:
            self._base_url = base_url
            self._ready.set()
            await self._stop


class _ServerLoop(asyncio.SelectorEventLoop):
    """The threaded server's loop: it never leaves half of a connection behind.

    A connection accepted just before the server closes is set up in a later turn; by then
    CPython's selector loop (3.11, at least) fails to build its transport (``Server._attach``
    asserts that the server still listens) after the transport has taken the socket, and nobody
    closes that socket: it warns "unclosed transport" in whichever later test the garbage
    collector runs.
    Here such a connection is closed before any transport is built for it.
    """

    def _make_socket_transport(
        self, sock: socket.socket, *args: Any, server: Any = None, **kwargs: Any
    ) -> asyncio.Transport:
        if server is not None and not server.is_serving():
            sock.close()
            raise ConnectionAbortedError("the server closed before the connection was set up")
        transport: asyncio.Transport = super()._make_socket_transport(  # type: ignore[misc]
            sock, *args, server=server, **kwargs
        )
        return transport

    def finish(self) -> None:
        """End as ``asyncio.run`` ends a loop: cancel what is pending and let it finish."""
        pending = asyncio.all_tasks(self)
        for task in pending:
            task.cancel()
        if pending:
            self.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.run_until_complete(self.shutdown_asyncgens())


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
