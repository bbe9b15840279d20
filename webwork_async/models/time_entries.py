"""Models of the Time Entries group (reference-time §2; the older docs only)."""

from __future__ import annotations

import datetime

from webwork_async.models._base import Model

__all__ = ["TimeEntry", "TimeEntrySaved"]


class TimeEntry(Model):
    """One stretch of a member's timeline: from ``start_time`` to ``end_time`` (None while it
    runs), ``duration_minutes`` long.

    ``method`` is the tracking source as the service labels it ("Desktop tracker", "Manually
    added time", "Paid leave" ...).
    """

    id: str
    user_id: int | None = None
    contract_id: int | None = None
    project_id: int | None = None
    project_name: str | None = None
    task_id: int | None = None
    task_title: str | None = None
    activity_description: str | None = None
    method: str | None = None
    date: datetime.date | None = None
    start_time: datetime.datetime | None = None
    end_time: datetime.datetime | None = None
    duration_minutes: int | None = None


class TimeEntrySaved(Model):
    """What adding a time entry answers: the entry and the minutes actually saved.

    The service checks a new entry against the member's and the contract's limits and may save
    only part of an overlapping one: ``saved_minutes`` can be less than asked, and ``message``
    then says why. ``entry`` is None when the service sends no object.
    """

    saved_minutes: int | None = None
    message: str | None = None
    entry: TimeEntry | None = None
