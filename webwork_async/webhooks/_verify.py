"""Verification of a webhook delivery against the webhook's ``token``.

The docs say only that the ``token`` a webhook is created with (``"whsec_..."``) is "a secret for
verifying webhook authenticity" (reference §3.7); how a delivery carries a signature is not
documented. The ``whsec_`` prefix is that of the Standard Webhooks scheme, so that is the default
here, and it is **inferred**: a :class:`Verifier` is any object with ``verify(headers, body)``, so a
different scheme plugs in without touching the rest.

The Standard Webhooks scheme (https://www.standardwebhooks.com): the sender puts ``webhook-id``,
``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` headers on the delivery; the
signature is ``v1,`` and the base64 of HMAC-SHA256 over ``f"{id}.{timestamp}.".encode() + body``
(the raw bytes, never re-encoded JSON), keyed with the base64-decoded part of the secret after
``whsec_``. The header may hold several space-separated signatures (key rotation): one match is
enough, and versions other than ``v1`` are ignored.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import math
import time
from collections.abc import Callable, Mapping
from typing import Final, Protocol, cast

from webwork_async import ConfigurationError
from webwork_async._constants import WEBHOOK_TIMESTAMP_TOLERANCE
from webwork_async._protocol import Secret
from webwork_async.webhooks._errors import SignatureFailure, WebhookSignatureError

__all__ = ["StandardWebhooksVerifier", "Verifier", "sign"]

SECRET_PREFIX: Final = "whsec_"
ID_HEADER: Final = "webhook-id"
TIMESTAMP_HEADER: Final = "webhook-timestamp"
SIGNATURE_HEADER: Final = "webhook-signature"
_HEADERS: Final = (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)
_VERSION: Final = "v1"
# Unix seconds have 10 digits until the year 2286; a longer value is garbage, and int() of a
# very long one is slow (and refused past 4300 digits).
_MAX_TIMESTAMP_DIGITS: Final = 12


class Verifier(Protocol):
    """Decides whether a delivery really comes from WebWork, before anything reads it.

    ``verify`` returns None for a genuine delivery and raises
    :class:`~webwork_async.webhooks.WebhookSignatureError` otherwise. ``headers`` is the
    delivery's headers (aiohttp's ``request.headers`` will do) and ``body`` its raw bytes.
    """

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise :class:`~webwork_async.webhooks.WebhookSignatureError` unless genuine."""


def _key_of(secret: Secret) -> Secret | None:
    """The HMAC key of a secret, or None when it is unusable; never raises, so no frame that
    holds the secret's value is ever part of a traceback.

    ``whsec_<base64>``: the decoded bytes (Standard Webhooks; missing ``=`` padding is added).
    Any other string: its UTF-8 bytes as they are (a raw secret). ``bytes``: the key itself.
    """
    value = secret.reveal()
    key: bytes | None = None
    if isinstance(value, bytes):
        key = value
    elif isinstance(value, str) and value.startswith(SECRET_PREFIX):
        encoded = value[len(SECRET_PREFIX) :]
        with contextlib.suppress(binascii.Error):
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    elif isinstance(value, str):
        key = value.encode()
    del value
    return Secret(key) if key else None


def _usable_key(secret: Secret) -> Secret:
    """:func:`_key_of`, or a :class:`ConfigurationError` that names the problem, not the value."""
    key = _key_of(secret)
    if key is None:
        raise ConfigurationError(
            "webhook secret: give the webhook's token as a non-empty str ('whsec_' and base64, "
            "or a raw secret) or the key as bytes; the value is not shown"
        )
    return key


