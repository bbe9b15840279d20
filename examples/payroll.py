"""The payroll job: last month's approved hours and leave of every member, in every workspace.

Two bulk calls fetch every workspace at once under the session's concurrency limit and rate
limiter: the approved timesheets whose pay periods fall in the month, and the approved leave
requests that overlap it. Each member's hours and leave days are summed per workspace and
printed as CSV on stdout, one row per workspace and member. A workspace that fails is reported
on stderr, never dropped: its members are not printed at all rather than printed short.

Run it against the fake server (the token and base URL come from the environment only)::

    WEBWORK_TOKEN=dev-token .venv/bin/webwork-fake --port 8080 --workspaces 30
    WEBWORK_TOKEN=dev-token WEBWORK_BASE_URL=http://127.0.0.1:8080/api/v2/ \\
        python examples/payroll.py --month 2026-11 > payroll.csv

Exit code: 0 when every workspace was read, 1 when some failed, 2 when the job could not run at
all (no token, the workspace list failed).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime
import sys
from collections import defaultdict
from dataclasses import dataclass

from webwork_async import AsyncSession, WebWorkError


@dataclass
class Pay:
    """What one member is paid for in one workspace over the month."""

    member: str = ""
    hours: float = 0.0
    leave_days: int = 0


def month_bounds(text: str | None, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of ``text`` (``YYYY-MM``), or of the month before ``today``."""
    if text is None:
        first = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    else:
        first = datetime.date.fromisoformat(f"{text}-01")
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


Day = datetime.date


def overlap_days(start: Day | None, end: Day | None, first: Day, last: Day) -> int:
    """How many days of ``start``..``end`` (inclusive) fall within ``first``..``last``."""
    if start is None:
        return 0
    begin, finish = max(start, first), min(end or start, last)
    return max((finish - begin).days + 1, 0)


async def payroll(
    first: datetime.date, last: datetime.date
) -> tuple[dict[tuple[int, int], Pay], dict[int, Exception]]:
    """Every member's pay per workspace, and the workspaces that failed with their errors."""
    pay: dict[tuple[int, int], Pay] = defaultdict(Pay)
    failed: dict[int, Exception] = {}
    async with AsyncSession() as ww:
        workspaces = [workspace.id async for workspace in ww.workspaces.list()]
        timesheets = ww.timesheets.list_many(
            workspaces, status="approved", date_from=first, date_to=last
        )
        async for result in timesheets:
            if result.error is not None:
                failed[result.workspace_id] = result.error
                continue
            for sheet in result.items:
                entry = pay[result.workspace_id, sheet.user_id or 0]
                entry.member = sheet.member or entry.member
                if sheet.total_hours is not None:
                    entry.hours += sheet.total_hours
                elif sheet.total_minutes is not None:
                    entry.hours += sheet.total_minutes / 60
        approved = ww.leaves.list_many(workspaces, status="approved", date_from=first, date_to=last)
        async for leaves in approved:
            if leaves.error is not None:
                failed.setdefault(leaves.workspace_id, leaves.error)
                continue
            for leave in leaves.items:
                entry = pay[leaves.workspace_id, leave.user_id or 0]
                entry.leave_days += overlap_days(leave.start_date, leave.end_date, first, last)
    return {key: value for key, value in pay.items() if key[0] not in failed}, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", help="YYYY-MM (default: last month)")
    args = parser.parse_args()
    first, last = month_bounds(args.month, datetime.date.today())
    try:
        pay, failed = asyncio.run(payroll(first, last))
    except WebWorkError as exc:
        print(f"payroll for {first:%Y-%m} could not run: {exc}", file=sys.stderr)
        return 2
    writer = csv.writer(sys.stdout)
    writer.writerow(["workspace_id", "user_id", "member", "approved_hours", "leave_days"])
    for (workspace_id, user_id), entry in sorted(pay.items()):
        writer.writerow(
            [workspace_id, user_id, entry.member, f"{entry.hours:.2f}", entry.leave_days]
        )
    for workspace_id, error in sorted(failed.items()):
        print(f"workspace {workspace_id} failed: {type(error).__name__}: {error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
