"""Contracts routes of the fake WebWork server (variant B), checked over HTTP."""

from __future__ import annotations

from typing import Any

import fake_checks as check
import pytest
from fake_helpers import Api

from webwork_async.testing import FakeWebWork

CONTRACT_KEYS = [
    "id", "project_id", "project_name", "project_icon", "user_id", "user_firstname",
    "user_lastname", "user_email", "user_role", "weekly_hours_limit", "screenshots",
    "screenshots_label", "rate", "rate_type", "status", "currency", "contract_name",
    "created_at", "updated_at",
]  # fmt: skip


@pytest.fixture
def workspace(fake: FakeWebWork) -> dict[str, Any]:
    """A workspace with a billable project (rate 30) and two members, one with a rate."""
    workspace_id = fake.add_workspace()
    project = fake.add_project(workspace_id, name="Website", icon="project-icon-2", rate=30)
    plain = fake.add_member(workspace_id, email="jo@example.com", firstname="Jo", lastname="Doe")
    paid = fake.add_member(workspace_id, email="pat@example.com", rate=55, role="Team manager")
    return {"id": workspace_id, "project": project, "plain": plain, "paid": paid}


async def create(api: Api, workspace: dict[str, Any], member: str, **extra: Any) -> Any:
    body = {"workspace_id": workspace["id"], "project_id": workspace["project"]["id"]}
    body["user_id"] = workspace[member]["id"]
    return await api.call("POST", "contracts", json={**body, **extra})


def count(fake: FakeWebWork, workspace_id: int) -> int:
    (project,) = fake.projects(workspace_id)
    result: int = project["contracts_count"]
    return result


# --- create --------------------------------------------------------------------------------------


async def test_create_links_member_and_project_and_counts(
    fake: FakeWebWork, api: Api, workspace: dict[str, Any]
) -> None:
    reply = await create(api, workspace, "plain")
    contract = check.success(reply, "Contract created successfully", status=201)
    assert list(contract) == CONTRACT_KEYS
    project, member = workspace["project"], workspace["plain"]
    assert (contract["project_id"], contract["project_name"], contract["project_icon"]) == (
        project["id"], "Website", "project-icon-2",
    )  # fmt: skip
    assert (contract["user_id"], contract["user_firstname"], contract["user_lastname"]) == (
        member["id"], "Jo", "Doe",
    )  # fmt: skip
    assert (contract["user_email"], contract["user_role"]) == ("jo@example.com", "Regular User")
    assert (contract["weekly_hours_limit"], contract["screenshots"]) == (168, "full")
    assert contract["screenshots_label"] == "Screenshot on"
    assert (contract["status"], contract["currency"]) == ("active", "USD")
    assert (contract["rate"], contract["rate_type"]) == (30, 3)  # the project's rate
    assert check.ISO_MICRO.fullmatch(contract["created_at"])
    assert contract["contract_name"] == "Website"
    assert fake.contracts(workspace["id"]) == [contract]
    shown = await api.get(f"projects/{project['id']}", workspace_id=workspace["id"])
    assert shown.body["data"]["contracts_count"] == 1

    paid = await create(api, workspace, "paid", weekly_hours_limit=40, screenshots="blurred")
    second = check.success(paid, "Contract created successfully", status=201)
    assert (second["rate"], second["rate_type"]) == (55, 2)  # the member's rate
    assert (second["weekly_hours_limit"], second["screenshots"]) == (40, "blurred")
    assert count(fake, workspace["id"]) == 2


async def test_custom_rate_and_rate_hidden_off_billable_projects(
    fake: FakeWebWork, api: Api, workspace: dict[str, Any]
) -> None:
    custom = await create(api, workspace, "paid", rate=70.5)
    assert (custom.body["data"]["rate"], custom.body["data"]["rate_type"]) == (70.5, 1)
    internal = fake.add_project(workspace["id"], name="Internal", is_billable=False, rate=10)
    reply = await api.call(
        "POST",
        "contracts",
        json={"workspace_id": workspace["id"], "project_id": internal["id"],
              "user_id": workspace["plain"]["id"], "rate": 20},
    )  # fmt: skip
    assert reply.status == 201
    assert reply.body["data"]["rate"] is None


async def test_one_live_contract_per_member_and_project(
    fake: FakeWebWork, api: Api, workspace: dict[str, Any]
) -> None:
    first = await create(api, workspace, "plain")
    await api.call(
        "PUT",
        f"contracts/{first.body['data']['id']}",
        json={"workspace_id": workspace["id"], "status": "paused"},
    )
    errors = check.field_errors(await create(api, workspace, "plain"))
    assert errors == {"user_id": ["The member already has a contract on this project."]}
    await api.call(
        "DELETE", f"contracts/{first.body['data']['id']}", json={"workspace_id": workspace["id"]}
    )
    again = await create(api, workspace, "plain")
    assert again.status == 201
    assert count(fake, workspace["id"]) == 1


