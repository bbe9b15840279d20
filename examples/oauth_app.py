"""An aiohttp.web app that signs WebWork users in with OAuth2 and acts for each of them.

    GET /login       redirects the browser to WebWork's authorize URL (a state and a PKCE verifier
                     kept on the server for this browser)
    GET /callback    WebWork redirects back here: the state is checked, the code exchanged, and
                     the user's token pair saved to a file of its own (mode 0600)
    GET /workspaces  the signed-in user's workspaces, as JSON: [{"id": ..., "name": ...}, ...]
    GET /logout      forgets the user's token

Each request opens a light ``AsyncSession(auth=OAuth2Auth(...))`` over one aiohttp session the app
shares. The session refreshes the user's access token ahead of its expiry; concurrent requests of
one user cause one refresh, and each new pair is saved before they go on. A user whose refresh
token has expired or was revoked is sent back to /login. Tokens and the client secret are never
logged, shown or put in a cookie: the browser only holds a random id.

Run it against the fake server (client id and secret, and all URLs, from the environment)::

    WEBWORK_TOKEN=dev-token WEBWORK_FAKE_OAUTH_SECRET=dev-secret .venv/bin/webwork-fake \
        --port 8080 --workspaces 3 \
        --oauth-client example-app --oauth-redirect http://127.0.0.1:8000/callback
    WEBWORK_BASE_URL=http://127.0.0.1:8080/api/v2/ \
    WEBWORK_OAUTH_CLIENT_ID=example-app WEBWORK_OAUTH_CLIENT_SECRET=dev-secret \
    WEBWORK_OAUTH_AUTHORIZE_URL=http://127.0.0.1:8080/oauth/authorize \
    WEBWORK_OAUTH_TOKEN_URL=http://127.0.0.1:8080/oauth/token \
        python examples/oauth_app.py --port 8000 --tokens ./tokens
    open http://127.0.0.1:8000/login

The fake approves every sign-in at once, so the browser lands on /workspaces straight away.
Ctrl-C (SIGINT) or SIGTERM stops it cleanly.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

from webwork_async import AsyncSession, OAuth2Error, WebWorkError
from webwork_async.oauth2 import (
    AuthorizationRequest,
    FileTokenStore,
    OAuth2Auth,
    OAuth2Token,
    authorize_url,
    exchange_code,
)

COOKIE = "browser"  # a random id; the tokens stay on the server
TIMEOUT = 10.0  # seconds for a whole WebWork call, retries included
log = logging.getLogger("oauth_app")


@dataclass
class Settings:
    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str
    token_url: str
    base_url: str
    redirect_uri: str
    tokens: Path

    @classmethod
    def from_env(cls, redirect_uri: str, tokens: Path) -> Settings:
        env = os.environ
        return cls(
            client_id=env["WEBWORK_OAUTH_CLIENT_ID"],
            client_secret=env["WEBWORK_OAUTH_CLIENT_SECRET"],
            authorize_url=env.get(
                "WEBWORK_OAUTH_AUTHORIZE_URL", "https://webwork-tracker.com/oauth/authorize"
            ),
            token_url=env.get("WEBWORK_OAUTH_TOKEN_URL", "https://webwork-tracker.com/oauth/token"),
            base_url=env.get("WEBWORK_BASE_URL", "https://api.webwork-tracker.com/api/v2/"),
            redirect_uri=redirect_uri,
            tokens=tokens,
        )


SETTINGS = web.AppKey("settings", Settings)
HTTP = web.AppKey("http", aiohttp.ClientSession)
PENDING = web.AppKey("pending", dict[str, AuthorizationRequest])  # browser id -> sign-in


async def http_session(app: web.Application) -> AsyncIterator[None]:
    """One connection pool for every user's requests and for the token URL."""
    async with aiohttp.ClientSession() as http:
        app[HTTP] = http
        yield


def browser_id(request: web.Request) -> str | None:
    value = request.cookies.get(COOKIE)
    return (
        value
        if value and value.isascii() and value.replace("-", "").replace("_", "").isalnum()
        else None
    )


