"""Models of the Time Requests group (reference-time §4): requests for manual time."""

from __future__ import annotations

import datetime
import enum

from webwork_async.models._base import Model

__all__ = ["TimeRequest", "TimeRequestStatus"]


class TimeRequestStatus(str, enum.Enum):
    """A time request is ``pending`` until it is ``approved`` or ``rejected``, once."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class TimeRequest(Model):
    """A request to add time by hand, from ``start`` to ``end``.

    ``comment`` is the reason given on rejection; ``updated_by`` who approved or rejected it.
    The older docs answer a create with ``id`` and ``status`` only, and call the memo
    ``activity_description`` rather than ``notes``. ``status`` keeps any string the service
    sends.
    """

    id: str
    status: str | None = None
    user_id: int | None = None
    contract_id: int | None = None
    project_id: int | None = None
    task_id: int | None = None
    start: datetime.datetime | None = None
    end: datetime.datetime | None = None
    notes: str | None = None
    activity_description: str | None = None
    comment: str | None = None
    updated_by: int | None = None
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
