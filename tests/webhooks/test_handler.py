"""The webhook receiver, over real HTTP on 127.0.0.1: aiohttp.web in the test's loop, a bot in its
own process killed and restarted on the same SQLite store, and the ASGI variant under uvicorn.

Deliveries are signed with ``sign`` (its own tests check it against the scheme's definition).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import logging
import socket
import stat
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from bot_runner import BotProcess, pending_ids, until, until_async
from local_servers import serving

from webwork_async._constants import WEBHOOK_MAX_BODY_SIZE
from webwork_async.webhooks import (
    AsgiWebhookApp,
    Delivery,
    DeliveryStore,
    Event,
    MemoryDeliveryStore,
    SQLiteDeliveryStore,
    TrackerStarted,
    UnknownEvent,
    WebhookHandler,
    asgi_webhook_app,
    current_delivery,
    sign,
    webhook_handler,
)
from webwork_async.webhooks import StandardWebhooksVerifier as Verifier

SECRET = "whsec_" + base64.b64encode(b"receiver-key-NEVER-SHOWN-5e1d77").decode()
FORGER = "whsec_" + base64.b64encode(b"a-forgers-key-of-his-own-000000").decode()
VERIFIER = Verifier(SECRET)


def body_of(user_id: int) -> bytes:
    """A ``tracker.started`` delivery's body for member ``user_id``."""
    return json.dumps({"type": "tracker.started", "data": {"user_id": user_id}}).encode()


def signed(delivery_id: str, body: bytes, *, secret: str = SECRET, age: int = 0) -> dict[str, str]:
    return sign(secret, delivery_id, int(time.time()) - age, body)


class Bot:
    """A callback that records each event with its delivery id; ``gate`` holds it while clear,
    and the first ``failures`` calls raise."""

    def __init__(self, failures: int = 0) -> None:
        self.received: list[tuple[str, Event]] = []  # completed callbacks
        self.calls: list[Delivery] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.failures = failures

    async def __call__(self, event: Event) -> None:
        delivery = current_delivery()
        self.calls.append(delivery)
        await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise RuntimeError(f"the bot tripped on {delivery.id}")
        self.received.append((delivery.id, event))

    @property
    def ids(self) -> list[str]:
        return [delivery_id for delivery_id, _event in self.received]


@contextlib.asynccontextmanager
async def receiving(handler: WebhookHandler) -> AsyncIterator[Callable[..., Awaitable[Reply]]]:
    """Serve ``handler`` at /webhooks on 127.0.0.1; yield ``post(id, body, headers=signed)``."""
    app = web.Application()
    app.router.add_post("/webhooks", handler)
    handler.attach(app)
    async with serving(app) as port, aiohttp.ClientSession() as client:
        url = f"http://127.0.0.1:{port}/webhooks"

        async def post(
            delivery_id: str,
            body: bytes,
            headers: Mapping[str, str] | None = None,
            *,
            stream: bool = False,
        ) -> Reply:
            sent = signed(delivery_id, body) if headers is None else headers
            data = chunked(body) if stream else sendable(body)
            async with client.post(url, data=data, headers=sent) as response:
                return Reply(response.status, await response.text(), dict(response.headers))

        yield post


def sendable(body: bytes) -> bytes | io.BytesIO:
    """A large body as a stream, as aiohttp would have it (a Content-Length is sent)."""
    return io.BytesIO(body) if len(body) > 1024 * 1024 else body


async def chunked(body: bytes) -> AsyncIterator[bytes]:
    """``body`` sent chunked: no Content-Length tells the receiver its size."""
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


class Reply:
    def __init__(self, status: int, text: str, headers: dict[str, str]) -> None:
        self.status, self.text, self.headers = status, text, headers

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.text!r})"


def handler_of(bot: Bot, store: DeliveryStore | None = None, **options: Any) -> WebhookHandler:
    return webhook_handler(bot, verifier=VERIFIER, store=store or MemoryDeliveryStore(), **options)


