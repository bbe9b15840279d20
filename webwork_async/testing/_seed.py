"""Deterministic, realistic-looking data for the fake server.

Everything comes from one ``random.Random(seed)``: the same seed (on a fresh fake) gives the same
workspaces, projects, ids and timestamps, so benchmarks and demos are repeatable. No wall-clock
time is used.

Seeding tens of thousands of projects has to be quick, so projects are built JSON-ready here and
stored with :func:`~.projects.store_built_projects` (no generic validation), timestamps come from
precomputed day and time-of-day strings instead of ``strftime``, and each draw is one
``random()`` call: ``int(u * n)`` picks one of ``n`` options; a ``u`` below ``p`` both decides
an event of probability ``p`` and, scaled by ``1 / p``, picks the value (``random()`` returns
multiples of 2**-53 below 1, so ``int(u / p * n) < n`` for ``u < p``).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Final, TypeVar

from ._state import FakeState, format_date
from .projects import store_built_projects
from .workspaces import create_workspace

_T = TypeVar("_T")

_COMPANY_WORDS: Final = (
    "Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
    "Pied Piper", "Cyberdyne", "Soylent", "Tyrell", "Wonka", "Aperture", "Gringotts", "Oscorp",
    "Blue Sun", "Monarch", "Dunder Mifflin",
)  # fmt: skip
_COMPANY_SUFFIXES: Final = ("Team", "Agency", "Studio", "Labs", "Inc.", "Group", "Workspace")
_AREAS: Final = (
    "Marketing", "Website", "Mobile App", "Backend", "Data Platform", "Customer Portal", "Billing",
    "Onboarding", "Security", "Design System", "Analytics", "Support", "Sales", "Infrastructure",
    "Localization", "Payments", "Search", "Reporting", "Recruiting", "Documentation",
)  # fmt: skip
_KINDS: Final = (
    "Campaign", "Redesign", "Migration", "Launch", "Audit", "Refactor", "Integration", "Rollout",
    "Research", "Maintenance", "Overhaul", "Pilot", "Upgrade", "Cleanup", "Sprint",
)  # fmt: skip
_NOTES: Final = (
    "Focus on social media channels",
    "Weekly sync with the client on Mondays",
    "Fixed-price engagement; track hours carefully",
    "Blocked until the design review is done",
    "Internal project, not billable to the client",
    "Phase 2 starts after sign-off",
)
_TAG_NAMES: Final = (
    "Marketing", "Internal", "Client", "Urgent", "R&D", "Design", "Engineering", "Maintenance",
    "Support", "Q1", "Q2", "Q3", "Q4", "Retainer", "Fixed price",
)  # fmt: skip
_COLORS: Final = ("#FF5733", "#33C1FF", "#8E44AD", "#27AE60", "#F1C40F", "#E67E22", "#95A5A6")
_WORKSPACE_NAMES: Final = tuple(
    f"{word} {suffix}" for word in _COMPANY_WORDS for suffix in _COMPANY_SUFFIXES
)
_PROJECT_NAMES: Final = tuple(f"{area} {kind}" for area in _AREAS for kind in _KINDS)
_ESTIMATIONS: Final = tuple(range(5, 2000, 5))
_BUDGETS: Final = tuple(range(500, 100_000, 100))
_ICONS: Final = tuple(f"project-icon-{number}" for number in range(1, 13))
_RATES: Final = (25, 40, 50, 65, 80, 99.5, 120)
_WEEKLY_HOURS_LIMITS: Final = (168, 168, 168, 40, 20)
_SCREENSHOTS: Final = ("blur", "blur", "blur", "full")
_TAG_COUNTS: Final = (0, 0, 1, 1, 2, 3)
_EPOCH: Final = datetime(2023, 1, 1, tzinfo=timezone.utc)
_DAY: Final = 24 * 3600
_SPAN_SECONDS: Final = 3 * 365 * _DAY
_UPDATE_SECONDS: Final = 90 * _DAY  # updated_at: up to this long after created_at
_START_DAYS: Final = (-10, 30)  # start_date: created day plus a day offset in this range
_DEADLINE_DAYS: Final = 365  # deadline: start_date plus fewer days than this
TAG_KIND: Final = "tag"


class _Calendar:
    """Dates and timestamps of seconds after ``_EPOCH``, as ``format_date``/``format_timestamp``.

    Built once from a table of every day a seeded project can use plus the 24 hours and 3600
    "MM:SS" of a day; a seeded moment has whole seconds, so its fraction is ``.000000``.
    """

    def __init__(self) -> None:
        self._first_day = _START_DAYS[0]
        last_day = (_SPAN_SECONDS + _UPDATE_SECONDS) // _DAY + _START_DAYS[1] + _DEADLINE_DAYS
        epoch_day = _EPOCH.date()
        self._days = [
            format_date(epoch_day + timedelta(days=day))
            for day in range(self._first_day, last_day + 1)
        ]
        self._hours = [f"T{hour:02d}:" for hour in range(24)]
        self._minutes_seconds = [
            f"{minute:02d}:{second:02d}.000000Z" for minute in range(60) for second in range(60)
        ]

    def formatters(self) -> tuple[Callable[[int], str], Callable[[int], str]]:
        """``(timestamp, date)``: format seconds / whole days after the epoch."""
        days, hours, minutes_seconds = self._days, self._hours, self._minutes_seconds
        first_day = self._first_day

        def timestamp(seconds: int) -> str:  # 2025-02-19T19:24:55.000000Z
            day, rest = divmod(seconds, _DAY)
            hour, rest = divmod(rest, 3600)
            return f"{days[day - first_day]}{hours[hour]}{minutes_seconds[rest]}"

        def date(day: int) -> str:  # 2024-01-15
            return days[day - first_day]

        return timestamp, date


@functools.cache
def _calendar() -> _Calendar:
    return _Calendar()


def _maybe_pick(u: float, probability: float, options: Sequence[_T]) -> _T | None:
    """With ``probability`` (``u < probability``) one of ``options`` picked by ``u``, else None."""
    return options[int(u / probability * len(options))] if u < probability else None


def _sample_tags(
    rand: Callable[[], float], pool: Sequence[dict[str, Any]], count: int
) -> list[dict[str, Any]]:
    """Copies of ``count`` distinct tags of ``pool`` in random order (values: str/int/None)."""
    if count == 0:
        return []
    if count == 1:
        return [pool[int(rand() * len(pool))].copy()]
    order = list(range(len(pool)))
    picked: list[dict[str, Any]] = []
    for position in range(count):  # a partial Fisher-Yates shuffle
        other = position + int(rand() * (len(order) - position))
        order[position], order[other] = order[other], order[position]
        picked.append(pool[order[position]].copy())
    return picked


def _projects(
    rand: Callable[[], float], count: int, tag_pool: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``count`` JSON-ready projects of one workspace, with distinct names.

    For :func:`store_built_projects`, which sets their ``id`` and ``owner_id``.
    """
    timestamp, date = _calendar().formatters()
    start_low, start_high = _START_DAYS
    used_names: set[str] = set()
    built: list[dict[str, Any]] = []
    for _ in range(count):
        created = int(rand() * _SPAN_SECONDS)
        created_at = timestamp(created)
        updated_at = timestamp(created + int(rand() * _UPDATE_SECONDS))
        start_date: str | None = None
        deadline: str | None = None
        u = rand()
        if u < 0.85:
            start_day = created // _DAY + start_low + int(u / 0.85 * (start_high - start_low))
            start_date = date(start_day)
            u = rand()
            if u < 0.75:
                deadline = date(start_day + int(u / 0.75 * _DEADLINE_DAYS))
        name = _PROJECT_NAMES[int(rand() * len(_PROJECT_NAMES))]
        if name in used_names or rand() < 0.3:
            name = f"{name} Q{1 + int(rand() * 4)} {created_at[:4]}"
        while name in used_names:
            name = f"{name} ({2 + int(rand() * 98)})"
        used_names.add(name)
        estimation = _maybe_pick(rand(), 0.7, _ESTIMATIONS)
        budget_estimation = _maybe_pick(rand(), 0.6, _BUDGETS)
        notes = _maybe_pick(rand(), 0.4, _NOTES)
        icon = _maybe_pick(rand(), 0.7, _ICONS)
        rate = _maybe_pick(rand(), 0.7, _RATES)
        tag_count = min(len(tag_pool), _TAG_COUNTS[int(rand() * len(_TAG_COUNTS))])
        built.append(
            {  # the order of PROJECT_FIELDS
                "id": 0,
                "name": name,
                "owner_id": 0,
                "start_date": start_date,
                "deadline": deadline,
                "estimation": estimation,
                "budget_estimation": budget_estimation,
                "notes": notes,
                "icon": icon,
                "is_billable": rate is not None,
                "rate": 0 if rate is None else rate,
                "weekly_hours_limit": _WEEKLY_HOURS_LIMITS[int(rand() * len(_WEEKLY_HOURS_LIMITS))],
                "screenshots": _SCREENSHOTS[int(rand() * len(_SCREENSHOTS))],
                "tags": _sample_tags(rand, tag_pool, tag_count),
                "contracts_count": int(rand() * 13),
                "status": 1,
                "created_at": created_at,
                "updated_at": updated_at,
                "deleted_at": None,
            }
        )
    return built


