"""Models of the Contracts group (reference §3.4, §4.4)."""

from __future__ import annotations

import datetime
import enum

from webwork_async.models._base import Model

__all__ = ["Contract", "ContractStatus", "RateType", "ScreenshotMode"]


class ContractStatus(str, enum.Enum):
    """Status of a contract; ``status`` fields keep any string the service sends."""

    ACTIVE = "active"
    PAUSED = "paused"


class ScreenshotMode(str, enum.Enum):
    """Screenshot modes of a contract (reference §2.8)."""

    FULL = "full"
    BLURRED = "blurred"
    NO_PREVIEW = "no_preview"
    NO_SCREENSHOT = "no_screenshot"
    BACKGROUND_BLURRED = "background_blurred"
    VIDEO_FULL = "video_full"
    VIDEO_BLURRED = "video_blurred"
    VIDEO_FULL_SILENT = "video_full_silent"
    VIDEO_BLURRED_SILENT = "video_blurred_silent"


class RateType(enum.IntEnum):
    """Where a contract's rate comes from (``Contract.rate_type``)."""

    CUSTOM = 1
    MEMBER = 2
    PROJECT = 3


class Contract(Model):
    """A contract: one member assigned to one project, with its limits and rate.

    ``rate`` is hourly and is None unless the caller may see rates and the project is billable.
    ``currency``, ``contract_name`` and the timestamps are known from a third-party summary only.
    """

    id: int
    project_id: int
    user_id: int
    project_name: str | None = None
    project_icon: str | None = None
    user_firstname: str | None = None
    user_lastname: str | None = None
    user_email: str | None = None
    user_role: str | None = None
    weekly_hours_limit: int | None = None
    screenshots: str | None = None
    screenshots_label: str | None = None
    rate: float | None = None
    rate_type: int | None = None
    status: str | None = None
    currency: str | None = None
    contract_name: str | None = None
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
