"""The Webhooks group: ``/webhooks`` (reference §4.7). Webhook ids are opaque strings.

``GET /webhooks/{id}`` is not documented for API v2 (only for the old v1 API), so there is no
``get``: find a webhook in :meth:`WebhooksResource.list`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING

from webwork_async._bulk import WorkspaceResult
from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator
from webwork_async._progress import ProgressCallback
from webwork_async.models.webhooks import Webhook, WebhookEvent
from webwork_async.resources._base import Resource
from webwork_async.resources._operations import Operation

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["WebhooksResource"]

Event = WebhookEvent | str

_WITH_URL = frozenset({"workspace_id", "url"})
_LIST = Operation[Webhook]("GET", "webhooks", Webhook)
_CREATE = Operation[Webhook]("POST", "webhooks", Webhook, _WITH_URL | {"events"})
_UPDATE = Operation[None]("PUT", "webhooks/{webhook_id}", None, _WITH_URL)
_DELETE = Operation[None]("DELETE", "webhooks/{webhook_id}")


class WebhooksResource(Resource):
    """``ww.webhooks``: list, register, change and delete webhooks.

    Events are the :class:`~webwork_async.models.WebhookEvent` values. A webhook's ``token``
    authenticates its deliveries: keep it secret (its ``repr`` hides it).
    """

    def list(
        self,
        *,
        workspace_id: int,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Webhook]:
        """Webhooks of a workspace (50 a page by the service's default): await for one page,
        ``async for`` for all of them."""
        return self._list(_LIST, locals())

    def list_many(
        self,
        workspace_ids: Iterable[int],
        *,
        per_page: int | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[Webhook], None]:
        """Every webhook of each workspace, yielded per workspace as it completes (like
        :meth:`ProjectsResource.list_many <webwork_async.resources.ProjectsResource.list_many>`)."""
        return self._list_many(_LIST, locals())

    async def create(
        self,
        *,
        workspace_id: int,
        url: str,
        events: Iterable[Event],
        **options: Unpack[CallOptions],
    ) -> Webhook:
        """Register ``url`` (http or https) for ``events``; the answer carries the webhook's id
        and its ``token``. Never sent twice."""
        return await self._run(_CREATE, locals())

    async def update(
        self,
        webhook_id: str,
        *,
        workspace_id: int,
        url: str,
        events: Iterable[Event] | None = None,
        **options: Unpack[CallOptions],
    ) -> None:
        """Change a webhook's ``url`` (always sent, as the service requires) and, if given,
        its ``events``."""
        await self._run(_UPDATE, locals())

    async def delete(
        self, webhook_id: str, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> None:
        """Delete a webhook."""
        await self._run(_DELETE, locals())
