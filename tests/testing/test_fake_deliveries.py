"""Webhook deliveries of the fake server, received by a real receiver on 127.0.0.1.

The receiver verifies every delivery with the webhook's token and decodes it, as a bot would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from fake_helpers import TOKEN, Worksite
from local_servers import free_port
from msgspec.structs import asdict

from webwork_async import AsyncSession
from webwork_async.testing import DeliveryState, FakeWebWork
from webwork_async.testing._loopback import is_loopback_url
from webwork_async.webhooks import (
    Event,
    KnownEvent,
    MemberActivated,
    MemberArchived,
    MemberDeleted,
    MemberInvited,
    MemberUpdated,
    ProjectCreated,
    ProjectDeleted,
    ProjectUpdated,
    StandardWebhooksVerifier,
    TrackerStarted,
    TrackerStopped,
    WebhookSignatureError,
    decode_event,
)

SECRET = "whsec_" + "ab" * 16
ALL_EVENTS = ["project.created", "project.updated", "project.deleted", "tracker.started",
              "tracker.stopped", "member.invited", "member.updated", "member.deleted",
              "member.activated", "member.archived"]  # fmt: skip


@dataclass
class Received:
    hook: str
    delivery_id: str
    event: Event
    body: bytes


@dataclass
class Receiver:
    """A bot's endpoint ``/hooks/{name}``: verifies with ``secrets[name]``, records what it
    takes, answers each request with the next of ``answers[name]`` (200 when none is left)
    after ``delay`` seconds."""

    base_url: str = ""
    secrets: dict[str, str] = field(default_factory=dict)
    answers: dict[str, deque[int]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    delay: float = 0.0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, name: str) -> str:
        return f"{self.base_url}/hooks/{name}"

    def ids(self, hook: str) -> list[str]:
        return [got.delivery_id for got in self.received if got.hook == hook]

    def events(self, hook: str) -> list[Event]:
        return [got.event for got in self.received if got.hook == hook]

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        body = await request.read()
        self.arrived.set()
        try:
            StandardWebhooksVerifier(self.secrets[name]).verify(request.headers, body)
        except (KeyError, WebhookSignatureError) as exc:
            self.refused.append(f"{name}: {exc}")
            return web.Response(status=401)
        assert request.content_type == "application/json"
        got = Received(name, request.headers["webhook-id"], decode_event(body), body)
        self.received.append(got)
        if self.delay:  # until the delay is over or the test ends
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), self.delay)
        queue = self.answers.get(name)
        return web.Response(status=queue.popleft() if queue else 200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    bot = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/{name}", bot.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    bot.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield bot
    bot.release.set()
    await runner.cleanup()


@pytest.fixture
async def ww(fake: FakeWebWork, receiver: Receiver) -> AsyncIterator[AsyncSession]:
    """A session on the fake, served in this loop, retrying deliveries quickly; the fake
    stops before the receiver does."""
    fake.configure_deliveries(retries=2, backoff=0.01, timeout=2.0)
    async with fake.serve() as base_url:
        async with AsyncSession(token=TOKEN, base_url=base_url, retry=None) as session:
            yield session


def hook(fake: FakeWebWork, receiver: Receiver, workspace_id: int, name: str, *events: str) -> str:
    """Register webhook ``name`` of ``events`` (all by default) at the receiver; its id."""
    webhook = fake.add_webhook(
        workspace_id, url=receiver.url(name), events=list(events) or ALL_EVENTS
    )
    receiver.secrets[name] = webhook["token"]
    return str(webhook["id"])


async def test_project_changes_through_the_api_arrive_verified_and_typed(
    fake: FakeWebWork, site: Worksite, receiver: Receiver, ww: AsyncSession
) -> None:
    webhook_id = hook(fake, receiver, site.ws, "a", "project.created", "project.updated",
                      "project.deleted")  # fmt: skip
    project = await ww.projects.create(workspace_id=site.ws, name="Launch", notes="Spring")
    await ww.projects.update(project.id, workspace_id=site.ws, name="Launch 2")
    await ww.projects.delete(project.id, workspace_id=site.ws)
    deliveries = await fake.deliveries_settled(timeout=5)

    created, updated, deleted = receiver.events("a")
    assert isinstance(created, ProjectCreated)
    assert asdict(created.data) == asdict(project)  # the project as the API answered it
    assert (created.workspace_id, created.timestamp is not None) == (site.ws, True)
    assert isinstance(updated, ProjectUpdated)
    assert (updated.data.id, updated.data.name) == (project.id, "Launch 2")
    assert isinstance(deleted, ProjectDeleted)
    assert deleted.data.deleted_at is not None
    assert [(d.webhook_id, d.event_type, d.state, d.statuses) for d in deliveries] == [
        (webhook_id, "project.created", DeliveryState.DELIVERED, [200]),
        (webhook_id, "project.updated", DeliveryState.DELIVERED, [200]),
        (webhook_id, "project.deleted", DeliveryState.DELIVERED, [200]),
    ]
    assert receiver.ids("a") == [d.delivery_id for d in deliveries]
    assert [got.body for got in receiver.received] == [d.body for d in deliveries]
    assert receiver.refused == []


async def test_tracker_start_and_stop_deliver_tracker_events(
    fake: FakeWebWork, site: Worksite, receiver: Receiver, ww: AsyncSession
) -> None:
    hook(fake, receiver, site.ws, "a", "tracker.started", "tracker.stopped")
    await ww.time_tracking.start(
        workspace_id=site.ws, user_id=site.user, contract_id=site.contract, task_id=site.task,
        activity_description="Layout",
    )  # fmt: skip
    stop = await ww.time_tracking.stop(workspace_id=site.ws, user_id=site.user)
    await fake.deliveries_settled(timeout=5)

    started, stopped = receiver.events("a")
    assert isinstance(started, TrackerStarted)
    assert isinstance(stopped, TrackerStopped)
    expected = (site.user, site.contract, site.project, site.task, "Layout")
    for event in (started, stopped):
        data = event.data
        assert (data.user_id, data.contract_id, data.project_id, data.task_id,
                data.activity_description) == expected  # fmt: skip
    assert stopped.data.start_time == started.data.start_time is not None
    assert stopped.data.stopped_at == stop.stopped_at is not None


async def test_member_actions_deliver_member_events(
    fake: FakeWebWork, site: Worksite, receiver: Receiver, ww: AsyncSession
) -> None:
    hook(fake, receiver, site.ws, "a")
    person = {"firstname": "Cy", "lastname": "Doe", "role": "Regular User"}
    invited = await ww.members.invite(workspace_id=site.ws, email="cy@example.com", **person)
    fake.accept_invitation(site.ws, invited.user_id)
    await ww.members.update(invited.user_id, workspace_id=site.ws, lastname="Dane")
    await ww.members.delete(invited.user_id, workspace_id=site.ws)
    pending = await ww.members.invite(workspace_id=site.ws, email="di@example.com", **person)
    await ww.members.delete(pending.user_id, workspace_id=site.ws)
    await fake.deliveries_settled(timeout=5)

    kinds = [type(event) for event in receiver.events("a")]
    assert kinds == [MemberInvited, MemberActivated, MemberUpdated, MemberArchived,
                     MemberInvited, MemberDeleted]  # fmt: skip
    shown = [
        (event.data.id, event.data.status, event.data.lastname, event.data.deleted_at is None)
        for event in receiver.events("a")
        if isinstance(event, MemberInvited | MemberActivated | MemberUpdated | MemberArchived)
    ]
    assert shown == [
        (invited.user_id, "inactive", "Doe", True),
        (invited.user_id, "active", "Doe", True),
        (invited.user_id, "active", "Dane", True),
        (invited.user_id, "active", "Dane", False),
        (pending.user_id, "inactive", "Doe", True),
    ]


async def test_only_live_subscribed_webhooks_of_the_workspace_get_an_event(
    fake: FakeWebWork, site: Worksite, receiver: Receiver, ww: AsyncSession
) -> None:
    wanted = hook(fake, receiver, site.ws, "wants", "project.created")
    hook(fake, receiver, site.ws, "other-event", "tracker.started", "project.updated")
    hook(fake, receiver, site.other, "other-workspace", "project.created")
    gone = hook(fake, receiver, site.ws, "deleted", "project.created")
    await ww.webhooks.delete(gone, workspace_id=site.ws)

    await ww.projects.create(workspace_id=site.ws, name="Launch")
    deliveries = await fake.deliveries_settled(timeout=5)

    assert [(d.webhook_id, d.state) for d in deliveries] == [(wanted, DeliveryState.DELIVERED)]
    assert [got.hook for got in receiver.received] == ["wants"]


async def test_a_failing_receiver_gets_the_same_delivery_again_until_it_answers_2xx(
    fake: FakeWebWork, site: Worksite, receiver: Receiver, ww: AsyncSession
) -> None:
    hook(fake, receiver, site.ws, "a", "project.created")
    receiver.answers["a"] = deque([500, 503])
    await ww.projects.create(workspace_id=site.ws, name="Launch")
    (delivery,) = await fake.deliveries_settled(timeout=5)

    assert receiver.ids("a") == [delivery.delivery_id] * 3
    assert len({got.body for got in receiver.received}) == 1
    assert (delivery.state, delivery.statuses) == (DeliveryState.DELIVERED, [500, 503, 200])
    assert receiver.refused == []  # each retry signed again, and verified


async def test_a_receiver_that_is_down_makes_the_delivery_fail_after_the_retries(
    fake: FakeWebWork, site: Worksite, ww: AsyncSession
) -> None:
    fake.add_webhook(site.ws, url=f"http://127.0.0.1:{free_port()}/hook", events=ALL_EVENTS)
    started = time.monotonic()
    await ww.projects.create(workspace_id=site.ws, name="Launch")
    (delivery,) = await fake.deliveries_settled(timeout=5)

    assert delivery.state is DeliveryState.FAILED
    assert delivery.statuses == [None, None, None]
    assert all("Connect" in str(attempt.error) for attempt in delivery.attempts)
    assert time.monotonic() - started >= 0.01 + 0.02  # the back-off was waited


async def test_a_receiver_that_does_not_answer_in_time_is_retried_then_failed(
    fake: FakeWebWork, site: Worksite, receiver: Receiver, ww: AsyncSession
) -> None:
    fake.configure_deliveries(retries=1, backoff=0.01, timeout=0.2)
    hook(fake, receiver, site.ws, "a", "project.created")
    receiver.delay = 1.0
    await ww.projects.create(workspace_id=site.ws, name="Launch")
    (delivery,) = await fake.deliveries_settled(timeout=5)

    assert delivery.state is DeliveryState.FAILED
    assert [attempt.error for attempt in delivery.attempts] == ["no answer within 0.2 s"] * 2
    assert receiver.ids("a") == [delivery.delivery_id] * 2


async def test_a_webhooks_deliveries_keep_their_order_through_retries(
    fake: FakeWebWork, site: Worksite, receiver: Receiver, ww: AsyncSession
) -> None:
    fake.configure_deliveries(retries=3, backoff=0.02)
    hook(fake, receiver, site.ws, "slow", "project.created")
    hook(fake, receiver, site.ws, "fine", "project.created")
    receiver.answers["slow"] = deque([500, 500, 500])
    for name in ("P1", "P2", "P3"):
        await ww.projects.create(workspace_id=site.ws, name=name)
    deliveries = await fake.deliveries_settled(timeout=5)

    first, second, third = (d.delivery_id for d in deliveries if d.url.endswith("/slow"))
    assert receiver.ids("slow") == [first] * 4 + [second, third]
    for name in ("slow", "fine"):
        names = [e.data.name for e in receiver.events(name) if isinstance(e, ProjectCreated)]
        assert list(dict.fromkeys(names)) == ["P1", "P2", "P3"]
    assert all(d.state is DeliveryState.DELIVERED for d in deliveries)


@pytest.mark.parametrize(
    "url",
    ["https://example.com/hook", "http://10.0.0.1/hook", "http://localhost.example.com/",
     "ftp://127.0.0.1/hook", "http://127.0.0.1:99999/"],
)  # fmt: skip
async def test_a_url_off_this_machine_is_refused_unsent(
    fake: FakeWebWork, site: Worksite, ww: AsyncSession, url: str
) -> None:
    fake.add_webhook(site.ws, url=url, events=["project.created"])
    await ww.projects.create(workspace_id=site.ws, name="Launch")
    (delivery,) = await fake.deliveries_settled(timeout=1)
    assert (delivery.state, delivery.attempts) == (DeliveryState.REFUSED, ())


@pytest.mark.parametrize(
    ("url", "loopback"),
    [("http://127.0.0.1:8000/x", True), ("https://127.8.9.10/", True), ("http://[::1]:80/", True),
     ("http://localhost/", True), ("http://[::ffff:127.0.0.1]/", True),
     ("http://192.168.1.2/", False), ("http://example.com/", False), ("127.0.0.1:80", False),
     ("http:///path", False)],
)  # fmt: skip
def test_is_loopback_url(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


async def test_deliver_sends_a_test_event_by_hand(
    fake: FakeWebWork, site: Worksite, receiver: Receiver, ww: AsyncSession
) -> None:
    webhook_id = hook(fake, receiver, site.ws, "a", "member.invited")
    (to_hooks,) = fake.deliver("member.invited", site.ws)
    receiver.secrets["direct"] = SECRET
    (direct,) = fake.deliver(
        "project.created", site.ws, {"id": 7, "name": "Given"}, to=receiver.url("direct"),
        secret=SECRET,
    )  # fmt: skip
    await fake.deliveries_settled(timeout=5)

    (sample,) = receiver.events("a")
    assert isinstance(sample, MemberInvited)
    assert (sample.data.status, to_hooks.webhook_id) == ("inactive", webhook_id)
    (given,) = receiver.events("direct")
    assert isinstance(given, ProjectCreated)
    assert (given.data.id, given.data.name, direct.webhook_id) == (7, "Given", None)
    with pytest.raises(ValueError, match="secret"):
        fake.deliver("project.created", site.ws, to=receiver.url("direct"))
    with pytest.raises(ValueError, match="unknown event"):
        fake.deliver("task.created", site.ws)


async def test_the_threaded_fake_delivers_from_its_own_loop(
    fake: FakeWebWork, site: Worksite, receiver: Receiver
) -> None:
    fake.configure_deliveries(retries=1, backoff=0.01)
    hook(fake, receiver, site.ws, "a", "project.created", "tracker.started")
    with fake.serve_in_thread() as base_url:
        async with AsyncSession(token=TOKEN, base_url=base_url, retry=None) as session:
            await session.projects.create(workspace_id=site.ws, name="Launch")
        fake.deliver("tracker.started", site.ws)  # from this thread, not the fake's
        deliveries = await asyncio.to_thread(fake.wait_deliveries, 5)
    assert [d.state for d in deliveries] == [DeliveryState.DELIVERED] * 2
    assert [type(event) for event in receiver.events("a")] == [ProjectCreated, TrackerStarted]


async def test_stopping_the_server_cancels_deliveries_in_flight_and_waiting(
    fake: FakeWebWork, site: Worksite, receiver: Receiver
) -> None:
    hook(fake, receiver, site.ws, "a", "project.created")
    receiver.delay = 30.0
    async with fake.serve():
        fake.deliver("project.created", site.ws)
        fake.deliver("project.created", site.ws)
        await asyncio.wait_for(receiver.arrived.wait(), 5)
    deliveries = fake.deliveries
    assert [d.state for d in deliveries] == [DeliveryState.CANCELLED] * 2
    assert [len(d.attempts) for d in deliveries] == [0, 0]
    assert fake.deliver("project.created", site.ws)[0].state is DeliveryState.CANCELLED
    assert fake.wait_deliveries(0) == fake.deliveries


# --- webwork-fake trigger ------------------------------------------------------------------


async def trigger(*args: str, secret: str | None = SECRET) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k != "WEBWORK_WEBHOOK_SECRET"}
    if secret is not None:
        env["WEBWORK_WEBHOOK_SECRET"] = secret
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-W", "error", "-m", "webwork_async.testing", "trigger", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


@pytest.mark.parametrize("event", ["project.created", "tracker.stopped", "member.archived"])
async def test_trigger_fires_a_signed_event_at_a_bot(receiver: Receiver, event: str) -> None:
    receiver.secrets["bot"] = SECRET
    status, out, err = await trigger(event, "--to", receiver.url("bot"), "--workspace", "7")
    assert status == 0, err
    (got,) = receiver.received
    assert isinstance(got.event, KnownEvent)  # a typed event, decoded strictly
    assert (got.event.type, got.event.workspace_id) == (event, 7)
    lines = out.splitlines()
    assert lines[0] == f"{event} {got.delivery_id} -> {receiver.url('bot')}"
    assert lines[1].startswith("attempt 1: 200 (")
    assert lines[2:] == ["delivered after 1 attempt"]
    assert SECRET not in out + err


async def test_trigger_exits_1_when_the_bot_keeps_failing(receiver: Receiver) -> None:
    receiver.secrets["bot"] = SECRET
    receiver.answers["bot"] = deque([500] * 10)
    status, out, err = await trigger("project.created", "--to", receiver.url("bot"),
                                     "--secret", SECRET, secret=None)  # fmt: skip
    assert status == 1
    assert len(set(receiver.ids("bot"))) == 1
    assert len(receiver.received) == 4  # the fake's schedule: three retries
    assert out.splitlines()[-1] == "failed after 4 attempts"
    assert "--secret shows the secret" in err
    assert SECRET not in out + err


async def test_trigger_refuses_what_it_cannot_send(receiver: Receiver) -> None:
    status, out, err = await trigger("project.created", "--to", "https://example.com/hook")
    assert (status, out) == (1, "")
    assert "not an http(s) URL on a loopback address" in err
    status, _, err = await trigger("project.created", "--to", receiver.url("bot"), secret=None)
    assert (status, "WEBWORK_WEBHOOK_SECRET" in err) == (2, True)
    status, _, err = await trigger("task.created", "--to", receiver.url("bot"))
    assert (status, "invalid choice" in err) == (2, True)
    status, out, err = await trigger("project.created", "--to", f"http://127.0.0.1:{free_port()}/")
    assert (status, out.splitlines()[-1]) == (1, "failed after 4 attempts")
    assert SECRET not in out + err
    assert receiver.received == []
