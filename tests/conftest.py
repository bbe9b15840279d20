"""Shared fixtures: a client session on the fake server, and a canned-answer server for faults.

The ``webwork_fake`` fixture comes from the plugin the package ships (webwork_async.testing).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from canned_server import CannedServer
from local_servers import serving
from oauth_app import App, oauth_app

from webwork_async import AsyncSession
from webwork_async.testing import FakeWebWork


@pytest.fixture
async def ww(webwork_fake: FakeWebWork) -> AsyncIterator[AsyncSession]:
    """An open session on the fake server, unpaced: the fake enforces no rate limit."""
    assert webwork_fake.base_url is not None
    async with AsyncSession(
        token=webwork_fake.token, base_url=webwork_fake.base_url, rate_limit=None
    ) as session:
        yield session


@pytest.fixture
async def canned() -> AsyncIterator[CannedServer]:
    """A CannedServer running in the test's loop."""
    server_state = CannedServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server_state.handle)
    async with serving(app) as port:
        server_state.base_url = f"http://127.0.0.1:{port}/api/v2/"
        yield server_state


@pytest.fixture
async def loop_errors() -> AsyncIterator[list[dict[str, Any]]]:
    """Collects what the event loop reports (unclosed sessions, destroyed pending tasks...).

    The test's own assertions run first; at teardown garbage is collected and nothing may have
    been reported.
    """
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        yield reported
        gc.collect()
        await asyncio.sleep(0)
        assert reported == []
    finally:
        loop.set_exception_handler(previous)


@pytest.fixture(name="oauth_app")
async def oauth_app_fixture() -> AsyncIterator[App]:
    """The fake with an OAuth2 client registered, and the web app's side of signing in."""
    async with oauth_app() as running:
        yield running
