"""Resources, one module per API group; each is a thin layer over the request core."""

from webwork_async.resources.contracts import ContractsResource
from webwork_async.resources.members import MembersResource
from webwork_async.resources.project_viewers import ProjectViewersResource
from webwork_async.resources.projects import ProjectsResource
from webwork_async.resources.tasks import TasksResource
from webwork_async.resources.time_requests import TimeRequestsResource
from webwork_async.resources.time_tracking import TimeTrackingResource
from webwork_async.resources.timesheets import TimesheetsResource
from webwork_async.resources.webhooks import WebhooksResource
from webwork_async.resources.workspaces import WorkspacesResource

__all__ = [
    "ContractsResource",
    "MembersResource",
    "ProjectViewersResource",
    "ProjectsResource",
    "TasksResource",
    "TimeRequestsResource",
    "TimeTrackingResource",
    "TimesheetsResource",
    "WebhooksResource",
    "WorkspacesResource",
]
