"""A bot built with ``webhook_handler`` against the fake server's own signed deliveries: what
changes through the API reaches the bot's callback once each, typed, in order."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from local_servers import serving

from webwork_async import AsyncSession
from webwork_async.testing import FakeWebWork
from webwork_async.webhooks import (
    Event,
    ProjectCreated,
    StandardWebhooksVerifier,
    TrackerStarted,
    WebhookHandler,
    current_delivery,
    webhook_handler,
)


async def test_what_changes_through_the_api_reaches_the_bot_once_each_in_order(
    tmp_path: Path,
) -> None:
    fake = FakeWebWork()
    workspace = fake.add_workspace()
    member = fake.add_member(workspace, email="dev@example.com", role="Regular User")
    billable = fake.add_project(workspace, name="Billable")
    contract = fake.add_contract(workspace, project_id=billable["id"], user_id=member["id"])
    received: list[tuple[str, Event]] = []

    async def on_event(event: Event) -> None:
        received.append((current_delivery().id, event))

    bot: list[WebhookHandler] = []  # made once the webhook, and so its token, exists

    async def route(request: web.Request) -> web.StreamResponse:
        return await bot[0](request)

    app = web.Application()
    app.router.add_post("/webhooks", route)
    async with fake.serve() as base_url, serving(app) as port:
        async with AsyncSession(fake.token, base_url=base_url, rate_limit=None) as ww:
            hook = await ww.webhooks.create(
                workspace_id=workspace,
                url=f"http://127.0.0.1:{port}/webhooks",
                events=["project.created", "tracker.started"],
            )
            assert hook.token is not None
            verifier = StandardWebhooksVerifier(hook.token)
            bot.append(webhook_handler(on_event, verifier=verifier, store=tmp_path / "bot.db"))
            await bot[0].start()
            try:
                project = await ww.projects.create(workspace_id=workspace, name="From the API")
                await ww.time_tracking.start(
                    workspace_id=workspace, user_id=member["id"], contract_id=contract["id"]
                )
                await ww.projects.update(project.id, workspace_id=workspace, name="Renamed")
                deliveries = await fake.deliveries_settled(timeout=10)
                for _ in range(200):  # the callback runs after the 202
                    if len(received) == 2:
                        break
                    await asyncio.sleep(0.01)
            finally:
                await bot[0].close()
    assert [d.state.value for d in deliveries] == ["delivered", "delivered"]  # not subscribed
    assert [delivery_id for delivery_id, _ in received] == [d.delivery_id for d in deliveries]
    created, started = (event for _, event in received)
    assert isinstance(created, ProjectCreated) and created.data.name == "From the API"
    assert created.data.id == project.id
    assert isinstance(started, TrackerStarted)
    assert (started.data.user_id, started.data.contract_id) == (member["id"], contract["id"])
