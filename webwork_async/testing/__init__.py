"""A fake WebWork Tracker API v2 server for testing code that uses ``webwork_async``.

``FakeWebWork`` serves an in-memory copy of the API (variant B of the docs) with aiohttp;
``RecordedRequest`` describes a request it received; ``FaultKind`` and ``FaultRule`` describe
faults injected with ``FakeWebWork.inject``; ``Delivery``, ``DeliveryAttempt`` and
``DeliveryState`` tell what became of a webhook event it delivered (``FakeWebWork.deliveries``).
The pytest fixture ``webwork_fake`` comes from ``webwork_async.testing.pytest_plugin``;
``python -m webwork_async.testing`` (or ``webwork-fake``) runs a seeded server from the command
line, and ``webwork-fake trigger EVENT --to URL`` sends a signed test event to a bot.
``running_redis_server()`` starts a throwaway ``redis-server`` (a free port of 127.0.0.1, a
temporary folder, nothing kept on disk, a password) for tests of ``coordination=``.

The names are imported lazily, so that the pytest plugin, which lives in this package and is
loaded by every pytest run, does not import aiohttp.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ._deliveries import Delivery, DeliveryAttempt, DeliveryState
    from ._faults import FaultKind, FaultRule
    from ._redis_server import RedisServer, running_redis_server
    from ._server import FakeWebWork
    from ._state import RecordedRequest

__all__ = [
    "Delivery",
    "DeliveryAttempt",
    "DeliveryState",
    "FakeWebWork",
    "FaultKind",
    "FaultRule",
    "RecordedRequest",
    "RedisServer",
    "running_redis_server",
]

#: Where each lazy export lives.
_MODULES: Final = {
    "RedisServer": "._redis_server",
    "running_redis_server": "._redis_server",
    "Delivery": "._deliveries",
    "DeliveryAttempt": "._deliveries",
    "DeliveryState": "._deliveries",
    "FakeWebWork": "._server",
    "FaultKind": "._faults",
    "FaultRule": "._faults",
    "RecordedRequest": "._state",
}


def __getattr__(name: str) -> Any:
    """Import the exports on first use (keeps the plugin cheap)."""
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


def __dir__() -> list[str]:
    """List the lazy exports too."""
    return sorted([*globals(), *__all__])
