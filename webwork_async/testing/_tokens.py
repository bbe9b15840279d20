"""The bearer tokens a fake accepts besides its main one, and who sent a request.

``FakeWebWork.add_token`` registers further tokens, each seeing every workspace or a set of them.
A request's :class:`Caller` tells which token sent it (by number: 0 for the main token, then 1, 2,
... in the order they were added) and which workspaces it may see; handlers find it under
:data:`CALLER_KEY`. The registry never keeps a token's text: only a keyed hash of it (HMAC-SHA256
under a random key of the registry), so finding a token is one dict lookup and its timing tells
nothing about the token's characters.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Final

from aiohttp import web


@dataclass(frozen=True)
class Caller:
    """The token of a request: its number and the workspaces it sees (``None``: every one)."""

    number: int
    workspaces: frozenset[int] | None = None

    def sees(self, workspace_id: int) -> bool:
        """Tell whether the token may see ``workspace_id`` (which need not exist)."""
        return self.workspaces is None or workspace_id in self.workspaces


#: The main token (``FakeWebWork.token``): caller 0, every workspace.
MAIN_CALLER: Final = Caller(0)
#: The :class:`Caller` of an authenticated request.
CALLER_KEY: Final = web.RequestKey("webwork_fake_caller", Caller)


def token_bytes(token: str) -> bytes:
    """The bytes a bearer token is compared by, as the request's header decoded them."""
    return token.encode("utf-8", "surrogateescape")


class Tokens:
    """The further tokens of one fake, by keyed hash; guarded by the fake's state lock."""

    def __init__(self, lock: threading.RLock) -> None:
        """Start with none; ``lock`` is the fake's state lock."""
        self._lock = lock
        self._key = secrets.token_bytes(32)
        self._callers: dict[bytes, Caller] = {}

    def __len__(self) -> int:
        """How many tokens were added."""
        return len(self._callers)

    def add(
        self, token: str, workspaces: Iterable[int] | None, existing: Collection[int]
    ) -> Caller:
        """Accept ``token`` as the next caller, seeing ``workspaces`` (``None``: every one).

        ``existing`` are the ids of the stored workspaces: another id is a ``KeyError``. A token
        accepted already, empty or holding whitespace is a ``ValueError`` (it never says the
        token). Call with the state lock held.
        """
        if not isinstance(token, str):
            raise TypeError(f"token must be a str, not {type(token).__name__}")
        if not token or any(char.isspace() for char in token):
            raise ValueError("a token must be non-empty and hold no whitespace")
        visible = None if workspaces is None else frozenset(workspaces)
        unknown = sorted((wid for wid in visible or () if wid not in existing), key=repr)
        if unknown:
            raise KeyError(f"unknown workspace {unknown[0]!r}")
        digest = self._digest(token_bytes(token))
        with self._lock:
            if digest in self._callers:
                raise ValueError("that token is accepted already")
            caller = Caller(len(self._callers) + 1, visible)
            self._callers[digest] = caller
            return caller

    def find(self, given: bytes) -> Caller | None:
        """The caller whose token is ``given``, or ``None``."""
        digest = self._digest(given)
        with self._lock:
            return self._callers.get(digest)

    def _digest(self, token: bytes) -> bytes:
        return hmac.digest(self._key, token, "sha256")
