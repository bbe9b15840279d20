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
manual poking at the client. ``--oauth-client ID`` registers an OAuth2 client (its secret from
``$WEBWORK_FAKE_OAUTH_SECRET``, its redirect URIs from ``--oauth-redirect``) whose sign-ins the
fake's ``/oauth/authorize`` approves at once, for trying a web app's sign-in.

Seeding is told on stderr, with a progress line per tenth of the workspaces when there are more
than 500 of them; stdout gets the server's address and options once it listens.

``trigger`` sends one signed test event to a bot instead, as ``stripe trigger`` does::

    WEBWORK_WEBHOOK_SECRET=whsec_... python -m webwork_async.testing trigger project.created \
        --to http://127.0.0.1:8000/webwork/events

The event is a made-up one of its kind, signed the way the fake signs its deliveries and tried
on the fake's retry schedule; stdout gets the delivery id and each attempt's status, never the
secret. The exit status is 0 when the bot answered 2xx, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, NamedTuple

from webwork_async._constants import TOKEN_ENV_VAR
from webwork_async.testing._loopback import is_loopback_address
from webwork_async.testing._oauth import DEFAULT_REDIRECT_URI

if TYPE_CHECKING:
    from webwork_async.testing._deliveries import Delivery
    from webwork_async.testing._server import FakeWebWork

#: Seeds of more workspaces than this report their progress on stderr.
_PROGRESS_ABOVE: Final = 500
#: The environment variable ``trigger`` reads the webhook's secret from.
WEBHOOK_SECRET_ENV_VAR: Final = "WEBWORK_WEBHOOK_SECRET"
OAUTH_SECRET_ENV_VAR: Final = "WEBWORK_FAKE_OAUTH_SECRET"
_TRIGGER: Final = "trigger"


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
        epilog=f"'webwork-fake {_TRIGGER} EVENT --to URL' sends a signed test webhook event "
        f"instead (see 'webwork-fake {_TRIGGER} --help').",
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
    parser.add_argument(
        "--oauth-client",
        default=None,
        metavar="ID",
        help=f"register an OAuth2 client with this id, its secret from ${OAUTH_SECRET_ENV_VAR}",
    )
    parser.add_argument(
        "--oauth-redirect",
        action="append",
        default=[],
        metavar="URI",
        help=f"a redirect URI of the OAuth2 client (repeatable; default {DEFAULT_REDIRECT_URI})",
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
        return is_loopback_address(name)
    except ValueError:
        pass
    try:
        resolved = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]) for info in resolved}
    return bool(addresses) and all(is_loopback_address(address) for address in addresses)


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


async def _serve(args: argparse.Namespace, token: str, oauth_secret: str | None) -> None:
    from webwork_async.testing._server import FakeWebWork

    fake = FakeWebWork(token=token)
    if args.oauth_client is not None and oauth_secret is not None:
        fake.add_oauth_client(
            args.oauth_client, oauth_secret, args.oauth_redirect or [DEFAULT_REDIRECT_URI]
        )
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
        if args.oauth_client is not None:
            details.append(
                f"OAuth2 client {args.oauth_client!r}: authorize at {fake.oauth_authorize_url}, "
                f"token URL {fake.oauth_token_url}"
            )
        print("\n".join([header, *details]), flush=True)
        await stop.wait()


def _credential(parser: argparse.ArgumentParser, given: str | None, env_var: str, name: str) -> str:
    """The ``--<name>`` option's value, else ``$<env_var>``; a usage error when neither is set,
    a warning when the option was used (it shows in ``ps`` and the shell history)."""
    value = given or os.environ.get(env_var)
    if not value:
        parser.error(f"no {name}: set the {env_var} environment variable or pass --{name}")
    if given is not None:
        _warn(
            f"--{name} shows the {name} in the process list and the shell history; "
            f"prefer the {env_var} environment variable"
        )
    return value


