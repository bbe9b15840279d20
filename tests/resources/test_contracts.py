"""ww.contracts against the fake server: a member on a project, its limits and its life."""

from __future__ import annotations

import pytest
from team import Team, last_sent

from webwork_async import (
    AsyncSession,
    Contract,
    ContractStatus,
    InvalidArgumentError,
    NotFoundError,
    ScreenshotMode,
    ValidationError,
)
from webwork_async.testing import FakeWebWork


async def test_create_links_a_member_and_a_project_and_counts_on_the_project(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    contract = await ww.contracts.get(team.contract_id, workspace_id=team.workspace_id)
    assert isinstance(contract, Contract)
    assert (contract.project_id, contract.user_id) == (team.project_id, team.user_id)
    assert contract.user_email == "ann@example.com" and contract.project_name == "Website"
    assert contract.status == ContractStatus.ACTIVE
    project = await ww.projects.get(team.project_id, workspace_id=team.workspace_id)
    assert project.contracts_count == 1
    second = await ww.projects.create(workspace_id=team.workspace_id, name="Shop")
    made = await ww.contracts.create(
        workspace_id=team.workspace_id,
        project_id=second.id,
        user_id=team.user_id,
        weekly_hours_limit=40,
        screenshots=ScreenshotMode.BLURRED,
        rate=55.5,
    )
    assert (made.weekly_hours_limit, made.screenshots) == (40, "blurred")
    assert last_sent(webwork_fake)[3] == {
        "workspace_id": team.workspace_id,
        "project_id": second.id,
        "user_id": team.user_id,
        "weekly_hours_limit": 40,
        "screenshots": "blurred",
        "rate": 55.5,
    }
    mine = await ww.contracts.list(workspace_id=team.workspace_id, project_id=second.id)
    assert [c.id for c in mine] == [made.id]


async def test_a_second_contract_or_an_unknown_member_is_refused_by_the_service(
    ww: AsyncSession, team: Team
) -> None:
    with pytest.raises(ValidationError):
        await ww.contracts.create(
            workspace_id=team.workspace_id, project_id=team.project_id, user_id=team.user_id
        )
    with pytest.raises(ValidationError) as caught:
        await ww.contracts.create(
            workspace_id=team.workspace_id, project_id=team.project_id, user_id=99999
        )
    assert "user_id" in caught.value.errors


async def test_update_pauses_and_delete_removes_it(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    paused = await ww.contracts.update(
        team.contract_id, workspace_id=team.workspace_id, status="paused", weekly_hours_limit=20
    )
    assert (paused.status, paused.weekly_hours_limit) == ("paused", 20)
    listed = await ww.contracts.list(workspace_id=team.workspace_id, status=ContractStatus.PAUSED)
    assert [c.id for c in listed] == [team.contract_id]
    with pytest.raises(InvalidArgumentError) as caught:
        await ww.contracts.update(team.contract_id, workspace_id=team.workspace_id, status="gone")
    assert caught.value.argument == "status"
    await ww.contracts.delete(team.contract_id, workspace_id=team.workspace_id)
    assert last_sent(webwork_fake)[3] == {"workspace_id": team.workspace_id}
    with pytest.raises(NotFoundError):
        await ww.contracts.get(team.contract_id, workspace_id=team.workspace_id)
    project = await ww.projects.get(team.project_id, workspace_id=team.workspace_id)
    assert project.contracts_count == 0


async def test_archiving_the_project_ends_its_contracts_and_bulk_lists_every_workspace(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    empty = webwork_fake.add_workspace()
    await ww.projects.delete(team.project_id, workspace_id=team.workspace_id)
    with pytest.raises(NotFoundError):
        await ww.contracts.get(team.contract_id, workspace_id=team.workspace_id)
    results = [r async for r in ww.contracts.list_many([team.workspace_id, empty])]
    assert all(r.ok and r.items == [] for r in results)
