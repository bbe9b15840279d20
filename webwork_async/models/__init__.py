"""Response models, one module per API group, decoded straight from JSON by msgspec."""

from webwork_async.models._base import Pagination
from webwork_async.models.projects import Project, ProjectTag
from webwork_async.models.workspaces import Workspace

__all__ = ["Pagination", "Project", "ProjectTag", "Workspace"]
