"""ww.members against the fake server: invite, accept, list, get, update, archive."""

from __future__ import annotations

import pytest
from team import Team, last_sent

from webwork_async import (
    AsyncSession,
    InvalidArgumentError,
    Invitation,
    Member,
    MemberRole,
    MemberStatus,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from webwork_async.testing import FakeWebWork


async def test_an_invited_member_is_pending_until_accepted_and_cannot_be_invited_twice(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    invitation = await ww.members.invite(
        workspace_id=workspace,
        email="bo@example.com",
        firstname="Bo",
        lastname="Ek",
        role=MemberRole.PROJECT_MANAGER,
    )
    assert isinstance(invitation, Invitation) and invitation.user_id > 0
    assert invitation.invitation_link and "accept-invitation" in invitation.invitation_link
    assert last_sent(webwork_fake) == (
        "POST",
        "/api/v2/members",
        {},
        {
            "workspace_id": workspace,
            "email": "bo@example.com",
            "firstname": "Bo",
            "lastname": "Ek",
            "role": "Project manager",
        },
    )
    pending = await ww.members.get(invitation.user_id, workspace_id=workspace)
    assert isinstance(pending, Member) and pending.status == MemberStatus.INACTIVE
    webwork_fake.accept_invitation(workspace, invitation.user_id)
    accepted = await ww.members.get(invitation.user_id, workspace_id=workspace)
    assert accepted.status == "active" and accepted.current_role == MemberRole.PROJECT_MANAGER
    with pytest.raises(ValidationError) as caught:
        await ww.members.invite(
            workspace_id=workspace,
            email="bo@example.com",
            firstname="B",
            lastname="E",
            role="Regular User",
        )
    assert "email" in caught.value.errors


async def test_list_filters_and_refuses_undocumented_values_before_sending(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    everyone = await ww.members.list(workspace_id=team.workspace_id)
    assert {m.id for m in everyone} == {100, team.user_id}  # the caller is a member too
    regular = await ww.members.list(workspace_id=team.workspace_id, role=MemberRole.REGULAR_USER)
    assert [m.email for m in regular] == ["ann@example.com"]
    assert last_sent(webwork_fake)[2] == {
        "workspace_id": str(team.workspace_id),
        "role": "Regular User",
    }
    by_mail = await ww.members.list(workspace_id=team.workspace_id, email="ann@example.com")
    assert [m.id for m in by_mail] == [team.user_id]
    sent = len(webwork_fake.requests)
    with pytest.raises(InvalidArgumentError) as caught:
        ww.members.list(workspace_id=team.workspace_id, status="pending")
    assert caught.value.argument == "status"
    assert len(webwork_fake.requests) == sent


async def test_update_sends_only_what_is_given_and_owner_is_not_a_role_to_give(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    result = await ww.members.update(
        team.user_id, workspace_id=team.workspace_id, role="Team manager", rate_status=True
    )
    assert result is None
    assert last_sent(webwork_fake) == (
        "PUT",
        f"/api/v2/members/{team.user_id}",
        {},
        {"workspace_id": team.workspace_id, "role": "Team manager", "rate_status": 1},
    )
    member = await ww.members.get(team.user_id, workspace_id=team.workspace_id)
    assert member.current_role == "Team manager" and member.rate_status == 1
    with pytest.raises(InvalidArgumentError, match="Owner"):
        await ww.members.update(team.user_id, workspace_id=team.workspace_id, role="Owner")


async def test_archiving_a_member_removes_them_and_their_contracts(
    ww: AsyncSession, team: Team
) -> None:
    await ww.members.delete(team.user_id, workspace_id=team.workspace_id)
    with pytest.raises(NotFoundError):
        await ww.members.get(team.user_id, workspace_id=team.workspace_id)
    assert [c.id async for c in ww.contracts.list(workspace_id=team.workspace_id)] == []
    project = await ww.projects.get(team.project_id, workspace_id=team.workspace_id)
    assert project.contracts_count == 0


async def test_roles_other_workspaces_and_bulk(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    regular = webwork_fake.add_workspace(role="Regular User")
    with pytest.raises(PermissionDeniedError):
        await ww.members.list(workspace_id=regular)
    other = webwork_fake.add_workspace()
    with pytest.raises(NotFoundError):
        await ww.members.get(team.user_id, workspace_id=other)
    results = {
        r.workspace_id: r async for r in ww.members.list_many([team.workspace_id, other, regular])
    }
    assert len(results[team.workspace_id].items) == 2
    assert [m.id for m in results[other].items] == [100]
    assert isinstance(results[regular].error, PermissionDeniedError)
