"""Command line: run a seeded fake WebWork server until Ctrl-C.

    WEBWORK_TOKEN=secret python -m webwork_async.testing --workspaces 300 --port 8080
    WEBWORK_TOKEN=secret python -m webwork_async.testing --workspaces 300 --every-group
    WEBWORK_TOKEN=secret python -m webwork_async.testing --fault server_error:0.1 \
        --fault slow:0.05:projects/* --fault-seed 3 --rate-limit 60/60

The token comes from the ``WEBWORK_TOKEN`` environment variable (preferred) or ``--token``
(visible in the process list and the shell history, so it warns) and is never printed. A
``--host`` that is not a loopback address warns that the fake is reachable from the network.
``--fault`` and ``--rate-limit`` make the server misbehave (see
``FakeWebWork.inject`` and ``FakeWebWork.enforce_rate_limit``). Used for demos, benchmarks and
manual poking at the client.

Seeding is told on stderr, with a progress line per tenth of the workspaces when there are more
than 500 of them; stdout gets the server's address and options once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import os
import signal
import socket
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, NamedTuple

from webwork_async._constants import TOKEN_ENV_VAR

if TYPE_CHECKING:
    from webwork_async.testing._server import FakeWebWork

#: Seeds of more workspaces than this report their progress on stderr.
_PROGRESS_ABOVE: Final = 500


class _FaultSpec(NamedTuple):
    kind: str
    probability: float
    path: str | None


def _fault_spec(text: str) -> _FaultSpec:
    """Parse ``KIND[:PROBABILITY[:PATH]]`` (probability 1 and every path by default)."""
    from webwork_async.testing._faults import FaultKind

    kind, _, rest = text.partition(":")
    probability_text, _, path = rest.partition(":")
    if kind not in {member.value for member in FaultKind}:
        known = ", ".join(member.value for member in FaultKind)
        raise argparse.ArgumentTypeError(f"unknown fault kind {kind!r}; expected one of {known}")
    bad_probability = argparse.ArgumentTypeError(f"probability must be from 0 to 1 in {text!r}")
    try:
        probability = float(probability_text or 1.0)
    except ValueError:
        raise bad_probability from None
    if not 0.0 <= probability <= 1.0:
        raise bad_probability
    return _FaultSpec(kind, probability, path or None)


def _rate_limit(text: str) -> tuple[int, float]:
    """Parse ``N/SECONDS`` such as ``60/60``."""
    bad = argparse.ArgumentTypeError(f"expected N/SECONDS such as 60/60, not {text!r}")
    count_text, _, period_text = text.partition("/")
    try:
        count, period = int(count_text), float(period_text)
    except ValueError:
        raise bad from None
    if count < 1 or not 0 < period < float("inf"):
        raise bad
    return count, period


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
        "--every-group",
        action="store_true",
        help="also seed members, contracts, tasks, project viewers, webhooks, leaves, "
        "expenses, and time entries of the 45 days before today with timesheets and time "
        "requests",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed; same seed, same data (default %(default)s)",
    )
    parser.add_argument(
        "--fault",
        type=_fault_spec,
        action="append",
        default=[],
        metavar="KIND[:PROBABILITY[:PATH]]",
        help="inject a fault (repeatable); PATH may be relative to /api/v2/ and use *",
    )
    parser.add_argument(
        "--fault-seed",
        type=int,
        default=0,
        help="seed of the fault decisions (default %(default)s)",
    )
    parser.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=None,
        metavar="N/SECONDS",
        help="answer 429 beyond N requests per sliding SECONDS window, e.g. 60/60",
    )
    parser.add_argument(
        "--token",
        default=None,
        help=f"bearer token the server accepts (default: ${TOKEN_ENV_VAR}); never printed. "
        f"Prefer ${TOKEN_ENV_VAR}: a token on the command line shows in the process list "
        "(ps) and in the shell history",
    )
    return parser


def _is_loopback(host: str) -> bool:
    """True when ``host`` only binds this machine: 127.0.0.0/8, ::1, localhost.

    Other names count as loopback only if every address they resolve to is; an empty host
    (every interface) or a name that does not resolve is not.
    """
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    if not name:
        return False
    try:
        return _is_loopback_address(name)
    except ValueError:
        pass
    try:
        resolved = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]) for info in resolved}
    return bool(addresses) and all(_is_loopback_address(address) for address in addresses)


def _is_loopback_address(text: str) -> bool:
    """Whether an IP address literal is a loopback one; ValueError when it is no address."""
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _warn(text: str) -> None:
    print(f"Warning: {text}", file=sys.stderr, flush=True)


def _say(text: str) -> None:
    """Progress for the person at the terminal: stderr, so stdout stays the server's summary."""
    print(text, file=sys.stderr, flush=True)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _report_progress(done: int, total: int) -> None:
    if done < total:  # the end is told by the "seeded ..." line
        _say(f"... {done}/{total} workspaces")


def _seed(fake: FakeWebWork, args: argparse.Namespace) -> tuple[list[int], int]:
    """Seed ``fake`` as the options say, telling stderr; return the workspace ids and projects."""
    low, high = args.projects_min, args.projects_max
    per_workspace = f"{low}-{high} projects" if low != high else _plural(low, "project")
    groups = ", every group" if args.every_group else ""
    _say(
        f"Seeding {_plural(args.workspaces, 'workspace')} ({per_workspace} each{groups}, "
        f"seed {args.seed})..."
    )
    started = time.perf_counter()
    workspace_ids = fake.seed(
        workspaces=args.workspaces,
        projects_per_workspace=(low, high),
        seed=args.seed,
        progress=_report_progress if args.workspaces > _PROGRESS_ABOVE else None,
        every_group=args.every_group,
    )
    project_count = fake.project_count()
    elapsed = time.perf_counter() - started
    _say(
        f"seeded {_plural(len(workspace_ids), 'workspace')} and "
        f"{_plural(project_count, 'project')} in {elapsed:.1f} s"
    )
    return workspace_ids, project_count


async def _serve(args: argparse.Namespace, token: str) -> None:
    from webwork_async.testing._server import FakeWebWork

    fake = FakeWebWork(token=token)
    workspace_ids, project_count = _seed(fake, args)
    details = []  # printed after the address
    fake.fault_seed = args.fault_seed
    for spec in args.fault:
        fake.inject(spec.kind, probability=spec.probability, path=spec.path)
        where = spec.path or "every route"
        details.append(f"Fault {spec.kind} with probability {spec.probability:g} on {where}")
    if args.rate_limit is not None:
        count, period = args.rate_limit
        fake.enforce_rate_limit(count, period)
        details.append(f"Rate limit {count} requests per {period:g} s")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt
            loop.add_signal_handler(signum, stop.set)
    async with fake.serve(args.host, args.port) as base_url:
        header = (
            f"Fake WebWork API at {base_url} with {len(workspace_ids)} workspaces and "
            f"{project_count} projects (seed {args.seed}); Ctrl-C to stop"
        )
        print("\n".join([header, *details]), flush=True)
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
    if args.token is not None:
        _warn(
            f"--token shows the token in the process list and the shell history; "
            f"prefer the {TOKEN_ENV_VAR} environment variable"
        )
    if not _is_loopback(args.host):
        _warn(
            f"--host {args.host} is not a loopback address: the fake is reachable from the "
            "network and accepts a bearer token that may be a real one"
        )
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
