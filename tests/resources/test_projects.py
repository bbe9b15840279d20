"""ww.projects against the fake server on loopback, through the public API only."""

from __future__ import annotations

import datetime

import msgspec
import pytest

from webwork_async import (
    AsyncSession,
    AuthenticationError,
    InvalidArgumentError,
    NotFoundError,
    Page,
    PermissionDeniedError,
    Project,
    ValidationError,
)
from webwork_async.testing import FakeWebWork


def stored_ids(fake: FakeWebWork, workspace_id: int) -> list[int]:
    return [project["id"] for project in fake.projects(workspace_id)]


async def test_create_sends_workspace_in_body_and_returns_a_full_project(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    project = await ww.projects.create(
        workspace_id=workspace,
        name="Marketing Campaign Q1",
        start_date=datetime.date(2024, 1, 15),
        deadline="2024-03-31",
        estimation=120,
        budget=5000,
        notes="Focus on social media channels",
        icon="project-icon-1",
    )
    assert isinstance(project, Project)
    assert project.name == "Marketing Campaign Q1"
    assert project.start_date == datetime.date(2024, 1, 15)
    assert project.deadline == datetime.date(2024, 3, 31)
    assert project.estimation == 120
    assert project.budget_estimation == 5000
    assert project.deleted_at is None
    assert isinstance(project.created_at, datetime.datetime)
    sent = webwork_fake.requests[-1]
    assert (sent.method, sent.path, sent.query) == ("POST", "/api/v2/projects", {})
    assert msgspec.json.decode(sent.body) == {
        "workspace_id": workspace,
        "name": "Marketing Campaign Q1",
        "start_date": "2024-01-15",
        "deadline": "2024-03-31",
        "estimation": 120,
        "budget": 5000,
        "notes": "Focus on social media channels",
        "icon": "project-icon-1",
    }
    assert stored_ids(webwork_fake, workspace) == [project.id]


async def test_get_reads_workspace_from_the_query(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    stored = webwork_fake.add_project(workspace, name="Alpha", start_date="2024-02-01")
    project = await ww.projects.get(stored["id"], workspace_id=workspace)
    assert (project.id, project.name, project.start_date) == (
        stored["id"],
        "Alpha",
        datetime.date(2024, 2, 1),
    )
    sent = webwork_fake.requests[-1]
    assert (sent.method, sent.path) == ("GET", f"/api/v2/projects/{stored['id']}")
    assert sent.query == {"workspace_id": str(workspace)}
    assert sent.body == b""


async def test_update_sends_only_the_given_fields(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    stored = webwork_fake.add_project(
        workspace, name="Alpha", start_date="2024-01-15", deadline="2024-03-31", notes="keep me"
    )
    project = await ww.projects.update(
        stored["id"], workspace_id=workspace, deadline=datetime.date(2024, 4, 30)
    )
    assert msgspec.json.decode(webwork_fake.requests[-1].body) == {
        "workspace_id": workspace,
        "deadline": "2024-04-30",
    }
    assert project.deadline == datetime.date(2024, 4, 30)
    assert (project.name, project.notes) == ("Alpha", "keep me")
    assert webwork_fake.requests[-1].method == "PUT"


async def test_update_with_none_clears_a_field(ww: AsyncSession, webwork_fake: FakeWebWork) -> None:
    workspace = webwork_fake.add_workspace()
    stored = webwork_fake.add_project(workspace, name="Alpha", notes="old", budget_estimation=10)
    project = await ww.projects.update(stored["id"], workspace_id=workspace, notes=None, budget=99)
    assert msgspec.json.decode(webwork_fake.requests[-1].body) == {
        "workspace_id": workspace,
        "notes": None,
        "budget": 99,
    }
    assert project.notes is None
    assert project.budget_estimation == 99


async def test_delete_sends_a_json_body_and_archives(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    stored = webwork_fake.add_project(workspace, name="Doomed")
    assert await ww.projects.delete(stored["id"], workspace_id=workspace) is None
    sent = webwork_fake.requests[-1]
    assert sent.method == "DELETE"
    assert msgspec.json.decode(sent.body) == {"workspace_id": workspace}
    assert stored_ids(webwork_fake, workspace) == []
    archived = webwork_fake.projects(workspace, include_archived=True)
    assert [p["id"] for p in archived] == [stored["id"]]
    assert archived[0]["deleted_at"] is not None
    with pytest.raises(NotFoundError):
        await ww.projects.get(stored["id"], workspace_id=workspace)


async def test_await_list_gives_one_page_with_pagination(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    for number in range(45):
        webwork_fake.add_project(workspace, name=f"P{number:02d}")
    page = await ww.projects.list(workspace_id=workspace, page=2, per_page=20)
    assert isinstance(page, Page)
    assert [p.name for p in page.items] == [f"P{n:02d}" for n in range(20, 40)]
    assert len(page) == 20
    assert page.pagination is not None
    assert (page.pagination.total, page.pagination.current_page, page.pagination.last_page) == (
        45,
        2,
        3,
    )
    assert webwork_fake.requests[-1].query == {
        "workspace_id": str(workspace),
        "page": "2",
        "per_page": "20",
    }


async def test_await_list_without_page_arguments_leaves_them_to_the_service(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    for number in range(25):
        webwork_fake.add_project(workspace, name=f"P{number}")
    page = await ww.projects.list(workspace_id=workspace)
    assert len(page.items) == 20  # the documented server default
    assert webwork_fake.requests[-1].query == {"workspace_id": str(workspace)}


async def test_iterating_list_walks_every_page_in_order(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    other = webwork_fake.add_workspace()
    webwork_fake.add_project(other, name="elsewhere")
    expected = [webwork_fake.add_project(workspace, name=f"P{n}")["id"] for n in range(237)]
    webwork_fake.reset_requests()
    seen = [project.id async for project in ww.projects.list(workspace_id=workspace, per_page=25)]
    assert seen == expected
    pages = sorted(int(r.query["page"]) for r in webwork_fake.requests)
    assert pages == list(range(1, 11))  # 237 items / 25 a page: exactly 10 requests


async def test_iterating_uses_the_largest_page_size_by_default(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    for n in range(250):
        webwork_fake.add_project(workspace, name=f"P{n}")
    webwork_fake.reset_requests()
    assert len(await ww.projects.list(workspace_id=workspace).to_list()) == 250
    assert webwork_fake.request_count("GET", "/api/v2/projects") == 3
    assert {r.query["per_page"] for r in webwork_fake.requests} == {"100"}


async def test_iteration_starts_at_the_given_page(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    ids = [webwork_fake.add_project(workspace, name=f"P{n}")["id"] for n in range(30)]
    got = [p.id async for p in ww.projects.list(workspace_id=workspace, page=2, per_page=10)]
    assert got == ids[10:]


async def test_name_filter_is_passed_to_the_service(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    for name in ("Marketing Q1", "Sales", "marketing Q2"):
        webwork_fake.add_project(workspace, name=name)
    found = [p.name async for p in ww.projects.list(workspace_id=workspace, name="MARKETING")]
    assert found == ["Marketing Q1", "marketing Q2"]


async def test_empty_workspace_lists_nothing(ww: AsyncSession, webwork_fake: FakeWebWork) -> None:
    workspace = webwork_fake.add_workspace()
    assert [p async for p in ww.projects.list(workspace_id=workspace)] == []
    assert webwork_fake.request_count() == 1


async def test_unknown_project_and_workspace_are_not_found(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    with pytest.raises(NotFoundError) as caught:
        await ww.projects.get(424242, workspace_id=workspace)
    assert caught.value.status == 404
    assert caught.value.method == "GET"
    assert caught.value.url.endswith(f"/api/v2/projects/424242?workspace_id={workspace}")
    with pytest.raises(NotFoundError):
        await ww.projects.list(workspace_id=99999)


async def test_project_of_another_workspace_is_not_found(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    mine, theirs = webwork_fake.add_workspace(), webwork_fake.add_workspace()
    stored = webwork_fake.add_project(theirs, name="Theirs")
    with pytest.raises(NotFoundError):
        await ww.projects.update(stored["id"], workspace_id=mine, name="Mine now")
    assert webwork_fake.projects(theirs)[0]["name"] == "Theirs"


async def test_workspace_where_caller_is_not_a_manager_is_forbidden(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace(role="Regular User")
    with pytest.raises(PermissionDeniedError) as caught:
        await ww.projects.create(workspace_id=workspace, name="Nope")
    assert caught.value.status == 403
    assert webwork_fake.projects(workspace) == []


async def test_service_side_validation_is_a_validation_error_with_fields(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    stored = webwork_fake.add_project(workspace, name="Alpha", start_date="2024-05-01")
    # Only the service knows the stored start date, so this check is its to make.
    with pytest.raises(ValidationError) as caught:
        await ww.projects.update(stored["id"], workspace_id=workspace, deadline="2024-04-01")
    assert caught.value.status == 422
    assert "deadline" in caught.value.errors
    assert caught.value.errors["deadline"]


async def test_wrong_token_is_an_authentication_error(webwork_fake: FakeWebWork) -> None:
    assert webwork_fake.base_url is not None
    async with AsyncSession(token="not-the-token", base_url=webwork_fake.base_url) as ww:
        with pytest.raises(AuthenticationError) as caught:
            await ww.projects.list(workspace_id=1)
    assert caught.value.status == 401
    assert "not-the-token" not in str(caught.value)


BAD_CALLS = [
    ("workspace_id", lambda ww: ww.projects.list(workspace_id=0)),
    ("workspace_id", lambda ww: ww.projects.list(workspace_id="1")),
    ("per_page", lambda ww: ww.projects.list(workspace_id=1, per_page=101)),
    ("per_page", lambda ww: ww.projects.list(workspace_id=1, per_page=0)),
    ("page", lambda ww: ww.projects.list(workspace_id=1, page=0)),
    ("project_id", lambda ww: ww.projects.get(-3, workspace_id=1)),
    ("project_id", lambda ww: ww.projects.get(True, workspace_id=1)),
    ("workspace_id", lambda ww: ww.projects.get(1, workspace_id=None)),
    ("name", lambda ww: ww.projects.create(workspace_id=1, name="  ")),
    ("name", lambda ww: ww.projects.create(workspace_id=1, name=None)),
    (
        "deadline",
        lambda ww: ww.projects.create(
            workspace_id=1, name="x", start_date="2024-03-01", deadline="2024-02-28"
        ),
    ),
    ("start_date", lambda ww: ww.projects.create(workspace_id=1, name="x", start_date="3/1/24")),
    ("budget", lambda ww: ww.projects.create(workspace_id=1, name="x", budget=-1)),
    ("estimation", lambda ww: ww.projects.create(workspace_id=1, name="x", estimation="10")),
    ("name", lambda ww: ww.projects.update(1, workspace_id=1, name="")),
    (
        "deadline",
        lambda ww: ww.projects.update(
            1, workspace_id=1, start_date="2024-03-01", deadline="2024-01-01"
        ),
    ),
    ("update", lambda ww: ww.projects.update(1, workspace_id=1)),
    ("project_id", lambda ww: ww.projects.delete(0, workspace_id=1)),
    ("workspace_ids[1]", lambda ww: ww.projects.list_many([1, 0])),
    ("per_page", lambda ww: ww.projects.list_many([1], per_page=500)),
]


@pytest.mark.parametrize(("argument", "call"), BAD_CALLS)
async def test_bad_arguments_fail_before_anything_is_sent(
    ww: AsyncSession, webwork_fake: FakeWebWork, argument: str, call: object
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        result = call(ww)  # type: ignore[operator]
        await result  # coroutines raise here; list() and list_many() raised already
    assert caught.value.argument == argument
    assert str(caught.value).startswith(f"{argument}: ")
    assert webwork_fake.request_count() == 0
