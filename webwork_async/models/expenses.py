"""Models of the Expenses group (reference-time §6)."""

from __future__ import annotations

import enum

from webwork_async.models._base import Model

__all__ = ["Expense", "ExpenseType"]


class ExpenseType(str, enum.Enum):
    """Whether an expense is billed to the client (``Expense.type``)."""

    BILLABLE = "billable"
    NON_BILLABLE = "non-billable"


class Expense(Model):
    """An expense as the service shows it: names rather than ids for its member, project and
    category, and dates formatted for display (``"Jan 15, 2024"``), kept as the text sent.

    ``added_dte`` (sic) is the day it was added.
    """

    id: str
    expense_name: str | None = None
    amount: float | None = None
    type: str | None = None
    member: str | None = None
    project: str | None = None
    category: str | None = None
    note: str | None = None
    expense_date: str | None = None
    added_dte: str | None = None
