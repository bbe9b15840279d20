"""OAuth2 inside an AsyncSession (webwork_async.OAuth2Auth) against the fake's token URL: one
refresh for many concurrent stale requests, in both windows and after a 401, across sessions,
loops and another process's rotation; a clear error when only a new sign-in can help."""

from __future__ import annotations

import asyncio
import logging
import threading
import traceback
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from oauth_app import SECRET, App
from test_oauth2 import library_frames

from webwork_async import AsyncSession
from webwork_async.errors import AuthenticationError, ConfigurationError, OAuth2Error
from webwork_async.oauth2 import (
    FileTokenStore,
    MemoryTokenStore,
    OAuth2Auth,
    OAuth2Token,
    refresh,
    refresh_need,
)

REQUESTS = 100
HOUR = 3600.0


def auth_for(app: App, token: OAuth2Token, **options: Any) -> OAuth2Auth:
    return OAuth2Auth(
        token,
        client_id=app.client_id,
        client_secret=app.client_secret,
        token_url=app.token_url,
        **options,
    )


async def signed_in(app: App, lifetime: float) -> OAuth2Token:
    """A token that expires in ``lifetime`` seconds; the tokens issued after it last an hour."""
    app.fake.configure_oauth(access_token_lifetime=lifetime)
    token = await app.sign_in()
    app.fake.configure_oauth(access_token_lifetime=HOUR)
    return token


def session(app: App, auth: OAuth2Auth) -> AsyncSession:
    assert app.fake.base_url is not None
    return AsyncSession(auth=auth, base_url=app.fake.base_url, rate_limit=None, retry=None)


async def names(ww: AsyncSession, count: int = REQUESTS) -> list[list[Any]]:
    """``count`` concurrent GET /workspaces through ``ww``."""
    calls = [ww.api.request("GET", "workspaces") for _ in range(count)]
    answers = await asyncio.gather(*calls)
    return [[workspace["workspace_name"] for workspace in answer] for answer in answers]


def api_callers(app: App) -> Counter[int | None]:
    """How many API requests each token sent (the fake numbers tokens by when it issued them)."""
    return Counter(r.caller for r in app.fake.requests if r.path.startswith("/api/"))


def refreshes(app: App) -> int:
    return app.fake.oauth_token_requests("refresh_token")


@pytest.mark.parametrize(
    ("expires_in", "need"),
    [(3600, "none"), (301, "none"), (300, "advisory"), (61, "advisory"), (60, "mandatory"),
     (0, "mandatory"), (-5, "mandatory")],
)  # fmt: skip
def test_the_windows_decide_what_a_token_needs(expires_in: float, need: str) -> None:
    assert refresh_need(expires_in) == need
    assert refresh_need(expires_in, advisory_window=0, mandatory_window=0) == (
        "mandatory" if expires_in <= 0 else "none"
    )


async def test_a_session_signed_in_with_oauth2_calls_the_api(oauth_app: App) -> None:
    token = await oauth_app.sign_in()
    async with session(oauth_app, auth_for(oauth_app, token)) as ww:
        assert [w.workspace_name async for w in ww.workspaces.list()] == ["Acme"]
    assert refreshes(oauth_app) == 0
    assert api_callers(oauth_app) == {1: 1}  # the signed-in token, the first the fake issued


async def test_a_hundred_requests_in_the_mandatory_window_wait_for_one_refresh(
    oauth_app: App,
) -> None:
    token = await signed_in(oauth_app, lifetime=30)
    seen: list[OAuth2Token] = []
    store = MemoryTokenStore(token)
    auth = auth_for(oauth_app, token, store=store, on_token_refresh=seen.append)
    async with session(oauth_app, auth) as ww:
        assert await names(ww) == [["Acme"]] * REQUESTS
    assert refreshes(oauth_app) == 1
    assert api_callers(oauth_app) == {2: REQUESTS}  # every one waited, and sent the new token
    assert [auth.token] == seen == [await store.load()]
    assert auth.token.refresh_token != token.refresh_token
    assert auth.token.expires_in() > HOUR - 60


async def test_a_hundred_requests_in_the_advisory_window_make_one_refresh_and_go_on(
    oauth_app: App,
) -> None:
    token = await signed_in(oauth_app, lifetime=200)
    auth = auth_for(oauth_app, token)
    async with session(oauth_app, auth) as ww:
        assert await names(ww) == [["Acme"]] * REQUESTS
        await auth.settle()
        await ww.api.request("GET", "workspaces")
    assert refreshes(oauth_app) == 1
    callers = api_callers(oauth_app)
    assert set(callers) == {1, 2} and callers[1] >= 1  # the first ones did not wait
    assert sum(callers.values()) == REQUESTS + 1  # and none was refused
    assert auth.token.refresh_token != token.refresh_token


async def test_an_expired_token_is_refreshed_before_anything_is_sent(oauth_app: App) -> None:
    token = await signed_in(oauth_app, lifetime=0)
    async with session(oauth_app, auth_for(oauth_app, token)) as ww:
        assert await names(ww) == [["Acme"]] * REQUESTS
    assert refreshes(oauth_app) == 1
    assert api_callers(oauth_app) == {2: REQUESTS}
    assert all(r.status == 200 for r in oauth_app.fake.requests if r.path.startswith("/api/"))


