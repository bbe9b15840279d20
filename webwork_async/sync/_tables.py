"""What ``webwork sync`` copies: one table per API group, declared once, its columns read from
the group's model.

A table is filled by units: one per (table, workspace). A unit walks its *parts* in order (a
sweep has one part; tasks one per project, time entries one per user and day with tracked
time) and each part page by page; the checkpoint is (part, page). Entity groups are full sweeps;
time groups cover a date window and mark deleted only the rows inside it.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
from msgspec import inspect as types

from webwork_async import models

__all__ = ["TABLES", "Column", "ColumnKind", "Table", "TrackedHoursEntry", "table_named"]

#: How a value is stored: each backend maps a kind to its own SQL type.
ColumnKind = Literal["int", "float", "bool", "text", "datetime", "date", "json"]

#: How a unit is filled (see the module docstring).
Fill = Literal["account", "sweep", "per_project", "window", "report", "per_user_day"]


@dataclass(frozen=True)
class Column:
    """A typed column of a model field."""

    name: str
    kind: ColumnKind


@dataclass(frozen=True)
class Table:
    """One synced API group.

    Attributes:
        name: the table, and the session's group (``ww.<name>``) that fills it.
        model: the model its rows decode into; one column per field.
        fill: how its units are filled.
        day_fields: for time data, the model fields whose dates place a row in a window
            (start, end); a row counts as inside a window when both lie in it.
        widen_days: days a window is widened by at each end for this group (pay periods
            reach past the days asked for).
        secret_fields: fields never stored (not as a column, not in ``_raw``).
        needs: the table whose rows give this one's parts; synced first, in the same run.
    """

    name: str
    model: type[msgspec.Struct]
    fill: Fill
    day_fields: tuple[str, str] | None = None
    widen_days: int = 0
    secret_fields: frozenset[str] = frozenset()
    needs: str | None = None
    columns: tuple[Column, ...] = field(init=False)

    def __post_init__(self) -> None:
        info = types.type_info(self.model)
        assert isinstance(info, types.StructType)
        found = tuple(
            Column(f.name, _kind(f.type)) for f in info.fields if f.name not in self.secret_fields
        )
        object.__setattr__(self, "columns", found)

    @property
    def windowed(self) -> bool:
        """Whether the table holds time data, synced in date windows."""
        return self.day_fields is not None

    @property
    def id_kind(self) -> ColumnKind:
        return next(column.kind for column in self.columns if column.name == "id")

    def days(self, item: Any) -> tuple[datetime.date | None, datetime.date | None]:
        """The dates that place ``item`` in a window (None when it has none)."""
        if self.day_fields is None:
            return None, None
        start, end = (_as_date(getattr(item, name)) for name in self.day_fields)
        return start, end or start


def _kind(info: types.Type) -> ColumnKind:
    """The column kind of a field's type: nullable scalars keep their type, the rest is JSON."""
    if isinstance(info, types.UnionType):
        members = [t for t in info.types if not isinstance(t, types.NoneType)]
        kinds = {_kind(t) for t in members}
        if kinds == {"int", "float"}:
            return "float"
        return kinds.pop() if len(kinds) == 1 else "json"
    simple: Mapping[type[types.Type], ColumnKind] = {
        types.IntType: "int",
        types.FloatType: "float",
        types.BoolType: "bool",
        types.StrType: "text",
        types.DateTimeType: "datetime",
        types.DateType: "date",
    }
    if type(info) in simple:
        return simple[type(info)]
    if isinstance(info, types.EnumType):
        values = {member.value for member in info.cls}
        return "int" if all(isinstance(v, int) for v in values) else "text"
    if isinstance(info, types.LiteralType):
        return "int" if all(isinstance(v, int) for v in info.values) else "text"
    return "json"


def _as_date(value: object) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


class TrackedHoursEntry(models.TrackedHoursRow, kw_only=True):
    """A row of the tracked-hours report with the key it is stored under: the report has no
    ids, so the row's day, user, project and contract make one."""

    id: str

    @classmethod
    def of(cls, row: models.TrackedHoursRow) -> TrackedHoursEntry:
        key = f"{row.day}/{row.user_id}/{row.project_id}/{row.contract_id}"
        return cls(id=key, **msgspec.structs.asdict(row))


#: Every synced group, in the order a workspace is synced: a table comes after the tables its
#: parts are read from (tasks after projects, time entries after tracked hours).
TABLES: tuple[Table, ...] = (
    Table("workspaces", models.Workspace, "account"),
    Table("members", models.Member, "sweep"),
    Table("projects", models.Project, "sweep"),
    Table("contracts", models.Contract, "sweep"),
    Table("tasks", models.Task, "per_project", needs="projects"),
    Table("project_viewers", models.ProjectViewer, "sweep"),
    Table("webhooks", models.Webhook, "sweep", secret_fields=frozenset({"token"})),
    Table("tracked_hours", TrackedHoursEntry, "report", day_fields=("date", "date")),
    Table(
        "time_entries",
        models.TimeEntry,
        "per_user_day",
        day_fields=("date", "date"),
        needs="tracked_hours",
    ),
    # The fake (and maybe the service) lists a timesheet only when its whole period lies in
    # the range asked for: widened by a month, the window sees every period that touches it.
    Table(
        "timesheets", models.Timesheet, "window", day_fields=("date_from", "date_to"), widen_days=31
    ),
    Table("time_requests", models.TimeRequest, "window", day_fields=("start", "end")),
    Table("leaves", models.Leave, "window", day_fields=("start_date", "end_date")),
    Table("expenses", models.Expense, "window", day_fields=("expense_date", "expense_date")),
)


def table_named(name: str) -> Table:
    """The table of a group name; KeyError names the known ones."""
    for table in TABLES:
        if table.name == name:
            return table
    raise KeyError(f"no synced group {name!r}; known: {', '.join(t.name for t in TABLES)}")
