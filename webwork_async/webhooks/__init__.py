"""Receiving WebWork webhooks: verify a delivery, then decode it into a typed event.

A layer over the client: it uses the library's public surface only, and the core never imports
it. The two steps are pure functions of a delivery's headers and raw body, so any web framework
can call them::

    verifier = StandardWebhooksVerifier(webhook.token)

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            verifier.verify(request.headers, body)
        except WebhookSignatureError:
            return web.Response(status=401)
        event = decode_event(body)
        ...

A decoded event is a snapshot, and a tracker event only ids: ``await event.fetch(ww)`` reads the
project, member, running tracker or day's time entries it is about, as they are now.

For a bot, :func:`webhook_handler` (aiohttp.web) and :func:`asgi_webhook_app` (FastAPI,
Starlette) do all of it and more: each delivery is verified, written to a
:class:`DeliveryStore` (a SQLite file by default) before it is answered 202, deduplicated by its
``webhook-id``, and handed to the bot's callback in order, again after a crash or a raise, until
the callback finishes::

    handler = webhook_handler(on_event, verifier=StandardWebhooksVerifier(webhook.token))
    app.router.add_post("/webhooks", handler)
    handler.attach(app)

What WebWork documents: the event names and that a webhook's ``token`` authenticates its
deliveries. What is **inferred**, and so replaceable: how a delivery is signed (the Standard
Webhooks scheme; pass any :class:`Verifier`) and the shape of its body (``type``, ``timestamp``,
``workspace_id``, ``data``; a body of another shape arrives as :class:`UnknownEvent`, never lost).
"""

from webwork_async.webhooks._errors import (
    SignatureFailure,
    WebhookPayloadError,
    WebhookSignatureError,
)
from webwork_async.webhooks._events import (
    Event,
    KnownEvent,
    MemberActivated,
    MemberArchived,
    MemberData,
    MemberDeleted,
    MemberEvent,
    MemberInvited,
    MemberUpdated,
    ProjectCreated,
    ProjectData,
    ProjectDeleted,
    ProjectEvent,
    ProjectUpdated,
    TrackerStarted,
    TrackerStartedData,
    TrackerStopped,
    TrackerStoppedData,
    UnknownEvent,
    decode_event,
)
from webwork_async.webhooks._handler import (
    AsgiWebhookApp,
    WebhookCallback,
    WebhookHandler,
    asgi_webhook_app,
    current_delivery,
    webhook_handler,
)
from webwork_async.webhooks._store import (
    Delivery,
    DeliveryStore,
    MemoryDeliveryStore,
    SQLiteDeliveryStore,
)
from webwork_async.webhooks._verify import StandardWebhooksVerifier, Verifier, sign

__all__ = [
    "AsgiWebhookApp",
    "Delivery",
    "DeliveryStore",
    "Event",
    "KnownEvent",
    "MemberActivated",
    "MemberArchived",
    "MemberData",
    "MemberDeleted",
    "MemberEvent",
    "MemberInvited",
    "MemberUpdated",
    "MemoryDeliveryStore",
    "ProjectCreated",
    "ProjectData",
    "ProjectDeleted",
    "ProjectEvent",
    "ProjectUpdated",
    "SQLiteDeliveryStore",
    "SignatureFailure",
    "StandardWebhooksVerifier",
    "TrackerStarted",
    "TrackerStartedData",
    "TrackerStopped",
    "TrackerStoppedData",
    "UnknownEvent",
    "Verifier",
    "WebhookCallback",
    "WebhookHandler",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "asgi_webhook_app",
    "current_delivery",
    "decode_event",
    "sign",
    "webhook_handler",
]
