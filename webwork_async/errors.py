"""The exceptions webwork-async raises.

Everything the library raises on purpose derives from :class:`WebWorkError`, so one ``except``
clause catches it all. Errors that come from the service carry what a caller needs to act on them
(status, the service's ``message`` and ``error``, method, URL and raw body) and never the token.
``asyncio.CancelledError`` is never wrapped.
"""

from __future__ import annotations

import builtins
import re
from typing import TYPE_CHECKING, Any, TypedDict

from webwork_async._constants import MAX_ERROR_BODY_BYTES

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "CertificateError",
    "ConfigurationError",
    "ConnectError",
    "ConnectTimeoutError",
    "CoordinationError",
    "DecodeError",
    "InsecureTLSWarning",
    "InvalidArgumentError",
    "NotFoundError",
    "OAuth2Error",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseTooLargeError",
    "ServerError",
    "SessionStateError",
    "TimeoutError",
    "TransportCause",
    "TransportError",
    "ValidationError",
    "WebWorkError",
]

# How much of a raw body an exception message quotes; ``.body`` keeps up to
# webwork_async._constants.MAX_ERROR_BODY_BYTES of it.
_BODY_EXCERPT = 200
# Values an excerpt never quotes: a webhook's token is a secret, and so is any key named so.
_SECRET_VALUE = re.compile(
    rb'("(?:token|secret|password|access_token|refresh_token|client_secret)"\s*:\s*)"[^"]*"?',
    re.IGNORECASE,
)


def _body_excerpt(body: bytes) -> str:
    """The start of ``body`` as a message quotes it, with secret-looking values masked."""
    return _SECRET_VALUE.sub(rb'\1"***"', body[:_BODY_EXCERPT]).decode("utf-8", "replace")


class WebWorkError(Exception):
    """Base class of every error this library raises.

    ``attempts`` tells how many times the request was sent (or tried) before this error was
    raised; it is above 1 when retries happened, and ``elapsed`` is then the seconds from the
    call to the error. The message says both, so a log line shows that retries were spent.
    """

    attempts: int = 1
    elapsed: float | None = None

    def __str__(self) -> str:
        text = super().__str__()
        if self.attempts > 1:
            over = "" if self.elapsed is None else f" over {self.elapsed:.1f} s"
            text += f" (tried {self.attempts} times{over})"
        return text


class ConfigurationError(WebWorkError, ValueError):
    """The session was configured wrongly (no token, bad base URL, bad limits)."""


class SessionStateError(WebWorkError, RuntimeError):
    """The session was used before ``async with`` entered it or after it closed."""


class InvalidArgumentError(WebWorkError, ValueError):
    """An argument was rejected before any request was sent.

    ``argument`` names the offending parameter, so callers and logs can point at it.
    """

    def __init__(self, argument: str, problem: str) -> None:
        self.argument = argument
        self.problem = problem
        super().__init__(f"{argument}: {problem}")


class _ErrorFields(TypedDict):
    """What every error answer carries, as keyword arguments."""

    status: int
    message: str
    error: str | None
    method: str
    url: str
    body: bytes


class APIError(WebWorkError):
    """The service answered, and the answer is an error.

    Raised as-is for statuses without a dedicated subclass, and for an HTTP 200 whose envelope says
    ``success: false``. ``retry_after`` is the wait in seconds the service asked for with
    ``Retry-After`` (on 429 and 503 answers, typically), None when it did not say.
    """

    retry_after: float | None = None

    def __init__(
        self,
        *,
        status: int,
        message: str,
        error: str | None,
        method: str,
        url: str,
        body: bytes,
    ) -> None:
        self.status = status
        self.message = message
        self.error = error
        self.method = method
        self.url = url
        self.body = body[:MAX_ERROR_BODY_BYTES]
        super().__init__(self._describe())

    def _describe(self) -> str:
        detail = f" ({self.error})" if self.error and self.error != self.message else ""
        return f"{self.method} {self.url} -> HTTP {self.status}: {self.message}{detail}"


class BadRequestError(APIError):
    """HTTP 400: the service rejected the request as malformed."""


class AuthenticationError(APIError):
    """HTTP 401: the token is missing, wrong or expired (personal tokens live six months)."""


class OAuth2Error(AuthenticationError):
    """The OAuth2 token URL refused a request (RFC 6749 §5.2), or gave an answer that is no token.

    ``error`` is the RFC 6749 error code (``invalid_grant``, ``invalid_client``,
    ``invalid_request``, ``invalid_scope``, ``unauthorized_client``, ``unsupported_grant_type``),
    None when the answer had none; ``description`` is the service's ``error_description``.
    ``invalid_grant`` means the code or refresh token is used, expired or revoked: the user must
    sign in again (``sign_in_again`` is True). Never holds the client secret, a code or a token.
    """

    def __init__(
        self,
        *,
        error: str | None,
        description: str | None,
        status: int,
        method: str,
        url: str,
        body: bytes = b"",
    ) -> None:
        self.description = description
        super().__init__(
            status=status,
            message=description or error or "the token URL refused the request",
            error=error,
            method=method,
            url=url,
            body=body,
        )

    @property
    def sign_in_again(self) -> bool:
        """True when only a new sign-in (authorization code flow) can get a token."""
        return self.error == "invalid_grant"

    def _describe(self) -> str:
        code = f" {self.error}" if self.error else ""
        text = f"{self.method} {self.url} -> HTTP {self.status}:{code}"
        if self.description:
            text += f" ({self.description})"
        if self.sign_in_again:
            text += "; the grant is used, expired or revoked: the user must sign in again"
        return text


