"""The fake's OAuth2 endpoints: ``GET /oauth/authorize`` and ``POST /oauth/token``.

They follow RFC 6749 (Authorization Code grant, refresh tokens) and RFC 7636 (PKCE), shaped like
Laravel Passport's (WebWork runs on Laravel; its token URL and answers are not documented, so
this is **inferred**): errors are ``{"error", "error_description", "message"}`` with 400, or 401
for ``invalid_client``.

* ``/oauth/authorize`` approves at once (the fake has no login page): for a registered client
  and redirect URI it answers 302 to ``redirect_uri?code=...&state=...``, or to
  ``redirect_uri?error=...`` for a bad ``response_type``, ``scope`` or PKCE parameter. An
  unknown client or redirect URI is answered 400 in place (never redirected).
* ``/oauth/token`` takes a form, the client proving itself with ``client_id`` and
  ``client_secret`` fields or HTTP Basic. ``authorization_code``: a code works once, within
  :data:`CODE_LIFETIME` seconds, for the client it was issued to, with the same
  ``redirect_uri`` and the PKCE verifier of its challenge; a second use is refused and revokes
  the tokens issued from it (RFC 6749 §4.1.2). ``refresh_token``: each use returns a new pair
  and the old refresh token is refused from then on (rotation); refresh tokens expire after
  :data:`REFRESH_TOKEN_LIFETIME`. Access tokens are accepted by the API like the main token
  (every workspace) until they expire (:data:`ACCESS_TOKEN_LIFETIME`), then answered 401.

The fake keeps no client secret, code nor refresh token as text: only their SHA-256.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import unquote, urlencode

from aiohttp import web

from webwork_async._constants import OAUTH2_SCOPES
from webwork_async.oauth2 import pkce_challenge

from ._state import FakeState
from ._tokens import Tokens

OAUTH_PREFIX: Final = "/oauth"
#: Seconds an authorization code can be exchanged after it was issued.
CODE_LIFETIME: Final = 60.0
#: Seconds an access token works (Passport's default is a year; short here, so tests see it).
ACCESS_TOKEN_LIFETIME: Final = 3600.0
#: Seconds a refresh token works (30 days).
REFRESH_TOKEN_LIFETIME: Final = 30 * 24 * 3600.0
#: The redirect URI a client gets when :meth:`OAuthServer.add_client` is given none.
DEFAULT_REDIRECT_URI: Final = "http://127.0.0.1/callback"
_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_FORM: Final = "application/x-www-form-urlencoded"


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest()


@dataclass(frozen=True)
class _Client:
    secret: bytes  # its SHA-256
    redirect_uris: tuple[str, ...]


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    redirect_given: bool
    scopes: tuple[str, ...]
    challenge: str | None
    method: str | None
    expires_at: datetime
    family: int
    used: bool = False


@dataclass(frozen=True)
class _Refresh:
    client_id: str
    scopes: tuple[str, ...]
    expires_at: datetime
    family: int


@dataclass
class _Family:
    """What one sign-in issued, so that a reused code can revoke it all."""

    access_tokens: list[str] = field(default_factory=list)
    refresh_tokens: list[bytes] = field(default_factory=list)


class OAuthError(Exception):
    """An RFC 6749 §5.2 refusal: ``error`` code, description, HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        """Describe the refusal."""
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class OAuthServer:
    """The clients, codes and tokens of one fake; guarded by the fake's state lock."""

    def __init__(self, state: FakeState, tokens: Tokens) -> None:
        """Serve ``state``'s clock; issued access tokens go into ``tokens``."""
        self._state = state
        self._tokens = tokens
        self._clients: dict[str, _Client] = {}
        self._codes: dict[bytes, _Code] = {}
        self._refresh: dict[bytes, _Refresh] = {}
        self._families: dict[int, _Family] = {}
        self.requests: Counter[str] = Counter()
        self.code_lifetime = CODE_LIFETIME
        self.access_token_lifetime = ACCESS_TOKEN_LIFETIME
        self.refresh_token_lifetime = REFRESH_TOKEN_LIFETIME

    # -- for tests ----------------------------------------------------------------------------

    def add_client(
        self, client_id: str | None, client_secret: str | None, redirect_uris: Iterable[str]
    ) -> tuple[str, str]:
        """Register a client (random id and secret when None); return ``(id, secret)``."""
        client_id = client_id if client_id is not None else "client-" + secrets.token_hex(8)
        client_secret = client_secret if client_secret is not None else secrets.token_urlsafe(32)
        uris = tuple(redirect_uris)
        if not client_id or not client_secret:
            raise ValueError("a client id and secret must be non-empty")
        if not uris:
            raise ValueError("a client needs at least one redirect URI")
        with self._state.lock:
            if client_id in self._clients:
                raise ValueError(f"client {client_id!r} exists already")
            self._clients[client_id] = _Client(_digest(client_secret), uris)
        return client_id, client_secret

    def configure(
        self,
        *,
        code_lifetime: float | None = None,
        access_token_lifetime: float | None = None,
        refresh_token_lifetime: float | None = None,
    ) -> None:
        """Change the lifetimes (seconds) of what is issued from now on; None keeps one."""
        with self._state.lock:
            if code_lifetime is not None:
                self.code_lifetime = code_lifetime
            if access_token_lifetime is not None:
                self.access_token_lifetime = access_token_lifetime
            if refresh_token_lifetime is not None:
                self.refresh_token_lifetime = refresh_token_lifetime

    def revoke(self, token: str) -> bool:
        """Refuse an issued access or refresh token from now on; False when it is neither."""
        with self._state.lock:
            if self._refresh.pop(_digest(token), None) is not None:
                return True
            return self._tokens.remove(token)

    def token_requests(self, grant_type: str | None = None) -> int:
        """How many token requests arrived (of ``grant_type``, None: any), refused ones too."""
        with self._state.lock:
            if grant_type is None:
                return sum(self.requests.values())
            return self.requests[grant_type]

    # -- the endpoints ------------------------------------------------------------------------

    def authorize(self, query: Mapping[str, str]) -> str:
        """The ``Location`` of the answer to an authorization request (auto-approved).

        An unknown client or redirect URI is an :class:`OAuthError` (answered in place).
        """
        client_id = query.get("client_id", "")
        with self._state.lock:
            client = self._clients.get(client_id)
        if client is None:
            raise OAuthError("invalid_client", "Client authentication failed", 401)
        given = query.get("redirect_uri")
        if given is None and len(client.redirect_uris) == 1:
            redirect_uri = client.redirect_uris[0]
        elif given is not None and given in client.redirect_uris:
            redirect_uri = given
        else:
            raise OAuthError("invalid_request", "The redirect_uri is not registered for the client")
        answer: dict[str, str] = {}
        try:
            scopes, challenge, method = _authorization_params(query)
            answer["code"] = self._issue_code(
                client_id, redirect_uri, given is not None, scopes, challenge, method
            )
        except OAuthError as exc:
            answer = {"error": exc.error, "error_description": exc.description}
        if "state" in query:
            answer["state"] = query["state"]
        joiner = "&" if "?" in redirect_uri else "?"
        return redirect_uri + joiner + urlencode(answer)

    def token(self, form: Mapping[str, str], authorization: str | None) -> dict[str, object]:
        """The JSON answer to a token request; an :class:`OAuthError` when refused."""
        grant_type = form.get("grant_type", "")
        with self._state.lock:
            self.requests[grant_type] += 1
        client_id = self._client_of(form, authorization)
        if grant_type == "authorization_code":
            return self._exchange(client_id, form)
        if grant_type == "refresh_token":
            return self._rotate(client_id, form)
        if not grant_type:
            raise OAuthError("invalid_request", "The request is missing the grant_type")
        raise OAuthError("unsupported_grant_type", "The grant type is not supported")

    # -- rules --------------------------------------------------------------------------------

    def _client_of(self, form: Mapping[str, str], authorization: str | None) -> str:
        """The id of the client that proved itself (form fields or HTTP Basic)."""
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization is not None and authorization[:6].lower() == "basic ":
            try:
                pair = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                pair = ""
            given_id, _, given_secret = pair.partition(":")
            client_id, secret = unquote(given_id), unquote(given_secret)
        with self._state.lock:
            client = self._clients.get(client_id or "")
        if (
            client_id is None
            or secret is None
            or client is None
            or not hmac.compare_digest(client.secret, _digest(secret))
        ):
            raise OAuthError("invalid_client", "Client authentication failed", 401)
        return client_id

    def _issue_code(
        self,
        client_id: str,
        redirect_uri: str,
        redirect_given: bool,
        scopes: tuple[str, ...],
        challenge: str | None,
        method: str | None,
    ) -> str:
        code = secrets.token_urlsafe(32)
        with self._state.lock:
            family = len(self._families) + 1
            self._families[family] = _Family()
            self._codes[_digest(code)] = _Code(
                client_id,
                redirect_uri,
                redirect_given,
                scopes,
                challenge,
                method,
                self._state.now() + timedelta(seconds=self.code_lifetime),
                family,
            )
        return code

    def _exchange(self, client_id: str, form: Mapping[str, str]) -> dict[str, object]:
        code = form.get("code")
        if not code:
            raise OAuthError("invalid_request", "The request is missing the code")
        with self._state.lock:
            grant = self._codes.get(_digest(code))
            if grant is None or grant.client_id != client_id:
                raise OAuthError("invalid_grant", "The authorization code is invalid")
            if grant.used:
                self._revoke_family(grant.family)
                raise OAuthError("invalid_grant", "The authorization code has been used")
            if self._state.now() >= grant.expires_at:
                raise OAuthError("invalid_grant", "The authorization code has expired")
            redirect_uri = form.get("redirect_uri")
            if grant.redirect_given and redirect_uri != grant.redirect_uri:
                raise OAuthError("invalid_grant", "The redirect_uri does not match")
            _check_verifier(grant, form.get("code_verifier"))
            grant.used = True
            return self._issue(client_id, grant.scopes, grant.family)

    def _rotate(self, client_id: str, form: Mapping[str, str]) -> dict[str, object]:
        given = form.get("refresh_token")
        if not given:
            raise OAuthError("invalid_request", "The request is missing the refresh_token")
        with self._state.lock:
            key = _digest(given)
            grant = self._refresh.get(key)
            if grant is None or grant.client_id != client_id:
                raise OAuthError("invalid_grant", "The refresh token is invalid")
            if self._state.now() >= grant.expires_at:
                del self._refresh[key]
                raise OAuthError("invalid_grant", "The refresh token has expired")
            scopes = grant.scopes
            if "scope" in form:
                asked = tuple(form["scope"].split())
                if not set(asked) <= set(grant.scopes):
                    raise OAuthError("invalid_scope", "The requested scope is invalid")
                scopes = asked
            del self._refresh[key]
            return self._issue(client_id, scopes, grant.family)

    def _issue(self, client_id: str, scopes: tuple[str, ...], family: int) -> dict[str, object]:
        """A new access and refresh token (call with the lock held)."""
        now = self._state.now()
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(48)
        self._tokens.add(
            access, None, (), expires_at=now + timedelta(seconds=self.access_token_lifetime)
        )
        key = _digest(refresh)
        self._refresh[key] = _Refresh(
            client_id, scopes, now + timedelta(seconds=self.refresh_token_lifetime), family
        )
        issued = self._families[family]
        issued.access_tokens.append(access)
        issued.refresh_tokens.append(key)
        return {
            "token_type": "Bearer",
            "expires_in": int(self.access_token_lifetime),
            "access_token": access,
            "refresh_token": refresh,
            "scope": " ".join(scopes),
        }

    def _revoke_family(self, family: int) -> None:
        issued = self._families[family]
        for access in issued.access_tokens:
            self._tokens.remove(access)
        for key in issued.refresh_tokens:
            self._refresh.pop(key, None)


