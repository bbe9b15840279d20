"""Typed webhook events, decoded from a delivery's raw body by one msgspec tagged union.

What the docs say (reference §4.7): the event names, ``tracker.started`` and ``tracker.stopped``
(variant B, "a member starts/stops tracking time"), and the ``member.*`` and ``project.*`` events
the other variant lists. What they do not say is the body of a delivery, so its whole shape here is
**inferred**: the Standard Webhooks payload layout (the delivery is signed the Standard Webhooks
way, see ``_verify``), with the event's name under ``type`` and its object under ``data``::

    {"type": "project.created", "timestamp": "2025-02-19T19:24:55Z", "workspace_id": 1,
     "data": {"id": 100, "name": "Marketing Campaign Q1", ...}}

``data`` is taken to be the documented object of the group (a Member, §3.2; a Project, §3.3) and,
for the tracker events, the fields of the time-tracking start and stop answers.

Because all of that is a guess, decoding is strict about it and lenient about the outcome: a
delivery whose type is not known, or whose body has a field the guess does not have, or a value of
another type, decodes to :class:`UnknownEvent` carrying the type and the raw JSON, never to an
error and never to a typed event with its real content silently dropped. Only a body that is not
a JSON object raises :class:`~webwork_async.webhooks.WebhookPayloadError`.

An event is a snapshot, and a tracker event only a few ids: ``await event.fetch(ww)`` reads the
resource as it is now, through the session's public resource methods (a project, a member, the
running tracker, the day's time entries). An event that lacks an id the call needs raises
:class:`~webwork_async.errors.InvalidArgumentError` naming it, before anything is sent.
"""

from __future__ import annotations

import datetime
import operator
from typing import TYPE_CHECKING, Any, TypeAlias, get_args

import msgspec

from webwork_async.errors import InvalidArgumentError
from webwork_async.models import CurrentTracker, Member, Project, TimeEntry, WebhookEvent
from webwork_async.models._base import Model
from webwork_async.webhooks._errors import WebhookPayloadError

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from webwork_async import AsyncSession, CallOptions

__all__ = [
    "Event",
    "KnownEvent",
    "MemberActivated",
    "MemberArchived",
    "MemberData",
    "MemberDeleted",
    "MemberEvent",
    "MemberInvited",
    "MemberUpdated",
    "ProjectCreated",
    "ProjectData",
    "ProjectDeleted",
    "ProjectEvent",
    "ProjectUpdated",
    "TrackerStarted",
    "TrackerStartedData",
    "TrackerStopped",
    "TrackerStoppedData",
    "UnknownEvent",
    "decode_event",
]


class TrackerStartedData(Model, forbid_unknown_fields=True):
    """Who started tracking, on what (**inferred**: the fields of the time-tracking start answer,
    with the member's ``user_id``). A thin event: the ids point at the full resources."""

    user_id: int | None = None
    contract_id: int | None = None
    project_id: int | None = None
    task_id: int | None = None
    activity_description: str | None = None
    start_time: datetime.datetime | None = None


class TrackerStoppedData(TrackerStartedData):
    """Who stopped tracking, and when (**inferred**: the start fields plus the stop answer's
    ``stopped_at``)."""

    stopped_at: datetime.datetime | None = None


class MemberData(Member, forbid_unknown_fields=True):
    """The member a ``member.*`` event is about: a :class:`~webwork_async.models.Member`
    (**inferred**: the docs name the events only), read strictly."""


class ProjectData(Project, forbid_unknown_fields=True):
    """The project a ``project.*`` event is about: a :class:`~webwork_async.models.Project`
    (**inferred**: the docs name the events only), read strictly."""


