"""Networks as users have them: TLS with a private CA, a forward proxy, proxies from the
environment, and redirects, which are never followed, so the token never goes to another host.

Every server here is real and on 127.0.0.1: the fake over TLS with a CA made by ``trustme``, a
``proxy.py`` forward proxy requiring basic auth, and plain aiohttp servers for redirects.
"""

from __future__ import annotations

import ssl
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import trustme
from aiohttp import web
from local_servers import PROXY_PASSWORD, ForwardProxy, forward_proxy, serve_over_tls, serving
from yarl import URL

from webwork_async import (
    APIError,
    AsyncSession,
    CertificateError,
    ConfigurationError,
    ConnectError,
    InsecureTLSWarning,
    WebWorkError,
)
from webwork_async.testing import FakeWebWork


@pytest.fixture(scope="module")
def proxy() -> Iterator[ForwardProxy]:
    with forward_proxy() as running:
        yield running


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "corporate-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
async def tls_fake(ca: trustme.CA) -> AsyncIterator[tuple[FakeWebWork, str]]:
    """The fake served over HTTPS with a certificate of the test's own CA."""
    fake = FakeWebWork()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    async with serve_over_tls(fake, context) as base_url:
        yield fake, base_url


def port_of(base_url: str) -> int:
    port = URL(base_url).port
    assert port is not None
    return port


def session(fake: FakeWebWork, base_url: str, **options: Any) -> AsyncSession:
    return AsyncSession(token=fake.token, base_url=base_url, rate_limit=None, **options)


# --- TLS -----------------------------------------------------------------------------------------


async def test_a_ca_bundle_path_or_context_makes_a_private_ca_trusted(
    tls_fake: tuple[FakeWebWork, str], ca: trustme.CA, ca_file: Path
) -> None:
    fake, base_url = tls_fake
    workspace = fake.add_workspace()
    fake.add_project(workspace, name="Over TLS")
    context = ssl.create_default_context()
    ca.configure_trust(context)
    for trusted in (ca_file, str(ca_file), context):
        async with session(fake, base_url, ssl=trusted) as ww:
            page = await ww.projects.list(workspace_id=workspace)
        assert [project.name for project in page.items] == ["Over TLS"]
    assert fake.request_count("GET", "projects") == 3


async def test_an_untrusted_certificate_is_a_certificate_error_tried_once(
    tls_fake: tuple[FakeWebWork, str],
) -> None:
    fake, base_url = tls_fake
    async with session(fake, base_url) as ww:  # the system's CAs do not know the test's CA
        with pytest.raises(CertificateError) as caught:
            await ww.projects.list(workspace_id=1)
    assert isinstance(caught.value, ConnectError)  # nothing was sent
    assert caught.value.attempts == 1  # the same certificate would be refused again
    assert "not trusted" in str(caught.value) and "ssl=" in str(caught.value)
    assert fake.request_count() == 0


async def test_no_certificate_check_for_a_local_server_gives_no_warning(
    tls_fake: tuple[FakeWebWork, str],
) -> None:
    fake, base_url = tls_fake
    workspace = fake.add_workspace()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ww = session(fake, base_url, ssl=False)
    async with ww:
        await ww.projects.list(workspace_id=workspace)
    assert fake.request_count() == 1


def test_no_certificate_check_for_another_host_warns() -> None:
    with pytest.warns(InsecureTLSWarning, match=r"api\.example\.com"):
        AsyncSession(token="t", base_url="https://api.example.com/api/v2/", ssl=False)


def test_a_bad_ssl_option_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no CA bundle file"):
        AsyncSession(token="t", ssl=tmp_path / "missing.pem")
    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("not a certificate")
    with pytest.raises(ConfigurationError, match="not a PEM CA bundle"):
        AsyncSession(token="t", ssl=not_pem)
    with pytest.raises(ConfigurationError, match="ssl must be"):
        AsyncSession(token="t", ssl=3)  # type: ignore[arg-type]


# --- a forward proxy -----------------------------------------------------------------------------


def assert_hidden(text: str) -> None:
    assert PROXY_PASSWORD not in text


