"""Argument checks run before any request is sent.

Each check raises :class:`~webwork_async.errors.InvalidArgumentError` naming the argument, so a
mistake costs no request (and no rate-limit token) and the message points straight at it. The
predicates :func:`is_count` and :func:`is_seconds` are shared with the configuration checks,
which raise :class:`~webwork_async.errors.ConfigurationError` instead.
"""

from __future__ import annotations

import datetime
import enum
import math
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from webwork_async._constants import MAX_PER_PAGE, MIN_PER_PAGE
from webwork_async.errors import InvalidArgumentError

# How much of a value's repr an error message quotes.
_SHOWN_LENGTH = 60


def shown(value: object) -> str:
    """A value as an error message shows it: its repr (cut short) and its type, ``'12' (str)``."""
    text = repr(value)
    if len(text) > _SHOWN_LENGTH:
        text = text[: _SHOWN_LENGTH - 3] + "..."
    return f"{text} ({type(value).__name__})"


def is_count(value: object, minimum: int) -> TypeGuard[int]:
    """An ``int`` (not a ``bool``) of at least ``minimum``."""
    return not isinstance(value, bool) and isinstance(value, int) and value >= minimum


def is_seconds(value: object, *, zero_allowed: bool = False) -> TypeGuard[float]:
    """A finite real number (not a ``bool``) above zero, or at least zero if ``zero_allowed``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return False
    return value >= 0 if zero_allowed else value > 0


def positive_id(argument: str, value: object) -> int:
    """An id: a positive ``int`` (``bool`` is refused even though it is an ``int``)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(argument, f"must be a positive int, got {shown(value)}")
    if value < 1:
        raise InvalidArgumentError(argument, f"must be a positive int, got {value}")
    return value


def optional_id(argument: str, value: object) -> int | None:
    """A positive id, or None: in an update, None clears the reference (sent as null)."""
    return None if value is None else positive_id(argument, value)


def positive_ids(argument: str, values: object) -> list[int]:
    """Distinct positive ids in their first-seen order; the error names the bad item's index."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidArgumentError(
            argument, f"must be an iterable of positive ints, got {shown(values)}"
        )
    seen: dict[int, None] = {}
    for index, value in enumerate(values):
        seen[positive_id(f"{argument}[{index}]", value)] = None
    return list(seen)


def project_scopes(argument: str, values: object) -> list[tuple[int, int]]:
    """Distinct ``(workspace_id, project_id)`` pairs in their first-seen order."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidArgumentError(
            argument,
            f"must be an iterable of (workspace_id, project_id) pairs, got {shown(values)}",
        )
    seen: dict[tuple[int, int], None] = {}
    for index, pair in enumerate(values):
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise InvalidArgumentError(
                f"{argument}[{index}]",
                f"must be a (workspace_id, project_id) pair, got {shown(pair)}",
            )
        workspace_id = positive_id(f"{argument}[{index}][0]", pair[0])
        seen[workspace_id, positive_id(f"{argument}[{index}][1]", pair[1])] = None
    return list(seen)


def page_number(value: object) -> int | None:
    """``page``: None (the service's default, 1) or an int >= 1."""
    return None if value is None else positive_id("page", value)