async def test_requests_answered_401_cause_one_refresh_and_are_sent_once_more(
    oauth_app: App,
) -> None:
    token = await signed_in(oauth_app, lifetime=HOUR)  # fresh, as far as the client knows
    assert oauth_app.fake.revoke_oauth_token(token.access_token)
    async with session(oauth_app, auth_for(oauth_app, token)) as ww:
        assert await names(ww) == [["Acme"]] * REQUESTS
    assert refreshes(oauth_app) == 1
    api = [r for r in oauth_app.fake.requests if r.path.startswith("/api/")]
    refused = [r for r in api if r.status == 401]
    assert refused and all(r.caller is None for r in refused)  # the revoked token
    assert Counter(r.caller for r in api if r.status == 200) == {2: REQUESTS}
    assert len(api) == REQUESTS + len(refused) <= 2 * REQUESTS  # each sent twice at most


async def test_a_second_401_after_the_refresh_is_the_answer(oauth_app: App) -> None:
    token = await signed_in(oauth_app, lifetime=HOUR)
    oauth_app.fake.revoke_oauth_token(token.access_token)
    seen: list[OAuth2Token] = []

    def revoke_the_new_one(new: OAuth2Token) -> None:
        seen.append(new)
        oauth_app.fake.revoke_oauth_token(new.access_token)

    auth = auth_for(oauth_app, token, on_token_refresh=revoke_the_new_one)
    async with session(oauth_app, auth) as ww:
        with pytest.raises(AuthenticationError) as caught:
            await ww.api.request("GET", "workspaces")
    assert caught.value.status == 401 and not isinstance(caught.value, OAuth2Error)
    assert refreshes(oauth_app) == 1 and len(seen) == 1
    assert [r.status for r in oauth_app.fake.requests if r.path.startswith("/api/")] == [401, 401]


async def test_two_sessions_on_one_sign_in_refresh_once_and_both_go_on(
    oauth_app: App, tmp_path: Path
) -> None:
    token = await signed_in(oauth_app, lifetime=30)
    path = tmp_path / "token.json"
    await FileTokenStore(path).save(token)
    first_seen: list[OAuth2Token] = []
    second_seen: list[OAuth2Token] = []
    first = auth_for(oauth_app, token, on_token_refresh=first_seen.append)
    second = await OAuth2Auth.from_store(  # its own object, from the stored copy
        FileTokenStore(path),
        client_id=oauth_app.client_id,
        client_secret=oauth_app.client_secret,
        token_url=oauth_app.token_url,
        on_token_refresh=second_seen.append,
    )
    async with session(oauth_app, first) as one, session(oauth_app, second) as two:
        both = await asyncio.gather(names(one, 50), names(two, 50))
    assert both == [[["Acme"]] * 50] * 2
    assert refreshes(oauth_app) == 1  # with rotation, a second would have been invalid_grant
    assert first.token == second.token == first_seen[0] == second_seen[0]
    assert len(first_seen) == len(second_seen) == 1
    assert await FileTokenStore(path).load() == first.token
    # A session made later from the old pair goes on with the new one: no refresh, no refusal.
    async with session(oauth_app, auth_for(oauth_app, token)) as late:
        assert await names(late, 5) == [["Acme"]] * 5
    assert refreshes(oauth_app) == 1
    assert api_callers(oauth_app) == {2: 105}


async def test_sessions_in_two_event_loops_share_one_refresh(oauth_app: App) -> None:
    token = await signed_in(oauth_app, lifetime=30)
    barrier = threading.Barrier(2)
    results: list[list[list[Any]]] = []

    async def in_its_own_loop() -> None:
        async with session(oauth_app, auth_for(oauth_app, token)) as ww:
            await asyncio.to_thread(barrier.wait, 10)
            results.append(await names(ww, 40))

    def run() -> None:
        asyncio.run(in_its_own_loop())

    await asyncio.gather(asyncio.to_thread(run), asyncio.to_thread(run))
    assert results == [[["Acme"]] * 40] * 2
    assert refreshes(oauth_app) == 1
    assert api_callers(oauth_app) == {2: 80}


async def test_after_invalid_grant_the_pair_another_process_stored_is_used(
    oauth_app: App, tmp_path: Path
) -> None:
    token = await signed_in(oauth_app, lifetime=30)
    path = tmp_path / "token.json"
    await FileTokenStore(path).save(token)
    auth = auth_for(oauth_app, token, store=FileTokenStore(path))
    # Another process rotates the pair first and stores the new one.
    rotated = await refresh(
        token,
        client_id=oauth_app.client_id,
        client_secret=oauth_app.client_secret,
        token_url=oauth_app.token_url,
    )
    await FileTokenStore(path).save(rotated)
    async with session(oauth_app, auth) as ww:
        assert await names(ww, 20) == [["Acme"]] * 20
    # Theirs, then ours (refused: the old refresh token was rotated away), and no third.
    assert refreshes(oauth_app) == 2
    assert auth.token == rotated == await FileTokenStore(path).load()
    assert api_callers(oauth_app) == {2: 20}


