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
from datetime import datetime
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
        self._expiry: dict[bytes, datetime] = {}
        self._added = 0

    def __len__(self) -> int:
        """How many tokens were added (removed ones included)."""
        return self._added

    def add(
        self,
        token: str,
        workspaces: Iterable[int] | None,
        existing: Collection[int],
        *,
        expires_at: datetime | None = None,
    ) -> Caller:
        """Accept ``token`` as the next caller, seeing ``workspaces`` (``None``: every one),
        until ``expires_at`` (``None``: for ever; the OAuth2 access tokens expire).

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
            self._added += 1
            caller = Caller(self._added, visible)
            self._callers[digest] = caller
            if expires_at is not None:
                self._expiry[digest] = expires_at
            return caller

    def remove(self, token: str) -> bool:
        """Refuse ``token`` from now on; False when it was not accepted."""
        digest = self._digest(token_bytes(token))
        with self._lock:
            self._expiry.pop(digest, None)
            return self._callers.pop(digest, None) is not None

    def find(self, given: bytes, now: datetime | None = None) -> Caller | None:
        """The caller whose token is ``given`` and has not expired at ``now``, or ``None``."""
        digest = self._digest(given)
        with self._lock:
            expires_at = self._expiry.get(digest)
            if expires_at is not None and now is not None and now >= expires_at:
                return None
            return self._callers.get(digest)

    def _digest(self, token: bytes) -> bytes:
        return hmac.digest(self._key, token, "sha256")
