"""Webhooks routes of the fake WebWork server (variant B), checked over HTTP."""

from __future__ import annotations

import logging
import re
from typing import Any

import fake_checks as check
import pytest
from fake_helpers import Api

from webwork_async.testing import FakeWebWork

HOOK_ID = re.compile(r"[0-9a-f]{12}")
TOKEN = re.compile(r"whsec_[0-9a-f]{32}")


async def create(api: Api, workspace_id: int, **body: Any) -> Any:
    fields = {"url": "https://example.com/hook", "events": ["tracker.started"], **body}
    return await api.call("POST", "webhooks", json={"workspace_id": workspace_id, **fields})


async def test_create_answers_200_with_an_opaque_id_and_a_secret_token(
    fake: FakeWebWork, api: Api
) -> None:
    workspace_id = fake.add_workspace()
    events = ["member.invited", "tracker.stopped", "member.invited"]
    webhook = check.success(
        await create(api, workspace_id, events=events), "Webhook created successfully"
    )
    assert list(webhook) == ["id", "url", "events", "token"]
    assert HOOK_ID.fullmatch(webhook["id"])
    assert TOKEN.fullmatch(webhook["token"])
    assert (webhook["url"], webhook["events"]) == (
        "https://example.com/hook", ["member.invited", "tracker.stopped"],
    )  # fmt: skip
    second = (await create(api, workspace_id)).body["data"]
    assert (second["id"], second["token"]) != (webhook["id"], webhook["token"])
    assert fake.webhooks(workspace_id) == [webhook, second]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"url": None, "events": None},
         {"url": ["The url field is required."], "events": ["The events field is required."]}),
        ({"url": "ftp://example.com/x"}, {"url": ["The url field must be a valid URL."]}),
        ({"url": "not a url"}, {"url": ["The url field must be a valid URL."]}),
        ({"events": []}, {"events": ["The events field is required."]}),
        ({"events": "tracker.started"}, {"events": ["The events field must be an array."]}),
        ({"events": ["tracker.started", "task.created"]},
         {"events.1": ["The selected events.1 is invalid."]}),
    ],
)  # fmt: skip
async def test_create_422(
    fake: FakeWebWork, api: Api, body: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    workspace_id = fake.add_workspace()
    assert check.field_errors(await create(api, workspace_id, **body)) == errors
    assert fake.webhooks(workspace_id) == []


async def test_list_pages_50_by_default(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    hooks = [fake.add_webhook(workspace_id, url=f"https://example.com/{n}") for n in range(60)]
    fake.add_webhook(fake.add_workspace(), url="https://example.com/elsewhere")
    first = await api.get("webhooks", workspace_id=workspace_id)
    assert check.success(first, "Webhooks retrieved successfully") == hooks[:50]
    assert first.body["meta"]["pagination"] == {
        "total": 60, "per_page": 50, "current_page": 1, "last_page": 2, "from": 1, "to": 50,
    }  # fmt: skip
    second = await api.get("webhooks", workspace_id=workspace_id, page=2)
    assert second.body["data"] == hooks[50:]
    everything = await api.get("webhooks", workspace_id=workspace_id, per_page=100)
    assert len(everything.body["data"]) == 60
    assert list(
        check.field_errors(await api.get("webhooks", workspace_id=workspace_id, per_page=0))
    ) == ["per_page"]


async def test_update_and_delete(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    hook = fake.add_webhook(workspace_id, url="https://example.com/a", events=["tracker.started"])
    path = f"webhooks/{hook['id']}"
    url_only = await api.call(
        "PUT", path, json={"workspace_id": workspace_id, "url": "http://example.org/b"}
    )
    updated = check.success(url_only, "Webhook updated successfully")
    assert updated == {**hook, "url": "http://example.org/b"}
    events = await api.call(
        "PUT",
        path,
        json={
            "workspace_id": workspace_id,
            "url": "https://x.example",
            "events": ["project.deleted"],
        },
    )
    assert events.body["data"]["events"] == ["project.deleted"]
    no_url = await api.call("PUT", path, json={"workspace_id": workspace_id, "events": []})
    assert sorted(check.field_errors(no_url)) == ["events", "url"]

    deleted = await api.call("DELETE", path, json={"workspace_id": workspace_id})
    assert check.success(deleted, "Webhook deleted successfully") is None
    assert fake.webhooks(workspace_id) == []
    again = await api.call("DELETE", path, json={"workspace_id": workspace_id})
    check.error(again, 404, "Webhook not found")


async def test_no_get_of_one_webhook(fake: FakeWebWork, api: Api) -> None:
    workspace_id = fake.add_workspace()
    hook = fake.add_webhook(workspace_id, url="https://example.com/a")
    reply = await api.get(f"webhooks/{hook['id']}", workspace_id=workspace_id)
    check.error(reply, 405, "Method not allowed.")
    assert "GET" not in reply.headers["Allow"]


async def test_403_and_404(fake: FakeWebWork, api: Api) -> None:
    regular = fake.add_workspace(role="Regular User")
    mine, other = fake.add_workspace(), fake.add_workspace()
    hook = fake.add_webhook(regular, url="https://example.com/r")
    foreign = fake.add_webhook(other, url="https://example.com/f")
    body = {"url": "https://example.com/new"}
    await check.forbidden(api, regular, [
        ("GET", "webhooks", {}), ("POST", "webhooks", {**body, "events": ["tracker.started"]}),
        ("PUT", f"webhooks/{hook['id']}", body), ("DELETE", f"webhooks/{hook['id']}", {}),
    ])  # fmt: skip
    await check.answers(api, mine, [
        ("PUT", f"webhooks/{foreign['id']}", body), ("DELETE", f"webhooks/{foreign['id']}", {}),
        ("PUT", "webhooks/abc123def456", body), ("DELETE", "webhooks/abc123def456", {}),
    ], 404, "Webhook not found")  # fmt: skip
    assert fake.webhooks(other) == [foreign]
    assert fake.webhooks(regular) == [hook]


async def test_tokens_stay_out_of_repr_and_logs(
    fake: FakeWebWork, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    workspace_id = fake.add_workspace()
    created = (await create(api, workspace_id)).body["data"]
    built = fake.add_webhook(workspace_id, url="https://example.com/b", token="whsec_built")
    await api.get("webhooks", workspace_id=workspace_id)
    assert "webhooks=2" in repr(fake)
    for token in (created["token"], built["token"]):
        assert token not in repr(fake)
        assert token not in caplog.text


def test_add_webhook_is_lenient(fake: FakeWebWork) -> None:
    workspace_id = fake.add_workspace()
    hook = fake.add_webhook(workspace_id, url="anything", events=["custom.event"], id="fixed")
    assert (hook["id"], hook["events"]) == ("fixed", ["custom.event"])
    assert TOKEN.fullmatch(hook["token"])
    with pytest.raises(ValueError, match="exists"):
        fake.add_webhook(workspace_id, url="x", id="fixed")
    with pytest.raises(KeyError):
        fake.add_webhook(999, url="x")