async def test_requests_go_through_the_proxy(
    proxy: ForwardProxy, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    assert webwork_fake.base_url is not None
    target = port_of(webwork_fake.base_url)
    before = proxy.passed("GET", target)
    ww = session(webwork_fake, webwork_fake.base_url, proxy=proxy.url())
    assert_hidden(repr(ww))
    async with ww:
        for _ in range(3):
            await ww.projects.list(workspace_id=workspace)
        assert_hidden(repr(ww))
    assert webwork_fake.request_count("GET", "projects") == 3
    assert proxy.passed("GET", target) - before == 3


async def test_tls_goes_through_the_proxy_as_a_tunnel(
    proxy: ForwardProxy, tls_fake: tuple[FakeWebWork, str], ca_file: Path
) -> None:
    fake, base_url = tls_fake
    workspace = fake.add_workspace()
    before = proxy.passed("CONNECT", port_of(base_url))
    async with session(fake, base_url, proxy=proxy.url(), ssl=ca_file) as ww:
        await ww.projects.list(workspace_id=workspace)
        await ww.projects.list(workspace_id=workspace)
    assert fake.request_count("GET", "projects") == 2
    assert proxy.passed("CONNECT", port_of(base_url)) - before >= 1  # kept-alive: one or two


async def test_wrong_proxy_credentials_are_reported_without_them(
    proxy: ForwardProxy, webwork_fake: FakeWebWork, tls_fake: tuple[FakeWebWork, str]
) -> None:
    assert webwork_fake.base_url is not None
    wrong = proxy.url(password="not-the-" + PROXY_PASSWORD)
    plain = session(webwork_fake, webwork_fake.base_url, proxy=wrong, retry=None)
    tls_fake_server, tls_base_url = tls_fake
    tunnel = session(tls_fake_server, tls_base_url, proxy=wrong, retry=None, ssl=False)
    errors: list[WebWorkError] = []
    for ww in (plain, tunnel):
        async with ww:
            with pytest.raises((APIError, ConnectError)) as caught:
                await ww.projects.list(workspace_id=1)
        errors.append(caught.value)
    assert isinstance(errors[0], APIError) and errors[0].status == 407  # the proxy answered
    assert isinstance(errors[1], ConnectError) and "407" in str(errors[1])  # no tunnel
    for error in errors:
        assert_hidden(str(error) + repr(error))
        assert "not-the-" not in str(error) + repr(error)
    assert webwork_fake.request_count() == 0 and tls_fake_server.request_count() == 0


async def test_the_proxy_comes_from_the_environment_only_with_trust_env(
    proxy: ForwardProxy, webwork_fake: FakeWebWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = webwork_fake.add_workspace()
    assert webwork_fake.base_url is not None
    target = port_of(webwork_fake.base_url)
    monkeypatch.setenv("HTTP_PROXY", proxy.url())
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    async def through_the_proxy(**options: Any) -> int:
        before = proxy.passed("GET", target)
        async with session(webwork_fake, webwork_fake.base_url or "", **options) as ww:
            await ww.projects.list(workspace_id=workspace)
        return proxy.passed("GET", target) - before

    assert await through_the_proxy() == 0  # trust_env is off by default
    assert await through_the_proxy(trust_env=True) == 1
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert await through_the_proxy(trust_env=True) == 0
    assert webwork_fake.request_count() == 3


async def test_a_bad_proxy_is_refused_without_showing_credentials() -> None:
    for bad in ("ftp://user:s3cret@proxy:21", "user:s3cret@proxy"):
        with pytest.raises(ConfigurationError, match="proxy") as caught:
            AsyncSession(token="t", proxy=bad)
        assert "s3cret" not in str(caught.value)
    async with aiohttp.ClientSession() as own:
        for option in ({"proxy": "http://p:1"}, {"ssl": False}, {"trust_env": True}):
            with pytest.raises(ConfigurationError, match=r"own aiohttp\.ClientSession"):
                AsyncSession(token="t", session=own, **option)  # type: ignore[arg-type]


def test_a_base_url_with_credentials_is_refused_without_showing_them() -> None:
    with pytest.raises(ConfigurationError, match="credentials") as caught:
        AsyncSession(token="t", base_url="https://me:hunter2@api.webwork-tracker.com/api/v2/")
    assert "hunter2" not in str(caught.value)


# --- redirects -----------------------------------------------------------------------------------


class Recorder:
    """A server that records the headers of what it gets and answers an empty page."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append((request.method, dict(request.headers)))
        return web.json_response({"success": True, "data": [], "meta": {}})


@pytest.fixture
async def redirecting() -> AsyncIterator[tuple[str, Recorder, list[str]]]:
    """A server on 127.0.0.1 that redirects everything to a recorder at ``localhost``."""
    recorder = Recorder()
    other_app = web.Application()
    other_app.router.add_route("*", "/{tail:.*}", recorder.handle)
    methods: list[str] = []
    async with serving(other_app) as other_port:

        async def redirect(request: web.Request) -> web.Response:
            methods.append(request.method)
            location = f"http://localhost:{other_port}{request.path_qs}"
            raise web.HTTPTemporaryRedirect(location)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", redirect)
        async with serving(app) as port:
            yield f"http://127.0.0.1:{port}/api/v2/", recorder, methods


async def test_a_redirect_is_not_followed_so_the_token_never_reaches_another_host(
    redirecting: tuple[str, Recorder, list[str]],
) -> None:
    base_url, recorder, methods = redirecting
    async with AsyncSession(token="tok-secret-31", base_url=base_url, rate_limit=None) as ww:
        with pytest.raises(APIError, match="redirected to http://localhost") as read:
            await ww.projects.list(workspace_id=1)
        with pytest.raises(APIError, match="not followed") as write:
            await ww.projects.create(workspace_id=1, name="never replayed elsewhere")
    assert recorder.seen == []  # neither the read nor the write went to the other host
    assert read.value.status == write.value.status == 307
    assert read.value.attempts == write.value.attempts == 1
    assert methods == ["GET", "POST"]
