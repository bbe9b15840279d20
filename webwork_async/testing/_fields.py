"""Field validation shared by every API group of the fake server: rules, specs, Laravel messages.

A group describes the fields of a request as a mapping of :class:`Spec` (one rule each, plus
``required``/``nullable`` and where to store the value) and :func:`validate` checks a JSON body or
a query string against it, collecting every problem in one :class:`~._http.FieldErrors`. Rules are
small functions that return the clean value or raise :class:`Invalid` with a Laravel message in
which ``{field}`` stands for the field's label ("per_page" -> "per page").

Laravel's input conventions apply: strings are trimmed for the blank check and ``""`` counts as
``null``; a field left out is not checked unless required (on a partial update nothing is
required); a ``null`` clears a ``nullable`` field, is "required" for a required one and fails the
rule otherwise (``"The x field must be an integer."``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Final
from urllib.parse import urlsplit

from ._http import FieldErrors, is_int, is_number, label, parse_digits
from ._state import format_timestamp

#: A rule: the clean value of a present, non-blank input, or :class:`Invalid`.
Rule = Callable[[Any], Any]

_DATE_SHAPE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME_OF_DAY_SHAPE: Final = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
#: ISO 8601 date-times: ``2024-01-15T10:30:00Z``, ``...:00.123456+02:00``; no zone means UTC.
_TIMESTAMP_SHAPE: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?"
    r"([Zz]|[+-][0-9]{2}:?[0-9]{2})?"
)
_EMAIL_SHAPE: Final = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_EMAIL_MAX: Final = 255
_URL_MAX: Final = 2048
#: Longest string fields: names and titles, and free texts (notes, descriptions).
NAME_MAX: Final = 255
TEXT_MAX: Final = 65_535
REQUIRED: Final = "The {field} field is required."
SELECTED_INVALID: Final = "The selected {field} is invalid."
#: An ``end_time`` (``HH:mm``) that does not come after its ``start_time``.
AFTER_START_TIME: Final = "The {field} field must be a time after start time."
TAKEN: Final = "The {field} has already been taken."


class Invalid(Exception):
    """A rule's verdict on one input: a message with ``{field}``, for ``field`` + ``at``."""

    def __init__(self, message: str, *, at: str = "") -> None:
        """``at`` names a part of the field (``".0"`` for the first item of a list)."""
        super().__init__(message)
        self.message = message
        self.at = at


@dataclass(frozen=True)
class Spec:
    """How one request field is checked and stored.

    ``store`` is the stored name when it differs from the request's (``budget`` ->
    ``budget_estimation``); ``after`` names a date field this one may not precede (checked by
    :func:`validate` on a full body, by :func:`check_order` on merged data for updates).
    """

    rule: Rule
    required: bool = False
    nullable: bool = False
    store: str | None = None
    after: str | None = None


def blank(value: Any) -> bool:
    """Laravel's view of "no value": ``None``, or a string that is empty once trimmed."""
    return value is None or (isinstance(value, str) and not value.strip())


def add_error(errors: FieldErrors, field: str, message: str) -> None:
    """Record ``message`` (with ``{field}``) for ``field``, its label filled in."""
    errors.add(field, message.format(field=label(field)))


def validate(
    params: Mapping[str, Any],
    specs: Mapping[str, Spec],
    errors: FieldErrors,
    *,
    partial: bool = False,
) -> dict[str, Any]:
    """Check the fields of ``params`` against ``specs``; return clean values by stored name.

    ``partial`` (updates) checks only the fields present and leaves date order to
    :func:`check_order`. Problems go to ``errors``; their fields are left out of the result.
    """
    values: dict[str, Any] = {}
    for field, spec in specs.items():
        if field not in params:
            if spec.required and not partial:
                add_error(errors, field, REQUIRED)
            continue
        value = params[field]
        key = spec.store or field
        if blank(value) and spec.nullable:
            values[key] = None
        elif blank(value) and spec.required:
            add_error(errors, field, REQUIRED)
        else:
            try:
                values[key] = spec.rule(None if blank(value) else value)
            except Invalid as exc:
                add_error(errors, field + exc.at, exc.message)
    if not partial:
        check_order(values, specs, errors)
    return values


def check_order(
    data: Mapping[str, Any],
    specs: Mapping[str, Spec],
    errors: FieldErrors,
    changed: Collection[str] | None = None,
) -> None:
    """Record an error for each date in ``data`` before the date its spec's ``after`` names.

    With ``changed`` (an update's fields), only the pairs of which one date changes count.
    """
    for field, spec in specs.items():
        if spec.after is None or field in errors or spec.after in errors:
            continue
        if changed is not None and field not in changed and spec.after not in changed:
            continue
        day, floor = parse_date(data.get(field)), parse_date(data.get(spec.after))
        if day is not None and floor is not None and day < floor:
            add_error(
                errors,
                field,
                f"The {{field}} field must be a date after or equal to {label(spec.after)}.",
            )


