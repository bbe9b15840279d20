"""Decoding a delivery's body: every documented event to its Struct, anything else that is a JSON
object to UnknownEvent (never an error), and a body that is not a JSON object to the typed error.

The bodies follow the inferred envelope (``type``, ``timestamp``, ``workspace_id``, ``data``) and
the documented objects (a Member, §3.2; a Project, §3.3; the time-tracking answers' fields).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import msgspec
import pytest

from webwork_async import Member, Project, WebWorkError
from webwork_async.models import WebhookEvent
from webwork_async.webhooks import (
    KnownEvent,
    MemberActivated,
    MemberArchived,
    MemberData,
    MemberDeleted,
    MemberInvited,
    MemberUpdated,
    ProjectCreated,
    ProjectData,
    ProjectDeleted,
    ProjectUpdated,
    TrackerStarted,
    TrackerStartedData,
    TrackerStopped,
    TrackerStoppedData,
    UnknownEvent,
    WebhookPayloadError,
    decode_event,
)

UTC = datetime.timezone.utc
WHEN = "2025-02-19T19:24:55Z"
TRACKER_STARTED = {
    "user_id": 100,
    "contract_id": 560314,
    "project_id": 285469,
    "task_id": 12345,
    "activity_description": "Working on API documentation",
    "start_time": "2024-01-15T10:30:00Z",
}
TRACKER_STOPPED = {**TRACKER_STARTED, "stopped_at": "2024-01-15T18:30:00Z"}
MEMBER = {
    "id": 100,
    "email": "john.doe@example.com",
    "firstname": "John",
    "lastname": "Doe",
    "avatar": "avatar.jpg",
    "current_role": "Regular User",
    "timezone": "America/New_York",
    "status": "active",
    "team_name": "Development Team",
    "title": "Developer",
}
PROJECT = {
    "id": 100,
    "name": "Marketing Campaign Q1",
    "owner_id": 10,
    "start_date": "2024-01-15",
    "deadline": "2024-03-31",
    "estimation": 120,
    "budget_estimation": 5000,
    "notes": "Focus on social media channels",
    "icon": "project-icon-1",
    "is_billable": True,
    "rate": 0,
    "weekly_hours_limit": 168,
    "screenshots": "blur",
    "tags": [{"id": 5, "name": "Marketing", "color": "#FF5733"}],
    "contracts_count": 3,
    "status": 1,
    "created_at": "2024-01-15T09:00:00Z",
    "updated_at": "2024-01-15T09:00:00Z",
    "deleted_at": None,
}
# (event name, its Struct, its data's Struct, a documented data object)
EVENTS: list[tuple[str, type[KnownEvent], type[Any], dict[str, Any]]] = [
    ("tracker.started", TrackerStarted, TrackerStartedData, TRACKER_STARTED),
    ("tracker.stopped", TrackerStopped, TrackerStoppedData, TRACKER_STOPPED),
    ("member.invited", MemberInvited, MemberData, MEMBER),
    ("member.updated", MemberUpdated, MemberData, MEMBER),
    ("member.deleted", MemberDeleted, MemberData, MEMBER),
    ("member.activated", MemberActivated, MemberData, MEMBER),
    ("member.archived", MemberArchived, MemberData, MEMBER),
    ("project.created", ProjectCreated, ProjectData, PROJECT),
    ("project.updated", ProjectUpdated, ProjectData, PROJECT),
    ("project.deleted", ProjectDeleted, ProjectData, PROJECT),
]


def delivery(event_type: object, data: object, **extra: object) -> bytes:
    """A delivery body in the inferred envelope."""
    return json.dumps(
        {"type": event_type, "timestamp": WHEN, "workspace_id": 1, "data": data, **extra}
    ).encode()


def test_every_documented_event_has_a_struct() -> None:
    assert {name for name, *_ in EVENTS} == {event.value for event in WebhookEvent}


@pytest.mark.parametrize(("name", "event_class", "data_class", "data"), EVENTS)
def test_a_documented_event_decodes_to_its_struct_with_every_field(
    name: str, event_class: type[KnownEvent], data_class: type[Any], data: dict[str, Any]
) -> None:
    event = decode_event(delivery(name, data))

    assert type(event) is event_class
    assert isinstance(event, KnownEvent)
    assert event.type is WebhookEvent(name)
    assert event.type == name
    assert event.timestamp == datetime.datetime(2025, 2, 19, 19, 24, 55, tzinfo=UTC)
    assert event.workspace_id == 1
    assert type(event.data) is data_class
    decoded = msgspec.to_builtins(event.data)  # dates back to their ISO strings
    assert {field: decoded[field] for field in data} == data


def test_member_and_project_data_are_the_client_models_with_typed_values() -> None:
    member = decode_event(delivery("member.updated", MEMBER))
    project = decode_event(delivery("project.created", PROJECT))
    stopped = decode_event(delivery("tracker.stopped", TRACKER_STOPPED))

    assert isinstance(member, MemberUpdated)
    assert isinstance(member.data, Member)
    assert isinstance(project, ProjectCreated)
    assert isinstance(project.data, Project)
    assert project.data.start_date == datetime.date(2024, 1, 15)
    assert project.data.tags[0].color == "#FF5733"
    assert isinstance(stopped, TrackerStopped)
    assert stopped.data.start_time == datetime.datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    assert stopped.data.stopped_at == datetime.datetime(2024, 1, 15, 18, 30, tzinfo=UTC)


def test_envelope_fields_other_than_type_and_data_may_be_left_out() -> None:
    event = decode_event(b'{"type": "tracker.stopped", "data": {"user_id": 7}}')

    assert isinstance(event, TrackerStopped)
    assert event.timestamp is None
    assert event.workspace_id is None
    assert event.data.user_id == 7
    assert event.data.stopped_at is None


def test_a_thin_tracker_event_keeps_the_ids_to_fetch_by() -> None:
    event = decode_event(delivery("tracker.started", {"user_id": 100, "contract_id": 560314}))

    assert isinstance(event, TrackerStarted)
    assert (event.data.user_id, event.data.contract_id, event.data.task_id) == (100, 560314, None)


def test_an_unknown_event_type_arrives_as_unknown_event_with_its_data() -> None:
    data = {"id": 9, "amount": 12.5, "nested": {"a": [1, 2]}}
    body = delivery("expense.created", data)

    event = decode_event(body)

    assert isinstance(event, UnknownEvent)
    assert not isinstance(event, KnownEvent)
    assert event.type == "expense.created"
    assert event.data == data
    assert event.raw == json.loads(body)
    assert event.problem is None


@pytest.mark.parametrize(("name", "event_class", "data_class", "data"), EVENTS)
def test_a_known_event_with_an_extra_data_field_arrives_as_unknown_event(
    name: str, event_class: type[KnownEvent], data_class: type[Any], data: dict[str, Any]
) -> None:
    event = decode_event(delivery(name, {**data, "surprise": True}))

    assert isinstance(event, UnknownEvent)
    assert event.type == name
    assert event.data == {**data, "surprise": True}
    assert event.problem is not None
    assert "surprise" in event.problem
    assert "$.data" in event.problem


def test_a_known_event_with_an_extra_envelope_field_arrives_as_unknown_event() -> None:
    event = decode_event(delivery("tracker.started", TRACKER_STARTED, webhook_id="abc123def456"))

    assert isinstance(event, UnknownEvent)
    assert event.type == "tracker.started"
    assert event.raw["webhook_id"] == "abc123def456"
    assert event.problem is not None
    assert "webhook_id" in event.problem


@pytest.mark.parametrize(
    ("body", "in_problem"),
    [
        (delivery("tracker.started", {"user_id": "one hundred"}), "$.data.user_id"),
        (delivery("project.deleted", {"id": 100}), "name"),  # a Project has a name
        (b'{"type": "member.invited", "timestamp": "2025-02-19T19:24:55Z"}', "`data`"),
        (delivery("tracker.started", TRACKER_STARTED, timestamp="yesterday"), "$.timestamp"),
    ],
)
def test_a_known_event_of_another_shape_arrives_as_unknown_event_saying_what_did_not_fit(
    body: bytes, in_problem: str
) -> None:
    event = decode_event(body)

    assert isinstance(event, UnknownEvent)
    assert event.type is not None
    assert event.problem is not None
    assert in_problem in event.problem
    assert event.raw == json.loads(body)


@pytest.mark.parametrize(
    "body",
    [b'{"event": "tracker.started", "payload": {}}', b'{"type": 7, "data": {}}', b"{}"],
)
def test_an_object_without_a_string_type_arrives_as_unknown_event_with_no_type(
    body: bytes,
) -> None:
    event = decode_event(body)

    assert isinstance(event, UnknownEvent)
    assert event.type is None
    assert event.raw == json.loads(body)
    assert event.problem is not None
    assert "type" in event.problem


def test_unknown_event_keeps_non_ascii_and_large_numbers_exactly() -> None:
    data = {"name": "Équipe 東京", "big": 2**63 + 1}

    event = decode_event(delivery("team.renamed", data))

    assert isinstance(event, UnknownEvent)
    assert event.data == data


@pytest.mark.parametrize(
    ("body", "in_problem"),
    [
        (b"", "not JSON"),
        (b"not json", "not JSON"),
        (b'{"type": "tracker.started", "data": {', "not JSON"),
        (b"<html>Bad Gateway</html>", "not JSON"),
        (b'[{"type": "tracker.started"}]', "an array, not a JSON object"),
        (b'"tracker.started"', "str, not a JSON object"),
        (b"42", "int, not a JSON object"),
        (b"null", "NoneType, not a JSON object"),
    ],
)
def test_a_body_that_is_not_a_json_object_raises_the_payload_error(
    body: bytes, in_problem: str
) -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        decode_event(body)

    assert isinstance(caught.value, WebWorkError)
    assert in_problem in caught.value.problem
    assert in_problem in str(caught.value)
    assert caught.value.body == body
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ or caught.value.__context__ is None


def test_decoded_events_are_typed_structs_that_encode_back_to_the_envelope() -> None:
    event = decode_event(delivery("member.archived", MEMBER))

    again = msgspec.json.decode(msgspec.json.encode(event))
    assert again["type"] == "member.archived"
    assert again["workspace_id"] == 1
    assert {key: again["data"][key] for key in MEMBER} == MEMBER