async def test_a_signed_delivery_reaches_the_callback_once_typed(
    loop_errors: list[dict[str, Any]],
) -> None:
    bot = Bot()
    handler = handler_of(bot)
    async with receiving(handler) as post:
        reply = await post("msg_1", body_of(100))
        assert (reply.status, reply.text) == (202, "accepted")
        await until(lambda: bot.ids == ["msg_1"], "the event")
        event = bot.received[0][1]
        assert isinstance(event, TrackerStarted)
        assert event.data.user_id == 100
        assert bot.calls[0].attempts == 0
        assert await pending_ids(handler.store) == []


async def test_a_duplicate_id_is_acknowledged_and_skipped(
    loop_errors: list[dict[str, Any]],
) -> None:
    bot = Bot()
    bot.gate.clear()
    handler = handler_of(bot)
    async with receiving(handler) as post:
        assert (await post("msg_1", body_of(1))).status == 202
        # A retry while the first is pending, and one after it is done (a new signature each).
        assert (await post("msg_1", body_of(1))).status == 200
        bot.gate.set()
        await until(lambda: bot.ids == ["msg_1"], "the first event")
        reply = await post("msg_1", body_of(1))
        assert (reply.status, reply.text) == (200, "duplicate: already received")
        assert (await post("msg_2", body_of(2))).status == 202
        await until(lambda: len(bot.received) == 2, "the second event")
        assert bot.ids == ["msg_1", "msg_2"]
        assert [delivery.id for delivery in bot.calls] == ["msg_1", "msg_2"]


def _tampered(delivery_id: str, body: bytes) -> dict[str, str]:
    return signed(delivery_id, body_of(999))


REFUSED: dict[str, tuple[Callable[[str, bytes], dict[str, str]], str]] = {
    "unsigned": (lambda _id, _body: {}, "refused: missing_header"),
    "forged": (lambda i, b: signed(i, b, secret=FORGER), "refused: signature_mismatch"),
    "tampered": (_tampered, "refused: signature_mismatch"),
    "stale": (lambda i, b: signed(i, b, age=600), "refused: timestamp_too_old"),
    "from the future": (lambda i, b: signed(i, b, age=-600), "refused: timestamp_too_new"),
    "no signature": (
        lambda i, b: {k: v for k, v in signed(i, b).items() if k != "webhook-signature"},
        "refused: missing_header",
    ),
}


@pytest.mark.parametrize("kind", REFUSED)
async def test_an_unverified_delivery_is_refused_and_never_reaches_the_callback(
    kind: str, loop_errors: list[dict[str, Any]]
) -> None:
    headers_of, reason = REFUSED[kind]
    bot = Bot()
    handler = handler_of(bot)
    async with receiving(handler) as post:
        reply = await post("msg_bad", body_of(1), headers_of("msg_bad", body_of(1)))
        assert (reply.status, reply.text) == (401, reason)
        assert SECRET.removeprefix("whsec_") not in reply.text
        # The callback gets events in order: once the next one is there, the refused one is not.
        assert (await post("msg_good", body_of(2))).status == 202
        await until(lambda: bool(bot.received), "the good event")
        assert [delivery.id for delivery in bot.calls] == ["msg_good"]
        assert await handler.store.add("msg_bad", b"{}")  # never stored


class AcceptAll:
    """A verifier that takes anything: to reach the checks behind verification."""

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        return None


@pytest.mark.parametrize(
    ("body", "headers", "status", "text"),
    [
        (b'{"type": "tracker.', None, 400, "the body is not JSON"),
        (b"[1, 2]", None, 400, "the body is an array, not a JSON object"),
        (b"{}", {"webhook-timestamp": "1"}, 400, "no usable webhook-id header"),
        (b"{}", {"webhook-id": "x" * 257}, 400, "no usable webhook-id header"),
        (b" " * (WEBHOOK_MAX_BODY_SIZE + 1), None, 413, "the body is over"),
    ],
    ids=["bad JSON", "not an object", "no id", "id too long", "too large"],
)
async def test_a_delivery_that_cannot_be_read_is_refused(
    body: bytes,
    headers: dict[str, str] | None,
    status: int,
    text: str,
    loop_errors: list[dict[str, Any]],
) -> None:
    bot = Bot()
    handler = webhook_handler(bot, verifier=AcceptAll(), store=None)
    async with receiving(handler) as post:
        reply = await post("msg_1", body, {"webhook-id": "msg_1"} if headers is None else headers)
        assert reply.status == status
        assert reply.text.startswith(text)
        assert await pending_ids(handler.store) == []
    assert bot.calls == []


