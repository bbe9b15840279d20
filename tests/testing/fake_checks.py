"""Assertions on the fake server's answers, for ``import fake_checks as check`` (a unique name).

``check.success(reply, message)`` returns the ``data`` of a success envelope,
``check.error(reply, status, message)`` checks an error envelope, ``check.field_errors(reply)``
returns a 422's ``errors`` map, and ``check.answers``/``check.forbidden`` send a list of calls
that must all fail alike.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from fake_helpers import Api, Reply, Worksite, foreign_work

from webwork_async.testing import FakeWebWork

ISO_MICRO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def moment(timestamp: str) -> datetime:
    """The UTC moment of one of the fake's timestamps (``2024-01-15T10:30:00.000000Z``)."""
    assert ISO_MICRO.fullmatch(timestamp), timestamp
    return datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


#: How far "now" on the fake may be from the test's "now" (the wall clock may be stepped).
CLOCK_SLACK = timedelta(seconds=120)


def recent(timestamp: str) -> datetime:
    """The moment of ``timestamp``, checked to be about now (within :data:`CLOCK_SLACK`)."""
    found = moment(timestamp)
    assert abs(found - datetime.now(timezone.utc)) <= CLOCK_SLACK, timestamp
    return found


def success(reply: Reply, message: str, status: int = 200) -> Any:
    """Check a success envelope with ``message`` and ``status``; return its ``data``."""
    assert reply.status == status, reply.body
    assert reply.body["success"] is True
    assert reply.body["message"] == message
    assert reply.body["meta"]["api_version"] == "2.0.0"
    assert ISO_MICRO.fullmatch(reply.body["meta"]["timestamp"])
    return reply.body["data"]


def error(reply: Reply, status: int, message: str | None = None) -> None:
    """Check an error envelope of ``status`` (and ``message``, if given)."""
    assert reply.status == status, reply.body
    assert reply.body["success"] is False
    assert "error" in reply.body
    assert reply.body["meta"]["api_version"] == "2.0.0"
    if message is not None:
        assert reply.body["message"] == message


def field_errors(reply: Reply) -> dict[str, list[str]]:
    """The ``errors`` map of a 422 answer."""
    error(reply, 422, "The given data was invalid.")
    errors: dict[str, list[str]] = reply.body["errors"]
    assert all(
        messages and all(isinstance(m, str) for m in messages) for messages in errors.values()
    )
    return errors


FORBIDDEN = "You do not have permission to access this workspace"


async def answers(
    api: Api,
    workspace_id: int,
    calls: list[tuple[str, str, dict[str, Any]]],
    status: int,
    message: str,
) -> None:
    """Each ``(method, path, fields)`` call is an error ``status`` with ``message``.

    ``workspace_id`` goes with the fields: in the query string of a GET, the JSON body of a
    write.
    """
    for method, path, fields in calls:
        values = {"workspace_id": workspace_id, **fields}
        if method == "GET":
            reply = await api.get(path, **values)
        else:
            reply = await api.call(method, path, json=values)
        error(reply, status, message)


async def forbidden(
    api: Api, workspace_id: int, calls: list[tuple[str, str, dict[str, Any]]]
) -> None:
    """Each call (as for :func:`answers`) is the 403 of a caller without API access."""
    await answers(api, workspace_id, calls, 403, FORBIDDEN)


async def refuses_foreign_work(
    fake: FakeWebWork, site: Worksite, send: Callable[..., Awaitable[Reply]]
) -> None:
    """Each body of :func:`~fake_helpers.foreign_work` that ``send(**fields)`` sends is a 422
    naming the fields it must name."""
    for fields, wrong in foreign_work(fake, site):
        assert sorted(field_errors(await send(**fields))) == wrong, fields
