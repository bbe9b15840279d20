"""Testing your own code with the ``webwork_fake`` fixture: no real WebWork, no network.

Installing webwork-async registers the fixture: a running, empty fake WebWork server (in a
background thread) with ``token`` and ``base_url`` for your session. Seed it, run your code,
then assert on the fake's data and on the requests your code sent.

The tests are async, so they need ``pip install pytest-asyncio`` and either the
``pytestmark = pytest.mark.asyncio`` line below or ``asyncio_mode = "auto"`` in your project's
pytest configuration. Copy this file into your tests folder and run::

    pytest test_with_fixture.py
"""

from __future__ import annotations

import pytest

from webwork_async import AsyncSession, RetryPolicy
from webwork_async.testing import FakeWebWork

pytestmark = pytest.mark.asyncio


# --- the code under test: normally imported from your own package -------------------------------


async def project_names(ww: AsyncSession, workspace_id: int) -> list[str]:
    """Names of every project of a workspace, sorted."""
    return sorted([project.name async for project in ww.projects.list(workspace_id=workspace_id)])


# --- the tests ------------------------------------------------------------------------------------


def session_on(fake: FakeWebWork) -> AsyncSession:
    """A session on the fake: fast retries, no pacing (the fake enforces no rate limit)."""
    assert fake.base_url is not None
    return AsyncSession(
        token=fake.token, base_url=fake.base_url, retry=RetryPolicy(backoff=0.01), rate_limit=None
    )


async def test_lists_the_seeded_projects(webwork_fake: FakeWebWork) -> None:
    workspace_id = webwork_fake.add_workspace()
    webwork_fake.add_project(workspace_id, name="Website Redesign")
    webwork_fake.add_project(workspace_id, name="Billing")
    async with session_on(webwork_fake) as ww:
        assert await project_names(ww, workspace_id) == ["Billing", "Website Redesign"]


async def test_one_request_for_a_small_workspace(webwork_fake: FakeWebWork) -> None:
    workspace_id = webwork_fake.add_workspace()
    for number in range(30):
        webwork_fake.add_project(workspace_id, name=f"Project {number}")
    async with session_on(webwork_fake) as ww:
        assert len(await project_names(ww, workspace_id)) == 30
    assert webwork_fake.request_count("GET", "/api/v2/projects") == 1  # one page of 100


async def test_a_503_is_retried(webwork_fake: FakeWebWork) -> None:
    workspace_id = webwork_fake.add_workspace()
    webwork_fake.add_project(workspace_id, name="Alpha")
    webwork_fake.inject("server_error", status=503, method="GET", times=1)
    async with session_on(webwork_fake) as ww:
        assert await project_names(ww, workspace_id) == ["Alpha"]
    assert [request.status for request in webwork_fake.requests] == [503, 200]
