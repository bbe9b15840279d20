"""Request parsing and response building shared by every API group of the fake server.

Everything here follows the cross-cutting rules of the reference (§2): the success and error
envelopes, Laravel-style 422 validation errors, ``page``/``per_page`` pagination and the
variant-B ``workspace_id`` placement (query string on reads, JSON body on writes). Group modules
(``workspaces.py``, ``projects.py``, ...) only describe their own objects and call these helpers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import msgspec
from aiohttp import web

from webwork_async._constants import (
    API_VERSION,
    MAX_PER_PAGE,
    MIN_PER_PAGE,
    SERVICE_DEFAULT_PER_PAGE,
)

from ._state import API_ROLES, FakeState, Row, format_timestamp
from ._tokens import Caller

API_PREFIX: Final = "/api/v2"

#: Where the handlers find the state of the fake that built the application.
STATE_KEY: Final = web.AppKey("webwork_fake_state", FakeState)

_DIGITS: Final = re.compile(r"[0-9]+")
_T = TypeVar("_T")
_ENCODER: Final = msgspec.json.Encoder()


class ApiError(Exception):
    """Raised by handlers and helpers; the error middleware turns it into an error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error: str | None = None,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Describe one HTTP error: status, human ``message``, short ``error`` detail, 422 map."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error
        self.errors = dict(errors) if errors is not None else None
        self.headers = dict(headers) if headers is not None else {}


class FieldErrors:
    """Collects per-field validation messages so one 422 reports every problem at once."""

    def __init__(self) -> None:
        """Start with no errors."""
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        """Record ``message`` against ``field`` (Laravel keeps a list per field)."""
        self.by_field.setdefault(field, []).append(message)

    def __contains__(self, field: object) -> bool:
        """Tell whether ``field`` already has an error (later checks may then be skipped)."""
        return field in self.by_field

    def __bool__(self) -> bool:
        """True when at least one error was recorded."""
        return bool(self.by_field)

    def raise_if_any(self) -> None:
        """Raise the 422 :class:`ApiError` if anything was recorded."""
        if self.by_field:
            raise validation_error(self.by_field)


def validation_error(errors: Mapping[str, list[str]]) -> ApiError:
    """Build the 422 error carrying Laravel's ``errors`` map."""
    return ApiError(
        422,
        "The given data was invalid.",
        error="Validation failed",
        errors=errors,
    )


def label(field: str) -> str:
    """Field name as Laravel writes it in messages (``per_page`` -> ``per page``)."""
    return field.replace("_", " ")


# --- responses ---------------------------------------------------------------------------------


def meta(state: FakeState) -> dict[str, Any]:
    """The ``meta`` object every response carries."""
    return {"api_version": API_VERSION, "timestamp": format_timestamp(state.now())}


def json_copy(value: _T) -> _T:
    """Deep copy of JSON-ready data (much faster than ``copy.deepcopy`` for dicts and lists)."""
    copied: _T = msgspec.json.decode(_ENCODER.encode(value))
    return copied


