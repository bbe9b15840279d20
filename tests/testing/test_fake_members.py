"""Members routes of the fake WebWork server (variant B), checked over HTTP."""

from __future__ import annotations

import re
from typing import Any

import fake_checks as check
import pytest
from fake_helpers import Api

from webwork_async.testing import FakeWebWork

MEMBER_KEYS = [
    "id", "email", "firstname", "lastname", "avatar", "current_role", "timezone", "status",
    "team_name", "title", "rate", "rate_status", "weekly_hours_limit", "created_at", "updated_at",
]  # fmt: skip
CALLER = 100
INVITATION = re.compile(r"https://app\.webwork-tracker\.com/dashboard/accept-invitation/[0-9a-f]+")


async def invite(api: Api, workspace_id: int, email: str, **extra: Any) -> Any:
    body = {"workspace_id": workspace_id, "email": email, "firstname": "Ann", "lastname": "Lee"}
    return await api.call("POST", "members", json={**body, "role": "Regular User", **extra})


# --- list ----------------------------------------------------------------------------------------


async def test_every_workspace_lists_the_caller_with_its_role(fake: FakeWebWork, api: Api) -> None:
    owned = fake.add_workspace(name="Mine")
    managed = fake.add_workspace(role="Executive manager", status="inactive")
    for workspace_id, role, status in [(owned, "Owner", "active"),
                                       (managed, "Executive manager", "inactive")]:  # fmt: skip
        reply = await api.get("members", workspace_id=workspace_id)
        (caller,) = check.success(reply, "Members retrieved successfully")
        assert list(caller) == MEMBER_KEYS
        assert (caller["id"], caller["current_role"], caller["status"]) == (CALLER, role, status)
        assert caller["email"] == "caller@example.com"
        assert check.ISO_MICRO.fullmatch(caller["created_at"])
        assert reply.body["meta"]["pagination"] == {
            "total": 1, "per_page": 20, "current_page": 1, "last_page": 1, "from": 1, "to": 1,
        }  # fmt: skip


async def test_seeded_workspaces_have_the_caller_as_member() -> None:
    fake = FakeWebWork()
    ids = fake.seed(workspaces=40, projects_per_workspace=(0, 0), seed=2)
    for workspace_id in ids:
        (caller,) = fake.members(workspace_id)
        assert caller["id"] == CALLER
        assert caller["current_role"] in {"Owner", "Executive manager"}


