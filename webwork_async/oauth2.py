"""OAuth2 sign-in for apps that act for WebWork users: the Authorization Code flow.

1. :func:`authorize_url` builds the URL to send the user's browser to, with a random ``state``
   (and a PKCE verifier when asked) that the caller keeps until the user comes back.
2. The service redirects the browser to ``redirect_uri?code=...&state=...``; the app checks the
   state and calls :func:`exchange_code`, which returns an :class:`OAuth2Token`.
3. ``AsyncSession(auth=OAuth2Auth(token, client_id=..., client_secret=..., store=...))`` sends
   the access token and refreshes it before it expires (once for every session of the process
   that holds it), saving each new pair to a :class:`TokenStore` (:class:`MemoryTokenStore`,
   :class:`FileTokenStore`, or the app's own). :func:`refresh` is the same call by hand.

What the docs say (reference §2.2): the authorize URL ``https://webwork-tracker.com/oauth/authorize``
with ``client_id``, ``redirect_uri``, ``response_type=code`` and a space-separated ``scope`` of
``read``, ``write``, ``admin``. What is **inferred**, and configurable: the token URL
(``https://webwork-tracker.com/oauth/token``, ``token_url=``), the fields of its answer (RFC 6749
§5.1: ``access_token``, ``token_type``, ``expires_in``, ``refresh_token``, ``scope``; read
tolerantly: ``expires_in`` may be a numeric string, ``scope`` and ``refresh_token`` may be
missing), how the client proves itself (form fields, or HTTP Basic with ``client_auth="basic"``),
PKCE support (RFC 7636) and the RFC 6749 §5.2 error answers.

The client secret, codes, PKCE verifiers and tokens never appear in a ``repr``, an exception
message or a traceback's locals: each is wrapped in a ``Secret`` as soon as a function gets it.
"""

from webwork_async._oauth2_flow import (
    AuthorizationRequest,
    ClientAuth,
    FileTokenStore,
    MemoryTokenStore,
    OAuth2Token,
    TokenStore,
    authorize_url,
    exchange_code,
    parse_token_response,
    pkce_challenge,
    refresh,
)
from webwork_async._token_refresh import (
    OAuth2Auth,
    OAuth2Options,
    RefreshNeed,
    TokenCallback,
    refresh_need,
)

__all__ = [
    "AuthorizationRequest",
    "ClientAuth",
    "FileTokenStore",
    "MemoryTokenStore",
    "OAuth2Auth",
    "OAuth2Options",
    "OAuth2Token",
    "RefreshNeed",
    "TokenCallback",
    "TokenStore",
    "authorize_url",
    "exchange_code",
    "parse_token_response",
    "pkce_challenge",
    "refresh",
    "refresh_need",
]
