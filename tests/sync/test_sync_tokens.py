"""``webwork sync`` with several tokens (``--token-file``, one a line): each workspace synced by
one token that can see it, the work balanced, each token in its own rate-limit bucket."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sync_helpers import SyncShell, rows

from webwork_async.cli import webwork
from webwork_async.testing import FakeWebWork


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[SyncShell]:
    fake = FakeWebWork()
    with fake.serve_in_thread() as base_url:
        yield SyncShell(fake, base_url, tmp_path, str(tmp_path / "webwork.sqlite"))


def _token_file(folder: Path, tokens: list[str]) -> Path:
    path = folder / "tokens.txt"
    path.write_text("\n".join(tokens) + "\n")
    path.chmod(0o600)
    return path


def test_each_workspace_is_synced_by_one_token_that_sees_it_balanced(shell: SyncShell) -> None:
    fake = shell.fake
    ids = fake.seed(workspaces=20, projects_per_workspace=(1, 20), every_group=True)
    first_only, shared, second_only = ids[:4], ids[4:16], ids[16:]
    tokens = [
        fake.add_token(workspaces=first_only + shared),
        fake.add_token(workspaces=shared + second_only),
    ]
    token_file = _token_file(shell.home, tokens)
    # Each token is paced at the limit the fake enforces per token: no 429 for either.
    fake.enforce_rate_limit(requests=300, period=1.0)
    arguments = shell.arguments("--format", "json", rate_limit="300/1")
    command = ["--token-file", str(token_file), *arguments]
    result = CliRunner().invoke(webwork, command, env={**shell.environment(), "WEBWORK_TOKEN": ""})
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["failures"] == [] and summary["finished"] is True

    callers: dict[int, set[int | None]] = {}
    for request in fake.requests:
        if request.workspace_id is not None:
            callers.setdefault(request.workspace_id, set()).add(request.caller)
    assert sorted(callers) == sorted(ids)
    assert all(len(found) == 1 for found in callers.values())  # one token a workspace
    assigned = {workspace: found.pop() for workspace, found in callers.items()}
    assert all(assigned[w] == 1 for w in first_only) and all(assigned[w] == 2 for w in second_only)
    loads = Counter(assigned.values())
    assert loads[1] == loads[2] == 10  # balanced: the shared ones split to even the load
    assert fake.rate_limited_count == 0
    assert fake.request_count(caller=0) == 0  # the environment's token was not used
    stored = {row["id"] for row in rows(shell.db, "workspaces")}
    assert stored == set(ids)  # each listed once, by whichever token saw it
    assert len(rows(shell.db, "projects")) == sum(len(fake.projects(w)) for w in ids)
    content = b"".join(p.read_bytes() for p in Path(shell.db).parent.glob("webwork.sqlite*"))
    assert all(token.encode() not in content for token in [*tokens, fake.token])
    assert all(token not in result.stdout + result.stderr for token in tokens)


def test_a_rejected_token_fails_only_its_workspaces_and_the_run_resumes(shell: SyncShell) -> None:
    fake = shell.fake
    ids = fake.seed(workspaces=6, projects_per_workspace=(1, 5))
    good = fake.add_token(workspaces=ids[:3])
    token_file = _token_file(shell.home, [good, "not-a-token-the-fake-knows-0123456789"])
    command = ["--token-file", str(token_file), *shell.arguments("--format", "json")]
    result = CliRunner().invoke(webwork, command, env={**shell.environment(), "WEBWORK_TOKEN": ""})
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["finished"] is False  # a token was refused: the next run resumes
    assert [f["table"] for f in summary["failures"]] == ["workspaces"]
    assert "token 2: AuthenticationError" in summary["failures"][0]["error"]
    assert {row["workspace_id"] for row in rows(shell.db, "projects")} == set(ids[:3])