class KnownEvent(Model, tag_field="type", forbid_unknown_fields=True):
    """Base of every typed event; ``isinstance(event, KnownEvent)`` tells it from
    :class:`UnknownEvent`.

    ``timestamp`` (when the event happened) and ``workspace_id`` are **inferred** and optional;
    ``type`` is the event's name as a :class:`~webwork_async.models.WebhookEvent`.
    """

    timestamp: datetime.datetime | None = None
    workspace_id: int | None = None

    @property
    def type(self) -> WebhookEvent:
        """The event's name (the tag this class is decoded by)."""
        return WebhookEvent(self.__struct_config__.tag)

    def _needs(self, *fields: str) -> list[int]:
        """The values at ``fields`` (paths such as ``"data.user_id"``) that a ``fetch`` sends;
        :class:`~webwork_async.errors.InvalidArgumentError` naming the first one missing."""
        values: list[int] = []
        for field in fields:
            value = operator.attrgetter(field)(self)
            if value is None:
                raise self._missing(field)
            values.append(value)
        return values

    def _missing(self, field: str, detail: str = "") -> InvalidArgumentError:
        return InvalidArgumentError(
            field, f"this {self.type.value} event has none{detail}, so it cannot be fetched"
        )


class TrackerStarted(KnownEvent, tag=WebhookEvent.TRACKER_STARTED.value, kw_only=True):
    """``tracker.started``: a member started tracking time (documented in variant B)."""

    data: TrackerStartedData

    async def fetch(
        self, ww: AsyncSession, **options: Unpack[CallOptions]
    ) -> CurrentTracker | None:
        """The member's running tracker as it is now (``ww.time_tracking.current``), with the
        task's title and the day's minutes; None when it has stopped since.

        Needs ``workspace_id`` and ``data.user_id``:
        :class:`~webwork_async.errors.InvalidArgumentError` without them, nothing sent.
        """
        workspace_id, user_id = self._needs("workspace_id", "data.user_id")
        return await ww.time_tracking.current(workspace_id=workspace_id, user_id=user_id, **options)


class TrackerStopped(KnownEvent, tag=WebhookEvent.TRACKER_STOPPED.value, kw_only=True):
    """``tracker.stopped``: a member stopped tracking time (documented in variant B)."""

    data: TrackerStoppedData

    async def fetch(self, ww: AsyncSession, **options: Unpack[CallOptions]) -> list[TimeEntry]:
        """The member's time entries of the day the tracker stopped, every page
        (``ww.time_entries.list``): the day's timeline, which the stopped period joins.

        The day is the date of ``data.stopped_at`` (else of the event's ``timestamp``) in the
        UTC offset that timestamp carries: UTC for the ``Z`` timestamps of the documented
        examples and of the fake server. Which zone the service files a day's entries under
        (UTC, the member's, the workspace owner's) is not documented, so this is **inferred**;
        a period begun the day before may be filed under its start's day.

        Needs ``workspace_id``, ``data.user_id`` and a time:
        :class:`~webwork_async.errors.InvalidArgumentError` without them, nothing sent.
        """
        workspace_id, user_id = self._needs("workspace_id", "data.user_id")
        stopped = self.data.stopped_at or self.timestamp
        if stopped is None:
            raise self._missing("data.stopped_at", " (nor a timestamp)")
        entries = ww.time_entries.list(
            workspace_id=workspace_id, user_id=user_id, date=stopped.date(), **options
        )
        return await entries.to_list()


class MemberEvent(KnownEvent, kw_only=True):
    """Base of the ``member.*`` events (variant A only), whose ``data`` is the member."""

    data: MemberData

    async def fetch(self, ww: AsyncSession, **options: Unpack[CallOptions]) -> Member:
        """The member as they are now (``ww.members.get``);
        :class:`~webwork_async.errors.NotFoundError` once they are gone.

        Needs ``workspace_id``: :class:`~webwork_async.errors.InvalidArgumentError` without it,
        nothing sent.
        """
        (workspace_id,) = self._needs("workspace_id")
        return await ww.members.get(self.data.id, workspace_id=workspace_id, **options)


class MemberInvited(MemberEvent, tag=WebhookEvent.MEMBER_INVITED.value):
    """``member.invited``: someone was invited to the workspace."""


class MemberUpdated(MemberEvent, tag=WebhookEvent.MEMBER_UPDATED.value):
    """``member.updated``: a member's role or details changed."""


class MemberDeleted(MemberEvent, tag=WebhookEvent.MEMBER_DELETED.value):
    """``member.deleted``: a member was removed from the workspace."""


