"""Expenses routes of the fake WebWork server (and its expense builders), checked over HTTP."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Any

import fake_checks as check
import pytest
from fake_helpers import Api, Errors, Fields, Worksite

from webwork_async.testing import FakeWebWork

EXPENSE_KEYS = [
    "id", "expense_name", "amount", "type", "member", "project", "category", "note",
    "expense_date", "added_dte",
]  # fmt: skip
CREATED = "Expense created successfully"
UPDATED = "Expense updated successfully"
LISTED = "Expenses retrieved successfully"
NOT_FOUND = "Expense not found"


def today() -> str:
    now = datetime.now(timezone.utc)
    return f"{now:%b} {now.day}, {now.year}"


def category(fake: FakeWebWork, site: Worksite, name: str = "Office Supplies") -> str:
    return str(fake.add_expense_category(site.ws, name=name)["id"])


async def create(api: Api, site: Worksite, kind: str, **fields: Any) -> Any:
    body = {"workspace_id": site.ws, "expense_name": "Paper", "date": "2024-01-15",
            "amount": 150.5, "category_id": kind, **fields}  # fmt: skip
    return await api.call("POST", "expenses", json=body)


async def update(api: Api, workspace_id: int, expense_id: str, **fields: Any) -> Any:
    body = {"workspace_id": workspace_id, **fields}
    return await api.call("PUT", f"expenses/{expense_id}", json=body)


# --- builders ------------------------------------------------------------------------------------


def test_categories_and_expenses_are_built_directly(fake: FakeWebWork, site: Worksite) -> None:
    made = fake.add_expense_category(site.ws, name="Travel")
    assert list(made) == ["id", "name"]
    assert made["id"] == str(uuid.UUID(made["id"]))
    assert fake.expense_categories(site.ws) == [made]
    assert fake.expense_categories(site.other) == []
    expense = fake.add_expense(site.ws, expense_name="Taxi", amount=20, date=date(2024, 1, 5),
                               category_id=made["id"], user_id=site.user, note="Airport",
                               created_at="2024-02-29T23:59:59Z")  # fmt: skip
    assert list(expense) == EXPENSE_KEYS
    assert {name: value for name, value in expense.items() if name != "id"} == {
        "expense_name": "Taxi", "amount": 20, "type": "non-billable", "member": "Ann Lee",
        "project": None, "category": "Travel", "note": "Airport", "expense_date": "Jan 5, 2024",
        "added_dte": "Feb 29, 2024",
    }  # fmt: skip
    bare = fake.add_expense(site.ws, expense_name="Lunch", amount=9.5, date="2024-12-01",
                            is_billable=True, project_id=site.project)  # fmt: skip
    assert (bare["member"], bare["type"], bare["project"], bare["category"]) == (
        "Casey Caller", "billable", "Website", None,
    )  # fmt: skip
    assert (bare["expense_date"], bare["added_dte"]) == ("Dec 1, 2024", today())
    assert fake.expenses(site.ws) == [expense, bare]
    with pytest.raises(TypeError, match="not Expense fields"):
        fake.add_expense(site.ws, expense_name="X", amount=1, date="2024-01-01", currency="EUR")


# --- create --------------------------------------------------------------------------------------


async def test_create_answers_201_with_the_expense_shown_with_names(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    supplies = category(fake, site)
    reply = await create(api, site, supplies, project_id=site.project, note="Q1",
                         is_billable=True)  # fmt: skip
    data = check.success(reply, CREATED, status=201)
    assert list(data) == EXPENSE_KEYS
    assert data["id"] == str(uuid.UUID(data["id"]))
    assert {name: value for name, value in data.items() if name != "id"} == {
        "expense_name": "Paper", "amount": 150.5, "type": "billable", "member": "Casey Caller",
        "project": "Website", "category": "Office Supplies", "note": "Q1",
        "expense_date": "Jan 15, 2024", "added_dte": today(),
    }  # fmt: skip
    assert fake.expenses(site.ws) == [data]
    plain = check.success(await create(api, site, supplies, amount=0), CREATED, status=201)
    assert (plain["type"], plain["project"], plain["note"], plain["amount"]) == (
        "non-billable", None, None, 0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"expense_name": None, "date": None, "amount": None, "category_id": None},
         {"expense_name": ["The expense name field is required."],
          "date": ["The date field is required."], "amount": ["The amount field is required."],
          "category_id": ["The category id field is required."]}),
        ({"amount": -0.01, "date": "15/01/2024"},
         {"date": ["The date field must be a valid date in Y-m-d format."],
          "amount": ["The amount field must be at least 0."]}),
        ({"amount": "5", "is_billable": "yes"},
         {"amount": ["The amount field must be a number."],
          "is_billable": ["The is billable field must be true or false."]}),
        ({"is_billable": 1, "note": 5},
         {"note": ["The note field must be a string."],
          "is_billable": ["The is billable field must be true or false."]}),
        ({"expense_name": "x" * 256},
         {"expense_name": ["The expense name field must not be greater than 255 characters."]}),
        ({"category_id": str(uuid.uuid4()), "project_id": 999},
         {"category_id": ["The selected category id is invalid."],
          "project_id": ["The selected project id is invalid."]}),
        ({"project_id": "1"}, {"project_id": ["The project id field must be an integer."]}),
    ],
)  # fmt: skip
async def test_create_422(
    fake: FakeWebWork, api: Api, site: Worksite, fields: Fields, errors: Errors
) -> None:
    supplies = category(fake, site)
    assert check.field_errors(await create(api, site, supplies, **fields)) == errors
    assert fake.expenses(site.ws) == []


async def test_create_needs_a_category_and_a_live_project_of_the_workspace(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    foreign = fake.add_expense_category(site.other, name="Elsewhere")["id"]
    archived = fake.add_project(site.ws, name="Old", deleted_at="2024-01-01")["id"]
    abroad = fake.add_project(site.other, name="Abroad")["id"]
    reply = await create(api, site, foreign)
    assert check.field_errors(reply) == {"category_id": ["The selected category id is invalid."]}
    for project_id in (archived, abroad):
        reply = await create(api, site, category(fake, site), project_id=project_id)
        assert check.field_errors(reply) == {"project_id": ["The selected project id is invalid."]}
    assert fake.expenses(site.ws) == fake.expenses(site.other) == []


# --- update --------------------------------------------------------------------------------------


async def test_update_changes_the_fields_present(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    made = check.success(await create(api, site, category(fake, site), project_id=site.project,
                                      note="Q1", is_billable=True), CREATED, 201)  # fmt: skip
    travel = category(fake, site, "Travel")
    data = check.success(await update(api, site.ws, made["id"], amount=99), UPDATED)
    assert data == {**made, "amount": 99}
    changes = {"category_id": travel, "project_id": None, "note": None, "is_billable": False,
               "date": "2024-02-01", "expense_name": "Train"}  # fmt: skip
    data = check.success(await update(api, site.ws, made["id"], **changes), UPDATED)
    assert data == {**made, "amount": 99, "category": "Travel", "project": None, "note": None,
                    "type": "non-billable", "expense_date": "Feb 1, 2024",
                    "expense_name": "Train"}  # fmt: skip
    assert fake.expenses(site.ws) == [data]
    assert check.success(await update(api, site.ws, made["id"]), UPDATED) == data


@pytest.mark.parametrize(
    ("fields", "errors"),
    [({"expense_name": None, "amount": None},
      {"expense_name": ["The expense name field is required."],
       "amount": ["The amount field is required."]}),
     ({"is_billable": None}, {"is_billable": ["The is billable field must be true or false."]}),
     ({"category_id": "nope"}, {"category_id": ["The selected category id is invalid."]}),
     ({"project_id": 999}, {"project_id": ["The selected project id is invalid."]})],
)  # fmt: skip
async def test_update_422(
    fake: FakeWebWork, api: Api, site: Worksite, fields: Fields, errors: Errors
) -> None:
    made = check.success(await create(api, site, category(fake, site)), CREATED, 201)
    assert check.field_errors(await update(api, site.ws, made["id"], **fields)) == errors
    assert fake.expenses(site.ws) == [made]


async def test_404_for_unknown_and_other_workspaces_expenses(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    foreign = fake.add_expense(site.other, expense_name="X", amount=1, date="2024-01-01")
    for expense_id in (foreign["id"], str(uuid.uuid4()), "42"):
        check.error(await update(api, site.ws, expense_id, amount=2), 404, NOT_FOUND)
    assert fake.expenses(site.other) == [foreign]


# --- list ----------------------------------------------------------------------------------------


async def test_list_filters_by_id_and_the_expense_date(
    fake: FakeWebWork, api: Api, site: Worksite
) -> None:
    ids = {
        name: fake.add_expense(site.ws, expense_name=name, amount=1, date=day)["id"]
        for name, day in (("a", "2024-01-31"), ("b", "2024-01-01"), ("c", "2024-02-01"))
    }
    fake.add_expense(site.other, expense_name="x", amount=1, date="2024-01-15")
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "abc"),
        ({"id": ids["c"]}, "c"),
        ({"date_from": "2024-01-01", "date_to": "2024-01-31"}, "ab"),
        ({"date_from": "2024-01-02"}, "ac"),
        ({"date_to": "2024-01-01"}, "b"),
        ({"per_page": 1, "page": 3}, "c"),
    ]
    for params, expected in cases:
        reply = await api.get("expenses", workspace_id=site.ws, **params)
        found = check.success(reply, LISTED)
        assert [item["id"] for item in found] == [ids[name] for name in expected], params
    assert check.success(await api.get("expenses", workspace_id=site.ws), LISTED) == (
        fake.expenses(site.ws)
    )


async def test_list_422(api: Api, site: Worksite) -> None:
    for params, wrong in [
        ({"date_from": "2024-02-01", "date_to": "2024-01-01"}, ["date_to"]),
        ({"date_from": "yesterday"}, ["date_from"]), ({"per_page": 0}, ["per_page"]),
    ]:  # fmt: skip
        reply = await api.get("expenses", workspace_id=site.ws, **params)
        assert sorted(check.field_errors(reply)) == wrong, params