async def test_list_orders_by_user_id_pages_and_filters(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    fake.add_member(workspace_id, email="zed@example.com", id=300, role="Team manager")
    fake.add_member(workspace_id, email="amy@example.com", id=200, status="left")
    fake.add_member(workspace_id, email="old@example.com", id=250, deleted_at="2024-01-01")
    listed = await api.get("members", workspace_id=workspace_id)
    assert [m["id"] for m in check.success(listed, "Members retrieved successfully")] == [
        CALLER, 200, 300,
    ]  # fmt: skip
    page = await api.get("members", workspace_id=workspace_id, per_page=2, page=2)
    assert [m["id"] for m in page.body["data"]] == [300]
    assert page.body["meta"]["pagination"]["last_page"] == 2

    cases = [({"email": "AMY@example.com"}, [200]), ({"status": "left"}, [200]),
             ({"role": "Team manager"}, [300]), ({"role": "Owner"}, [CALLER]),
             ({"status": "active", "role": "Regular User"}, []),
             ({"email": ""}, [CALLER, 200, 300])]  # fmt: skip
    for params, ids in cases:
        reply = await api.get("members", workspace_id=workspace_id, **params)
        assert [m["id"] for m in reply.body["data"]] == ids, params


@pytest.mark.parametrize(
    ("params", "fields"),
    [({"status": "gone"}, ["status"]), ({"role": "Boss"}, ["role"]),
     ({"role": "owner", "status": "ACTIVE"}, ["role", "status"]),
     ({"per_page": 101}, ["per_page"])],
)  # fmt: skip
async def test_list_filters_outside_the_lists_are_422(
    fake: FakeWebWork, api: Api, params: dict[str, Any], fields: list[str]
) -> None:
    workspace_id = fake.add_workspace()
    errors = check.field_errors(await api.get("members", workspace_id=workspace_id, **params))
    assert sorted(errors) == fields
    if "status" in errors:
        assert errors["status"] == ["The selected status is invalid."]


# --- invite --------------------------------------------------------------------------------------


async def test_invite_is_pending_until_accepted(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    reply = await invite(api, workspace_id, "ann@example.com", role="Project manager")
    data = check.success(reply, "Member invited successfully", status=201)
    assert set(data) == {"user_id", "invitation_link"}
    assert INVITATION.fullmatch(data["invitation_link"])
    user_id = data["user_id"]
    assert user_id != CALLER

    pending = check.success(
        await api.get(f"members/{user_id}", workspace_id=workspace_id),
        "Member retrieved successfully",
    )
    assert list(pending) == MEMBER_KEYS
    assert (pending["email"], pending["firstname"], pending["lastname"]) == (
        "ann@example.com", "Ann", "Lee",
    )  # fmt: skip
    assert (pending["current_role"], pending["status"]) == ("Project manager", "inactive")
    inactive = await api.get("members", workspace_id=workspace_id, status="inactive")
    assert [m["id"] for m in inactive.body["data"]] == [user_id]

    accepted = fake.accept_invitation(workspace_id, user_id)
    assert accepted["status"] == "active"
    again = await api.get(f"members/{user_id}", workspace_id=workspace_id)
    assert again.body["data"]["status"] == "active"
    with pytest.raises(KeyError):
        fake.accept_invitation(workspace_id, 999)


async def test_duplicate_invite_is_422_and_users_keep_one_id(fake: FakeWebWork, api: Api) -> None:
    first, second = fake.add_workspace(), fake.add_workspace()
    user_id = (await invite(api, first, "ann@example.com")).body["data"]["user_id"]
    for email in ("ann@example.com", "ANN@Example.com", "caller@example.com"):
        errors = check.field_errors(await invite(api, first, email))
        assert errors == {"email": ["The email has already been taken."]}
    assert len(fake.members(first)) == 2
    elsewhere = await invite(api, second, "ann@example.com")
    assert elsewhere.body["data"]["user_id"] == user_id  # the same user in two workspaces
    assert [m["id"] for m in fake.members(second)] == [CALLER, user_id]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"email", "firstname", "lastname", "role"}),
        ({"email": "not-an-email", "firstname": "A", "lastname": "B", "role": "Regular User"},
         {"email"}),
        ({"email": "a@example.com", "firstname": "A", "lastname": "B", "role": "Owner"}, {"role"}),
        ({"email": "a@example.com", "firstname": 5, "lastname": "x" * 256, "role": "Regular User"},
         {"firstname", "lastname"}),
    ],
)  # fmt: skip
async def test_invite_422_lists_field_errors(
    fake: FakeWebWork, api: Api, body: dict[str, Any], errors: set[str]
) -> None:
    workspace_id = fake.add_workspace()
    reply = await api.call("POST", "members", json={"workspace_id": workspace_id, **body})
    found = check.field_errors(reply)
    assert set(found) == errors
    if body.get("role") == "Owner":
        assert found["role"] == ["The selected role is invalid."]
    if not body:
        assert found["email"] == ["The email field is required."]
    assert len(fake.members(workspace_id)) == 1


