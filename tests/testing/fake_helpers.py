"""Raw-HTTP helpers for the tests of the fake server (a unique name, to avoid clashes)."""

from __future__ import annotations

import json as json_module
from dataclasses import dataclass
from typing import Any

import aiohttp

TOKEN = "test-token-not-secret"


@dataclass
class Reply:
    """Status, headers and decoded JSON body of one answer from the fake."""

    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class RawReply:
    """Status, headers, content type and undecoded body of one answer from the fake."""

    status: int
    headers: dict[str, str]
    content_type: str
    body: bytes


class Api:
    """Tiny raw-HTTP helper: requests relative to the fake's base URL, JSON decoded."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: bytes | None = None,
        token: str | None = TOKEN,
    ) -> RawReply:
        """One request; the answer as sent, whatever its content type."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        if data is not None:
            headers["Content-Type"] = "application/json"
        async with self.session.request(
            method,
            self.base_url + path,
            params={k: str(v) for k, v in (params or {}).items()},
            json=json,
            data=data,
            headers=headers,
        ) as response:
            body = await response.read()
            return RawReply(response.status, dict(response.headers), response.content_type, body)

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: bytes | None = None,
        token: str | None = TOKEN,
    ) -> Reply:
        raw = await self.send(method, path, params=params, json=json, data=data, token=token)
        assert raw.content_type == "application/json"
        return Reply(raw.status, raw.headers, json_module.loads(raw.body))

    async def get(self, path: str, **params: Any) -> Reply:
        return await self.call("GET", path, params=params)