def page_size(value: object, maximum: int = MAX_PER_PAGE) -> int | None:
    """``per_page``: None (the service's default) or an int within the documented 1..100 (or
    the lower ``maximum`` of a list that pages by fewer, 50 for time entries)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError("per_page", f"must be an int, got {shown(value)}")
    if not MIN_PER_PAGE <= value <= maximum:
        raise InvalidArgumentError(
            "per_page", f"must be between {MIN_PER_PAGE} and {maximum}, got {value}"
        )
    return value


def non_empty_text(argument: str, value: object) -> str:
    """A string with something other than white space in it."""
    if not isinstance(value, str):
        raise InvalidArgumentError(argument, f"must be a string, got {shown(value)}")
    if not value.strip():
        raise InvalidArgumentError(argument, "must not be empty")
    return value


def optional_text(argument: str, value: object) -> str | None:
    """A string or None."""
    if value is not None and not isinstance(value, str):
        raise InvalidArgumentError(argument, f"must be a string, got {shown(value)}")
    return value


def calendar_date(argument: str, value: object) -> datetime.date | None:
    """A ``datetime.date`` (or an ISO ``YYYY-MM-DD`` string), or None.

    A ``datetime`` is refused: the API takes plain dates, and dropping the time silently could
    move the day.
    """
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        raise InvalidArgumentError(argument, "must be a datetime.date, not a datetime")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise InvalidArgumentError(
                argument, f"must be a date in YYYY-MM-DD form, got {value!r}"
            ) from None
    raise InvalidArgumentError(argument, f"must be a datetime.date, got {shown(value)}")


def date_order(start_argument: str, start: object, end_argument: str, end: object) -> None:
    """Refuse an end date before its start date (the API requires end >= start)."""
    if isinstance(start, datetime.date) and isinstance(end, datetime.date) and end < start:
        raise InvalidArgumentError(
            end_argument,
            f"{end.isoformat()} is before {start_argument} {start.isoformat()}",
        )


def moment(argument: str, value: object) -> datetime.datetime | None:
    """An aware ``datetime`` (or an ISO 8601 string with its offset), or None.

    A naive datetime is refused: the service would read it in a time zone the caller cannot
    know (its own, or the workspace owner's), and the time would move by hours.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidArgumentError(
                argument, f"must be an ISO 8601 date and time, got {value!r}"
            ) from None
    if not isinstance(value, datetime.datetime):
        raise InvalidArgumentError(argument, f"must be a datetime.datetime, got {shown(value)}")
    if value.utcoffset() is None:
        raise InvalidArgumentError(
            argument, "must be an aware datetime (with tzinfo), not a naive one"
        )
    return value


def moment_order(start_argument: str, start: object, end_argument: str, end: object) -> None:
    """Refuse an end that is not after its start: a span of time must have a length."""
    if isinstance(start, datetime.datetime) and isinstance(end, datetime.datetime) and end <= start:
        raise InvalidArgumentError(
            end_argument, f"{end.isoformat()} is not after {start_argument} {start.isoformat()}"
        )


def time_of_day(argument: str, value: object) -> str | None:
    """A time of day as the API writes it, ``HH:MM``: a ``datetime.time`` (whole minutes) or such
    a string; None passes."""
    if value is None:
        return None
    if isinstance(value, datetime.time):
        if value.second or value.microsecond or value.tzinfo is not None:
            raise InvalidArgumentError(
                argument, "must be whole minutes without a time zone (the API takes HH:MM)"
            )
        return value.strftime("%H:%M")
    if isinstance(value, str):
        try:
            parsed = datetime.datetime.strptime(value, "%H:%M")
        except ValueError:
            raise InvalidArgumentError(
                argument, f"must be a time as HH:MM, got {value!r}"
            ) from None
        return parsed.strftime("%H:%M")
    raise InvalidArgumentError(argument, f"must be a datetime.time or 'HH:MM', got {shown(value)}")


def time_order(start_argument: str, start: object, end_argument: str, end: object) -> None:
    """Refuse an ``HH:MM`` end that is not after its start (both on the same day)."""
    if isinstance(start, str) and isinstance(end, str) and end <= start:
        raise InvalidArgumentError(end_argument, f"{end} is not after {start_argument} {start}")


def date_span(
    start_argument: str, start: object, end_argument: str, end: object, max_days: int
) -> None:
    """Refuse a date range longer than ``max_days`` days, both ends counted (the reports of
    one user or of tasks cover at most 31)."""
    if isinstance(start, datetime.date) and isinstance(end, datetime.date):
        days = (end - start).days + 1
        if days > max_days:
            raise InvalidArgumentError(
                end_argument,
                f"the range from {start_argument} {start.isoformat()} to {end.isoformat()} is "
                f"{days} days; the API allows {max_days} at most",
            )


def boolean(argument: str, value: object) -> bool | None:
    """True, False or None (left out); 0 and 1 are refused, to catch a swapped argument."""
    if value is None or isinstance(value, bool):
        return value
    raise InvalidArgumentError(argument, f"must be True or False, got {shown(value)}")


