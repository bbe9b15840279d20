"""Changes between two syncs of a seeded fake: ``FakeWebWork.change_some``.

A demo of ``webwork sync`` syncs, changes the data, syncs again and shows what the second sync
picked up. :func:`change_some` updates, adds and deletes rows of every group the way the API's
routes (or, where the API has none, the app) would: archived or deleted rows leave the lists,
derived data follows (contracts end with their project, a project's ``contracts_count``, the
names shown on other rows). Which rows change, and how, depends only on the seed, the fraction
and the data, so the same call on the same data makes the same changes; new rows are made by
the every-group seeder's ``add_*`` methods, at the fake's "now".
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta
from typing import Final, TypeVar

from ._rows import end_contracts, live, soft_delete, store_time_entries
from ._seed import _PROJECT_NAMES, _projects
from ._seed_groups import (
    ACTIVITIES,
    CLOCK,
    ENTRY_MINUTES,
    TEAMS,
    TIMESHEET_REJECTIONS,
    TITLES,
    GroupSeeder,
    Site,
    midnight,
    pick,
    stamp,
)
from ._state import FakeState, Row, format_date, format_timestamp
from .projects import store_built_projects
from .tasks import STATUS_NAMES, set_status
from .webhooks import WEBHOOK_EVENTS

_T = TypeVar("_T")

#: The groups and kinds of change, as ``change_some`` counts them ("projects.updated"...).
CHANGES: Final = {
    "projects": ("updated", "added", "deleted"),
    "members": ("updated", "added"),
    "contracts": ("updated", "added", "deleted"),
    "tasks": ("updated", "added", "deleted"),
    "viewers": ("updated", "added", "deleted"),
    "webhooks": ("updated", "added", "deleted"),
    "time_entries": ("updated", "added", "deleted"),
    "timesheets": ("updated",),
    "time_requests": ("updated", "added"),
    "leaves": ("updated", "added"),
    "expenses": ("updated", "added"),
}
_FIRST_ENTRY: Final = 8 * 60  # today's first new entry starts at 08:00 UTC


def change_some(state: FakeState, *, seed: int = 0, fraction: float = 0.05) -> dict[str, int]:
    """Change about ``fraction`` of the live rows of every workspace; return the counts.

    Each live row is updated with probability ``fraction``, else (where the API can delete
    one) deleted with probability ``fraction / 2``; about ``fraction / 2`` as many rows as a
    group has are added to it. The counts, by the keys of :data:`CHANGES`, are of the rows
    that appear in, leave or change in the lists: contracts ended with their project count as
    deleted, the time of approved requests as added time entries; rows that only show another
    row's change (a renamed project's name on its contracts) do not count. Raises
    ``ValueError`` for a fraction outside 0..1.
    """
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be from 0 to 1, not {fraction!r}")
    with state.lock:
        changer = _Changer(state, random.Random(f"change-some:{seed}"), fraction)
        for workspace_id in sorted(state.workspaces):
            changer.change(workspace_id)
        return changer.counts


class _Changer:
    """Changes workspaces one by one, counting what it does."""

    def __init__(self, state: FakeState, rng: random.Random, fraction: float) -> None:
        """Change ``state`` with draws of ``rng``."""
        self._state = state
        self._rand = rng.random
        self._fraction = fraction
        self._now = state.now()
        self._stamp = format_timestamp(self._now)
        self._maker = GroupSeeder(state, rng, self._now.date())
        self.counts = {f"{group}.{kind}": 0 for group, kinds in CHANGES.items() for kind in kinds}

    def change(self, workspace_id: int) -> None:
        """Change one workspace, group by group (projects first: the rest link to them)."""
        self._projects(workspace_id)
        site = Site.read(self._state, workspace_id)
        for step in (
            self._members,
            self._contracts,
            self._tasks,
            self._viewers,
            self._webhooks,
            self._time_entries,
            self._timesheets,
            self._time_requests,
            self._leaves,
            self._expenses,
        ):
            step(site)

    # -- helpers ------------------------------------------------------------------------------

    def _count(self, group: str, kind: str, number: int = 1) -> None:
        self.counts[f"{group}.{kind}"] += number

    def _fates(self, rows: Sequence[_T], deletable: bool = True) -> tuple[list[_T], list[_T]]:
        """The ``rows`` to update and (if ``deletable``) to delete."""
        updated, deleted = [], []
        for row in rows:
            u = self._rand()
            if u < self._fraction:
                updated.append(row)
            elif deletable and u < self._fraction * 1.5:
                deleted.append(row)
        return updated, deleted

    def _additions(self, count: int) -> int:
        """How many rows to add to a group of ``count``: ``fraction / 2`` of it, rounded up or
        down at random."""
        return int(count * self._fraction / 2 + self._rand())

    def _other(self, options: Sequence[_T], current: _T) -> _T:
        """One of ``options`` that is not ``current`` (there must be another)."""
        found = pick(self._rand, options)
        while found == current:
            found = pick(self._rand, options)
        return found

    # -- the groups ---------------------------------------------------------------------------

    def _projects(self, workspace_id: int) -> None:
        state, rand = self._state, self._rand
        rows = live(state.projects.in_workspace(workspace_id))
        updated, deleted = self._fates(rows)
        for row in updated:  # PUT /projects/{id} with a new name
            name = self._other(_PROJECT_NAMES, row.data["name"])
            row.data.update(name=name, updated_at=self._stamp)
        for row in deleted:  # DELETE /projects/{id}: archived, its contracts end
            ending = [
                contract
                for contract in live(state.contracts.in_workspace(workspace_id))
                if contract.data["project_id"] == row.data["id"]
            ]
            soft_delete(row, self._stamp)
            end_contracts(state, workspace_id, self._stamp, project_id=row.data["id"])
            self._count("contracts", "deleted", len(ending))
        tags = {tag["id"]: tag for row in rows for tag in row.data["tags"]}
        added = _projects(rand, self._additions(len(rows)), list(tags.values()))
        for data in added:  # as POST /projects makes them: now, under no contract
            data.update(created_at=self._stamp, updated_at=self._stamp, contracts_count=0)
        store_built_projects(state, workspace_id, added)
        self._count("projects", "updated", len(updated))
        self._count("projects", "deleted", len(deleted))
        self._count("projects", "added", len(added))

    def _members(self, site: Site) -> None:
        owner = self._state.workspaces[site.id].data["owner_id"]
        others = [member for member in site.members if member["id"] != owner]
        updated, _ = self._fates(others, deletable=False)
        for member in updated:  # PUT /members/{id}: a new title and team
            member.update(
                title=self._other(TITLES, member["title"]),
                team_name=self._other(TEAMS, member["team_name"]),
                updated_at=self._stamp,
            )
        taken = {member["email"] for member in site.members}
        added = self._additions(len(site.members))
        for _ in range(added):  # POST /members: invited, inactive until accepted
            member = self._maker.add_member(site, taken, self._now, self._now)
            member.update(status="inactive", updated_at=self._stamp)
        self._count("members", "updated", len(updated))
        self._count("members", "added", added)

    def _contracts(self, site: Site) -> None:
        state = self._state
        rows = live(state.contracts.in_workspace(site.id))
        updated, deleted = self._fates(rows)
        for row in updated:  # PUT /contracts/{id}: paused or active again
            status = "paused" if row.data["status"] == "active" else "active"
            row.data.update(status=status, updated_at=self._stamp)
        for row in deleted:  # DELETE /contracts/{id}
            end_contracts(state, site.id, self._stamp, id=row.data["id"])
        pairs = {(row.data["user_id"], row.data["project_id"]) for row in live(rows)}
        added = 0
        for _ in range(self._additions(len(rows)) if site.members and site.projects else 0):
            member, project = pick(self._rand, site.members), pick(self._rand, site.projects)
            if (member["id"], project["id"]) not in pairs:  # one live contract per pair
                pairs.add((member["id"], project["id"]))
                self._maker.add_contract(site, member, project, self._now)
                added += 1
        self._count("contracts", "updated", len(updated))
        self._count("contracts", "deleted", len(deleted))
        self._count("contracts", "added", added)

    def _tasks(self, site: Site) -> None:
        table = self._state.tasks
        rows = [_row(table.get(task_id)) for found in site.tasks.values() for task_id in found]
        updated, deleted = self._fates(rows)
        for row in updated:  # PUT /tasks/{id} with a new status
            set_status(row.data, self._other(list(STATUS_NAMES), row.data["status"]), self._stamp)
            row.data["updated_at"] = self._stamp
        for row in deleted:  # DELETE /tasks/{id}
            soft_delete(row, self._stamp)
        added = self._additions(len(rows)) if site.projects else 0
        for _ in range(added):  # POST /tasks on a live project
            project_id = pick(self._rand, site.projects)["id"]
            workers = site.workers(self._state, project_id)
            self._maker.add_task(site, project_id, workers, self._now)
        self._count("tasks", "updated", len(updated))
        self._count("tasks", "deleted", len(deleted))
        self._count("tasks", "added", added)

    def _viewers(self, site: Site) -> None:
        rows = live(self._state.viewers.in_workspace(site.id))
        updated, deleted = self._fates(rows)
        changed = 0
        live_ids = [project["id"] for project in site.projects]
        for row in updated:  # assign-project, or unassign-project when all are assigned
            assigned = row.data["project_ids"]
            free = [project_id for project_id in live_ids if project_id not in assigned]
            shown = [project_id for project_id in assigned if project_id in live_ids]
            if free:
                assigned.append(pick(self._rand, free))
            elif shown:
                assigned.remove(pick(self._rand, shown))
            else:
                continue
            changed += 1
        for row in deleted:  # DELETE /project-viewers/{id}: archived
            soft_delete(row, self._stamp)
            row.data["status"] = "inactive"
        added = 0
        for _ in range(self._additions(len(rows))):  # POST /project-viewers
            added += self._maker.add_viewer(site, self._now) is not None
        self._count("viewers", "updated", changed)
        self._count("viewers", "deleted", len(deleted))
        self._count("viewers", "added", added)

    def _webhooks(self, site: Site) -> None:
        every = self._state.webhooks.in_workspace(site.id)
        rows = live(every)
        updated, deleted = self._fates(rows)
        for row in updated:  # PUT /webhooks/{id} with other events
            row.data["events"] = [self._other(WEBHOOK_EVENTS, row.data["events"][0])]
        for row in deleted:  # DELETE /webhooks/{id}
            soft_delete(row, self._stamp)
        added = self._additions(len(rows))
        for number in range(len(every) + 1, len(every) + 1 + added):  # POST /webhooks
            self._maker.add_webhook(site, number)
        self._count("webhooks", "updated", len(updated))
        self._count("webhooks", "deleted", len(deleted))
        self._count("webhooks", "added", added)

    def _time_entries(self, site: Site) -> None:
        table = self._state.time_entries
        rows = table.in_workspace(site.id)
        updated, deleted = self._fates(rows)
        for row in updated:  # PUT /time-entries/{id} with other notes
            description = row.data["activity_description"]
            row.data["activity_description"] = self._other(ACTIVITIES, description)
        for row in deleted:  # DELETE /time-entries/{id}: gone for good
            table.take(row.data["id"])
        self._count("time_entries", "updated", len(updated))
        self._count("time_entries", "deleted", len(deleted))
        self._count("time_entries", "added", self._track_today(site, self._additions(len(rows))))

    def _track_today(self, site: Site, wanted: int) -> int:
        """Add up to ``wanted`` entries of today, each after its member's last one today, of
        members who track time and are not away; return how many."""
        today = format_date(self._maker.today)
        trackers = [user for user in site.contracts if today not in site.away.get(user, ())]
        ends: dict[int, int] = {}  # minute of the day the member's last entry ends
        for row in self._state.time_entries.in_workspace(site.id):
            if row.data["date"] == today:
                ended = stamp(row.data["end_time"]) - midnight(self._maker.today)
                user_id = row.data["user_id"]
                ends[user_id] = max(ends.get(user_id, 0), int(ended.total_seconds()) // 60)
        built = []
        for _ in range(wanted if trackers else 0):
            user_id = pick(self._rand, trackers)
            start = max(_FIRST_ENTRY, ends.get(user_id, 0))
            if start + ENTRY_MINUTES[1] >= len(CLOCK):
                continue
            entry = self._maker.entry(site, user_id, site.contracts[user_id], today, start)
            ends[user_id] = start + entry["duration_minutes"]
            built.append(entry)
        store_time_entries(self._state, site.id, built)
        return len(built)

    def _timesheets(self, site: Site) -> None:
        rows = self._state.timesheets.in_workspace(site.id)
        candidates = [row for row in rows if row.data["status"] != "approved"]
        updated, _ = self._fates(candidates, deletable=False)
        for row in updated:  # submit, or approve or reject a submitted one
            data = row.data
            if data["status"] != "submitted":
                data.update(status="submitted", submitted_on=self._stamp)
            elif self._rand() < 0.7:
                data["status"] = "approved"
            else:
                data.update(status="rejected", reject_reason=pick(self._rand, TIMESHEET_REJECTIONS))
            data["updated_at"] = self._stamp
        self._count("timesheets", "updated", len(updated))

    def _time_requests(self, site: Site) -> None:
        rows = self._state.time_requests.in_workspace(site.id)
        pending = [row.data for row in rows if row.data["status"] == "pending"]
        updated, _ = self._fates(pending, deletable=False)
        for request in updated:  # approve (its time goes on the timeline) or reject
            approve = self._rand() < 0.7
            self._maker.decide_time_request(site, request, approve, self._now)
            self._count("time_entries", "added", int(approve))
        added = self._additions(len(rows)) if site.contracts else 0
        day = self._maker.working[-1]  # evening time of the last working day
        for _ in range(added):  # POST /time-requests
            user_id = pick(self._rand, list(site.contracts))
            self._maker.add_time_request(site, user_id, day, self._now)
        self._count("time_requests", "updated", len(updated))
        self._count("time_requests", "added", added)

    def _leaves(self, site: Site) -> None:
        state = self._state
        rows = state.leaves.in_workspace(site.id)
        pending = [row.data for row in rows if row.data["status"] == "pending"]
        updated, _ = self._fates(pending, deletable=False)
        for leave in updated:  # decided in the app
            self._maker.decide_leave(site, leave, self._rand() < 0.7)
        policies = [row.data for row in state.leave_policies.in_workspace(site.id)]
        active = [member for member in site.members if member["status"] == "active"]
        added = self._additions(len(rows)) if policies and active else 0
        for _ in range(added):  # POST /leaves: pending, within the next weeks
            start = self._maker.today + timedelta(days=7 + int(self._rand() * 60))
            policy, member = pick(self._rand, policies), pick(self._rand, active)
            self._maker.add_leave(site, policy, member["id"], start)
        self._count("leaves", "updated", len(updated))
        self._count("leaves", "added", added)

    def _expenses(self, site: Site) -> None:
        state = self._state
        rows = state.expenses.in_workspace(site.id)
        updated, _ = self._fates(rows, deletable=False)
        for row in updated:  # PUT /expenses/{id} with another amount
            row.data["amount"] = round(row.data["amount"] + 1 + self._rand() * 50, 2)
        categories = [row.data for row in state.expense_categories.in_workspace(site.id)]
        added = self._additions(len(rows)) if categories else 0
        for _ in range(added):  # POST /expenses of today
            self._maker.add_expense(site, categories, format_date(self._maker.today))
        self._count("expenses", "updated", len(updated))
        self._count("expenses", "added", added)


def _row(row: Row | None) -> Row:
    """A row known to be there."""
    assert row is not None
    return row
