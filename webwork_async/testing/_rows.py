"""Stored rows shared by the API groups: lenient builders, ids, soft deletes and the links between
groups (a contract ties a member to a project; tasks list members as assignees).

The builders behind ``FakeWebWork.add_*`` apply no API validation: they only refuse what would
corrupt the state (an unknown workspace or field, a value that is not JSON-ready, a taken id).
The link functions keep derived data true when one group's change reaches another's rows: a
project's ``contracts_count`` counts its live contracts, archiving a member or a project ends its
contracts, archiving a member takes them off every task. Call everything with ``state.lock`` held.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ._endpoint import Call
from ._http import json_copy, not_found
from ._state import USER_KIND, FakeState, Row, Table, format_date, format_timestamp


def json_ready(value: Any) -> Any:
    """``datetime`` as an API timestamp, ``date`` as ``YYYY-MM-DD``, anything else unchanged."""
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return format_date(value)
    return value


#: Default row data of a builder, from the workspace and the current timestamp.
Defaults = Callable[[Row, str], dict[str, Any]]


def built_data(
    state: FakeState,
    workspace_id: int,
    what: str,
    defaults: Defaults,
    fields: Mapping[str, Any],
    allowed: Collection[str],
) -> dict[str, Any]:
    """A builder's new row data: ``defaults(workspace, now)`` updated with ``fields``, detached.

    Raises ``KeyError`` for an unknown workspace and ``TypeError`` for a field not in
    ``allowed`` or a value that is not JSON-ready (``date``/``datetime`` are formatted).
    """
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise TypeError(f"not {what} fields: {', '.join(unknown)}")
    workspace = state.workspaces.get(workspace_id)
    if workspace is None:
        raise KeyError(f"unknown workspace {workspace_id}")
    data = defaults(workspace, format_timestamp(state.now()))
    for name, value in fields.items():
        data[name] = json_ready(value)
    try:
        copied: dict[str, Any] = json_copy(data)  # detaches the caller's lists and dicts
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} fields must be JSON-ready: {exc}") from None
    return copied


def take_id(
    state: FakeState, kind: str, given: Any, taken: Callable[[int], bool], what: str
) -> int:
    """``given`` (a positive int not ``taken``, then claimed) or the next free id of ``kind``."""
    if given is None:
        new_id = state.next_id(kind)
        while taken(new_id):
            new_id = state.next_id(kind)
        return new_id
    if isinstance(given, bool) or not isinstance(given, int) or given < 1:
        raise ValueError(f"{what} id must be a positive integer, not {given!r}")
    if taken(given):
        raise ValueError(f"{what} {given} already exists")
    state.claim_id(kind, given)
    return given


@dataclass(frozen=True)
class Builder:
    """A group's lenient builder: its object kind, the fields it takes and where rows go.

    ``rows`` picks the group's table from the state; ``kind`` is the id kind of its ids, or
    :data:`USER_KIND` for a table of users keyed by ``(workspace_id, user_id)``.
    """

    what: str
    allowed: Collection[str]
    defaults: Defaults
    rows: Callable[[FakeState], Table[Any]]
    kind: str = USER_KIND

    def insert(
        self, state: FakeState, workspace_id: int, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Store ``fields`` over the defaults; return the live stored data.

        The id is ``fields["id"]`` if given, else the next free id of the kind; for users, the
        id of ``fields["email"]`` (the same user in every workspace). Raises ``KeyError`` for
        an unknown workspace, ``TypeError`` for a field not ``allowed`` or a value that is not
        JSON-ready, ``ValueError`` for a taken id (a user already in the workspace).
        """
        with state.lock:
            data = built_data(state, workspace_id, self.what, self.defaults, fields, self.allowed)
            table = self.rows(state)
            given = fields.get("id")
            what = self.what.lower()
            if self.kind != USER_KIND:
                data["id"] = take_id(state, self.kind, given, table.__contains__, what)
                table.insert(data["id"], Row(workspace_id, data))
                return data
            email = str(data["email"])
            user_id = state.user_id(email) if given is None else given
            take_id(state, USER_KIND, user_id, lambda uid: (workspace_id, uid) in table, what)
            state.users.setdefault(email.casefold(), user_id)
            data["id"] = user_id
            table.insert((workspace_id, user_id), Row(workspace_id, data))
            return data