def _trigger_parser() -> argparse.ArgumentParser:
    from webwork_async.testing.webhooks import WEBHOOK_EVENTS

    parser = argparse.ArgumentParser(
        prog=f"webwork-fake {_TRIGGER}",
        description="Send one signed test webhook event, as the fake server delivers them, "
        "to a bot on this machine; exit 0 when it answers 2xx, 1 otherwise.",
    )
    parser.add_argument(
        "event", metavar="EVENT", choices=WEBHOOK_EVENTS, help=", ".join(WEBHOOK_EVENTS)
    )
    parser.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the bot's URL (a loopback one: 127.0.0.1, ::1, localhost)",
    )
    parser.add_argument(
        "--secret",
        default=None,
        help=f"the webhook's token to sign with (default: ${WEBHOOK_SECRET_ENV_VAR}); never "
        f"printed. Prefer ${WEBHOOK_SECRET_ENV_VAR}: an option shows in the process list",
    )
    parser.add_argument(
        "--workspace",
        type=int,
        default=1,
        metavar="ID",
        help="the event's workspace_id (default %(default)s)",
    )
    return parser


def _trigger(argv: Sequence[str]) -> int:
    """``trigger EVENT --to URL``: send one test event; 0 when it was answered 2xx."""
    from webwork_async import ConfigurationError
    from webwork_async.testing._loopback import is_loopback_url
    from webwork_async.webhooks import StandardWebhooksVerifier

    parser = _trigger_parser()
    args = parser.parse_args(argv)
    secret = _credential(parser, args.secret, WEBHOOK_SECRET_ENV_VAR, "secret")
    try:
        StandardWebhooksVerifier(secret)
    except ConfigurationError as exc:
        parser.error(str(exc))
    if not is_loopback_url(args.to):
        print(
            f"webwork-fake {_TRIGGER}: refused: {args.to} is not an http(s) URL on a loopback "
            "address (127.0.0.1, ::1, localhost)",
            file=sys.stderr,
        )
        return 1
    try:
        delivery = asyncio.run(_fire(args.event, args.workspace, args.to, secret))
    except KeyboardInterrupt:
        return 130
    for number, attempt in enumerate(delivery.attempts, 1):
        outcome = str(attempt.status) if attempt.status is not None else attempt.error
        print(f"attempt {number}: {outcome} ({attempt.duration:.2f} s)", flush=True)
    attempts = _plural(len(delivery.attempts), "attempt")
    print(f"{delivery.state.value} after {attempts}", flush=True)
    return 0 if delivery.state.value == "delivered" else 1


async def _fire(event: str, workspace_id: int, url: str, secret: str) -> Delivery:
    from webwork_async._protocol import Secret
    from webwork_async.testing._deliveries import Deliveries
    from webwork_async.testing._sample_events import sample_data
    from webwork_async.testing._state import FakeState

    state = FakeState()
    deliveries = Deliveries(state)
    async with deliveries.running():
        data = sample_data(event, state.now())
        sent = deliveries.send(event, workspace_id, data, url, Secret(secret))
        print(f"{event} {sent.delivery_id} -> {url}", flush=True)
        settled = await deliveries.settled(None)
    return next(done for done in settled if done.delivery_id == sent.delivery_id)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, seed, serve until Ctrl-C/SIGTERM; return the exit status.

    ``trigger ...`` sends a test webhook event instead (see the module's docstring).
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == [_TRIGGER]:
        return _trigger(arguments[1:])
    parser = _parser()
    args = parser.parse_args(arguments)
    token = _credential(parser, args.token, TOKEN_ENV_VAR, "token")
    oauth_secret = None
    if args.oauth_client is not None:
        oauth_secret = os.environ.get(OAUTH_SECRET_ENV_VAR)
        if not oauth_secret:
            parser.error(f"--oauth-client needs its secret in ${OAUTH_SECRET_ENV_VAR}")
    elif args.oauth_redirect:
        parser.error("--oauth-redirect needs --oauth-client")
    if args.workspaces < 0 or args.projects_min < 0 or args.projects_max < args.projects_min:
        parser.error("need --workspaces >= 0 and 0 <= --projects-min <= --projects-max")
    if not _is_loopback(args.host):
        _warn(
            f"--host {args.host} is not a loopback address: the fake is reachable from the "
            "network and accepts a bearer token that may be a real one"
        )
    try:
        asyncio.run(_serve(args, token, oauth_secret))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"webwork-fake: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
