"""Project viewers routes of the fake WebWork server (variant B), checked over HTTP."""

from __future__ import annotations

from typing import Any

import fake_checks as check
import pytest
from fake_helpers import Api

from webwork_async.testing import FakeWebWork

VIEWER_KEYS = ["id", "email", "firstname", "lastname", "status", "member_since", "projects"]


async def create(api: Api, workspace_id: int, **fields: Any) -> Any:
    person = {"email": "client@example.com", "firstname": "Cy", "lastname": "Lent", **fields}
    return await api.call("POST", "project-viewers", json={"workspace_id": workspace_id, **person})


async def test_create_list_get(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    viewer = check.success(
        await create(api, workspace_id), "Project viewer created successfully", status=201
    )
    assert list(viewer) == VIEWER_KEYS
    assert (viewer["email"], viewer["firstname"], viewer["lastname"]) == (
        "client@example.com", "Cy", "Lent",
    )  # fmt: skip
    assert (viewer["status"], viewer["projects"]) == ("active", [])
    assert check.ISO_MICRO.fullmatch(viewer["member_since"])
    assert viewer["id"] != 100
    got = await api.get(f"project-viewers/{viewer['id']}", workspace_id=workspace_id)
    assert check.success(got, "Project viewer retrieved successfully") == viewer

    other = fake.add_viewer(workspace_id, email="other@example.com")
    listed = await api.get("project-viewers", workspace_id=workspace_id)
    assert check.success(listed, "Project viewers retrieved successfully") == [viewer, other]
    assert listed.body["meta"]["pagination"]["total"] == 2
    filtered = await api.get(
        "project-viewers", workspace_id=workspace_id, email="OTHER@example.com"
    )
    assert filtered.body["data"] == [other]
    assert fake.viewers(workspace_id) == [viewer, other]


@pytest.mark.parametrize(
    ("body", "fields"),
    [({"email": None, "firstname": None, "lastname": None}, ["email", "firstname", "lastname"]),
     ({"email": "bad"}, ["email"]),
     ({"firstname": "", "lastname": ["B"]}, ["firstname", "lastname"])],
)  # fmt: skip
async def test_create_422(
    fake: FakeWebWork, api: Api, body: dict[str, Any], fields: list[str]
) -> None:
    workspace_id = fake.add_workspace()
    assert sorted(check.field_errors(await create(api, workspace_id, **body))) == fields
    assert fake.viewers(workspace_id, include_archived=True) == []


async def test_known_email_is_422_even_when_archived(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    viewer = (await create(api, workspace_id)).body["data"]
    taken = {"email": ["The email has already been taken."]}
    assert check.field_errors(await create(api, workspace_id, email="CLIENT@example.com")) == taken
    await api.call("DELETE", f"project-viewers/{viewer['id']}", json={"workspace_id": workspace_id})
    assert check.field_errors(await create(api, workspace_id)) == taken
    elsewhere = await create(api, fake.add_workspace())
    assert elsewhere.body["data"]["id"] == viewer["id"]  # the same user in another workspace


async def test_archive_and_restore(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    viewer = fake.add_viewer(workspace_id, email="v@example.com")
    path, body = f"project-viewers/{viewer['id']}", {"workspace_id": workspace_id}
    not_archived = await api.call("POST", f"{path}/restore", json=body)
    assert check.field_errors(not_archived) == {
        "viewer_id": ["The project viewer is not archived."]
    }

    deleted = await api.call("DELETE", path, json=body)
    assert check.success(deleted, "Project viewer deleted successfully") is None
    check.error(await api.get(path, workspace_id=workspace_id), 404, "Project viewer not found")
    assert (await api.get("project-viewers", workspace_id=workspace_id)).body["data"] == []
    (archived,) = fake.viewers(workspace_id, include_archived=True)
    assert archived["status"] == "inactive"
    check.error(await api.call("DELETE", path, json=body), 404, "Project viewer not found")

    restored = await api.call("POST", f"{path}/restore", json=body)
    assert check.success(restored, "Project viewer restored successfully") is None
    back = await api.get(path, workspace_id=workspace_id)
    assert back.body["data"]["status"] == "active"
    unknown = await api.call("POST", "project-viewers/9999/restore", json=body)
    check.error(unknown, 404, "Project viewer not found")


async def test_project_grants(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    first = fake.add_project(workspace_id, name="First")
    second = fake.add_project(workspace_id, name="Second")
    viewer = fake.add_viewer(workspace_id, email="v@example.com")
    base = f"project-viewers/{viewer['id']}"

    async def grant(method: str, verb: str, project_id: int) -> Any:
        body = {"workspace_id": workspace_id, "project_id": project_id}
        return await api.call(method, f"{base}/{verb}", json=body)

    for project in (second, first):
        reply = await grant("POST", "assign-project", project["id"])
        assert check.success(reply, "Project assigned to viewer successfully") is None
    shown = (await api.get(base, workspace_id=workspace_id)).body["data"]["projects"]
    assert shown == [
        {"project_id": second["id"], "project_name": "Second"},
        {"project_id": first["id"], "project_name": "First"},
    ]
    twice = await grant("POST", "assign-project", first["id"])
    assert check.field_errors(twice) == {
        "project_id": ["The project is already assigned to this viewer."]
    }
    check.error(await grant("POST", "assign-project", 9999), 404, "Project not found")

    removed = await grant("DELETE", "unassign-project", second["id"])
    assert check.success(removed, "Project unassigned from viewer successfully") is None
    not_given = await grant("DELETE", "unassign-project", second["id"])
    check.error(not_given, 404)
    missing = await api.call(
        "DELETE", f"{base}/unassign-project", json={"workspace_id": workspace_id}
    )
    assert list(check.field_errors(missing)) == ["project_id"]

    await api.call("DELETE", f"projects/{first['id']}", json={"workspace_id": workspace_id})
    assert fake.viewers(workspace_id)[0]["projects"] == []  # archived projects are not shown


async def test_403_for_a_regular_user(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace(role="Regular User")
    project = fake.add_project(workspace_id, name="P")
    viewer = fake.add_viewer(workspace_id, email="v@example.com")
    path, grant = f"project-viewers/{viewer['id']}", {"project_id": project["id"]}
    person = {"email": "new@example.com", "firstname": "N", "lastname": "N"}
    await check.forbidden(api, workspace_id, [
        ("GET", "project-viewers", {}), ("POST", "project-viewers", person), ("GET", path, {}),
        ("DELETE", path, {}), ("POST", f"{path}/restore", {}),
        ("POST", f"{path}/assign-project", grant), ("DELETE", f"{path}/unassign-project", grant),
    ])  # fmt: skip
    assert fake.viewers(workspace_id) == [viewer]


async def test_404_for_another_workspaces_viewer(fake: FakeWebWork, api: Api) -> None:
    mine, other = fake.add_workspace(), fake.add_workspace()
    foreign = fake.add_viewer(other, email="far@example.com")
    far_project = fake.add_project(other, name="Far")
    mine_viewer = fake.add_viewer(mine, email="near@example.com")
    path = f"project-viewers/{foreign['id']}"
    await check.answers(api, mine, [
        ("GET", path, {}), ("GET", "project-viewers/abc", {}), ("DELETE", path, {}),
        ("POST", f"{path}/restore", {}),
    ], 404, "Project viewer not found")  # fmt: skip
    grant = f"project-viewers/{mine_viewer['id']}/assign-project"
    await check.answers(
        api, mine, [("POST", grant, {"project_id": far_project["id"]})], 404, "Project not found"
    )
    assert fake.viewers(other) == [foreign]


def test_add_viewer_is_lenient(fake: FakeWebWork) -> None:
    workspace_id = fake.add_workspace()
    project = fake.add_project(workspace_id, name="P")
    viewer = fake.add_viewer(
        workspace_id, email="v@example.com", projects=[project["id"], 999], status="left"
    )
    assert viewer["projects"] == [{"project_id": project["id"], "project_name": "P"}]
    assert (viewer["firstname"], viewer["lastname"], viewer["status"]) == ("Test", "Viewer", "left")
    with pytest.raises(ValueError, match="exists"):
        fake.add_viewer(workspace_id, email="v@example.com")
    with pytest.raises(TypeError, match="role"):
        fake.add_viewer(workspace_id, email="w@example.com", role="Client")
