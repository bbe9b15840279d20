"""``FakeWebWork.seed(every_group=True)`` and ``change_some``, checked over HTTP: every group's
list answers the seeded rows, the same seed gives the same data, and a change shows in the
lists as an updated, an added and a deleted row."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import fake_checks as check
import pytest
from fake_helpers import Api

from webwork_async.testing import FakeWebWork

#: "Today" of the seeds: a Wednesday, so the window ends mid-week.
TODAY = date(2026, 3, 18)
FIRST_DAY = TODAY - timedelta(days=45)
SEED = {"workspaces": 6, "projects_per_workspace": (3, 12), "seed": 4}
#: sha256 of the projects and members of ``seed(workspaces=20, seed=7)`` before every_group:
#: benchmarks and tests rely on that data staying the same.
PLAIN_SEED_DIGEST = "5d1debe7859879bbfa9366d89330f3690303f087824727b8882cf062228271c4"
METHODS = {
    "Desktop tracker", "Web tracker", "Mobile tracker", "Extension tracker",
    "Manually added time",
}  # fmt: skip

#: Each group: the fake's reader of one workspace's rows (what its list route answers).
Reader = Callable[[FakeWebWork, int], list[dict[str, Any]]]


def _live_tasks(fake: FakeWebWork, ws: int) -> list[dict[str, Any]]:
    """Tasks of the live projects: those ``GET /tasks`` can answer."""
    live = {project["id"] for project in fake.projects(ws)}
    return [task for task in fake.tasks(ws) if task["project_id"] in live]


READERS: dict[str, Reader] = {
    "projects": lambda fake, ws: fake.projects(ws),
    "members": lambda fake, ws: fake.members(ws),
    "contracts": lambda fake, ws: fake.contracts(ws),
    "tasks": _live_tasks,
    "viewers": lambda fake, ws: fake.viewers(ws),
    "webhooks": lambda fake, ws: fake.webhooks(ws),
    "time_entries": lambda fake, ws: fake.time_entries(ws),
    "timesheets": lambda fake, ws: fake.timesheets(ws),
    "time_requests": lambda fake, ws: fake.time_requests(ws),
    "leaves": lambda fake, ws: fake.leaves(ws),
    "expenses": lambda fake, ws: fake.expenses(ws),
}
#: The list route of each group and its success message.
ROUTES = {
    "projects": ("projects", "Projects retrieved successfully"),
    "members": ("members", "Members retrieved successfully"),
    "contracts": ("contracts", "Contracts retrieved successfully"),
    "tasks": ("tasks", "Tasks retrieved successfully"),
    "viewers": ("project-viewers", "Project viewers retrieved successfully"),
    "webhooks": ("webhooks", "Webhooks retrieved successfully"),
    "time_entries": ("time-entries", "Time entries retrieved successfully"),
    "timesheets": ("timesheets", "Timesheets retrieved successfully"),
    "time_requests": ("time-requests", "Time requests retrieved successfully"),
    "leaves": ("leaves", "Leaves retrieved successfully"),
    "expenses": ("expenses", "Expenses retrieved successfully"),
}


def seed_groups(fake: FakeWebWork, *, every_group: bool = True, **changes: Any) -> list[int]:
    """Seed ``fake`` as :data:`SEED` (with ``changes``) says, every group too by default."""
    return fake.seed(**{**SEED, **changes}, every_group=every_group, today=TODAY)


async def served(api: Api, group: str, ws: int, **params: Any) -> list[dict[str, Any]]:
    """Every row the group's list route answers (one page holds them all)."""
    path, message = ROUTES[group]
    per_page = 50 if group == "time_entries" else 100
    reply = await api.get(path, workspace_id=ws, per_page=per_page, **params)
    items: list[dict[str, Any]] = check.success(reply, message)
    assert reply.body["meta"]["pagination"]["total"] == len(items)
    return items