def fresh(fields: Iterable[str], now: str, fixed: Mapping[str, Any]) -> dict[str, Any]:
    """New row data: every field null, ``created_at``/``updated_at`` now, then ``fixed``."""
    data = dict.fromkeys(fields)
    for name in ("created_at", "updated_at"):
        if name in data:
            data[name] = now
    data.update(fixed)
    return data


def link(call: Call, ids: list[int], value: int, field: str, message: str) -> None:
    """Add ``value`` to the id list ``ids``; one already there is the 422 ``message``."""
    if value in ids:
        call.reject(field, message)
    ids.append(value)


def unlink(ids: list[int], value: int, what: str, detail: str) -> None:
    """Take ``value`` off the id list ``ids``; one not there is the 404 of ``what``."""
    if value not in ids:
        raise not_found(what, detail)
    ids.remove(value)


def pick(data: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The object's ``fields`` of stored ``data`` (which may hold internal keys too)."""
    return {name: data[name] for name in fields}


def matching(items: Iterable[dict[str, Any]], **wanted: Any) -> list[dict[str, Any]]:
    """The ``items`` whose fields equal every ``wanted`` value that is not ``None`` (filters)."""
    wanted = {name: value for name, value in wanted.items() if value is not None}
    return [item for item in items if all(item[name] == value for name, value in wanted.items())]


def live(rows: Iterable[Row]) -> list[Row]:
    """The rows that are neither archived nor deleted."""
    return [row for row in rows if row.data.get("deleted_at") is None]


def shown(
    state: FakeState,
    rows: list[Row],
    render: Callable[[FakeState, Row], dict[str, Any]],
    everything: bool = False,
) -> list[dict[str, Any]]:
    """The objects ``render`` makes of the live ``rows`` (of all with ``everything``)."""
    return [render(state, row) for row in (rows if everything else live(rows))]


def soft_delete(row: Row, now: str) -> None:
    """Archive/delete ``row``: it keeps its data, with ``deleted_at`` (and ``updated_at``) set."""
    row.data["deleted_at"] = now
    if "updated_at" in row.data:
        row.data["updated_at"] = now


# --- links between groups ----------------------------------------------------------------------


def recount_contracts(state: FakeState, workspace_id: int, project_ids: Iterable[int]) -> None:
    """Set ``contracts_count`` of the workspace's ``project_ids`` to their live contracts."""
    wanted = set(project_ids)
    counts = dict.fromkeys(wanted, 0)
    for row in live(state.contracts.in_workspace(workspace_id)):
        if row.data["project_id"] in wanted:
            counts[row.data["project_id"]] += 1
    for project_id, count in counts.items():
        project = state.projects.get(project_id)
        if project is not None and project.workspace_id == workspace_id:
            project.data["contracts_count"] = count


def end_contracts(state: FakeState, workspace_id: int, now: str, **match: Any) -> None:
    """Soft-delete the workspace's live contracts whose data has ``match``; recount projects."""
    ended = [
        row
        for row in live(state.contracts.in_workspace(workspace_id))
        if all(row.data.get(name) == value for name, value in match.items())
    ]
    for row in ended:
        soft_delete(row, now)
    recount_contracts(state, workspace_id, {row.data["project_id"] for row in ended})


def unassign_everywhere(state: FakeState, workspace_id: int, user_id: int) -> None:
    """Take ``user_id`` off the assignees of every task of the workspace."""
    for row in state.tasks.in_workspace(workspace_id):
        assignees = row.data["assignee_ids"]
        if user_id in assignees:
            assignees.remove(user_id)
