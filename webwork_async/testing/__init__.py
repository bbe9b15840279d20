"""A fake WebWork Tracker API v2 server for testing code that uses ``webwork_async``.

``FakeWebWork`` serves an in-memory copy of the API (variant B of the docs) with aiohttp;
``RecordedRequest`` describes a request it received. The pytest fixture ``webwork_fake`` comes
from ``webwork_async.testing.pytest_plugin``; ``python -m webwork_async.testing`` (or
``webwork-fake``) runs a seeded server from the command line.

The names are imported lazily, so that the pytest plugin, which lives in this package and is
loaded by every pytest run, does not import aiohttp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._server import FakeWebWork
    from ._state import RecordedRequest

__all__ = ["FakeWebWork", "RecordedRequest"]


def __getattr__(name: str) -> Any:
    """Import ``FakeWebWork`` / ``RecordedRequest`` on first use (keeps the plugin cheap)."""
    if name == "FakeWebWork":
        from ._server import FakeWebWork

        return FakeWebWork
    if name == "RecordedRequest":
        from ._state import RecordedRequest

        return RecordedRequest
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """List the lazy exports too."""
    return sorted([*globals(), *__all__])
