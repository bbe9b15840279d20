"""Building blocks shared by every model: the base Struct, the envelope and pagination."""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

T = TypeVar("T")


class Model(msgspec.Struct, kw_only=True, gc=False, repr_omit_defaults=True):
    """Base of every response model.

    Unknown fields are ignored, so new fields on the service never break decoding. ``gc=False``
    keeps decoded objects out of the cyclic garbage collector, which otherwise costs about half of
    a large bulk decode; models never hold reference cycles, so nothing leaks.
    """


class Pagination(Model):
    """Where a page sits in a paginated list (``meta.pagination``)."""

    total: int | None = None
    per_page: int | None = None
    current_page: int | None = None
    last_page: int | None = None
    from_: int | None = msgspec.field(default=None, name="from")
    to: int | None = None


class Meta(Model):
    """The ``meta`` object every answer carries."""

    api_version: str | None = None
    timestamp: str | None = None
    pagination: Pagination | None = None


class Envelope(Model, Generic[T]):
    """The wrapper around every answer: ``{success, message, data, meta}``.

    Some list answers carry ``pagination`` at the top level instead of inside ``meta``; both are
    accepted. ``saved_minutes`` sits beside ``data`` in the answer to a new time entry.
    """

    success: bool
    data: T
    message: str | None = None
    meta: Meta | None = None
    pagination: Pagination | None = None
    saved_minutes: int | None = None

    @property
    def page_info(self) -> Pagination | None:
        """The pagination block, wherever the service put it."""
        if self.meta is not None and self.meta.pagination is not None:
            return self.meta.pagination
        return self.pagination


class Acknowledgement(Envelope[msgspec.Raw]):
    """The envelope of an answer whose ``data`` the caller ignores (a write that returns
    nothing): ``data`` may be left out, as the docs show for some writes, and is never parsed."""

    data: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(b"null"))


class ErrorBody(Model):
    """The body of an error answer (also of a ``success: false`` answer with HTTP 200).

    ``success`` is None when the body does not say: only an explicit ``false`` is a failure.
    """

    success: bool | None = None
    message: str | None = None
    error: str | None = None
    errors: dict[str, list[str] | str] | None = None
