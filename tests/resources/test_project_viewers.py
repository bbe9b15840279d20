"""ww.project_viewers against the fake server: create, grant projects, archive, restore."""

from __future__ import annotations

import pytest
from team import Team, last_sent

from webwork_async import AsyncSession, NotFoundError, ProjectViewer, ValidationError
from webwork_async.testing import FakeWebWork


async def test_a_viewer_gets_projects_is_archived_and_restored(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    workspace = team.workspace_id
    viewer = await ww.project_viewers.create(
        workspace_id=workspace, email="client@example.com", firstname="Cy", lastname="Lo"
    )
    assert isinstance(viewer, ProjectViewer) and viewer.projects == []
    await ww.project_viewers.assign_project(
        viewer.id, workspace_id=workspace, project_id=team.project_id
    )
    assert last_sent(webwork_fake) == (
        "POST",
        f"/api/v2/project-viewers/{viewer.id}/assign-project",
        {},
        {"workspace_id": workspace, "project_id": team.project_id},
    )
    granted = await ww.project_viewers.get(viewer.id, workspace_id=workspace)
    assert [(p.project_id, p.project_name) for p in granted.projects] == [
        (team.project_id, "Website")
    ]
    with pytest.raises(ValidationError):
        await ww.project_viewers.assign_project(
            viewer.id, workspace_id=workspace, project_id=team.project_id
        )
    await ww.project_viewers.unassign_project(
        viewer.id, workspace_id=workspace, project_id=team.project_id
    )
    assert last_sent(webwork_fake)[0] == "DELETE"
    with pytest.raises(NotFoundError):
        await ww.project_viewers.unassign_project(
            viewer.id, workspace_id=workspace, project_id=team.project_id
        )
    await ww.project_viewers.delete(viewer.id, workspace_id=workspace)
    assert [v.id async for v in ww.project_viewers.list(workspace_id=workspace)] == []
    with pytest.raises(NotFoundError):
        await ww.project_viewers.get(viewer.id, workspace_id=workspace)
    await ww.project_viewers.restore(viewer.id, workspace_id=workspace)
    back = await ww.project_viewers.list(workspace_id=workspace, email="client@example.com")
    assert [(v.id, v.status) for v in back] == [(viewer.id, "active")]
    with pytest.raises(ValidationError):
        await ww.project_viewers.restore(viewer.id, workspace_id=workspace)  # not archived


async def test_a_project_of_another_workspace_is_not_found(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    other = webwork_fake.add_workspace()
    viewer = await ww.project_viewers.create(
        workspace_id=other, email="v@example.com", firstname="V", lastname="W"
    )
    with pytest.raises(NotFoundError):
        await ww.project_viewers.assign_project(
            viewer.id, workspace_id=other, project_id=team.project_id
        )
    results = {
        r.workspace_id: r async for r in ww.project_viewers.list_many([other, team.workspace_id])
    }
    assert [v.id for v in results[other].items] == [viewer.id]
    assert results[team.workspace_id].items == []
