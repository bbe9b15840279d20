"""The Contracts group: ``/contracts`` (reference §4.4): one member on one project."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING

from msgspec import UNSET, UnsetType

from webwork_async._bulk import WorkspaceResult
from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator
from webwork_async._progress import ProgressCallback
from webwork_async.models.contracts import Contract, ContractStatus, ScreenshotMode
from webwork_async.resources._base import Resource
from webwork_async.resources._operations import CONTRACT_STATUS, Operation

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ContractsResource"]

Number = int | float
Status = ContractStatus | str
Screenshots = ScreenshotMode | str

_LIST = Operation[Contract]("GET", "contracts", Contract, checks=CONTRACT_STATUS)
_GET = Operation[Contract]("GET", "contracts/{contract_id}", Contract)
_CREATE = Operation[Contract](
    "POST", "contracts", Contract, frozenset({"workspace_id", "project_id", "user_id"})
)
_UPDATE = Operation[Contract](
    "PUT", "contracts/{contract_id}", Contract, checks=CONTRACT_STATUS, partial=True
)
_DELETE = Operation[None]("DELETE", "contracts/{contract_id}")


class ContractsResource(Resource):
    """``ww.contracts``: list, get, create, update and delete contracts.

    Rates are hourly and visible only to callers allowed to see rates, on billable projects; a
    rate sent without that permission is ignored by the service.
    """

    def list(
        self,
        *,
        workspace_id: int,
        project_id: int | None = None,
        user_id: int | None = None,
        status: Status | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Contract]:
        """Contracts of a workspace, optionally of one project, one member or one ``status``
        (``"active"``/``"paused"``): await for one page, ``async for`` for all of them."""
        return self._list(_LIST, locals())

    def list_many(
        self,
        workspace_ids: Iterable[int],
        *,
        project_id: int | None = None,
        user_id: int | None = None,
        status: Status | None = None,
        per_page: int | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[Contract], None]:
        """Every contract of each workspace, yielded per workspace as it completes (like
        :meth:`ProjectsResource.list_many <webwork_async.resources.ProjectsResource.list_many>`)."""
        return self._list_many(_LIST, locals())

    async def get(
        self, contract_id: int, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> Contract:
        """One contract; :class:`~webwork_async.errors.NotFoundError` if not in the workspace."""
        return await self._run(_GET, locals())

    async def create(
        self,
        *,
        workspace_id: int,
        project_id: int,
        user_id: int,
        weekly_hours_limit: int | None = None,
        screenshots: Screenshots | None = None,
        rate: Number | None = None,
        **options: Unpack[CallOptions],
    ) -> Contract:
        """Put member ``user_id`` on project ``project_id`` (owners and executive managers).

        ``weekly_hours_limit`` is 0 to 168 hours (the service's default 168); ``screenshots`` one
        of the :class:`~webwork_async.models.ScreenshotMode` values. Never sent twice.
        """
        return await self._run(_CREATE, locals())

    async def update(
        self,
        contract_id: int,
        *,
        workspace_id: int,
        weekly_hours_limit: int | UnsetType = UNSET,
        screenshots: Screenshots | UnsetType = UNSET,
        rate: Number | UnsetType | None = UNSET,
        status: Status | UnsetType = UNSET,
        **options: Unpack[CallOptions],
    ) -> Contract:
        """Change the given fields only; ``status`` pauses (``"paused"``) or resumes a contract."""
        return await self._run(_UPDATE, locals())

    async def delete(
        self, contract_id: int, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> None:
        """Delete a contract (a soft delete on the service's side)."""
        await self._run(_DELETE, locals())
