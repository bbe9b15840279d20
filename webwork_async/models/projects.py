"""Models of the Projects group (reference §3.3)."""

from __future__ import annotations

import datetime

import msgspec

from webwork_async.models._base import Model

__all__ = ["Project", "ProjectTag"]


class ProjectTag(Model):
    """A tag attached to a project."""

    id: int
    name: str | None = None
    color: str | None = None


class Project(Model):
    """A WebWork project.

    ``budget_estimation`` is what the ``budget`` argument of create and update is stored as.
    Fields the reference marks as uncertain or read only from examples default to ``None``;
    ``status`` and ``screenshots`` keep whatever value the service sends, since their sets of
    values are not documented.
    """

    id: int
    name: str
    owner_id: int | None = None
    start_date: datetime.date | None = None
    deadline: datetime.date | None = None
    estimation: float | None = None
    budget_estimation: float | None = None
    notes: str | None = None
    icon: str | None = None
    is_billable: bool | None = None
    rate: float | None = None
    weekly_hours_limit: int | None = None
    screenshots: str | None = None
    tags: list[ProjectTag] = msgspec.field(default_factory=list)
    contracts_count: int | None = None
    status: int | str | None = None
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
    deleted_at: datetime.datetime | None = None
