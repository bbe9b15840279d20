"""Models of the Workspaces group (reference §3.1)."""

from __future__ import annotations

import datetime

from webwork_async.models._base import Model

__all__ = ["Workspace"]


class Workspace(Model):
    """A workspace the token's user belongs to; its ``id`` is the ``workspace_id`` elsewhere.

    ``role`` is the caller's role in it: only ``Owner`` and ``Executive manager`` may use the rest
    of the API there.
    """

    id: int
    workspace_name: str | None = None
    owner_id: int | None = None
    user_id: int | None = None
    role: str | None = None
    status: str | None = None
    created_at: datetime.datetime | None = None
    activated_at: datetime.datetime | None = None
