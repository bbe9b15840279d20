"""``await event.fetch(ww)``: a thin event becomes the resource as it is now, with one public
resource call against the fake server; an event that lacks an id the call needs is refused by
name before anything is sent.

The events of the first tests are the fake's own signed deliveries, caught by a tiny receiver;
the others are bodies decoded with ``decode_event``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from aiohttp import web
from local_servers import serving

from webwork_async import AsyncSession, InvalidArgumentError, NotFoundError
from webwork_async.testing import FakeWebWork
from webwork_async.webhooks import (
    Event,
    MemberEvent,
    MemberUpdated,
    ProjectCreated,
    ProjectDeleted,
    ProjectEvent,
    StandardWebhooksVerifier,
    TrackerStarted,
    TrackerStopped,
    decode_event,
)

E = TypeVar("E")
UTC = datetime.timezone.utc
EVENTS = ["project.created", "project.deleted", "member.updated"]
EVENTS += ["tracker.started", "tracker.stopped"]


@dataclass
class Inbox:
    """A receiver on 127.0.0.1 that verifies each delivery and keeps the decoded event."""

    url: str = ""
    verifier: StandardWebhooksVerifier | None = None
    events: list[Event] = field(default_factory=list)

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        assert self.verifier is not None
        self.verifier.verify(request.headers, body)
        self.events.append(decode_event(body))
        return web.Response(status=204)

    def last(self, kind: type[E]) -> E:
        found = [event for event in self.events if isinstance(event, kind)]
        assert found, self.events
        return found[-1]


@dataclass
class World:
    fake: FakeWebWork
    ww: AsyncSession
    inbox: Inbox
    workspace: int
    member: dict[str, Any]
    contract: dict[str, Any]
    task: dict[str, Any]

    async def settle(self) -> None:
        deliveries = await self.fake.deliveries_settled(timeout=10)
        assert {d.state.value for d in deliveries} == {"delivered"}


@pytest.fixture
async def world() -> AsyncIterator[World]:
    fake = FakeWebWork()
    workspace = fake.add_workspace()
    member = fake.add_member(workspace, email="ann@example.com", firstname="Ann", lastname="Lee")
    project = fake.add_project(workspace, name="Billable")
    contract = fake.add_contract(workspace, project_id=project["id"], user_id=member["id"])
    task = fake.add_task(workspace, project_id=project["id"], title="Write the brief")
    inbox = Inbox()
    app = web.Application()
    app.router.add_post("/hooks", inbox.receive)
    async with fake.serve() as base_url, serving(app) as port:
        hook = fake.add_webhook(workspace, url=f"http://127.0.0.1:{port}/hooks", events=EVENTS)
        inbox.verifier = StandardWebhooksVerifier(hook["token"])
        async with AsyncSession(fake.token, base_url=base_url, rate_limit=None) as ww:
            yield World(fake, ww, inbox, workspace, member, contract, task)


async def test_a_project_event_fetches_the_project_as_it_is_now_and_not_found_once_deleted(
    world: World,
) -> None:
    ww, workspace = world.ww, world.workspace
    made = await ww.projects.create(workspace_id=workspace, name="Launch")
    await ww.projects.update(made.id, workspace_id=workspace, name="Launch v2")
    await world.settle()
    created = world.inbox.last(ProjectCreated)
    assert (created.data.id, created.data.name) == (made.id, "Launch")  # the snapshot

    now = await created.fetch(ww)

    assert (now.id, now.name) == (made.id, "Launch v2")  # the project as it is now
    assert world.fake.request_count("GET", f"projects/{made.id}") == 1

    await ww.projects.delete(made.id, workspace_id=workspace)
    await world.settle()
    deleted = world.inbox.last(ProjectDeleted)
    assert deleted.data.id == made.id
    for event in (created, deleted):
        with pytest.raises(NotFoundError):
            await event.fetch(ww)


async def test_a_member_event_fetches_the_member(world: World) -> None:
    ww, user_id = world.ww, world.member["id"]
    await ww.members.update(user_id, workspace_id=world.workspace, lastname="Lee-Ray")
    await world.settle()
    updated = world.inbox.last(MemberUpdated)

    member = await updated.fetch(ww)

    assert (member.id, member.firstname, member.lastname) == (user_id, "Ann", "Lee-Ray")
    assert member.email == "ann@example.com"


async def test_tracker_started_fetches_the_running_tracker_then_none_once_stopped(
    world: World,
) -> None:
    ww, workspace, user_id = world.ww, world.workspace, world.member["id"]
    await ww.time_tracking.start(
        workspace_id=workspace,
        user_id=user_id,
        contract_id=world.contract["id"],
        task_id=world.task["id"],
        activity_description="Drafting",
    )
    await world.settle()
    started = world.inbox.last(TrackerStarted)
    assert started.data.task_id == world.task["id"]  # thin: an id, no title

    tracker = await started.fetch(ww)

    assert tracker is not None
    assert (tracker.user_id, tracker.contract_id) == (user_id, world.contract["id"])
    assert (tracker.task_title, tracker.activity_description) == ("Write the brief", "Drafting")
    assert tracker.date == datetime.datetime.now(UTC).date()

    await ww.time_tracking.stop(workspace_id=workspace, user_id=user_id)
    assert await started.fetch(ww) is None  # it has stopped since


async def test_tracker_stopped_fetches_the_members_time_entries_of_that_day(
    world: World,
) -> None:
    fake, ww, workspace, user_id = world.fake, world.ww, world.workspace, world.member["id"]
    today = datetime.datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    earlier = fake.add_time_entry(
        workspace, user_id=user_id, start_time=today, end_time=today + datetime.timedelta(hours=1)
    )
    yesterday = today - datetime.timedelta(days=1)
    fake.add_time_entry(  # another day: not listed
        workspace, user_id=user_id, start_time=yesterday, end_time=yesterday
    )
    other = fake.add_member(workspace, email="bob@example.com")
    fake.add_time_entry(  # another member: not listed
        workspace, user_id=other["id"], start_time=today, end_time=today
    )
    await ww.time_tracking.start(
        workspace_id=workspace, user_id=user_id, contract_id=world.contract["id"]
    )
    await ww.time_tracking.stop(workspace_id=workspace, user_id=user_id)
    await world.settle()
    stopped = world.inbox.last(TrackerStopped)
    assert stopped.data.stopped_at is not None

    entries = await stopped.fetch(ww)

    assert {entry.user_id for entry in entries} == {user_id}
    assert {entry.date for entry in entries} == {stopped.data.stopped_at.date()}
    tracked = next(entry for entry in entries if entry.method == "Web tracker")
    assert tracked.contract_id == world.contract["id"]
    assert {entry.id for entry in entries} == {earlier["id"], tracked.id}


def body(event_type: str, data: dict[str, Any], **envelope: Any) -> bytes:
    return json.dumps({"type": event_type, "data": data, **envelope}).encode()


async def test_the_day_is_the_stop_times_own_date_else_the_events_timestamps(
    world: World,
) -> None:
    ww, workspace, user_id = world.ww, world.workspace, world.member["id"]
    tracker = {"user_id": user_id}
    late = "2026-03-01T23:30:00-05:00"  # already March 2 in UTC: the offset given is kept
    with_stop = body("tracker.stopped", {**tracker, "stopped_at": late}, workspace_id=workspace)
    without_stop = body(
        "tracker.stopped", tracker, workspace_id=workspace, timestamp="2026-02-14T08:00:00Z"
    )
    for raw in (with_stop, without_stop):
        event = decode_event(raw)
        assert isinstance(event, TrackerStopped)
        assert await event.fetch(ww) == []

    days = [r.query.get("date") for r in world.fake.requests if r.path.endswith("time-entries")]
    assert days == ["2026-03-01", "2026-02-14"]
    assert {r.query.get("user_id") for r in world.fake.requests} == {str(user_id)}


PROJECT = {"id": 7, "name": "Launch"}
MEMBER = {"id": 101, "email": "ann@example.com"}
MISSING = [
    pytest.param("project.created", PROJECT, {}, "workspace_id", id="project-no-workspace"),
    pytest.param("project.deleted", PROJECT, {}, "workspace_id", id="project-deleted"),
    pytest.param("member.invited", MEMBER, {}, "workspace_id", id="member-no-workspace"),
    pytest.param("tracker.started", {"user_id": 101}, {}, "workspace_id", id="started-no-ws"),
    pytest.param("tracker.started", {}, {"workspace_id": 1}, "data.user_id", id="started-no-user"),
    pytest.param(
        "tracker.stopped",
        {"stopped_at": "2026-03-01T10:00:00Z"},
        {"workspace_id": 1},
        "data.user_id",
        id="stopped-no-user",
    ),
    pytest.param(
        "tracker.stopped",
        {"user_id": 101},
        {"workspace_id": 1},
        "data.stopped_at",
        id="stopped-no-time",
    ),
]


@pytest.mark.parametrize(("event_type", "data", "envelope", "missing"), MISSING)
async def test_an_event_without_what_the_call_needs_is_refused_by_name_and_sends_nothing(
    world: World, event_type: str, data: dict[str, Any], envelope: dict[str, Any], missing: str
) -> None:
    event = decode_event(body(event_type, data, **envelope))
    assert isinstance(event, ProjectEvent | MemberEvent | TrackerStarted | TrackerStopped)
    assert event.type == event_type
    world.fake.reset_requests()

    with pytest.raises(InvalidArgumentError) as caught:
        await event.fetch(world.ww)

    assert caught.value.argument == missing
    assert str(caught.value).startswith(f"{missing}: this {event_type} event has none")
    assert world.fake.requests == []


async def test_call_options_reach_the_call(world: World) -> None:
    event = decode_event(body("project.created", PROJECT, workspace_id=world.workspace))
    assert isinstance(event, ProjectCreated)

    with pytest.raises(InvalidArgumentError) as caught:
        await event.fetch(world.ww, max_retries=-1)  # checked by the call, before sending

    assert caught.value.argument == "max_retries"
    assert world.fake.requests == []