# --- rules -------------------------------------------------------------------------------------


def chain(*rules: Rule) -> Rule:
    """Apply ``rules`` in turn, each to the value the previous one returned."""

    def check(value: Any) -> Any:
        for rule in rules:
            value = rule(value)
        return value

    return check


def text(max_length: int = NAME_MAX) -> Rule:
    """A string of at most ``max_length`` characters."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid("The {field} field must be a string.")
        if len(value) > max_length:
            raise Invalid(f"The {{field}} field must not be greater than {max_length} characters.")
        return value

    return check


def _in_range(value: int | float, low: int | None, high: int | None) -> None:
    if low is not None and high is not None and not low <= value <= high:
        raise Invalid(f"The {{field}} field must be between {low} and {high}.")
    if low is not None and value < low:
        raise Invalid(f"The {{field}} field must be at least {low}.")
    if high is not None and value > high:
        raise Invalid(f"The {{field}} field must not be greater than {high}.")


def integer(low: int | None = None, high: int | None = None) -> Rule:
    """A JSON integer (not a bool, not a numeric string) within ``low``..``high``."""

    def check(value: Any) -> int:
        if not is_int(value):
            raise Invalid("The {field} field must be an integer.")
        _in_range(value, low, high)
        result: int = value
        return result

    return check


def query_integer(low: int | None = None, high: int | None = None) -> Rule:
    """A query-string integer: ASCII digits only, within ``low``..``high``."""

    def check(value: Any) -> int:
        parsed = parse_digits(value) if isinstance(value, str) else None
        if parsed is None:
            raise Invalid("The {field} field must be an integer.")
        _in_range(parsed, low, high)
        return parsed

    return check


def number(low: int | None = None) -> Rule:
    """A finite JSON number (integer or float, not a bool) of at least ``low``."""

    def check(value: Any) -> int | float:
        if not is_number(value):
            raise Invalid("The {field} field must be a number.")
        _in_range(value, low, None)
        result: int | float = value
        return result

    return check


def one_of(options: Iterable[Any]) -> Rule:
    """One of ``options``, of the same type too (``True`` is not 1, ``"10"`` is not 10)."""
    allowed = {(type(option), option) for option in options}

    def check(value: Any) -> Any:
        if isinstance(value, (dict, list)) or (type(value), value) not in allowed:
            raise Invalid(SELECTED_INVALID)  # an object or array is never one of them
        return value

    return check


def _text_that(max_length: int, accepts: Callable[[str], bool], message: str) -> Rule:
    """A string of at most ``max_length`` characters that ``accepts``, else ``message``."""
    as_text = text(max_length)

    def check(value: Any) -> str:
        result: str = as_text(value)
        if not accepts(result):
            raise Invalid(message)
        return result

    return check


def email_address() -> Rule:
    """An e-mail address of a plain ``local@domain.tld`` shape, at most 255 characters."""
    return _text_that(
        _EMAIL_MAX,
        lambda address: _EMAIL_SHAPE.fullmatch(address) is not None,
        "The {field} field must be a valid email address.",
    )


def parse_date(value: Any) -> date | None:
    """The calendar date of a ``YYYY-MM-DD`` string, else ``None``."""
    if not isinstance(value, str) or _DATE_SHAPE.fullmatch(value) is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _zone(text: str | None) -> timezone:
    if text is None or text in "Zz":
        return timezone.utc
    offset = timedelta(hours=int(text[1:3]), minutes=int(text[-2:]))
    return timezone(-offset if text[0] == "-" else offset)


def parse_timestamp(value: Any) -> datetime | None:
    """The UTC moment of an ISO 8601 date-time string (or ``datetime``), else ``None``."""
    try:
        if isinstance(value, datetime):
            return value.astimezone(timezone.utc)
        shape = _TIMESTAMP_SHAPE.fullmatch(value) if isinstance(value, str) else None
        if shape is None:
            return None
        *numbers, fraction, zone = shape.groups()
        year, month, day, hour, minute, second = (int(part or 0) for part in numbers)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=_zone(zone))
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # no such day or hour; a zone beyond 24 h; year 0/10000
        return None


def date_time() -> Rule:
    """An ISO 8601 date-time, kept as the API's UTC timestamp (``2024-01-15T10:30:00.000000Z``)."""

    def check(value: Any) -> str:
        moment = parse_timestamp(value)
        if moment is None:
            raise Invalid("The {field} field must be a valid date.")
        return format_timestamp(moment)

    return check