def json_response(
    payload: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """Encode ``payload`` with msgspec as an ``application/json`` response."""
    return web.Response(
        body=_ENCODER.encode(payload),
        status=status,
        headers=headers,
        content_type="application/json",
    )


def success(
    request: web.Request,
    data: Any,
    message: str,
    *,
    status: int = 200,
    pagination: dict[str, Any] | None = None,
    beside: Mapping[str, Any] | None = None,
) -> web.Response:
    """The success envelope: ``success``, ``message``, ``data``, ``meta`` (+ ``pagination``).

    ``beside`` holds further top-level fields, put between ``message`` and ``data``
    (``saved_minutes`` of a new time entry).
    """
    body_meta = meta(request.app[STATE_KEY])
    if pagination is not None:
        body_meta["pagination"] = pagination
    payload = {"success": True, "message": message, **(beside or {}), "data": data}
    payload["meta"] = body_meta
    return json_response(payload, status=status)


def error_response(state: FakeState, exc: ApiError) -> web.Response:
    """The error envelope for ``exc``: ``success: false``, ``message``, ``error`` (+ ``errors``)."""
    payload: dict[str, Any] = {
        "success": False,
        "message": exc.message,
        "error": exc.error,
        "meta": meta(state),
    }
    if exc.errors is not None:
        payload["errors"] = exc.errors
    return json_response(payload, status=exc.status, headers=exc.headers)


# --- request parsing ---------------------------------------------------------------------------


def api_path(path: str) -> str:
    """``path`` as served: one without a leading "/" ("projects/5") is relative to "/api/v2/"."""
    return path if path.startswith("/") else f"{API_PREFIX}/{path}"


def query_params(request: web.BaseRequest) -> dict[str, str]:
    """Query string as a plain dict; a repeated parameter keeps its last value, as in PHP."""
    return dict(request.query.items())


async def json_body(request: web.Request) -> dict[str, Any]:
    """Decode the JSON object body of a write; an empty body counts as ``{}``.

    Malformed JSON or a JSON value that is not an object -> 400 "Invalid JSON body".
    """
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise ApiError(400, "Invalid JSON body", error=str(exc)) from None
    if not isinstance(value, dict):
        raise ApiError(400, "Invalid JSON body", error="The JSON body must be an object")
    return value


def parse_digits(text: str) -> int | None:
    """Parse a non-negative decimal integer written with ASCII digits only, else ``None``."""
    if _DIGITS.fullmatch(text) is None:
        return None
    return int(text)


def is_int(value: object) -> bool:
    """True for JSON integers (``bool`` is not an integer here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """True for JSON numbers, integer or float (not ``bool``, not NaN/infinity)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def path_id(request: web.Request, name: str) -> int | None:
    """Integer path parameter ``name``, or ``None`` when it is not a plain integer."""
    return parse_digits(request.match_info.get(name, ""))


def not_found(what: str, detail: str) -> ApiError:
    """The 404 of an object kind: ``"<What> not found"`` with ``detail`` as ``error``."""
    return ApiError(404, f"{what} not found", error=detail)


def path_int(request: web.Request, name: str, what: str) -> int:
    """Integer path parameter ``name``; one that is not a plain integer is ``what``'s 404."""
    value = path_id(request, name)
    if value is None:
        raise not_found(what, f"{request.match_info.get(name)!r} is not a {what.lower()} id")
    return value


def live_row(row: Row | None, workspace_id: int, what: str, row_id: object) -> Row:
    """``row`` if it exists in ``workspace_id`` and is not archived/deleted, else ``what``'s 404.

    Archived and soft-deleted rows carry a non-null ``deleted_at`` in their data.
    """
    if row is None or row.workspace_id != workspace_id or row.data.get("deleted_at") is not None:
        raise not_found(what, f"No {what.lower()} with id {row_id} in workspace {workspace_id}")
    return row


# --- workspace_id ------------------------------------------------------------------------------


def workspace_id_from_query(query: Mapping[str, str], errors: FieldErrors) -> int | None:
    """Read ``workspace_id`` from the query string (all reads); record a 422 message if bad."""
    raw = query.get("workspace_id", "")
    if raw == "":
        errors.add("workspace_id", "The workspace id field is required.")
        return None
    value = parse_digits(raw)
    if value is None:
        errors.add("workspace_id", "The workspace id field must be an integer.")
        return None
    if value < 1:
        errors.add("workspace_id", "The workspace id field must be at least 1.")
        return None
    return value


def workspace_id_from_body(body: Mapping[str, Any], errors: FieldErrors) -> int | None:
    """Read ``workspace_id`` from the JSON body (variant B writes); record a 422 message if bad."""
    value = body.get("workspace_id")
    if value is None or value == "":
        errors.add("workspace_id", "The workspace id field is required.")
        return None
    if not is_int(value):
        errors.add("workspace_id", "The workspace id field must be an integer.")
        return None
    if value < 1:
        errors.add("workspace_id", "The workspace id field must be at least 1.")
        return None
    result: int = value
    return result


def require_workspace(state: FakeState, workspace_id: int | None, caller: Caller) -> Row:
    """Look the workspace up: unknown (or not one ``caller``'s token sees) -> 404, caller not
    Owner/Executive manager -> 403.

    Call with ``state.lock`` held, after :meth:`FieldErrors.raise_if_any`.
    """
    if workspace_id is None:  # pragma: no cover - callers validate first
        raise validation_error({"workspace_id": ["The workspace id field is required."]})
    row = state.workspaces.get(workspace_id)
    if row is None or not caller.sees(workspace_id):
        raise ApiError(404, "Workspace not found", error=f"No workspace with id {workspace_id}")
    if row.data["role"] not in API_ROLES:
        raise ApiError(
            403,
            "You do not have permission to access this workspace",
            error="The API is limited to workspace owners and executive managers",
        )
    return row


# --- pagination --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A validated ``page``/``per_page`` request."""

    page: int = 1
    per_page: int = SERVICE_DEFAULT_PER_PAGE


def page_params(
    query: Mapping[str, str],
    errors: FieldErrors,
    default: int = SERVICE_DEFAULT_PER_PAGE,
    most: int = MAX_PER_PAGE,
) -> Page:
    """Validate ``page`` (>= 1) and ``per_page`` (1..``most``, default 100; ``default`` 20)
    from the query string."""
    page = _bounded_int(query, "page", 1, None, 1, errors)
    per_page = _bounded_int(query, "per_page", MIN_PER_PAGE, most, default, errors)
    return Page(page=page, per_page=per_page)


def _bounded_int(
    query: Mapping[str, str],
    field: str,
    low: int,
    high: int | None,
    default: int,
    errors: FieldErrors,
) -> int:
    raw = query.get(field, "")
    if raw == "":
        return default
    value = parse_digits(raw)
    if value is None:
        errors.add(field, f"The {label(field)} field must be an integer.")
        return default
    if high is not None and not low <= value <= high:
        errors.add(field, f"The {label(field)} field must be between {low} and {high}.")
        return default
    if value < low:
        errors.add(field, f"The {label(field)} field must be at least {low}.")
        return default
    return value


def paginate(items: Sequence[_T], page: Page) -> tuple[list[_T], dict[str, Any]]:
    """Slice ``items`` for ``page`` and compute ``meta.pagination`` (Laravel paginator math)."""
    total = len(items)
    start = (page.page - 1) * page.per_page
    chunk = list(items[start : start + page.per_page])
    pagination = {
        "total": total,
        "per_page": page.per_page,
        "current_page": page.page,
        "last_page": max(1, math.ceil(total / page.per_page)),
        "from": start + 1 if chunk else None,
        "to": start + len(chunk) if chunk else None,
    }
    return chunk, pagination


def paginated(request: web.Request, items: Sequence[Any], page: Page, message: str) -> web.Response:
    """Success envelope for one page of ``items`` with ``meta.pagination``."""
    chunk, pagination = paginate(items, page)
    return success(request, chunk, message, pagination=pagination)
