"""Models of the Timesheets group (reference-time §3)."""

from __future__ import annotations

import datetime
import enum

from webwork_async.models._base import Model

__all__ = ["Timesheet", "TimesheetDay", "TimesheetStatus"]


class TimesheetStatus(str, enum.Enum):
    """Where a timesheet stands: ``open`` (``pending`` in the older docs), ``submitted``, then
    ``approved`` or ``rejected`` (a rejected one can be submitted again)."""

    OPEN = "open"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    PENDING = "pending"


class TimesheetDay(Model):
    """One project's minutes on one day of a timesheet (``Timesheet.daily_breakdown``)."""

    project_id: int | None = None
    project_name: str | None = None
    contract_id: int | None = None
    total_minutes: int | None = None
    total_amount: float | None = None


class Timesheet(Model):
    """A member's timesheet for one pay period (``date_from`` to ``date_to``, inclusive).

    The newer docs give ``total_hours``; the older ones ``total_minutes``, ``member`` (the
    member's name), ``daily_breakdown`` (keyed by ``YYYY-MM-DD``) and ``total_amount`` (only for
    callers who may see rates). ``status`` keeps any string the service sends.
    """

    id: str
    status: str | None = None
    user_id: int | None = None
    member: str | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    total_hours: float | None = None
    total_minutes: int | None = None
    total_amount: float | None = None
    submitted_on: datetime.datetime | None = None
    reject_reason: str | None = None
    daily_breakdown: dict[str, list[TimesheetDay]] | None = None
