"""Pydantic v2 models of a projects page, as a typical httpx + pydantic user would write them."""

from __future__ import annotations

import datetime

from pydantic import BaseModel, Field


class Tag(BaseModel):
    id: int
    name: str | None = None
    color: str | None = None


class Project(BaseModel):
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
    tags: list[Tag] = Field(default_factory=list)
    contracts_count: int | None = None
    status: int | str | None = None
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
    deleted_at: datetime.datetime | None = None


class Pagination(BaseModel):
    current_page: int
    per_page: int
    total: int
    last_page: int
    from_: int | None = Field(default=None, alias="from")
    to: int | None = None


class Meta(BaseModel):
    api_version: str
    timestamp: str
    pagination: Pagination


class ProjectsPage(BaseModel):
    success: bool
    message: str | None = None
    data: list[Project]
    meta: Meta
