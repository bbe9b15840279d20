"""Real servers on 127.0.0.1 for the network tests: a forward proxy and the fake over TLS."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from ssl import SSLContext

from aiohttp import web
from proxy_request_log import LOG_ENV_VAR

from webwork_async.testing import FakeWebWork
from webwork_async.testing._server import stop_runner

_HERE = Path(__file__).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for a server a test starts
    in another process, which must be told its port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


PROXY_USER = "proxy-user"
PROXY_PASSWORD = "pr0xy-DO-NOT-LEAK-41d9"
_START_TIMEOUT = 30.0


@dataclass
class ForwardProxy:
    """A running proxy.py (the PyPI package) on 127.0.0.1 that requires basic auth.

    ``request_log`` gets a line per request it forwards (see ``proxy_request_log``).
    """

    port: int
    request_log: Path

    def url(self, password: str = PROXY_PASSWORD) -> str:
        return f"http://{PROXY_USER}:{password}@127.0.0.1:{self.port}"

    def passed(self, method: str, target_port: int) -> int:
        """How many requests (or CONNECT tunnels) it carried to 127.0.0.1:target_port."""
        lines = self.request_log.read_text().splitlines() if self.request_log.exists() else []
        return lines.count(f"{method} 127.0.0.1:{target_port}")


@contextlib.contextmanager
def forward_proxy() -> Iterator[ForwardProxy]:
    """Start proxy.py on a free port; stop it on exit, also when the test failed."""
    with tempfile.TemporaryDirectory(prefix="webwork-proxy-") as folder:
        port_file, request_log = Path(folder, "port"), Path(folder, "requests.log")
        command = [
            sys.executable,
            "-m",
            "proxy",
            "--hostname",
            "127.0.0.1",
            "--port",
            "0",
            "--port-file",
            str(port_file),
            "--num-workers",
            "1",
            "--num-acceptors",
            "1",
            "--log-level",
            "WARNING",
            "--basic-auth",
            f"{PROXY_USER}:{PROXY_PASSWORD}",
            "--plugins",
            "proxy_request_log.RequestLog",
        ]
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(_HERE), os.environ.get("PYTHONPATH", "")]),
            LOG_ENV_VAR: str(request_log),
        }
        process = subprocess.Popen(
            command,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its worker processes go with it
        )
        try:
            deadline = time.monotonic() + _START_TIMEOUT
            while not (port_file.exists() and port_file.read_text().strip()):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"proxy.py did not start (exit code {process.poll()})")
                time.sleep(0.05)
            yield ForwardProxy(int(port_file.read_text()), request_log)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


_LISTEN = "0A"  # a listening socket's state in /proc/net/tcp


def accepted_sockets(port: int) -> int:
    """This machine's TCP sockets whose local port is ``port``, but the listening one: the
    server side of its connections, closing ones included (Linux ``/proc/net/tcp``)."""
    count = 0
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            local, _remote, state = line.split()[1:4]
            if state != _LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


async def stop_server(runner: web.BaseRunner, port: int) -> None:
    """Stop a server of the test's loop so that none of its sockets outlives that loop.

    Under load a server may not have handled its clients' goodbyes yet when a test ends, and a
    TLS connection's close waits for the peer's close_notify (a failed handshake's, a proxy's
    upstream side): let the accepted sockets close first, then stop as the fake does.
    """
    for _ in range(100):
        if accepted_sockets(port) == 0:
            break
        await asyncio.sleep(0.02)
    await stop_runner(runner)


@contextlib.asynccontextmanager
async def serving(app: web.Application, context: SSLContext | None = None) -> AsyncIterator[int]:
    """Serve ``app`` on 127.0.0.1 (over TLS with ``context``) in the running loop; yield its
    port, and stop it with :func:`stop_server`, also when the test failed."""
    # A handler is cancelled when its client goes (as aiohttp's TestServer does): a test that
    # gave up on a slow answer does not wait for it at teardown.
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = int(runner.addresses[0][1])
    try:
        yield port
    finally:
        await stop_server(runner, port)


@contextlib.asynccontextmanager
async def serve_over_tls(fake: FakeWebWork, context: SSLContext) -> AsyncIterator[str]:
    """Serve ``fake`` over HTTPS on 127.0.0.1 in the running loop; yield its base URL."""
    async with serving(fake.make_app(), context) as port:
        yield f"https://127.0.0.1:{port}/api/v2/"
