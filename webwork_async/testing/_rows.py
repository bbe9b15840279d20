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
from datetime import date, datetime
from typing import Any

from ._http import json_copy
from ._state import FakeState, Row, format_date, format_timestamp


def json_ready(value: Any) -> Any:
    """``datetime`` as an API timestamp, ``date`` as ``YYYY-MM-DD``, anything else unchanged."""
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return format_date(value)
    return value


def built_data(
    state: FakeState,
    workspace_id: int,
    what: str,
    defaults: Callable[[Row], dict[str, Any]],
    fields: Mapping[str, Any],
    allowed: Collection[str],
) -> dict[str, Any]:
    """A builder's new row data: ``defaults(workspace)`` updated with ``fields``, detached.

    Raises ``KeyError`` for an unknown workspace and ``TypeError`` for a field not in
    ``allowed`` or a value that is not JSON-ready (``date``/``datetime`` are formatted).
    """
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise TypeError(f"not {what} fields: {', '.join(unknown)}")
    workspace = state.workspaces.get(workspace_id)
    if workspace is None:
        raise KeyError(f"unknown workspace {workspace_id}")
    data = defaults(workspace)
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


def pick(data: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The object's ``fields`` of stored ``data`` (which may hold internal keys too)."""
    return {name: data[name] for name in fields}


def live(rows: Iterable[Row]) -> list[Row]:
    """The rows that are neither archived nor deleted."""
    return [row for row in rows if row.data.get("deleted_at") is None]


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
