"""Tasks routes of the fake WebWork server (variant B), checked over HTTP."""

from __future__ import annotations

from typing import Any

import fake_checks as check
import pytest
from fake_helpers import Api

from webwork_async.testing import FakeWebWork

TASK_KEYS = [
    "id", "title", "description", "project_id", "owner_id", "creator_id", "status", "priority",
    "start_date", "end_date", "completed_at", "assignees", "parent_id", "status_name",
    "priority_name", "created_at", "updated_at", "deleted_at",
]  # fmt: skip


@pytest.fixture
def setup(fake: FakeWebWork) -> dict[str, Any]:
    """A workspace owned by user 10 with a project, a member under contract and one without."""
    workspace_id = fake.add_workspace(owner_id=10)
    project = fake.add_project(workspace_id, name="P")
    worker = fake.add_member(workspace_id, email="w@example.com", firstname="Wu", lastname="Li")
    idle = fake.add_member(workspace_id, email="idle@example.com")
    fake.add_contract(workspace_id, project_id=project["id"], user_id=worker["id"])
    return {"ws": workspace_id, "project": project["id"], "worker": worker, "idle": idle}


def scope(setup: dict[str, Any]) -> dict[str, int]:
    return {"workspace_id": setup["ws"], "project_id": setup["project"]}


async def create(api: Api, setup: dict[str, Any], **body: Any) -> Any:
    return await api.call("POST", "tasks", json={**scope(setup), "title": "Do it", **body})


# --- create --------------------------------------------------------------------------------------


async def test_create_answers_the_full_task(
    fake: FakeWebWork, api: Api, setup: dict[str, Any]
) -> None:
    reply = await create(
        api, setup, description="Text", priority=10, start_date="2024-01-15",
        end_date="2024-01-30", assignees=[setup["worker"]["id"], setup["worker"]["id"]],
    )  # fmt: skip
    task = check.success(reply, "Task created successfully", status=201)
    assert list(task) == TASK_KEYS
    assert (task["title"], task["description"], task["project_id"]) == (
        "Do it", "Text", setup["project"],
    )  # fmt: skip
    assert (task["owner_id"], task["creator_id"]) == (10, 100)
    assert (task["status"], task["status_name"]) == (0, "Incomplete")
    assert (task["priority"], task["priority_name"]) == (10, "Urgent")
    assert (task["start_date"], task["end_date"]) == ("2024-01-15", "2024-01-30")
    assert task["assignees"] == [
        {"id": setup["worker"]["id"], "firstname": "Wu", "lastname": "Li", "email": "w@example.com"}
    ]
    assert (task["completed_at"], task["parent_id"], task["deleted_at"]) == (None, None, None)
    assert check.ISO_MICRO.fullmatch(task["created_at"])
    assert fake.tasks(setup["ws"]) == [task]

    done = await create(api, setup, title="Done already", status=20, parent_id=task["id"])
    child = check.success(done, "Task created successfully", status=201)
    assert (child["status_name"], child["priority"], child["parent_id"]) == (
        "Done", 30, task["id"],
    )  # fmt: skip
    assert check.ISO_MICRO.fullmatch(child["completed_at"])


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"title": None, "project_id": None}, ["project_id", "title"]),
        ({"status": 5}, ["status"]),
        ({"status": "10"}, ["status"]),
        ({"priority": 50}, ["priority"]),
        ({"start_date": "2024-02-01", "end_date": "2024-01-31"}, ["end_date"]),
        ({"start_date": "01/02/2024"}, ["start_date"]),
        ({"assignees": "100"}, ["assignees"]),
        ({"assignees": [100, "x"]}, ["assignees.1"]),
        ({"title": "x" * 256, "description": 5}, ["description", "title"]),
    ],
)
async def test_create_422(
    fake: FakeWebWork, api: Api, setup: dict[str, Any], body: dict[str, Any], errors: list[str]
) -> None:
    assert sorted(check.field_errors(await create(api, setup, **body))) == errors
    assert fake.tasks(setup["ws"], include_deleted=True) == []


