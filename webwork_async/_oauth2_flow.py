"""The sign-in half of :mod:`webwork_async.oauth2`: the authorize URL, the token URL calls,
the token and its stores (the module docstring there says what is documented and inferred)."""

from __future__ import annotations

import asyncio
import base64
import builtins
import contextlib
import hashlib
import math
import os
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final, Generic, Literal, Protocol, TypeVar, cast, runtime_checkable
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import aiohttp
import msgspec

from webwork_async._constants import (
    OAUTH2_ASSUMED_EXPIRES_IN,
    OAUTH2_AUTHORIZE_URL,
    OAUTH2_CLIENT_AUTH,
    OAUTH2_MAX_RESPONSE_SIZE,
    OAUTH2_SCOPES,
    OAUTH2_STATE_BYTES,
    OAUTH2_TIMEOUT,
    OAUTH2_TOKEN_URL,
    OAUTH2_VERIFIER_BYTES,
)
from webwork_async._protocol import Secret, transport_error
from webwork_async.errors import (
    ConfigurationError,
    InvalidArgumentError,
    OAuth2Error,
    ServerError,
)

__all__ = [
    "AuthorizationRequest",
    "ClientAuth",
    "FileTokenStore",
    "MemoryTokenStore",
    "OAuth2Token",
    "TokenStore",
    "authorize_url",
    "exchange_code",
    "parse_token_response",
    "pkce_challenge",
    "refresh",
]

#: How the client proves itself at the token URL: form fields or HTTP Basic (inferred).
ClientAuth = Literal["post", "basic"]

_METHOD: Final = "POST"
_FORM_HEADERS: Final = {
    "Accept": "application/json",
    "Content-Type": "application/x-www-form-urlencoded",
}


_T = TypeVar("_T")


class _Kept(Secret, Generic[_T]):
    """A :class:`Secret` that knows the type of what it keeps."""

    __slots__ = ()

    def __init__(self, value: _T) -> None:
        super().__init__(value)

    def reveal(self) -> _T:
        """The value itself, to be used at once and not kept in a named variable."""
        return cast(_T, super().reveal())


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class OAuth2Token(msgspec.Struct, frozen=True, kw_only=True):
    """An access token and what goes with it, as the token URL gave them.

    ``expires_at`` is an aware UTC datetime (from the answer's ``expires_in`` and the time it
    arrived); ``refresh_token`` is None when the service gave none. Its ``repr`` and ``str`` show
    the expiry and scopes only, never the tokens.
    """

    access_token: str
    refresh_token: str | None
    expires_at: datetime
    scopes: tuple[str, ...] = ()
    token_type: str = "Bearer"

    def expires_in(self, now: datetime | None = None) -> float:
        """Seconds from ``now`` (default: the current time) until expiry; negative once past."""
        return (self.expires_at - (now or _utcnow())).total_seconds()

    def expired(self, now: datetime | None = None) -> bool:
        """True when the access token has expired at ``now`` (default: the current time)."""
        return self.expires_in(now) <= 0

    def __repr__(self) -> str:
        return f"OAuth2Token(expires_at={self.expires_at.isoformat()!r}, scopes={self.scopes!r})"

    __str__ = __repr__

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        """What rich shows (msgspec's own would list every field, tokens included)."""
        return [("expires_at", self.expires_at), ("scopes", self.scopes)]


@dataclass(frozen=True)
class AuthorizationRequest:
    """What :func:`authorize_url` built: the ``url`` to send the browser to, the ``state`` to
    compare with the one the redirect brings back, and the PKCE ``code_verifier`` to give to
    :func:`exchange_code` (None without PKCE; never in the ``repr``). Keep ``state`` and
    ``code_verifier`` on the server side (the user's session), not in the browser."""

    url: str
    state: str
    code_verifier: str | None = field(default=None, repr=False)


