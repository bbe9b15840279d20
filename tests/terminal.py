"""A command run with its stderr on a pseudo-terminal, as a person at a terminal sees it."""

from __future__ import annotations

import os
import pty
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class OnTerminal:
    returncode: int
    stdout: bytes
    terminal: str  # what stderr showed, escape codes and all


def run_on_terminal(
    command: Sequence[str], env: Mapping[str, str], *, timeout: float = 60
) -> OnTerminal:
    """Run ``command`` with stdout piped and stderr on a pseudo-terminal; the terminal is read
    as the command writes to it (a full terminal buffer would block the command)."""
    leader, follower = pty.openpty()
    shown: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end is closed: everything was read
                return
            if not chunk:
                return
            shown.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            list(command), env=dict(env), stdout=subprocess.PIPE, stderr=follower,
            timeout=timeout, check=False,
        )  # fmt: skip
    finally:
        os.close(follower)
        reader.join(timeout=10)
        os.close(leader)
    return OnTerminal(done.returncode, done.stdout, b"".join(shown).decode(errors="replace"))
