"""Starting and stopping the fake: serve(), serve_in_thread(), make_app(), pytest fixture.

The whole suite runs with ``-W error``, so any unclosed socket, unclosed loop or destroyed task
left behind by a start/stop cycle fails these tests.
"""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import warnings
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from fake_helpers import TOKEN

from webwork_async.testing import FakeWebWork
from webwork_async.testing._server import _ServerLoop


def _sync_get(url: str, token: str | None = TOKEN) -> tuple[int, Any]:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


async def test_serve_in_current_loop_twice() -> None:
    fake = FakeWebWork(token=TOKEN)
    fake.add_workspace()
    urls = []
    for _ in range(2):
        async with fake.serve() as base_url, aiohttp.ClientSession() as session:
            assert base_url == fake.base_url
            assert base_url.startswith("http://127.0.0.1:")
            assert base_url.endswith("/api/v2/")
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with session.get(base_url + "workspaces", headers=headers) as response:
                assert response.status == 200
            urls.append(base_url)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(urls[-1] + "workspaces")


async def test_serve_stops_with_open_keepalive_connection() -> None:
    fake = FakeWebWork(token=TOKEN)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession() as session:
        # The server stops first, while the session still holds the pooled keep-alive
        # connection: stopping must not wait for the client to let it go (pytest-timeout).
        async with fake.serve() as base_url:
            async with session.get(base_url + "workspaces", headers=headers) as response:
                assert response.status == 200
                await response.read()
        # The pooled connection was closed by the server: the next request cannot reuse it
        # and finds nobody listening.
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(base_url + "workspaces", headers=headers)


def test_serve_in_thread_sync() -> None:
    fake = FakeWebWork(token=TOKEN)
    workspace_id = fake.add_workspace()
    threads_before = threading.active_count()
    with fake.serve_in_thread() as base_url:
        assert fake.base_url == base_url
        status, body = _sync_get(base_url + "workspaces")
        assert status == 200
        assert body["data"][0]["id"] == workspace_id
        # mutate from the test thread while the server thread runs
        fake.add_project(workspace_id, name="Added while serving")
        status, body = _sync_get(base_url + f"projects?workspace_id={workspace_id}")
        assert [p["name"] for p in body["data"]] == ["Added while serving"]
        status, body = _sync_get(base_url + "workspaces", token=None)
        assert status == 401
    assert threading.active_count() == threads_before
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base_url + "workspaces", timeout=2)
    assert fake.request_count() == 3


async def test_serve_in_thread_from_async_test() -> None:
    fake = FakeWebWork(token=TOKEN)
    fake.seed(workspaces=3, projects_per_workspace=(1, 3))
    with fake.serve_in_thread() as base_url:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with (
            aiohttp.ClientSession(headers=headers) as session,
            session.get(base_url + "workspaces") as response,
        ):
            body = await response.json()
    assert [w["id"] for w in body["data"]] == [1, 2, 3]
    assert fake.request_count("GET", "workspaces") == 1


def test_serve_in_thread_reports_bind_errors() -> None:
    first = FakeWebWork(token=TOKEN)
    with first.serve_in_thread() as base_url:
        port = int(base_url.split(":")[2].split("/")[0])
        with pytest.raises(OSError, match=r"(?i)in use"), FakeWebWork().serve_in_thread(port=port):
            pass  # pragma: no cover


async def test_make_app_works_with_aiohttp_test_tools() -> None:
    fake = FakeWebWork(token=TOKEN)
    fake.add_workspace()
    assert fake.app is fake.app
    async with TestClient(TestServer(fake.app)) as client:
        response = await client.get(
            "/api/v2/workspaces", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert response.status == 200
        assert (await response.json())["data"][0]["id"] == 1


def test_pytest_fixture(webwork_fake: FakeWebWork) -> None:
    assert webwork_fake.base_url is not None
    workspace_id = webwork_fake.add_workspace()
    status, body = _sync_get(webwork_fake.base_url + "workspaces", token=webwork_fake.token)
    assert status == 200
    assert body["data"][0]["id"] == workspace_id
    assert webwork_fake.request_count("GET", "/api/v2/workspaces") == 1


async def test_pytest_fixture_in_async_test(webwork_fake: FakeWebWork) -> None:
    assert webwork_fake.base_url is not None
    headers = {"Authorization": f"Bearer {webwork_fake.token}"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.get(webwork_fake.base_url + "workspaces") as response,
    ):
        assert response.status == 200


def test_plugin_and_package_import_cheaply() -> None:
    code = (
        "import sys, webwork_async.testing.pytest_plugin\n"
        "loaded = [m for m in ('webwork_async.testing._server', 'pytest_asyncio') "
        "if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "from webwork_async.testing import FakeWebWork, RecordedRequest\n"
        "assert 'webwork_async.testing._server' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True, timeout=30)


async def test_crashing_handler_answers_500_envelope(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeWebWork(token=TOKEN)
    app = fake.make_app()

    async def crash(request: web.Request) -> web.Response:
        raise RuntimeError("boom")

    app.router.add_get("/api/v2/crash", crash)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/api/v2/crash", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status == 500
        body = await response.json()
    assert body["success"] is False
    assert body["error"] == "RuntimeError"
    assert "boom" in caplog.text


async def test_concurrent_writes_get_unique_ids() -> None:
    fake = FakeWebWork(token=TOKEN)
    workspace_id = fake.add_workspace()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with fake.serve_in_thread() as base_url:
        async with aiohttp.ClientSession(headers=headers) as session:

            async def create(number: int) -> int:
                body = {"workspace_id": workspace_id, "name": f"P{number}"}
                async with session.post(base_url + "projects", json=body) as response:
                    assert response.status == 201
                    project_id: int = (await response.json())["data"]["id"]
                    return project_id

            def add_from_another_thread() -> list[int]:
                return [fake.add_project(workspace_id, name=f"T{n}")["id"] for n in range(20)]

            added, created = await asyncio.gather(
                asyncio.to_thread(add_from_another_thread),
                asyncio.gather(*(create(n) for n in range(40))),
            )
    all_ids = [*added, *created]
    assert sorted(all_ids) == list(range(1, 61))
    assert [p["id"] for p in fake.projects(workspace_id)] == list(range(1, 61))
    assert fake.request_count("POST", "projects") == 40


async def test_empty_write_body_is_422_not_400() -> None:
    fake = FakeWebWork(token=TOKEN)
    fake.add_workspace()
    async with fake.serve() as base_url, aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with session.post(base_url + "projects", headers=headers) as response:
            assert response.status == 422
            body = await response.json()
    assert sorted(body["errors"]) == ["name", "workspace_id"]


def test_a_connection_set_up_after_the_server_closed_leaves_no_socket_open() -> None:
    # The race the threaded fake meets under load: a connection accepted just before its server
    # closes is set up in a later turn. CPython's own loop then fails half-way (Server._attach
    # asserts) with the socket taken and never closed, to warn "unclosed transport" in a later
    # test; the fake's loop closes the socket first.
    loop = _ServerLoop()
    try:
        server = loop.run_until_complete(loop.create_server(asyncio.Protocol, "127.0.0.1", 0))
        server.close()
        accepted, peer = socket.socketpair()  # stands for the connection accepted in time
        with peer, pytest.raises(ConnectionAbortedError):
            loop._make_socket_transport(accepted, asyncio.Protocol(), server=server)
        assert accepted.fileno() == -1  # closed here, not left to the garbage collector
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            gc.collect()  # no half-built transport is left to warn
    finally:
        loop.close()
