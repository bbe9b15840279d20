"""Models of the Leaves group (reference-time §5)."""

from __future__ import annotations

import datetime
import enum

import msgspec

from webwork_async.models._base import Model

__all__ = ["Leave", "LeaveBalance", "LeavePeriod", "LeaveStatus", "LeaveTotal", "LeaveTypeBalance"]


class LeaveStatus(str, enum.Enum):
    """A leave request is ``pending`` until it is ``approved`` or ``rejected``."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class LeavePeriod(enum.IntEnum):
    """Which part of each day a leave covers (``leave_period`` when requesting one)."""

    FULL_DAY = 0
    FIRST_HALF = 1
    SECOND_HALF = 2


class LeaveTotal(Model):
    """How long a leave is (inferred from the legacy API: the v2 pages are cut there)."""

    days: float | None = None
    hours: float | None = None


class Leave(Model):
    """A leave request of a member.

    ``is_paid`` is ``"yes"`` or ``"no"`` as the service writes it. The fields after
    ``start_date`` are cut in the stored docs; ``end_date``, ``created_on`` and ``total`` are
    inferred from the legacy API.
    """

    id: str
    status: str | None = None
    user_id: int | None = None
    policy_id: int | None = None
    note: str | None = None
    is_paid: str | None = None
    created_by: int | None = None
    approved_by: int | None = None
    rejected_by: int | None = None
    reject_reason: str | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    created_on: str | None = None
    total: LeaveTotal | None = None


class LeaveTypeBalance(Model):
    """What is left of one kind of leave, as the service words it (``"10 days"``)."""

    leave_type: str | None = None
    balance: str | None = None


class LeaveBalance(Model):
    """A member's leave balances over a date range, one entry per kind of leave.

    ``total_balance`` is set only when the workspace counts leave as one total.
    """

    user_id: int
    user_name: str | None = None
    leave_information: list[LeaveTypeBalance] = msgspec.field(default_factory=list)
    total_balance: str | None = None