async def test_create_checks_assignees_and_parent_against_the_project(
    fake: FakeWebWork, api: Api, setup: dict[str, Any]
) -> None:
    other = fake.add_project(setup["ws"], name="Other")
    foreign_task = fake.add_task(setup["ws"], project_id=other["id"], title="Elsewhere")
    reply = await create(
        api, setup, assignees=[setup["worker"]["id"], setup["idle"]["id"], 4242],
        parent_id=foreign_task["id"],
    )  # fmt: skip
    assert check.field_errors(reply) == {
        "parent_id": ["The selected parent id is invalid."],
        "assignees.1": ["The selected assignees.1 is invalid."],
        "assignees.2": ["The selected assignees.2 is invalid."],
    }
    assert fake.tasks(setup["ws"], setup["project"]) == []
    archived = fake.add_project(setup["ws"], name="Old", deleted_at="2024-01-01")
    gone = await create(api, setup, project_id=archived["id"])
    check.error(gone, 404, "Project not found")


# --- list ----------------------------------------------------------------------------------------


async def test_list_needs_a_live_project_and_filters(
    fake: FakeWebWork, api: Api, setup: dict[str, Any]
) -> None:
    ws, project = setup["ws"], setup["project"]
    a = fake.add_task(ws, project_id=project, title="A", status=10, priority=20)
    b = fake.add_task(ws, project_id=project, title="B", status=10)
    c = fake.add_task(ws, project_id=project, title="C", status=30, priority=20)
    fake.add_task(ws, project_id=project, title="Gone", deleted_at="2024-01-01")
    other = fake.add_project(ws, name="Other")
    fake.add_task(ws, project_id=other["id"], title="Not this project")

    listed = await api.get("tasks", workspace_id=ws, project_id=project)
    tasks = check.success(listed, "Tasks retrieved successfully")
    assert [t["id"] for t in tasks] == [a["id"], b["id"], c["id"]]
    assert listed.body["meta"]["pagination"] == {
        "total": 3, "per_page": 20, "current_page": 1, "last_page": 1, "from": 1, "to": 3,
    }  # fmt: skip
    cases = [({"status": 10}, [a, b]), ({"priority": 20}, [a, c]),
             ({"status": 10, "priority": 20}, [a]), ({"order_by": "desc"}, [c, b, a]),
             ({"order_by": "desc", "per_page": 2, "page": 2}, [a]),
             ({"status": 20}, [])]  # fmt: skip
    for params, expected in cases:
        reply = await api.get("tasks", workspace_id=ws, project_id=project, **params)
        assert [t["id"] for t in reply.body["data"]] == [t["id"] for t in expected], params

    assert check.field_errors(await api.get("tasks", workspace_id=ws)) == {
        "project_id": ["The project id field is required."]
    }
    bad = await api.get("tasks", workspace_id=ws, project_id=project, priority=15, order_by="up")
    assert sorted(check.field_errors(bad)) == ["order_by", "priority"]
    missing = await api.get("tasks", workspace_id=ws, project_id=9999)
    check.error(missing, 404, "Project not found")


# --- get / update / delete -----------------------------------------------------------------------


async def test_get_needs_the_tasks_own_project(
    fake: FakeWebWork, api: Api, setup: dict[str, Any]
) -> None:
    task = fake.add_task(setup["ws"], project_id=setup["project"], title="T")
    path = f"tasks/{task['id']}"
    got = await api.get(path, **scope(setup))
    assert check.success(got, "Task retrieved successfully") == task
    other = fake.add_project(setup["ws"], name="Other")
    wrong = await api.get(path, workspace_id=setup["ws"], project_id=other["id"])
    check.error(wrong, 404, "Task not found")
    assert sorted(check.field_errors(await api.get(path))) == ["project_id", "workspace_id"]
    check.error(await api.get("tasks/x", **scope(setup)), 404, "Task not found")


