"""The Reports group: ``/reports/...`` (reference-time §7), for owners and executive managers.

Tracked hours answers one object (a month of minutes by day, user, project and contract); the
other four are lists paged by user, 30 users a page by default. Each has a bulk form over many
workspaces, one result per workspace, its rows typed. The answers' shapes past their first
fields are inferred (see :mod:`webwork_async.models.reports`). Ranges are checked before
sending: start on or before end, and at most 31 days where the docs say so.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING

from webwork_async._bulk import WorkspaceResult
from webwork_async._constants import REPORT_MAX_DAYS
from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator
from webwork_async._progress import ProgressCallback
from webwork_async.models.reports import (
    ActivityLevelUser,
    AttendanceFilter,
    AttendanceUser,
    TaskReportUser,
    TimelineUser,
    TrackedHoursReport,
    TrackedHoursRow,
)
from webwork_async.resources._base import Resource
from webwork_async.resources._operations import (
    ATTENDANCE_FILTER,
    TASK_REPORT_FILTERS,
    Operation,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ReportsResource"]

Day = datetime.date | str
Ids = Iterable[int]

_TRACKED_HOURS = Operation[TrackedHoursReport]("GET", "reports/tracked-hours", TrackedHoursReport)
#: With ``user_id`` the range is at most 31 days.
_TRACKED_HOURS_OF_ONE = Operation[TrackedHoursReport](
    "GET", "reports/tracked-hours", TrackedHoursReport, max_days=REPORT_MAX_DAYS
)
_OF_A_DAY = frozenset({"workspace_id", "date"})
_OF_A_RANGE = frozenset({"workspace_id", "start_date", "end_date"})
_TIMELINE = Operation[TimelineUser]("GET", "reports/daily-timeline", TimelineUser, _OF_A_DAY)
_ATTENDANCE = Operation[AttendanceUser](
    "GET", "reports/daily-attendance", AttendanceUser, _OF_A_DAY, ATTENDANCE_FILTER
)
_TASKS = Operation[TaskReportUser](
    "GET",
    "reports/task-report",
    TaskReportUser,
    _OF_A_RANGE,
    TASK_REPORT_FILTERS,
    max_days=REPORT_MAX_DAYS,
)
_ACTIVITY = Operation[ActivityLevelUser](
    "GET", "reports/activity-level", ActivityLevelUser, _OF_A_RANGE, max_days=REPORT_MAX_DAYS
)


def _tracked_hours(user_id: int | None) -> Operation[TrackedHoursReport]:
    return _TRACKED_HOURS if user_id is None else _TRACKED_HOURS_OF_ONE


def _rows(report: TrackedHoursReport | None) -> list[TrackedHoursRow]:
    return [] if report is None else report.rows()


class ReportsResource(Resource):
    """``ww.reports``: tracked hours, the daily timeline and attendance, time per task and
    activity levels."""

    async def tracked_hours(
        self,
        *,
        workspace_id: int,
        start_date: Day | None = None,
        end_date: Day | None = None,
        user_id: int | None = None,
        users: Ids | None = None,
        projects: Ids | None = None,
        teams: Ids | None = None,
        titles: Ids | None = None,
        currencies: Iterable[str] | None = None,
        **options: Unpack[CallOptions],
    ) -> TrackedHoursReport:
        """Tracked minutes from ``start_date`` to ``end_date`` (the service's default: this
        week) by day, user, project and contract; ``report.rows()`` flattens them.

        With ``user_id`` the range is 31 days at most. ``users``, ``projects``, ``teams`` and
        ``titles`` take ids (sent comma-separated); ``currencies`` codes, for callers who may
        see rates.
        """
        return await self._run(_tracked_hours(user_id), locals())

    def tracked_hours_many(
        self,
        workspace_ids: Iterable[int],
        *,
        start_date: Day | None = None,
        end_date: Day | None = None,
        user_id: int | None = None,
        users: Ids | None = None,
        projects: Ids | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[TrackedHoursRow], None]:
        """The tracked-hours report of each workspace as rows (a day, a user, a project, a
        contract), yielded per workspace as it completes, failures as results (like
        :meth:`ProjectsResource.list_many <webwork_async.resources.ProjectsResource.list_many>`).
        """
        return self._run_many(_tracked_hours(user_id), locals(), _rows)

    def daily_timeline(
        self,
        *,
        workspace_id: int,
        date: Day,
        user_ids: Ids | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[TimelineUser]:
        """Each user's entries on ``date`` (within a year of today), with activity levels;
        without ``user_ids``, every user who tracked that day. Paged by user."""
        return self._list(_TIMELINE, locals())

    def daily_timeline_many(
        self,
        workspace_ids: Iterable[int],
        *,
        date: Day,
        user_ids: Ids | None = None,
        per_page: int | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[TimelineUser], None]:
        """:meth:`daily_timeline` of each workspace, one result per workspace."""
        return self._list_many(_TIMELINE, locals())

    def daily_attendance(
        self,
        *,
        workspace_id: int,
        date: Day,
        users: Ids | None = None,
        status: Iterable[AttendanceFilter | str] | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[AttendanceUser]:
        """Each user's attendance on ``date`` (present, late, absent, on leave ...), durations in
        minutes; ``status`` keeps the users with any of those
        :class:`~webwork_async.models.AttendanceFilter` values. Paged by user."""
        return self._list(_ATTENDANCE, locals())

    def daily_attendance_many(
        self,
        workspace_ids: Iterable[int],
        *,
        date: Day,
        users: Ids | None = None,
        status: Iterable[AttendanceFilter | str] | None = None,
        per_page: int | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[AttendanceUser], None]:
        """:meth:`daily_attendance` of each workspace, one result per workspace."""
        return self._list_many(_ATTENDANCE, locals())

    def task_report(
        self,
        *,
        workspace_id: int,
        start_date: Day,
        end_date: Day,
        users: Ids | None = None,
        project_id: Ids | None = None,
        task_id: Ids | None = None,
        include_no_task: bool | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[TaskReportUser]:
        """Each user's time per task over ``start_date``..``end_date`` (31 days at most), in all
        and per day; ``project_id`` and ``task_id`` take several ids. Time without a task is
        included unless ``include_no_task=False``. Paged by user."""
        return self._list(_TASKS, locals())

    def task_report_many(
        self,
        workspace_ids: Iterable[int],
        *,
        start_date: Day,
        end_date: Day,
        users: Ids | None = None,
        include_no_task: bool | None = None,
        per_page: int | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[TaskReportUser], None]:
        """:meth:`task_report` of each workspace, one result per workspace."""
        return self._list_many(_TASKS, locals())

    def activity_level(
        self,
        *,
        workspace_id: int,
        start_date: Day,
        end_date: Day,
        contract_id: int | None = None,
        user_ids: Ids | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[ActivityLevelUser]:
        """Each user's activity percentage per day over ``start_date``..``end_date`` (31 days at
        most), optionally on one contract. Paged by user."""
        return self._list(_ACTIVITY, locals())

    def activity_level_many(
        self,
        workspace_ids: Iterable[int],
        *,
        start_date: Day,
        end_date: Day,
        user_ids: Ids | None = None,
        per_page: int | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[ActivityLevelUser], None]:
        """:meth:`activity_level` of each workspace, one result per workspace."""
        return self._list_many(_ACTIVITY, locals())