def authorize_url(
    client_id: str,
    redirect_uri: str,
    scopes: str | Iterable[str],
    state: str | None = None,
    *,
    pkce: bool = False,
    authorize_url: str = OAUTH2_AUTHORIZE_URL,
) -> AuthorizationRequest:
    """Build the URL that starts a sign-in (``response_type=code``).

    ``scopes`` are some of ``read``, ``write``, ``admin`` (a space-separated string or an
    iterable); any other is an :class:`~webwork_async.errors.InvalidArgumentError` naming it.
    ``state`` defaults to a random URL-safe string. With ``pkce=True`` a code verifier is made
    and its S256 challenge sent (RFC 7636). ``authorize_url`` is the service's authorize
    endpoint (a query string it has is kept). Nothing is sent.
    """
    _check_text("client_id", client_id)
    _check_text("redirect_uri", redirect_uri)
    scope = " ".join(_checked_scopes(scopes))
    if state is None:
        state = secrets.token_urlsafe(OAUTH2_STATE_BYTES)
    else:
        _check_text("state", state)
    params = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": scope,
        "state": state,
    }
    verifier = None
    if pkce:
        verifier = secrets.token_urlsafe(OAUTH2_VERIFIER_BYTES)
        params["code_challenge"] = pkce_challenge(verifier)
        params["code_challenge_method"] = "S256"
    parts = urlsplit(_checked_url("authorize_url", authorize_url))
    query = "&".join(filter(None, (parts.query, urlencode(params, quote_via=quote))))
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return AuthorizationRequest(url=url, state=state, code_verifier=verifier)


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE ``verifier`` (RFC 7636 §4.2): unpadded base64url of
    its SHA-256."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def exchange_code(
    code: str,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code_verifier: str | None = None,
    scopes: Iterable[str] = (),
    token_url: str = OAUTH2_TOKEN_URL,
    client_auth: ClientAuth = OAUTH2_CLIENT_AUTH,
    session: aiohttp.ClientSession | None = None,
) -> OAuth2Token:
    """Trade the ``code`` the redirect brought for a token (``grant_type=authorization_code``).

    ``redirect_uri`` must be the one given to :func:`authorize_url`, and ``code_verifier`` its
    verifier when PKCE was used. ``scopes`` (those asked for) become the token's when the answer
    does not name any. ``session`` is an ``aiohttp.ClientSession`` of the caller's to send with
    (default: one made for this call). A refused code (used already, expired, another client's)
    is an :class:`~webwork_async.errors.OAuth2Error` with ``error == "invalid_grant"``; a failed
    connection a :class:`~webwork_async.errors.TransportError`.
    """
    form = _Kept(
        {
            "grant_type": "authorization_code",
            "code": _checked_secret("code", code),
            "redirect_uri": _check_text("redirect_uri", redirect_uri),
        }
    )
    del code
    if code_verifier is not None:
        form.reveal()["code_verifier"] = _checked_secret("code_verifier", code_verifier)
        del code_verifier
    secret = _Kept(_checked_secret("client_secret", client_secret))
    del client_secret
    fallback = tuple(scopes)
    return await _token_call(form, client_id, secret, token_url, client_auth, session, fallback)


async def refresh(
    refresh_token: str | OAuth2Token,
    *,
    client_id: str,
    client_secret: str,
    token_url: str = OAUTH2_TOKEN_URL,
    client_auth: ClientAuth = OAUTH2_CLIENT_AUTH,
    session: aiohttp.ClientSession | None = None,
) -> OAuth2Token:
    """Get a new token with a refresh token (``grant_type=refresh_token``).

    ``refresh_token`` is the refresh token, or the :class:`OAuth2Token` holding it (whose
    scopes, and refresh token, are kept when the answer does not name new ones). The service
    may rotate refresh tokens: keep the returned token's, the old one may be refused from now
    on. A refused refresh token (rotated, expired, revoked) is an
    :class:`~webwork_async.errors.OAuth2Error` with ``error == "invalid_grant"``, whose message
    says that the user must sign in again.
    """
    fallback: tuple[str, ...] = ()
    if isinstance(refresh_token, OAuth2Token):
        fallback = refresh_token.scopes
        if refresh_token.refresh_token is None:
            raise InvalidArgumentError("refresh_token", "the token has no refresh token")
        refresh_token = refresh_token.refresh_token
    form = _Kept(
        {
            "grant_type": "refresh_token",
            "refresh_token": _checked_secret("refresh_token", refresh_token),
        }
    )
    del refresh_token
    previous: _Kept[str | None] = _Kept(form.reveal()["refresh_token"])
    secret = _Kept(_checked_secret("client_secret", client_secret))
    del client_secret
    return await _token_call(
        form, client_id, secret, token_url, client_auth, session, fallback, previous
    )


