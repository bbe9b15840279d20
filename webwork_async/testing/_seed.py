"""Deterministic, realistic-looking data for the fake server.

Everything comes from one ``random.Random(seed)``: the same seed (on a fresh fake) gives the same
workspaces, projects, ids and timestamps, so benchmarks and demos are repeatable. No wall-clock
time is used.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from typing import Any, Final

from ._state import FakeState
from .projects import insert_project
from .workspaces import create_workspace

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
_EPOCH: Final = datetime(2023, 1, 1, tzinfo=timezone.utc)
_SPAN_SECONDS: Final = 3 * 365 * 24 * 3600
TAG_KIND: Final = "tag"


def _moment(rng: random.Random) -> datetime:
    return _EPOCH + timedelta(seconds=rng.randrange(_SPAN_SECONDS))


def _maybe(rng: random.Random, probability: float) -> bool:
    return rng.random() < probability


def _project_fields(
    rng: random.Random, tag_pool: list[dict[str, Any]], used_names: set[str]
) -> dict[str, Any]:
    created = _moment(rng)
    updated = created + timedelta(seconds=rng.randrange(0, 90 * 24 * 3600))
    start: date | None = None
    deadline: date | None = None
    if _maybe(rng, 0.85):
        start = (created + timedelta(days=rng.randrange(-10, 30))).date()
        if _maybe(rng, 0.75):
            deadline = start + timedelta(days=rng.randrange(0, 365))
    name = f"{rng.choice(_AREAS)} {rng.choice(_KINDS)}"
    if name in used_names or _maybe(rng, 0.3):
        name = f"{name} Q{rng.randint(1, 4)} {created.year}"
    while name in used_names:
        name = f"{name} ({rng.randint(2, 99)})"
    used_names.add(name)
    billable = _maybe(rng, 0.7)
    tag_count = min(len(tag_pool), rng.choice((0, 0, 1, 1, 2, 3)))
    return {
        "name": name,
        "start_date": start,
        "deadline": deadline,
        "estimation": rng.randrange(5, 2000, 5) if _maybe(rng, 0.7) else None,
        "budget_estimation": rng.randrange(500, 100_000, 100) if _maybe(rng, 0.6) else None,
        "notes": rng.choice(_NOTES) if _maybe(rng, 0.4) else None,
        "icon": f"project-icon-{rng.randint(1, 12)}" if _maybe(rng, 0.7) else None,
        "is_billable": billable,
        "rate": rng.choice((25, 40, 50, 65, 80, 99.5, 120)) if billable else 0,
        "weekly_hours_limit": rng.choice((168, 168, 168, 40, 20)),
        "screenshots": rng.choice(("blur", "blur", "blur", "full")),
        "tags": rng.sample(tag_pool, tag_count),
        "contracts_count": rng.randint(0, 12),
        "status": 1,
        "created_at": created,
        "updated_at": updated,
    }


def seed_state(
    state: FakeState,
    *,
    workspaces: int,
    projects_per_workspace: tuple[int, int] = (0, 60),
    seed: int = 0,
) -> list[int]:
    """Add ``workspaces`` workspaces, each with a random number of projects in the given range.

    Returns the new workspace ids. Most workspaces are owned by the caller; about one in eight
    has the caller as "Executive manager" (both roles may use the API, variant B).
    """
    low, high = projects_per_workspace
    if workspaces < 0 or low < 0 or high < low:
        raise ValueError("need workspaces >= 0 and 0 <= projects_per_workspace[0] <= [1]")
    rng = random.Random(seed)
    ids: list[int] = []
    with state.lock:
        for _ in range(workspaces):
            created = _moment(rng)
            role = "Executive manager" if _maybe(rng, 0.125) else "Owner"
            name = f"{rng.choice(_COMPANY_WORDS)} {rng.choice(_COMPANY_SUFFIXES)}"
            workspace_id = create_workspace(state, name=name, role=role, created_at=created)
            ids.append(workspace_id)
            tag_pool = [
                {
                    "id": state.next_id(TAG_KIND),
                    "name": tag_name,
                    "color": rng.choice(_COLORS) if _maybe(rng, 0.8) else None,
                }
                for tag_name in rng.sample(_TAG_NAMES, rng.randint(0, 6))
            ]
            used_names: set[str] = set()
            for _ in range(rng.randint(low, high)):
                insert_project(state, workspace_id, _project_fields(rng, tag_pool, used_names))
    return ids
