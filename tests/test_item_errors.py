"""One item that does not fit its model never sinks its page: the others arrive, it is reported.

Against the fake server, which stores whatever a test gives it: a project whose ``deadline`` is
"someday" or whose ``id`` is a string is what a service that changed a field would send.
"""

from __future__ import annotations

import logging

import pytest
from canned_server import Canned, CannedServer, envelope

from webwork_async import AsyncSession, DecodeError
from webwork_async._protocol import ListOf, decode_answer
from webwork_async.models import Webhook
from webwork_async.testing import FakeWebWork


def bad_page(fake: FakeWebWork) -> tuple[int, list[int]]:
    """A workspace of five projects, the second and the fourth of which fit no Project."""
    workspace = fake.add_workspace()
    ids = [fake.add_project(workspace, name=f"P{n}")["id"] for n in range(5)]
    fake.add_project(workspace, name="late", id=1000, deadline="someday")
    fake.add_project(workspace, name="odd", id=1001, tags="not a list")
    return workspace, ids


async def test_await_gives_the_good_items_and_reports_each_bad_one(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace, good = bad_page(webwork_fake)
    page = await ww.projects.list(workspace_id=workspace)
    assert [project.id for project in page] == good
    assert [(e.index, e.path) for e in page.item_errors] == [
        (5, "$.data[5].deadline"),
        (6, "$.data[6].tags"),
    ]
    late = page.item_errors[0]
    assert isinstance(late, DecodeError) and late.json_valid
    assert late.item["id"] == 1000 and late.item["deadline"] == "someday"
    assert "$.data[5].deadline" in str(late)


async def test_async_for_yields_the_good_items_logs_the_bad_and_keeps_them(
    ww: AsyncSession, webwork_fake: FakeWebWork, caplog: pytest.LogCaptureFixture
) -> None:
    workspace, good = bad_page(webwork_fake)
    paginator = ww.projects.list(workspace_id=workspace, per_page=3)
    with caplog.at_level(logging.WARNING, logger="webwork_async"):
        seen = [project.id async for project in paginator]
    assert seen == good
    # 7 items at 3 a page: page 2 holds index 2 (id 1000), page 3 index 0 (id 1001).
    assert [(e.index, e.item["id"]) for e in paginator.item_errors] == [(2, 1000), (0, 1001)]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "item 2 of page 2" in warnings[0].getMessage()
    assert "$.data[2].deadline" in warnings[0].getMessage()


async def test_to_list_and_list_many_report_them_and_the_workspace_stays_ok(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace, good = bad_page(webwork_fake)
    clean = webwork_fake.add_workspace()
    webwork_fake.add_project(clean, name="fine")
    paginator = ww.projects.list(workspace_id=workspace, per_page=2)
    assert [p.id for p in await paginator.to_list()] == good
    assert len(paginator.item_errors) == 2
    results = {r.workspace_id: r async for r in ww.projects.list_many([workspace, clean])}
    assert results[workspace].ok
    assert [p.id for p in results[workspace].items] == good
    assert [e.item["id"] for e in results[workspace].item_errors] == [1000, 1001]
    assert results[clean].ok and results[clean].item_errors == []


async def test_strict_fails_the_page_for_the_session_and_per_call(
    webwork_fake: FakeWebWork,
) -> None:
    workspace, _ = bad_page(webwork_fake)
    assert webwork_fake.base_url is not None
    options = {"token": webwork_fake.token, "base_url": webwork_fake.base_url, "retry": None}
    async with AsyncSession(**options, strict=True) as ww:
        with pytest.raises(DecodeError) as caught:
            await ww.projects.list(workspace_id=workspace)
        assert caught.value.path == "$.data[5].deadline" and caught.value.index is None
        # The per-call option overrides the session's, both ways.
        page = await ww.projects.list(workspace_id=workspace, strict=False)
        assert len(page.item_errors) == 2
    async with AsyncSession(**options) as ww:
        results = [r async for r in ww.projects.list_many([workspace], strict=True)]
    assert isinstance(results[0].error, DecodeError)
    assert results[0].items == [] and results[0].item_errors == []


async def test_an_answer_whose_data_is_no_list_still_fails_whole(canned: CannedServer) -> None:
    # Only items are read one by one: an answer whose data is no list is not a page at all.
    canned.answer["/api/v2/projects"] = Canned(body=envelope({"id": 1, "name": "one"}))
    async with AsyncSession(token="t", base_url=canned.base_url, retry=None) as ww:
        with pytest.raises(DecodeError) as caught:
            await ww.projects.list(workspace_id=1)
    assert caught.value.index is None and caught.value.path == "$.data"


async def test_a_page_of_which_every_item_changed_shape_reports_every_item(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    for number in range(3):
        webwork_fake.add_project(workspace, name=f"P{number}")
    webwork_fake.inject("schema_mismatch", path="projects")  # every id becomes "x-<id>"
    page = await ww.projects.list(workspace_id=workspace)
    assert page.items == []
    assert [e.path for e in page.item_errors] == [f"$.data[{n}].id" for n in range(3)]


def test_a_webhook_token_never_shows_in_an_item_error() -> None:
    body = b'{"success":true,"data":[{"id":7,"url":"u","token":"whsec_abcdef"}]}'
    envelope = decode_answer(
        ListOf.of(Webhook), status=200, body=body, method="GET", url="u", headers={}, strict=False
    )
    (error,) = envelope.data.item_errors
    assert "whsec_abcdef" not in str(error) and "whsec_abcdef" not in repr(error)