def seed_state(
    state: FakeState,
    *,
    workspaces: int,
    projects_per_workspace: tuple[int, int] = (0, 60),
    seed: int = 0,
    progress: Callable[[int, int], object] | None = None,
    each: Callable[[int], object] | None = None,
) -> list[int]:
    """Add ``workspaces`` workspaces, each with a random number of projects in the given range.

    Returns the new workspace ids. Most workspaces are owned by the caller; about one in eight
    has the caller as "Executive manager" (both roles may use the API, variant B).
    ``each(workspace_id)`` (more data for it) runs once its projects are stored, before
    ``progress``; it must not draw from this seeder's stream, so the projects stay the same.
    ``progress(done, total)`` is called after about every tenth of the workspaces and once at
    the end with ``(workspaces, workspaces)`` (``(0, 0)`` for none), with the state lock held.
    """
    low, high = projects_per_workspace
    if workspaces < 0 or low < 0 or high < low:
        raise ValueError("need workspaces >= 0 and 0 <= projects_per_workspace[0] <= [1]")
    rng = random.Random(seed)
    rand = rng.random
    step = max(1, -(-workspaces // 10))
    ids: list[int] = []
    with state.lock:
        for done in range(1, workspaces + 1):
            created = _EPOCH + timedelta(seconds=int(rand() * _SPAN_SECONDS))
            role = "Executive manager" if rand() < 0.125 else "Owner"
            name = _WORKSPACE_NAMES[int(rand() * len(_WORKSPACE_NAMES))]
            workspace_id = create_workspace(state, name=name, role=role, created_at=created)
            ids.append(workspace_id)
            tag_pool = [
                {
                    "id": state.next_id(TAG_KIND),
                    "name": tag_name,
                    "color": _maybe_pick(rand(), 0.8, _COLORS),
                }
                for tag_name in rng.sample(_TAG_NAMES, int(rand() * 7))
            ]
            count = low + int(rand() * (high - low + 1))
            store_built_projects(state, workspace_id, _projects(rand, count, tag_pool))
            if each is not None:
                each(workspace_id)
            if progress is not None and (done % step == 0 or done == workspaces):
                progress(done, workspaces)
        if progress is not None and workspaces == 0:
            progress(0, 0)
    return ids