class MemberActivated(MemberEvent, tag=WebhookEvent.MEMBER_ACTIVATED.value):
    """``member.activated``: a member became active (an invitation accepted, or restored)."""


class MemberArchived(MemberEvent, tag=WebhookEvent.MEMBER_ARCHIVED.value):
    """``member.archived``: a member was archived."""


class ProjectEvent(KnownEvent, kw_only=True):
    """Base of the ``project.*`` events (variant A only), whose ``data`` is the project."""

    data: ProjectData

    async def fetch(self, ww: AsyncSession, **options: Unpack[CallOptions]) -> Project:
        """The project as it is now (``ww.projects.get``);
        :class:`~webwork_async.errors.NotFoundError` once it is deleted (archived).

        Needs ``workspace_id``: :class:`~webwork_async.errors.InvalidArgumentError` without it,
        nothing sent.
        """
        (workspace_id,) = self._needs("workspace_id")
        return await ww.projects.get(self.data.id, workspace_id=workspace_id, **options)


class ProjectCreated(ProjectEvent, tag=WebhookEvent.PROJECT_CREATED.value):
    """``project.created``: a project was created."""


class ProjectUpdated(ProjectEvent, tag=WebhookEvent.PROJECT_UPDATED.value):
    """``project.updated``: a project was changed."""


class ProjectDeleted(ProjectEvent, tag=WebhookEvent.PROJECT_DELETED.value):
    """``project.deleted``: a project was deleted."""


class UnknownEvent(Model, kw_only=True):
    """A delivery that is a JSON object but not a known event, handed over rather than lost.

    ``type`` is the body's ``type`` when it is a string (None otherwise: then the envelope is not
    the inferred one at all). ``data`` is the body's ``data`` and ``raw`` the whole body, both as
    plain JSON values. ``problem`` is None for a type this library does not know, and says what did
    not fit (``Object contains unknown field `x` - at `$.data```) for a known type whose body is
    not the inferred shape: worth reporting, since it means the inference is wrong.
    """

    type: str | None
    data: Any = None
    raw: dict[str, Any]
    problem: str | None = None


_Known: TypeAlias = (
    TrackerStarted
    | TrackerStopped
    | MemberInvited
    | MemberUpdated
    | MemberDeleted
    | MemberActivated
    | MemberArchived
    | ProjectCreated
    | ProjectUpdated
    | ProjectDeleted
)
#: Every event :func:`decode_event` can return: a typed event, or :class:`UnknownEvent`.
Event: TypeAlias = _Known | UnknownEvent

_KNOWN_DECODER: msgspec.json.Decoder[_Known] = msgspec.json.Decoder(_Known)
_ANY_DECODER: msgspec.json.Decoder[Any] = msgspec.json.Decoder()
_KNOWN_TAGS = frozenset(cls.__struct_config__.tag for cls in get_args(_Known))


def decode_event(body: bytes) -> Event:
    """The event a delivery's raw body holds: a typed event, or :class:`UnknownEvent`.

    One msgspec pass decodes a known event; anything else that is a JSON object is read a second
    time as plain values. Raises :class:`~webwork_async.webhooks.WebhookPayloadError` when the
    body is not JSON, or is JSON but not an object.
    """
    problem: str | None
    try:
        return _KNOWN_DECODER.decode(body)
    except msgspec.ValidationError as error:  # JSON, not (or not only) what a known event holds
        problem = str(error)
    except msgspec.DecodeError as error:
        raise WebhookPayloadError(f"the body is not JSON ({error})", body=body) from None
    raw = _ANY_DECODER.decode(body)
    if not isinstance(raw, dict):
        kind = "an array" if isinstance(raw, list) else f"a JSON {type(raw).__name__}"
        raise WebhookPayloadError(f"the body is {kind}, not a JSON object", body=body)
    name = raw.get("type")
    if not isinstance(name, str):
        name = None
    elif name not in _KNOWN_TAGS:
        problem = None  # a type this library does not know: nothing to report
    return UnknownEvent(type=name, data=raw.get("data"), raw=raw, problem=problem)
