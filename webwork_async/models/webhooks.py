"""Models of the Webhooks group (reference §3.7, §4.7)."""

from __future__ import annotations

import enum

import msgspec

from webwork_async.models._base import Model

__all__ = ["Webhook", "WebhookEvent"]


class WebhookEvent(str, enum.Enum):
    """Events a webhook can subscribe to (variant A lists these ten; B shows the first two)."""

    TRACKER_STARTED = "tracker.started"
    TRACKER_STOPPED = "tracker.stopped"
    MEMBER_INVITED = "member.invited"
    MEMBER_UPDATED = "member.updated"
    MEMBER_DELETED = "member.deleted"
    MEMBER_ACTIVATED = "member.activated"
    MEMBER_ARCHIVED = "member.archived"
    PROJECT_CREATED = "project.created"
    PROJECT_UPDATED = "project.updated"
    PROJECT_DELETED = "project.deleted"


class Webhook(Model):
    """A registered webhook. ``id`` is an opaque string.

    ``token`` is the secret that authenticates deliveries: the ``repr`` never shows it.
    """

    id: str
    url: str | None = None
    events: list[str] = msgspec.field(default_factory=list)
    token: str | None = None

    def __repr__(self) -> str:
        token = None if self.token is None else "***"
        return f"Webhook(id={self.id!r}, url={self.url!r}, events={self.events!r}, token={token!r})"
