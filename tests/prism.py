"""Prism, the OpenAPI mock server, on 127.0.0.1 for the spec tests.

Prism is the npm package ``@stoplight/prism-cli``, pinned in ``tools/prism/package-lock.json``
and installed into ``tools/prism/node_modules`` by ``scripts/install-tools.sh`` (which
``scripts/test.sh`` and ``.ci/run`` run first). Prism serves the spec's paths at the root of its
port, without the server URL's ``/api/v2`` prefix, so a client's ``base_url`` is
``http://127.0.0.1:<port>/``.

Static mode answers every operation with the example of its first 2xx answer. Dynamic mode
generates an answer from the schema with json-schema-faker, extra properties included
(``--json-schema-faker-fillProperties=true``); with ``seed`` the answer of an operation is the
same on every request, so a run is repeatable (a different seed gives other data).

A Prism process takes 2-5 s to start and about 160 MB of memory: start the ones a module needs
together (:func:`prism_mocks`), once per module.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from local_servers import free_port

_ROOT = Path(__file__).resolve().parents[1]
PRISM = _ROOT / "tools" / "prism" / "node_modules" / ".bin" / "prism"
#: A cold start on a busy 2-core machine takes several seconds; this is the bound, not the norm.
_START_TIMEOUT = 90.0
_STOP_TIMEOUT = 10.0
_ATTEMPTS = 3  # a free port can be taken by someone else before Prism binds it


class PrismMissingError(RuntimeError):
    """Prism is not installed in tools/prism."""


def prism_binary() -> Path:
    """The installed Prism, or :class:`PrismMissingError` saying how to install it."""
    if not os.access(PRISM, os.X_OK):
        raise PrismMissingError(
            f"Prism is not installed ({PRISM.relative_to(_ROOT)} is missing): run "
            "./scripts/install-tools.sh (or `npm ci --prefix tools/prism`), or run the tests "
            "with ./scripts/test.sh or .ci/run, which install it"
        )
    return PRISM


@dataclass(frozen=True)
class PrismMode:
    """How one Prism answers: static examples, or generated data (``seed`` for repeatable)."""

    dynamic: bool = False
    seed: int | None = None

    def arguments(self) -> list[str]:
        if not self.dynamic:
            return []
        arguments = ["--dynamic", "--json-schema-faker-fillProperties=true"]
        if self.seed is not None:
            arguments += ["--seed", str(self.seed)]
        return arguments


class _Prism:
    """One ``prism mock`` process, its output in a log file."""

    def __init__(self, spec: Path, mode: PrismMode, log_folder: Path, index: int) -> None:
        self.spec, self.mode = spec, mode
        self.log = log_folder / f"prism-{index}.log"
        self.port = 0
        self.process: asyncio.subprocess.Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def spawn(self) -> None:
        self.port = free_port()
        command = [
            str(prism_binary()),
            "mock",
            str(self.spec),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            # A request the spec does not allow, or an answer that breaks it, is an error answer.
            "--errors",
            "--verboseLevel",
            "warn",
            *self.mode.arguments(),
        ]
        with self.log.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # stopped as a group, with anything it forks
            )

    def log_tail(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text[-2000:]

    async def answers(self) -> bool:
        """Whether it answers HTTP on its port (any status: Prism says 404 for ``/``)."""
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            await writer.drain()
            status_line = await asyncio.wait_for(reader.readline(), 5.0)
            return status_line.startswith(b"HTTP/1.1 ")
        except (OSError, asyncio.TimeoutError):
            return False
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def start(self) -> None:
        """Spawn it and wait until it answers; a new port if the first was taken meanwhile."""
        for attempt in range(1, _ATTEMPTS + 1):
            await self.spawn()
            assert self.process is not None
            deadline = time.monotonic() + _START_TIMEOUT
            while self.process.returncode is None and time.monotonic() < deadline:
                if await self.answers():
                    return
                await asyncio.sleep(0.1)
            if self.process.returncode is None:
                raise RuntimeError(
                    f"Prism did not answer within {_START_TIMEOUT:.0f} s on port {self.port}; "
                    f"its log ends:\n{self.log_tail()}"
                )
            if attempt == _ATTEMPTS or "EADDRINUSE" not in self.log_tail():
                raise RuntimeError(
                    f"Prism exited with code {self.process.returncode} before answering; "
                    f"its log ends:\n{self.log_tail()}"
                )

    async def stop(self) -> None:
        """Terminate it (its whole process group), kill it if it does not end in time."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), _STOP_TIMEOUT)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


@contextlib.asynccontextmanager
async def prism_mocks(spec: Path, modes: Sequence[PrismMode]) -> AsyncIterator[list[str]]:
    """Start one Prism per mode, together; yield their base URLs in the same order once all
    answer; stop them all on exit, also when starting or the test failed."""
    with tempfile.TemporaryDirectory(prefix="webwork-prism-") as folder:
        servers = [_Prism(spec, mode, Path(folder), index) for index, mode in enumerate(modes)]
        try:
            # Every start runs to its end before an error is raised, so none is left behind.
            started = await asyncio.gather(*(s.start() for s in servers), return_exceptions=True)
            for outcome in started:
                if isinstance(outcome, BaseException):
                    raise outcome
            yield [server.base_url for server in servers]
        finally:
            await asyncio.gather(*(server.stop() for server in servers))


@contextlib.asynccontextmanager
async def prism_mock(
    spec: Path, *, dynamic: bool = False, seed: int | None = None
) -> AsyncIterator[str]:
    """Start ``prism mock <spec>`` on a free port of 127.0.0.1 (static, or with ``dynamic``
    generated answers, repeatable with ``seed``); yield its base URL; stop it on exit."""
    async with prism_mocks(spec, [PrismMode(dynamic, seed)]) as (base_url,):
        yield base_url