@pytest.mark.parametrize(
    ("extra", "errors"),
    [
        ({"project_id": None, "user_id": None},
         {"project_id": ["The project id field is required."],
          "user_id": ["The user id field is required."]}),
        ({"project_id": 9999}, {"project_id": ["The selected project id is invalid."]}),
        ({"user_id": 9999}, {"user_id": ["The selected user id is invalid."]}),
        ({"project_id": "1"}, {"project_id": ["The project id field must be an integer."]}),
        ({"screenshots": "blur"}, {"screenshots": ["The selected screenshots is invalid."]}),
        ({"weekly_hours_limit": 169},
         {"weekly_hours_limit": ["The weekly hours limit field must be between 0 and 168."]}),
        ({"rate": -1}, {"rate": ["The rate field must be at least 0."]}),
        ({"rate": "50"}, {"rate": ["The rate field must be a number."]}),
    ],
)  # fmt: skip
async def test_create_422(
    fake: FakeWebWork,
    api: Api,
    workspace: dict[str, Any],
    extra: dict[str, Any],
    errors: dict[str, list[str]],
) -> None:
    assert check.field_errors(await create(api, workspace, "plain", **extra)) == errors
    assert fake.contracts(workspace["id"], include_deleted=True) == []
    assert count(fake, workspace["id"]) == 0


async def test_create_needs_a_live_project_and_member_of_the_workspace(
    fake: FakeWebWork, api: Api, workspace: dict[str, Any]
) -> None:
    other = fake.add_workspace()
    foreign_project = fake.add_project(other, name="Elsewhere")
    foreign_member = fake.add_member(other, email="far@example.com")
    archived = fake.add_project(workspace["id"], name="Old", deleted_at="2024-01-01")
    gone = fake.add_member(workspace["id"], email="left@example.com", deleted_at="2024-01-01")
    for project_id, user_id in [(foreign_project["id"], foreign_member["id"]),
                                (archived["id"], gone["id"])]:  # fmt: skip
        reply = await create(api, workspace, "plain", project_id=project_id, user_id=user_id)
        assert sorted(check.field_errors(reply)) == ["project_id", "user_id"]


# --- list / get / update / delete ----------------------------------------------------------------


async def test_list_filters_and_pages(
    fake: FakeWebWork, api: Api, workspace: dict[str, Any]
) -> None:
    workspace_id, project = workspace["id"], workspace["project"]
    other_project = fake.add_project(workspace_id, name="Other")
    plain, paid = workspace["plain"]["id"], workspace["paid"]["id"]
    a = fake.add_contract(workspace_id, project_id=project["id"], user_id=plain)
    b = fake.add_contract(workspace_id, project_id=other_project["id"], user_id=plain)
    c = fake.add_contract(workspace_id, project_id=project["id"], user_id=paid, status="paused")
    fake.add_contract(
        workspace_id, project_id=project["id"], user_id=plain, deleted_at="2024-01-01"
    )
    listed = await api.get("contracts", workspace_id=workspace_id)
    assert [x["id"] for x in check.success(listed, "Contracts retrieved successfully")] == [
        a["id"], b["id"], c["id"],
    ]  # fmt: skip
    assert listed.body["meta"]["pagination"]["total"] == 3
    cases = [({"project_id": project["id"]}, [a, c]), ({"user_id": plain}, [a, b]),
             ({"status": "paused"}, [c]), ({"per_page": 1, "page": 2}, [b]),
             ({"project_id": other_project["id"], "user_id": paid}, [])]  # fmt: skip
    for params, expected in cases:
        reply = await api.get("contracts", workspace_id=workspace_id, **params)
        assert [x["id"] for x in reply.body["data"]] == [x["id"] for x in expected], params
    bad = await api.get("contracts", workspace_id=workspace_id, status="ended", project_id="x")
    assert sorted(check.field_errors(bad)) == ["project_id", "status"]


