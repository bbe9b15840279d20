"""pytest plugin of ``webwork_async``: the ``webwork_fake`` fixture.

Registered as a ``pytest11`` entry point, so it is loaded by every pytest run in an environment
where ``webwork_async`` is installed. It therefore imports only pytest at import time; aiohttp and
the fake server are imported when the fixture is first used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from webwork_async.testing import FakeWebWork

__all__ = ["webwork_fake"]


@pytest.fixture
def webwork_fake() -> Iterator[FakeWebWork]:
    """A running, empty :class:`~webwork_async.testing.FakeWebWork` (served from a thread).

    Synchronous, so it works in plain, pytest-asyncio and anyio tests alike. Add data, then point
    the client at it::

        async def test_lists_projects(webwork_fake):
            workspace_id = webwork_fake.add_workspace()
            webwork_fake.add_project(workspace_id, name="Website Redesign")
            async with AsyncSession(
                token=webwork_fake.token, base_url=webwork_fake.base_url
            ) as session:
                ...
            assert webwork_fake.request_count("GET", "/api/v2/projects") == 1
    """
    from webwork_async.testing._server import FakeWebWork

    fake = FakeWebWork()
    with fake.serve_in_thread():
        yield fake
