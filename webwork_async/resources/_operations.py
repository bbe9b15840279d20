"""The API's operations as data, and the one table of argument checks every group shares.

A resource method is a signature, a docstring and one call: it hands its arguments to its
:class:`Operation`, which checks each by name (:data:`ARGUMENT_CHECKS`), puts the ids into the
path and the rest where variant B of the docs puts them (the query string of a GET, the JSON
body of any other method, DELETE included), all before anything is sent.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar
from urllib.parse import quote

from msgspec import UNSET

from webwork_async import _validation as check
from webwork_async._constants import MAX_PER_PAGE
from webwork_async.errors import InvalidArgumentError
from webwork_async.models._base import Envelope
from webwork_async.models.contracts import ContractStatus, ScreenshotMode
from webwork_async.models.leaves import LeavePeriod, LeaveStatus
from webwork_async.models.members import MemberRole, MemberStatus
from webwork_async.models.reports import AttendanceFilter
from webwork_async.models.tasks import TaskPriority, TaskStatus
from webwork_async.models.time_requests import TimeRequestStatus
from webwork_async.models.timesheets import TimesheetStatus
from webwork_async.models.webhooks import WebhookEvent

T = TypeVar("T")

Check = Callable[[str, object], object]

#: How each argument is checked, by its name in the API. An operation whose argument of the same
#: name means something else (a task's ``status`` is an int code) overrides it in ``checks``.
ARGUMENT_CHECKS: dict[str, Check] = {
    # ids: in the path, or naming another object
    "workspace_id": check.positive_id,
    "project_id": check.positive_id,
    "user_id": check.positive_id,
    "member_id": check.positive_id,
    "contract_id": check.positive_id,
    "task_id": check.positive_id,
    "viewer_id": check.positive_id,
    "parent_id": check.positive_id,
    "webhook_id": check.opaque_id,
    "timesheet_id": check.opaque_id,
    "request_id": check.opaque_id,
    "id": check.opaque_id,  # the id filter of the time groups' lists
    "time_entry_id": check.opaque_id,
    "expense_id": check.opaque_id,
    "category_id": check.opaque_id,
    "policy_id": check.positive_id,
    "users": check.positive_ids,
    "user_ids": check.positive_ids,
    "projects": check.positive_ids,
    "teams": check.positive_ids,
    "titles": check.positive_ids,
    "assignees": check.positive_ids,
    # text
    "name": check.non_empty_text,
    "title": check.non_empty_text,
    "firstname": check.non_empty_text,
    "lastname": check.non_empty_text,
    "email": check.email,
    "description": check.optional_text,
    "notes": check.optional_text,
    "icon": check.optional_text,
    "timezone": check.optional_text,
    "url": check.http_url,
    "activity_description": check.optional_text,
    "expense_name": check.non_empty_text,
    "note": check.optional_text,
    "currencies": check.choices(check.non_empty_text),
    "reason": check.non_empty_text,
    "comment": check.non_empty_text,
    # dates and numbers
    "start_date": check.calendar_date,
    "end_date": check.calendar_date,
    "deadline": check.calendar_date,
    "date": check.calendar_date,
    "date_from": check.calendar_date,
    "date_to": check.calendar_date,
    "start": check.moment,
    "end": check.moment,
    "start_time": check.time_of_day,
    "end_time": check.time_of_day,
    "estimation": check.non_negative_number,
    "budget": check.non_negative_number,
    "rate": check.non_negative_number,
    "weekly_hours_limit": check.weekly_hours,
    "amount": check.non_negative_number,
    "hours_per_day": check.non_negative_number,
    "is_billable": check.boolean,
    "include_no_task": check.boolean,
    "is_paid": check.yes_no,
    "leave_period": check.one_of(LeavePeriod),
    "rate_status": check.flag,
    "remove_avatar": check.flag,
    # documented values
    "role": check.one_of(MemberRole),
    "status": check.one_of(MemberStatus),
    "screenshots": check.one_of(ScreenshotMode),
    "priority": check.one_of(TaskPriority),
    "order_by": check.one_of(("asc", "desc")),
    "events": check.choices(check.one_of(WebhookEvent)),
}

#: Group-specific meanings of shared names, for ``Operation(checks=...)``.
#: Roles an invitation or an update may give: every role but Owner.
ASSIGNABLE_ROLE = {"role": check.one_of(r for r in MemberRole if r is not MemberRole.OWNER)}
CONTRACT_STATUS = {"status": check.one_of(ContractStatus)}
#: Task status on writes: the base codes; a list filter also takes a workspace's custom codes.
TASK_STATUS = {"status": check.one_of(TaskStatus)}
TASK_STATUS_FILTER = {"status": check.non_negative_int}
TIMESHEET_STATUS = {"status": check.one_of(TimesheetStatus)}
TIME_REQUEST_STATUS = {"status": check.one_of(TimeRequestStatus)}
LEAVE_STATUS = {"status": check.one_of(LeaveStatus)}
#: A leave runs from one day to another: ``start`` and ``end`` are dates there, not moments.
LEAVE_DAYS = {"start": check.calendar_date, "end": check.calendar_date}
#: References an update may clear with None (a time entry's project or task).
CLEARABLE_IDS = {"project_id": check.optional_id, "task_id": check.optional_id}
#: The task report filters by several projects and tasks at once.
TASK_REPORT_FILTERS = {"project_id": check.positive_ids, "task_id": check.positive_ids}
#: The attendance report's ``status`` filter takes several values.
ATTENDANCE_FILTER = {"status": check.choices(check.one_of(AttendanceFilter))}

#: Date pairs the API wants in order (end on or after start) when both are given.
_DATE_ORDER = (
    ("start_date", "deadline"),
    ("start_date", "end_date"),
    ("date_from", "date_to"),
    ("start", "end"),
)
#: Pairs of moments (and of times of day) whose end must come after their start.
_MOMENT_ORDER = (("start", "end"),)
_TIME_ORDER = (("start_time", "end_time"),)
#: Arguments that are never sent as fields: the call's own options and paging.
_NOT_FIELDS = frozenset({"self", "options", "page", "per_page", "progress", "workspace_ids"})


#: What a fan-out supplies per request, rather than the caller.
_SCOPE = frozenset({"workspace_id", "project_id"})


class Prepared(NamedTuple):
    """A checked request: its path and where its fields go."""

    path: str
    params: dict[str, object] | None
    body: dict[str, object] | None


@dataclass(frozen=True)
class Operation(Generic[T]):
    """One operation of the API: method, path template and what ``data`` decodes into.

    ``path`` names its ids in braces (``"tasks/{task_id}/assign/{user_id}"``). ``returns`` is
    the model of ``data`` (of each item, for a list), or None when the answer carries nothing
    of use. ``required`` arguments must be given (None is refused by their check); the others
    are left out when None. A ``partial`` operation (an update) leaves out what is UNSET
    instead, sends None as null (clearing the field), and needs at least one field to change.
    ``any_of`` names arguments of which at least one must be given. ``idempotent=False`` marks
    an operation that is never replayed after it may have reached the service, whatever its
    method (a PUT that approves a timesheet); None leaves it to the method. ``page_limit`` is
    the largest ``per_page`` a list takes, and the page size of a walk over all of it.
    ``max_days`` bounds the ``start_date``..``end_date`` range (both days counted). ``answer``
    makes the result from the whole envelope, for an answer that puts some of it beside
    ``data`` (``saved_minutes`` of a new time entry); by default the result is ``data``.
    """

    method: str
    path: str
    returns: Any = None
    required: frozenset[str] = frozenset({"workspace_id"})
    checks: Mapping[str, Check] = field(default_factory=dict)
    partial: bool = False
    any_of: tuple[str, ...] = ()
    idempotent: bool | None = None
    page_limit: int = MAX_PER_PAGE
    max_days: int | None = None
    answer: Callable[[Envelope[Any]], T] | None = None

    def prepare(self, arguments: Mapping[str, object], *, per_workspace: bool = False) -> Prepared:
        """Check ``arguments`` (a method's locals) and place them; raises
        :class:`~webwork_async.errors.InvalidArgumentError` naming the first bad one.

        ``per_workspace`` (``list_many``): ``workspace_id`` (and ``project_id``) are added later,
        per workspace (or project).
        """
        given = {name: value for name, value in arguments.items() if name not in _NOT_FIELDS}
        ids = {name: self._checked(name, given.pop(name)) for name in _path_ids(self.path)}
        required = self.required - _SCOPE if per_workspace else self.required
        fields: dict[str, object] = {}
        for name in required - set(given):
            self._required(name, None)  # an absent required argument
        for name, value in given.items():
            left_out = value is UNSET if self.partial else value is None
            if left_out and name not in required:
                continue
            checked = self._required if name in required else self._checked
            fields[name] = checked(name, value)
        for start, end in _DATE_ORDER:
            check.date_order(start, fields.get(start), end, fields.get(end))
        for start, end in _MOMENT_ORDER:
            check.moment_order(start, fields.get(start), end, fields.get(end))
        for start, end in _TIME_ORDER:
            check.time_order(start, fields.get(start), end, fields.get(end))
        if self.max_days is not None:
            check.date_span(
                "start_date", fields.get("start_date"), "end_date", fields.get("end_date"),
                self.max_days,
            )  # fmt: skip
        if self.any_of and not per_workspace and not set(self.any_of) & set(fields):
            raise InvalidArgumentError(self.any_of[0], f"give {' or '.join(self.any_of)}")
        if self.partial and not set(fields) - self.required:
            raise InvalidArgumentError("update", "give at least one field to change")
        path = self.path.format_map(
            {name: quote(str(value), safe="") for name, value in ids.items()}
        )
        if self.method == "GET":
            return Prepared(path, fields, None)
        return Prepared(path, None, fields)

    def _checked(self, name: str, value: object) -> object:
        return (self.checks.get(name) or ARGUMENT_CHECKS[name])(name, value)

    def _required(self, name: str, value: object) -> object:
        """A required argument, checked; None is refused even where the check lets it pass
        (a date or a time of day is optional elsewhere)."""
        checked = self._checked(name, value)
        if checked is None:
            raise InvalidArgumentError(name, "is required")
        return checked


@functools.cache
def _path_ids(template: str) -> tuple[str, ...]:
    """The names in braces of a path template, in order."""
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)
