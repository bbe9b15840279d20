"""Command line: python -m webwork_async demo

The demo is the library's main job in miniature: it starts the embedded fake WebWork server on
127.0.0.1, seeds a few hundred workspaces (a handful of them unreadable, as in real accounts),
discovers them through GET /workspaces and bulk-fetches every project with list_many, then
checks what it got against what the server holds. It prints counts and timings, never a token.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

from webwork_async._constants import DEFAULT_MAX_CONCURRENCY
from webwork_async._session import AsyncSession
from webwork_async.errors import APIError
from webwork_async.testing import FakeWebWork

# Workspaces where the token's user is a regular member: the API (owners and executive managers
# only) answers 403 there, so the demo shows failures being reported rather than lost.
_RESTRICTED_WORKSPACES = 5
# Ids that are in nobody's account: 404s.
_UNKNOWN_WORKSPACES = (990_001, 990_002, 990_003)


async def run_demo(*, workspaces: int, seed: int, concurrency: int) -> bool:
    """Run the demo and print its summary; True when every count matched the server's."""
    fake = FakeWebWork()
    fake.seed(workspaces=workspaces, projects_per_workspace=(0, 120), seed=seed)
    for _ in range(_RESTRICTED_WORKSPACES):
        fake.add_workspace(role="Regular User")
    async with fake.serve() as base_url:
        print(f"fake WebWork server: {base_url} (seed {seed})")
        started = time.perf_counter()
        # The fake enforces no rate limit, so pacing is off: the demo shows the client's own speed.
        async with AsyncSession(
            token=fake.token, base_url=base_url, max_concurrency=concurrency, rate_limit=None
        ) as ww:
            listed = [workspace.id async for workspace in ww.workspaces.list()]
            wanted = [*listed, *_UNKNOWN_WORKSPACES]
            complete: dict[int, int] = {}
            failures: dict[int, Exception] = {}
            async for result in ww.projects.list_many(wanted):
                if result.error is None:
                    complete[result.workspace_id] = len(result.items)
                else:
                    failures[result.workspace_id] = result.error
        elapsed = time.perf_counter() - started
    requests = len(fake.requests)
    fetched = sum(complete.values())
    expected = {wid: len(fake.projects(wid)) for wid in complete}
    counts_match = complete == expected
    accounted = len(complete) + len(failures) == len(wanted)
    print(f"workspaces listed:  {len(listed)}")
    print(
        f"bulk fetch:         {len(wanted)} workspaces asked, {len(complete)} complete, "
        f"{len(failures)} failed, {len(wanted) - len(complete) - len(failures)} missing"
    )
    print(
        f"projects fetched:   {fetched} "
        f"({'matches' if counts_match else 'DOES NOT MATCH'} the server, workspace by workspace)"
    )
    print(f"requests sent:      {requests} at concurrency {concurrency}")
    print(f"time:               {elapsed:.2f} s ({requests / elapsed:.0f} requests/s)")
    if failures:
        print("failed workspaces (reported, not lost):")
        for workspace_id, error in sorted(failures.items()):
            detail = (
                f"HTTP {error.status} {error.message}" if isinstance(error, APIError) else error
            )
            print(f"  {workspace_id}: {type(error).__name__} {detail}")
    return counts_match and accounted


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m webwork_async``."""
    parser = argparse.ArgumentParser(
        prog="python -m webwork_async",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="bulk-fetch every project from a seeded fake server")
    demo.add_argument("--workspaces", type=int, default=300, help="workspaces to seed (300)")
    demo.add_argument("--seed", type=int, default=7, help="seed of the fake data (7)")
    demo.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_MAX_CONCURRENCY,
        help=f"requests in flight at once ({DEFAULT_MAX_CONCURRENCY})",
    )
    args = parser.parse_args(argv)
    if args.workspaces < 1 or args.concurrency < 1:
        parser.error("--workspaces and --concurrency must be at least 1")
    ok = asyncio.run(
        run_demo(workspaces=args.workspaces, seed=args.seed, concurrency=args.concurrency)
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