async def served_like(api: Api, group: str, ws: int, row: dict[str, Any]) -> list[Any]:
    """The list ``row`` of ``group`` is (or was) in: a project's tasks, a day's entries."""
    if group == "tasks":
        return await served(api, group, ws, project_id=row["project_id"])
    if group == "time_entries":
        return await served(api, group, ws, user_id=row["user_id"], date=row["date"])
    return await served(api, group, ws)


def snapshot(fake: FakeWebWork, ids: list[int]) -> dict[str, dict[tuple[int, Any], Any]]:
    """Every group's rows of the workspaces, by workspace and id (a user may be a member of
    several workspaces)."""
    return {
        group: {(ws, row["id"]): row for ws in ids for row in read(fake, ws)}
        for group, read in READERS.items()
    }


def minutes_between(start: str, end: str) -> int:
    moments = [check.moment(value) for value in (start, end)]
    return int((moments[1] - moments[0]).total_seconds()) // 60


# --- seeding -------------------------------------------------------------------------------------


async def test_every_group_lists_the_seeded_rows(fake: FakeWebWork, api: Api) -> None:
    ids = seed_groups(fake)
    totals = dict.fromkeys(ROUTES, 0)
    for ws in ids:
        for group in ROUTES.keys() - {"projects", "tasks", "time_entries"}:
            rows = await served(api, group, ws)
            assert rows == READERS[group](fake, ws), group
            totals[group] += len(rows)
        projects = await served(api, "projects", ws)
        assert projects == fake.projects(ws)
        assert 3 <= len(projects) <= 12
        totals["projects"] += len(projects)
        for project in projects:
            tasks = await served(api, "tasks", ws, project_id=project["id"])
            assert tasks == fake.tasks(ws, project["id"])
            totals["tasks"] += len(tasks)
        entries = fake.time_entries(ws)
        user_id, day = entries[0]["user_id"], entries[0]["date"]
        listed = await served(api, "time_entries", ws, user_id=user_id, date=day)
        mine = [entry for entry in entries if (entry["user_id"], entry["date"]) == (user_id, day)]
        assert listed == sorted(mine, key=lambda entry: entry["start_time"])
        assert 2 <= len(listed) <= 5
        totals["time_entries"] += len(entries)
        reply = await api.get(
            "reports/tracked-hours",
            workspace_id=ws,
            start_date=FIRST_DAY.isoformat(),
            end_date=TODAY.isoformat(),
        )
        report = check.success(reply, "Tracked hours report retrieved successfully")
        assert report["total"]["total_minutes"] == sum(e["duration_minutes"] for e in entries)
        assert sorted(report["days"]) == sorted({entry["date"] for entry in entries})
    assert all(total > 0 for total in totals.values()), totals


async def test_seeded_rows_link_up_as_the_api_keeps_them(fake: FakeWebWork, api: Api) -> None:
    ids = seed_groups(fake)
    roles = {item["id"]: item["role"] for item in (await api.get("workspaces")).body["data"]}
    for ws in ids:
        members = {member["id"]: member for member in await served(api, "members", ws)}
        assert members[100]["current_role"] == roles[ws]  # the caller
        assert 2 <= len(members) <= 9  # and 2-8 people, some archived
        projects = {project["id"]: project for project in await served(api, "projects", ws)}
        contracts = await served(api, "contracts", ws)
        for contract in contracts:
            assert contract["user_email"] == members[contract["user_id"]]["email"]
            assert contract["project_name"] == projects[contract["project_id"]]["name"]
        for project in projects.values():
            on_it = {c["user_id"] for c in contracts if c["project_id"] == project["id"]}
            assert project["contracts_count"] == len(on_it)
            for task in await served(api, "tasks", ws, project_id=project["id"]):
                assert {person["id"] for person in task["assignees"]} <= on_it
                assert (task["completed_at"] is not None) == (task["status"] in (20, 30))
        for viewer in await served(api, "viewers", ws):
            assert viewer["id"] not in members
            assert all(item["project_id"] in projects for item in viewer["projects"])
        for webhook in await served(api, "webhooks", ws):
            assert re.fullmatch(r"[0-9a-f]{12}", webhook["id"])
            assert re.fullmatch(r"whsec_[0-9a-f]{32}", webhook["token"])
            assert webhook["url"].startswith("https://hooks.")
        for group in ("time_entries", "timesheets", "time_requests", "leaves", "expenses"):
            for row in READERS[group](fake, ws):
                assert uuid.UUID(row["id"]).version == 4
                assert str(uuid.UUID(row["id"])) == row["id"]
    everyone = [member for ws in ids for member in fake.members(ws)]
    assert {member["current_role"] for member in everyone} >= {"Owner", "Regular User"}
    assert {member["status"] for member in everyone} >= {"active", "inactive"}
    assert len({member["id"] for member in everyone}) > len(ids) * 3


