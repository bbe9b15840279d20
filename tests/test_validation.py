"""Argument checks: each names the argument it refuses."""

from __future__ import annotations

import datetime

import pytest

from webwork_async import InvalidArgumentError
from webwork_async import _validation as check


@pytest.mark.parametrize("bad", [0, -1, 1.0, "1", None, True])
def test_positive_id_refuses(bad: object) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        check.positive_id("project_id", bad)
    assert caught.value.argument == "project_id"
    assert str(caught.value).startswith("project_id: ")


def test_positive_ids_dedupes_in_order_and_names_the_bad_index() -> None:
    assert check.positive_ids("workspace_ids", [3, 1, 3, 2, 1]) == [3, 1, 2]
    assert check.positive_ids("workspace_ids", (i for i in range(1, 4))) == [1, 2, 3]
    with pytest.raises(InvalidArgumentError) as caught:
        check.positive_ids("workspace_ids", [1, 2, 0])
    assert caught.value.argument == "workspace_ids[2]"
    with pytest.raises(InvalidArgumentError, match="iterable"):
        check.positive_ids("workspace_ids", "123")
    with pytest.raises(InvalidArgumentError, match="iterable"):
        check.positive_ids("workspace_ids", 5)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, 101, -5, 20.0, "20", True])
def test_page_size_outside_1_to_100(bad: object) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        check.page_size(bad)
    assert caught.value.argument == "per_page"


def test_page_size_and_number_accept_bounds_and_none() -> None:
    assert [check.page_size(v) for v in (None, 1, 100)] == [None, 1, 100]
    assert [check.page_number(v) for v in (None, 1, 9)] == [None, 1, 9]
    with pytest.raises(InvalidArgumentError, match="page"):
        check.page_number(0)


@pytest.mark.parametrize("bad", ["", "   ", None, 5])
def test_non_empty_text(bad: object) -> None:
    with pytest.raises(InvalidArgumentError, match=r"^name: "):
        check.non_empty_text("name", bad)


def test_calendar_date_accepts_dates_and_iso_strings_only() -> None:
    assert check.calendar_date("start_date", "2024-01-15") == datetime.date(2024, 1, 15)
    assert check.calendar_date("start_date", datetime.date(2024, 1, 15)) == datetime.date(
        2024, 1, 15
    )
    assert check.calendar_date("start_date", None) is None
    for bad in ("15/01/2024", datetime.datetime(2024, 1, 15, 10), 20240115):
        with pytest.raises(InvalidArgumentError, match=r"^start_date: "):
            check.calendar_date("start_date", bad)


def test_date_order_names_the_end_argument() -> None:
    check.date_order("start_date", datetime.date(2024, 1, 1), "deadline", datetime.date(2024, 1, 1))
    check.date_order("start_date", None, "deadline", datetime.date(2024, 1, 1))
    with pytest.raises(InvalidArgumentError) as caught:
        check.date_order(
            "start_date", datetime.date(2024, 2, 1), "deadline", datetime.date(2024, 1, 31)
        )
    assert caught.value.argument == "deadline"
    assert "2024-01-31 is before start_date 2024-02-01" in str(caught.value)


@pytest.mark.parametrize("bad", [-1, -0.5, float("nan"), float("inf"), "5", True])
def test_non_negative_number(bad: object) -> None:
    with pytest.raises(InvalidArgumentError, match=r"^budget: "):
        check.non_negative_number("budget", bad)
    assert check.non_negative_number("budget", 0) == 0
    assert check.non_negative_number("budget", 12.5) == 12.5


def test_count_and_seconds_predicates_refuse_bools_and_non_finite_numbers() -> None:
    assert check.is_count(3, 1) and check.is_count(0, 0)
    assert not any(check.is_count(v, 0) for v in (True, -1, 1.0, "2", None))
    assert check.is_seconds(0.5) and check.is_seconds(2)
    assert check.is_seconds(0, zero_allowed=True) and not check.is_seconds(0)
    bad = (True, -0.1, float("nan"), float("inf"), "1", None)
    assert not any(check.is_seconds(v, zero_allowed=True) for v in bad)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12", "project_id: must be a positive int, got '12' (str)"),
        (12.0, "project_id: must be a positive int, got 12.0 (float)"),
        (None, "project_id: must be a positive int, got None (NoneType)"),
        ("x" * 100, "project_id: must be a positive int, got '" + "x" * 56 + "... (str)"),
    ],
)
def test_a_refused_value_is_shown_with_its_type(value: object, message: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        check.positive_id("project_id", value)
    assert str(caught.value) == message
