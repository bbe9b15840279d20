"""The fake's OAuth2 endpoints (``/oauth/authorize``, ``/oauth/token``), over raw HTTP."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from webwork_async.oauth2 import pkce_challenge
from webwork_async.testing import FakeWebWork

REDIRECT = "http://127.0.0.1:9/back?keep=1"
VERIFIER = "v" * 50


@dataclass
class OAuth:
    fake: FakeWebWork
    http: aiohttp.ClientSession
    client_id: str
    secret: str

    async def authorize(self, **params: str) -> tuple[int, dict[str, list[str]], str]:
        query = {
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "read write",
            "state": "st",
        }
        query.update(params)
        query = {name: value for name, value in query.items() if value != "-"}
        assert self.fake.oauth_authorize_url is not None
        async with self.http.get(
            self.fake.oauth_authorize_url, params=query, allow_redirects=False
        ) as answer:
            location = answer.headers.get("Location", "")
            return answer.status, parse_qs(urlsplit(location).query), location

    async def code(self, **params: str) -> str:
        status, query, _ = await self.authorize(**params)
        assert status == 302, query
        return query["code"][0]

    async def token(self, **form: str) -> tuple[int, dict[str, Any]]:
        fields = {"client_id": self.client_id, "client_secret": self.secret}
        fields.update(form)
        assert self.fake.oauth_token_url is not None
        async with self.http.post(self.fake.oauth_token_url, data=fields) as answer:
            return answer.status, await answer.json()

    async def exchange(self, code: str, **form: str) -> tuple[int, dict[str, Any]]:
        return await self.token(
            grant_type="authorization_code", code=code, redirect_uri=REDIRECT, **form
        )


@pytest.fixture
async def oauth(fake: FakeWebWork) -> AsyncIterator[OAuth]:
    client_id, secret = fake.add_oauth_client(redirect_uris=[REDIRECT, "http://127.0.0.1:9/b"])
    async with fake.serve(), aiohttp.ClientSession() as http:
        yield OAuth(fake, http, client_id, secret)


async def test_authorize_redirects_with_code_and_state(oauth: OAuth) -> None:
    status, query, location = await oauth.authorize()
    assert status == 302
    assert location.startswith(REDIRECT + "&")
    assert query["keep"] == ["1"] and query["state"] == ["st"] and query["code"]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "read delete"}, "invalid_scope"),
        ({"code_challenge": VERIFIER, "code_challenge_method": "S512"}, "invalid_request"),
        ({"code_challenge_method": "S256"}, "invalid_request"),
    ],
)
async def test_authorize_redirects_errors(oauth: OAuth, params: dict[str, str], error: str) -> None:
    status, query, _ = await oauth.authorize(**params)
    assert status == 302
    assert query["error"] == [error] and query["state"] == ["st"] and "code" not in query


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"client_id": "nobody"}, 401),
        ({"redirect_uri": "http://evil.example/"}, 400),
        ({"redirect_uri": "-"}, 400),  # two are registered: it must be named
    ],
)
async def test_authorize_answers_bad_clients_in_place(
    oauth: OAuth, params: dict[str, str], status: int
) -> None:
    got, _, location = await oauth.authorize(**params)
    assert (got, location) == (status, "")


async def test_the_token_endpoint_takes_no_bearer_and_counts(oauth: OAuth) -> None:
    status, body = await oauth.exchange(await oauth.code())
    assert status == 200
    assert set(body) == {"token_type", "expires_in", "access_token", "refresh_token", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "read write")
    assert oauth.fake.oauth_token_requests() == 1
    assert oauth.fake.oauth_token_requests("authorization_code") == 1
    assert oauth.fake.request_count("POST", "/oauth/token") == 1


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"redirect_uri": "http://127.0.0.1:9/b"}, 400, "invalid_grant"),
        ({"code": "made-up"}, 400, "invalid_grant"),
        ({"code_verifier": VERIFIER}, 400, "invalid_request"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": ""}, 400, "invalid_request"),
    ],
)
async def test_code_exchange_rules(
    oauth: OAuth, form: dict[str, str], status: int, error: str
) -> None:
    code = await oauth.code()
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    fields.update(form)
    got, body = await oauth.token(**fields)
    assert (got, body["error"]) == (status, error)
    assert body["error_description"] == body["message"]


async def test_a_code_works_once_and_expires(oauth: OAuth) -> None:
    code = await oauth.code()
    assert (await oauth.exchange(code))[0] == 200
    status, body = await oauth.exchange(code)
    assert (status, body["error"]) == (400, "invalid_grant")
    oauth.fake.configure_oauth(code_lifetime=0)
    status, body = await oauth.exchange(await oauth.code())
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "expired" in body["error_description"]


@pytest.mark.parametrize("method", ["S256", "plain"])
async def test_pkce_is_verified(oauth: OAuth, method: str) -> None:
    challenge = pkce_challenge(VERIFIER) if method == "S256" else VERIFIER
    params = {"code_challenge": challenge, "code_challenge_method": method}
    status, body = await oauth.exchange(await oauth.code(**params))
    assert (status, body["error"]) == (400, "invalid_request")  # no verifier
    status, body = await oauth.exchange(await oauth.code(**params), code_verifier="w" * 50)
    assert (status, body["error"]) == (400, "invalid_grant")
    status, _ = await oauth.exchange(await oauth.code(**params), code_verifier=VERIFIER)
    assert status == 200


async def test_refresh_rotates(oauth: OAuth) -> None:
    _, first = await oauth.exchange(await oauth.code())
    status, second = await oauth.token(
        grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert status == 200
    assert second["refresh_token"] != first["refresh_token"]
    status, body = await oauth.token(
        grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    status, narrower = await oauth.token(
        grant_type="refresh_token", refresh_token=second["refresh_token"], scope="read"
    )
    assert (status, narrower["scope"]) == (200, "read")
    status, body = await oauth.token(
        grant_type="refresh_token", refresh_token=narrower["refresh_token"], scope="admin"
    )
    assert (status, body["error"]) == (400, "invalid_scope")
    assert oauth.fake.oauth_token_requests("refresh_token") == 4


async def test_refresh_tokens_expire_and_are_revoked(oauth: OAuth) -> None:
    oauth.fake.configure_oauth(refresh_token_lifetime=0)
    _, expiring = await oauth.exchange(await oauth.code())
    status, body = await oauth.token(
        grant_type="refresh_token", refresh_token=expiring["refresh_token"]
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    oauth.fake.configure_oauth(refresh_token_lifetime=3600)
    _, pair = await oauth.exchange(await oauth.code())
    assert oauth.fake.revoke_oauth_token(pair["refresh_token"])
    assert not oauth.fake.revoke_oauth_token("never-issued")
    status, body = await oauth.token(
        grant_type="refresh_token", refresh_token=pair["refresh_token"]
    )
    assert (status, body["error"]) == (400, "invalid_grant")


async def test_issued_access_tokens_work_until_expiry_or_revocation(oauth: OAuth) -> None:
    workspace = oauth.fake.add_workspace(name="W")
    _, pair = await oauth.exchange(await oauth.code())
    oauth.fake.configure_oauth(access_token_lifetime=0)
    _, expired = await oauth.exchange(await oauth.code())
    assert oauth.fake.base_url is not None
    url = oauth.fake.base_url + "workspaces"

    async def status_of(token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        async with oauth.http.get(url, headers=headers) as answer:
            return answer.status

    assert await status_of(pair["access_token"]) == 200
    assert await status_of(expired["access_token"]) == 401
    assert oauth.fake.revoke_oauth_token(pair["access_token"])
    assert await status_of(pair["access_token"]) == 401
    assert workspace


async def test_basic_client_authentication(oauth: OAuth) -> None:
    code = await oauth.code()
    basic = base64.b64encode(f"{oauth.client_id}:{oauth.secret}".encode()).decode()
    assert oauth.fake.oauth_token_url is not None
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    async with oauth.http.post(
        oauth.fake.oauth_token_url, data=form, headers={"Authorization": f"Basic {basic}"}
    ) as answer:
        assert answer.status == 200
    wrong = base64.b64encode(f"{oauth.client_id}:nope".encode()).decode()
    async with oauth.http.post(
        oauth.fake.oauth_token_url, data=form, headers={"Authorization": f"Basic {wrong}"}
    ) as answer:
        assert answer.status == 401
        assert answer.headers["WWW-Authenticate"].startswith("Basic")


async def test_add_oauth_client_rules(fake: FakeWebWork) -> None:
    client_id, secret = fake.add_oauth_client("app", "s3cret")
    assert (client_id, secret) == ("app", "s3cret")
    with pytest.raises(ValueError, match="exists already"):
        fake.add_oauth_client("app")
    with pytest.raises(ValueError, match="redirect URI"):
        fake.add_oauth_client(redirect_uris=())
    assert fake.oauth_token_url is None