def _authorization_params(
    query: Mapping[str, str],
) -> tuple[tuple[str, ...], str | None, str | None]:
    """The scopes and PKCE challenge of an authorization request, checked."""
    if query.get("response_type") != "code":
        raise OAuthError("unsupported_response_type", "The response type must be code")
    scopes = tuple(dict.fromkeys(query.get("scope", "").split()))
    if any(scope not in OAUTH2_SCOPES for scope in scopes):
        raise OAuthError("invalid_scope", "The requested scope is invalid, unknown, or malformed")
    challenge = query.get("code_challenge")
    method = query.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise OAuthError("invalid_request", "code_challenge_method without code_challenge")
        return scopes, None, None
    method = method or "plain"
    if method not in ("S256", "plain"):
        raise OAuthError("invalid_request", "The code_challenge_method must be S256 or plain")
    if not 43 <= len(challenge) <= 128:
        raise OAuthError("invalid_request", "The code_challenge must be 43 to 128 characters")
    return scopes, challenge, method


def _check_verifier(grant: _Code, verifier: str | None) -> None:
    if grant.challenge is None:
        if verifier is not None:
            raise OAuthError("invalid_request", "A code_verifier was given but no challenge")
        return
    if verifier is None:
        raise OAuthError("invalid_request", "The request is missing the code_verifier")
    try:
        computed = pkce_challenge(verifier) if grant.method == "S256" else verifier
    except UnicodeEncodeError:
        computed = ""
    if not hmac.compare_digest(computed.encode(), grant.challenge.encode()):
        raise OAuthError("invalid_grant", "The code_verifier does not match the challenge")


