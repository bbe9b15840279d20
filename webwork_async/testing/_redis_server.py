"""A real, throwaway Redis server on 127.0.0.1, for tests (and benchmarks) of code that runs
with ``AsyncSession(coordination=...)``: ``with running_redis_server() as server: server.url``.

Each server gets its own free port and temporary folder, keeps nothing on disk (no RDB, no AOF)
and asks for a password, so the tests also prove that the password never shows. It can be
stopped and started again on the same port, for the outage tests. Unlike PostgreSQL, redis-server
runs as root without complaint (CI runs as root), so it runs as whoever runs the tests.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0
_START_ATTEMPTS = 5
_LOG_TAIL = 40


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def find_redis_server() -> str:
    """The ``redis-server`` program on PATH; a clear failure (not a skip) when it is missing."""
    found = shutil.which("redis-server")
    if found is None:
        raise RuntimeError(
            "redis-server not found on PATH: install it (`apt-get install -y redis-server`; "
            "this project's scripts/install-system.sh does, and CI runs it)"
        )
    return found


@dataclass
class RedisServer:
    """A running server: ``url`` (with its password) for a client; ``stop``/``start`` make an
    outage and end it, on the same port."""

    program: str
    folder: Path
    port: int
    password: str
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """``redis://:<password>@127.0.0.1:<port>/0``."""
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        """Whether the server process runs now."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server (again) on its port and wait until it answers PING."""
        if self.running:
            return
        log = self.folder / "server.log"
        command = [
            self.program,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.folder),
            "--save", "",
            "--appendonly", "no",
            "--requirepass", self.password,
            "--logfile", str(log),
            "--daemonize", "no",
        ]  # fmt: skip
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                problem = self._tail(log)
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}:\n{problem}")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop the server at once (an outage, or the end); its data is gone with it."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(_STOP_TIMEOUT)
        if process.stderr is not None:
            process.stderr.close()

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(f"AUTH {self.password}\r\nPING\r\n".encode())
                received = b""
                while b"PONG" not in received and b"-" not in received:
                    chunk = conn.recv(1024)
                    if not chunk:
                        break
                    received += chunk
                return b"+OK\r\n+PONG\r\n" in received
        except OSError:
            return False

    def _tail(self, log: Path) -> str:
        stderr = b""
        if self._process is not None and self._process.poll() is not None:
            assert self._process.stderr is not None
            stderr = self._process.stderr.read()
        try:
            lines = log.read_text(errors="replace").splitlines()[-_LOG_TAIL:]
        except FileNotFoundError:
            lines = ["(no log)"]
        return "\n".join([stderr.decode(errors="replace"), *lines]).strip()


@contextlib.contextmanager
def running_redis_server() -> Iterator[RedisServer]:
    """Start a Redis server on a free port of 127.0.0.1 (another, if someone took it
    meanwhile); stop it and delete its folder on exit, also when the body failed."""
    program = find_redis_server()
    folder = Path(tempfile.mkdtemp(prefix="webwork-redis-"))
    try:
        for attempt in range(1, _START_ATTEMPTS + 1):
            server = RedisServer(program, folder, _free_port(), secrets.token_hex(12))
            try:
                server.start()
            except RuntimeError:
                if attempt == _START_ATTEMPTS:
                    raise
                continue
            break
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
