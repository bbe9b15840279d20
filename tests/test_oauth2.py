"""OAuth2 sign-in (webwork_async.oauth2) against the fake's /oauth endpoints over HTTP."""

from __future__ import annotations

import os
import stat
import traceback
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import msgspec
import pytest
from oauth_app import REDIRECT, SECRET, App

from webwork_async import AsyncSession
from webwork_async.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    InvalidArgumentError,
    OAuth2Error,
)
from webwork_async.oauth2 import (
    FileTokenStore,
    MemoryTokenStore,
    OAuth2Token,
    TokenStore,
    authorize_url,
    exchange_code,
    parse_token_response,
    refresh,
)
from webwork_async.testing import FakeWebWork


async def workspace_names(fake: FakeWebWork, token: OAuth2Token) -> list[str | None]:
    assert fake.base_url is not None
    async with AsyncSession(
        token.access_token, base_url=fake.base_url, rate_limit=None, retry=None
    ) as ww:
        return [workspace.workspace_name async for workspace in ww.workspaces.list()]


@pytest.mark.parametrize("pkce", [False, True])
async def test_the_code_flow_gives_a_token_the_api_takes(oauth_app: App, pkce: bool) -> None:
    before = datetime.now(timezone.utc)
    token = await oauth_app.sign_in(pkce=pkce)
    assert token.scopes == ("read", "write")
    assert token.token_type == "Bearer"
    assert token.refresh_token
    assert timedelta(minutes=59) < token.expires_at - before <= timedelta(hours=1, seconds=5)
    assert not token.expired()
    assert await workspace_names(oauth_app.fake, token) == ["Acme"]
    assert oauth_app.fake.oauth_token_requests("authorization_code") == 1
    recorded = b"".join(request.body for request in oauth_app.fake.requests)  # it keeps none
    assert oauth_app.client_secret.encode() not in recorded
    assert token.access_token.encode() not in recorded


async def test_an_expired_access_token_gets_401(oauth_app: App) -> None:
    oauth_app.fake.configure_oauth(access_token_lifetime=0)
    token = await oauth_app.sign_in()
    assert token.expired()
    with pytest.raises(AuthenticationError):
        await workspace_names(oauth_app.fake, token)


async def test_a_code_works_once(oauth_app: App) -> None:
    code, _ = await oauth_app.code()
    first = await oauth_app.exchange(code, session=None)  # a session of its own
    with pytest.raises(OAuth2Error) as reused:
        await oauth_app.exchange(code)
    assert reused.value.error == "invalid_grant"
    assert reused.value.status == 400
    assert reused.value.sign_in_again
    assert "sign in again" in str(reused.value)
    # RFC 6749 §4.1.2: what the code gave is revoked when it comes back.
    with pytest.raises(AuthenticationError):
        await workspace_names(oauth_app.fake, first)


async def test_a_wrong_secret_is_invalid_client(oauth_app: App) -> None:
    code, _ = await oauth_app.code()
    with pytest.raises(OAuth2Error) as refused:
        await oauth_app.exchange(code, client_secret="wrong")
    assert (refused.value.error, refused.value.status) == ("invalid_client", 401)
    assert not refused.value.sign_in_again


async def test_basic_client_auth(oauth_app: App) -> None:
    code, _ = await oauth_app.code()
    token = await oauth_app.exchange(code, client_auth="basic")
    assert await workspace_names(oauth_app.fake, token) == ["Acme"]


async def test_refresh_rotates_and_the_old_refresh_token_is_refused(oauth_app: App) -> None:
    first = await oauth_app.sign_in()
    second = await refresh(
        first,
        client_id=oauth_app.client_id,
        client_secret=oauth_app.client_secret,
        token_url=oauth_app.token_url,
        session=oauth_app.http,
    )
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert second.scopes == first.scopes
    assert await workspace_names(oauth_app.fake, second) == ["Acme"]
    assert first.refresh_token is not None
    with pytest.raises(OAuth2Error) as refused:
        await refresh(
            first.refresh_token,
            client_id=oauth_app.client_id,
            client_secret=oauth_app.client_secret,
            token_url=oauth_app.token_url,
            session=oauth_app.http,
        )
    assert refused.value.error == "invalid_grant"
    assert oauth_app.fake.oauth_token_requests("refresh_token") == 2


async def test_an_expired_refresh_token_says_sign_in_again(oauth_app: App) -> None:
    oauth_app.fake.configure_oauth(refresh_token_lifetime=0)
    token = await oauth_app.sign_in()
    with pytest.raises(AuthenticationError) as refused:
        await refresh(
            token,
            client_id=oauth_app.client_id,
            client_secret=oauth_app.client_secret,
            token_url=oauth_app.token_url,
            session=oauth_app.http,
        )
    assert isinstance(refused.value, OAuth2Error)
    assert "the user must sign in again" in str(refused.value)


async def test_a_bad_scope_is_refused_before_any_request(oauth_app: App) -> None:
    with pytest.raises(InvalidArgumentError, match="'delete'") as refused:
        authorize_url(oauth_app.client_id, REDIRECT, ["read", "delete"])
    assert refused.value.argument == "scopes"
    with pytest.raises(InvalidArgumentError):
        authorize_url(oauth_app.client_id, REDIRECT, [])
    assert oauth_app.fake.requests == []


