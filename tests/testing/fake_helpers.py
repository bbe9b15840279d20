"""Raw-HTTP helpers for the tests of the fake server (a unique name, to avoid clashes)."""

from __future__ import annotations

import json as json_module
import re
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


ISO_MICRO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def assert_success(reply: Reply, message: str, status: int = 200) -> Any:
    """Check a success envelope with ``message`` and ``status``; return its ``data``."""
    assert reply.status == status, reply.body
    assert reply.body["success"] is True
    assert reply.body["message"] == message
    assert reply.body["meta"]["api_version"] == "2.0.0"
    assert ISO_MICRO.fullmatch(reply.body["meta"]["timestamp"])
    return reply.body["data"]


def assert_error(reply: Reply, status: int, message: str | None = None) -> None:
    """Check an error envelope of ``status`` (and ``message``, if given)."""
    assert reply.status == status, reply.body
    assert reply.body["success"] is False
    assert "error" in reply.body
    assert reply.body["meta"]["api_version"] == "2.0.0"
    if message is not None:
        assert reply.body["message"] == message


def field_errors(reply: Reply) -> dict[str, list[str]]:
    """The ``errors`` map of a 422 answer."""
    assert_error(reply, 422, "The given data was invalid.")
    errors: dict[str, list[str]] = reply.body["errors"]
    assert all(
        messages and all(isinstance(m, str) for m in messages) for messages in errors.values()
    )
    return errors
