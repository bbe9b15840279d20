"""webwork-async: an asyncio-native client for the WebWork Tracker REST API v2.

Start with :class:`AsyncSession`; errors live in :mod:`webwork_async.errors`, models in
:mod:`webwork_async.models`, and a fake server for tests in :mod:`webwork_async.testing`.
"""

from webwork_async._bulk import WorkspaceResult
from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator, Page
from webwork_async._progress import JobProgress, ProgressCallback
from webwork_async._protocol import redact_headers
from webwork_async._ratelimit import RateLimit
from webwork_async._retry import RetryPolicy
from webwork_async._session import AsyncSession
from webwork_async._version import __version__
from webwork_async.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    CertificateError,
    ConfigurationError,
    ConnectError,
    ConnectTimeoutError,
    DecodeError,
    InsecureTLSWarning,
    InvalidArgumentError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
    SessionStateError,
    TimeoutError,
    TransportCause,
    TransportError,
    ValidationError,
    WebWorkError,
)
from webwork_async.models import Pagination, Project, ProjectTag, Workspace

__all__ = [
    "APIError",
    "AsyncPaginator",
    "AsyncSession",
    "AuthenticationError",
    "BadRequestError",
    "CallOptions",
    "CertificateError",
    "ConfigurationError",
    "ConnectError",
    "ConnectTimeoutError",
    "DecodeError",
    "InsecureTLSWarning",
    "InvalidArgumentError",
    "JobProgress",
    "NotFoundError",
    "Page",
    "Pagination",
    "PaginationError",
    "PermissionDeniedError",
    "ProgressCallback",
    "Project",
    "ProjectTag",
    "RateLimit",
    "RateLimitError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ServerError",
    "SessionStateError",
    "TimeoutError",
    "TransportCause",
    "TransportError",
    "ValidationError",
    "WebWorkError",
    "Workspace",
    "WorkspaceResult",
    "__version__",
    "redact_headers",
]
