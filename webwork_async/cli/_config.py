"""Where the command finds its token and settings: the environment, a token file or the config
file, never a ``--token`` flag (a flag shows in ``ps`` and in shell history)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from webwork_async import ConfigurationError, RateLimit
from webwork_async._constants import BASE_URL_ENV_VAR, TOKEN_ENV_VAR

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["CONFIG_PATH", "UsageProblem", "load_tokens", "parse_rate_limit"]

#: The config file: ``token = "..."`` and ``base_url = "..."``; refused when others can read it.
CONFIG_PATH = Path("~/.config/webwork/config.toml")


class UsageProblem(Exception):
    """A usage or configuration problem: the message says what to do (exit code 2)."""


def _private(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UsageProblem(
            f"{path} can be read by other users (mode {stat.filemode(mode)}); run: chmod 600 {path}"
        )


def _config(path: Path) -> dict[str, object]:
    path = path.expanduser()
    try:
        if not path.exists():
            return {}
        _private(path)
        data: dict[str, object] = tomllib.loads(path.read_text(encoding="utf-8"))
        return data
    except (OSError, tomllib.TOMLDecodeError) as exc:  # an unreadable folder on the way too
        raise UsageProblem(f"cannot read {path}: {exc}") from None


def load_tokens(
    token_file: Path | None, config_path: Path = CONFIG_PATH
) -> tuple[list[str], str | None]:
    """The tokens and the base URL: every line of ``--token-file`` (one token a line, for a sync
    across several owners' accounts), else ``$WEBWORK_TOKEN``, else the config file's
    ``token``; the base URL from ``$WEBWORK_BASE_URL`` or the config file."""
    config = _config(config_path)
    base_url = os.environ.get(BASE_URL_ENV_VAR) or _text(config.get("base_url"))
    if token_file is not None:
        try:
            _private(token_file)
            lines = token_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageProblem(f"cannot read the token file {token_file}: {exc}") from None
        tokens = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
        if not tokens:
            raise UsageProblem(f"the token file {token_file} holds no token")
        return tokens, base_url
    found = os.environ.get(TOKEN_ENV_VAR) or _text(config.get("token"))
    if not found:
        raise UsageProblem(
            f"no token: set ${TOKEN_ENV_VAR}, pass --token-file PATH, or put token = '...' "
            f"in {config_path} (readable by you only)"
        )
    return [found], base_url


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_rate_limit(text: str) -> RateLimit | None:
    """``60/60`` (requests per seconds) or ``off`` (no pacing, for a local server)."""
    if text.strip().lower() == "off":
        return None
    requests, slash, period = text.partition("/")
    try:
        if not slash:
            raise ValueError
        return RateLimit(requests=int(requests), period=float(period))
    except (ValueError, ConfigurationError) as exc:
        detail = f": {exc}" if str(exc) else ""
        raise UsageProblem(
            f"--rate-limit takes REQUESTS/SECONDS (60/60) or off, got {text!r}{detail}"
        ) from None