def yes_no(argument: str, value: object) -> str | None:
    """A flag the API writes as ``"yes"``/``"no"``: from a bool or from those words."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value in ("yes", "no"):
        return value
    raise InvalidArgumentError(argument, f"must be True, False, 'yes' or 'no', got {shown(value)}")


def non_negative_number(argument: str, value: object) -> float | int | None:
    """A number >= 0, or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(argument, f"must be a number, got {shown(value)}")
    if value != value or value < 0 or value == float("inf"):
        raise InvalidArgumentError(argument, f"must be a finite number >= 0, got {value}")
    return value


def callback(argument: str, value: object) -> Callable[..., Any]:
    """A function to call back (``progress=``)."""
    if not callable(value):
        raise InvalidArgumentError(argument, f"must be a function, got {shown(value)}")
    return value


# An address with one "@", something before it and a dot in the domain: enough to catch a
# swapped argument; the service checks deliverability.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def email(argument: str, value: object) -> str:
    """An e-mail address (its shape only)."""
    if not isinstance(value, str):
        raise InvalidArgumentError(argument, f"must be an e-mail address, got {shown(value)}")
    if _EMAIL.fullmatch(value.strip()) is None:
        raise InvalidArgumentError(argument, f"must be an e-mail address, got {value!r}")
    return value.strip()


def one_of(allowed: Iterable[object]) -> Callable[[str, object], object]:
    """A check that accepts the documented values ``allowed`` (an enum, or values) given as
    themselves or as enum members, and gives the plain value to send."""
    values = [v.value if isinstance(v, enum.Enum) else v for v in allowed]

    def check(argument: str, value: object) -> object:
        plain = value.value if isinstance(value, enum.Enum) else value
        if isinstance(plain, bool) or plain not in values:
            listed = ", ".join(repr(v) for v in values)
            raise InvalidArgumentError(argument, f"must be one of {listed}, got {shown(value)}")
        return plain

    return check


def non_negative_int(argument: str, value: object) -> int:
    """An int >= 0 (not a ``bool``): a code, a count."""
    if not is_count(value, 0):
        raise InvalidArgumentError(argument, f"must be an int >= 0, got {shown(value)}")
    return value


def weekly_hours(argument: str, value: object) -> int:
    """Hours per week: an int from 0 to 168."""
    if not is_count(value, 0) or value > 168:
        raise InvalidArgumentError(argument, f"must be an int from 0 to 168, got {shown(value)}")
    return value


def flag(argument: str, value: object) -> int:
    """A 0/1 switch, sent as the API writes it: ``True``/``1`` -> 1, ``False``/``0`` -> 0."""
    if value not in (0, 1) or isinstance(value, float):
        raise InvalidArgumentError(argument, f"must be True or False (1 or 0), got {shown(value)}")
    return int(bool(value))


def opaque_id(argument: str, value: object) -> str:
    """An opaque string id (webhooks): non-empty, no "/" or white space, sent as it is."""
    text = non_empty_text(argument, value)
    if any(ch in text for ch in "/?#") or any(ch.isspace() for ch in text):
        raise InvalidArgumentError(
            argument, f"must be an id without '/', '?', '#' or spaces, got {text!r}"
        )
    return text


def http_url(argument: str, value: object) -> str:
    """An absolute http(s) URL (a webhook's callback)."""
    text = non_empty_text(argument, value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgumentError(argument, f"must be an absolute http(s) URL, got {text!r}")
    return text


def choices(
    check: Callable[[str, object], object],
) -> Callable[[str, object], list[object]]:
    """A check of a non-empty list whose every item passes ``check`` (repeats dropped)."""

    def check_all(argument: str, value: object) -> list[object]:
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise InvalidArgumentError(argument, f"must be a list, got {shown(value)}")
        items = list(dict.fromkeys(check(f"{argument}[{i}]", v) for i, v in enumerate(value)))
        if not items:
            raise InvalidArgumentError(argument, "must not be empty")
        return items

    return check_all
