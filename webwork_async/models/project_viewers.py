"""Models of the Project Viewers group (reference §3.6, §4.6)."""

from __future__ import annotations

import datetime

import msgspec

from webwork_async.models._base import Model

__all__ = ["ProjectViewer", "ViewerProject"]


class ViewerProject(Model):
    """A project a viewer may read."""

    project_id: int
    project_name: str | None = None


class ProjectViewer(Model):
    """A project viewer (a client): read-only access to the projects in ``projects``.

    ``id`` is the viewer's user id; ``status`` is ``active``, ``inactive`` or ``left`` (a plain
    string, so another value still decodes).
    """

    id: int
    email: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    status: str | None = None
    member_since: datetime.datetime | None = None
    projects: list[ViewerProject] = msgspec.field(default_factory=list)
