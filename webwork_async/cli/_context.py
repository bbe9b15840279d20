"""What every command gets from the root options, and how a command ends."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import click

from webwork_async import AsyncSession
from webwork_async.cli._config import load_tokens, parse_rate_limit

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_USAGE", "Context", "usage"]

#: Exit codes: some workspaces or items failed; a usage or configuration problem; Ctrl-C.
EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


@dataclass
class Context:
    """The root options, handed to every command; the token is read only when a command runs
    (``--help`` needs none)."""

    base_url: str | None
    token_file: Path | None
    rate_limit: str
    concurrency: int
    format: str
    quiet: bool
    failed: bool = False

    def sessions(self, *, every_token: bool = False) -> list[AsyncSession]:
        """A session per token (the first token only, unless ``every_token``)."""
        tokens, configured_url = load_tokens(self.token_file)
        rate_limit = parse_rate_limit(self.rate_limit)
        return [
            AsyncSession(
                token,
                base_url=self.base_url or configured_url,
                rate_limit=rate_limit,
                max_concurrency=self.concurrency,
            )
            for token in (tokens if every_token else tokens[:1])
        ]

    def warn(self, message: str) -> None:
        click.echo(message, err=True)


def usage(message: str) -> NoReturn:
    """End the command with a usage or configuration problem: the message says what to do."""
    click.echo(f"webwork: {message}", err=True)
    sys.exit(EXIT_USAGE)