async def _token_call(
    form: _Kept[dict[str, str]],
    client_id: str,
    secret: _Kept[str],
    token_url: str,
    client_auth: ClientAuth,
    session: aiohttp.ClientSession | None,
    fallback_scopes: tuple[str, ...],
    fallback_refresh: _Kept[str | None] | None = None,
) -> OAuth2Token:
    _check_text("client_id", client_id)
    _checked_url("token_url", token_url)
    if client_auth not in ("post", "basic"):
        raise InvalidArgumentError("client_auth", f"must be 'post' or 'basic', not {client_auth!r}")
    fields = form.reveal()
    headers = dict(_FORM_HEADERS)
    if client_auth == "basic":
        # RFC 6749 §2.3.1: id and secret form-urlencoded, then joined by ":" and base64'd.
        pair = f"{quote(client_id, safe='')}:{quote(secret.reveal(), safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        del pair
    else:
        fields["client_id"] = client_id
        fields["client_secret"] = secret.reveal()
    del fields
    request = _Kept((form.reveal(), headers))
    del headers
    if session is None:
        async with aiohttp.ClientSession() as own:
            status, body, answered_at = await _post(own, token_url, request)
    else:
        status, body, answered_at = await _post(session, token_url, request)
    if 200 <= status < 300:
        kept: _Kept[str | None] = fallback_refresh if fallback_refresh is not None else _Kept(None)
        return _parse(body, answered_at, status, token_url, fallback_scopes, kept)
    raise _refusal(status, body, token_url)


async def _post(
    session: aiohttp.ClientSession, url: str, request: _Kept[tuple[dict[str, str], dict[str, str]]]
) -> tuple[int, _Kept[bytes], datetime]:
    """POST the form; the status, the body (as a Secret) and when the answer arrived."""
    timeout = aiohttp.ClientTimeout(total=OAUTH2_TIMEOUT)
    try:
        async with session.post(
            url,
            data=request.reveal()[0],
            headers=request.reveal()[1],
            timeout=timeout,
            allow_redirects=False,
        ) as response:
            body = await _read_limited(response, url)
            return response.status, body, _utcnow()
    except (asyncio.TimeoutError, builtins.TimeoutError, aiohttp.ClientError) as exc:
        failure = transport_error(exc, method=_METHOD, url=url, timeout=OAUTH2_TIMEOUT)
    raise failure


async def _read_limited(response: aiohttp.ClientResponse, url: str) -> _Kept[bytes]:
    limit = OAUTH2_MAX_RESPONSE_SIZE
    chunks: _Kept[list[bytes]] = _Kept([])
    size = 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > limit:
            break
        chunks.reveal().append(chunk)
    if size > limit:
        raise OAuth2Error(
            error=None,
            description=f"the answer is larger than {limit} bytes",
            status=response.status,
            method=_METHOD,
            url=url,
        )
    return _Kept(b"".join(chunks.reveal()))


