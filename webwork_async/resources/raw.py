"""Any path of the API, for what the typed groups do not cover (yet): ``ww.request`` and
``ww.paginate``, with the same core, retries, rate limit and error types as every group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from webwork_async import _validation as check
from webwork_async._constants import ITER_PER_PAGE
from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator
from webwork_async.errors import InvalidArgumentError
from webwork_async.resources._base import Resource, _options

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["RawResource"]

_METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})


def api_path(path: object) -> str:
    """A path below the API root (``projects``, ``/tasks/5``): no scheme, host, query or ``..``,
    so a request never leaves the base URL the session was given."""
    text = check.non_empty_text("path", path).strip().lstrip("/")
    if "://" in text or text.startswith("/") or any(c in text for c in "?#\\"):
        raise InvalidArgumentError("path", f"must be a path below the API root, got {text!r}")
    if ".." in text.split("/") or "." in text.split("/"):
        raise InvalidArgumentError("path", f"must not step out of the API root, got {text!r}")
    return text


class RawResource(Resource):
    """Requests by method and path, answered as plain JSON values (dicts, lists, numbers)."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        body: Mapping[str, object] | None = None,
        **options: Unpack[CallOptions],
    ) -> Any:
        """Send ``method path`` and return the answer's ``data``; a GET and a DELETE replayable
        as their method says, a POST never after it may have reached the service."""
        verb = method.upper() if isinstance(method, str) else method
        if verb not in _METHODS:
            allowed = ", ".join(sorted(_METHODS))
            raise InvalidArgumentError("method", f"must be one of {allowed}, got {method!r}")
        envelope = await self._core.request(
            verb,
            api_path(path),
            Any,
            params=params,
            body=body,
            settings=self._core.settings.apply(_options({"options": options})),
        )
        return envelope.data

    def paginate(
        self,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Any]:
        """Every item of a list at ``GET path``: await for one page, ``async for`` for all."""
        limit = check.page_size(per_page)
        return self._paginator(
            api_path(path),
            Any,
            dict(params or {}),
            self._core.settings.apply(_options({"options": options})),
            page=check.page_number(page),
            per_page=limit,
            walk_size=limit or ITER_PER_PAGE,
        )
