"""A real, throwaway PostgreSQL server on 127.0.0.1 for the ``webwork sync --db`` tests.

Each server gets its own temporary data directory, port and socket directory, so it never touches
a system cluster (Debian's package may start one on 5432) and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_servers import free_port

USER = "webwork"  # the database superuser initdb creates
DATABASE = "webwork"
_OS_USER = "webwork-pg"  # made when running as root and there is no ``nobody``
_TOOLS = ("initdb", "pg_ctl", "postgres", "createdb")
_INITDB_OPTIONS = ("-U", USER, "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C")
_START_ATTEMPTS = 5
_LOG_TAIL = 40  # lines of the server's log in a failed start's error
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")  # needs no quoting in SQL nor in a URL


@dataclass(frozen=True)
class PostgresServer:
    """A running server: ``dsn`` is its ``webwork`` database; ``new_database`` makes others."""

    port: int
    dsn: str
    _run: _Runner = field(repr=False, compare=False)

    def new_database(self, name: str) -> str:
        """Create the empty database ``name`` (lower case, digits, ``_``) and return its DSN."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a plain database name: {name!r}")
        self._run.client("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name)
        return _dsn(self.port, name)


def _dsn(port: int, database: str) -> str:
    return f"postgresql://{USER}@127.0.0.1:{port}/{database}"


def find_binaries() -> dict[str, Path]:
    """The server's programs, all of one install: the ``initdb`` on PATH, else the newest
    ``/usr/lib/postgresql/*/bin`` (where Debian's ``postgresql`` package puts them)."""
    on_path = shutil.which("initdb")
    if on_path is not None:
        # Follow the link (Debian's /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin) so that
        # createdb is the same install's, not /usr/bin's pg_wrapper script.
        folder = Path(on_path).resolve().parent
    else:
        installs = [
            p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").is_file()
        ]
        if not installs:
            raise RuntimeError(
                "PostgreSQL not found (no initdb on PATH nor in /usr/lib/postgresql/*/bin): "
                "run .ci/run or scripts/install-system.sh, or `apt-get install -y postgresql`"
            )
        folder = max(installs, key=lambda p: _version(p.parent.name))
    found: dict[str, Path] = {}
    for tool in _TOOLS:
        path = folder / tool if (folder / tool).is_file() else shutil.which(tool)
        if path is None:
            raise RuntimeError(f"PostgreSQL's {tool} not found next to {folder}/initdb nor on PATH")
        found[tool] = Path(path)
    return found


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _unprivileged_user() -> pwd.struct_passwd:
    """PostgreSQL refuses to run as root (CI does): the user to run it as instead."""
    for name in ("nobody", _OS_USER):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    # Another session may be making it at the same moment: check=False, then look again.
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", _OS_USER],
        capture_output=True,
        check=False,
    )
    return pwd.getpwnam(_OS_USER)


@dataclass(frozen=True)
class _Runner:
    """Runs the programs: the server's as ``user`` (None: as we are), with no PG* variables
    of the caller's (PGPORT, PGDATA, ...) steering them elsewhere."""

    binaries: dict[str, Path]
    user: pwd.struct_passwd | None
    cwd: Path  # one the server's user may enter (our own may be /root)

    def server(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        identity: dict[str, Any] = {}
        if self.user is not None:
            identity = {
                "user": self.user.pw_uid,
                "group": self.user.pw_gid,
                "extra_groups": [],  # root's groups stay behind too
            }
        return self._run(tool, args, identity)

    def client(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return self._run(tool, args, {})

    def _run(
        self, tool: str, args: tuple[str, ...], identity: dict[str, Any]
    ) -> subprocess.CompletedProcess[str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        return subprocess.run(
            [str(self.binaries[tool]), *args],
            cwd=self.cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=True,
            **identity,
        )


def _temp_parent(user: pwd.struct_passwd | None) -> str:
    """Where to make the server's folder: the usual temporary one, unless the server's user
    could not reach it (a TMPDIR under /root, say); then /tmp."""
    usual = Path(tempfile.gettempdir()).resolve()
    if user is None or all(p.stat().st_mode & 0o001 for p in (usual, *usual.parents)):
        return str(usual)
    return "/tmp"


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(lines[-_LOG_TAIL:])


def _failure(what: str, error: subprocess.CalledProcessError, log: Path | None = None) -> str:
    text = f"{what} failed (exit code {error.returncode}): {error.stderr or error.stdout}".strip()
    return f"{text}\n--- server log ---\n{_tail(log)}" if log is not None else text


def _start(run: _Runner, data: Path, sockets: Path, log: Path) -> int:
    """Start the server on a free port (another, if someone took it meanwhile); its port."""
    for attempt in range(1, _START_ATTEMPTS + 1):
        port = free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {shlex.quote(str(sockets))}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        try:
            run.server(
                "pg_ctl", "start", "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options
            )
        except subprocess.CalledProcessError as error:
            if "could not bind" in _tail(log) and attempt < _START_ATTEMPTS:
                log.unlink(missing_ok=True)
                continue
            raise RuntimeError(_failure("pg_ctl start", error, log)) from None
        return port
    raise AssertionError("unreachable")


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a PostgreSQL server with a ``webwork`` database, its superuser ``webwork`` trusted
    without a password (it listens on 127.0.0.1 only); stop it and delete its files on exit,
    also when the body failed."""
    binaries = find_binaries()
    user = _unprivileged_user() if os.geteuid() == 0 else None
    # mkdtemp makes it 0700: the server's user owns it, so that it may make data/ in it.
    root = Path(tempfile.mkdtemp(prefix="webwork-pg-", dir=_temp_parent(user)))
    data, log = root / "data", root / "server.log"
    try:
        if user is not None:
            os.chown(root, user.pw_uid, user.pw_gid)
        run = _Runner(binaries, user, root)
        try:
            # C: a locale every system has (the caller's may be one not installed).
            run.server("initdb", "-D", str(data), *_INITDB_OPTIONS)
        except subprocess.CalledProcessError as error:
            raise RuntimeError(_failure("initdb", error)) from None
        port = _start(run, data, root, log)
        try:
            server = PostgresServer(port, _dsn(port, DATABASE), run)
            server.new_database(DATABASE)
            yield server
        finally:
            with contextlib.suppress(subprocess.CalledProcessError):
                run.server("pg_ctl", "stop", "-D", str(data), "-m", "immediate", "-w")
    finally:
        shutil.rmtree(root, ignore_errors=True)
