"""python -m webwork_async demo: the README's main job, run in-process."""

from __future__ import annotations

import re

import pytest

from webwork_async.__main__ import main


def test_demo_fetches_every_project_and_reports_failures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--workspaces", "40", "--seed", "3", "--concurrency", "4"]) == 0
    out = capsys.readouterr().out
    assert "workspaces listed:  45" in out  # 40 seeded + 5 where the caller is a regular user
    assert "48 workspaces asked, 40 complete, 8 failed, 0 missing" in out
    assert re.search(r"projects fetched:   \d+ \(matches the server", out)
    assert out.count("PermissionDeniedError HTTP 403") == 5
    assert out.count("NotFoundError HTTP 404") == 3


def test_demo_refuses_nonsense_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["demo", "--workspaces", "0"])
    assert caught.value.code == 2
    assert "--workspaces" in capsys.readouterr().err


def test_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "bulk-fetches every project with list_many" in out
    assert "``" not in out and ":class:" not in out
