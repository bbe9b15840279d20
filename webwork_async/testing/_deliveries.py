"""Webhook deliveries of the fake server: events POSTed, signed, to the webhooks that want them.

When the API changes the state (a project created, a tracker started...), the route calls
:func:`announce`; every live webhook of the workspace subscribed to that event gets a
:class:`Delivery`: the event's JSON body (``type``, ``timestamp``, ``workspace_id``, ``data``; the
shape ``webwork_async.webhooks`` decodes, **inferred**) POSTed to its ``url`` with
``Content-Type: application/json`` and the Standard Webhooks headers of
:func:`webwork_async.webhooks.sign`, keyed with the webhook's ``token``. A delivery keeps its id
(``msg_<hex>``) across retries, so a receiver can tell a retry from a new event; the signature is
made again for every attempt, with the attempt's time.

The POSTs go out from the event loop that serves the fake (a :class:`_Courier` lives as long as
the served app: started by its ``on_startup``, stopped by its ``on_cleanup``), one queue per
webhook, so a webhook's deliveries never overtake each other, a retry included. An attempt fails
on a connection error, on no answer within the timeout and on any status but 2xx (redirects are
not followed); it is tried again after ``backoff``, ``2 * backoff``, ``4 * backoff``... seconds,
``retries`` times, and then the delivery has failed. Only loopback URLs are delivered to (tests
talk to 127.0.0.1; the fake is no way out of the machine): any other is refused, unsent. A
delivery still waiting or in flight when the server stops is cancelled.

:class:`Deliveries` (one per fake) keeps every delivery's record, for tests to read and wait on,
from any thread; it never holds a webhook's token in anything it shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import threading
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Final, cast

import aiohttp
import msgspec
from aiohttp import web

from webwork_async import ConfigurationError
from webwork_async._protocol import Secret
from webwork_async.webhooks import sign

from ._endpoint import Call
from ._loopback import is_loopback_url
from ._state import FakeState

#: How long one attempt waits for the receiver's answer, in seconds (by default).
DELIVERY_TIMEOUT: Final = 5.0
#: How many times a failed attempt is tried again (by default): four attempts in all.
DELIVERY_RETRIES: Final = 3
#: The wait before the first retry, in seconds (by default); it doubles for each further one.
DELIVERY_BACKOFF: Final = 0.1
#: The most of a receiver's answer that is read (the rest is dropped with the connection).
_ANSWER_LIMIT: Final = 64 * 1024
_POLL: Final = 0.005


class DeliveryState(str, enum.Enum):
    """Where a :class:`Delivery` stands."""

    PENDING = "pending"  # queued, in flight or waiting for a retry
    DELIVERED = "delivered"  # a 2xx came back
    FAILED = "failed"  # every attempt failed
    REFUSED = "refused"  # not a loopback URL: never sent
    CANCELLED = "cancelled"  # the server stopped (or was not serving) before it was delivered


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST of a delivery: the answer's ``status`` (None when none came) or the ``error``
    that ended it (a connection error, a timeout), and how long it took in seconds."""

    status: int | None
    error: str | None
    duration: float


@dataclass(frozen=True)
class Delivery:
    """What became of one event sent to one webhook (a snapshot; never the webhook's token).

    ``webhook_id`` is None for an event sent to a URL by hand (``FakeWebWork.deliver(to=...)``).
    ``body`` is the exact bytes POSTed, :attr:`payload` their JSON.
    """

    delivery_id: str
    event_type: str
    workspace_id: int
    webhook_id: str | None
    url: str
    body: bytes = field(repr=False)
    state: DeliveryState = DeliveryState.PENDING
    attempts: tuple[DeliveryAttempt, ...] = ()

    @property
    def payload(self) -> Any:
        """The delivered event as JSON values."""
        return msgspec.json.decode(self.body)

    @property
    def statuses(self) -> list[int | None]:
        """The status of each attempt (None where none came back), in order."""
        return [attempt.status for attempt in self.attempts]

    @property
    def settled(self) -> bool:
        """Whether the delivery is over: delivered, failed, refused or cancelled."""
        return self.state is not DeliveryState.PENDING


