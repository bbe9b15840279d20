"""A webhook receiver for bots: verify, store, answer at once, then hand each event over in order.

One core, :class:`_Receiver`, decides every answer from a delivery's headers and raw body and runs
the worker that calls the bot's callback; two thin adapters put it behind aiohttp.web
(:func:`webhook_handler`) and ASGI (:func:`asgi_webhook_app`, for FastAPI and Starlette).

The promise, to the sender and to the bot:

* a delivery that fails verification is answered 401 and never reaches the callback; a body that
  is not a JSON object, 400; one larger than ``WEBHOOK_MAX_BODY_SIZE``, 413;
* a new delivery is written to the store *before* it is answered 202, so a crash after the
  answer loses nothing: on the next start every pending delivery is handed over again. The
  callback may thus see an event twice (once before a crash, once after): at least once, with
  :func:`current_delivery` to tell; a delivery whose callback finished is never handed over again;
* a delivery whose id is known (pending or done) is answered 200 and skipped: the sender retries;
* when ``queue_size`` deliveries wait already, a new one is answered 503 with ``Retry-After``
  and not stored: the sender keeps it for later, the bot's memory stays bounded;
* the callback gets one event at a time, in the order they came. One that raises is logged and
  called again with the same event after a back-off, for as long as it takes; the deliveries
  behind it wait (then the queue fills and the sender hears 503), so none is lost or reordered.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from os import PathLike
from typing import Any, Final, TypeAlias

from aiohttp import web

from webwork_async import ConfigurationError
from webwork_async._constants import (
    LOGGER_NAME,
    WEBHOOK_CALLBACK_BACKOFF,
    WEBHOOK_CALLBACK_BACKOFF_MAX,
    WEBHOOK_DONE_RETENTION,
    WEBHOOK_MAX_BODY_SIZE,
    WEBHOOK_MAX_ID_LENGTH,
    WEBHOOK_PRUNE_INTERVAL,
    WEBHOOK_QUEUE_SIZE,
    WEBHOOK_RETRY_AFTER,
    WEBHOOK_STORE_PATH,
)
from webwork_async.webhooks._errors import WebhookPayloadError, WebhookSignatureError
from webwork_async.webhooks._events import Event, UnknownEvent, decode_event
from webwork_async.webhooks._store import (
    Delivery,
    DeliveryStore,
    MemoryDeliveryStore,
    SQLiteDeliveryStore,
)
from webwork_async.webhooks._verify import ID_HEADER, Verifier

__all__ = [
    "AsgiWebhookApp",
    "WebhookCallback",
    "WebhookHandler",
    "asgi_webhook_app",
    "current_delivery",
    "webhook_handler",
]

logger = logging.getLogger(f"{LOGGER_NAME}.webhooks")

#: What the bot gives: a coroutine function called with each event, once it is stored.
WebhookCallback: TypeAlias = Callable[[Event], Awaitable[object]]
#: Where deliveries are kept: a store, a SQLite file's path, or None for memory only.
StoreOption: TypeAlias = "DeliveryStore | str | PathLike[str] | None"

_CURRENT: Final[contextvars.ContextVar[Delivery]] = contextvars.ContextVar("webwork_delivery")


def current_delivery() -> Delivery:
    """The delivery whose event the running callback was called with: its ``id`` (to make the
    bot's own effects idempotent, since a crash can hand an event over twice) and ``attempts``.

    Raises LookupError outside a callback called by a webhook receiver.
    """
    return _CURRENT.get()


@dataclass(frozen=True)
class _Answer:
    """What to answer a delivery: status, a short text body, extra headers."""

    status: int
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)


_NOT_POST: Final = _Answer(405, "deliveries are POSTed", {"Allow": "POST"})
_TOO_LARGE: Final = _Answer(413, f"the body is over {WEBHOOK_MAX_BODY_SIZE} bytes")
_ACCEPTED: Final = _Answer(202, "accepted")
_DUPLICATE: Final = _Answer(200, "duplicate: already received")
_NOT_STORED: Final = _Answer(500, "the delivery could not be stored; retry later")


def _store_of(store: StoreOption) -> DeliveryStore:
    if store is None:
        return MemoryDeliveryStore()
    if isinstance(store, (str, PathLike)):
        return SQLiteDeliveryStore(store)
    return store


def _delivery_id(headers: Mapping[str, str]) -> str | None:
    value = headers.get(ID_HEADER)
    if value is None:
        value = next((item for key, item in headers.items() if key.lower() == ID_HEADER), "")
    value = value.strip()
    return value if 0 < len(value) <= WEBHOOK_MAX_ID_LENGTH else None


def _name_of(event: Event) -> str | None:
    """The event's type as sent (``tracker.started``), for a log line."""
    return event.type if isinstance(event, UnknownEvent) else event.type.value


class _Receiver:
    """The core both adapters share: the answer to each delivery, the queue, the worker."""

    def __init__(
        self,
        callback: WebhookCallback,
        verifier: Verifier,
        store: StoreOption,
        queue_size: int,
        retry_after: int,
        backoff: float,
        retention: float,
    ) -> None:
        if queue_size < 1:
            raise ConfigurationError(f"queue_size must be at least 1, got {queue_size!r}")
        self._callback = callback
        self._verifier = verifier
        self.store = _store_of(store)
        self._queue_size = queue_size
        self._busy = _Answer(503, "too many deliveries waiting", {"Retry-After": str(retry_after)})
        self._backoff = backoff
        self._retention = retention
        self._queue: asyncio.Queue[tuple[Delivery, Event]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._reserved = 0  # deliveries being stored, counted against queue_size
        self._starting: asyncio.Lock | None = None
        self._last_prune = 0.0

    async def start(self) -> None:
        """Open the store, queue what it holds pending, start the worker; idempotent."""
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._worker is not None:
                return
            await self.store.open()
            queue: asyncio.Queue[tuple[Delivery, Event]] = asyncio.Queue()
            pending = await self.store.pending()
            for delivery in pending:
                try:
                    queue.put_nowait((delivery, decode_event(delivery.body)))
                except WebhookPayloadError as error:  # stored by something else: keep, skip
                    logger.error("webhook delivery %s kept pending: %s", delivery.id, error)
            if pending:
                logger.info("webhook receiver: handing over %d pending deliveries", len(pending))
            self._queue = queue
            self._worker = asyncio.create_task(self._work(), name="webwork-webhooks-worker")

    async def stop(self) -> None:
        """Stop the worker (a callback in progress is cancelled: its delivery stays pending and
        comes again on the next start) and close the store."""
        worker, self._worker, self._queue = self._worker, None, None
        if worker is None:
            return
        worker.cancel()
        await asyncio.wait([worker])
        await self.store.close()

    async def answer(self, headers: Mapping[str, str], body: bytes) -> _Answer:
        """Verify, decode, deduplicate and store one delivery; what to answer its sender."""
        try:
            self._verifier.verify(headers, body)
        except WebhookSignatureError as error:
            return _Answer(401, f"refused: {error.reason.value}")
        delivery_id = _delivery_id(headers)
        if delivery_id is None:
            return _Answer(400, f"no usable {ID_HEADER} header")
        try:
            event = decode_event(body)
        except WebhookPayloadError as error:
            return _Answer(400, error.problem)
        if self._worker is None:
            await self.start()
        queue = self._queue
        assert queue is not None
        if queue.qsize() + self._reserved >= self._queue_size:
            return self._busy
        self._reserved += 1
        # Shielded: once stored, the delivery is queued even if this request is cancelled.
        return await asyncio.shield(self._accept(queue, delivery_id, body, event))

    async def _accept(
        self, queue: asyncio.Queue[tuple[Delivery, Event]], id: str, body: bytes, event: Event
    ) -> _Answer:
        """Store a new delivery and queue it (a known one is skipped); never raises."""
        try:
            added = await self.store.add(id, body)
        except Exception:
            logger.exception("webhook delivery %s: the store failed; answered 500", id)
            return _NOT_STORED
        finally:
            self._reserved -= 1
        if not added:
            return _DUPLICATE
        queue.put_nowait((Delivery(id, body, time.time()), event))
        return _ACCEPTED

    async def _work(self) -> None:
        queue = self._queue
        assert queue is not None
        await self._prune()
        while True:
            delivery, event = await queue.get()
            await self._deliver(delivery, event)
            if time.monotonic() - self._last_prune >= WEBHOOK_PRUNE_INTERVAL:
                await self._prune()

    async def _deliver(self, delivery: Delivery, event: Event) -> None:
        """Call back until it finishes without raising, then mark the delivery done."""
        attempts = delivery.attempts
        while True:
            reset = _CURRENT.set(delivery)
            try:
                await self._callback(event)
                break
            except Exception as error:
                attempts += 1
                delay = min(self._backoff * 2 ** (attempts - 1), WEBHOOK_CALLBACK_BACKOFF_MAX)
                logger.warning(
                    "webhook delivery %s (%s): the callback raised %s on attempt %d; "
                    "called again in %.1f s",
                    delivery.id,
                    _name_of(event),
                    type(error).__name__,
                    attempts,
                    delay,
                    exc_info=error,
                )
                await self._quietly(
                    self.store.failed(delivery.id, f"{type(error).__name__}: {error}")
                )
                delivery = Delivery(delivery.id, delivery.body, delivery.received_at, attempts)
            finally:
                _CURRENT.reset(reset)
            await asyncio.sleep(delay)
        await self._quietly(self.store.done(delivery.id))

    async def _prune(self) -> None:
        self._last_prune = time.monotonic()
        await self._quietly(self.store.prune(self._retention))

    @staticmethod
    async def _quietly(call: Awaitable[object]) -> None:
        """Await a store call of the worker; a failure is logged, never the worker's end (a
        delivery not marked done comes again on the next start)."""
        try:
            await call
        except Exception:
            logger.exception("webhook receiver: the store failed")


def _mark_coroutine_function(handler: object) -> None:
    """Let aiohttp's router see an object with ``async def __call__`` as a coroutine function
    (it warns about, and wraps, any other callable)."""
    if sys.version_info >= (3, 12):
        inspect.markcoroutinefunction(handler)  # type: ignore[arg-type,unused-ignore]
    else:  # what asyncio.iscoroutinefunction looks for before 3.12
        handler._is_coroutine = asyncio.coroutines._is_coroutine  # type: ignore[attr-defined]


class WebhookHandler:
    """An aiohttp.web request handler that receives webhook deliveries (see the module's promise).

    Route it with ``app.router.add_post("/webhooks", handler)`` and call ``handler.attach(app)``
    so that its worker starts with the app and stops with it (without ``attach``, it starts on
    the first delivery and must be stopped with :meth:`close`).
    """

    def __init__(self, receiver: _Receiver) -> None:
        self._receiver = receiver
        _mark_coroutine_function(self)

    def __repr__(self) -> str:
        return f"WebhookHandler(store={self._receiver.store!r})"

    @property
    def store(self) -> DeliveryStore:
        """Where this handler keeps its deliveries."""
        return self._receiver.store

    def attach(self, app: web.Application) -> None:
        """Start the worker on ``app``'s startup (pending deliveries first), stop it on cleanup."""
        app.on_startup.append(lambda _app: self.start())
        app.on_cleanup.append(lambda _app: self.close())

    async def start(self) -> None:
        """Open the store and start handing events over; idempotent."""
        await self._receiver.start()

    async def close(self) -> None:
        """Stop handing events over and close the store (pending deliveries stay pending)."""
        await self._receiver.stop()

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        """Answer one delivery."""
        if request.method != "POST":
            answer = _NOT_POST
        elif (request.content_length or 0) > WEBHOOK_MAX_BODY_SIZE:
            answer = _TOO_LARGE
        else:
            body = bytearray()
            async for chunk in request.content.iter_any():
                body += chunk
                if len(body) > WEBHOOK_MAX_BODY_SIZE:
                    break
            too_large = len(body) > WEBHOOK_MAX_BODY_SIZE
            answer = (
                _TOO_LARGE
                if too_large
                else await self._receiver.answer(request.headers, bytes(body))
            )
        return web.Response(status=answer.status, text=answer.text, headers=answer.headers)


def webhook_handler(
    callback: WebhookCallback,
    *,
    verifier: Verifier,
    store: StoreOption = WEBHOOK_STORE_PATH,
    queue_size: int = WEBHOOK_QUEUE_SIZE,
    retry_after: int = WEBHOOK_RETRY_AFTER,
    backoff: float = WEBHOOK_CALLBACK_BACKOFF,
    retention: float = WEBHOOK_DONE_RETENTION,
) -> WebhookHandler:
    """An aiohttp.web handler that hands each verified webhook event to ``await callback(event)``,
    answering the sender at once and never losing an event (see the module's promise)::

        handler = webhook_handler(on_event, verifier=StandardWebhooksVerifier(token))
        app.router.add_post("/webhooks", handler)
        handler.attach(app)

    ``store``: a :class:`DeliveryStore`, the path of a SQLite file (the default, in the working
    directory), or None for memory only, which **loses pending events on a restart**.
    ``queue_size``: deliveries waiting for the callback before the sender hears 503 with
    ``Retry-After: retry_after``. ``backoff``: seconds before a failed callback is called again
    (doubling, capped). ``retention``: seconds a finished delivery's id is kept to skip retries.
    """
    return WebhookHandler(
        _Receiver(callback, verifier, store, queue_size, retry_after, backoff, retention)
    )


#: The ASGI 3 types, as Starlette and FastAPI spell them.
Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]


def _declared_size(content_length: str | None) -> int:
    """The size a Content-Length announces; 0 when absent or unreadable (the read is bounded
    anyway)."""
    value = (content_length or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 20 else 0


class AsgiWebhookApp:
    """An ASGI 3 app that receives webhook deliveries, with the same core as
    :class:`WebhookHandler`: mount it with ``app.mount("/webhooks", asgi_webhook_app(...))``.

    It answers POSTs to any path under its mount. Its worker starts on the ASGI lifespan's
    startup, or on the first delivery (a mounted app gets no lifespan from Starlette): then stop
    it with :meth:`close` from the parent app's lifespan.
    """

    def __init__(self, receiver: _Receiver) -> None:
        self._receiver = receiver

    def __repr__(self) -> str:
        return f"AsgiWebhookApp(store={self._receiver.store!r})"

    @property
    def store(self) -> DeliveryStore:
        """Where this app keeps its deliveries."""
        return self._receiver.store

    async def start(self) -> None:
        """Open the store and start handing events over; idempotent."""
        await self._receiver.start()

    async def close(self) -> None:
        """Stop handing events over and close the store (pending deliveries stay pending)."""
        await self._receiver.stop()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection: a delivery, or the lifespan."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise RuntimeError(f"a webhook app serves HTTP only, not {scope['type']!r}")
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in reversed(scope.get("headers", []))  # the first of a name wins
        }
        if scope["method"] != "POST":
            answer = _NOT_POST
        elif _declared_size(headers.get("content-length")) > WEBHOOK_MAX_BODY_SIZE:
            answer = _TOO_LARGE
        else:
            body = await self._body(receive)
            if body is None:
                return  # the sender went away
            too_large = len(body) > WEBHOOK_MAX_BODY_SIZE
            answer = _TOO_LARGE if too_large else await self._receiver.answer(headers, body)
        response_headers = [(b"content-type", b"text/plain; charset=utf-8")]
        response_headers += [(k.lower().encode(), v.encode()) for k, v in answer.headers.items()]
        await send(
            {"type": "http.response.start", "status": answer.status, "headers": response_headers}
        )
        await send({"type": "http.response.body", "body": answer.text.encode()})

    @staticmethod
    async def _body(receive: Receive) -> bytes | None:
        """The request's body, read until past the size limit; None if the client left."""
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            if not message.get("more_body", False) or len(body) > WEBHOOK_MAX_BODY_SIZE:
                return bytes(body)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.start()
                except Exception as error:
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def asgi_webhook_app(
    callback: WebhookCallback,
    *,
    verifier: Verifier,
    store: StoreOption = WEBHOOK_STORE_PATH,
    queue_size: int = WEBHOOK_QUEUE_SIZE,
    retry_after: int = WEBHOOK_RETRY_AFTER,
    backoff: float = WEBHOOK_CALLBACK_BACKOFF,
    retention: float = WEBHOOK_DONE_RETENTION,
) -> AsgiWebhookApp:
    """:func:`webhook_handler` as an ASGI 3 app for FastAPI and Starlette (same options, same
    promise)::

        hooks = asgi_webhook_app(on_event, verifier=StandardWebhooksVerifier(token))
        app.mount("/webhooks", hooks)  # and ``await hooks.close()`` in the app's lifespan
    """
    return AsgiWebhookApp(
        _Receiver(callback, verifier, store, queue_size, retry_after, backoff, retention)
    )
