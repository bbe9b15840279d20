"""Fault injection and rate-limit enforcement of the fake server, checked with raw aiohttp.

The ``wire`` session opens a fresh connection per request. Note that aiohttp itself retries an
idempotent request (GET, PUT, DELETE...) once when the connection drops before the answer; the
tests that need a single attempt use POST.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import msgspec
import pytest
from fake_helpers import TOKEN, Api
from yarl import URL

from webwork_async.testing import FakeWebWork, FaultKind, FaultRule

HANDLER_RUNS = [
    "reset_before_answer",
    "reset_mid_body",
    "truncated_json",
    "invalid_json",
    "schema_mismatch",
    "slow",
    "huge_body",
    "gzip_bomb",
    "deep_json",
    "null_data",
    "endless_pages",
    "headers",
]
HANDLER_SKIPPED = ["rate_limit", "server_error", "in_band_failure", "redirect"]
#: Settings that keep the parametrised tests quick.
QUICK: dict[str, dict[str, Any]] = {
    "slow": {"delay": 0.05},
    "huge_body": {"size": 4096},
    "gzip_bomb": {"size": 4096},
}
MIB = 1024 * 1024


class Project(msgspec.Struct):
    """The part of the documented Project schema a typed client relies on."""

    id: int
    name: str


@pytest.fixture
async def wire(fake: FakeWebWork) -> AsyncIterator[Api]:
    connector = aiohttp.TCPConnector(force_close=True)
    async with fake.serve() as base_url, aiohttp.ClientSession(connector=connector) as session:
        yield Api(session, base_url)


async def attempt(api: Api, method: str, path: str, **kwargs: Any) -> int | str:
    """The status of a complete answer, or the name of the aiohttp error the request raised."""
    try:
        return (await api.send(method, path, **kwargs)).status
    except aiohttp.ClientError as exc:
        return type(exc).__name__


async def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def assert_error_envelope(body: bytes, message: str) -> None:
    decoded = json.loads(body)
    assert decoded["success"] is False
    assert decoded["message"] == message
    assert "error" in decoded
    assert decoded["meta"]["api_version"] == "2.0.0"


# --- each kind -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", HANDLER_RUNS)
async def test_handler_runs_before_these_faults(fake: FakeWebWork, wire: Api, kind: str) -> None:
    workspace_id = fake.add_workspace()
    rule = fake.inject(kind, method="POST", **QUICK.get(kind, {}))
    await attempt(wire, "POST", "projects", json={"workspace_id": workspace_id, "name": "P"})
    assert [p["name"] for p in fake.projects(workspace_id)] == ["P"]
    assert fake.executed_count("POST", "projects") == 1
    (recorded,) = fake.requests
    assert (recorded.fault, recorded.executed) == (kind, True)
    assert recorded.route == "/api/v2/projects"
    assert rule.fired == rule.hits == 1


@pytest.mark.parametrize("kind", HANDLER_SKIPPED)
async def test_handler_skipped_for_these_faults(fake: FakeWebWork, wire: Api, kind: str) -> None:
    workspace_id = fake.add_workspace()
    fake.inject(kind)  # aiohttp follows a redirect to port 9 and fails to connect
    await attempt(wire, "POST", "projects", json={"workspace_id": workspace_id, "name": "P"})
    assert fake.projects(workspace_id) == []
    assert fake.executed_count() == 0
    assert fake.request_count() == 1
    assert fake.requests[0].fault == kind


@pytest.mark.parametrize(("retry_after", "header"), [(0.25, "0.25"), (2, "2"), (1.5, "1.5")])
async def test_rate_limit_fault(
    fake: FakeWebWork, wire: Api, retry_after: float, header: str
) -> None:
    rule = fake.inject(FaultKind.RATE_LIMIT, retry_after=retry_after)
    reply = await wire.send("GET", "workspaces")
    assert reply.status == 429
    assert reply.headers["Retry-After"] == header
    assert_error_envelope(reply.body, "Too Many Attempts.")
    (recorded,) = fake.requests
    assert (recorded.status, recorded.fault, recorded.executed) == (429, "rate_limit", False)
    assert not recorded.rate_limited
    assert fake.rate_limited_count == 0  # only the enforced limit counts there
    assert isinstance(rule, FaultRule)
    assert rule.kind is FaultKind.RATE_LIMIT


@pytest.mark.parametrize(
    ("status", "expected", "message"),
    [
        (None, 503, "Service Unavailable"),
        (500, 500, "Server Error"),
        (502, 502, "Bad Gateway"),
        (504, 504, "Gateway Timeout"),
    ],
)
async def test_server_error_fault(
    fake: FakeWebWork, wire: Api, status: int | None, expected: int, message: str
) -> None:
    fake.inject("server_error", status=status)
    reply = await wire.send("GET", "workspaces")
    assert reply.status == expected
    assert reply.content_type == "application/json"
    assert_error_envelope(reply.body, message)
    assert fake.requests[0].status == expected


async def test_in_band_failure_is_a_200_with_success_false(fake: FakeWebWork, wire: Api) -> None:
    fake.add_workspace()
    fake.inject("in_band_failure")
    reply = await wire.send("GET", "workspaces")
    assert reply.status == 200
    body = json.loads(reply.body)
    assert body["success"] is False
    assert body["data"] is None
    assert body["message"]
    assert body["meta"]["api_version"] == "2.0.0"


async def test_reset_before_answer_drops_the_connection(fake: FakeWebWork, wire: Api) -> None:
    workspace_id = fake.add_workspace()
    fake.inject("reset_before_answer")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await wire.send("POST", "projects", json={"workspace_id": workspace_id, "name": "P"})
    (recorded,) = fake.requests
    assert (recorded.status, recorded.executed) == (None, True)
    assert len(fake.projects(workspace_id)) == 1


async def test_aiohttp_retries_a_dropped_get_once(fake: FakeWebWork, wire: Api) -> None:
    fake.add_workspace()
    rule = fake.inject("reset_before_answer", times=1)
    assert (await wire.send("GET", "workspaces")).status == 200
    assert [r.status for r in fake.requests] == [None, 200]
    assert rule.fired == 1


async def test_reset_mid_body_sends_headers_and_half_the_body(fake: FakeWebWork, wire: Api) -> None:
    workspace_id = fake.add_workspace()
    for number in range(5):
        fake.add_project(workspace_id, name=f"Project {number}")
    fake.inject("reset_mid_body", times=1)
    url = wire.base_url + f"projects?workspace_id={workspace_id}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with wire.session.get(url, headers=headers) as response:
        assert response.status == 200
        content_length = int(response.headers["Content-Length"])
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
    # the same answer in full (meta.timestamp has a fixed width, so the length is the same)
    intact = await wire.send("GET", "projects", params={"workspace_id": workspace_id})
    assert content_length == len(intact.body)
    assert [r.status for r in fake.requests] == [200, 200]
    assert [r.fault for r in fake.requests] == ["reset_mid_body", None]


async def test_truncated_json_is_a_complete_answer_with_half_the_body(
    fake: FakeWebWork, wire: Api
) -> None:
    workspace_id = fake.add_workspace()
    for number in range(5):
        fake.add_project(workspace_id, name=f"Project {number}")
    fake.inject("truncated_json", times=1)
    params = {"workspace_id": workspace_id}
    cut = await wire.send("GET", "projects", params=params)
    intact = await wire.send("GET", "projects", params=params)
    assert cut.status == 200
    assert cut.content_type == "application/json"
    assert int(cut.headers["Content-Length"]) == len(cut.body) == len(intact.body) // 2
    assert intact.body.startswith(cut.body)  # the cut falls before the varying meta
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.body)


async def test_invalid_json_is_an_html_page(fake: FakeWebWork, wire: Api) -> None:
    fake.add_workspace()
    fake.inject("invalid_json")
    reply = await wire.send("GET", "workspaces")
    assert reply.status == 200
    assert reply.content_type == "text/html"
    assert reply.body.startswith(b"<!DOCTYPE html>")
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.body)


async def test_schema_mismatch_is_valid_json_a_typed_client_rejects(
    fake: FakeWebWork, wire: Api
) -> None:
    workspace_id = fake.add_workspace()
    project_ids = [fake.add_project(workspace_id, name=f"P{n}")["id"] for n in range(3)]
    fake.inject("schema_mismatch")

    params = {"workspace_id": workspace_id}
    listing = json.loads((await wire.send("GET", "projects", params=params)).body)
    assert listing["success"] is True
    assert listing["meta"]["pagination"]["total"] == 3
    assert [p["id"] for p in listing["data"]] == [f"x-{n}" for n in project_ids]
    assert listing["data"][0]["name"] == {"value": "P0"}
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(listing["data"], list[Project])

    one = await wire.send("GET", f"projects/{project_ids[1]}", params=params)
    single = json.loads(one.body)
    assert single["data"]["id"] == f"x-{project_ids[1]}"
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(single["data"], Project)

    workspaces = json.loads((await wire.send("GET", "workspaces")).body)
    assert workspaces["data"][0]["workspace_name"] == {"value": "Workspace 1"}
    no_match = {"workspace_id": workspace_id, "name": "no such project"}
    empty = json.loads((await wire.send("GET", "projects", params=no_match)).body)
    assert empty["data"] == ["x-unexpected"]


async def test_slow_answer_arrives_after_the_delay(fake: FakeWebWork, wire: Api) -> None:
    fake.inject("slow", delay=0.2)
    started = time.monotonic()
    reply = await wire.send("GET", "workspaces")
    assert reply.status == 200
    assert time.monotonic() - started >= 0.2
    assert fake.requests[0].status == 200


async def test_slow_answer_outlasts_a_client_timeout_and_stops_promptly() -> None:
    fake = FakeWebWork(token=TOKEN)
    fake.inject("slow", delay=30)
    started = time.monotonic()
    async with fake.serve() as base_url:
        timeout = aiohttp.ClientTimeout(total=0.2)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            with pytest.raises(asyncio.TimeoutError):
                await Api(session, base_url).send("GET", "workspaces")
    assert time.monotonic() - started < 3
    (recorded,) = fake.requests
    assert (recorded.status, recorded.fault, recorded.executed) == (None, "slow", True)


async def test_shutdown_during_slow_answer_in_thread_drops_it_cleanly() -> None:
    fake = FakeWebWork(token=TOKEN)
    workspace_id = fake.add_workspace()
    fake.inject("slow", delay=30)
    body = {"workspace_id": workspace_id, "name": "P"}  # POST: aiohttp does not retry it
    with contextlib.ExitStack() as server:
        base_url = server.enter_context(fake.serve_in_thread())
        async with aiohttp.ClientSession() as session:
            api = Api(session, base_url)
            pending = asyncio.create_task(api.send("POST", "projects", json=body))
            await wait_until(lambda: fake.request_count() == 1)
            started = time.monotonic()
            await asyncio.to_thread(server.close)
            assert time.monotonic() - started < 3
            with pytest.raises(aiohttp.ServerDisconnectedError):
                await pending
    assert fake.requests[0].status is None
    assert len(fake.projects(workspace_id)) == 1


# --- broken or hostile servers, proxies and gateways ---------------------------------------------


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize(("status", "expected"), [(None, 302), (301, 301), (303, 303), (307, 307)])
async def test_redirect_answers_without_running_the_handler(
    fake: FakeWebWork, wire: Api, status: int | None, expected: int
) -> None:
    workspace_id = fake.add_workspace()
    fake.inject("redirect", status=status, headers={"X-Proxy": "edge-7"})
    url = wire.base_url + "projects?workspace_id=1&name=a"
    body = {"workspace_id": workspace_id, "name": "P"}
    async with wire.session.post(url, json=body, headers=auth(), allow_redirects=False) as reply:
        assert reply.status == expected
        assert (
            reply.headers["Location"] == "http://127.0.0.1:9/api/v2/projects?workspace_id=1&name=a"
        )
        assert reply.headers["X-Proxy"] == "edge-7"
        assert reply.content_type == "application/json"
        envelope = json.loads(await reply.read())
    assert envelope["success"] is False
    assert "127.0.0.1:9" in envelope["error"]
    assert fake.projects(workspace_id) == []
    (recorded,) = fake.requests
    assert (recorded.status, recorded.fault, recorded.executed) == (expected, "redirect", False)


async def test_redirect_to_a_given_location(fake: FakeWebWork, wire: Api) -> None:
    fake.inject("redirect", status=308, location="https://login.example/sso?next=/api")
    async with wire.session.get(
        wire.base_url + "workspaces", headers=auth(), allow_redirects=False
    ) as reply:
        assert (reply.status, reply.headers["Location"]) == (
            308,
            "https://login.example/sso?next=/api",
        )
    assert fake.executed_count() == 0


@pytest.mark.parametrize(
    ("path", "status"), [("workspaces", 200), ("projects", 422), ("projects/5?workspace_id=9", 404)]
)
async def test_huge_body_is_an_html_page_of_exactly_size_bytes(
    fake: FakeWebWork, wire: Api, path: str, status: int
) -> None:
    size = 3 * MIB + 5
    fake.add_workspace()
    rule = fake.inject("huge_body", size=size)
    async with wire.session.get(wire.base_url + path, headers=auth()) as reply:
        assert reply.status == status
        assert reply.content_type == "text/html"
        assert int(reply.headers["Content-Length"]) == size
        body = await reply.read()
    assert len(body) == size
    assert body.startswith(b"<!DOCTYPE html>")
    assert body.endswith(b"</html>\n")
    assert fake.requests[0].status == status
    assert rule.size == size
    assert fake.inject("huge_body").size == 64 * MIB


@pytest.mark.parametrize("size", [0, 10, 200])
async def test_huge_body_of_a_few_bytes(fake: FakeWebWork, wire: Api, size: int) -> None:
    fake.inject("huge_body", size=size)
    reply = await wire.send("GET", "workspaces")
    assert (reply.status, len(reply.body), reply.headers["Content-Length"]) == (
        200,
        size,
        str(size),
    )


async def test_gzip_bomb_decompresses_to_size_bytes(fake: FakeWebWork) -> None:
    size = 8 * MIB + 3
    fake.add_workspace()
    fake.inject("gzip_bomb", size=size)
    async with fake.serve() as base_url:
        async with aiohttp.ClientSession(auto_decompress=False) as session:
            async with session.get(base_url + "workspaces", headers=auth()) as reply:
                assert reply.status == 200
                assert reply.headers["Content-Encoding"] == "gzip"
                assert reply.content_type == "application/json"
                compressed = await reply.read()
        assert int(reply.headers["Content-Length"]) == len(compressed) < 64 * 1024
        inflated = zlib.decompressobj(wbits=31)
        plain = inflated.decompress(compressed) + inflated.flush()
        assert inflated.eof
        assert inflated.unused_data == b""
        assert len(plain) == size
        assert json.loads(plain)["data"].strip() == ""
        async with aiohttp.ClientSession() as session:  # a client that decompresses gets it all
            assert len((await Api(session, base_url).send("GET", "workspaces")).body) == size
    assert [r.status for r in fake.requests] == [200, 200]
    assert fake.inject("gzip_bomb").size == 512 * MIB


async def test_deep_json_nests_data_depth_levels(fake: FakeWebWork, wire: Api) -> None:
    fake.add_workspace()
    rule = fake.inject("deep_json", times=1)
    assert rule.depth == 1000
    deep = await wire.send("GET", "workspaces")
    start = deep.body.index(b"[")
    assert deep.body[start : start + 2000] == b"[" * 1000 + b"]" * 1000
    assert deep.body.count(b"[") == deep.body.count(b"]") == 1000
    envelope = json.loads(deep.body[:start] + b"null" + deep.body[start + 2000 :])
    assert envelope["success"] is True
    assert envelope["meta"]["pagination"]["total"] == 1  # the rest of the answer is kept
    assert deep.status == 200

    fake.inject("deep_json", depth=4)
    assert json.loads((await wire.send("GET", "workspaces")).body)["data"] == [[[[]]]]
    missing = await wire.send("GET", "projects/1", params={"workspace_id": 1})
    assert missing.status == 404
    assert json.loads(missing.body)["data"] == [[[[]]]]


async def test_null_data_with_pagination_claiming_items(fake: FakeWebWork, wire: Api) -> None:
    workspace_id = fake.add_workspace()
    project_id = fake.add_project(workspace_id, name="P")["id"]
    fake.inject("null_data")
    listing = json.loads(
        (await wire.send("GET", "projects", params={"workspace_id": workspace_id, "page": 2})).body
    )
    assert listing["success"] is True
    assert listing["data"] is None
    assert listing["meta"]["pagination"] == {
        "total": 500,
        "per_page": 100,
        "current_page": 2,
        "last_page": 5,
        "from": 101,
        "to": 200,
    }
    one = await wire.send("GET", f"projects/{project_id}", params={"workspace_id": workspace_id})
    single = json.loads(one.body)
    assert (one.status, single["data"]) == (200, None)
    assert "pagination" not in single["meta"]
    assert fake.executed_count() == 2


async def test_null_data_keeps_a_pagination_that_claims_more(fake: FakeWebWork, wire: Api) -> None:
    fake.seed(workspaces=600, projects_per_workspace=(0, 0))
    fake.inject("null_data")
    listing = json.loads((await wire.send("GET", "workspaces", params={"page": 3})).body)
    assert listing["data"] is None
    assert listing["meta"]["pagination"] == {
        "total": 600,
        "per_page": 20,
        "current_page": 3,
        "last_page": 30,
        "from": 41,
        "to": 60,
    }


async def test_endless_pages_answer_the_first_page_forever(fake: FakeWebWork, wire: Api) -> None:
    workspace_id = fake.add_workspace()
    ids = [fake.add_project(workspace_id, name=f"P{n}")["id"] for n in range(3)]
    fake.inject("endless_pages")
    query = {"workspace_id": workspace_id, "per_page": 2}
    page_7 = json.loads((await wire.send("GET", "projects", params={**query, "page": 7})).body)
    assert [p["id"] for p in page_7["data"]] == ids[:2]
    assert page_7["meta"]["pagination"] == {
        "total": 2 * 10**9,
        "per_page": 2,
        "current_page": 7,
        "last_page": 10**9,
        "from": 13,
        "to": 14,
    }
    first = json.loads((await wire.send("GET", "projects", params=query)).body)
    assert [p["id"] for p in first["data"]] == ids[:2]
    assert first["meta"]["pagination"]["current_page"] == 1
    assert fake.requests[0].query["page"] == "7"  # recorded as asked

    bad = await wire.send("GET", "projects", params={**query, "page": "x"})
    assert bad.status == 422
    one = await wire.send("GET", f"projects/{ids[0]}", params={"workspace_id": workspace_id})
    assert json.loads(one.body)["data"]["id"] == ids[0]
    assert [r.fault for r in fake.requests] == ["endless_pages"] * 4


async def test_headers_of_9000_bytes_arrive_as_given(fake: FakeWebWork, wire: Api) -> None:
    value = "v" * 9000
    fake.inject("headers", headers={"X-Debug-Trace": value})
    with pytest.raises(aiohttp.ClientResponseError, match="8190"):
        await wire.send("GET", "workspaces")  # aiohttp's client refuses such a header
    async with aiohttp.ClientSession(max_field_size=16 * 1024) as session:
        reply = await Api(session, wire.base_url).send("GET", "workspaces")
    assert reply.status == 200
    assert reply.headers["X-Debug-Trace"] == value
    assert [r.status for r in fake.requests] == [200, 200]


async def test_headers_arrive_on_a_raw_socket(fake: FakeWebWork, wire: Api) -> None:
    fake.inject("headers", headers={"X-Odd": "a" * 9000})
    url = URL(wire.base_url)
    host, port = url.host, url.port
    assert host is not None
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET /api/v2/workspaces HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    writer.close()
    await writer.wait_closed()
    assert head.startswith("HTTP/1.1 200 ")
    assert f"\r\nX-Odd: {'a' * 9000}\r\n" in head


async def test_headers_override_those_of_the_fault_and_the_rate_limit(
    fake: FakeWebWork, wire: Api
) -> None:
    fake.add_workspace()
    fake.inject("rate_limit", path="projects", headers={"Retry-After": "1e308"})
    limited = await wire.send("GET", "projects", params={"workspace_id": 1})
    assert (limited.status, limited.headers["Retry-After"]) == (429, "1e308")

    fake.enforce_rate_limit(50, period=60)
    claims = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "99999999999"}
    fake.inject("headers", path="workspaces", headers=claims)
    reply = await wire.send("GET", "workspaces")
    assert reply.status == 200
    assert {name: reply.headers[name] for name in claims} == claims
    assert reply.headers["X-RateLimit-Limit"] == "50"
    assert json.loads(reply.body)["data"][0]["id"] == 1


def test_inject_validates_the_settings_of_each_kind(fake: FakeWebWork) -> None:
    with pytest.raises(ValueError, match=r"redirect status must be one of \[301, 302, 303, 307"):
        fake.inject("redirect", status=503)
    with pytest.raises(ValueError, match="redirect status"):
        fake.inject("redirect", status=300)
    with pytest.raises(ValueError, match="server_error status must be one of"):
        fake.inject("server_error", status=302)
    with pytest.raises(ValueError, match="status applies to server_error and redirect"):
        fake.inject("huge_body", status=200)
    with pytest.raises(ValueError, match="location applies to redirect"):
        fake.inject("server_error", location="http://example.com/")
    with pytest.raises(ValueError, match="CR or LF"):
        fake.inject("redirect", location="http://x/\r\nSet-Cookie: a=b")
    with pytest.raises(ValueError, match="size applies to huge_body and gzip_bomb"):
        fake.inject("deep_json", size=10)
    with pytest.raises(ValueError, match="size"):
        fake.inject("huge_body", size=-1)
    with pytest.raises(TypeError, match="size"):
        fake.inject("gzip_bomb", size=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="depth applies to deep_json"):
        fake.inject("null_data", depth=3)
    with pytest.raises(ValueError, match="depth"):
        fake.inject("deep_json", depth=0)
    with pytest.raises(ValueError, match="CR or LF"):
        fake.inject("headers", headers={"X-Split": "a\r\nX-Injected: 1"})
    for name in ["", "Bad\nName", "Bad:Name"]:
        with pytest.raises(ValueError, match="header name"):
            fake.inject("headers", headers={name: "x"})
    with pytest.raises(TypeError, match="str"):
        fake.inject("headers", headers={"Retry-After": 5})  # type: ignore[dict-item]

    redirect = fake.inject("redirect")
    assert (redirect.status, redirect.location, redirect.size, redirect.depth) == (
        302,
        None,
        None,
        None,
    )
    rule = fake.inject("rate_limit", headers={"Retry-After": "0"})
    assert dict(rule.headers) == {"Retry-After": "0"}
    with pytest.raises(TypeError):
        rule.headers["X"] = "y"  # type: ignore[index]
    assert fake.inject("server_error").status == 503


# --- which requests ------------------------------------------------------------------------------


async def test_method_and_path_select_requests(fake: FakeWebWork, wire: Api) -> None:
    workspace_id = fake.add_workspace()
    project_id = fake.add_project(workspace_id, name="P")["id"]
    params = {"workspace_id": workspace_id}
    fake.inject("server_error", method="get", path="projects/*")
    assert await attempt(wire, "GET", f"projects/{project_id}", params=params) == 503
    assert await attempt(wire, "GET", "projects", params=params) == 200
    assert await attempt(wire, "GET", "workspaces") == 200
    update = {"workspace_id": workspace_id, "name": "Q"}
    assert await attempt(wire, "PUT", f"projects/{project_id}", json=update) == 200

    fake.clear_faults()
    assert await attempt(wire, "GET", f"projects/{project_id}", params=params) == 200
    fake.inject("server_error", path="/api/v2/projects")
    assert await attempt(wire, "GET", "projects", params=params) == 503
    assert await attempt(wire, "POST", "projects", json=update) == 503
    assert await attempt(wire, "GET", f"projects/{project_id}", params=params) == 200


async def test_unauthenticated_and_unknown_routes_are_not_faulted(
    fake: FakeWebWork, wire: Api
) -> None:
    rule = fake.inject("server_error")
    assert await attempt(wire, "GET", "workspaces", token=None) == 401
    assert await attempt(wire, "GET", "missing") == 404
    assert await attempt(wire, "DELETE", "workspaces") == 405
    assert rule.fired == 0


async def test_first_rule_that_fires_wins(fake: FakeWebWork, wire: Api) -> None:
    fake.inject("server_error", status=502, path="workspaces")
    fake.inject("server_error", status=504)
    assert await attempt(wire, "GET", "workspaces") == 502
    assert await attempt(wire, "GET", "projects", params={"workspace_id": 1}) == 504


async def test_probability_zero_and_one(fake: FakeWebWork, wire: Api) -> None:
    never = fake.inject("server_error", probability=0.0)
    always = fake.inject("in_band_failure", probability=1.0)
    statuses = [await attempt(wire, "GET", "workspaces", params={"page": n}) for n in range(1, 9)]
    assert statuses == [200] * 8
    assert never.fired == 0
    assert always.fired == always.hits == 8
    assert {r.fault for r in fake.requests} == {"in_band_failure"}


async def test_times_and_burst(fake: FakeWebWork, wire: Api) -> None:
    rule = fake.inject("server_error", times=2, burst=2)
    first = [await attempt(wire, "GET", "workspaces") for _ in range(4)]
    second = [await attempt(wire, "GET", "workspaces", params={"page": 1}) for _ in range(3)]
    # fires on the 1st and 3rd identical request, each followed by a burst; then spent
    assert first == [503, 503, 503, 503]
    assert second == [200, 200, 200]
    assert (rule.fired, rule.hits) == (2, 4)


async def test_burst_follows_the_same_request_only(fake: FakeWebWork, wire: Api) -> None:
    fake.inject("server_error", times=1, burst=3, path="workspaces")
    statuses = [await attempt(wire, "GET", "workspaces") for _ in range(2)]
    statuses.append(await attempt(wire, "GET", "workspaces", params={"page": 1}))
    statuses += [await attempt(wire, "GET", "workspaces") for _ in range(2)]
    assert statuses == [503, 503, 200, 503, 200]


async def _fault_pattern(
    *, fake_seed: int, rule_seed: int | None = None, reverse: bool = False
) -> dict[str, list[int]]:
    """Send a fixed set of requests (concurrently, some repeated) to a fresh fake.

    Returns, per distinct request, the sorted statuses of its copies.
    """
    fake = FakeWebWork(token=TOKEN)
    workspace_id = fake.add_workspace()
    fake.fault_seed = fake_seed
    fake.inject("server_error", probability=0.5, seed=rule_seed)
    names = [f"n{n}" for n in range(24)] + ["n0", "n1", "n1", "n2", "n2", "n2"]
    if reverse:
        names.reverse()
    async with fake.serve() as base_url, aiohttp.ClientSession() as session:
        api = Api(session, base_url)
        statuses = await asyncio.gather(
            *(
                attempt(api, "GET", "projects", params={"workspace_id": workspace_id, "name": n})
                for n in names
            )
        )
    pattern: dict[str, list[int]] = {}
    for name, status in zip(names, statuses, strict=True):
        assert isinstance(status, int)
        pattern.setdefault(name, []).append(status)
    return {name: sorted(found) for name, found in pattern.items()}


async def test_same_seed_same_faults_whatever_the_order() -> None:
    forward = await _fault_pattern(fake_seed=7)
    backward = await _fault_pattern(fake_seed=7, reverse=True)
    assert forward == backward
    faulted = sum(status == 503 for found in forward.values() for status in found)
    assert 0 < faulted < 30
    assert await _fault_pattern(fake_seed=8) != forward
    assert await _fault_pattern(fake_seed=0, rule_seed=7) == forward


def test_inject_validates_its_arguments(fake: FakeWebWork) -> None:
    with pytest.raises(ValueError, match="'bogus'"):
        fake.inject("bogus")
    with pytest.raises(ValueError, match="probability"):
        fake.inject("slow", probability=1.5)
    with pytest.raises(ValueError, match="500, 502, 503, 504"):
        fake.inject("server_error", status=418)
    with pytest.raises(ValueError, match="server_error"):
        fake.inject("rate_limit", status=503)
    with pytest.raises(ValueError, match="burst"):
        fake.inject("slow", burst=0)
    with pytest.raises(ValueError, match="times"):
        fake.inject("slow", times=0)
    with pytest.raises(ValueError, match="delay"):
        fake.inject("slow", delay=-1)
    with pytest.raises(TypeError):
        fake.fault_seed = "7"  # type: ignore[assignment]
    rule = fake.inject("truncated_json", method="post", path="projects/*")
    assert (rule.kind, rule.method, rule.path) == (
        FaultKind.TRUNCATED_JSON,
        "POST",
        "/api/v2/projects/*",
    )


# --- rate limit ----------------------------------------------------------------------------------


async def test_rate_limit_enforcement(fake: FakeWebWork, wire: Api) -> None:
    fake.add_workspace()
    fake.enforce_rate_limit(3, period=0.8)
    allowed = [await wire.send("GET", "workspaces") for _ in range(3)]
    assert [r.status for r in allowed] == [200, 200, 200]
    assert [r.headers["X-RateLimit-Limit"] for r in allowed] == ["3", "3", "3"]
    assert [r.headers["X-RateLimit-Remaining"] for r in allowed] == ["2", "1", "0"]
    assert "Retry-After" not in allowed[0].headers

    limited = await wire.send("GET", "workspaces")
    assert limited.status == 429
    assert_error_envelope(limited.body, "Too Many Attempts.")
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    retry_after = float(limited.headers["Retry-After"])
    assert 0 < retry_after <= 0.8
    assert abs(float(limited.headers["X-RateLimit-Reset"]) - (time.time() + retry_after)) < 0.5

    again = await wire.send("GET", "workspaces")  # rejected requests do not count
    assert again.status == 429
    wait = float(again.headers["Retry-After"])
    assert wait <= retry_after
    await asyncio.sleep(wait)
    assert (await wire.send("GET", "workspaces")).status == 200

    assert await attempt(wire, "GET", "workspaces", token=None) == 401  # before the limit
    assert fake.rate_limited_count == 2
    assert [r.rate_limited for r in fake.requests] == [False] * 3 + [True] * 2 + [False] * 2
    assert fake.executed_count() == 4

    fake.enforce_rate_limit(None)
    reply = await wire.send("GET", "workspaces")
    assert reply.status == 200
    assert "X-RateLimit-Limit" not in reply.headers


async def test_rate_limit_under_concurrency_in_thread() -> None:
    fake = FakeWebWork(token=TOKEN)
    fake.add_workspace()
    fake.enforce_rate_limit(5, period=60)
    with fake.serve_in_thread() as base_url:
        async with aiohttp.ClientSession() as session:
            api = Api(session, base_url)
            statuses = await asyncio.gather(*(attempt(api, "GET", "workspaces") for _ in range(20)))
    assert (statuses.count(200), statuses.count(429)) == (5, 15)
    assert fake.rate_limited_count == 15
    assert fake.executed_count() == 5


def test_enforce_rate_limit_validates(fake: FakeWebWork) -> None:
    with pytest.raises(ValueError, match="requests"):
        fake.enforce_rate_limit(0)
    with pytest.raises(ValueError, match="period"):
        fake.enforce_rate_limit(5, period=0)


# --- counting ------------------------------------------------------------------------------------


async def test_route_counts_and_executed_count(fake: FakeWebWork, wire: Api) -> None:
    workspace_id = fake.add_workspace()
    project_id = fake.add_project(workspace_id, name="P")["id"]
    params = {"workspace_id": workspace_id}
    expected = [
        ("GET", "workspaces", {}, None, 200),
        ("GET", "projects", params, None, 200),
        ("GET", f"projects/{project_id}", params, None, 200),
        ("GET", "projects/999", params, None, 404),
        ("GET", "missing", {}, None, 404),
        ("DELETE", "workspaces", {}, None, 405),
        ("GET", "workspaces", {}, "bad-token", 401),
    ]
    for method, path, query, token, status in expected:
        reply = await wire.send(method, path, params=query, token=token or TOKEN)
        assert reply.status == status
    assert fake.route_counts() == {
        ("GET", "/api/v2/workspaces"): 2,
        ("GET", "/api/v2/projects"): 1,
        ("GET", "/api/v2/projects/{project_id}"): 2,
        ("GET", "/api/v2/missing"): 1,
        ("DELETE", "/api/v2/workspaces"): 1,
    }
    assert [r.status for r in fake.requests] == [status for *_, status in expected]
    assert [r.executed for r in fake.requests] == [True] * 4 + [False] * 3
    assert fake.executed_count() == 4
    assert fake.executed_count("GET", "projects/999") == 1
    assert fake.executed_count(path="/api/v2/workspaces") == 1
    assert fake.request_count("GET", "/api/v2/workspaces") == 2
