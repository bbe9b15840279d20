"""Whether a host or URL stays on this machine: the command line's ``--host`` warning and the
rule that the fake delivers webhook events to loopback URLs only.

No heavy imports here: the command line reads it before it imports aiohttp.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_address(text: str) -> bool:
    """Whether an IP address literal is a loopback one; ValueError when it is no address."""
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` is an ``http``/``https`` URL whose host is ``localhost`` or a loopback
    address literal (127.0.0.0/8, ::1). Names are not resolved: a name that happens to point
    at this machine today is not taken."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host.rstrip(".") == "localhost":
        return True
    try:
        return is_loopback_address(host)
    except ValueError:
        return False
