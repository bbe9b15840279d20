"""Resources, one module per API group; each is a thin layer over the request core."""

from webwork_async.resources.contracts import ContractsResource
from webwork_async.resources.expenses import ExpensesResource
from webwork_async.resources.leaves import LeavesResource
from webwork_async.resources.members import MembersResource
from webwork_async.resources.project_viewers import ProjectViewersResource
from webwork_async.resources.projects import ProjectsResource
from webwork_async.resources.reports import ReportsResource
from webwork_async.resources.tasks import TasksResource
from webwork_async.resources.time_entries import TimeEntriesResource
from webwork_async.resources.time_requests import TimeRequestsResource
from webwork_async.resources.time_tracking import TimeTrackingResource
from webwork_async.resources.timesheets import TimesheetsResource
from webwork_async.resources.webhooks import WebhooksResource
from webwork_async.resources.workspaces import WorkspacesResource

__all__ = [
    "ContractsResource",
    "ExpensesResource",
    "LeavesResource",
    "MembersResource",
    "ProjectViewersResource",
    "ProjectsResource",
    "ReportsResource",
    "TasksResource",
    "TimeEntriesResource",
    "TimeRequestsResource",
    "TimeTrackingResource",
    "TimesheetsResource",
    "WebhooksResource",
    "WorkspacesResource",
]
