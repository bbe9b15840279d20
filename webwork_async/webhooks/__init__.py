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
from webwork_async.webhooks._verify import StandardWebhooksVerifier, Verifier, sign

__all__ = [
    "Event",
    "KnownEvent",
    "MemberActivated",
    "MemberArchived",
    "MemberData",
    "MemberDeleted",
    "MemberEvent",
    "MemberInvited",
    "MemberUpdated",
    "ProjectCreated",
    "ProjectData",
    "ProjectDeleted",
    "ProjectEvent",
    "ProjectUpdated",
    "SignatureFailure",
    "StandardWebhooksVerifier",
    "TrackerStarted",
    "TrackerStartedData",
    "TrackerStopped",
    "TrackerStoppedData",
    "UnknownEvent",
    "Verifier",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "decode_event",
    "sign",
]
