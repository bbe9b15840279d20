"""When a failed request is tried again, and how long to wait first: pure decisions, no I/O.

The one rule that matters most: a request that may have reached the service is repeated only if
repeating it cannot change the outcome. A POST (``create``, ``time-tracking/start``) is retried
only when it certainly did not act: no connection was made, or the service refused it with 429.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import backoff

from webwork_async import _constants as defaults
from webwork_async._validation import is_count, is_seconds
from webwork_async.errors import (
    APIError,
    CertificateError,
    ConfigurationError,
    ConnectError,
    DecodeError,
    RateLimitError,
    TransportError,
    WebWorkError,
)

__all__ = ["RetryPolicy", "backoff_delay", "is_retryable", "retry_delay"]


@dataclass(frozen=True)
class RetryPolicy:
    """How a session retries: how often, and the backoff between attempts.

    Args:
        max_retries: attempts after the first (0 = never retry).
        backoff: the first wait in seconds; each further wait doubles it.
        backoff_max: the longest backoff wait in seconds.
        jitter: each wait is lengthened by a random share of itself up to this fraction, so that
            many clients do not retry in step; a wait is never shortened.
        max_server_wait: the longest wait in seconds the service may impose with
            ``Retry-After`` or ``X-RateLimit-Reset`` (15 minutes). A longer one is logged as out
            of range and raised at once, and it pauses the token's requests for this long at
            most: a broken gateway's ``Retry-After: 1000000000`` cannot block a token for years.
    """

    max_retries: int = defaults.DEFAULT_MAX_RETRIES
    backoff: float = defaults.RETRY_BACKOFF
    backoff_max: float = defaults.RETRY_BACKOFF_MAX
    jitter: float = defaults.RETRY_JITTER
    max_server_wait: float = defaults.MAX_SERVER_WAIT

    def __post_init__(self) -> None:
        if not is_count(self.max_retries, 0):
            raise ConfigurationError(f"max_retries must be an int >= 0, got {self.max_retries!r}")
        for name in ("backoff", "backoff_max", "jitter"):
            value = getattr(self, name)
            if not is_seconds(value, zero_allowed=True):
                raise ConfigurationError(f"{name} must be a finite number >= 0, got {value!r}")
        if not is_seconds(self.max_server_wait):
            raise ConfigurationError(
                f"max_server_wait must be a number of seconds > 0, got {self.max_server_wait!r}"
            )


def is_retryable(method: str, error: WebWorkError, *, idempotent: bool | None = None) -> bool:
    """Whether ``error`` on a ``method`` request may be retried without risking a second effect.

    - :class:`ConnectError` and 429 (:class:`RateLimitError`): the request never acted; any method.
      A :class:`CertificateError` is not retried: the same certificate would be refused again.
    - 502, 503, 504, a broken connection, a timeout, or a body that is not JSON at all: only for
      idempotent requests, since the service may have acted already.
    - Anything else (4xx, 500, a body that does not fit the model, ``success: false``): never;
      trying again would give the same answer.

    ``idempotent`` says whether repeating the request cannot change the outcome; None decides by
    the method (GET, PUT, DELETE are). An operation sets it where its effect and its method
    disagree: approving a timesheet is a PUT, but a second approval fails with "already
    approved", so it is never replayed.
    """
    if isinstance(error, CertificateError):
        return False  # the same certificate would be refused again
    if isinstance(error, (ConnectError, RateLimitError)):
        return True
    if idempotent is None:
        idempotent = method in defaults.IDEMPOTENT_METHODS
    if not idempotent:
        return False
    if isinstance(error, APIError):
        return error.status in defaults.RETRY_STATUSES
    if isinstance(error, DecodeError):
        return not error.json_valid
    return isinstance(error, TransportError)


def backoff_delay(policy: RetryPolicy, retry_number: int) -> float:
    """The backoff before retry ``retry_number`` (1 for the first), from ``backoff.expo``."""
    schedule = backoff.expo(factor=policy.backoff, max_value=policy.backoff_max)
    next(schedule)  # backoff's wait generators start with a priming step
    return float(next(itertools.islice(schedule, retry_number - 1, None)))


def retry_delay(
    policy: RetryPolicy, retry_number: int, *, retry_after: float | None, sample: float
) -> float | None:
    """Seconds to wait before retry ``retry_number``.

    A ``Retry-After`` from the service replaces the backoff and is honoured exactly: jitter
    (``sample`` in [0, 1), scaled by ``policy.jitter``) only ever lengthens the wait. Returns
    None when ``retry_after`` is beyond ``policy.max_server_wait``: such a wait is not made.
    """
    if retry_after is not None and retry_after > policy.max_server_wait:
        return None
    base = retry_after if retry_after is not None else backoff_delay(policy, retry_number)
    return base * (1.0 + policy.jitter * sample)
