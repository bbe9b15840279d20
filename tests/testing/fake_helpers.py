"""Raw-HTTP helpers for the tests of the fake server (a unique name, to avoid clashes)."""

from __future__ import annotations

import json as json_module
from dataclasses import dataclass
from typing import Any

import aiohttp

from webwork_async.testing import FakeWebWork

TOKEN = "test-token-not-secret"
#: The fields of a request, and the ``errors`` map of a 422 answer.
Fields = dict[str, Any]
Errors = dict[str, list[str]]


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


@dataclass
class Worksite:
    """Ids of a workspace where member ``user`` (Ann Lee) works under ``contract`` on
    ``project`` (with ``task``), and of ``other``, a second workspace of the caller's."""

    ws: int
    other: int
    project: int
    user: int
    contract: int
    task: int

    def work(self, **fields: Any) -> dict[str, Any]:
        """A write's body naming this work: ``workspace_id``, ``user_id``, ``contract_id``."""
        body = {"workspace_id": self.ws, "user_id": self.user, "contract_id": self.contract}
        return {**body, **fields}


#: The 422s of a :class:`Worksite` body that names no work of the member (start, time requests).
WORK_422: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
    ({"user_id": 999}, {"user_id": ["The selected user id is invalid."],
                        "contract_id": ["The selected contract id is invalid."]}),
    ({"contract_id": 999}, {"contract_id": ["The selected contract id is invalid."]}),
    ({"task_id": 999}, {"task_id": ["The selected task id is invalid."]}),
]  # fmt: skip


def build_worksite(fake: FakeWebWork) -> Worksite:
    """Store a :class:`Worksite` in ``fake``."""
    ws, other = fake.add_workspace(), fake.add_workspace()
    project = fake.add_project(ws, name="Website")["id"]
    user = fake.add_member(ws, email="ann@example.com", firstname="Ann", lastname="Lee")["id"]
    contract = fake.add_contract(ws, project_id=project, user_id=user)["id"]
    task = fake.add_task(ws, project_id=project, title="Homepage")["id"]
    return Worksite(ws, other, project, user, contract, task)


def foreign_work(fake: FakeWebWork, site: Worksite) -> list[tuple[dict[str, int], list[str]]]:
    """Store work that is not the site member's to name; return ``(fields, wrong)`` pairs:
    the body fields naming it and the fields a 422 must name for them.

    A colleague's contract, the member's ended contract and their contract in the other
    workspace; a task of another project and a deleted task; an archived member.
    """
    ws = site.ws
    colleague = fake.add_member(ws, email="bo@example.com")["id"]
    other_project = fake.add_project(ws, name="Other")["id"]
    foreign_project = fake.add_project(site.other, name="Foreign")["id"]
    ended = "2024-01-01"
    contracts = [
        fake.add_contract(ws, project_id=site.project, user_id=colleague),
        fake.add_contract(ws, project_id=other_project, user_id=site.user, deleted_at=ended),
        fake.add_contract(site.other, project_id=foreign_project, user_id=site.user),
    ]
    tasks = [
        fake.add_task(ws, project_id=other_project, title="Stray"),
        fake.add_task(ws, project_id=site.project, title="Gone", deleted_at=ended),
    ]
    gone = fake.add_member(ws, email="gone@example.com", deleted_at=ended)["id"]
    return [
        *(({"contract_id": contract["id"]}, ["contract_id"]) for contract in contracts),
        *(({"task_id": task["id"]}, ["task_id"]) for task in tasks),
        ({"user_id": gone}, ["contract_id", "user_id"]),
    ]