def calendar_date() -> Rule:
    """A real calendar date written ``YYYY-MM-DD`` (kept as that string)."""

    def check(value: Any) -> str:
        if parse_date(value) is None:
            raise Invalid("The {field} field must be a valid date in Y-m-d format.")
        result: str = value
        return result

    return check


def time_of_day() -> Rule:
    """A 24-hour time of day written ``HH:mm`` (kept as that string, which sorts as times do)."""

    def check(value: Any) -> str:
        if not isinstance(value, str) or _TIME_OF_DAY_SHAPE.fullmatch(value) is None:
            raise Invalid("The {field} field must match the format H:i.")
        return value

    return check


def boolean() -> Rule:
    """A JSON boolean (``true``/``false``; not 0/1, not a string)."""

    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise Invalid("The {field} field must be true or false.")
        return value

    return check


_QUERY_BOOLEANS: Final = {"true": True, "1": True, "false": False, "0": False}


def query_boolean() -> Rule:
    """A query-string boolean: ``true``/``1`` or ``false``/``0``."""

    def check(value: Any) -> bool:
        found = _QUERY_BOOLEANS.get(value) if isinstance(value, str) else None
        if found is None:
            raise Invalid("The {field} field must be true or false.")
        return found

    return check


def comma_list(rule: Rule) -> Rule:
    """A query-string list sent comma-separated (``users=1,2,3``), each item passing ``rule``;
    duplicates dropped. An item's problem is reported under ``field.<index>``."""

    def check(value: Any) -> list[Any]:
        if not isinstance(value, str):
            raise Invalid("The {field} field must be an array.")
        return _each(rule, [item.strip() for item in value.split(",")])

    return check


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def web_url() -> Rule:
    """An absolute ``http`` or ``https`` URL with a host, at most 2048 characters."""
    return _text_that(_URL_MAX, _is_web_url, "The {field} field must be a valid URL.")


def items(rule: Rule, *, min_items: int = 0) -> Rule:
    """A JSON array of at least ``min_items`` items that each pass ``rule``; duplicates dropped.

    An item's problem is reported under ``field.<index>`` (Laravel's ``assignees.0``); an empty
    array where items are needed is "required", as in Laravel.
    """

    def check(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise Invalid("The {field} field must be an array.")
        if len(value) < min_items:
            raise Invalid(REQUIRED)
        return _each(rule, value)

    return check


def _each(rule: Rule, values: list[Any]) -> list[Any]:
    """What ``rule`` makes of each of ``values``, duplicates dropped; the first item that fails
    is reported under ``field.<index>``."""
    clean: list[Any] = []
    for index, item in enumerate(values):
        try:
            checked = rule(item)
        except Invalid as exc:
            raise Invalid(exc.message, at=f".{index}") from None
        if checked not in clean:
            clean.append(checked)
    return clean


def fail_item(errors: FieldErrors, field: str, values: Sequence[Any], bad: Any) -> None:
    """Record "The selected field.N is invalid." for the list item ``bad`` of ``values``."""
    add_error(errors, f"{field}.{values.index(bad)}", SELECTED_INVALID)


#: Rules many groups use.
POSITIVE_ID: Final = integer(low=1)
QUERY_ID: Final = query_integer(low=1)
#: Ids sent comma-separated in the query string (the reports' ``users``, ``projects`` ...).
QUERY_IDS: Final = comma_list(QUERY_ID)
#: Why a manager refuses something (a timesheet's reject ``reason``, a request's ``comment``).
REASON: Final = Spec(text(1000), required=True)
#: The list filters of an inclusive range of days (``date_to`` not before ``date_from``).
DATE_RANGE: Final = {
    "date_from": Spec(calendar_date(), nullable=True),
    "date_to": Spec(calendar_date(), nullable=True, after="date_from"),
}
#: The tracked work a tracker or a time request names: a member's contract and maybe a task.
TRACKED_WORK: Final = {
    "user_id": Spec(POSITIVE_ID, required=True),
    "contract_id": Spec(POSITIVE_ID, required=True),
    "task_id": Spec(POSITIVE_ID, nullable=True),
    "activity_description": Spec(text(NAME_MAX), nullable=True),
}
WEEKLY_HOURS: Final = integer(0, 168)
ZERO_OR_ONE: Final = chain(integer(), one_of((0, 1)))