async def test_a_chunked_body_over_the_limit_is_refused_unread(
    loop_errors: list[dict[str, Any]],
) -> None:
    bot = Bot()
    async with receiving(handler_of(bot)) as post:
        big = b" " * (WEBHOOK_MAX_BODY_SIZE * 3)
        assert (await post("msg_big", big, stream=True)).status == 413
        assert (await post("msg_small", body_of(1), stream=True)).status == 202
        await until(lambda: bool(bot.received), "the small event")
        assert [delivery.id for delivery in bot.calls] == ["msg_small"]


async def test_an_unknown_event_is_handed_over_not_refused(
    loop_errors: list[dict[str, Any]],
) -> None:
    bot = Bot()
    async with receiving(handler_of(bot)) as post:
        assert (await post("msg_1", b'{"type": "invoice.paid", "data": {}}')).status == 202
        await until(lambda: bool(bot.received), "the event")
        event = bot.received[0][1]
        assert isinstance(event, UnknownEvent)
        assert event.type == "invoice.paid"


async def test_a_full_queue_answers_503_with_retry_after_and_stores_nothing(
    loop_errors: list[dict[str, Any]],
) -> None:
    bot = Bot()
    bot.gate.clear()
    handler = handler_of(bot, queue_size=1, retry_after=7)
    async with receiving(handler) as post:
        assert (await post("msg_1", body_of(1))).status == 202
        await until(lambda: bool(bot.calls), "the callback to hold the first event")
        assert (await post("msg_2", body_of(2))).status == 202  # waits in the queue
        replies = await asyncio.gather(*(post(f"msg_{n}", body_of(n)) for n in (3, 4, 5)))
        assert [(reply.status, reply.headers.get("Retry-After")) for reply in replies] == [
            (503, "7")
        ] * 3
        assert await pending_ids(handler.store) == ["msg_1", "msg_2"]
        bot.gate.set()
        await until(lambda: len(bot.received) == 2, "the two accepted events")
        assert (await post("msg_3", body_of(3))).status == 202  # the sender's retry
        await until(lambda: len(bot.received) == 3, "the retried event")
        assert bot.ids == ["msg_1", "msg_2", "msg_3"]