def token_store(request: web.Request, browser: str) -> FileTokenStore:
    """The file of one browser's token pair (a real app keys it by its own user id)."""
    return FileTokenStore(request.app[SETTINGS].tokens / f"{browser}.json")


async def login(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    browser = browser_id(request) or secrets.token_urlsafe(24)
    sign_in = authorize_url(
        settings.client_id,
        settings.redirect_uri,
        ["read"],
        pkce=True,
        authorize_url=settings.authorize_url,
    )
    request.app[PENDING][browser] = sign_in
    answer = web.HTTPFound(sign_in.url)
    answer.set_cookie(COOKIE, browser, httponly=True, samesite="Lax")
    raise answer


async def callback(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    browser = browser_id(request)
    sign_in = request.app[PENDING].pop(browser, None) if browser else None
    state = request.query.get("state", "")
    if browser is None or sign_in is None or not hmac.compare_digest(state, sign_in.state):
        return web.json_response({"error": "unknown or stale sign-in; start at /login"}, status=400)
    if "code" not in request.query:
        error = request.query.get("error", "no code")
        return web.json_response({"error": f"sign-in refused: {error}"}, status=400)
    try:
        token = await exchange_code(
            request.query["code"],
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            redirect_uri=settings.redirect_uri,
            code_verifier=sign_in.code_verifier,
            token_url=settings.token_url,
            session=request.app[HTTP],
        )
    except WebWorkError as exc:  # never holds the secret, the code or a token
        log.warning("sign-in failed: %s", exc)
        return web.json_response({"error": "sign-in failed; start at /login"}, status=400)
    await token_store(request, browser).save(token)
    log.info("signed in (token expires at %s)", token.expires_at.isoformat())
    raise web.HTTPFound("/workspaces")


def on_token_refresh(token: OAuth2Token) -> None:
    log.info("token refreshed (expires at %s)", token.expires_at.isoformat())


async def workspaces(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    browser = browser_id(request)
    store = token_store(request, browser) if browser else None
    token = None if store is None else await store.load()
    if store is None or token is None:
        raise web.HTTPFound("/login")
    auth = OAuth2Auth(
        token,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        store=store,
        token_url=settings.token_url,
        on_token_refresh=on_token_refresh,
    )
    try:
        async with AsyncSession(
            auth=auth, base_url=settings.base_url, session=request.app[HTTP]
        ) as ww:
            found = [
                {"id": each.id, "name": each.workspace_name}
                async for each in ww.workspaces.list(total_timeout=TIMEOUT)
            ]
    except OAuth2Error as exc:
        if exc.sign_in_again:  # the refresh token expired (30 days) or was revoked
            log.info("the user has to sign in again")
            raise web.HTTPFound("/login") from None
        raise web.HTTPBadGateway(text="WebWork refused the token") from None
    except WebWorkError as exc:
        log.warning("WebWork call failed: %s", exc)
        return web.json_response({"error": type(exc).__name__}, status=502)
    return web.json_response(found)


async def logout(request: web.Request) -> web.Response:
    browser = browser_id(request)
    if browser is not None:
        token_store(request, browser).path.unlink(missing_ok=True)
    answer = web.json_response({"signed_out": True})
    answer.del_cookie(COOKIE)
    return answer


def make_app(settings: Settings) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings
    app[PENDING] = {}
    app.cleanup_ctx.append(http_session)
    app.router.add_get("/login", login)
    app.router.add_get("/callback", callback)
    app.router.add_get("/workspaces", workspaces)
    app.router.add_get("/logout", logout)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--tokens", type=Path, default=Path("tokens"), help="token files' folder")
    parser.add_argument(
        "--redirect-uri", help="the callback WebWork redirects to (default: this app's /callback)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args.tokens.mkdir(parents=True, exist_ok=True, mode=0o700)
    redirect_uri = args.redirect_uri or f"http://{args.host}:{args.port}/callback"
    app = make_app(Settings.from_env(redirect_uri, args.tokens))
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
