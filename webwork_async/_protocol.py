"""The protocol as pure functions: URLs, headers, query strings, and reading answers.

Nothing here does I/O, so every decision (what error is this? what does that body hold? how long
does the service ask us to wait?) is tested with plain values.
"""

from __future__ import annotations

import asyncio
import builtins
import datetime
import email.utils
import functools
import ipaddress
import re
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import aiohttp
import msgspec

from webwork_async.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    CertificateError,
    ConfigurationError,
    ConnectError,
    ConnectTimeoutError,
    DecodeError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TimeoutError,
    TransportCause,
    TransportError,
    ValidationError,
)
from webwork_async.models._base import Acknowledgement, Envelope, ErrorBody

T = TypeVar("T")

_ERROR_CLASSES: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: ValidationError,
    429: RateLimitError,
}
_PATH_IN_MESSAGE = re.compile(r"at `(\$[^`]*)`")
_error_decoder = msgspec.json.Decoder(ErrorBody, strict=False)


def normalize_base_url(base_url: str) -> str:
    """Check ``base_url`` and give it the trailing slash that relative paths are joined to."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise ConfigurationError(
            "base_url must be a non-empty string such as 'https://host/api/v2/'"
        )
    parts = urlsplit(base_url.strip())
    shown = redact_url(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an absolute http(s) URL, got {shown!r}")
    if "@" in parts.netloc:
        raise ConfigurationError(
            f"base_url must not carry credentials (user:password@), got {shown!r}; "
            "the API takes the token only"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"base_url must not carry a query or fragment, got {shown!r}")
    url = base_url.strip()
    return url if url.endswith("/") else url + "/"


def check_proxy(proxy: object) -> str:
    """Check a proxy URL (``http://[user:password@]host:port``); errors never show credentials."""
    if not isinstance(proxy, str) or not proxy.strip():
        raise ConfigurationError(
            f"proxy must be a URL such as 'http://proxy.example:3128', got {type(proxy).__name__}"
        )
    parts = urlsplit(proxy.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"proxy must be an absolute http(s) URL, got {redact_url(proxy)!r}"
        )
    return proxy.strip()


def redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``, fit for messages and reprs."""
    scheme, separator, rest = url.strip().partition("://")
    if not separator:
        return url if "@" not in url else "***@" + url.rpartition("@")[2]
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    return f"{scheme}://{authority}{slash}{path}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class Secret:
    """A credential that never shows itself: its ``repr`` and ``str`` are ``'***'``.

    The session keeps the token in one from its first line on, so that no frame of the library
    has the token itself among its locals (error trackers record those) when an error is raised.
    """

    __slots__ = ("_value",)

    def __init__(self, value: object) -> None:
        self._value = value

    def reveal(self) -> object:
        """The value itself, to be used at once and not kept in a named variable."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


def check_token(secret: Secret) -> Secret:
    """The token, cleaned of surrounding space, if it can go into an ``Authorization`` header.

    A refused token is never echoed, and is gone from this frame's locals before the error is
    raised.
    """
    value = secret.reveal()
    problem = _token_problem(value)
    if problem is None:
        return Secret(str(value).strip())
    del value
    raise ConfigurationError(problem)


def _token_problem(token: object) -> str | None:
    if not isinstance(token, str):
        return f"token must be a string, got {type(token).__name__}"
    cleaned = token.strip()
    if not cleaned:
        return "token is empty"
    if any(ch in cleaned for ch in "\r\n\t ") or not cleaned.isprintable():
        return "token contains whitespace or control characters"
    return None


#: Header names whose values are credentials.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` fit to log: credential values (``Authorization``,
    ``Proxy-Authorization``, cookies) replaced by ``***``.

    For aiohttp trace configs, whose callbacks see every request's headers as sent::

        async def on_request_start(session, context, params):
            log.info("%s %s %s", params.method, params.url, redact_headers(params.headers))
    """
    return {
        name: "***" if name.lower() in SECRET_HEADERS else value for name, value in headers.items()
    }


class SecretHeaders(dict[str, str]):
    """Request headers whose ``repr`` hides credentials, so a logged or inspected value (a
    frame's locals in an error tracker, say) never shows the token."""

    def __repr__(self) -> str:
        return repr(redact_headers(self))


def build_headers(token: str | None, user_agent: str) -> SecretHeaders:
    """Headers sent with every request (no ``Authorization`` when ``token`` is None)."""
    headers = SecretHeaders({"Accept": "application/json", "User-Agent": user_agent})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def encode_query(params: Mapping[str, object]) -> dict[str, str]:
    """Turn keyword arguments into query-string values; ``None`` means "leave it out".

    A list becomes comma-separated values (``users=1,2,3``), which the API takes for its array
    filters.
    """
    query: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        kind = type(value)
        if kind is int or kind is str:  # ids and pages, on every request: kept cheap
            query[name] = str(value)
        elif isinstance(value, (list, tuple)):
            query[name] = ",".join(_query_value(item) for item in value)
        else:
            query[name] = _query_value(value)
    return query


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def parse_retry_after(value: str | None, *, now: datetime.datetime | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (delta-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        current = now or datetime.datetime.now(datetime.timezone.utc)
        return max(0.0, (when - current).total_seconds())
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def error_class_for(status: int) -> type[APIError]:
    """The exception class for an HTTP status."""
    if status >= 500:
        return ServerError
    return _ERROR_CLASSES.get(status, APIError)


def _field_errors(raw: Mapping[str, list[str] | str] | None) -> dict[str, list[str]]:
    if not raw:
        return {}
    return {name: [msgs] if isinstance(msgs, str) else list(msgs) for name, msgs in raw.items()}


def api_error(
    *, status: int, body: bytes, method: str, url: str, headers: Mapping[str, str]
) -> APIError:
    """Build the typed error for an error answer, reading the body leniently.

    A body that is not the documented error JSON (an HTML page from a proxy, say) still gives the
    right class, with the HTTP reason standing in for the message.
    """
    parsed = _read_error_body(body) or ErrorBody()
    message = parsed.message or f"HTTP {status}"
    if status < 400:  # a redirect: never followed (the API itself does not redirect)
        location = redact_url(headers.get("Location", "?"))
        message = f"redirected to {location}, not followed: the API does not redirect (base_url?)"
    common: dict[str, Any] = {
        "status": status,
        "message": message,
        "error": parsed.error,
        "method": method,
        "url": url,
        "body": body,
    }
    cls = error_class_for(status)
    retry_after = parse_retry_after(headers.get("Retry-After"))
    if cls is ValidationError:
        return ValidationError(**common, errors=_field_errors(parsed.errors))
    if cls is RateLimitError:
        return RateLimitError(**common, retry_after=retry_after)
    error = cls(**common)
    error.retry_after = retry_after
    return error


def transport_error(
    exc: BaseException, *, method: str, url: str, timeout: float | None
) -> TransportError:
    """Our error for an exception of the HTTP exchange, telling whether anything was sent.

    A connection that could not be made (refused, DNS, connect or pool timeout) is a
    :class:`ConnectError`: the request never left. Everything later (a reset, a cut body, a read
    timeout) may have reached the service. The error's ``__cause__`` is a
    :class:`TransportCause` summing ``exc`` up: aiohttp's exception itself is never attached.
    """
    error = _transport_error(exc, method=method, url=url, timeout=timeout)
    error.__cause__ = TransportCause(f"{type(exc).__name__}: {scrubbed_message(exc)}")
    return error


def scrubbed_message(exc: BaseException) -> str:
    """What an aiohttp exception says, without the request information some of them carry.

    A ``ClientResponseError`` (a redirect loop, an oversized header, a proxy's refusal) holds the
    request's headers, ``Authorization`` included, and its message quotes the URL: only its
    status and message are kept.
    """
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"HTTP {exc.status}: {exc.message}"
    return str(exc)


def _transport_error(
    exc: BaseException, *, method: str, url: str, timeout: float | None
) -> TransportError:
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ConnectTimeoutError(
            f"no connection within the timeout: {exc}", method=method, url=url
        )
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return CertificateError(
            f"the TLS certificate of {exc.host} is not trusted ({exc.certificate_error}); "
            "behind a proxy that inspects TLS, pass its CA as AsyncSession(ssl='/path/ca.pem')",
            method=method,
            url=url,
        )
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        # The proxy refused to open the tunnel: the request never reached the service.
        return ConnectError(
            f"the proxy refused the connection: HTTP {exc.status} {exc.message}",
            method=method,
            url=url,
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ConnectError(f"{type(exc).__name__}: {exc}", method=method, url=url)
    if isinstance(exc, (asyncio.TimeoutError, builtins.TimeoutError)):  # distinct before 3.11
        return TimeoutError(f"no complete answer within {timeout}s", method=method, url=url)
    return TransportError(f"{type(exc).__name__}: {scrubbed_message(exc)}", method=method, url=url)


class ListOf:
    """The ``data_type`` of a list answer: ``list[item_type]`` or null, read item by item when
    the page as a whole does not fit (see :func:`decode_answer`).

    One instance per item type (:meth:`of`), hashed by identity: it keys the decoder cache on
    every page request, where a hash of its fields would be computed each time.
    """

    __slots__ = ("item_type",)
    _made: ClassVar[dict[Any, ListOf]] = {}

    def __init__(self, item_type: Any) -> None:
        self.item_type = item_type

    @classmethod
    def of(cls, item_type: Any) -> ListOf:
        """The one ``ListOf`` for ``item_type``."""
        made = cls._made.get(item_type)
        if made is None:
            made = cls._made[item_type] = cls(item_type)
        return made


class DecodedItems(list[T]):
    """The items of a list answer that fit their model; ``item_errors`` tells of the others,
    one :class:`DecodeError` each (its ``index``, ``path`` and ``item``)."""

    def __init__(self, items: list[T], item_errors: list[DecodeError]) -> None:
        super().__init__(items)
        self.item_errors = item_errors


@functools.cache
def envelope_decoder(data_type: Any, *, lax: bool = False) -> msgspec.json.Decoder[Envelope[Any]]:
    """One decoder per response type, built once: building a decoder costs more than using it.

    A ``lax`` decoder (``strict=False``) accepts numbers sent as strings, 0/1 booleans and
    similar variations of the service rather than failing a whole page (see
    :func:`decode_envelope`). ``None`` means the caller ignores ``data``: it is skipped
    unparsed, whatever the service put there.
    """
    if data_type is None:
        return msgspec.json.Decoder(Acknowledgement, strict=not lax)
    if isinstance(data_type, ListOf):
        target: Any = list[data_type.item_type] | None
    else:
        target = data_type
    return msgspec.json.Decoder(Envelope[target], strict=not lax)


LAX_TYPES: set[Any] = set()  # response types whose answers needed a lax decoder


def decode_envelope(data_type: Any, body: bytes) -> Envelope[Any]:
    """``body`` as ``Envelope[data_type]``: strictly when it fits, else laxly.

    A strict decoder is the faster one (lax decoding costs ~5% more on every page), so it is
    tried first. Once an answer of a type needed the lax one (a service that sends its numbers
    as strings, say), answers of that type go to the lax decoder at once. Raises msgspec's
    error when the body fits neither.
    """
    if data_type in LAX_TYPES:
        return envelope_decoder(data_type, lax=True).decode(body)
    try:
        return envelope_decoder(data_type).decode(body)
    except msgspec.ValidationError:
        envelope = envelope_decoder(data_type, lax=True).decode(body)
        LAX_TYPES.add(data_type)
        return envelope


@functools.cache
def _item_decoder(item_type: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(item_type, strict=False)


def decode_answer(
    data_type: Any,
    *,
    status: int,
    body: bytes,
    method: str,
    url: str,
    headers: Mapping[str, str],
    strict: bool = True,
) -> Envelope[Any]:
    """Read one answer into ``Envelope[data_type]``, or raise the error it represents.

    A list answer (``data_type`` a :class:`ListOf`) is decoded at once; only when that fails,
    and unless ``strict``, is it read again item by item: the items that fit arrive as
    :class:`DecodedItems`, which tells of the others.
    """
    if status >= 300:
        raise api_error(status=status, body=body, method=method, url=url, headers=headers)
    if data_type is None and not body.strip():  # test the type first: strip copies the body
        return Envelope(success=True, data=None)
    where: dict[str, Any] = {"method": method, "url": url, "status": status, "body": body}
    try:
        envelope = decode_envelope(data_type, body)
    except msgspec.ValidationError as exc:
        in_band = _in_band_failure(body)
        if in_band is not None:
            raise _in_band_error(in_band.message, in_band.error, **where) from None
        tolerated = None
        if isinstance(data_type, ListOf) and not strict:
            tolerated = _decode_items(data_type.item_type, where)
        if tolerated is None:
            raise DecodeError(str(exc), path=_path_of(str(exc)), json_valid=True, **where) from None
        envelope = tolerated
    except msgspec.DecodeError as exc:
        raise DecodeError(f"invalid JSON: {exc}", path=None, json_valid=False, **where) from None
    except RecursionError:  # msgspec's answer to JSON nested too deeply to decode
        raise DecodeError(
            "the JSON is nested too deeply to decode", path=None, json_valid=True, **where
        ) from None
    if not envelope.success:
        raise _in_band_error(envelope.message, None, **where)
    return envelope


def _decode_items(item_type: Any, where: dict[str, Any]) -> Envelope[Any] | None:
    """The envelope of a list answer read item by item, or None if the failure lies outside
    the items (the envelope itself, or a ``data`` that is no list)."""
    try:
        raw = envelope_decoder(ListOf.of(msgspec.Raw), lax=True).decode(where["body"])
    except (msgspec.ValidationError, RecursionError):
        return None
    decoder = _item_decoder(item_type)
    items: list[Any] = []
    errors: list[DecodeError] = []
    for index, raw_item in enumerate(raw.data or ()):
        try:
            items.append(decoder.decode(raw_item))
        except (msgspec.ValidationError, RecursionError) as exc:
            errors.append(_item_error(exc, index, bytes(raw_item), where))
    raw.data = DecodedItems(items, errors)
    return raw


def _item_error(exc: Exception, index: int, raw_item: bytes, where: dict[str, Any]) -> DecodeError:
    """The error for item ``index`` of a list answer, its path taken from ``$.data[index]``."""
    problem = str(exc) if isinstance(exc, msgspec.ValidationError) else "nested too deeply"
    inner = _path_of(problem)
    path = f"$.data[{index}]" + ("" if inner is None else inner[1:])
    problem = problem.replace(f"`{inner}`", f"`{path}`") if inner else f"{problem} - at `{path}`"
    return DecodeError(
        problem,
        path=path,
        json_valid=True,
        method=where["method"],
        url=where["url"],
        status=where["status"],
        body=raw_item,
        index=index,
        item=msgspec.json.decode(raw_item),
    )


def _read_error_body(body: bytes) -> ErrorBody | None:
    """The documented error body, or None when the body is something else."""
    try:
        return _error_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None


def _in_band_failure(body: bytes) -> ErrorBody | None:
    """The error body of an answer that says ``success: false`` (explicitly), or None."""
    parsed = _read_error_body(body)
    return parsed if parsed is not None and parsed.success is False else None


def _in_band_error(
    message: str | None, error: str | None, *, status: int, body: bytes, method: str, url: str
) -> APIError:
    """The error for an answer whose HTTP status says success but whose envelope says failure."""
    return APIError(
        status=status,
        message=message or "the service answered success: false",
        error=error,
        method=method,
        url=url,
        body=body,
    )


def _path_of(message: str) -> str | None:
    match = _PATH_IN_MESSAGE.search(message)
    return match.group(1) if match else None