def test_authorize_url_parameters() -> None:
    request = authorize_url("cid", REDIRECT, "read write read", state="s1", pkce=True)
    parts = urlsplit(request.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://webwork-tracker.com/oauth/authorize"
    )
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert query.pop("code_challenge")
    assert query == {
        "client_id": "cid",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "read write",
        "state": "s1",
        "code_challenge_method": "S256",
    }
    assert request.code_verifier is not None
    assert 43 <= len(request.code_verifier) <= 128
    assert request.code_verifier not in repr(request)
    plain = authorize_url("cid", REDIRECT, ["admin"])
    assert plain.code_verifier is None
    assert len(plain.state) >= 32
    assert plain.state != authorize_url("cid", REDIRECT, ["admin"]).state


def test_a_token_answer_is_read_tolerantly() -> None:
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    token = parse_token_response(
        b'{"access_token": "a", "token_type": "bearer", "expires_in": "120"}',
        received_at=at,
        scopes=["read"],
        refresh_token="kept",
    )
    assert token.expires_at == at + timedelta(seconds=120)
    assert (token.scopes, token.refresh_token, token.token_type) == (("read",), "kept", "bearer")
    assumed = parse_token_response(b'{"access_token": "a"}', received_at=at)
    assert assumed.expires_at == at + timedelta(hours=1)
    assert assumed.refresh_token is None
    for bad in (
        b'{"token_type": "Bearer"}',
        b"<html>",
        b'{"access_token": "a", "expires_in": "x"}',
    ):
        with pytest.raises(OAuth2Error):
            parse_token_response(bad)


async def test_a_connection_failure_is_a_connect_error() -> None:
    with pytest.raises(ConnectError):
        await refresh(
            "r", client_id="c", client_secret="s", token_url="http://127.0.0.1:9/oauth/token"
        )


async def test_no_secret_in_repr_error_or_traceback_locals(oauth_app: App) -> None:
    token = await oauth_app.sign_in(pkce=True)
    assert token.refresh_token is not None
    secrets = [SECRET, token.access_token, token.refresh_token]
    shown = [repr(token), str(token), repr(MemoryTokenStore(token))]
    for shown_text in shown:
        assert not any(secret in shown_text for secret in secrets)
    code, verifier = await oauth_app.code(pkce=True)
    assert verifier is not None
    secrets += [code, verifier]
    await oauth_app.exchange(code, code_verifier=verifier)
    failures: list[BaseException] = []
    for attempt in (
        exchange_code(
            code,
            client_id=oauth_app.client_id,
            client_secret=SECRET,
            redirect_uri=REDIRECT,
            code_verifier=verifier,
            token_url=oauth_app.token_url,
            session=oauth_app.http,
        ),
        refresh(
            token.refresh_token,
            client_id=oauth_app.client_id,
            client_secret=SECRET,
            token_url="http://127.0.0.1:9/oauth/token",
        ),
    ):
        with pytest.raises((OAuth2Error, ConnectError)) as caught:
            await attempt
        failures.append(caught.value)
    for failure in failures:
        rendered = library_frames(
            traceback.TracebackException.from_exception(failure, capture_locals=True)
        )
        assert "_oauth2_flow.py" in rendered
        rendered += repr(failure) + str(failure) + repr(failure.__cause__)
        leaked = [secret for secret in secrets if secret in rendered]
        assert not leaked, rendered


def library_frames(exc: traceback.TracebackException | None) -> str:
    """The library's frames of ``exc`` and the exceptions it renders, with their locals (the
    test's own frames hold the secrets it passed)."""
    text = ""
    while exc is not None:
        for frame in exc.stack:
            if f"{os.sep}webwork_async{os.sep}" in frame.filename:
                text += f"{frame.filename}:{frame.name} {frame.locals}\n"
        text += "".join(exc.format_exception_only())
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return text


async def test_file_store_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    store = FileTokenStore(path)
    assert isinstance(store, TokenStore)
    assert await store.load() is None
    token = OAuth2Token(
        access_token="a",
        refresh_token="r",
        expires_at=datetime(2026, 1, 1, 12, tzinfo=timezone.utc),
        scopes=("read",),
    )
    await store.save(token)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert await FileTokenStore(path).load() == token
    newer = msgspec.structs.replace(token, access_token="b")
    await store.save(newer)
    assert await store.load() == newer
    assert os.listdir(tmp_path) == ["token.json"]  # no temporary file left
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


async def test_file_store_refuses_a_missing_directory_and_a_broken_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        FileTokenStore(tmp_path / "nowhere" / "token.json")
    path = tmp_path / "token.json"
    path.write_text("not json")
    with pytest.raises(ConfigurationError, match="holds no token"):
        await FileTokenStore(path).load()


async def test_memory_store() -> None:
    store = MemoryTokenStore()
    assert await store.load() is None
    token = parse_token_response(b'{"access_token": "a"}')
    await store.save(token)
    assert await store.load() is token
