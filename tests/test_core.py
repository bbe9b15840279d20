"""The request core against a real local server: every error class, transport faults, logging.

Retries are off here (``retry=None``): these tests pin what one answer or one failed exchange is
mapped to. Retrying is covered in ``test_retry.py``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiohttp import web
from canned_server import ERROR_CLASS_BY_STATUS, Canned, CannedServer, envelope
from local_servers import free_port

from webwork_async import (
    APIError,
    AsyncSession,
    ConnectError,
    DecodeError,
    RateLimitError,
    TransportError,
    ValidationError,
    WebWorkError,
)


def failure(message: str, **extra: Any) -> dict[str, Any]:
    return {"success": False, "message": message, "error": "detail", "meta": {}, **extra}


@pytest.mark.parametrize(("status", "cls"), ERROR_CLASS_BY_STATUS)
async def test_each_error_status_raises_its_class(
    canned: CannedServer, status: int, cls: type[APIError]
) -> None:
    canned.answer["/api/v2/projects/7"] = Canned(status, failure(f"status {status}"))
    async with AsyncSession(token="t", base_url=canned.base_url, retry=None) as ww:
        with pytest.raises(cls) as caught:
            await ww.projects.get(7, workspace_id=1)
    assert type(caught.value) is cls
    assert isinstance(caught.value, WebWorkError)
    assert caught.value.status == status
    assert caught.value.message == f"status {status}"
    assert caught.value.error == "detail"


async def test_validation_error_lists_the_fields(canned: CannedServer) -> None:
    canned.answer["/api/v2/projects"] = Canned(
        422, failure("The given data was invalid.", errors={"name": ["Taken."], "icon": ["Bad."]})
    )
    async with AsyncSession(token="t", base_url=canned.base_url, retry=None) as ww:
        with pytest.raises(ValidationError) as caught:
            await ww.projects.create(workspace_id=1, name="dup")
    assert caught.value.errors == {"name": ["Taken."], "icon": ["Bad."]}
    assert caught.value.method == "POST"


async def test_rate_limit_error_carries_retry_after(canned: CannedServer) -> None:
    canned.answer["/api/v2/projects"] = Canned(
        429, failure("Too Many Attempts."), headers={"Retry-After": "42"}
    )
    async with AsyncSession(token="t", base_url=canned.base_url, retry=None) as ww:
        with pytest.raises(RateLimitError) as caught:
            await ww.projects.list(workspace_id=1)
    assert caught.value.retry_after == 42.0


async def test_success_false_in_a_200_answer_is_an_api_error(canned: CannedServer) -> None:
    canned.answer["/api/v2/projects/3"] = Canned(200, failure("Workspace suspended"))
    async with AsyncSession(token="t", base_url=canned.base_url, retry=None) as ww:
        with pytest.raises(APIError) as caught:
            await ww.projects.get(3, workspace_id=1)
    assert type(caught.value) is APIError
    assert (caught.value.status, caught.value.message) == (200, "Workspace suspended")


async def test_a_body_that_does_not_fit_names_the_field(canned: CannedServer) -> None:
    items = [{"id": 1, "name": "ok"}, {"id": 2, "name": "bad", "deadline": "someday"}]
    canned.answer["/api/v2/projects"] = Canned(body=envelope(items))
    async with AsyncSession(token="t", base_url=canned.base_url, retry=None, strict=True) as ww:
        with pytest.raises(DecodeError) as caught:
            await ww.projects.list(workspace_id=1)
    assert caught.value.path == "$.data[1].deadline"
    assert "$.data[1].deadline" in str(caught.value)


async def test_truncated_json_is_a_decode_error(canned: CannedServer) -> None:
    canned.answer["/api/v2/projects"] = Canned(body=b'{"success":true,"data":[{"id":1,')
    async with AsyncSession(token="t", base_url=canned.base_url, retry=None) as ww:
        with pytest.raises(DecodeError, match="invalid JSON"):
            await ww.projects.list(workspace_id=1)


async def test_connection_refused_is_a_connect_error() -> None:
    base_url = f"http://127.0.0.1:{free_port()}/api/v2/"
    async with AsyncSession(token="t", base_url=base_url, retry=None) as ww:
        with pytest.raises(ConnectError) as caught:
            await ww.projects.list(workspace_id=1)
    assert caught.value.method == "GET"
    assert caught.value.url.startswith(base_url)


async def test_connection_dropped_mid_body_is_a_transport_error() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = 10_000
        await response.prepare(request)
        await response.write(b'{"success":true,"data":[')
        assert request.transport is not None
        request.transport.close()
        return response

    app = web.Application()
    app.router.add_get("/api/v2/projects", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with AsyncSession(
            token="t", base_url=f"http://127.0.0.1:{port}/api/v2/", retry=None
        ) as ww:
            with pytest.raises(TransportError):
                await ww.projects.list(workspace_id=1)
    finally:
        await runner.cleanup()


async def test_requests_and_responses_are_logged_at_debug(
    canned: CannedServer, caplog: pytest.LogCaptureFixture
) -> None:
    canned.answer["/api/v2/projects"] = Canned(body=envelope([]))
    caplog.set_level(logging.DEBUG, logger="webwork_async")
    async with AsyncSession(token="t", base_url=canned.base_url, retry=None) as ww:
        await ww.projects.list(workspace_id=4)
    messages = [r.getMessage() for r in caplog.records if r.name == "webwork_async"]
    assert messages[0] == "request GET /api/v2/projects?workspace_id=4 attempt=1"
    assert messages[1].startswith("response GET /api/v2/projects?workspace_id=4 status=200")
    assert "duration=" in messages[1]


async def test_cancelled_error_is_never_wrapped(canned: CannedServer) -> None:
    canned.answer["/api/v2/projects/1"] = Canned(body=envelope({"id": 1, "name": "a"}), delay=5)
    async with AsyncSession(token="t", base_url=canned.base_url, retry=None) as ww:
        task = asyncio.create_task(ww.projects.get(1, workspace_id=1))
        while not canned.seen:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert task.cancelled()
