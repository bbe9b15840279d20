"""Fixtures of the resource tests: a team built through the API (see ``team.py``)."""

from __future__ import annotations

import pytest
from team import Team

from webwork_async import AsyncSession
from webwork_async.testing import FakeWebWork


@pytest.fixture
async def team(ww: AsyncSession, webwork_fake: FakeWebWork) -> Team:
    """A workspace with a project and an accepted member on it, the requests log then cleared."""
    workspace = webwork_fake.add_workspace()
    project = await ww.projects.create(workspace_id=workspace, name="Website")
    invitation = await ww.members.invite(
        workspace_id=workspace,
        email="ann@example.com",
        firstname="Ann",
        lastname="Lee",
        role="Regular User",
    )
    webwork_fake.accept_invitation(workspace, invitation.user_id)
    contract = await ww.contracts.create(
        workspace_id=workspace, project_id=project.id, user_id=invitation.user_id
    )
    webwork_fake.reset_requests()
    return Team(workspace, project.id, invitation.user_id, contract.id)
