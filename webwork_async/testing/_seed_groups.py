"""Realistic data in every API group of seeded workspaces: ``FakeWebWork.seed(every_group=True)``.

Once ``seed_state`` has stored a workspace's projects, :class:`GroupSeeder` gives it members,
contracts tying them to projects, tasks, project viewers, webhooks, leave policies and leaves,
time entries on the working days of the :data:`TRACKED_DAYS` days before "today" with weekly
timesheets over them, time requests, expense categories and expenses. It draws from a random
stream of its own, so the projects stay those of a plain seed of the same seed (but for their
``contracts_count``, which counts the contracts made here, as the API's does), and it draws the
way ``_seed`` does: one ``random()`` per choice. UUIDs and webhook ids come from that stream
too, so the same seed and day on a fresh fake give the same data.

Most groups go through their lenient builders (every field given, timestamps included); time
entries, tasks and timesheets, most of the rows, are built JSON-ready and stored as they are
(``store_time_entries``, ``store_built_tasks``, ``store_built_timesheets``), so that 300
workspaces seed in about two seconds.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Final, TypeVar

from ._fields import parse_timestamp
from ._rows import (
    MANUAL_TIME,
    WEB_TRACKER,
    live,
    recount_contracts,
    store_time_entries,
    whole_minutes,
)
from ._seed import _RATES, _WEEKLY_HOURS_LIMITS, _maybe_pick
from ._state import CALLER_USER_ID, FakeState, OpaqueTable, format_date, format_timestamp
from .contracts import (
    CUSTOM_RATE,
    MEMBER_RATE,
    PROJECT_RATE,
    SCREENSHOT_LABELS,
    insert_contract,
)
from .expenses import insert_category, insert_expense
from .leaves import decide, insert_leave, insert_policy
from .members import insert_member
from .project_viewers import insert_viewer
from .tasks import store_built_tasks
from .time_requests import insert_time_request
from .timesheets import store_built_timesheets
from .webhooks import WEBHOOK_EVENTS, insert_webhook

_T = TypeVar("_T")

#: Days of time entries before "today" (today itself has none, so a change can add some).
TRACKED_DAYS: Final = 45
FIRST_NAMES: Final = (
    "Ann", "Ben", "Chloe", "Diego", "Emma", "Farah", "George", "Hana", "Ivan", "Julia", "Kofi",
    "Laura", "Mateo", "Nina", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera",
    "Wei", "Ximena", "Yusuf", "Zoe", "Liam", "Mia", "Noah", "Olga",
)  # fmt: skip
LAST_NAMES: Final = (
    "Lee", "Garcia", "Smith", "Novak", "Okafor", "Kim", "Rossi", "Muller", "Silva", "Nguyen",
    "Patel", "Cohen", "Jensen", "Kowalski", "Haddad", "Tanaka", "Brown", "Ivanova", "Dubois",
    "Lopez", "Schmidt", "Andersen", "Costa", "Yilmaz", "Murphy", "Khan",
)  # fmt: skip
_MEMBER_ROLES: Final = (
    *("Regular User",) * 6, "Project manager", "Project manager", "Team manager",
    "Executive manager",
)  # fmt: skip
_MEMBER_STATUSES: Final = (*("active",) * 8, "inactive", "left")
_TIMEZONES: Final = (
    "UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles",
    "Asia/Kolkata", "Asia/Yerevan", "Australia/Sydney",
)  # fmt: skip
TEAMS: Final = ("Development Team", "Design", "Marketing", "Support", "Sales", "Operations")
TITLES: Final = (
    "Software Engineer", "Designer", "QA Engineer", "Project Manager", "Copywriter",
    "Data Analyst", "Support Specialist", "DevOps Engineer",
)  # fmt: skip
_CONTRACT_HOURS: Final = (168, 168, 40, 40, 30, 20)
_SCREENSHOT_MODES: Final = (*("full",) * 4, *SCREENSHOT_LABELS)
_CURRENCIES: Final = (*("USD",) * 6, "EUR", "GBP")
_TASK_VERBS: Final = (
    "Write", "Review", "Design", "Fix", "Test", "Update", "Plan", "Document", "Migrate",
    "Refactor", "Prepare", "Deploy",
)  # fmt: skip
_TASK_OBJECTS: Final = (
    "landing page", "login flow", "release notes", "invoice export", "onboarding emails",
    "search filters", "API client", "dashboard charts", "pricing table", "user survey",
    "checkout form", "mobile menu", "database backups", "style guide",
)  # fmt: skip
_TASK_NOTES: Final = (
    "See the spec in the shared drive",
    "Agreed with the client on the last call",
    "Needs a review before merging",
    "Low effort, high impact",
)
_TASK_STATUSES: Final = (0, 0, 0, 10, 10, 20, 30)
_DONE: Final = frozenset({20, 30})  # a task in these statuses has its completed_at
_TASK_PRIORITIES: Final = (10, 20, 20, 30, 30, 30, 30, 40)
ACTIVITIES: Final = (
    "Feature work", "Code review", "Client call", "Bug fixing", "Design review", "Research",
    "Writing documentation", "Sprint planning", "Testing", "Deployment",
)  # fmt: skip
_METHODS: Final = (
    *("Desktop tracker",) * 6, WEB_TRACKER, WEB_TRACKER, "Mobile tracker", "Extension tracker",
    MANUAL_TIME,
)  # fmt: skip
_AVATARS: Final = tuple(f"avatar-{number}.jpg" for number in range(1, 21))
_VIEWER_STATUSES: Final = ("active", "active", "active", "inactive")
#: Leave policies a workspace may have: name, days a year, paid, hour-based.
_POLICIES: Final = (
    ("Vacation", 20, True, False),
    ("Sick leave", 10, True, False),
    ("Unpaid leave", 30, False, False),
    ("Personal hours", 5, True, True),
)
_LEAVE_NOTES: Final = (
    "Family vacation", "Doctor's appointment", "Moving house", "Wedding", "Conference trip",
)  # fmt: skip
TIMESHEET_REJECTIONS: Final = (
    "Hours do not match project requirements",
    "Please correct the hours for Monday - they seem too high",
    "Missing the client call on Thursday",
)
_LEAVE_REJECTIONS: Final = ("Insufficient leave balance", "Overlaps with the release week")
REQUEST_REJECTIONS: Final = (
    "Time entry conflicts with project schedule",
    "Please track this time with the desktop app",
)
REQUEST_NOTES: Final = (
    "Forgot to start the tracker",
    "Worked offline on the train",
    "Client workshop on site",
    "Tracker crashed during the call",
)
#: Expense categories and what is bought under each.
EXPENSES: Final = {
    "Travel": ("Train ticket", "Taxi to the client", "Flight", "Hotel night"),
    "Meals": ("Team lunch", "Client dinner", "Coffee with the client"),
    "Software": ("Design tool licence", "Cloud hosting", "Stock photos"),
    "Hardware": ("USB-C hub", "External monitor", "Keyboard"),
    "Office supplies": ("Printer paper", "Notebooks", "Whiteboard markers"),
    "Training": ("Online course", "Conference ticket", "Book"),
}
_EXPENSE_NOTES: Final = ("Receipt attached", "Billed to the client", "Approved by the lead")
#: The shortest and longest time entry, in minutes ("an hour or so").
ENTRY_MINUTES: Final = (35, 95)
_DAY_START: Final = 7 * 60  # the first entry of a day starts from 07:00 UTC...
_START_SPREAD: Final = 3 * 60  # ...to 10:00; a day's entries end before 18:00
_REQUEST_START: Final = 18 * 60  # requested time is in the evening, after the day's entries
#: A working day's hours from midnight: leave is asked for by then.
_WORKING_HOURS: Final = timedelta(hours=18)
#: When the timesheet of a week is submitted: from 08:00 to 18:00 on the next Monday.
_SUBMITTED: Final = (timedelta(days=7, hours=8), timedelta(days=7, hours=18))
#: "THH:MM:00.000000Z" of every minute of a day: a timestamp is a day and one of these.
CLOCK: Final = tuple(f"T{minute // 60:02d}:{minute % 60:02d}:00.000000Z" for minute in range(1440))


def pick(rand: Callable[[], float], options: Sequence[_T]) -> _T:
    """One of ``options``, by one draw of ``rand``."""
    return options[int(rand() * len(options))]


def maybe(u: float, probability: float, options: Sequence[_T]) -> _T | None:
    """``_maybe_pick`` that also takes no ``options`` (then ``None``)."""
    return _maybe_pick(u, probability, options) if options else None


def moment(u: float, start: datetime, end: datetime) -> datetime:
    """The whole second ``u`` of the way from ``start`` to ``end`` (``start`` if ``end`` is
    before it)."""
    return start + timedelta(seconds=int(u * max(0, int((end - start).total_seconds()))))


def midnight(day: date) -> datetime:
    """The UTC start of ``day``."""
    return datetime.combine(day, time(), timezone.utc)


def stamp(value: str) -> datetime:
    """The moment of a timestamp the seeder or the API wrote."""
    found = parse_timestamp(value)
    assert found is not None, value
    return found


#: The version (4) and variant bits of a random UUID, and the other bits' mask.
_UUID_FIXED: Final = (0x4000 << 64) | (0x8000 << 48)
_UUID_RANDOM: Final = ~((0xF000 << 64) | (0xC000 << 48))


def new_uuid(getrandbits: Callable[[int], int], table: OpaqueTable) -> str:
    """A version-4 UUID (``str(uuid.uuid4())``'s form) of seeded random bits that ``table``
    does not hold yet; built by hand, three times as fast as through ``uuid.UUID``."""
    while True:
        digits = f"{getrandbits(128) & _UUID_RANDOM | _UUID_FIXED:032x}"
        found = f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
        if not table.holds(found):
            return found


def _days(first: date, last: date) -> list[date]:
    """The days from ``first`` to ``last``, both counted."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def email_domain(workspace: dict[str, Any]) -> str:
    """The e-mail domain of a workspace's people: its name's letters and its id."""
    letters = "".join(char for char in workspace["workspace_name"].lower() if char.isalnum())
    return f"{letters}-{workspace['id']}.example.com"


@dataclass
class Site:
    """One workspace as new rows see it: the live rows they may link to."""

    id: int
    domain: str
    created: datetime
    projects: list[dict[str, Any]]
    #: Live members but the caller, and when each joined (by user id).
    members: list[dict[str, Any]] = field(default_factory=list)
    joined: dict[int, datetime] = field(default_factory=dict)
    #: Active contracts of active members on live projects, by user id.
    contracts: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    #: Live task ids by project id.
    tasks: dict[int, list[int]] = field(default_factory=dict)
    #: Days (``YYYY-MM-DD``) of approved leave by user id.
    away: dict[int, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Index the projects."""
        self._project_ids = {project["id"] for project in self.projects}

    @classmethod
    def read(cls, state: FakeState, workspace_id: int) -> Site:
        """The workspace as it is now; hold ``state.lock``."""
        workspace = state.workspaces[workspace_id].data
        projects = [row.data for row in live(state.projects.in_workspace(workspace_id))]
        site = cls(workspace_id, email_domain(workspace), stamp(workspace["created_at"]), projects)
        for row in live(state.members.in_workspace(workspace_id)):
            if row.data["id"] != CALLER_USER_ID:
                site.add_member(row.data, stamp(row.data["created_at"]))
        for row in live(state.contracts.in_workspace(workspace_id)):
            site.add_contract(row.data)
        for row in live(state.tasks.in_workspace(workspace_id)):
            site.add_task(row.data)
        for row in state.leaves.in_workspace(workspace_id):
            if row.data["status"] == "approved":
                first = date.fromisoformat(row.data["start_date"])
                last = date.fromisoformat(row.data["end_date"])
                site.away_on(row.data["user_id"], _days(first, last))
        return site

    def add_member(self, member: dict[str, Any], joined: datetime) -> None:
        """Note a live member (not the caller)."""
        self.members.append(member)
        self.joined[member["id"]] = joined

    def add_contract(self, contract: dict[str, Any]) -> None:
        """Note a live contract: time may be tracked on it if it is active, of an active
        member, on a live project."""
        user_id, project_id = contract["user_id"], contract["project_id"]
        if (
            contract["status"] == "active"
            and any(
                member["id"] == user_id and member["status"] == "active" for member in self.members
            )
            and project_id in self._project_ids
        ):
            self.contracts.setdefault(user_id, []).append(contract)

    def add_task(self, task: dict[str, Any]) -> None:
        """Note a task, if it is live and of a live project."""
        if task["deleted_at"] is None and task["project_id"] in self._project_ids:
            self.tasks.setdefault(task["project_id"], []).append(task["id"])

    def away_on(self, user_id: int, days: Iterable[date]) -> None:
        """Note the days of a member's approved leave."""
        self.away.setdefault(user_id, set()).update(format_date(day) for day in days)

    def workers(self, state: FakeState, project_id: int) -> list[int]:
        """The users under a live contract on the project (those its tasks may be assigned)."""
        return [
            row.data["user_id"]
            for row in live(state.contracts.in_workspace(self.id))
            if row.data["project_id"] == project_id
        ]


class GroupSeeder:
    """Makes realistic rows of every group, drawn from ``rng``: :meth:`fill` fills a seeded
    workspace; the ``add_*`` methods make one row each (``FakeWebWork.change_some`` too)."""

    def __init__(self, state: FakeState, rng: random.Random, today: date) -> None:
        """Make rows of ``state`` from ``rng``; time entries lie before ``today``."""
        self.state = state
        self.rng = rng
        self._rand = rng.random
        self._bits = rng.getrandbits
        self.today = today
        self._midnight = midnight(today)
        self._start = self._midnight - timedelta(days=TRACKED_DAYS)
        days = [today - timedelta(days=back) for back in range(TRACKED_DAYS, 0, -1)]
        working = [day for day in days if day.weekday() < 5]
        #: The working days before today (``YYYY-MM-DD``), oldest first.
        self.working = [format_date(day) for day in working]
        first_monday = working[0] - timedelta(days=working[0].weekday())
        self._mondays = [  # the pay periods with tracked days, and the current one
            first_monday + timedelta(weeks=week)
            for week in range((today - first_monday).days // 7 + 1)
        ]
        #: Everyone made a member so far: (email, firstname, lastname).
        self._people: list[tuple[str, str, str]] = []

    @classmethod
    def for_seed(cls, state: FakeState, seed: int, today: date) -> GroupSeeder:
        """The seeder of ``FakeWebWork.seed(seed=seed, every_group=True)``: a stream of its
        own, not the one the projects come from."""
        return cls(state, random.Random(f"every-group:{seed}"), today)

    def fill(self, workspace_id: int) -> None:
        """Give a workspace with projects only data in every group; hold ``state.lock``."""
        site = Site.read(self.state, workspace_id)
        self._members(site)
        self._contracts(site)
        self._tasks(site)
        self._viewers(site)
        self._webhooks(site)
        self._leaves(site)
        self._time(site)
        self._expenses(site)

    # -- people and projects ------------------------------------------------------------------

    def person(self, site: Site, taken: set[str]) -> tuple[str, str, str]:
        """Someone new to the workspace (e-mail not ``taken``, then taken): now and then a
        member of an earlier workspace, else a new person of this one."""
        rand, state = self._rand, self.state
        if self._people and rand() < 0.1:
            known = pick(rand, self._people)
            if known[0] not in taken and (site.id, state.users[known[0]]) not in state.members:
                taken.add(known[0])
                return known
        while True:
            first, last = pick(rand, FIRST_NAMES), pick(rand, LAST_NAMES)
            email = f"{first}.{last}@{site.domain}".lower()
            if email not in taken and email not in state.users:
                taken.add(email)
                self._people.append((email, first, last))
                return email, first, last

    def add_member(
        self, site: Site, taken: set[str], joined: datetime, until: datetime
    ) -> dict[str, Any]:
        """Store a new member who joined at ``joined`` and changed last before ``until``;
        return its stored data."""
        rand = self._rand
        email, firstname, lastname = self.person(site, taken)
        rate = _maybe_pick(rand(), 0.6, _RATES)
        fields = {
            "email": email,
            "firstname": firstname,
            "lastname": lastname,
            "avatar": _maybe_pick(rand(), 0.5, _AVATARS),
            "current_role": pick(rand, _MEMBER_ROLES),
            "timezone": pick(rand, _TIMEZONES),
            "status": pick(rand, _MEMBER_STATUSES),
            "team_name": _maybe_pick(rand(), 0.5, TEAMS),
            "title": _maybe_pick(rand(), 0.6, TITLES),
            "rate": rate,
            "rate_status": 0 if rate is None else 1,
            "weekly_hours_limit": pick(rand, _WEEKLY_HOURS_LIMITS),
            "created_at": format_timestamp(joined),
            "updated_at": format_timestamp(moment(rand(), joined, until)),
        }
        return insert_member(self.state, site.id, fields)

    def _members(self, site: Site) -> None:
        rand, taken = self._rand, set[str]()
        for _ in range(2 + int(rand() * 7)):
            joined = moment(rand(), site.created, self._start - timedelta(days=1))
            member = self.add_member(site, taken, joined, self._start)
            if rand() < 0.06:  # archived: in no list, under no contract
                member["deleted_at"] = format_timestamp(moment(rand(), joined, self._midnight))
            else:
                site.add_member(member, joined)

    def add_contract(
        self, site: Site, member: dict[str, Any], project: dict[str, Any], created: datetime
    ) -> dict[str, Any]:
        """Store a contract of the member on the project, made at ``created``; return its
        stored data. Its rate is set as ``POST /contracts`` sets one."""
        rand = self._rand
        fields: dict[str, Any] = {
            "project_id": project["id"],
            "user_id": member["id"],
            "weekly_hours_limit": pick(rand, _CONTRACT_HOURS),
            "screenshots": pick(rand, _SCREENSHOT_MODES),
            "status": "paused" if rand() < 0.1 else "active",
            "currency": pick(rand, _CURRENCIES),
            "created_at": format_timestamp(created),
            "updated_at": format_timestamp(moment(rand(), created, max(created, self._midnight))),
        }
        custom = _maybe_pick(rand(), 0.2, _RATES)
        if custom is not None:
            fields.update(rate=custom, rate_type=CUSTOM_RATE)
        elif member["rate"] is not None:
            fields.update(rate=member["rate"], rate_type=MEMBER_RATE)
        else:
            fields.update(rate=project["rate"], rate_type=PROJECT_RATE)
        contract = insert_contract(self.state, site.id, fields)
        site.add_contract(contract)
        return contract

    def _contracts(self, site: Site) -> None:
        rand, projects = self._rand, site.projects
        for member in site.members if projects else ():
            for project in self.rng.sample(projects, 1 + int(rand() * min(4, len(projects)))):
                later = max(site.joined[member["id"]], stamp(project["created_at"]))
                self.add_contract(site, member, project, moment(rand(), later, self._start))
        # The seeded counts were drawn for projects alone: now they count the contracts.
        recount_contracts(self.state, site.id, (project["id"] for project in projects))

    def task_title(self) -> str:
        """A task's title, such as "Fix checkout form"."""
        return f"{pick(self._rand, _TASK_VERBS)} {pick(self._rand, _TASK_OBJECTS)}"

    def add_task(
        self, site: Site, project_id: int, people: Sequence[int], created: datetime
    ) -> dict[str, Any]:
        """Store a task of the project made at ``created`` (changed last before today), maybe
        assigned to some of ``people`` (under contract on it), maybe a subtask of another;
        return its stored data."""
        rand = self._rand
        status = pick(rand, _TASK_STATUSES)
        start_day = created.date() + timedelta(days=int(rand() * 14))
        has_dates = rand() < 0.6
        end_day = start_day + timedelta(days=1 + int(rand() * 30))
        updated_at = format_timestamp(moment(rand(), created, self._midnight))
        data = {
            "id": 0,
            "title": self.task_title(),
            "description": _maybe_pick(rand(), 0.4, _TASK_NOTES),
            "project_id": project_id,
            "owner_id": self.state.workspaces[site.id].data["owner_id"],
            "creator_id": pick(rand, [CALLER_USER_ID, *people]),
            "status": status,
            "priority": pick(rand, _TASK_PRIORITIES),
            "start_date": format_date(start_day) if has_dates else None,
            "end_date": format_date(end_day) if has_dates else None,
            "completed_at": updated_at if status in _DONE else None,
            "parent_id": maybe(rand(), 0.15, site.tasks.get(project_id, ())),
            "created_at": format_timestamp(created),
            "updated_at": updated_at,
            "deleted_at": None,
            "assignee_ids": self.rng.sample(people, min(len(people), int(rand() * 3))),
        }
        store_built_tasks(self.state, site.id, [data])
        site.add_task(data)
        return data

    def _tasks(self, site: Site) -> None:
        rand = self._rand
        for project in site.projects:
            if rand() >= 0.5:
                continue
            people = site.workers(self.state, project["id"])
            project_created = stamp(project["created_at"])
            for _ in range(int(rand() * 9)):
                created = moment(rand(), project_created, self._midnight)
                task = self.add_task(site, project["id"], people, created)
                if rand() < 0.05:
                    task["deleted_at"] = task["updated_at"]
                    site.tasks[project["id"]].remove(task["id"])

    def add_viewer(self, site: Site, since: datetime) -> dict[str, Any] | None:
        """Store a new project viewer (a client) of some projects, one since ``since``;
        return its stored data (``None`` when the drawn person is a viewer already)."""
        rand = self._rand
        first, last = pick(rand, FIRST_NAMES), pick(rand, LAST_NAMES)
        email = f"{first}.{last}@clients.{site.domain}".lower()
        if (site.id, self.state.users.get(email)) in self.state.viewers:
            return None
        count = min(len(site.projects), 1 + int(rand() * 3))
        fields = {
            "email": email,
            "firstname": first,
            "lastname": last,
            "status": pick(rand, _VIEWER_STATUSES),
            "member_since": format_timestamp(since),
            "projects": [project["id"] for project in self.rng.sample(site.projects, count)],
        }
        return insert_viewer(self.state, site.id, fields)

    def _viewers(self, site: Site) -> None:
        rand = self._rand
        for _ in range(int(rand() * 4)):
            viewer = self.add_viewer(site, moment(rand(), site.created, self._midnight))
            if viewer is not None and rand() < 0.1:  # archived, as DELETE leaves one
                viewer.update(status="inactive", deleted_at=viewer["member_since"])

    def add_webhook(self, site: Site, number: int) -> None:
        """Store the workspace's webhook ``number`` (its URL ends with it)."""
        rand, bits = self._rand, self._bits
        webhook_id = f"{bits(48):012x}"  # 12 hex digits, as the API's look
        while self.state.webhooks.holds(webhook_id):
            webhook_id = f"{bits(48):012x}"
        fields = {
            "id": webhook_id,
            "url": f"https://hooks.{site.domain}/webwork/{number}",
            "events": self.rng.sample(WEBHOOK_EVENTS, 1 + int(rand() * 4)),
            "token": f"whsec_{bits(128):032x}",
        }
        insert_webhook(self.state, site.id, fields)

    def _webhooks(self, site: Site) -> None:
        for number in range(1, 1 + int(self._rand() * 3)):
            self.add_webhook(site, number)

    # -- leaves, time and money ---------------------------------------------------------------

    def add_leave(
        self, site: Site, policy: dict[str, Any], user_id: int, start: date
    ) -> dict[str, Any]:
        """Store a member's pending leave under the policy from ``start``, asked for before it
        (and not after today); return its stored data."""
        rand, state = self._rand, self.state
        length = 1 if policy["hour_based"] else 1 + int(rand() * 5)
        asked = midnight(min(start - timedelta(days=3 + int(rand() * 27)), self.today))
        fields: dict[str, Any] = {
            "id": new_uuid(self._bits, state.leaves),
            "user_id": user_id,
            "policy_id": policy["id"],
            "note": _maybe_pick(rand(), 0.6, _LEAVE_NOTES),
            "start_date": format_date(start),
            "end_date": format_date(start + timedelta(days=length - 1)),
            "created_on": format_timestamp(moment(rand(), asked, asked + _WORKING_HOURS)),
            "leave_period": pick(rand, (0, 0, 1, 2)) if length == 1 else 0,
        }
        if policy["hour_based"]:
            fields.update(start_time="09:00", end_time="13:00", hours_per_day=4, leave_period=0)
        return insert_leave(state, site.id, fields)

    def decide_leave(self, site: Site, leave: dict[str, Any], approve: bool) -> None:
        """Approve or reject a pending leave, as a manager does in the app."""
        status = "approved" if approve else "rejected"
        reason = None if approve else pick(self._rand, _LEAVE_REJECTIONS)
        decide(self.state, site.id, leave["id"], status, reason)
        if approve:
            first = date.fromisoformat(leave["start_date"])
            last = date.fromisoformat(leave["end_date"])
            site.away_on(leave["user_id"], _days(first, last))

    def _leaves(self, site: Site) -> None:
        rand, state = self._rand, self.state
        chosen = self.rng.sample(_POLICIES, 1 + int(rand() * 3))
        policies = [
            insert_policy(
                state,
                site.id,
                {"name": name, "days_per_year": days, "paid": paid, "hour_based": hours},
            )
            for name, days, paid, hours in chosen
        ]
        active = [member for member in site.members if member["status"] == "active"]
        for _ in range(int(rand() * 5) if active else 0):
            user_id = pick(rand, active)["id"]
            start = self.today + timedelta(days=int(rand() * 2 * TRACKED_DAYS) - TRACKED_DAYS)
            leave = self.add_leave(site, pick(rand, policies), user_id, start)
            u = rand()  # one in the past is decided, one ahead maybe
            if start < self.today:
                self.decide_leave(site, leave, u < 0.75)
            elif u < 0.5:
                self.decide_leave(site, leave, u < 0.35)

    def _time(self, site: Site) -> None:
        """Time entries, weekly timesheets and a few time requests of the members who track
        time: the active ones with an active contract."""
        tracked: dict[int, list[str]] = {}
        for user_id, contracts in site.contracts.items():
            tracked[user_id] = self._track(site, user_id, contracts)
        self._timesheets(site, list(tracked))
        rand = self._rand
        for _ in range(int(rand() * 4) if tracked else 0):
            user_id = pick(rand, list(tracked))
            if tracked[user_id]:
                request = self.add_time_request(site, user_id, pick(rand, tracked[user_id]))
                u = rand()
                if u < 0.6:  # decided a few hours later
                    decided = stamp(request["created_at"]) + timedelta(hours=1 + int(rand() * 30))
                    self.decide_time_request(site, request, u < 0.4, decided)

    def entry(
        self, site: Site, user_id: int, contracts: Sequence[dict[str, Any]], day: str, start: int
    ) -> dict[str, Any]:
        """A JSON-ready time entry of the member on one of ``contracts``, ``day`` from minute
        ``start``, for :func:`~._rows.store_time_entries` (not stored yet)."""
        rand = self._rand
        contract = pick(rand, contracts)
        project_id = contract["project_id"]
        shortest, longest = ENTRY_MINUTES
        length = shortest + int(rand() * (longest - shortest + 1))
        return {
            "id": new_uuid(self._bits, self.state.time_entries),
            "user_id": user_id,
            "contract_id": contract["id"],
            "project_id": project_id,
            "task_id": maybe(rand(), 0.5, site.tasks.get(project_id, ())),
            "activity_description": _maybe_pick(rand(), 0.6, ACTIVITIES),
            "method": pick(rand, _METHODS),
            "date": day,
            "start_time": day + CLOCK[start],
            "end_time": day + CLOCK[start + length],
            "duration_minutes": length,
        }

    def _track(self, site: Site, user_id: int, contracts: list[dict[str, Any]]) -> list[str]:
        """A few entries on most working days the member is not away; return those days."""
        rand = self._rand
        away = site.away.get(user_id, set())
        built, days = [], []
        for day in self.working:
            if day in away or rand() >= 0.9:
                continue
            days.append(day)
            minute = _DAY_START + int(rand() * _START_SPREAD)
            for _ in range(2 + int(rand() * 3)):
                entry = self.entry(site, user_id, contracts, day, minute)
                built.append(entry)
                minute += entry["duration_minutes"] + int(rand() * 25)
        store_time_entries(self.state, site.id, built)
        return days

    def _timesheets(self, site: Site, users: Sequence[int]) -> None:
        """One a week for each of ``users``, made as the week begins (so stored in the order
        of their ``created_at``, as the API lists them); those of weeks that ended before
        yesterday are mostly decided."""
        rand, state = self._rand, self.state
        built = []
        for monday in self._mondays:
            opened = midnight(monday)
            for user_id in users:
                fields: dict[str, Any] = {
                    "id": new_uuid(self._bits, state.timesheets),
                    "user_id": user_id,
                    "date_from": format_date(monday),
                    "date_to": format_date(monday + timedelta(days=6)),
                    "submitted_on": None,
                    "reject_reason": None,
                    "status": "open",
                    "created_at": format_timestamp(opened),
                    "updated_at": format_timestamp(opened),
                }
                u = rand()
                if monday + timedelta(weeks=1) < self.today and u < 0.95:
                    earliest, latest = _SUBMITTED
                    submitted = moment(rand(), opened + earliest, opened + latest)
                    fields.update(
                        status="approved" if u < 0.6 else "submitted" if u < 0.85 else "rejected",
                        submitted_on=format_timestamp(submitted),
                        updated_at=format_timestamp(submitted),
                    )
                    if fields["status"] == "rejected":
                        fields["reject_reason"] = pick(rand, TIMESHEET_REJECTIONS)
                built.append(fields)
        store_built_timesheets(state, site.id, built)

    def add_time_request(
        self, site: Site, user_id: int, day: str, asked: datetime | None = None
    ) -> dict[str, Any]:
        """Store a pending request of the member for evening time on ``day``, made at
        ``asked`` (by default later that evening or the next morning); return its data."""
        rand, state = self._rand, self.state
        contract = pick(rand, site.contracts[user_id])
        project_id = contract["project_id"]
        first = _REQUEST_START + int(rand() * 60)
        start, end = day + CLOCK[first], day + CLOCK[first + 30 + int(rand() * 120)]
        if asked is None:
            asked = stamp(end) + timedelta(minutes=5 + int(rand() * 600))
        fields: dict[str, Any] = {
            "id": new_uuid(self._bits, state.time_requests),
            "user_id": user_id,
            "contract_id": contract["id"],
            "project_id": project_id,
            "task_id": maybe(rand(), 0.4, site.tasks.get(project_id, ())),
            "start": start,
            "end": end,
            "notes": _maybe_pick(rand(), 0.8, REQUEST_NOTES),
            "activity_description": _maybe_pick(rand(), 0.5, ACTIVITIES),
            "created_at": format_timestamp(asked),
            "updated_at": format_timestamp(asked),
        }
        return insert_time_request(state, site.id, fields)

    def decide_time_request(
        self, site: Site, request: dict[str, Any], approve: bool, when: datetime
    ) -> None:
        """Approve or reject a pending request at ``when``, as its routes do: approved, its
        period is on the timeline; rejected, it has a comment."""
        request.update(
            status="approved" if approve else "rejected",
            updated_by=CALLER_USER_ID,
            updated_at=format_timestamp(when),
        )
        if not approve:
            request["comment"] = pick(self._rand, REQUEST_REJECTIONS)
            return
        start, end = stamp(request["start"]), stamp(request["end"])
        entry = {
            "id": new_uuid(self._bits, self.state.time_entries),
            "user_id": request["user_id"],
            "contract_id": request["contract_id"],
            "project_id": request["project_id"],
            "task_id": request["task_id"],
            "activity_description": request["activity_description"] or request["notes"],
            "method": MANUAL_TIME,
            "date": request["start"][:10],
            "start_time": request["start"],
            "end_time": request["end"],
            "duration_minutes": whole_minutes(start, end),
        }
        store_time_entries(self.state, site.id, [entry])

    def add_expense(self, site: Site, categories: Sequence[dict[str, Any]], day: str) -> None:
        """Store an expense of the caller or a member on ``day`` (added that afternoon),
        maybe for a project."""
        rand, state = self._rand, self.state
        category = pick(rand, categories)
        project = maybe(rand(), 0.7, site.projects)
        spenders = [CALLER_USER_ID, *(member["id"] for member in site.members)]
        fields = {
            "id": new_uuid(self._bits, state.expenses),
            "expense_name": pick(rand, EXPENSES[category["name"]]),
            "amount": round(5 + rand() * 495, 2),
            "is_billable": project is not None and rand() < 0.5,
            "user_id": pick(rand, spenders),
            "project_id": None if project is None else project["id"],
            "category_id": category["id"],
            "note": _maybe_pick(rand(), 0.3, _EXPENSE_NOTES),
            "date": day,
            "created_at": format_timestamp(
                moment(rand(), stamp(day + CLOCK[12 * 60]), stamp(day + CLOCK[20 * 60]))
            ),
        }
        insert_expense(state, site.id, fields)

    def _expenses(self, site: Site) -> None:
        rand, bits, state = self._rand, self._bits, self.state
        categories = [
            insert_category(
                state, site.id, {"id": new_uuid(bits, state.expense_categories), "name": name}
            )
            for name in self.rng.sample(list(EXPENSES), 2 + int(rand() * 3))
        ]
        for _ in range(int(rand() * 6)):
            self.add_expense(site, categories, pick(rand, self.working))
