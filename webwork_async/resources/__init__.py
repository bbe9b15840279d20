"""Resources, one module per API group; each is a thin layer over the request core."""

from webwork_async.resources.projects import ProjectsResource
from webwork_async.resources.workspaces import WorkspacesResource

__all__ = ["ProjectsResource", "WorkspacesResource"]
