"""The Workspaces group: ``/workspaces`` (reference §4.1), the source of every ``workspace_id``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator
from webwork_async.models.workspaces import Workspace
from webwork_async.resources._base import Resource
from webwork_async.resources._operations import Operation

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["WorkspacesResource"]

_LIST = Operation[Workspace]("GET", "workspaces", Workspace, required=frozenset())


class WorkspacesResource(Resource):
    """``ww.workspaces``: the workspaces the token's user belongs to."""

    def list(
        self,
        *,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Workspace]:
        """Active workspaces of the caller: await for one page, ``async for`` for all of them."""
        return self._list(_LIST, locals())