@dataclass(frozen=True)
class Schedule:
    """How a delivery is tried: ``retries`` after the first attempt, the first after
    ``backoff`` seconds and each next one after twice as long, ``timeout`` seconds an attempt."""

    retries: int = DELIVERY_RETRIES
    backoff: float = DELIVERY_BACKOFF
    timeout: float = DELIVERY_TIMEOUT

    def __post_init__(self) -> None:
        """Refuse a schedule that cannot run."""
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise ValueError(f"retries must be an int >= 0, not {self.retries!r}")
        if not 0 <= self.backoff < float("inf"):
            raise ValueError(f"backoff must be a finite number >= 0, not {self.backoff!r}")
        if not 0 < self.timeout < float("inf"):
            raise ValueError(f"timeout must be a finite number > 0, not {self.timeout!r}")

    def delay(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1 for the first)."""
        return float(self.backoff * 2 ** (retry - 1))


class _Job:
    """A delivery being made: its record, the secret it is signed with and its queue key."""

    __slots__ = ("courier", "key", "record", "schedule", "secret")

    def __init__(self, record: Delivery, secret: Secret, key: str, schedule: Schedule) -> None:
        self.record = record
        self.secret = secret
        self.key = key
        self.schedule = schedule
        self.courier: _Courier | None = None

    def __repr__(self) -> str:
        return f"<_Job {self.record!r}>"


def event_body(event_type: str, workspace_id: int, data: Any, moment: datetime) -> bytes:
    """The JSON body of an event: ``type``, ``timestamp`` (RFC 3339, UTC, whole seconds),
    ``workspace_id`` and ``data``, in that order."""
    stamp = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    envelope = {"type": event_type, "timestamp": stamp, "workspace_id": workspace_id, "data": data}
    return msgspec.json.encode(envelope)


def new_delivery_id() -> str:
    """A fresh delivery id, ``msg_`` and 32 hex digits."""
    return "msg_" + uuid.uuid4().hex


class Deliveries:
    """Every delivery of one fake: made by :meth:`emit` and :meth:`send`, read by
    :meth:`records`, waited on by :meth:`wait` (any thread) and :meth:`settled` (async).

    The records are guarded by a lock of their own, never held while the state's is taken.
    """

    def __init__(self, state: FakeState) -> None:
        """Keep no delivery yet; webhooks and the clock are read from ``state``."""
        self._state = state
        self._changed = threading.Condition()
        self._jobs: list[_Job] = []
        self._schedule = Schedule()
        self._courier: _Courier | None = None

    # -- configuration and records --------------------------------------------------------

    def configure(self, schedule: Schedule) -> None:
        """Use ``schedule`` for the deliveries made from now on."""
        with self._changed:
            self._schedule = schedule

    def records(self) -> list[Delivery]:
        """Every delivery so far, in the order they were made."""
        with self._changed:
            return [job.record for job in self._jobs]

    def _all_settled(self) -> bool:
        return all(job.record.settled for job in self._jobs)

    def _pending(self) -> str:
        pending = [job.record for job in self._jobs if not job.record.settled]
        shown = ", ".join(f"{record.event_type} to {record.url}" for record in pending[:5])
        return f"deliveries still pending: {len(pending)} ({shown})"

    def wait(self, timeout: float | None) -> list[Delivery]:
        """Block until no delivery is pending; return them all. ``TimeoutError`` after
        ``timeout`` seconds (None: no limit). Not from the loop that serves the fake."""
        with self._changed:
            if not self._changed.wait_for(self._all_settled, timeout):
                raise TimeoutError(self._pending())
            return [job.record for job in self._jobs]

    async def settled(self, timeout: float | None) -> list[Delivery]:
        """Wait, without blocking the loop, until no delivery is pending; return them all.

        ``TimeoutError`` after ``timeout`` seconds (None: no limit); works from any loop.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._changed:
                if self._all_settled():
                    return [job.record for job in self._jobs]
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(self._pending())
            await asyncio.sleep(_POLL)

    def _update(self, job: _Job, **changes: Any) -> None:
        with self._changed:
            job.record = replace(job.record, **changes)
            self._changed.notify_all()

    # -- making deliveries ----------------------------------------------------------------

    def emit(self, workspace_id: int, event_type: str, data: Any) -> list[Delivery]:
        """Deliver an event to every live webhook of ``workspace_id`` subscribed to it.

        ``data`` is encoded at once, so the caller may change it afterwards. Returns the new
        deliveries (none when no webhook wants the event).
        """
        with self._state.lock:
            body = event_body(event_type, workspace_id, data, self._state.now())
            hooks = [
                row.data
                for row in self._state.webhooks.in_workspace(workspace_id)
                if row.data.get("deleted_at") is None and event_type in row.data.get("events", ())
            ]
            targets = [(str(hook["id"]), str(hook["url"]), Secret(hook["token"])) for hook in hooks]
        jobs = [
            self._job(event_type, workspace_id, body, url, secret, webhook_id=webhook_id)
            for webhook_id, url, secret in targets
        ]
        self._dispatch(jobs)
        return [job.record for job in jobs]

    def send(
        self, event_type: str, workspace_id: int, data: Any, url: str, secret: Secret
    ) -> Delivery:
        """Deliver an event to ``url``, signed with ``secret``, whichever webhooks exist."""
        with self._state.lock:
            body = event_body(event_type, workspace_id, data, self._state.now())
        job = self._job(event_type, workspace_id, body, url, secret, webhook_id=None)
        self._dispatch([job])
        return job.record

    def _job(
        self,
        event_type: str,
        workspace_id: int,
        body: bytes,
        url: str,
        secret: Secret,
        *,
        webhook_id: str | None,
    ) -> _Job:
        record = Delivery(new_delivery_id(), event_type, workspace_id, webhook_id, url, body)
        if not is_loopback_url(url):
            record = replace(record, state=DeliveryState.REFUSED)
        key = f"webhook {webhook_id}" if webhook_id is not None else f"url {url}"
        with self._changed:
            job = _Job(record, secret, key, self._schedule)
            self._jobs.append(job)
            self._changed.notify_all()
        return job

    def _dispatch(self, jobs: list[_Job]) -> None:
        """Hand ``jobs`` to the serving loop's courier, from whichever thread this runs in."""
        courier = self._courier
        for job in jobs:
            if job.record.settled:
                continue  # refused
            if courier is None:
                self.mark(job, DeliveryState.CANCELLED)
                continue
            job.courier = courier
            if _running_loop() is courier.loop:
                courier.submit(job)
                continue
            try:
                courier.loop.call_soon_threadsafe(courier.submit, job)
            except RuntimeError:  # the loop is closed: the server has stopped
                self.mark(job, DeliveryState.CANCELLED)

    # -- the courier's lifetime -----------------------------------------------------------

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Deliver from the running loop while inside (what the command line's ``trigger``
        uses; a served app starts and stops its own with :meth:`attach`)."""
        courier = self._start()
        try:
            yield
        finally:
            await self._stop(courier)

    def attach(self, app: web.Application) -> None:
        """Deliver from the loop that serves ``app``, from its start-up to its clean-up."""

        async def start(app: web.Application) -> None:
            app[_COURIER_KEY] = self._start()

        async def stop(app: web.Application) -> None:
            courier = app.get(_COURIER_KEY)
            if courier is not None:
                await self._stop(courier)

        app[DELIVERIES_KEY] = self
        app.on_startup.append(start)
        app.on_cleanup.append(stop)

    def _start(self) -> _Courier:
        courier = _Courier(self, asyncio.get_running_loop())
        self._courier = courier
        return courier

    async def _stop(self, courier: _Courier) -> None:
        if self._courier is courier:
            self._courier = None
        await courier.close()
        with self._changed:
            for job in self._jobs:
                if job.courier is courier and not job.record.settled:
                    job.record = replace(job.record, state=DeliveryState.CANCELLED)
            self._changed.notify_all()

    def mark(self, job: _Job, state: DeliveryState) -> None:
        """Record that ``job`` has come to ``state``."""
        self._update(job, state=state)

    def add_attempt(self, job: _Job, attempt: DeliveryAttempt) -> None:
        """Record one more attempt of ``job``."""
        self._update(job, attempts=(*job.record.attempts, attempt))


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


async def _post(job: _Job, session: aiohttp.ClientSession) -> DeliveryAttempt:
    """One signed POST of ``job``'s body; what came of it."""
    record, timeout = job.record, job.schedule.timeout
    started = time.monotonic()
    status: int | None = None
    error: str | None = None
    try:
        secret = cast(str, job.secret.reveal())
        headers = sign(secret, record.delivery_id, int(time.time()), record.body)
        del secret
        headers["Content-Type"] = "application/json"
        async with session.post(
            record.url,
            data=record.body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=False,
        ) as response:
            status = response.status
            await response.content.read(_ANSWER_LIMIT)
    except ConfigurationError:
        error = "the webhook's token cannot sign (not shown)"
    except asyncio.TimeoutError:
        error = f"no answer within {timeout:g} s"
    except (aiohttp.ClientError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    return DeliveryAttempt(status, error, time.monotonic() - started)


class _Courier:
    """The deliveries of one serving loop: a queue and a worker task per webhook."""

    def __init__(self, deliveries: Deliveries, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._deliveries = deliveries
        self._session: aiohttp.ClientSession | None = None
        self._queues: dict[str, asyncio.Queue[_Job]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._closed = False

    def submit(self, job: _Job) -> None:
        """Queue ``job`` behind the earlier deliveries to its webhook (in the loop's thread)."""
        if self._closed:
            self._deliveries.mark(job, DeliveryState.CANCELLED)
            return
        queue = self._queues.get(job.key)
        if queue is None:
            queue = self._queues[job.key] = asyncio.Queue()
            worker = self.loop.create_task(self._work(queue), name=f"webhook deliveries: {job.key}")
            self._workers.add(worker)
        queue.put_nowait(job)

    async def _work(self, queue: asyncio.Queue[_Job]) -> None:
        while True:
            await self._deliver(await queue.get())

    async def _deliver(self, job: _Job) -> None:
        """Make ``job``'s attempts until one is answered 2xx or the schedule is used up."""
        if self._session is None:
            # A connection per attempt: none is left open to a receiver that goes away.
            connector = aiohttp.TCPConnector(force_close=True)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        schedule, deliveries = job.schedule, self._deliveries
        for retry in range(schedule.retries + 1):
            if retry:
                await asyncio.sleep(schedule.delay(retry))
            attempt = await _post(job, self._session)
            deliveries.add_attempt(job, attempt)
            if attempt.status is not None and 200 <= attempt.status < 300:
                deliveries.mark(job, DeliveryState.DELIVERED)
                return
        deliveries.mark(job, DeliveryState.FAILED)

    async def close(self) -> None:
        """Cancel the workers (their deliveries in flight too), wait for them, close the session."""
        self._closed = True
        workers = list(self._workers)
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        if self._session is not None:
            await self._session.close()


#: Where a served app keeps its fake's :class:`Deliveries`, and the courier of its loop.
DELIVERIES_KEY: Final = web.AppKey("webwork_fake_deliveries", Deliveries)
_COURIER_KEY: Final = web.AppKey("webwork_fake_courier", _Courier)


def announce(call: Call, event_type: str, data: Mapping[str, Any]) -> None:
    """Deliver the event ``event_type`` of the call's workspace to the webhooks that want it
    (from a route, with the state lock held)."""
    deliveries = call.request.app.get(DELIVERIES_KEY)
    if deliveries is not None:
        deliveries.emit(call.workspace_id, event_type, data)
