"""ww.time_requests against the fake server: manual time, asked for, then decided once."""

from __future__ import annotations

import datetime

import pytest
from team import Team, last_sent

from webwork_async import (
    AsyncSession,
    InvalidArgumentError,
    NotFoundError,
    TimeRequest,
    TimeRequestStatus,
    ValidationError,
)
from webwork_async.testing import FakeWebWork

UTC = datetime.timezone.utc
NINE = datetime.datetime(2024, 1, 15, 9, tzinfo=UTC)
FIVE = datetime.datetime(2024, 1, 15, 17, tzinfo=UTC)


async def ask(ww: AsyncSession, team: Team, **extra: object) -> TimeRequest:
    return await ww.time_requests.create(
        workspace_id=team.workspace_id,
        user_id=team.user_id,
        contract_id=team.contract_id,
        start=extra.pop("start", NINE),  # type: ignore[arg-type]
        end=extra.pop("end", FIVE),  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


async def test_create_get_list_and_approve_once(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    made = await ask(ww, team, notes="Docs")
    assert isinstance(made, TimeRequest)
    assert made.status == TimeRequestStatus.PENDING
    assert (made.start, made.end, made.notes) == (NINE, FIVE, "Docs")
    assert (made.user_id, made.contract_id, made.project_id) == (
        team.user_id,
        team.contract_id,
        team.project_id,
    )
    assert last_sent(webwork_fake)[3] == {
        "workspace_id": team.workspace_id,
        "user_id": team.user_id,
        "contract_id": team.contract_id,
        "start": "2024-01-15T09:00:00Z",
        "end": "2024-01-15T17:00:00Z",
        "notes": "Docs",
    }
    where = {"workspace_id": team.workspace_id}
    assert await ww.time_requests.get(made.id, **where) == made
    approved = await ww.time_requests.approve(made.id, **where)
    assert approved is not None and approved.status == "approved"
    assert approved.updated_by is not None
    [entry] = webwork_fake.time_entries(team.workspace_id)
    assert entry["duration_minutes"] == 480 and entry["method"] == "Manually added time"
    with pytest.raises(ValidationError) as caught:
        await ww.time_requests.approve(made.id, **where)
    assert "status" in caught.value.errors
    assert len(webwork_fake.time_entries(team.workspace_id)) == 1


async def test_reject_keeps_the_comment_and_decides_only_once(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    made = await ask(ww, team)
    where = {"workspace_id": team.workspace_id}
    rejected = await ww.time_requests.reject(made.id, **where, comment="Overlaps a meeting")
    assert rejected is not None
    assert (rejected.status, rejected.comment) == ("rejected", "Overlaps a meeting")
    assert last_sent(webwork_fake)[3] == {**where, "comment": "Overlaps a meeting"}
    with pytest.raises(ValidationError):
        await ww.time_requests.approve(made.id, **where)
    with pytest.raises(ValidationError):
        await ww.time_requests.reject(made.id, **where, comment="again")
    assert webwork_fake.time_entries(team.workspace_id) == []


async def test_list_filters_by_status_user_and_start_date(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    january = await ask(ww, team)
    march = await ask(ww, team, start=NINE.replace(month=3), end="2024-03-15T12:00:00+00:00")
    where = {"workspace_id": team.workspace_id}
    await ww.time_requests.approve(march.id, **where)
    pending = await ww.time_requests.list(**where, status="pending")
    assert [r.id for r in pending] == [january.id]
    in_march = await ww.time_requests.list(
        **where, date_from=datetime.date(2024, 3, 1), date_to=datetime.date(2024, 3, 31)
    )
    assert [r.id for r in in_march] == [march.id]
    assert last_sent(webwork_fake)[2]["date_from"] == "2024-03-01"
    every = [r.id async for r in ww.time_requests.list(**where, user_id=team.user_id)]
    assert sorted(every) == sorted([january.id, march.id])
    other = webwork_fake.add_workspace()
    many = ww.time_requests.list_many([team.workspace_id, other])
    results = {r.workspace_id: r async for r in many}
    assert len(results[team.workspace_id].items) == 2 and results[other].ok


async def test_another_workspaces_request_is_not_found(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    made = await ask(ww, team)
    other = webwork_fake.add_workspace()
    with pytest.raises(NotFoundError):
        await ww.time_requests.get(made.id, workspace_id=other)
    with pytest.raises(NotFoundError):
        await ww.time_requests.approve(made.id, workspace_id=other)


async def test_a_contract_of_someone_else_is_a_field_error(ww: AsyncSession, team: Team) -> None:
    with pytest.raises(ValidationError) as caught:
        await ww.time_requests.create(
            workspace_id=team.workspace_id,
            user_id=team.user_id,
            contract_id=999_999,
            start=NINE,
            end=FIVE,
        )
    assert "contract_id" in caught.value.errors


@pytest.mark.parametrize(
    ("start", "end", "argument"),
    [
        (NINE, NINE, "end"),
        (FIVE, NINE, "end"),
        (datetime.datetime(2024, 1, 15, 9), FIVE, "start"),
        ("9 o'clock", FIVE, "start"),
        (NINE, None, "end"),
    ],
)
async def test_a_span_that_is_naive_empty_or_backwards_is_refused_before_sending(
    ww: AsyncSession, webwork_fake: FakeWebWork, start: object, end: object, argument: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await ww.time_requests.create(
            workspace_id=1,
            user_id=1,
            contract_id=1,
            start=start,
            end=end,  # type: ignore[arg-type]
        )
    assert caught.value.argument == argument
    assert webwork_fake.request_count() == 0
