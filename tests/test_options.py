"""Per-call options (timeout, total_timeout, max_retries) on every operation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from canned_server import Canned, CannedServer, envelope

from webwork_async import AsyncSession, InvalidArgumentError, RetryPolicy, ServerError
from webwork_async.testing import FakeWebWork

FAST = RetryPolicy(backoff=0.01, jitter=0.0)

# Each operation with one bad option; every one must fail before anything is sent.
CALLS: list[tuple[str, Callable[[AsyncSession], Any]]] = [
    ("timeout", lambda ww: ww.projects.get(1, workspace_id=1, timeout=0)),
    ("timeout", lambda ww: ww.projects.list(workspace_id=1, timeout=float("nan"))),
    ("total_timeout", lambda ww: ww.projects.create(workspace_id=1, name="x", total_timeout=-1)),
    ("max_retries", lambda ww: ww.projects.update(1, workspace_id=1, name="x", max_retries=-1)),
    ("max_retries", lambda ww: ww.projects.delete(1, workspace_id=1, max_retries=True)),
    ("max_retries", lambda ww: ww.projects.list_many([1, 2], max_retries="3")),
    ("timout", lambda ww: ww.workspaces.list(timout=5)),
]


@pytest.mark.parametrize(("argument", "call"), CALLS)
async def test_bad_options_fail_before_anything_is_sent(
    ww: AsyncSession,
    webwork_fake: FakeWebWork,
    argument: str,
    call: Callable[[AsyncSession], Any],
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        result = call(ww)
        await result  # coroutines raise here; list() and list_many() raised already
    assert caught.value.argument == argument
    assert webwork_fake.request_count() == 0


async def test_max_retries_overrides_the_session_policy_per_call(canned: CannedServer) -> None:
    canned.answer["/api/v2/projects/1"] = Canned(503, {"success": False, "message": "down"})
    async with AsyncSession(token="t", base_url=canned.base_url, retry=FAST) as ww:
        with pytest.raises(ServerError) as default:
            await ww.projects.get(1, workspace_id=1)
        assert default.value.attempts == 1 + FAST.max_retries
        with pytest.raises(ServerError) as once:
            await ww.projects.get(1, workspace_id=1, max_retries=1)
        assert once.value.attempts == 2
        with pytest.raises(ServerError) as never:
            await ww.projects.get(1, workspace_id=1, max_retries=0)
        assert never.value.attempts == 1
    assert len(canned.seen) == 4 + 2 + 1


async def test_options_of_a_list_apply_to_every_page(canned: CannedServer) -> None:
    pages = {
        "1": Canned(
            body=envelope([{"id": 1, "name": "a"}], pagination={"current_page": 1, "last_page": 2})
        )
    }

    def answer(request: Any) -> Canned:
        return pages.get(request.query["page"], Canned(503, {"success": False, "message": "x"}))

    canned.answer["/api/v2/projects"] = answer
    async with AsyncSession(token="t", base_url=canned.base_url, retry=FAST) as ww:
        with pytest.raises(ServerError) as caught:
            await ww.projects.list(workspace_id=1, max_retries=2).to_list()
    assert caught.value.attempts == 3
    assert [seen[2]["page"] for seen in canned.seen] == ["1", "2", "2", "2"]
