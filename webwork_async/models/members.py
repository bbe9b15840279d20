"""Models of the Members group (reference §3.2, §4.2)."""

from __future__ import annotations

import datetime
import enum

from webwork_async.models._base import Model

__all__ = ["Invitation", "Member", "MemberRole", "MemberStatus"]


class MemberRole(str, enum.Enum):
    """Role names exactly as the API spells them (reference §2.3).

    Models keep roles as plain strings, so a role the service adds later still decodes; the
    members compare equal to those strings (``member.current_role == MemberRole.OWNER``).
    """

    OWNER = "Owner"
    EXECUTIVE_MANAGER = "Executive manager"
    TEAM_MANAGER = "Team manager"
    PROJECT_MANAGER = "Project manager"
    REGULAR_USER = "Regular User"
    PROJECT_VIEWER = "Project viewer"


class MemberStatus(str, enum.Enum):
    """Status of a member (and of a workspace) in the workspace (reference §2.8)."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    LEFT = "left"
    UNKNOWN = "unknown"


class Member(Model):
    """A member of a workspace; ``id`` is the user id (the same person in every workspace).

    ``current_role`` and ``status`` are plain strings (see :class:`MemberRole`,
    :class:`MemberStatus`). The fields after ``title`` are cut from the official schema and
    known from a third-party summary only: they default to None. Rate fields are present only
    for callers allowed to see rates.
    """

    id: int
    email: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    avatar: str | None = None
    current_role: str | None = None
    timezone: str | None = None
    status: str | None = None
    team_name: str | None = None
    title: str | None = None
    rate: float | None = None
    rate_type: int | str | None = None
    rate_status: int | None = None
    weekly_hours_limit: int | None = None
    screenshots: str | None = None
    is_blocked: bool | None = None
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
    deleted_at: datetime.datetime | None = None


class Invitation(Model):
    """The answer to an invitation: the new member's user id and the link sent by e-mail."""

    user_id: int
    invitation_link: str | None = None
