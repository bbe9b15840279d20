"""Realistic ``data`` of each webhook event, for test events sent by hand: what
``FakeWebWork.deliver`` sends without ``data`` and ``webwork-fake trigger`` always sends.

Each is the object the fake itself would deliver for that event (a Project, a Member, the
tracker's fields), with made-up values.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from . import members, projects, time_tracking
from ._rows import fresh
from ._state import CALLER_USER_ID, format_date, format_timestamp
from .webhooks import WEBHOOK_EVENTS

__all__ = ["sample_data"]

_PROJECT: Final = {
    "id": 1001, "name": "Marketing Campaign Q1", "owner_id": CALLER_USER_ID,
    "estimation": 120, "budget_estimation": 5000, "notes": "Launch of the spring campaign",
    "is_billable": True, "rate": 0, "weekly_hours_limit": 168, "screenshots": "blur",
    "tags": [], "contracts_count": 1, "status": 1,
}  # fmt: skip
_MEMBER: Final = {
    "id": 101, "email": "ann.lee@example.com", "firstname": "Ann", "lastname": "Lee",
    "current_role": "Regular User", "timezone": "UTC", "status": "active", "rate_status": 0,
    "weekly_hours_limit": 168,
}  # fmt: skip
_TRACKER: Final = {
    "user_id": 101, "contract_id": 501, "project_id": 1001, "task_id": None,
    "activity_description": "Drafting the campaign brief",
}  # fmt: skip


def sample_data(event_type: str, now: datetime) -> dict[str, Any]:
    """The ``data`` of a made-up ``event_type`` event happening at ``now``.

    Raises ``ValueError`` for an event the fake does not know.
    """
    group, _, action = event_type.partition(".")
    if event_type not in WEBHOOK_EVENTS:
        known = ", ".join(WEBHOOK_EVENTS)
        raise ValueError(f"unknown event {event_type!r}; expected one of {known}")
    stamp = format_timestamp(now)
    if group == "project":
        data = fresh(projects.PROJECT_FIELDS, stamp, _PROJECT)
        data["start_date"] = format_date(now.date())
        data["deadline"] = format_date(now.date() + timedelta(days=90))
        if action == "deleted":
            data["deleted_at"] = stamp
        return data
    if group == "member":
        data = fresh(members.MEMBER_FIELDS, stamp, _MEMBER)
        if action == "invited":
            data["status"] = "inactive"
        return data
    started = format_timestamp(now - timedelta(minutes=25) if action == "stopped" else now)
    data = {**dict.fromkeys(time_tracking.TRACKER_FIELDS), **_TRACKER, "start_time": started}
    if action == "stopped":
        data["stopped_at"] = stamp
    return data
