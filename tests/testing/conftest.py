"""Fixtures for the tests of the fake server itself (raw aiohttp, not the client package)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from fake_helpers import TOKEN, Api, Worksite, build_worksite

from webwork_async.testing import FakeWebWork


@pytest.fixture
def fake() -> FakeWebWork:
    return FakeWebWork(token=TOKEN)


@pytest.fixture
async def api(fake: FakeWebWork) -> AsyncIterator[Api]:
    async with fake.serve() as base_url, aiohttp.ClientSession() as session:
        yield Api(session, base_url)


@pytest.fixture
def site(fake: FakeWebWork) -> Worksite:
    """A member under contract on a project with a task, and a second workspace."""
    return build_worksite(fake)
