"""Models of the Time Tracking group (reference-time §1): the answers of start, stop and the
running tracker's live data."""

from __future__ import annotations

import datetime

from webwork_async.models._base import Model

__all__ = ["CurrentTracker", "TrackingStart", "TrackingStop"]


class TrackingStart(Model):
    """What ``time_tracking.start`` answers: when the tracker started, on which contract.

    ``project_id`` is the contract's project. ``user_id``, ``user_name``, ``user_email`` and
    ``project_name`` appear only in the oldest snapshot of the docs.
    """

    start_time: datetime.datetime | None = None
    contract_id: int | None = None
    project_id: int | None = None
    task_id: int | None = None
    activity_description: str | None = None
    message: str | None = None
    user_id: int | None = None
    user_name: str | None = None
    user_email: str | None = None
    project_name: str | None = None


class TrackingStop(Model):
    """What ``time_tracking.stop`` answers: when the tracker stopped."""

    stopped_at: datetime.datetime | None = None
    message: str | None = None


class CurrentTracker(Model):
    """The live data of a member's running tracker (only for trackers started from the API or a
    browser).

    ``total_minutes`` counts that day's timeline entries plus the running tracker;
    ``total_seconds`` is what is left over after the whole minutes.
    """

    user_id: int | None = None
    contract_id: int | None = None
    task_id: int | None = None
    task_title: str | None = None
    activity_description: str | None = None
    total_seconds: int | None = None
    total_minutes: int | None = None
    date: datetime.date | None = None
