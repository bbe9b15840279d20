"""The floor's models: the fields of ``webwork_async.Project`` on ``gc=False`` Structs.

Strict decoding, no envelope checks, no error mapping: the least work that still turns every
answer into typed objects.
"""

from __future__ import annotations

import datetime

import msgspec


class Tag(msgspec.Struct, gc=False):
    id: int
    name: str | None = None
    color: str | None = None


class Project(msgspec.Struct, gc=False):
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
    tags: list[Tag] = msgspec.field(default_factory=list)
    contracts_count: int | None = None
    status: int | str | None = None
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
    deleted_at: datetime.datetime | None = None


class Pagination(msgspec.Struct, gc=False):
    last_page: int


class Meta(msgspec.Struct, gc=False):
    pagination: Pagination


class ProjectsPage(msgspec.Struct, gc=False):
    data: list[Project]
    meta: Meta


decoder = msgspec.json.Decoder(ProjectsPage)