async def test_update_changes_fields_and_completion(
    fake: FakeWebWork, api: Api, setup: dict[str, Any]
) -> None:
    task = fake.add_task(
        setup["ws"], project_id=setup["project"], title="T", start_date="2024-01-10",
        updated_at="2024-01-01T00:00:00.000000Z",
    )  # fmt: skip
    path = f"tasks/{task['id']}"
    body = {**scope(setup), "title": "New", "status": 30, "priority": 40, "description": "D",
            "end_date": "2024-01-20", "assignees": [setup["worker"]["id"]]}  # fmt: skip
    updated = check.success(await api.call("PUT", path, json=body), "Task updated successfully")
    assert (updated["title"], updated["status_name"], updated["priority_name"]) == (
        "New", "Completed", "Low",
    )  # fmt: skip
    assert (updated["description"], updated["end_date"]) == ("D", "2024-01-20")
    assert updated["assignees"] == []  # assignees are not updated by PUT
    assert check.ISO_MICRO.fullmatch(updated["completed_at"])
    assert updated["updated_at"] != task["updated_at"]

    done = await api.call("PUT", path, json={**scope(setup), "status": 20})
    assert done.body["data"]["completed_at"] == updated["completed_at"]  # still complete
    reopened = await api.call("PUT", path, json={**scope(setup), "status": 10})
    assert reopened.body["data"]["completed_at"] is None

    early = await api.call("PUT", path, json={**scope(setup), "end_date": "2024-01-01"})
    assert list(check.field_errors(early)) == ["end_date"]  # checked against the kept start date
    itself = await api.call("PUT", path, json={**scope(setup), "parent_id": task["id"]})
    assert list(check.field_errors(itself)) == ["parent_id"]
    no_project = await api.call("PUT", path, json={"workspace_id": setup["ws"], "title": "X"})
    assert list(check.field_errors(no_project)) == ["project_id"]
    assert fake.tasks(setup["ws"])[0]["title"] == "New"


async def test_delete_then_404(fake: FakeWebWork, api: Api, setup: dict[str, Any]) -> None:
    task = fake.add_task(setup["ws"], project_id=setup["project"], title="T")
    path = f"tasks/{task['id']}"
    reply = await api.call("DELETE", path, json=scope(setup))
    assert check.success(reply, "Task deleted successfully") is None
    check.error(await api.get(path, **scope(setup)), 404, "Task not found")
    check.error(await api.call("DELETE", path, json=scope(setup)), 404)
    (deleted,) = fake.tasks(setup["ws"], include_deleted=True)
    assert check.ISO_MICRO.fullmatch(deleted["deleted_at"])
    assert fake.tasks(setup["ws"]) == []


async def test_archiving_the_project_makes_its_tasks_404(
    fake: FakeWebWork, api: Api, setup: dict[str, Any]
) -> None:
    task = fake.add_task(setup["ws"], project_id=setup["project"], title="T")
    archived = await api.call(
        "DELETE", f"projects/{setup['project']}", json={"workspace_id": setup["ws"]}
    )
    assert archived.status == 200
    for reply in [
        await api.get(f"tasks/{task['id']}", **scope(setup)),
        await api.get("tasks", **scope(setup)),
        await api.call("PUT", f"tasks/{task['id']}", json={**scope(setup), "title": "X"}),
    ]:
        check.error(reply, 404, "Project not found")


# --- assignees -----------------------------------------------------------------------------------


