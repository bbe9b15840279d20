"""The sync's decisions as pure functions: which token syncs a workspace, which days a window
covers, what a table's columns are."""

from __future__ import annotations

import datetime

from webwork_async.sync import SyncOptions, UnitState, assign_workspaces, table_named, window_of

TODAY = datetime.date(2026, 12, 1)


def test_each_workspace_goes_to_one_token_that_sees_it_balanced() -> None:
    shared = [(w, "Owner") for w in range(1, 101)]
    assigned = assign_workspaces([shared, shared, shared])
    assert sorted(assigned) == list(range(1, 101))
    loads = [list(assigned.values()).count(token) for token in range(3)]
    assert max(loads) - min(loads) <= 1


def test_a_workspace_seen_by_one_token_only_goes_to_it_and_the_rest_balance_around() -> None:
    only_first = [(w, "Owner") for w in range(1, 11)]
    both = [(w, "Owner") for w in range(11, 31)]
    assigned = assign_workspaces([only_first + both, both])
    assert all(assigned[w] == 0 for w in range(1, 11))
    loads = [list(assigned.values()).count(token) for token in range(2)]
    assert loads == [15, 15]


def test_an_owners_token_is_preferred_to_a_regular_members() -> None:
    assigned = assign_workspaces([[(7, "Regular User")], [(7, "Owner")], [(7, "Regular User")]])
    assert assigned == {7: 1}
    assert assign_workspaces([[(8, "Regular User")]]) == {8: 0}  # still tried, and reported


def _done(table: str, start: str, end: str, status: str = "done") -> UnitState:
    return UnitState(
        table,
        1,
        run_id=1,
        sweep=1,
        status=status,  # type: ignore[arg-type]
        window_start=datetime.date.fromisoformat(start),
        window_end=datetime.date.fromisoformat(end),
    )


def test_windows_start_30_days_back_then_look_back_from_the_last_end() -> None:
    leaves = table_named("leaves")
    assert window_of(leaves, None, SyncOptions(), TODAY) == (
        datetime.date(2026, 11, 1),
        TODAY,
    )
    previous = _done("leaves", "2026-10-01", "2026-11-20")
    assert window_of(leaves, previous, SyncOptions(), TODAY) == (datetime.date(2026, 11, 13), TODAY)
    longer = SyncOptions(look_back_days=30)
    assert window_of(leaves, previous, longer, TODAY)[0] == datetime.date(2026, 10, 21)
    since = SyncOptions(since=datetime.date(2025, 1, 1))
    assert window_of(leaves, previous, since, TODAY) == (datetime.date(2025, 1, 1), TODAY)
    full = SyncOptions(full=True)
    assert window_of(leaves, previous, full, TODAY)[0] == datetime.date(2026, 11, 1)


def test_a_failed_window_is_fetched_again_whole() -> None:
    leaves = table_named("leaves")
    failed = _done("leaves", "2026-10-01", "2026-11-20", status="failed")
    assert window_of(leaves, failed, SyncOptions(), TODAY)[0] == datetime.date(2026, 10, 1)


def test_timesheet_windows_are_widened_by_a_month_each_way() -> None:
    timesheets = table_named("timesheets")
    start, end = window_of(timesheets, None, SyncOptions(), TODAY)
    assert (start, end) == (datetime.date(2026, 10, 1), datetime.date(2027, 1, 1))
    previous = _done("timesheets", str(start), str(end))
    assert window_of(timesheets, previous, SyncOptions(), TODAY)[0] == datetime.date(2026, 10, 24)


def test_columns_are_typed_from_the_models_and_secrets_are_left_out() -> None:
    kinds = {c.name: c.kind for c in table_named("projects").columns}
    assert kinds["id"] == "int" and kinds["name"] == "text" and kinds["tags"] == "json"
    assert kinds["start_date"] == "date" and kinds["created_at"] == "datetime"
    assert kinds["is_billable"] == "bool" and kinds["estimation"] == "float"
    assert "token" not in {c.name for c in table_named("webhooks").columns}
    assert {c.name for c in table_named("tracked_hours").columns} >= {"id", "date", "user_id"}
