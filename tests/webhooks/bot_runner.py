"""What the webhook tests share: waiting with a deadline, and ``webhook_bot.py`` as a process of
its own, started, killed with SIGKILL and started again on the same store."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from local_servers import free_port
from webhook_bot import SECRET_ENV_VAR

from webwork_async.webhooks import DeliveryStore

HERE = Path(__file__).parent
WAIT = 10.0  # seconds a test waits for something that should happen at once
_START_WAIT = WAIT * 3  # a Python process importing aiohttp on a loaded machine
_POLL = 0.01


async def until(ready: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Poll ``ready`` without blocking the loop; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        await asyncio.sleep(_POLL)


async def until_async(
    read: Callable[[], Awaitable[object]], expected: object, what: str, timeout: float = WAIT
) -> None:
    """Poll ``await read()`` until it equals ``expected``; fail showing the last value."""
    deadline = time.monotonic() + timeout
    while (value := await read()) != expected:
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}: {value!r}"
        await asyncio.sleep(_POLL)


async def pending_ids(store: DeliveryStore) -> list[str]:
    """The ids of the deliveries ``store`` holds pending, oldest first."""
    return [delivery.id for delivery in await store.pending()]


class BotProcess:
    """``webhook_bot.py`` on ``port`` (a free one by default), verifying with ``secret``, with
    its store, log and hold files in ``folder``; :meth:`start` again after :meth:`kill` reuses
    all of them."""

    def __init__(self, folder: Path, secret: str, port: int | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.secret = secret
        self.port = free_port() if port is None else port
        self.url = f"http://127.0.0.1:{self.port}/webhooks"
        self.store, self.log, self.hold = (folder / n for n in ("bot.sqlite", "bot.log", "hold"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def lines(self) -> list[str]:
        """The log so far: ``start <id>`` and ``done <id>`` lines, in the order written."""
        return self.log.read_text().splitlines() if self.log.exists() else []

    @property
    def stderr(self) -> str:
        return (self.folder / "stderr").read_text()

    def _spawn(self) -> subprocess.Popen[bytes]:
        arguments = [str(self.port), str(self.store), str(self.log), str(self.hold)]
        env = {**os.environ, SECRET_ENV_VAR: self.secret}
        with (self.folder / "stderr").open("ab") as stderr:
            return subprocess.Popen(
                [sys.executable, "-W", "error", str(HERE / "webhook_bot.py"), *arguments],
                env=env,
                stderr=stderr,
            )

    async def start(self) -> None:
        """Start the bot and wait, without blocking the loop, until it listens."""
        self.process = self._spawn()
        deadline = time.monotonic() + _START_WAIT
        while True:
            assert self.process.poll() is None, f"the bot exited:\n{self.stderr}"
            assert time.monotonic() < deadline, f"the bot did not listen:\n{self.stderr}"
            try:
                _reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", self.port), timeout=1.0
                )
            except (OSError, asyncio.TimeoutError):
                await asyncio.sleep(0.02)
                continue
            writer.close()
            await writer.wait_closed()
            return

    def kill(self) -> None:
        """SIGKILL the bot, if it runs, and reap it: no clean-up of its own runs."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