def _signature(key: Secret, msg_id: str, timestamp: str, body: bytes) -> bytes:
    """HMAC-SHA256 of ``id.timestamp.body``: the Standard Webhooks ``v1`` signature, raw."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return hmac.new(cast(bytes, key.reveal()), signed, hashlib.sha256).digest()


def sign(secret: str | bytes, id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers that sign ``body`` as delivery ``id`` sent at
    ``timestamp`` (Unix seconds): what the fake server, a test or a sender puts on a delivery.

    ``secret`` is read as :class:`StandardWebhooksVerifier` reads it. To sign with several keys
    (rotation), join the ``webhook-signature`` values of each with a space.
    """
    wrapped = Secret(secret)  # from here on no frame holds the secret in a named local
    del secret
    key = _usable_key(wrapped)
    stamp = str(int(timestamp))
    signature = base64.b64encode(_signature(key, id, stamp, body)).decode()
    return {ID_HEADER: id, TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: f"{_VERSION},{signature}"}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` (lower case) in any letter case, stripped; None if absent or
    blank. A case-insensitive mapping (aiohttp's) answers the first lookup."""
    value = headers.get(name)
    if value is None:
        value = next((item for key, item in headers.items() if key.lower() == name), "")
    return value.strip() or None


def _unix_seconds(timestamp: str) -> int | None:
    """The ``webhook-timestamp`` value as an int, or None when it is not plain ASCII digits."""
    if timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _MAX_TIMESTAMP_DIGITS:
        return int(timestamp)
    return None


def _any_matches(key: Secret, msg_id: str, timestamp: str, body: bytes, header: str) -> bool | None:
    """Whether one ``v1`` signature of ``header`` is that of this delivery (True/False), or None
    when it holds none that can be read. The expected signature stays in this frame, which is
    gone before a refusal is raised: no traceback shows a signature valid for the body."""
    expected = _signature(key, msg_id, timestamp, body)
    seen = False
    for entry in header.split():
        version, _, encoded = entry.partition(",")
        if version != _VERSION:
            continue
        try:
            candidate = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        if len(candidate) != len(expected):  # not an HMAC-SHA256 at all
            continue
        seen = True
        if hmac.compare_digest(expected, candidate):
            return True
    return False if seen else None


class StandardWebhooksVerifier:
    """The default :class:`Verifier`: the Standard Webhooks scheme (**inferred** for WebWork).

    ``secret`` is the webhook's ``token``. ``whsec_<base64>`` (how WebWork shows it) is read the
    Standard Webhooks way: the key is the base64-decoded part after the prefix. A string without
    the prefix is a raw secret, its UTF-8 bytes the key as they are; ``bytes`` are the key itself
    (``secret=token.encode()`` keys with the whole token, prefix included, should WebWork turn out
    to sign that way). Unlike the Standard Webhooks library, a prefix-less string is not
    base64-decoded.

    A delivery is refused when a header is missing, its timestamp is further than ``tolerance``
    seconds from ``clock()`` either way, or no ``v1`` signature matches. Verification does not
    remember ids: refusing a replay inside the tolerance is the receiver's job (it keeps ids).
    The secret never appears in the ``repr``, in an error or in a traceback's locals.
    """

    __slots__ = ("_clock", "_key", "_tolerance")

    def __init__(
        self,
        secret: str | bytes,
        *,
        tolerance: float = WEBHOOK_TIMESTAMP_TOLERANCE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        wrapped = Secret(secret)  # from here on no frame holds the secret in a named local
        del secret
        self._key = _usable_key(wrapped)
        if not (math.isfinite(tolerance) and tolerance >= 0):
            raise ConfigurationError(f"tolerance must be a finite number >= 0, got {tolerance!r}")
        self._tolerance = float(tolerance)
        self._clock = clock

    def __repr__(self) -> str:
        # getattr: a traceback's locals show ``self`` even when __init__ raised half-way.
        tolerance = getattr(self, "_tolerance", None)
        return f"StandardWebhooksVerifier(secret=Secret('***'), tolerance={tolerance!r})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Return None for a genuine delivery; raise
        :class:`~webwork_async.webhooks.WebhookSignatureError` saying why it is not."""
        msg_id, timestamp, signatures = (_header(headers, name) for name in _HEADERS)
        if msg_id is None or timestamp is None or signatures is None:
            missing = ", ".join(name for name in _HEADERS if _header(headers, name) is None)
            raise WebhookSignatureError(SignatureFailure.MISSING_HEADER, f"no {missing} header")
        sent_at = _unix_seconds(timestamp)
        if sent_at is None:
            raise WebhookSignatureError(
                SignatureFailure.BAD_TIMESTAMP,
                f"{TIMESTAMP_HEADER} is not Unix seconds: {timestamp[:40]!r}",
            )
        age = self._clock() - sent_at
        if age > self._tolerance:
            raise WebhookSignatureError(
                SignatureFailure.TIMESTAMP_TOO_OLD,
                f"{TIMESTAMP_HEADER} is {age:.0f} s old; at most {self._tolerance:g} s is taken",
            )
        if -age > self._tolerance:
            raise WebhookSignatureError(
                SignatureFailure.TIMESTAMP_TOO_NEW,
                f"{TIMESTAMP_HEADER} is {-age:.0f} s ahead of this clock; "
                f"at most {self._tolerance:g} s is taken",
            )
        matched = _any_matches(self._key, msg_id, timestamp, body, signatures)
        if matched is None:
            raise WebhookSignatureError(
                SignatureFailure.NO_SUPPORTED_SIGNATURE,
                f"{SIGNATURE_HEADER} holds no readable {_VERSION} signature",
            )
        if not matched:
            raise WebhookSignatureError(
                SignatureFailure.SIGNATURE_MISMATCH,
                f"no {_VERSION} signature in {SIGNATURE_HEADER} matches this delivery's id, "
                "timestamp and body under this secret",
            )