# --- aiohttp -------------------------------------------------------------------------------------

OAUTH_KEY: Final = web.AppKey("webwork_fake_oauth", OAuthServer)


def _refusal(exc: OAuthError, basic: bool = False) -> web.Response:
    headers = dict(_NO_STORE)
    if exc.status == 401 and basic:
        headers["WWW-Authenticate"] = 'Basic realm="oauth"'
    return web.json_response(
        {"error": exc.error, "error_description": exc.description, "message": exc.description},
        status=exc.status,
        headers=headers,
    )


async def _authorize(request: web.Request) -> web.Response:
    try:
        location = request.app[OAUTH_KEY].authorize(request.query)
    except OAuthError as exc:
        return _refusal(exc)
    return web.Response(status=302, headers={"Location": location})


async def _token(request: web.Request) -> web.Response:
    authorization = request.headers.get("Authorization")
    basic = authorization is not None and authorization[:6].lower() == "basic "
    if request.content_type != _FORM:
        return _refusal(OAuthError("invalid_request", f"The body must be {_FORM}"))
    form = {name: value for name, value in (await request.post()).items() if isinstance(value, str)}
    try:
        answer = request.app[OAUTH_KEY].token(form, authorization)
    except OAuthError as exc:
        return _refusal(exc, basic)
    return web.json_response(answer, headers=_NO_STORE)


def add_routes(app: web.Application) -> None:
    """Serve ``GET /oauth/authorize`` and ``POST /oauth/token``."""
    app.router.add_get(OAUTH_PREFIX + "/authorize", _authorize)
    app.router.add_post(OAUTH_PREFIX + "/token", _token)
