"""A bot in a process of its own (``webhook_bot.py``, built with ``webhook_handler``) against the
fake server's own signed deliveries, killed with SIGKILL in the middle of a callback and started
again on the same port and store: every event the fake delivers reaches the callback's end once,
in the order the events happened, per webhook. The event it died on comes back from its store;
those made through the API while it was down come with the fake's retries."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bot_runner import WAIT, BotProcess, pending_ids, until
from local_servers import free_port

from webwork_async import AsyncSession
from webwork_async.testing import Delivery, DeliveryState, FakeWebWork
from webwork_async.webhooks import SQLiteDeliveryStore

# A retry schedule that outlives the bot's downtime: retries after 0.2, 0.4, 0.8 ... 25.6 s,
# about 51 s in all, where the default one gives up after 0.7 s.
RETRIES, BACKOFF = 8, 0.2
SCHEDULE = BACKOFF * (2**RETRIES - 1) + WAIT  # the longest the last delivery can take
RETRIED = 2  # attempts each webhook's first downtime delivery has failed before the restart

#: Bot "a" hears every project and tracker event, bot "b" some of those and an invitation.
EVENTS = {
    "a": [
        "project.created",
        "project.updated",
        "project.deleted",
        "tracker.started",
        "tracker.stopped",
    ],
    "b": ["project.created", "tracker.started", "tracker.stopped", "member.invited"],
}


@pytest.fixture
def bots() -> Iterator[list[BotProcess]]:
    """The bots a test starts, SIGKILLed at its end, also when it failed."""
    started: list[BotProcess] = []
    try:
        yield started
    finally:
        for bot in started:
            bot.kill()


def done_ids(bot: BotProcess) -> list[str]:
    """The delivery ids whose callback finished, in the order it finished on them."""
    return [line.split()[1] for line in bot.lines if line.startswith("done ")]


def ids_to(records: list[Delivery], webhook_id: str) -> list[str]:
    """The ids of the deliveries to ``webhook_id``, in the order the events happened."""
    return [record.delivery_id for record in records if record.webhook_id == webhook_id]


def first_to_each(records: list[Delivery]) -> dict[str, str]:
    """For each webhook in ``records``, the id of its first delivery there."""
    firsts: dict[str, str] = {}
    for record in records:
        assert record.webhook_id is not None
        firsts.setdefault(record.webhook_id, record.delivery_id)
    return firsts


def attempts_of(fake: FakeWebWork, delivery_id: str) -> int:
    return next(len(r.attempts) for r in fake.deliveries if r.delivery_id == delivery_id)


async def all_done(bot: BotProcess, ids: list[str], what: str, timeout: float = WAIT) -> None:
    """Wait until the bot's callback has finished on exactly ``ids`` (then check the order)."""
    await until(lambda: len(done_ids(bot)) >= len(ids), f"bot {bot.folder.name}: {what}", timeout)
    assert done_ids(bot) == ids, what


def expected_log(ids: list[str], crashed_on: str) -> list[str]:
    """The bot's log when each event started and finished once, but the one it was killed on,
    which started twice (before the kill and after the restart)."""
    lines: list[str] = []
    for id in ids:
        lines += [f"start {id}"] * (2 if id == crashed_on else 1) + [f"done {id}"]
    return lines


async def holding(bot: BotProcess, delivery_id: str) -> None:
    """Wait until the bot's callback has started on ``delivery_id`` (and holds there)."""
    line = f"start {delivery_id}"
    await until(lambda: line in bot.lines, f"bot {bot.folder.name} to hold its callback")


