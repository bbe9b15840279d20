"""The errors of the webhooks layer: a delivery that cannot be read, or that fails verification.

Both derive from :class:`webwork_async.WebWorkError`, so the one ``except`` clause of the core
catches them too. Neither ever carries the webhook's secret.
"""

from __future__ import annotations

import enum

from webwork_async import WebWorkError
from webwork_async._constants import MAX_ERROR_BODY_BYTES

__all__ = ["SignatureFailure", "WebhookPayloadError", "WebhookSignatureError"]


class WebhookPayloadError(WebWorkError):
    """A delivery's body is not a JSON object, so no event can be read from it.

    A JSON object that is not a known event is *not* this error: it decodes to
    :class:`~webwork_async.webhooks.UnknownEvent`. ``problem`` says what was wrong; ``body``
    keeps the first bytes of the delivery for a log.
    """

    def __init__(self, problem: str, *, body: bytes) -> None:
        self.problem = problem
        self.body = bytes(body[:MAX_ERROR_BODY_BYTES])
        super().__init__(f"webhook delivery: {problem}")


class SignatureFailure(str, enum.Enum):
    """Why a delivery was refused, as a code a handler can count or log.

    A wrong secret, a tampered body and a signature replayed under another id are one failure,
    ``SIGNATURE_MISMATCH``: an HMAC cannot tell them apart, and must not try.
    """

    MISSING_HEADER = "missing_header"
    BAD_TIMESTAMP = "bad_timestamp"
    TIMESTAMP_TOO_OLD = "timestamp_too_old"
    TIMESTAMP_TOO_NEW = "timestamp_too_new"
    NO_SUPPORTED_SIGNATURE = "no_supported_signature"
    SIGNATURE_MISMATCH = "signature_mismatch"


class WebhookSignatureError(WebWorkError):
    """A delivery failed verification: it must be answered 401 and never reach user code.

    ``reason`` is the :class:`SignatureFailure`; the message adds detail (which header, how far
    off the clock) and never the secret or the signature expected.
    """

    def __init__(self, reason: SignatureFailure, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"webhook delivery refused ({reason.value}): {detail}")
