"""Response models, one module per API group, decoded straight from JSON by msgspec.

Enum-like fields (roles, statuses, priorities, events) are plain strings or ints, so a value the
service adds later still decodes; the enums here name the documented values and compare equal
to them.
"""

from webwork_async.models._base import Pagination
from webwork_async.models.contracts import Contract, ContractStatus, RateType, ScreenshotMode
from webwork_async.models.expenses import Expense, ExpenseType
from webwork_async.models.leaves import (
    Leave,
    LeaveBalance,
    LeavePeriod,
    LeaveStatus,
    LeaveTotal,
    LeaveTypeBalance,
)
from webwork_async.models.members import Invitation, Member, MemberRole, MemberStatus
from webwork_async.models.project_viewers import ProjectViewer, ViewerProject
from webwork_async.models.projects import Project, ProjectTag
from webwork_async.models.reports import (
    ActivityLevelUser,
    AttendanceFilter,
    AttendanceStatus,
    AttendanceUser,
    TaskReportUser,
    TaskTime,
    TimelineEntry,
    TimelineUser,
    TrackedHoursDay,
    TrackedHoursReport,
    TrackedHoursRow,
    TrackedMinutes,
)
from webwork_async.models.tasks import Task, TaskAssignee, TaskPriority, TaskStatus
from webwork_async.models.time_entries import TimeEntry, TimeEntrySaved
from webwork_async.models.time_requests import TimeRequest, TimeRequestStatus
from webwork_async.models.time_tracking import CurrentTracker, TrackingStart, TrackingStop
from webwork_async.models.timesheets import Timesheet, TimesheetDay, TimesheetStatus
from webwork_async.models.webhooks import Webhook, WebhookEvent
from webwork_async.models.workspaces import Workspace

__all__ = [
    "ActivityLevelUser",
    "AttendanceFilter",
    "AttendanceStatus",
    "AttendanceUser",
    "Contract",
    "ContractStatus",
    "CurrentTracker",
    "Expense",
    "ExpenseType",
    "Invitation",
    "Leave",
    "LeaveBalance",
    "LeavePeriod",
    "LeaveStatus",
    "LeaveTotal",
    "LeaveTypeBalance",
    "Member",
    "MemberRole",
    "MemberStatus",
    "Pagination",
    "Project",
    "ProjectTag",
    "ProjectViewer",
    "RateType",
    "ScreenshotMode",
    "Task",
    "TaskAssignee",
    "TaskPriority",
    "TaskReportUser",
    "TaskStatus",
    "TaskTime",
    "TimeEntry",
    "TimeEntrySaved",
    "TimeRequest",
    "TimeRequestStatus",
    "TimelineEntry",
    "TimelineUser",
    "Timesheet",
    "TimesheetDay",
    "TimesheetStatus",
    "TrackedHoursDay",
    "TrackedHoursReport",
    "TrackedHoursRow",
    "TrackedMinutes",
    "TrackingStart",
    "TrackingStop",
    "ViewerProject",
    "Webhook",
    "WebhookEvent",
    "Workspace",
]