async def test_get_update_delete(fake: FakeWebWork, api: Api, workspace: dict[str, Any]) -> None:
    workspace_id = workspace["id"]
    contract = (await create(api, workspace, "plain")).body["data"]
    path = f"contracts/{contract['id']}"
    got = await api.get(path, workspace_id=workspace_id)
    assert check.success(got, "Contract retrieved successfully") == contract

    body = {"workspace_id": workspace_id, "weekly_hours_limit": 20, "screenshots": "no_screenshot",
            "rate": 99, "status": "paused"}  # fmt: skip
    updated = check.success(
        await api.call("PUT", path, json=body),
        "Contract retrieved successfully",  # sic, docs
    )
    assert (updated["weekly_hours_limit"], updated["screenshots"], updated["status"]) == (
        20, "no_screenshot", "paused",
    )  # fmt: skip
    assert (updated["rate"], updated["rate_type"], updated["screenshots_label"]) == (
        99, 1, "Screenshot off",
    )  # fmt: skip
    bad = await api.call("PUT", path, json={"workspace_id": workspace_id, "status": "ended"})
    assert check.field_errors(bad) == {"status": ["The selected status is invalid."]}

    renamed = await api.call(
        "PUT", f"projects/{workspace['project']['id']}",
        json={"workspace_id": workspace_id, "name": "Website v2"},
    )  # fmt: skip
    assert renamed.status == 200
    assert (await api.get(path, workspace_id=workspace_id)).body["data"]["project_name"] == (
        "Website v2"
    )

    deleted = await api.call("DELETE", path, json={"workspace_id": workspace_id})
    assert check.success(deleted, "Contract deleted successfully") is None
    check.error(await api.get(path, workspace_id=workspace_id), 404, "Contract not found")
    assert fake.contracts(workspace_id) == []
    assert len(fake.contracts(workspace_id, include_deleted=True)) == 1
    assert count(fake, workspace_id) == 0


async def test_archiving_the_project_ends_its_contracts(
    fake: FakeWebWork, api: Api, workspace: dict[str, Any]
) -> None:
    workspace_id, project = workspace["id"], workspace["project"]
    other = fake.add_project(workspace_id, name="Stays")
    fake.add_contract(workspace_id, project_id=project["id"], user_id=workspace["plain"]["id"])
    kept = fake.add_contract(workspace_id, project_id=other["id"], user_id=workspace["paid"]["id"])
    reply = await api.call(
        "DELETE", f"projects/{project['id']}", json={"workspace_id": workspace_id}
    )
    assert reply.status == 200
    listed = await api.get("contracts", workspace_id=workspace_id)
    assert [c["id"] for c in listed.body["data"]] == [kept["id"]]
    archived = fake.projects(workspace_id, include_archived=True)[0]
    assert archived["contracts_count"] == 0


# --- 403 / 404 -----------------------------------------------------------------------------------


async def test_403_for_a_regular_user(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace(role="Regular User")
    project = fake.add_project(workspace_id, name="P")
    contract = fake.add_contract(workspace_id, project_id=project["id"], user_id=100)
    path = f"contracts/{contract['id']}"
    await check.forbidden(api, workspace_id, [
        ("GET", "contracts", {}), ("POST", "contracts", {"project_id": 1, "user_id": 100}),
        ("GET", path, {}), ("PUT", path, {"status": "paused"}), ("DELETE", path, {}),
    ])  # fmt: skip
    assert fake.contracts(workspace_id) == [contract]


async def test_404_for_another_workspaces_contract(fake: FakeWebWork, api: Api) -> None:
    mine, other = fake.add_workspace(), fake.add_workspace()
    project = fake.add_project(other, name="P")
    foreign = fake.add_contract(other, project_id=project["id"], user_id=100)
    path = f"contracts/{foreign['id']}"
    await check.answers(api, mine, [
        ("GET", path, {}), ("GET", "contracts/abc", {}), ("PUT", path, {"status": "paused"}),
        ("DELETE", path, {}),
    ], 404, "Contract not found")  # fmt: skip
    assert fake.contracts(other) == [foreign]


def test_add_contract_is_lenient_and_recounts(fake: FakeWebWork) -> None:
    workspace_id = fake.add_workspace()
    project = fake.add_project(workspace_id, name="P", contracts_count=7)
    ghost = fake.add_contract(workspace_id, project_id=project["id"], user_id=4242, rate=12)
    assert (ghost["user_firstname"], ghost["user_email"], ghost["rate"]) == (None, None, 12)
    assert fake.projects(workspace_id)[0]["contracts_count"] == 1  # counts live contracts
    nowhere = fake.add_contract(workspace_id, project_id=777, user_id=100)
    assert nowhere["project_name"] is None
    with pytest.raises(TypeError, match="project_name"):
        fake.add_contract(workspace_id, project_id=1, user_id=100, project_name="X")
    with pytest.raises(ValueError, match="exists"):
        fake.add_contract(workspace_id, project_id=1, user_id=100, id=ghost["id"])