class PermissionDeniedError(APIError):
    """HTTP 403: the token's user may not do this (the API is for owners and executive managers)."""


class NotFoundError(APIError):
    """HTTP 404: no such object in that workspace (or no such workspace)."""


class ValidationError(APIError):
    """HTTP 422: the service rejected some fields; ``errors`` maps each field to its messages."""

    def __init__(self, *, errors: dict[str, list[str]], **fields: Unpack[_ErrorFields]) -> None:
        self.errors = errors
        super().__init__(**fields)

    def _describe(self) -> str:
        fields = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in self.errors.items())
        return super()._describe() + (f" [{fields}]" if fields else "")


class RateLimitError(APIError):
    """HTTP 429: too many requests; ``retry_after`` is the wait in seconds the service asked for."""

    def __init__(self, *, retry_after: float | None, **fields: Unpack[_ErrorFields]) -> None:
        self.retry_after = retry_after
        super().__init__(**fields)


class ServerError(APIError):
    """HTTP 5xx: the service failed."""


class TransportError(WebWorkError):
    """The exchange with the service failed below HTTP (reset, broken body, timeout).

    The request may have reached the service: a failed write (POST) may have been carried out.
    """

    def __init__(self, message: str, *, method: str, url: str) -> None:
        self.method = method
        self.url = url
        super().__init__(f"{method} {url}: {message}")


class CoordinationError(WebWorkError):
    """The coordination backend (Redis) could not be used, and the session was told to raise
    (``on_coordination_error="raise"``) rather than fall back to pacing on its own. The message
    names the backend's address without credentials; nothing was sent."""


class TransportCause(Exception):
    """What the HTTP library raised beneath a :class:`TransportError`, as a summary.

    Set as the error's ``__cause__`` in place of aiohttp's own exception, whose request
    information (and that of every redirect in its history) carries the ``Authorization`` header:
    only the type and the message are kept.
    """


class ConnectError(TransportError):
    """No connection could be made (refused, DNS, connect or pool timeout): nothing was sent."""


class CertificateError(ConnectError):
    """The server's TLS certificate was not trusted: nothing was sent, and it is not retried.

    Behind a proxy that inspects TLS with its own CA, pass that CA as ``AsyncSession(ssl=path)``.
    """


class TimeoutError(TransportError, builtins.TimeoutError):
    """An attempt outlived its timeout, or the call its deadline."""


class ConnectTimeoutError(ConnectError, TimeoutError):
    """No connection was made within the timeout (or what was left of the call's deadline):
    both a :class:`ConnectError` (nothing was sent) and a :class:`TimeoutError`."""


class ResponseTooLargeError(WebWorkError):
    """The answer was larger than ``max_response_size`` (after decompression); not retried.

    Reading stopped at the limit: a proxy's huge error page or a compression bomb cannot exhaust
    memory. ``body`` holds the first bytes only.
    """

    def __init__(
        self, *, limit: int, method: str, url: str, status: int, body: bytes, size: int | None
    ) -> None:
        self.limit = limit
        self.method = method
        self.url = url
        self.status = status
        self.body = body
        self.size = size
        told = f" (it announced {size} bytes)" if size is not None else ""
        super().__init__(
            f"{method} {url} -> HTTP {status}: the answer is larger than {limit} bytes{told}; "
            "raise AsyncSession(max_response_size=...) if it is expected"
        )


class PaginationError(WebWorkError):
    """A page walk met pagination that cannot be right, and stopped rather than walk forever.

    A page identical to the one before it (the service ignores ``page``), ``data: null`` where
    the pagination promised items, or more pages than its own ``total`` allows. Not retried.
    """

    def __init__(self, problem: str, *, page: int, method: str, url: str) -> None:
        self.problem = problem
        self.page = page
        self.method = method
        self.url = url
        super().__init__(f"{method} {url}: page {page}: {problem}")


class DecodeError(WebWorkError):
    """The body could not be read into the expected model.

    ``path`` is the JSON path of the offending value (``$.data[3].start_date``) when known.
    ``json_valid`` is True when the body was JSON that does not fit the model, False when it was
    not JSON at all (cut short, or an HTML page from a proxy).

    For one item of a list that did not fit (``Page.item_errors``), ``index`` is its position
    in the page's ``data``, ``item`` the item as plain JSON values and ``body`` its raw JSON;
    otherwise both are None and ``body`` is the answer's.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | None,
        json_valid: bool,
        method: str,
        url: str,
        status: int,
        body: bytes,
        index: int | None = None,
        item: Any = None,
    ) -> None:
        self.problem = problem
        self.path = path
        self.json_valid = json_valid
        self.method = method
        self.url = url
        self.status = status
        self.body = body[:MAX_ERROR_BODY_BYTES]
        self.index = index
        self.item = item
        what = "body" if index is None else f"item {index}"
        super().__init__(
            f"{method} {url} -> HTTP {status}: {problem}; {what} starts {_body_excerpt(body)!r}"
        )


class InsecureTLSWarning(UserWarning):
    """TLS certificate checks are off (``ssl=False``) for a host other than this machine."""
