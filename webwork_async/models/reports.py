"""Models of the Reports group (reference-time §7).

The docs give each report's parameters but cut or omit its answer: past the first fields, every
model here follows the reports' descriptions (minutes per day, user, project and contract;
time per task; activity per day) and is marked inferred in the README. Every field is optional,
so an answer shaped otherwise loses fields, not the report.
"""

from __future__ import annotations

import datetime
import enum
from typing import Any

import msgspec

from webwork_async.models._base import Model

__all__ = [
    "ActivityLevelUser",
    "AttendanceFilter",
    "AttendanceStatus",
    "AttendanceUser",
    "TaskReportUser",
    "TaskTime",
    "TimelineEntry",
    "TimelineUser",
    "TrackedHoursDay",
    "TrackedHoursReport",
    "TrackedHoursRow",
    "TrackedMinutes",
]


class TrackedMinutes(Model):
    """Minutes one user tracked on one project and contract on one day (all methods summed);
    ``total_amount`` by currency code, only for callers who may see rates."""

    user_id: int | None = None
    project_id: int | None = None
    contract_id: int | None = None
    total_minutes: int | None = None
    total_amount: dict[str, float] | None = None


class TrackedHoursDay(Model):
    """One day of the tracked-hours report."""

    users: list[TrackedMinutes] = msgspec.field(default_factory=list)


class TrackedHoursRow(Model):
    """One row of the tracked-hours report, flattened: a day, a user, a project, a contract.

    ``day`` is the report's key for the day as the service sent it; ``date`` is that key as a
    date, or None when it is not one (the row is kept rather than dropped).
    """

    day: str
    date: datetime.date | None = None
    user_id: int | None = None
    project_id: int | None = None
    contract_id: int | None = None
    total_minutes: int | None = None
    total_amount: dict[str, float] | None = None


def _date(key: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(key)
    except ValueError:
        return None


class TrackedHoursReport(Model):
    """Tracked minutes by day (``days``, keyed by ``YYYY-MM-DD``), then by user, project and
    contract. ``total`` is kept as the service sends it: the docs' example is cut there."""

    report_type: str | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    total: Any = None
    days: dict[str, TrackedHoursDay] = msgspec.field(default_factory=dict)

    def rows(self) -> list[TrackedHoursRow]:
        """Every (day, user, project, contract) of the report as one flat row, by day."""
        return [
            TrackedHoursRow(
                day=day,
                date=_date(day),
                user_id=minutes.user_id,
                project_id=minutes.project_id,
                contract_id=minutes.contract_id,
                total_minutes=minutes.total_minutes,
                total_amount=minutes.total_amount,
            )
            for day, report in sorted(self.days.items())
            for minutes in report.users
        ]


class TimelineEntry(Model):
    """One entry of a user's day in the daily timeline; times carry the workspace owner's
    offset."""

    start_time: datetime.datetime | None = None
    end_time: datetime.datetime | None = None
    duration_minutes: int | None = None
    project_id: int | None = None
    project_name: str | None = None
    task_id: int | None = None
    task_title: str | None = None
    activity_description: str | None = None
    method: str | None = None
    activity_level: float | None = None


class TimelineUser(Model):
    """One user's day in the daily-timeline report (paged by user).

    ``activity_level`` is a percentage from mouse, keyboard and scroll actions;
    ``total_amount`` and ``currency`` only for workspaces that show rates.
    """

    user_id: int
    user_name: str | None = None
    total_minutes: int | None = None
    activity_level: float | None = None
    total_amount: float | None = None
    currency: str | None = None
    entries: list[TimelineEntry] = msgspec.field(default_factory=list)


class AttendanceStatus(str, enum.Enum):
    """The statuses a user's day can carry in the attendance report (several at once)."""

    PRESENT = "Present"
    LATE = "Late"
    LEFT_EARLY = "Left early"
    TRACKED_LESS = "Tracked less"
    ABSENT = "Absent"
    ON_LEAVE = "On leave"
    HOLIDAY = "Holiday"


class AttendanceFilter(str, enum.Enum):
    """The values of the attendance report's ``status`` filter."""

    LATE = "late"
    LEFT_EARLY = "left_early"
    TRACKED_LESS = "tracked_less"
    ABSENT = "absent"
    ON_LEAVE = "on_leave"


class AttendanceUser(Model):
    """One user's day in the daily-attendance report (paged by user); durations in minutes,
    breaks as the service writes them (``"14:30 - 15:25"``)."""

    user_id: int
    user_name: str | None = None
    statuses: list[str] = msgspec.field(default_factory=list)
    tracked_minutes: int | None = None
    break_minutes: int | None = None
    breaks: list[str] = msgspec.field(default_factory=list)


class TaskTime(Model):
    """Minutes on one task (``task_id`` None for time tracked without a task)."""

    task_id: int | None = None
    task_title: str | None = None
    project_id: int | None = None
    project_name: str | None = None
    total_minutes: int | None = None


class TaskReportUser(Model):
    """One user's time per task over the report's range (``tasks_breakdown``), and per task
    per day (``daily_breakdown``, keyed by ``YYYY-MM-DD``)."""

    user_id: int
    user_name: str | None = None
    total_minutes: int | None = None
    tasks_breakdown: list[TaskTime] = msgspec.field(default_factory=list)
    daily_breakdown: dict[str, list[TaskTime]] = msgspec.field(default_factory=dict)


class ActivityLevelUser(Model):
    """One user's activity percentage per day (``days``, keyed by ``YYYY-MM-DD``) and over the
    whole range (``average``)."""

    user_id: int
    user_name: str | None = None
    average: float | None = None
    days: dict[str, float | None] = msgspec.field(default_factory=dict)
