"""Wire behaviour of the fake WebWork server (variant B), checked with raw aiohttp."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import aiohttp
import pytest
from fake_helpers import TOKEN, Api

from webwork_async.testing import FakeWebWork, RecordedRequest

ISO_MICRO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
SQL_DATETIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
PROJECT_KEYS = {
    "id", "name", "owner_id", "start_date", "deadline", "estimation", "budget_estimation",
    "notes", "icon", "is_billable", "rate", "weekly_hours_limit", "screenshots", "tags",
    "contracts_count", "status", "created_at", "updated_at", "deleted_at",
}  # fmt: skip


def assert_error(body: Any, message: str) -> None:
    assert body["success"] is False
    assert body["message"] == message
    assert "error" in body
    assert body["meta"]["api_version"] == "2.0.0"
    assert ISO_MICRO.fullmatch(body["meta"]["timestamp"])


def assert_success(body: Any, message: str) -> None:
    assert body["success"] is True
    assert body["message"] == message
    assert body["meta"]["api_version"] == "2.0.0"
    assert ISO_MICRO.fullmatch(body["meta"]["timestamp"])


# --- auth ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong-token", ""])
async def test_401_without_or_with_wrong_token(
    fake: FakeWebWork, api: Api, token: str | None
) -> None:
    fake.add_workspace()
    reply = await api.call("GET", "workspaces", token=token)
    assert reply.status == 401
    assert_error(reply.body, "Unauthenticated.")
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


async def test_401_for_non_bearer_scheme(api: Api) -> None:
    async with api.session.get(
        api.base_url + "workspaces", headers={"Authorization": f"Basic {TOKEN}"}
    ) as response:
        assert response.status == 401


async def test_random_token_by_default_and_never_in_repr() -> None:
    first, second = FakeWebWork(), FakeWebWork()
    assert first.token != second.token
    assert len(first.token) >= 32
    async with first.serve() as base_url:
        assert first.token not in repr(first)
        assert base_url in repr(first)


# --- workspaces ----------------------------------------------------------------------------------


async def test_workspaces_list_and_pagination(fake: FakeWebWork, api: Api) -> None:
    first = fake.add_workspace(name="Acme")
    fake.add_workspace(role="Executive manager", status="inactive")
    fake.add_workspace(7, role="Regular User")

    reply = await api.get("workspaces")
    assert reply.status == 200
    assert_success(reply.body, "Workspaces retrieved successfully")
    assert [w["id"] for w in reply.body["data"]] == [first, first + 1, 7]
    acme = reply.body["data"][0]
    assert set(acme) == {
        "id", "owner_id", "user_id", "workspace_name", "role", "status", "created_at",
        "activated_at",
    }  # fmt: skip
    assert acme["workspace_name"] == "Acme"
    assert acme["role"] == "Owner"
    assert acme["owner_id"] == acme["user_id"]
    assert ISO_MICRO.fullmatch(acme["created_at"])
    assert SQL_DATETIME.fullmatch(acme["activated_at"])
    manager = reply.body["data"][1]
    assert (manager["role"], manager["status"]) == ("Executive manager", "inactive")
    assert manager["owner_id"] != manager["user_id"]
    assert reply.body["meta"]["pagination"] == {
        "total": 3, "per_page": 20, "current_page": 1, "last_page": 1, "from": 1, "to": 3,
    }  # fmt: skip

    page2 = await api.get("workspaces", page=2, per_page=2)
    assert [w["id"] for w in page2.body["data"]] == [7]
    assert page2.body["meta"]["pagination"] == {
        "total": 3, "per_page": 2, "current_page": 2, "last_page": 2, "from": 3, "to": 3,
    }  # fmt: skip


async def test_workspaces_need_no_workspace_id_but_validate_paging(api: Api) -> None:
    reply = await api.get("workspaces", per_page=0)
    assert reply.status == 422
    assert list(reply.body["errors"]) == ["per_page"]


def test_add_workspace_rejects_bad_input(fake: FakeWebWork) -> None:
    fake.add_workspace(3)
    assert fake.add_workspace() == 4
    with pytest.raises(ValueError, match="already exists"):
        fake.add_workspace(3)
    with pytest.raises(ValueError, match="role"):
        fake.add_workspace(role="Boss")
    with pytest.raises(ValueError, match="status"):
        fake.add_workspace(status="gone")
    with pytest.raises(ValueError, match="positive"):
        fake.add_workspace(0)


# --- projects: list ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "ids", "pagination"),
    [
        ({}, range(1, 21), (45, 20, 1, 3, 1, 20)),
        ({"page": 2}, range(21, 41), (45, 20, 2, 3, 21, 40)),
        ({"page": 3}, range(41, 46), (45, 20, 3, 3, 41, 45)),
        ({"page": 4}, [], (45, 20, 4, 3, None, None)),
        ({"per_page": 100}, range(1, 46), (45, 100, 1, 1, 1, 45)),
        ({"per_page": 1, "page": 45}, [45], (45, 1, 45, 45, 45, 45)),
        ({"per_page": 15, "page": 3}, range(31, 46), (45, 15, 3, 3, 31, 45)),
    ],
)
async def test_projects_pagination_math(
    fake: FakeWebWork, api: Api, params: dict[str, int], ids: Any, pagination: tuple[Any, ...]
) -> None:
    workspace_id = fake.add_workspace()
    for number in range(1, 46):
        fake.add_project(workspace_id, name=f"Project {number}")
    reply = await api.get("projects", workspace_id=workspace_id, **params)
    assert reply.status == 200
    assert_success(reply.body, "Projects retrieved successfully")
    assert [p["id"] for p in reply.body["data"]] == list(ids)
    keys = ("total", "per_page", "current_page", "last_page", "from", "to")
    assert reply.body["meta"]["pagination"] == dict(zip(keys, pagination, strict=True))


async def test_projects_empty_workspace(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    reply = await api.get("projects", workspace_id=workspace_id)
    assert reply.body["data"] == []
    assert reply.body["meta"]["pagination"] == {
        "total": 0, "per_page": 20, "current_page": 1, "last_page": 1, "from": None, "to": None,
    }  # fmt: skip


async def test_projects_list_only_own_workspace_live_projects_by_id(
    fake: FakeWebWork, api: Api
) -> None:
    ws1, ws2 = fake.add_workspace(), fake.add_workspace()
    fake.add_project(ws1, name="B", id=10)
    fake.add_project(ws2, name="Other workspace")
    fake.add_project(ws1, name="A", id=5)
    fake.add_project(ws1, name="Archived", deleted_at="2024-05-01T00:00:00.000000Z")
    reply = await api.get("projects", workspace_id=ws1)
    assert [p["name"] for p in reply.body["data"]] == ["A", "B"]
    assert set(reply.body["data"][0]) == PROJECT_KEYS
    assert len(fake.projects(ws1)) == 2
    assert len(fake.projects(ws1, include_archived=True)) == 3


async def test_projects_name_filter_is_case_insensitive_substring(
    fake: FakeWebWork, api: Api
) -> None:
    workspace_id = fake.add_workspace()
    for name in ["Marketing Campaign Q1", "Website", "Q2 MARKETING", "market research", "Other"]:
        fake.add_project(workspace_id, name=name)
    reply = await api.get("projects", workspace_id=workspace_id, name="marketing")
    assert [p["name"] for p in reply.body["data"]] == ["Marketing Campaign Q1", "Q2 MARKETING"]
    assert reply.body["meta"]["pagination"]["total"] == 2
    paged = await api.get("projects", workspace_id=workspace_id, name="MARKET", per_page=2, page=2)
    assert [p["name"] for p in paged.body["data"]] == ["market research"]
    everything = await api.get("projects", workspace_id=workspace_id, name="")
    assert everything.body["meta"]["pagination"]["total"] == 5


# --- projects: create ----------------------------------------------------------------------------


async def test_create_project_returns_201_full_project(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace(owner_id=10)
    other = fake.add_workspace()
    fake.add_project(other, name="Takes id 1")
    body = {
        "workspace_id": workspace_id,
        "name": "Marketing Campaign Q1",
        "start_date": "2024-01-15",
        "deadline": "2024-03-31",
        "estimation": 120,
        "budget": 5000,
        "notes": "Focus on social media channels",
        "icon": "project-icon-1",
    }
    reply = await api.call("POST", "projects", json=body)
    assert reply.status == 201
    assert_success(reply.body, "Project created successfully")
    project = reply.body["data"]
    assert set(project) == PROJECT_KEYS
    assert project["id"] == 2  # ids are global across workspaces
    assert project["owner_id"] == 10
    assert project["budget_estimation"] == 5000
    assert "budget" not in project
    for key in ("name", "start_date", "deadline", "estimation", "notes", "icon"):
        assert project[key] == body[key]
    assert project["is_billable"] is True
    assert (project["rate"], project["weekly_hours_limit"], project["screenshots"]) == (
        0, 168, "blur",
    )  # fmt: skip
    assert (project["tags"], project["contracts_count"], project["status"]) == ([], 0, 1)
    assert ISO_MICRO.fullmatch(project["created_at"])
    assert project["updated_at"] == project["created_at"]
    assert project["deleted_at"] is None
    assert fake.projects(workspace_id) == [project]


async def test_create_project_with_name_only(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    reply = await api.call("POST", "projects", json={"workspace_id": workspace_id, "name": "X"})
    assert reply.status == 201
    project = reply.body["data"]
    for key in ("start_date", "deadline", "estimation", "budget_estimation", "notes", "icon"):
        assert project[key] is None
    assert project["start_date"] is None


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"workspace_id": 1}, ["name"]),
        ({"workspace_id": 1, "name": "   "}, ["name"]),
        ({"workspace_id": 1, "name": 5}, ["name"]),
        ({"workspace_id": 1, "name": "x" * 256}, ["name"]),
        ({"name": "No workspace"}, ["workspace_id"]),
        ({"workspace_id": "1", "name": "String id"}, ["workspace_id"]),
        ({"workspace_id": True, "name": "Bool id"}, ["workspace_id"]),
        ({"workspace_id": 0, "name": "Zero id"}, ["workspace_id"]),
        ({"workspace_id": 1, "name": "P", "start_date": "2024-02-01", "deadline": "2024-01-31"},
         ["deadline"]),
        ({"workspace_id": 1, "name": "P", "start_date": "15/01/2024"}, ["start_date"]),
        ({"workspace_id": 1, "name": "P", "deadline": "2024-02-30"}, ["deadline"]),
        ({"workspace_id": 1, "name": "P", "estimation": -1}, ["estimation"]),
        ({"workspace_id": 1, "name": "P", "budget": "a lot"}, ["budget"]),
        ({"workspace_id": 1, "name": "P", "notes": 3, "icon": ["x"]}, ["icon", "notes"]),
        ({"estimation": -5, "budget": -1}, ["budget", "estimation", "name", "workspace_id"]),
    ],
)  # fmt: skip
async def test_create_project_422_lists_field_errors(
    fake: FakeWebWork, api: Api, body: dict[str, Any], fields: list[str]
) -> None:
    fake.add_workspace()
    reply = await api.call("POST", "projects", json=body)
    assert reply.status == 422
    assert_error(reply.body, "The given data was invalid.")
    assert sorted(reply.body["errors"]) == fields
    for messages in reply.body["errors"].values():
        assert messages
        assert all(isinstance(message, str) for message in messages)
    assert fake.projects(1, include_archived=True) == []


async def test_create_project_messages_are_laravel_style(fake: FakeWebWork, api: Api) -> None:
    fake.add_workspace()
    reply = await api.call(
        "POST",
        "projects",
        json={"workspace_id": 1, "start_date": "2024-02-01", "deadline": "2024-01-01"},
    )
    assert reply.body["errors"] == {
        "name": ["The name field is required."],
        "deadline": ["The deadline field must be a date after or equal to start date."],
    }


async def test_writes_take_workspace_id_from_body_not_query(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    reply = await api.call(
        "POST", "projects", params={"workspace_id": workspace_id}, json={"name": "Variant A"}
    )
    assert reply.status == 422
    assert reply.body["errors"] == {"workspace_id": ["The workspace id field is required."]}


# --- projects: reads' query validation -----------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({}, ["workspace_id"]),
        ({"workspace_id": "abc"}, ["workspace_id"]),
        ({"workspace_id": "-1"}, ["workspace_id"]),
        ({"workspace_id": "0"}, ["workspace_id"]),
        ({"workspace_id": 1, "per_page": 101}, ["per_page"]),
        ({"workspace_id": 1, "per_page": 0}, ["per_page"]),
        ({"workspace_id": 1, "page": 0}, ["page"]),
        ({"workspace_id": 1, "page": "two"}, ["page"]),
        ({"page": 0, "per_page": 101}, ["page", "per_page", "workspace_id"]),
    ],
)
async def test_list_projects_422(
    fake: FakeWebWork, api: Api, params: dict[str, Any], fields: list[str]
) -> None:
    fake.add_workspace()
    reply = await api.get("projects", **params)
    assert reply.status == 422
    assert_error(reply.body, "The given data was invalid.")
    assert sorted(reply.body["errors"]) == fields


async def test_per_page_message(fake: FakeWebWork, api: Api) -> None:
    fake.add_workspace()
    reply = await api.get("projects", workspace_id=1, per_page=101)
    assert reply.body["errors"] == {"per_page": ["The per page field must be between 1 and 100."]}


# --- projects: get / update / delete -------------------------------------------------------------


async def test_get_project(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    stored = fake.add_project(workspace_id, name="Seeded", start_date="2024-01-15", tags=[
        {"id": 5, "name": "Marketing", "color": "#FF5733"}
    ])  # fmt: skip
    reply = await api.get(f"projects/{stored['id']}", workspace_id=workspace_id)
    assert reply.status == 200
    assert_success(reply.body, "Project retrieved successfully")
    assert reply.body["data"] == stored
    assert reply.body["data"]["tags"] == [{"id": 5, "name": "Marketing", "color": "#FF5733"}]


async def test_update_changes_only_given_fields(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    before = fake.add_project(
        workspace_id,
        name="Original",
        start_date="2024-01-15",
        deadline="2024-03-31",
        estimation=120,
        budget_estimation=5000,
        notes="keep me",
        icon="project-icon-1",
        updated_at="2024-01-15T09:00:00.000000Z",
    )
    reply = await api.call(
        "PUT",
        f"projects/{before['id']}",
        json={"workspace_id": workspace_id, "name": "Renamed", "budget": 6000, "icon": None},
    )
    assert reply.status == 200
    assert_success(reply.body, "Project updated successfully")
    after = reply.body["data"]
    assert after["name"] == "Renamed"
    assert after["budget_estimation"] == 6000
    assert after["icon"] is None
    assert after["updated_at"] != before["updated_at"]
    unchanged = set(PROJECT_KEYS) - {"name", "budget_estimation", "icon", "updated_at"}
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert fake.projects(workspace_id) == [after]


async def test_update_nulls_clear_and_dates_checked_against_merged(
    fake: FakeWebWork, api: Api
) -> None:
    workspace_id = fake.add_workspace()
    project = fake.add_project(
        workspace_id, name="P", start_date="2024-01-15", deadline="2024-03-31", notes="n"
    )
    path = f"projects/{project['id']}"
    bad = await api.call("PUT", path, json={"workspace_id": workspace_id, "deadline": "2024-01-01"})
    assert bad.status == 422
    assert list(bad.body["errors"]) == ["deadline"]
    early = await api.call(
        "PUT", path, json={"workspace_id": workspace_id, "start_date": "2024-04-01"}
    )
    assert early.status == 422
    cleared = await api.call(
        "PUT", path, json={"workspace_id": workspace_id, "start_date": None, "notes": None}
    )
    assert cleared.status == 200
    assert (cleared.body["data"]["start_date"], cleared.body["data"]["notes"]) == (None, None)
    assert cleared.body["data"]["deadline"] == "2024-03-31"
    later = await api.call(
        "PUT", path, json={"workspace_id": workspace_id, "start_date": "2025-01-01"}
    )
    assert later.status == 422  # 2025-01-01 is after the kept deadline
    for name in (None, ""):
        reply = await api.call("PUT", path, json={"workspace_id": workspace_id, "name": name})
        assert reply.status == 422
        assert reply.body["errors"] == {"name": ["The name field is required."]}
    assert fake.projects(workspace_id)[0]["name"] == "P"


async def test_update_without_workspace_id_is_422(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    project = fake.add_project(workspace_id, name="P")
    reply = await api.call("PUT", f"projects/{project['id']}", json={"name": "Q"})
    assert reply.status == 422
    assert list(reply.body["errors"]) == ["workspace_id"]


async def test_delete_archives_then_404(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    project = fake.add_project(workspace_id, name="Doomed")
    path = f"projects/{project['id']}"
    reply = await api.call("DELETE", path, json={"workspace_id": workspace_id})
    assert reply.status == 200
    assert_success(reply.body, "Project deleted successfully")
    assert reply.body["data"] is None

    assert fake.projects(workspace_id) == []
    (archived,) = fake.projects(workspace_id, include_archived=True)
    assert ISO_MICRO.fullmatch(archived["deleted_at"])

    listed = await api.get("projects", workspace_id=workspace_id)
    assert listed.body["data"] == []
    cases: list[tuple[str, dict[str, Any]]] = [
        ("GET", {"params": {"workspace_id": workspace_id}}),
        ("PUT", {"json": {"workspace_id": workspace_id, "name": "Back"}}),
        ("DELETE", {"json": {"workspace_id": workspace_id}}),
    ]
    for method, kwargs in cases:
        gone = await api.call(method, path, **kwargs)
        assert gone.status == 404, method
        assert_error(gone.body, "Project not found")


async def test_delete_needs_workspace_id_in_body(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    project = fake.add_project(workspace_id, name="P")
    reply = await api.call("DELETE", f"projects/{project['id']}?workspace_id={workspace_id}")
    assert reply.status == 422
    assert fake.projects(workspace_id)[0]["deleted_at"] is None


# --- 403 / 404 / 405 / 400 -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["Regular User", "Team manager", "Project manager", "Project viewer"]
)
async def test_403_for_roles_without_api_access(fake: FakeWebWork, api: Api, role: str) -> None:
    workspace_id = fake.add_workspace(role=role)
    project = fake.add_project(workspace_id, name="P")
    replies = [
        await api.get("projects", workspace_id=workspace_id),
        await api.get(f"projects/{project['id']}", workspace_id=workspace_id),
        await api.call("POST", "projects", json={"workspace_id": workspace_id, "name": "N"}),
        await api.call("PUT", f"projects/{project['id']}", json={"workspace_id": workspace_id}),
        await api.call("DELETE", f"projects/{project['id']}", json={"workspace_id": workspace_id}),
    ]
    for reply in replies:
        assert reply.status == 403
        assert_error(reply.body, "You do not have permission to access this workspace")
    assert len(fake.projects(workspace_id)) == 1


async def test_executive_manager_may_use_the_api(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace(role="Executive manager", owner_id=55)
    reply = await api.call("POST", "projects", json={"workspace_id": workspace_id, "name": "N"})
    assert reply.status == 201
    assert reply.body["data"]["owner_id"] == 55


async def test_404_unknown_workspace(fake: FakeWebWork, api: Api) -> None:
    fake.add_workspace()
    for reply in [
        await api.get("projects", workspace_id=99),
        await api.call("POST", "projects", json={"workspace_id": 99, "name": "N"}),
    ]:
        assert reply.status == 404
        assert_error(reply.body, "Workspace not found")


async def test_404_unknown_or_foreign_or_non_integer_project(fake: FakeWebWork, api: Api) -> None:
    ws1, ws2 = fake.add_workspace(), fake.add_workspace()
    foreign = fake.add_project(ws2, name="Elsewhere")
    for path in ["projects/999", f"projects/{foreign['id']}", "projects/abc", "projects/1.5"]:
        reply = await api.get(path, workspace_id=ws1)
        assert reply.status == 404, path
        assert_error(reply.body, "Project not found")
    put = await api.call(
        "PUT", f"projects/{foreign['id']}", json={"workspace_id": ws1, "name": "X"}
    )
    assert put.status == 404
    assert fake.projects(ws2)[0]["name"] == "Elsewhere"


@pytest.mark.parametrize("token", [TOKEN, None])
async def test_404_unknown_path(api: Api, token: str | None) -> None:
    for path in ["nope", "projects/1/tasks", "../v1/projects"]:
        reply = await api.call("GET", path, token=token)
        assert reply.status == 404
        assert reply.body["success"] is False
        assert reply.body["meta"]["api_version"] == "2.0.0"


async def test_405_wrong_method(api: Api) -> None:
    reply = await api.call("PATCH", "projects/1", json={})
    assert reply.status == 405
    assert_error(reply.body, "Method not allowed.")
    assert set(reply.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PUT", "DELETE"}
    delete_list = await api.call("DELETE", "projects")
    assert delete_list.status == 405


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
@pytest.mark.parametrize("data", [b"{not json", b'{"workspace_id": 1,}', b"\xff\xfe", b"[1, 2]",
                                  b'"text"', b"null"])  # fmt: skip
async def test_400_invalid_json_body(fake: FakeWebWork, api: Api, method: str, data: bytes) -> None:
    workspace_id = fake.add_workspace()
    fake.add_project(workspace_id, name="P")
    path = "projects" if method == "POST" else "projects/1"
    reply = await api.call(method, path, data=data)
    assert reply.status == 400
    assert_error(reply.body, "Invalid JSON body")
    assert fake.projects(workspace_id)[0]["name"] == "P"


# --- request recording ---------------------------------------------------------------------------


async def test_requests_are_recorded_in_order(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    await api.get("workspaces", page=1)
    await api.call("POST", "projects", json={"workspace_id": workspace_id, "name": "P"})
    await api.get("projects", workspace_id=workspace_id, name="p")
    await api.get("projects/1", workspace_id=workspace_id)
    await api.call("GET", "workspaces", token="bad")  # recorded too, before auth
    await api.call("GET", "missing")

    recorded = fake.requests
    assert [(r.method, r.path) for r in recorded] == [
        ("GET", "/api/v2/workspaces"),
        ("POST", "/api/v2/projects"),
        ("GET", "/api/v2/projects"),
        ("GET", "/api/v2/projects/1"),
        ("GET", "/api/v2/workspaces"),
        ("GET", "/api/v2/missing"),
    ]
    first, post, listing = recorded[0], recorded[1], recorded[2]
    assert isinstance(first, RecordedRequest)
    assert (first.query, first.body, first.workspace_id) == ({"page": "1"}, b"", None)
    assert post.query == {}
    assert post.workspace_id == workspace_id
    assert b'"name":"P"' in post.body.replace(b" ", b"")
    assert listing.query == {"workspace_id": str(workspace_id), "name": "p"}
    assert listing.workspace_id == workspace_id

    assert fake.request_count() == 6
    assert fake.request_count("GET") == 5
    assert fake.request_count("post") == 1
    assert fake.request_count(path="/api/v2/workspaces") == 2
    assert fake.request_count("GET", "/api/v2/projects") == 1
    assert fake.request_count("GET", "projects/1") == 1
    assert fake.request_count("DELETE") == 0
    fake.reset_requests()
    assert fake.requests == []
    assert fake.request_count() == 0


async def test_requests_snapshot_is_a_copy(fake: FakeWebWork, api: Api) -> None:
    snapshot = fake.requests
    await api.get("workspaces")
    assert snapshot == []
    assert len(fake.requests) == 1


# --- add_project / seeding -----------------------------------------------------------------------


def test_add_project_accepts_project_fields_and_rejects_others(fake: FakeWebWork) -> None:
    import datetime as dt

    workspace_id = fake.add_workspace(owner_id=10)
    project = fake.add_project(
        workspace_id,
        name="P",
        start_date=dt.date(2024, 1, 15),
        deadline="2024-03-31",
        created_at=dt.datetime(2024, 1, 15, 9, 0, tzinfo=dt.timezone.utc),
        is_billable=False,
        rate=55.5,
        weekly_hours_limit=40,
        screenshots="full",
        contracts_count=3,
        status=2,
    )
    assert project["start_date"] == "2024-01-15"
    assert project["created_at"] == "2024-01-15T09:00:00.000000Z"
    assert project["owner_id"] == 10
    assert (project["is_billable"], project["rate"], project["status"]) == (False, 55.5, 2)
    project["name"] = "mutating the copy"
    assert fake.projects(workspace_id)[0]["name"] == "P"
    with pytest.raises(TypeError, match="budget"):
        fake.add_project(workspace_id, name="P", budget=5)
    with pytest.raises(KeyError):
        fake.add_project(999, name="P")
    with pytest.raises(ValueError, match="exists"):
        fake.add_project(workspace_id, name="Dup", id=project["id"])
    assert fake.add_project(workspace_id, name="Q", id=50)["id"] == 50
    assert fake.add_project(workspace_id, name="R")["id"] == 51


def _snapshot(fake: FakeWebWork, workspace_ids: list[int]) -> list[Any]:
    return [fake.projects(workspace_id) for workspace_id in workspace_ids]


def test_seed_is_deterministic_and_realistic() -> None:
    first, second, other = FakeWebWork(), FakeWebWork(), FakeWebWork()
    ids = first.seed(workspaces=8, projects_per_workspace=(2, 30), seed=42)
    assert ids == list(range(1, 9))
    assert second.seed(workspaces=8, projects_per_workspace=(2, 30), seed=42) == ids
    other.seed(workspaces=8, projects_per_workspace=(2, 30), seed=43)
    assert _snapshot(first, ids) == _snapshot(second, ids)
    assert _snapshot(first, ids) != _snapshot(other, ids)

    projects = [p for per_workspace in _snapshot(first, ids) for p in per_workspace]
    assert all(2 <= len(per_ws) <= 30 for per_ws in _snapshot(first, ids))
    assert len({p["id"] for p in projects}) == len(projects)
    for project in projects:
        assert set(project) == PROJECT_KEYS
        assert project["name"]
        assert project["deleted_at"] is None
        if project["start_date"] and project["deadline"]:
            assert project["deadline"] >= project["start_date"]
        assert ISO_MICRO.fullmatch(project["created_at"])
        assert project["updated_at"] >= project["created_at"]
        for tag in project["tags"]:
            assert set(tag) == {"id", "name", "color"}
    assert any(p["tags"] for p in projects)
    assert any(p["deadline"] for p in projects)
    assert len({p["name"] for p in projects}) > len(projects) // 2


def test_seed_adds_after_existing_data_and_validates() -> None:
    fake = FakeWebWork()
    fake.add_workspace()
    assert fake.seed(workspaces=2, projects_per_workspace=(0, 0)) == [2, 3]
    assert fake.projects(2) == []
    with pytest.raises(ValueError, match="projects_per_workspace"):
        fake.seed(workspaces=1, projects_per_workspace=(5, 1))


async def test_seeded_data_is_served(api: Api, fake: FakeWebWork) -> None:
    (workspace_id,) = fake.seed(workspaces=1, projects_per_workspace=(25, 25), seed=7)
    reply = await api.get("projects", workspace_id=workspace_id, per_page=100)
    assert reply.body["data"] == fake.projects(workspace_id)
    assert reply.body["meta"]["pagination"]["total"] == 25


async def _served(fake: FakeWebWork) -> tuple[list[Any], list[Any]]:
    """Every workspace and every live project the fake serves, in id order."""
    async with fake.serve() as base_url, aiohttp.ClientSession() as session:
        api = Api(session, base_url)
        workspaces = (await api.get("workspaces", per_page=100)).body["data"]
        projects = []
        for workspace in workspaces:
            reply = await api.get("projects", workspace_id=workspace["id"], per_page=100)
            projects.extend(reply.body["data"])
        return workspaces, projects


async def test_same_seed_serves_identical_workspaces_and_projects() -> None:
    first, second, other = (FakeWebWork(token=TOKEN) for _ in range(3))
    for fake in (first, second):
        fake.seed(workspaces=12, projects_per_workspace=(1, 8), seed=5)
    other.seed(workspaces=12, projects_per_workspace=(1, 8), seed=6)
    workspaces, projects = await _served(first)
    assert await _served(second) == (workspaces, projects)
    other_workspaces, other_projects = await _served(other)

    def names_and_times(items: list[Any], name: str) -> list[Any]:
        return [(item["id"], item[name], item["created_at"]) for item in items]

    assert [w["id"] for w in other_workspaces] == [w["id"] for w in workspaces]
    assert names_and_times(other_workspaces, "workspace_name") != names_and_times(
        workspaces, "workspace_name"
    )
    assert names_and_times(other_projects, "name") != names_and_times(projects, "name")
    assert len(projects) >= 12
    for workspace in workspaces:
        moment = datetime.strptime(workspace["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
        assert workspace["activated_at"] == moment.strftime("%Y-%m-%d %H:%M:%S")
    for project in projects:
        for field in ("created_at", "updated_at"):  # real moments, written the API's way
            moment = datetime.strptime(project[field], "%Y-%m-%dT%H:%M:%S.%fZ")
            assert moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") == project[field]
        for field in ("start_date", "deadline"):
            if project[field] is not None:
                assert date.fromisoformat(project[field]).isoformat() == project[field]


def test_seeded_projects_have_the_fields_of_added_ones_in_the_same_order() -> None:
    fake = FakeWebWork()
    (workspace_id,) = fake.seed(workspaces=1, projects_per_workspace=(30, 30), seed=3)
    added = fake.add_project(workspace_id, name="Added")
    seeded = fake.projects(workspace_id)[:-1]
    assert all(list(project) == list(added) for project in seeded)
    assert {type(project["rate"]) for project in seeded} <= {int, float}
    assert all(type(project["contracts_count"]) is int for project in seeded)
    assert all(project["owner_id"] == added["owner_id"] for project in seeded)
    assert [project["id"] for project in seeded] == list(range(1, 31))
    assert added["id"] == 31


def test_seed_progress_counts_up_to_the_total() -> None:
    fake = FakeWebWork()
    calls: list[tuple[int, int]] = []
    ids = fake.seed(
        workspaces=25,
        projects_per_workspace=(0, 3),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert len(ids) == 25
    assert calls[-1] == (25, 25)
    assert all(total == 25 for _, total in calls)
    done = [count for count, _ in calls]
    assert done == sorted(set(done))
    assert 0 < done[0] < 25
    assert 2 <= len(calls) <= 11  # every tenth or so, not every workspace

    empty: list[tuple[int, int]] = []
    assert fake.seed(workspaces=0, progress=lambda *counts: empty.append(counts)) == []
    assert empty == [(0, 0)]


def test_seed_progress_sees_the_workspaces_done_and_may_stop_the_seeding() -> None:
    fake = FakeWebWork()
    seen: list[int] = []

    def stop_after_first(done: int, total: int) -> None:
        seen.append(len(fake.projects(done)))  # the done workspaces are stored already
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fake.seed(workspaces=30, projects_per_workspace=(2, 2), progress=stop_after_first)
    assert seen == [2]
    assert fake.add_workspace() == 4  # seeding stopped after 3 of the 30 workspaces


def test_project_count_counts_live_projects_per_workspace_or_in_all() -> None:
    fake = FakeWebWork()
    first, second = fake.add_workspace(), fake.add_workspace()
    for name in ("A", "B", "C"):
        fake.add_project(first, name=name)
    fake.add_project(second, name="Archived", deleted_at="2024-01-01T00:00:00.000000Z")
    assert fake.project_count(first) == len(fake.projects(first)) == 3
    assert fake.project_count(second) == 0
    assert fake.project_count(second, include_archived=True) == 1
    assert fake.project_count() == 3 and fake.project_count(include_archived=True) == 4
