"""A web app's side of an OAuth2 sign-in against the fake server, for the OAuth2 tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp

from webwork_async.oauth2 import OAuth2Token, authorize_url, exchange_code
from webwork_async.testing import FakeWebWork

REDIRECT = "http://127.0.0.1:9/callback"
SECRET = "client-secret-not-for-eyes"


@dataclass
class App:
    fake: FakeWebWork
    client_id: str
    client_secret: str
    http: aiohttp.ClientSession

    @property
    def token_url(self) -> str:
        assert self.fake.oauth_token_url is not None
        return self.fake.oauth_token_url

    async def sign_in(self, *, pkce: bool = False, scopes: str = "read write") -> OAuth2Token:
        code, verifier = await self.code(pkce=pkce, scopes=scopes)
        return await self.exchange(code, code_verifier=verifier)

    async def exchange(self, code: str, **options: Any) -> OAuth2Token:
        options = {"client_secret": self.client_secret, "session": self.http, **options}
        return await exchange_code(
            code,
            client_id=self.client_id,
            redirect_uri=REDIRECT,
            token_url=self.token_url,
            **options,
        )

    async def code(self, *, pkce: bool = False, scopes: str = "read") -> tuple[str, str | None]:
        assert self.fake.oauth_authorize_url is not None
        request = authorize_url(
            self.client_id, REDIRECT, scopes, pkce=pkce, authorize_url=self.fake.oauth_authorize_url
        )
        async with self.http.get(request.url, allow_redirects=False) as answer:
            assert answer.status == 302
            location = answer.headers["Location"]
        assert location.startswith(REDIRECT + "?")
        query = parse_qs(urlsplit(location).query)
        assert query["state"] == [request.state]
        return query["code"][0], request.code_verifier


@asynccontextmanager
async def oauth_app() -> AsyncIterator[App]:
    """A fake serving one workspace ("Acme") and one client, and a browser-ish HTTP session."""
    fake = FakeWebWork()
    fake.add_workspace(name="Acme")
    client_id, client_secret = fake.add_oauth_client(client_secret=SECRET, redirect_uris=[REDIRECT])
    async with fake.serve(), aiohttp.ClientSession() as http:
        yield App(fake, client_id, client_secret, http)