def test_time_entries_fill_the_working_days_before_today(fake: FakeWebWork) -> None:
    ids = seed_groups(fake)
    first, last = FIRST_DAY.isoformat(), (TODAY - timedelta(days=1)).isoformat()
    for ws in ids:
        entries = fake.time_entries(ws)
        requested = {(request["start"], request["end"]) for request in fake.time_requests(ws)}
        by_user: dict[int, list[dict[str, Any]]] = {}
        for entry in entries:
            by_user.setdefault(entry["user_id"], []).append(entry)
            assert first <= entry["date"] <= last
            assert date.fromisoformat(entry["date"]).weekday() < 5
            assert entry["method"] in METHODS
            assert entry["project_name"] is not None
            length = minutes_between(entry["start_time"], entry["end_time"])
            assert entry["duration_minutes"] == length
            if (entry["start_time"], entry["end_time"]) not in requested:
                assert 35 <= length <= 95  # "an hour or so"
        for mine in by_user.values():  # no member is in two places at once
            periods = sorted((entry["start_time"], entry["end_time"]) for entry in mine)
            assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(periods))
            assert len({entry["date"] for entry in mine}) >= 20  # most of the 32 working days
        for sheet in fake.timesheets(ws):
            assert date.fromisoformat(sheet["date_from"]).weekday() == 0
            in_period = [
                entry
                for entry in by_user.get(sheet["user_id"], [])
                if sheet["date_from"] <= entry["date"] <= sheet["date_to"]
            ]
            assert sheet["total_minutes"] == sum(entry["duration_minutes"] for entry in in_period)
            if sheet["date_to"] >= TODAY.isoformat():
                assert sheet["status"] == "open"
        for request in fake.time_requests(ws):
            approved = request["status"] == "approved"
            on_timeline = [
                entry
                for entry in entries
                if (entry["start_time"], entry["end_time"]) == (request["start"], request["end"])
            ]
            assert len(on_timeline) == (1 if approved else 0)
    statuses = [sheet["status"] for ws in ids for sheet in fake.timesheets(ws)]
    assert {"open", "approved", "submitted"} <= set(statuses)


def test_the_same_seed_gives_the_same_data() -> None:
    first, second, other = FakeWebWork(), FakeWebWork(), FakeWebWork()
    ids = seed_groups(first)
    assert seed_groups(second) == ids
    seed_groups(other, seed=5)
    ours, theirs = snapshot(first, ids), snapshot(other, ids)
    assert snapshot(second, ids) == ours
    assert all(ours[group] != theirs[group] for group in READERS)


def test_a_plain_seed_makes_the_data_it_always_made() -> None:
    fake = FakeWebWork()
    ids = fake.seed(workspaces=20, seed=7)
    data = [fake.projects(ws) for ws in ids] + [fake.members(ws) for ws in ids]
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    assert digest == PLAIN_SEED_DIGEST
    assert all(fake.contracts(ws) == fake.time_entries(ws) == [] for ws in ids)


