"""The request pipeline every workspace-scoped route shares: :func:`endpoint` and :class:`Call`.

A handler is written as a plain function of a :class:`Call` and wrapped with :func:`endpoint`,
which first does what every route of the API does, in the API's order:

1. integer path ids (``ids``): one that is not a plain integer is that object kind's 404;
2. the parameters: the query string for GET, the JSON body for every write (variant B, DELETE
   included; a bad body is 400, and so is a body without ``workspace_id`` where the route
   says so: ``absent_workspace``);
3. ``workspace_id`` from there, the route's fields against its :class:`~._fields.Spec` maps and,
   for lists, ``page``/``per_page``: every problem in one 422;
4. with the state lock held, the workspace: unknown (or not the token's) 404, caller not
   Owner/Executive manager 403;

and then runs the handler, still under the lock. Checks that need stored data (a referenced
project exists, an e-mail is not taken) are the handler's: :meth:`Call.reject` raises their 422.

A group declares its routes with a :class:`Routes` table (``@ROUTES.get("/{member_id}",
ids=...)``), which applies :func:`endpoint` and registers the result in one step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

from aiohttp import web

from webwork_async._constants import MAX_PER_PAGE, SERVICE_DEFAULT_PER_PAGE

from ._fields import Spec, add_error, validate
from ._http import (
    API_PREFIX,
    STATE_KEY,
    ApiError,
    FieldErrors,
    Page,
    json_body,
    page_params,
    paginated,
    path_int,
    query_params,
    require_workspace,
    success,
    workspace_id_from_body,
    workspace_id_from_query,
)
from ._state import FakeState, Row, format_timestamp
from ._tokens import CALLER_KEY

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: A route's own work, given the admitted :class:`Call`.
Act = Callable[["Call"], web.Response]
#: A group's view of a stored row: the API object it shows.
Render = Callable[[FakeState, Row], Any]
_NO_FIELDS: Final[Mapping[str, Spec]] = {}
_NO_IDS: Final[Mapping[str, str]] = {}


@dataclass
class Call:
    """One admitted request: its workspace, path ids, parameters and validated field values."""

    request: web.Request
    state: FakeState
    workspace: Row
    params: Mapping[str, Any]
    values: dict[str, Any]
    ids: dict[str, int]
    page: Page
    errors: FieldErrors = field(default_factory=FieldErrors)

    @property
    def workspace_id(self) -> int:
        """The id of the request's workspace."""
        return self.workspace.workspace_id

    def now(self) -> str:
        """The current time as an API timestamp."""
        return format_timestamp(self.state.now())

    def ok(
        self,
        data: Any,
        message: str,
        *,
        status: int = 200,
        beside: Mapping[str, Any] | None = None,
    ) -> web.Response:
        """The success envelope for ``data`` (with the top-level fields ``beside``, if any)."""
        return success(self.request, data, message, status=status, beside=beside)

    def listing(self, items: list[Any], message: str) -> web.Response:
        """The success envelope for the requested page of ``items``, with ``meta.pagination``."""
        return paginated(self.request, items, self.page, message)

    def reject(self, field_name: str, message: str) -> NoReturn:
        """Raise the 422 for ``field_name`` (``message`` may hold ``{field}``)."""
        add_error(self.errors, field_name, message)
        self.errors.raise_if_any()
        raise AssertionError("unreachable")  # pragma: no cover


def endpoint(
    *,
    fields: Mapping[str, Spec] = _NO_FIELDS,
    partial: bool = False,
    scope: Mapping[str, Spec] = _NO_FIELDS,
    ids: Mapping[str, str] = _NO_IDS,
    paged: bool = False,
    per_page: int = SERVICE_DEFAULT_PER_PAGE,
    max_per_page: int = MAX_PER_PAGE,
    absent_workspace: str | None = None,
) -> Callable[[Act], Handler]:
    """Wrap a handler of a :class:`Call` into an aiohttp handler (see the module docstring).

    ``ids`` maps path parameters to the object kind named in their 404 ("Member");
    ``partial`` validates ``fields`` as an update does, while ``scope`` fields (the
    ``project_id`` a task lives in) are checked as required ones in any case; ``paged`` reads
    ``page``/``per_page`` (default ``per_page``, at most ``max_per_page``). With
    ``absent_workspace``, a write's body without ``workspace_id`` is the 400 of that message
    rather than a 422.
    """

    def wrap(act: Act) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            state = request.app[STATE_KEY]
            path_ids = {name: path_int(request, name, what) for name, what in ids.items()}
            errors = FieldErrors()
            params: Mapping[str, Any]
            if request.method == "GET":
                params = query_params(request)
                workspace_id = workspace_id_from_query(params, errors)
            else:
                params = await json_body(request)
                if absent_workspace is not None and params.get("workspace_id") in (None, ""):
                    raise ApiError(400, absent_workspace, error="Missing workspace_id")
                workspace_id = workspace_id_from_body(params, errors)
            values = validate(params, fields, errors, partial=partial)
            values.update(validate(params, scope, errors))
            page = Page(per_page=per_page)
            if paged:
                page = page_params(params, errors, per_page, max_per_page)
            errors.raise_if_any()
            with state.lock:
                workspace = require_workspace(state, workspace_id, request[CALLER_KEY])
                call = Call(request, state, workspace, params, values, path_ids, page)
                return act(call)

        handler.__name__ = act.__name__
        handler.__doc__ = act.__doc__
        return handler

    return wrap


class Routes:
    """The routes of one API group below ``/api/v2<base>``, declared with decorators.

    ``@routes.get(path, **options)`` (likewise ``post``, ``put``, ``delete``) wraps a handler
    of a :class:`Call` with :func:`endpoint` (``options`` are its keywords) and registers it
    for ``path`` below the group's base; :meth:`show` declares the GET of one object;
    :meth:`add_to` adds them all to an application.
    """

    def __init__(self, base: str) -> None:
        """Start an empty table for the paths below ``base`` (such as "/members")."""
        self.base = API_PREFIX + base
        self._table = web.RouteTableDef()

    def get(self, path: str = "", **options: Any) -> Callable[[Act], Handler]:
        """Declare the GET handler of ``path``."""
        return self._route("GET", path, options)

    def post(self, path: str = "", **options: Any) -> Callable[[Act], Handler]:
        """Declare the POST handler of ``path``."""
        return self._route("POST", path, options)

    def put(self, path: str = "", **options: Any) -> Callable[[Act], Handler]:
        """Declare the PUT handler of ``path``."""
        return self._route("PUT", path, options)

    def delete(self, path: str = "", **options: Any) -> Callable[[Act], Handler]:
        """Declare the DELETE handler of ``path``."""
        return self._route("DELETE", path, options)

    def show(
        self, path: str, find: Callable[[Call], Row], render: Render, message: str, **options: Any
    ) -> None:
        """Declare the GET of one object: what ``render`` makes of the row ``find`` gives."""

        def show_one(call: Call) -> web.Response:
            return call.ok(render(call.state, find(call)), message)

        self.get(path, **options)(show_one)

    def add_to(self, app: web.Application) -> None:
        """Register every declared route on ``app``."""
        app.add_routes(self._table)

    def _route(self, method: str, path: str, options: dict[str, Any]) -> Callable[[Act], Handler]:
        def declare(act: Act) -> Handler:
            handler = endpoint(**options)(act)
            self._table.route(method, self.base + path)(handler)
            return handler

        return declare
