"""Every default of the client in one place.

Limits and numbers taken from the WebWork API v2 documentation are marked "docs"; the others are
our own choices, tuned for a service that allows about 60 requests per minute per token.
"""

from __future__ import annotations

from typing import Final

DEFAULT_BASE_URL: Final = "https://api.webwork-tracker.com/api/v2/"
TOKEN_ENV_VAR: Final = "WEBWORK_TOKEN"
API_VERSION: Final = "2.0.0"  # docs: meta.api_version

# Timeouts, in seconds. The total covers one HTTP exchange (connect, send, read the whole body);
# time spent waiting for the concurrency semaphore is not part of it.
DEFAULT_TIMEOUT: Final = 30.0
DEFAULT_CONNECT_TIMEOUT: Final = 10.0

# Concurrency: how many requests one AsyncSession has in flight at once. Bulk jobs and the page
# prefetcher share this semaphore, so it is the one knob for load on the service.
DEFAULT_MAX_CONCURRENCY: Final = 16
# Connection pool of the aiohttp connector the session owns.
DEFAULT_CONNECTOR_LIMIT: Final = 100
DEFAULT_CONNECTOR_LIMIT_PER_HOST: Final = 0  # 0 = no per-host cap beyond DEFAULT_CONNECTOR_LIMIT
DEFAULT_KEEPALIVE_TIMEOUT: Final = 30.0

# Pagination (docs: page >= 1, per_page 1..100, server default 20).
MIN_PER_PAGE: Final = 1
MAX_PER_PAGE: Final = 100
SERVICE_DEFAULT_PER_PAGE: Final = 20
# Page size used when iterating every item: the largest the API allows, so that a full walk costs
# as few requests (and rate-limit tokens) as possible.
ITER_PER_PAGE: Final = MAX_PER_PAGE

LOGGER_NAME: Final = "webwork_async"