async def test_a_callback_that_raises_gets_the_event_again_until_it_finishes(
    loop_errors: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    bot = Bot(failures=2)
    store = MemoryDeliveryStore()
    handler = handler_of(bot, store, backoff=0.01)
    with caplog.at_level(logging.WARNING, logger="webwork_async.webhooks"):
        async with receiving(handler) as post:
            assert (await post("msg_1", body_of(1))).status == 202
            assert (await post("msg_2", body_of(2))).status == 202
            await until(lambda: len(bot.received) == 2, "both events")
            assert bot.ids == ["msg_1", "msg_2"]  # the second waited for the first
            assert [(call.id, call.attempts) for call in bot.calls] == [
                ("msg_1", 0),
                ("msg_1", 1),
                ("msg_1", 2),
                ("msg_2", 0),
            ]
            assert await pending_ids(store) == []
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert [record.getMessage() for record in warnings] == [
        "webhook delivery msg_1 (tracker.started): the callback raised RuntimeError on attempt "
        f"{n}; called again in {delay} s"
        for n, delay in ((1, "0.0"), (2, "0.0"))
    ]
    assert "the bot tripped on msg_1" in caplog.text  # the traceback is there...
    assert SECRET.removeprefix("whsec_") not in caplog.text  # ...and the secret is not


async def test_a_failed_attempt_is_kept_with_the_pending_delivery() -> None:
    store = MemoryDeliveryStore()
    seen: list[Delivery] = []

    async def fail_then_look(event: Event) -> None:
        seen.extend(await store.pending())
        if len(seen) == 1:
            raise ValueError("no database today")

    handler = webhook_handler(fail_then_look, verifier=VERIFIER, store=store, backoff=0.01)
    async with receiving(handler) as post:
        assert (await post("msg_1", body_of(1))).status == 202
        await until(lambda: len(seen) == 2, "the second attempt")
    assert [(d.id, d.attempts, d.last_error) for d in seen] == [
        ("msg_1", 0, None),
        ("msg_1", 1, "ValueError: no database today"),
    ]


class BrokenStore(MemoryDeliveryStore):
    """A store whose disk is full until ``broken`` is cleared."""

    broken = True

    async def add(self, id: str, body: bytes) -> bool:
        if self.broken:
            raise OSError(28, "No space left on device")
        return await super().add(id, body)


async def test_a_delivery_the_store_cannot_keep_is_answered_500_for_a_retry(
    loop_errors: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    bot = Bot()
    store = BrokenStore()
    async with receiving(handler_of(bot, store)) as post:
        with caplog.at_level(logging.ERROR, logger="webwork_async.webhooks"):
            reply = await post("msg_1", body_of(1))
        assert (reply.status, reply.text) == (500, "the delivery could not be stored; retry later")
        assert "webhook delivery msg_1: the store failed" in caplog.text
        store.broken = False
        assert (await post("msg_1", body_of(1))).status == 202  # the sender's retry
        await until(lambda: bot.ids == ["msg_1"], "the event")


# Stores -------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite"])
async def store_and_clock(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[DeliveryStore, Clock]]:
    clock = Clock()
    store: DeliveryStore
    if request.param == "memory":
        store = MemoryDeliveryStore(clock=clock)
    else:
        store = SQLiteDeliveryStore(tmp_path / "hooks.sqlite", clock=clock)
    await store.open()
    try:
        yield store, clock
    finally:
        await store.close()


async def test_a_store_keeps_pending_deliveries_in_order_and_done_ids_for_a_while(
    store_and_clock: tuple[DeliveryStore, Clock],
) -> None:
    store, clock = store_and_clock
    assert await store.add("b", b"second? no: first")
    clock.now += 1
    assert await store.add("a", b"then this")
    assert not await store.add("b", b"again")
    await store.failed("a", "KeyError: 'x'" + "!" * 5000)
    assert await store.pending() == [
        Delivery("b", b"second? no: first", 1_700_000_000.0),
        Delivery("a", b"then this", 1_700_000_001.0, 1, "KeyError: 'x'" + "!" * 987),
    ]
    await store.done("b")
    await store.done("nobody")
    assert await pending_ids(store) == ["a"]
    assert not await store.add("b", b"a retry of a done one")
    clock.now += 100
    assert await store.prune(older_than=100) == 0
    clock.now += 1
    assert await store.prune(older_than=100) == 1
    assert await store.add("b", b"long forgotten")  # past the retention: new again
    assert await pending_ids(store) == ["a", "b"]


async def test_the_sqlite_store_survives_a_reopen_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "hooks.sqlite"
    store = SQLiteDeliveryStore(path)
    await store.open()
    assert await store.add("kept", b"{}")
    assert await store.add("finished", b"{}")
    await store.done("finished")
    await store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    await store.open()
    try:
        assert await pending_ids(store) == ["kept"]
        assert not await store.add("finished", b"{}")
    finally:
        await store.close()
    with pytest.raises(RuntimeError, match="is not open"):
        await store.pending()


# A bot killed between the store and the end of its callback ----------------------------------


@pytest.fixture
def bot_process(tmp_path: Path) -> Iterator[BotProcess]:
    bot = BotProcess(tmp_path, SECRET)
    try:
        yield bot
    finally:
        bot.kill()


async def test_a_bot_killed_before_its_callback_finished_gets_the_event_again(
    bot_process: BotProcess, loop_errors: list[dict[str, Any]]
) -> None:
    bot = bot_process
    await bot.start()
    async with aiohttp.ClientSession() as client:

        async def post(delivery_id: str) -> int:
            body = body_of(len(delivery_id))
            async with client.post(bot.url, data=body, headers=signed(delivery_id, body)) as reply:
                return reply.status

        assert await post("msg_done") == 202
        await until(lambda: "done msg_done" in bot.lines, "the first event")
        store = SQLiteDeliveryStore(bot.store)  # a second reader of the bot's store (WAL)
        await store.open()
        try:
            await until_async(lambda: pending_ids(store), [], "the first event to be done")
            bot.hold.touch()
            assert await post("msg_crash") == 202  # stored: the 2xx came after the store
            await until(lambda: "start msg_crash" in bot.lines, "the held callback")
            bot.kill()
            assert await pending_ids(store) == ["msg_crash"]
        finally:
            await store.close()
        bot.hold.unlink()
        await bot.start()
        await until(lambda: "done msg_crash" in bot.lines, "the event again after the restart")
        assert await post("msg_done") == 200  # the sender's late retry of a finished one
        assert await post("msg_crash") == 200
        assert await post("msg_after") == 202
        await until(lambda: "done msg_after" in bot.lines, "an event after the restart")
    assert bot.lines == [
        "start msg_done",
        "done msg_done",
        "start msg_crash",  # killed here
        "start msg_crash",
        "done msg_crash",
        "start msg_after",
        "done msg_after",
    ]


# The ASGI variant ---------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def uvicorn_serving(app: AsgiWebhookApp) -> AsyncIterator[str]:
    """``app`` under uvicorn in the test's loop, with its lifespan; yield its URL."""
    uvicorn = pytest.importorskip("uvicorn")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="on", ws="none", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    serving_task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await until(lambda: server.started or serving_task.done(), "uvicorn to start")
        assert server.started, serving_task.result()
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving_task
        sock.close()


async def test_the_asgi_app_under_uvicorn_receives_like_the_aiohttp_handler(
    tmp_path: Path, loop_errors: list[dict[str, Any]]
) -> None:
    bot = Bot()
    store = SQLiteDeliveryStore(tmp_path / "asgi.sqlite")
    app = asgi_webhook_app(bot, verifier=VERIFIER, store=store)
    async with uvicorn_serving(app) as base, aiohttp.ClientSession() as client:
        url = f"{base}/anything/below/the/mount"

        async def post(delivery_id: str, headers: Mapping[str, str] | None = None) -> int:
            body = body_of(7)
            sent = signed(delivery_id, body) if headers is None else headers
            async with client.post(url, data=body, headers=sent) as reply:
                return reply.status

        assert await post("msg_1") == 202
        await until(lambda: bot.ids == ["msg_1"], "the event")
        assert await post("msg_1") == 200
        assert await post("msg_forged", signed("msg_forged", b"{}")) == 401
        assert await post("msg_2", {}) == 401
        async with client.get(url) as reply:
            assert (reply.status, reply.headers["Allow"]) == (405, "POST")
        big = b" " * (WEBHOOK_MAX_BODY_SIZE + 1)
        for data in (sendable(big), chunked(big)):
            async with client.post(url, data=data, headers=signed("msg_big", big)) as reply:
                assert reply.status == 413
        assert isinstance(bot.received[0][1], TrackerStarted)
    # The lifespan's shutdown stopped the worker and closed the store.
    with pytest.raises(RuntimeError, match="is not open"):
        await store.pending()


async def test_the_asgi_app_without_a_lifespan_starts_on_the_first_delivery(
    loop_errors: list[dict[str, Any]],
) -> None:
    bot = Bot()
    app = asgi_webhook_app(bot, verifier=VERIFIER, store=None)
    body = body_of(3)
    headers = [(k.encode(), v.encode()) for k, v in signed("msg_1", body).items()]
    chunks = [
        {"type": "http.request", "body": body[:5], "more_body": True},
        {"type": "http.request", "body": body[5:], "more_body": False},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return chunks.pop(0)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    try:
        await app(scope, receive, send)
        assert sent[0]["status"] == 202
        assert sent[1]["body"] == b"accepted"
        await until(lambda: bot.ids == ["msg_1"], "the event")
    finally:
        await app.close()
