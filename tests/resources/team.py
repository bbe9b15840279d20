"""What the resource tests share: a workspace with a member on a project, and the last request."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from webwork_async.testing import FakeWebWork


@dataclass(frozen=True)
class Team:
    """A workspace with one project and one invited, accepted member with a contract on it."""

    workspace_id: int
    project_id: int
    user_id: int
    contract_id: int


def last_sent(fake: FakeWebWork) -> tuple[str, str, dict[str, str], object]:
    """Method, path, query and decoded JSON body (None if empty) of the last request."""
    sent = fake.requests[-1]
    return sent.method, sent.path, sent.query, msgspec.json.decode(sent.body) if sent.body else None