class _TokenAnswer(msgspec.Struct, kw_only=True):
    """A token answer as RFC 6749 §5.1 words it; read leniently (inferred for WebWork)."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: int | float | str | None = None
    refresh_token: str | None = None
    scope: str | None = None

    def __repr__(self) -> str:
        return "_TokenAnswer(***)"


class _ErrorAnswer(msgspec.Struct):
    """An error answer as RFC 6749 §5.2 words it."""

    error: str | None = None
    error_description: str | None = None


_TOKEN_DECODER: Final = msgspec.json.Decoder(_TokenAnswer)
_ERROR_DECODER: Final = msgspec.json.Decoder(_ErrorAnswer)


def parse_token_response(
    body: bytes,
    *,
    received_at: datetime | None = None,
    status: int = 200,
    url: str = OAUTH2_TOKEN_URL,
    scopes: Iterable[str] = (),
    refresh_token: str | None = None,
) -> OAuth2Token:
    """The :class:`OAuth2Token` of a token URL's successful answer ``body`` (pure; no I/O).

    ``expires_at`` is ``received_at`` (default: now) plus ``expires_in`` (an int, a float or a
    numeric string; when missing, ``OAUTH2_ASSUMED_EXPIRES_IN``). ``scopes`` and
    ``refresh_token`` stand in for an answer that names none. A body that is no token answer
    is an :class:`~webwork_async.errors.OAuth2Error` (which never quotes the body).
    """
    wrapped, kept = _Kept(body), _Kept(refresh_token)
    del body, refresh_token
    return _parse(wrapped, received_at, status, url, tuple(scopes), kept)


def _parse(
    wrapped: _Kept[bytes],
    received_at: datetime | None,
    status: int,
    url: str,
    scopes: tuple[str, ...],
    kept: _Kept[str | None],
) -> OAuth2Token:
    problem: str | None = None
    try:
        answer = _Kept(_TOKEN_DECODER.decode(wrapped.reveal()))
    except msgspec.DecodeError as exc:  # ValidationError included; neither quotes values
        problem = str(exc)
    if problem is not None:
        raise _not_a_token(f"the answer is not a token: {problem}", status, url) from None
    raw = answer.reveal()
    seconds = _seconds(raw.expires_in)
    if seconds is None:
        expires_in = raw.expires_in
        del raw
        problem = f"the answer's expires_in is not a number of seconds: {expires_in!r}"
        raise _not_a_token(problem, status, url)
    if not raw.access_token:
        del raw
        raise _not_a_token("the answer's access_token is empty", status, url)
    return OAuth2Token(
        access_token=raw.access_token,
        refresh_token=raw.refresh_token or kept.reveal(),
        expires_at=(received_at or _utcnow()).astimezone(timezone.utc) + timedelta(seconds=seconds),
        scopes=tuple(raw.scope.split()) if raw.scope is not None else scopes,
        token_type=raw.token_type,
    )


def _not_a_token(problem: str, status: int, url: str) -> OAuth2Error:
    """The error of a 2xx answer that holds no usable token; it never quotes the body."""
    return OAuth2Error(error=None, description=problem, status=status, method=_METHOD, url=url)


def _seconds(value: int | float | str | None) -> float | None:
    """``expires_in`` as seconds (at least 0); None when it is no number."""
    if value is None:
        return float(OAUTH2_ASSUMED_EXPIRES_IN)
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    number = float(value)
    return max(number, 0.0) if math.isfinite(number) else None


def _refusal(status: int, body: _Kept[bytes], url: str) -> Exception:
    """The error of a refused token request: RFC 6749 §5.2 when the body is one."""
    raw = body.reveal()
    try:
        answer = _ERROR_DECODER.decode(raw)
    except msgspec.DecodeError:
        answer = _ErrorAnswer()
    if answer.error is None and status >= 500:
        return ServerError(
            status=status,
            message="the token URL failed",
            error=None,
            method=_METHOD,
            url=url,
            body=raw,
        )
    return OAuth2Error(
        error=answer.error,
        description=answer.error_description,
        status=status,
        method=_METHOD,
        url=url,
        body=raw,
    )


def _checked_scopes(scopes: str | Iterable[str]) -> list[str]:
    given = scopes.split() if isinstance(scopes, str) else list(scopes)
    chosen: list[str] = []
    for scope in given:
        if scope not in OAUTH2_SCOPES:
            known = ", ".join(OAUTH2_SCOPES)
            raise InvalidArgumentError("scopes", f"unknown scope {scope!r} (known: {known})")
        if scope not in chosen:
            chosen.append(scope)
    if not chosen:
        raise InvalidArgumentError("scopes", f"give at least one of {', '.join(OAUTH2_SCOPES)}")
    return chosen


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(name, "must be a non-empty string")
    return value


def _checked_secret(name: str, value: object) -> str:
    """``value`` if it is a non-empty string; the error never quotes it."""
    if not isinstance(value, str) or not value.strip():
        del value
        raise InvalidArgumentError(name, "must be a non-empty string")
    return value


def _checked_url(name: str, url: object) -> str:
    text = _check_text(name, url)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"{name} must be an absolute http(s) URL, got {text!r}")
    return text


# --- token stores --------------------------------------------------------------------------


@runtime_checkable
class TokenStore(Protocol):
    """Where an app keeps a user's token between refreshes and runs."""

    async def load(self) -> OAuth2Token | None:
        """The stored token, None when there is none yet."""
        ...

    async def save(self, token: OAuth2Token) -> None:
        """Keep ``token`` in place of the stored one."""
        ...


