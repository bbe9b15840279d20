"""ww.expenses against the fake server: amounts, categories, and edits."""

from __future__ import annotations

import datetime

import pytest
from team import Team, last_sent

from webwork_async import (
    AsyncSession,
    Expense,
    ExpenseType,
    InvalidArgumentError,
    NotFoundError,
    ValidationError,
)
from webwork_async.testing import FakeWebWork


async def test_create_list_and_update_an_expense(
    ww: AsyncSession, webwork_fake: FakeWebWork, team: Team
) -> None:
    category = webwork_fake.add_expense_category(team.workspace_id, name="Office Supplies")
    where = {"workspace_id": team.workspace_id}
    made = await ww.expenses.create(
        **where,
        expense_name="Paper",
        date=datetime.date(2024, 1, 15),
        amount=150.5,
        category_id=category["id"],
        project_id=team.project_id,
        is_billable=True,
    )
    assert isinstance(made, Expense)
    assert (made.expense_name, made.amount, made.type) == ("Paper", 150.5, ExpenseType.BILLABLE)
    assert (made.category, made.project, made.expense_date) == (
        "Office Supplies",
        "Website",
        "Jan 15, 2024",
    )
    assert last_sent(webwork_fake)[3] == {
        **where,
        "expense_name": "Paper",
        "date": "2024-01-15",
        "amount": 150.5,
        "category_id": category["id"],
        "project_id": team.project_id,
        "is_billable": True,
    }
    changed = await ww.expenses.update(made.id, **where, amount=99, is_billable=False)
    assert changed is not None and (changed.amount, changed.type) == (99, "non-billable")
    [listed] = await ww.expenses.list(**where, date_from="2024-01-01", date_to="2024-01-31")
    assert listed == changed
    assert len(await ww.expenses.list(**where, date_from="2024-02-01")) == 0
    other = webwork_fake.add_workspace()
    results = {r.workspace_id: r async for r in ww.expenses.list_many([team.workspace_id, other])}
    assert [e.id for e in results[team.workspace_id].items] == [made.id]
    with pytest.raises(NotFoundError):
        await ww.expenses.update(made.id, workspace_id=other, amount=1)


async def test_an_unknown_category_is_a_field_error(ww: AsyncSession, team: Team) -> None:
    with pytest.raises(ValidationError) as caught:
        await ww.expenses.create(
            workspace_id=team.workspace_id,
            expense_name="Paper",
            date="2024-01-15",
            amount=1,
            category_id="a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        )
    assert "category_id" in caught.value.errors


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"amount": -1}, "amount"),
        ({"expense_name": " "}, "expense_name"),
        ({"category_id": "../x"}, "category_id"),
        ({"is_billable": "yes"}, "is_billable"),
    ],
)
async def test_bad_expenses_are_refused_before_sending(
    ww: AsyncSession, webwork_fake: FakeWebWork, arguments: dict[str, object], argument: str
) -> None:
    good: dict[str, object] = {
        "expense_name": "Paper",
        "date": "2024-01-15",
        "amount": 1,
        "category_id": "c1",
    }
    with pytest.raises(InvalidArgumentError) as caught:
        await ww.expenses.create(workspace_id=1, **{**good, **arguments})  # type: ignore[arg-type]
    assert caught.value.argument == argument
    assert webwork_fake.request_count() == 0
