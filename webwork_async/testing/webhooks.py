"""Webhooks API group of the fake server (reference §3.7, §4.7).

Routes: ``GET/POST /webhooks`` and ``PUT/DELETE /webhooks/{webhookId}``; there is no GET of one
webhook (not documented in V2: that path answers 405). Webhook ids are opaque strings, their
``token`` ("whsec_...") a secret: never logged, never in a repr. Lists have 50 rows a page by
default. Create answers 200 (documented). DELETE removes the webhook from every route.

Also holds :func:`insert_webhook`, the lenient builder behind ``FakeWebWork.add_webhook``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web

from ._endpoint import Call, Routes
from ._fields import Spec, items, one_of, web_url
from ._rows import Builder, picker, soft_delete
from ._state import FakeState, Row

WEBHOOK_KIND: Final = "webhook"
WEBHOOK_FIELDS: Final = ("id", "url", "events", "token")
#: Events a webhook may subscribe to (the ten of the A-variant page, §4.7).
WEBHOOK_EVENTS: Final = (
    "tracker.started",
    "tracker.stopped",
    "member.invited",
    "member.updated",
    "member.deleted",
    "member.activated",
    "member.archived",
    "project.created",
    "project.updated",
    "project.deleted",
)
#: Default page size of GET /webhooks (documented: 50 rows a page).
WEBHOOKS_PER_PAGE: Final = 50
_EVENTS: Final = items(one_of(WEBHOOK_EVENTS), min_items=1)
_CREATE: Final = {"url": Spec(web_url(), required=True), "events": Spec(_EVENTS, required=True)}
_UPDATE: Final = {"url": Spec(web_url(), required=True), "events": Spec(_EVENTS)}


def _new_token() -> str:
    return "whsec_" + secrets.token_hex(16)


def _defaults(_workspace: Row, _now: str) -> dict[str, Any]:
    return {"id": "", "url": "", "events": [], "token": _new_token(), "deleted_at": None}


_BUILDER: Final = Builder(
    "Webhook",
    WEBHOOK_FIELDS,
    _defaults,
    lambda state: state.webhooks,
    WEBHOOK_KIND,
    lambda: secrets.token_hex(6),
)


def insert_webhook(
    state: FakeState, workspace_id: int, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Store a webhook of ``workspace_id`` from Webhook ``fields``; return the stored dict.

    ``id`` (a non-empty string) and ``token`` are random unless given; ``url`` and ``events``
    are stored as given. No API validation. Raises ``KeyError`` for an unknown workspace,
    ``TypeError`` for another field and ``ValueError`` for a taken id.
    """
    return _BUILDER.insert(state, workspace_id, fields)


#: The Webhook object of a stored row (token included).
render: Final = picker(WEBHOOK_FIELDS)


def list_stored(state: FakeState, workspace_id: int) -> list[dict[str, Any]]:
    """Webhook objects of ``workspace_id`` in creation order (new dicts; hold ``state.lock``)."""
    return _BUILDER.listed(state, workspace_id, render)


def _live_webhook(call: Call) -> Row:
    """The webhook the path names, if it is the workspace's, else 404 "Webhook not found"."""
    return _BUILDER.live(call, "webhook_id")


# --- handlers ----------------------------------------------------------------------------------

ROUTES: Final = Routes("/webhooks")


@ROUTES.get(paged=True, per_page=WEBHOOKS_PER_PAGE)
def list_webhooks(call: Call) -> web.Response:
    """GET /webhooks: the workspace's webhooks, 50 a page by default."""
    return call.listing(
        list_stored(call.state, call.workspace_id), "Webhooks retrieved successfully"
    )


@ROUTES.post(fields=_CREATE)
def create_webhook(call: Call) -> web.Response:
    """POST /webhooks: register ``url`` for ``events``; 200 with the webhook and its token."""
    stored = insert_webhook(call.state, call.workspace_id, call.values)
    return call.ok(
        render(call.state, Row(call.workspace_id, stored)), "Webhook created successfully"
    )


@ROUTES.put("/{webhook_id}", fields=_UPDATE)
def update_webhook(call: Call) -> web.Response:
    """PUT /webhooks/{webhookId}: a new ``url`` (required) and, if given, ``events``."""
    row = _live_webhook(call)
    row.data.update(call.values)
    return call.ok(render(call.state, row), "Webhook updated successfully")


@ROUTES.delete("/{webhook_id}")
def delete_webhook(call: Call) -> web.Response:
    """DELETE /webhooks/{webhookId} with body ``workspace_id``: remove the webhook."""
    soft_delete(_live_webhook(call), call.now())
    return call.ok(None, "Webhook deleted successfully")


def add_routes(app: web.Application) -> None:
    """Register this group's routes on ``app``."""
    ROUTES.add_to(app)