async def test_an_expired_refresh_token_says_sign_in_again_and_is_not_tried_again(
    oauth_app: App,
) -> None:
    oauth_app.fake.configure_oauth(refresh_token_lifetime=0)
    token = await signed_in(oauth_app, lifetime=0)
    async with session(oauth_app, auth_for(oauth_app, token)) as ww:
        failures = await asyncio.gather(*(names(ww, 1) for _ in range(20)), return_exceptions=True)
        with pytest.raises(AuthenticationError) as later:
            await ww.api.request("GET", "workspaces")
    for failure in [*failures, later.value]:
        assert isinstance(failure, OAuth2Error) and failure.sign_in_again
        assert "the user must sign in again" in str(failure)
    assert refreshes(oauth_app) == 1
    assert api_callers(oauth_app) == {}  # nothing was sent with the expired token


async def test_a_token_without_a_refresh_token_says_sign_in_again(oauth_app: App) -> None:
    token = await signed_in(oauth_app, lifetime=0)
    bare = OAuth2Token(
        access_token=token.access_token, refresh_token=None, expires_at=token.expires_at
    )
    async with session(oauth_app, auth_for(oauth_app, bare)) as ww:
        with pytest.raises(OAuth2Error, match="no refresh token; the user must sign in again"):
            await ww.api.request("GET", "workspaces")
    assert refreshes(oauth_app) == 0 and api_callers(oauth_app) == {}


async def test_closing_the_session_keeps_the_pair_of_a_refresh_in_flight(
    oauth_app: App, tmp_path: Path
) -> None:
    token = await signed_in(oauth_app, lifetime=200)
    store = FileTokenStore(tmp_path / "token.json")
    auth = auth_for(oauth_app, token, store=store)
    async with session(oauth_app, auth) as ww:
        await ww.api.request("GET", "workspaces")  # starts the refresh, does not wait for it
    assert refreshes(oauth_app) == 1
    stored = await store.load()
    assert stored is not None and stored.refresh_token != token.refresh_token


async def test_no_secret_in_a_repr_log_line_or_error(
    oauth_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="webwork_async")
    token = await signed_in(oauth_app, lifetime=0)
    auth = auth_for(oauth_app, token)
    async with session(oauth_app, auth) as ww:
        await ww.api.request("GET", "workspaces")
        shown = repr(auth) + repr(ww) + repr(auth.token) + str(auth.token)
    oauth_app.fake.configure_oauth(refresh_token_lifetime=0)
    expiring = await signed_in(oauth_app, lifetime=0)
    async with session(oauth_app, auth_for(oauth_app, expiring)) as ww:
        with pytest.raises(OAuth2Error) as caught:
            await ww.api.request("GET", "workspaces")
    rendered = library_frames(
        traceback.TracebackException.from_exception(caught.value, capture_locals=True)
    )
    assert "_token_refresh.py" in rendered
    secrets = [SECRET]
    for each in (token, auth.token, expiring):
        assert each.refresh_token is not None
        secrets += [each.access_token, each.refresh_token]
    everything = shown + rendered + repr(caught.value) + caplog.text
    assert "refreshed the OAuth2 token" in caplog.text
    assert "refreshing the OAuth2 token failed" in caplog.text
    assert [secret for secret in secrets if secret in everything] == []


async def test_bad_auth_settings_are_refused_without_echoing_the_secret(oauth_app: App) -> None:
    token = await oauth_app.sign_in()
    refused: list[dict[str, Any]] = [
        {"advisory_window": 30, "mandatory_window": 60},
        {"advisory_window": -1},
        {"mandatory_window": float("nan")},
        {"client_auth": "digest"},
        {"store": object()},
        {"on_token_refresh": "print"},
    ]
    for options in refused:
        with pytest.raises(ConfigurationError) as caught:
            auth_for(oauth_app, token, **options)
        assert SECRET not in str(caught.value)
    with pytest.raises(ConfigurationError, match="not both"):
        AsyncSession(token.access_token, auth=auth_for(oauth_app, token))
    with pytest.raises(ConfigurationError, match="must be an OAuth2Auth"):
        AsyncSession(auth=token)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="holds no token"):
        await OAuth2Auth.from_store(MemoryTokenStore(), client_id="c", client_secret=SECRET)


def test_the_rate_limit_is_shared_by_the_sign_in_or_by_the_key_given() -> None:
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    first, second = (
        OAuth2Token(access_token=f"access-{n}", refresh_token=f"refresh-{n}", expires_at=later)
        for n in (1, 2)
    )
    options: dict[str, Any] = {"client_id": "c", "client_secret": SECRET}
    same = OAuth2Auth(first, **options), OAuth2Auth(first, **options)
    assert same[0].limiter_key == same[1].limiter_key != OAuth2Auth(second, **options).limiter_key
    keyed = [OAuth2Auth(pair, rate_limit_key="user-42", **options) for pair in (first, second)]
    assert keyed[0].limiter_key == keyed[1].limiter_key != same[0].limiter_key
    assert all("access-" not in auth.limiter_key for auth in [*same, *keyed])
