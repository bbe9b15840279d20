"""The Expenses group: ``/expenses`` (reference-time §6). Expense ids are opaque strings.

Deleting an expense and the expense categories are named in the docs without a page, so they
are not here; the update's body is inferred from the create's.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING

from msgspec import UNSET, UnsetType

from webwork_async._bulk import WorkspaceResult
from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator
from webwork_async._progress import ProgressCallback
from webwork_async.models.expenses import Expense
from webwork_async.resources._base import Resource
from webwork_async.resources._operations import CLEARABLE_IDS, Operation

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ExpensesResource"]

Day = datetime.date | str
Number = int | float

_LIST = Operation[Expense]("GET", "expenses", Expense)
_CREATE = Operation[Expense](
    "POST",
    "expenses",
    Expense,
    frozenset({"workspace_id", "expense_name", "date", "amount", "category_id"}),
)
_UPDATE = Operation[Expense | None](
    "PUT", "expenses/{expense_id}", Expense | None, checks=CLEARABLE_IDS, partial=True
)


class ExpensesResource(Resource):
    """``ww.expenses``: list, create and update expenses."""

    def list(
        self,
        *,
        workspace_id: int,
        id: str | None = None,
        date_from: Day | None = None,
        date_to: Day | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Expense]:
        """Expenses of a workspace, optionally within ``date_from``..``date_to``: await for one
        page, ``async for`` for all of them."""
        return self._list(_LIST, locals())

    def list_many(
        self,
        workspace_ids: Iterable[int],
        *,
        date_from: Day | None = None,
        date_to: Day | None = None,
        per_page: int | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[Expense], None]:
        """Every expense of each workspace, yielded per workspace as it completes (like
        :meth:`ProjectsResource.list_many <webwork_async.resources.ProjectsResource.list_many>`)."""
        return self._list_many(_LIST, locals())

    async def create(
        self,
        *,
        workspace_id: int,
        expense_name: str,
        date: Day,
        amount: Number,
        category_id: str,
        project_id: int | None = None,
        note: str | None = None,
        is_billable: bool | None = None,
        **options: Unpack[CallOptions],
    ) -> Expense:
        """Record an expense of ``amount`` on ``date`` in category ``category_id`` (a UUID), as
        the newer docs require. Never sent twice."""
        return await self._run(_CREATE, locals())

    async def update(
        self,
        expense_id: str,
        *,
        workspace_id: int,
        expense_name: str | UnsetType = UNSET,
        date: Day | UnsetType = UNSET,
        amount: Number | UnsetType = UNSET,
        category_id: str | UnsetType = UNSET,
        project_id: int | UnsetType | None = UNSET,
        note: str | UnsetType | None = UNSET,
        is_billable: bool | UnsetType = UNSET,
        **options: Unpack[CallOptions],
    ) -> Expense | None:
        """Change the given fields only (the fields of ``create``; inferred, the docs' page is
        cut). Gives the expense as it is now, when the service sends it."""
        return await self._run(_UPDATE, locals())
