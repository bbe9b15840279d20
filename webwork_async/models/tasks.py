"""Models of the Tasks group (reference §3.5, §4.5)."""

from __future__ import annotations

import datetime
import enum

import msgspec

from webwork_async.models._base import Model

__all__ = ["Task", "TaskAssignee", "TaskPriority", "TaskStatus"]


class TaskStatus(enum.IntEnum):
    """The base task status codes (variant B names; variant C calls them Open, In Progress,
    Done, Closed). Workspaces may define custom codes (1, 2, 11, 21 ...), so ``Task.status`` is
    a plain int."""

    INCOMPLETE = 0
    DOING = 10
    DONE = 20
    COMPLETED = 30


class TaskPriority(enum.IntEnum):
    """Task priority codes."""

    URGENT = 10
    HIGH = 20
    NORMAL = 30
    LOW = 40


class TaskAssignee(Model):
    """A member assigned to a task."""

    id: int
    firstname: str | None = None
    lastname: str | None = None
    email: str | None = None


class Task(Model):
    """A task of a project.

    ``status`` and ``priority`` are plain ints (see :class:`TaskStatus`, :class:`TaskPriority`);
    ``priority`` is None where the service leaves it unset. The fields after ``assignees`` are
    known from a third-party summary only.
    """

    id: int
    title: str
    project_id: int
    description: str | None = None
    owner_id: int | None = None
    creator_id: int | None = None
    status: int | None = None
    priority: int | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    completed_at: datetime.datetime | None = None
    assignees: list[TaskAssignee] = msgspec.field(default_factory=list)
    parent_id: int | None = None
    status_name: str | None = None
    status_color: str | None = None
    priority_name: str | None = None
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
    deleted_at: datetime.datetime | None = None