async def test_assign_rules_and_assignees_list(
    fake: FakeWebWork, api: Api, setup: dict[str, Any]
) -> None:
    task = fake.add_task(setup["ws"], project_id=setup["project"], title="T")
    worker, idle = setup["worker"]["id"], setup["idle"]["id"]
    base = f"tasks/{task['id']}"
    assigned = await api.call("POST", f"{base}/assign/{worker}", json=scope(setup))
    assert check.success(assigned, "Task assigned to user successfully") is None
    listed = await api.get(f"{base}/assignees", **scope(setup))
    assert check.success(listed, "Task assignees retrieved successfully") == [
        {"id": worker, "email": "w@example.com", "firstname": "Wu", "lastname": "Li"}
    ]
    assert "pagination" not in listed.body["meta"]

    again = await api.call("POST", f"{base}/assign/{worker}", json=scope(setup))
    assert check.field_errors(again) == {"user_id": ["The user is already assigned to this task."]}
    no_contract = await api.call("POST", f"{base}/assign/{idle}", json=scope(setup))
    assert check.field_errors(no_contract) == {"user_id": ["The selected user id is invalid."]}
    stranger = await api.call("POST", f"{base}/assign/4242", json=scope(setup))
    assert list(check.field_errors(stranger)) == ["user_id"]
    not_int = await api.call("POST", f"{base}/assign/abc", json=scope(setup))
    check.error(not_int, 404, "Member not found")

    not_assigned = await api.call("DELETE", f"{base}/unassign/{idle}", json=scope(setup))
    check.error(not_assigned, 404, "Assignee not found")
    removed = await api.call("DELETE", f"{base}/unassign/{worker}", json=scope(setup))
    assert check.success(removed, "Task unassigned from user successfully") is None
    assert (await api.get(f"{base}/assignees", **scope(setup))).body["data"] == []
    no_project = await api.call(
        "POST", f"{base}/assign/{worker}", json={"workspace_id": setup["ws"]}
    )
    assert list(check.field_errors(no_project)) == ["project_id"]


# --- 403 / 404 -----------------------------------------------------------------------------------


async def test_403_for_a_regular_user(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace(role="Regular User")
    project = fake.add_project(workspace_id, name="P")
    task = fake.add_task(workspace_id, project_id=project["id"], title="T")
    scoped, path = {"project_id": project["id"]}, f"tasks/{task['id']}"
    await check.forbidden(api, workspace_id, [
        ("GET", "tasks", scoped), ("POST", "tasks", {**scoped, "title": "N"}),
        ("GET", path, scoped), ("PUT", path, {**scoped, "title": "X"}), ("DELETE", path, scoped),
        ("POST", f"{path}/assign/100", scoped), ("DELETE", f"{path}/unassign/100", scoped),
        ("GET", f"{path}/assignees", scoped),
    ])  # fmt: skip
    assert fake.tasks(workspace_id) == [task]


async def test_404_for_another_workspaces_task(
    fake: FakeWebWork, api: Api, setup: dict[str, Any]
) -> None:
    other = fake.add_workspace()
    far_project = fake.add_project(other, name="Far")
    foreign = fake.add_task(other, project_id=far_project["id"], title="Far task")
    path, far_scope = f"tasks/{foreign['id']}", {"project_id": far_project["id"]}
    await check.answers(api, setup["ws"], [
        ("GET", path, scope(setup)), ("DELETE", path, scope(setup)),
        ("POST", f"{path}/assign/{setup['worker']['id']}", scope(setup)),
    ], 404, "Task not found")  # fmt: skip
    await check.answers(api, setup["ws"], [
        ("GET", path, far_scope), ("DELETE", path, far_scope), ("GET", "tasks", far_scope),
    ], 404, "Project not found")  # fmt: skip
    assert fake.tasks(other) == [foreign]


def test_add_task_is_lenient(fake: FakeWebWork) -> None:
    workspace_id = fake.add_workspace()
    task = fake.add_task(workspace_id, project_id=77, title="T", status=11, assignees=[5, 6])
    assert (task["status_name"], task["priority_name"]) == (None, "Normal")
    assert [a["id"] for a in task["assignees"]] == [5, 6]
    assert task["assignees"][0]["firstname"] is None
    assert fake.tasks(workspace_id, 77) == [task]
    assert fake.tasks(workspace_id, 78) == []
    with pytest.raises(TypeError, match="status_name"):
        fake.add_task(workspace_id, project_id=1, title="T", status_name="Doing")
