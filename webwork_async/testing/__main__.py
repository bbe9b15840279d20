"""Command line: run a seeded fake WebWork server until Ctrl-C.

    WEBWORK_TOKEN=secret python -m webwork_async.testing --workspaces 300 --port 8080

The token comes from ``--token`` or the ``WEBWORK_TOKEN`` environment variable and is never
printed. Used for demos, benchmarks and manual poking at the client.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence

from webwork_async._constants import TOKEN_ENV_VAR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="webwork-fake",
        description="Serve a fake WebWork Tracker API v2 with deterministic seeded data.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="TCP port, 0 = any free port (default %(default)s)"
    )
    parser.add_argument(
        "--workspaces", type=int, default=300, help="workspaces to seed (default %(default)s)"
    )
    parser.add_argument(
        "--projects-min",
        type=int,
        default=0,
        help="fewest projects per workspace (default %(default)s)",
    )
    parser.add_argument(
        "--projects-max",
        type=int,
        default=60,
        help="most projects per workspace (default %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed; same seed, same data (default %(default)s)",
    )
    parser.add_argument(
        "--token",
        default=None,
        help=f"bearer token the server accepts (default: ${TOKEN_ENV_VAR}); never printed",
    )
    return parser


async def _serve(args: argparse.Namespace, token: str) -> None:
    from webwork_async.testing._server import FakeWebWork

    fake = FakeWebWork(token=token)
    workspace_ids = fake.seed(
        workspaces=args.workspaces,
        projects_per_workspace=(args.projects_min, args.projects_max),
        seed=args.seed,
    )
    project_count = sum(len(fake.projects(workspace_id)) for workspace_id in workspace_ids)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt
            loop.add_signal_handler(signum, stop.set)
    async with fake.serve(args.host, args.port) as base_url:
        print(
            f"Fake WebWork API at {base_url} with {len(workspace_ids)} workspaces and "
            f"{project_count} projects (seed {args.seed}); Ctrl-C to stop",
            flush=True,
        )
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, seed, serve until Ctrl-C/SIGTERM; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    token = args.token or os.environ.get(TOKEN_ENV_VAR)
    if not token:
        parser.error(f"no token: set the {TOKEN_ENV_VAR} environment variable or pass --token")
    if args.workspaces < 0 or args.projects_min < 0 or args.projects_max < args.projects_min:
        parser.error("need --workspaces >= 0 and 0 <= --projects-min <= --projects-max")
    try:
        asyncio.run(_serve(args, token))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"webwork-fake: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
