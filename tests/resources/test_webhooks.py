"""ww.webhooks against the fake server: opaque ids, secret tokens, 50 a page."""

from __future__ import annotations

import pytest
from team import last_sent

from webwork_async import (
    AsyncSession,
    InvalidArgumentError,
    NotFoundError,
    Webhook,
    WebhookEvent,
)
from webwork_async.testing import FakeWebWork


async def test_create_update_list_delete(ww: AsyncSession, webwork_fake: FakeWebWork) -> None:
    workspace = webwork_fake.add_workspace()
    hook = await ww.webhooks.create(
        workspace_id=workspace,
        url="https://example.com/hook",
        events=[WebhookEvent.TRACKER_STARTED, "tracker.stopped"],
    )
    assert isinstance(hook, Webhook) and isinstance(hook.id, str) and hook.id
    assert hook.token and hook.token not in repr(hook)
    assert hook.events == ["tracker.started", "tracker.stopped"]
    assert (
        await ww.webhooks.update(
            hook.id, workspace_id=workspace, url="https://example.com/v2", events=["member.invited"]
        )
        is None
    )
    assert last_sent(webwork_fake)[:2] == ("PUT", f"/api/v2/webhooks/{hook.id}")
    (listed,) = (await ww.webhooks.list(workspace_id=workspace)).items
    assert (listed.url, listed.events) == ("https://example.com/v2", ["member.invited"])
    await ww.webhooks.delete(hook.id, workspace_id=workspace)
    assert (await ww.webhooks.list(workspace_id=workspace)).items == []
    with pytest.raises(NotFoundError):
        await ww.webhooks.delete(hook.id, workspace_id=workspace)


async def test_fifty_a_page_by_default_and_every_one_by_iteration(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    workspace = webwork_fake.add_workspace()
    for number in range(60):
        await ww.webhooks.create(
            workspace_id=workspace, url=f"https://example.com/{number}", events=["tracker.started"]
        )
    first = await ww.webhooks.list(workspace_id=workspace)
    assert len(first) == 50 and first.last_page == 2
    assert len([hook async for hook in ww.webhooks.list(workspace_id=workspace)]) == 60


async def test_bad_events_urls_and_ids_are_refused_before_sending(
    ww: AsyncSession, webwork_fake: FakeWebWork
) -> None:
    for call, argument in (
        (
            ww.webhooks.create(workspace_id=1, url="https://x.example/h", events=["nope"]),
            "events[0]",
        ),
        (
            ww.webhooks.create(workspace_id=1, url="ftp://x.example/h", events=["tracker.started"]),
            "url",
        ),
        (ww.webhooks.create(workspace_id=1, url="https://x.example/h", events=[]), "events"),
        (ww.webhooks.delete("a/../b", workspace_id=1), "webhook_id"),
    ):
        with pytest.raises(InvalidArgumentError) as caught:
            await call
        assert caught.value.argument == argument
    assert webwork_fake.requests == []