async def test_archived_member_invited_again_is_pending_again(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    member = fake.add_member(workspace_id, email="back@example.com")
    await api.call("DELETE", f"members/{member['id']}", json={"workspace_id": workspace_id})
    reply = await invite(api, workspace_id, "back@example.com", role="Team manager")
    assert reply.body["data"]["user_id"] == member["id"]
    (_, back) = fake.members(workspace_id)
    assert (back["id"], back["status"], back["current_role"]) == (
        member["id"], "inactive", "Team manager",
    )  # fmt: skip


# --- update --------------------------------------------------------------------------------------


async def test_update_changes_the_fields_given(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    before = fake.add_member(
        workspace_id, email="bo@example.com", avatar="bo.jpg", title="Dev",
        updated_at="2024-01-01T00:00:00.000000Z",
    )  # fmt: skip
    body = {"workspace_id": workspace_id, "firstname": "Bob", "timezone": "Europe/Paris",
            "role": "Executive manager", "rate_status": 1, "weekly_hours_limit": 40,
            "remove_avatar": 1}  # fmt: skip
    reply = await api.call("PUT", f"members/{before['id']}", json=body)
    after = check.success(reply, "Member updated successfully")
    assert list(after) == MEMBER_KEYS
    assert (after["firstname"], after["timezone"], after["current_role"]) == (
        "Bob", "Europe/Paris", "Executive manager",
    )  # fmt: skip
    assert (after["rate_status"], after["weekly_hours_limit"], after["avatar"]) == (1, 40, None)
    assert (after["lastname"], after["title"], after["email"]) == (
        "Member",
        "Dev",
        "bo@example.com",
    )
    assert after["updated_at"] != before["updated_at"]
    assert fake.members(workspace_id)[1] == after

    only_id = await api.call("PUT", f"members/{before['id']}", json={"workspace_id": workspace_id})
    assert only_id.status == 200


@pytest.mark.parametrize(
    ("body", "fields"),
    [({"role": "Owner"}, ["role"]), ({"weekly_hours_limit": 169}, ["weekly_hours_limit"]),
     ({"weekly_hours_limit": -1, "rate_status": 2}, ["rate_status", "weekly_hours_limit"]),
     ({"remove_avatar": True}, ["remove_avatar"]), ({"email": "nope"}, ["email"]),
     ({"email": "caller@example.com"}, ["email"]), ({"firstname": None}, ["firstname"]),
     ({}, ["workspace_id"])],
)  # fmt: skip
async def test_update_422(
    fake: FakeWebWork, api: Api, body: dict[str, Any], fields: list[str]
) -> None:
    workspace_id = fake.add_workspace()
    member = fake.add_member(workspace_id, email="m@example.com")
    if fields != ["workspace_id"]:
        body = {"workspace_id": workspace_id, **body}
    reply = await api.call("PUT", f"members/{member['id']}", json=body)
    assert sorted(check.field_errors(reply)) == fields
    assert fake.members(workspace_id)[1] == member


async def test_owner_role_is_fixed_and_callers_new_role_ends_access(
    fake: FakeWebWork, api: Api
) -> None:
    owned = fake.add_workspace()
    reply = await api.call(
        "PUT", f"members/{CALLER}", json={"workspace_id": owned, "role": "Regular User"}
    )
    check.error(reply, 403, "The workspace owner's role cannot be changed")
    managed = fake.add_workspace(role="Executive manager")
    demote = await api.call(
        "PUT", f"members/{CALLER}", json={"workspace_id": managed, "role": "Regular User"}
    )
    assert check.success(demote, "Member updated successfully")["current_role"] == "Regular User"
    check.error(await api.get("members", workspace_id=managed), 403)


# --- delete --------------------------------------------------------------------------------------


async def test_delete_archives_and_cascades(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    member = fake.add_member(workspace_id, email="gone@example.com")
    keep = fake.add_member(workspace_id, email="keep@example.com")
    project = fake.add_project(workspace_id, name="P")
    fake.add_contract(workspace_id, project_id=project["id"], user_id=member["id"])
    fake.add_contract(workspace_id, project_id=project["id"], user_id=keep["id"])
    task = fake.add_task(
        workspace_id, project_id=project["id"], title="T", assignees=[member["id"], keep["id"]]
    )
    assert fake.projects(workspace_id)[0]["contracts_count"] == 2

    path = f"members/{member['id']}"
    reply = await api.call("DELETE", path, json={"workspace_id": workspace_id})
    assert check.success(reply, "Member deleted successfully") is None
    check.error(await api.get(path, workspace_id=workspace_id), 404, "Member not found")
    listed = await api.get("members", workspace_id=workspace_id)
    assert [m["id"] for m in listed.body["data"]] == [CALLER, keep["id"]]
    assert len(fake.members(workspace_id, include_archived=True)) == 3
    assert [c["user_id"] for c in fake.contracts(workspace_id)] == [keep["id"]]
    assert fake.projects(workspace_id)[0]["contracts_count"] == 1
    (stored_task,) = fake.tasks(workspace_id)
    assert [a["id"] for a in stored_task["assignees"]] == [keep["id"]]
    assert stored_task["id"] == task["id"]
    again = await api.call("DELETE", path, json={"workspace_id": workspace_id})
    check.error(again, 404, "Member not found")


async def test_owner_and_caller_cannot_be_archived(fake: FakeWebWork, api: Api) -> None:
    owned = fake.add_workspace()
    reply = await api.call("DELETE", f"members/{CALLER}", json={"workspace_id": owned})
    check.error(reply, 403, "The workspace owner cannot be archived")
    managed = fake.add_workspace(role="Executive manager", owner_id=555)
    fake.add_member(managed, email="boss@example.com", id=555, role="Owner")
    owner = await api.call("DELETE", "members/555", json={"workspace_id": managed})
    check.error(owner, 403, "The workspace owner cannot be archived")
    itself = await api.call("DELETE", f"members/{CALLER}", json={"workspace_id": managed})
    check.error(itself, 403, "You cannot archive yourself")
    assert len(fake.members(managed)) == 2


# --- 403 / 404 -----------------------------------------------------------------------------------


async def test_403_for_a_regular_user(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace(role="Regular User")
    member = fake.add_member(workspace_id, email="m@example.com")
    path = f"members/{member['id']}"
    person = {"email": "new@example.com", "firstname": "N", "lastname": "N", "role": "Regular User"}
    await check.forbidden(api, workspace_id, [
        ("GET", "members", {}), ("POST", "members", person), ("GET", path, {}),
        ("PUT", path, {"firstname": "X"}), ("DELETE", path, {}),
    ])  # fmt: skip
    assert fake.members(workspace_id)[1] == member


async def test_404_for_another_workspaces_member_or_a_bad_id(fake: FakeWebWork, api: Api) -> None:
    mine, other = fake.add_workspace(), fake.add_workspace()
    foreign = fake.add_member(other, email="far@example.com")
    path = f"members/{foreign['id']}"
    await check.answers(api, mine, [
        ("GET", path, {}), ("GET", "members/9999", {}), ("GET", "members/abc", {}),
        ("GET", "members/-1", {}), ("PUT", path, {"firstname": "X"}), ("DELETE", path, {}),
    ], 404, "Member not found")  # fmt: skip
    assert fake.members(other)[1] == foreign


# --- builder -------------------------------------------------------------------------------------


def test_add_member_is_lenient_but_refuses_what_corrupts(fake: FakeWebWork) -> None:
    workspace_id = fake.add_workspace()
    member = fake.add_member(
        workspace_id, email="x@example.com", rate=45.5, created_at="2024-02-01T00:00:00.000000Z"
    )
    assert list(member) == MEMBER_KEYS
    assert (member["rate"], member["created_at"]) == (45.5, "2024-02-01T00:00:00.000000Z")
    member["firstname"] = "changed copy"
    assert fake.members(workspace_id)[1]["firstname"] == "Test"
    with pytest.raises(ValueError, match="exists"):
        fake.add_member(workspace_id, email="caller@example.com")
    with pytest.raises(ValueError, match="exists"):
        fake.add_member(workspace_id, email="other@example.com", id=member["id"])
    with pytest.raises(TypeError, match="nickname"):
        fake.add_member(workspace_id, email="y@example.com", nickname="Y")
    with pytest.raises(KeyError):
        fake.add_member(999, email="y@example.com")