class MemoryTokenStore:
    """A :class:`TokenStore` in memory (for one process; gone when it ends)."""

    def __init__(self, token: OAuth2Token | None = None) -> None:
        """Start with ``token`` stored (default: none)."""
        self._token = token

    def __repr__(self) -> str:
        return f"MemoryTokenStore(token={self._token!r})"

    async def load(self) -> OAuth2Token | None:
        """The stored token, None when there is none yet."""
        return self._token

    async def save(self, token: OAuth2Token) -> None:
        """Keep ``token`` in place of the stored one."""
        self._token = token


_STORE_ENCODER: Final = msgspec.json.Encoder()
_STORE_DECODER: Final = msgspec.json.Decoder(OAuth2Token)


class FileTokenStore:
    """A :class:`TokenStore` in a JSON file that only its owner may read (mode 0600).

    Each save writes a temporary file in the same directory (created 0600) and moves it over the
    old one with ``os.replace``, so a reader sees the old token or the new one, never half of
    either, and a crash leaves no broken file. The directory must exist
    (:class:`~webwork_async.errors.ConfigurationError` otherwise). A missing file loads as None.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Keep the token in ``path``; its directory must exist."""
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise ConfigurationError(
                f"the directory of the token file {str(self.path)!r} does not exist"
            )

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"

    async def load(self) -> OAuth2Token | None:
        """The stored token, None when the file does not exist; a file that holds no token is
        a :class:`~webwork_async.errors.ConfigurationError`."""
        return await asyncio.to_thread(self._load)

    async def save(self, token: OAuth2Token) -> None:
        """Write ``token`` to the file, atomically, mode 0600."""
        await asyncio.to_thread(self._save, token)

    def _load(self) -> OAuth2Token | None:
        try:
            data = _Kept(self.path.read_bytes())
        except FileNotFoundError:
            return None
        try:
            return _STORE_DECODER.decode(data.reveal())
        except msgspec.DecodeError as exc:
            problem = str(exc)
        raise ConfigurationError(f"the token file {str(self.path)!r} holds no token: {problem}")

    def _save(self, token: OAuth2Token) -> None:
        directory = self.path.parent
        if not directory.is_dir():
            raise ConfigurationError(
                f"the directory of the token file {str(self.path)!r} does not exist"
            )
        # mkstemp creates the file with mode 0600 from the start: never readable by others.
        handle, temporary = tempfile.mkstemp(
            dir=directory, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(_STORE_ENCODER.encode(token))
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