async def test_a_killed_and_restarted_bot_gets_every_event_of_the_fake_once_in_order(
    tmp_path: Path, bots: list[BotProcess], loop_errors: list[dict[str, Any]]
) -> None:
    fake = FakeWebWork()
    # A timeout past any stall of a loaded machine: a running bot's 2xx is never missed.
    fake.configure_deliveries(retries=RETRIES, backoff=BACKOFF, timeout=WAIT)
    workspace = fake.add_workspace()
    member = fake.add_member(workspace, email="dev@example.com", role="Regular User")
    billable = fake.add_project(workspace, name="Billable")
    contract = fake.add_contract(workspace, project_id=billable["id"], user_id=member["id"])
    async with (
        fake.serve() as base_url,
        AsyncSession(fake.token, base_url=base_url, rate_limit=None) as ww,
    ):
        bot_of: dict[str, BotProcess] = {}  # by webhook id
        for name, events in EVENTS.items():
            port = free_port()
            hook = await ww.webhooks.create(
                workspace_id=workspace, url=f"http://127.0.0.1:{port}/webhooks", events=events
            )
            assert hook.token is not None
            bot_of[hook.id] = BotProcess(tmp_path / name, hook.token, port)
            bots.append(bot_of[hook.id])
        await asyncio.gather(*(bot.start() for bot in bots))

        # 1. The bots run: each event is delivered and handled.
        alpha = await ww.projects.create(workspace_id=workspace, name="Alpha")
        await ww.time_tracking.start(
            workspace_id=workspace, user_id=member["id"], contract_id=contract["id"]
        )
        await ww.projects.update(alpha.id, workspace_id=workspace, name="Alpha, renamed")
        running = await fake.deliveries_settled(timeout=WAIT)
        for webhook_id, bot in bot_of.items():
            await all_done(bot, ids_to(running, webhook_id), "the events while it runs")

        # 2. Each bot is killed in its callback on an event it has stored and answered 2xx.
        for bot in bots:
            bot.hold.touch()
        made = len(fake.deliveries)
        beta = await ww.projects.create(workspace_id=workspace, name="Beta")
        crashed = first_to_each(fake.deliveries[made:])
        assert set(crashed) == set(bot_of)
        await fake.deliveries_settled(timeout=WAIT)  # answered: the bots stored them first
        for webhook_id, bot in bot_of.items():
            await holding(bot, crashed[webhook_id])
            bot.kill()
            store = SQLiteDeliveryStore(bot.store)  # a reader of the dead bot's store
            await store.open()
            try:
                assert await pending_ids(store) == [crashed[webhook_id]]
            finally:
                await store.close()

        # 3. The bots are down: the fake's attempts are refused, and retried.
        made = len(fake.deliveries)
        await ww.projects.update(beta.id, workspace_id=workspace, name="Beta, renamed")
        await ww.time_tracking.stop(workspace_id=workspace, user_id=member["id"])
        await ww.members.invite(
            workspace_id=workspace,
            email="new@example.com",
            firstname="New",
            lastname="Member",
            role="Regular User",
        )
        await ww.projects.delete(alpha.id, workspace_id=workspace)
        downtime = fake.deliveries[made:]
        heads = first_to_each(downtime)
        assert set(heads) == set(bot_of)
        await until(
            lambda: all(attempts_of(fake, id) >= RETRIED for id in heads.values()),
            "the fake to retry while the bots are down",
        )
        assert not any(record.settled for record in fake.deliveries[made:])

        # 4. The bots start again on their ports and stores, no longer held.
        for bot in bots:
            bot.hold.unlink()
        await asyncio.gather(*(bot.start() for bot in bots))
        final = await fake.deliveries_settled(timeout=SCHEDULE)
        for webhook_id, bot in bot_of.items():
            await all_done(bot, ids_to(final, webhook_id), "every event after the restart")

    assert [record.state for record in final] == [DeliveryState.DELIVERED] * len(final)
    assert [[r.event_type for r in final if r.webhook_id == id] for id in bot_of] == [
        [  # to "a"
            "project.created",
            "tracker.started",
            "project.updated",
            "project.created",  # killed on
            "project.updated",  # down from here
            "tracker.stopped",
            "project.deleted",
        ],
        [  # to "b"
            "project.created",
            "tracker.started",
            "project.created",  # killed on
            "tracker.stopped",  # down from here
            "member.invited",
        ],
    ]
    for webhook_id, bot in bot_of.items():
        ids = ids_to(final, webhook_id)
        done = done_ids(bot)
        assert done == ids  # every delivery, in the order the events happened
        assert max(Counter(done).values()) == 1  # none handled twice
        assert bot.lines == expected_log(ids, crashed[webhook_id])
    records = {record.delivery_id: record for record in final}
    for id in crashed.values():
        assert records[id].statuses == [202]  # so it came again from the store, not resent
    for id in heads.values():
        *refused, delivered = records[id].attempts
        assert len(refused) >= RETRIED and delivered.status == 202
        for attempt in refused:  # sent while the bot was down
            assert attempt.status is None
            assert attempt.error is not None and attempt.error.startswith("ClientConnectorError")