def test_every_group_keeps_the_projects_but_counts_their_contracts() -> None:
    plain, grouped = FakeWebWork(), FakeWebWork()
    ids = seed_groups(plain, every_group=False)
    assert seed_groups(grouped) == ids
    for ws in ids:
        uncounted = [{**project, "contracts_count": 0} for project in plain.projects(ws)]
        assert [{**project, "contracts_count": 0} for project in grouped.projects(ws)] == uncounted
        for project in grouped.projects(ws):
            contracts = grouped.contracts(ws, project_id=project["id"])
            assert project["contracts_count"] == len(contracts)
        assert grouped.members(ws)[0] == plain.members(ws)[0]  # the caller
        assert len(plain.members(ws)) == 1


def test_today_defaults_to_the_day_in_utc() -> None:
    fake = FakeWebWork()
    (ws,) = fake.seed(workspaces=1, projects_per_workspace=(5, 5), seed=1, every_group=True)
    today = datetime.now(timezone.utc).date()
    days = sorted({entry["date"] for entry in fake.time_entries(ws)})
    assert (today - timedelta(days=45)).isoformat() <= days[0]
    assert days[-1] < today.isoformat()


# --- change_some -------------------------------------------------------------------------------


async def test_change_some_updates_adds_and_deletes_in_every_group(
    fake: FakeWebWork, api: Api
) -> None:
    ids = seed_groups(fake)
    before = snapshot(fake, ids)
    counts = fake.change_some(seed=3, fraction=0.5)
    after = snapshot(fake, ids)
    assert all(count > 0 for count in counts.values()), counts
    assert {key.partition(".")[0] for key in counts} == set(READERS)
    archived = {key[1] for key in before["projects"].keys() - after["projects"].keys()}
    for group in READERS:
        old, new = before[group], after[group]
        added = [key for key in new if key not in old]
        gone = [key for key in old if key not in new]
        if group == "tasks":  # those of archived projects are out of reach, not deleted
            gone = [key for key in gone if old[key]["project_id"] not in archived]
        changed = [key for key in new if key in old and new[key] != old[key]]
        assert len(added) == counts.get(f"{group}.added", 0), group
        assert len(gone) == counts.get(f"{group}.deleted", 0), group
        assert len(changed) >= counts[f"{group}.updated"] > 0, group
        (ws, _), row = changed[0], new[changed[0]]  # listed as it is now, not as it was
        listed = await served_like(api, group, ws, row)
        assert row in listed
        assert old[changed[0]] not in listed
        for ws, row_id in added[:1]:
            row = new[ws, row_id]
            assert row in await served_like(api, group, ws, row), group
        for ws, row_id in gone[:1]:
            listed = await served_like(api, group, ws, old[ws, row_id])
            assert row_id not in {item["id"] for item in listed}, group


def test_change_some_is_deterministic_and_tracks_time_today() -> None:
    first, second = FakeWebWork(), FakeWebWork()
    ids = seed_groups(first)
    seed_groups(second)
    before = snapshot(first, ids)["time_entries"]
    counts = first.change_some(seed=9, fraction=0.2)
    assert second.change_some(seed=9, fraction=0.2) == counts
    ours, theirs = snapshot(first, ids), snapshot(second, ids)
    assert all(set(ours[group]) == set(theirs[group]) for group in READERS)
    added = [row for key, row in ours["time_entries"].items() if key not in before]
    assert len(added) == counts["time_entries.added"]
    today = datetime.now(timezone.utc).date()
    tracked_today = [row for row in added if row["date"] == today.isoformat()]
    assert tracked_today
    for row in added:  # today's, or the evening time of an approved request
        assert row["date"] == today.isoformat() or row["method"] == "Manually added time"
    assert first.change_some(seed=10, fraction=0.0) == dict.fromkeys(counts, 0)


@pytest.mark.parametrize("fraction", [-0.1, 1.5])
def test_change_some_refuses_a_fraction_outside_0_to_1(fraction: float) -> None:
    with pytest.raises(ValueError, match="fraction"):
        FakeWebWork().change_some(fraction=fraction)
