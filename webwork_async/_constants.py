"""Every default of the client in one place.

Limits and numbers taken from the WebWork API v2 documentation are marked "docs"; the others are
our own choices, tuned for a service that allows about 60 requests per minute per token.
"""

from __future__ import annotations

from typing import Final

DEFAULT_BASE_URL: Final = "https://api.webwork-tracker.com/api/v2/"
TOKEN_ENV_VAR: Final = "WEBWORK_TOKEN"
BASE_URL_ENV_VAR: Final = "WEBWORK_BASE_URL"
API_VERSION: Final = "2.0.0"  # docs: meta.api_version

# Timeouts, in seconds. DEFAULT_TIMEOUT bounds one attempt (connect, send, read the whole body)
# and starts when the request is sent: time queued for the semaphore or the rate limiter is not
# part of it. DEFAULT_TOTAL_TIMEOUT bounds a whole call from the moment it is made: queueing, every
# attempt and every wait between attempts.
DEFAULT_TIMEOUT: Final = 30.0
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
DEFAULT_TOTAL_TIMEOUT: Final = 300.0

# Retries (see webwork_async._retry): attempts after the first, and the exponential backoff
# between them: RETRY_BACKOFF * 2**n seconds, capped at RETRY_BACKOFF_MAX, lengthened (never
# shortened) by up to RETRY_JITTER of itself. A Retry-After from the service replaces the backoff.
DEFAULT_MAX_RETRIES: Final = 3
RETRY_BACKOFF: Final = 0.5
RETRY_BACKOFF_MAX: Final = 30.0
RETRY_JITTER: Final = 0.25
# Statuses worth another attempt of a request that is safe to repeat (429 is retried for every
# method: the service refused the request without acting on it).
RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})
# Methods that may be repeated without changing the outcome (RFC 9110 idempotent methods).
IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

# Rate limit (docs: "60 requests per minute per authenticated user"). The client keeps at most
# RATE_LIMIT_REQUESTS requests in any window of RATE_LIMIT_PERIOD seconds per token. A slot comes
# back one period after its request's answer (the latest moment the service can have counted it),
# plus RATE_LIMIT_MARGIN of the period for a service whose clock runs a little fast or counts in
# coarse ticks; network delays need no margin (see webwork_async._ratelimit).
RATE_LIMIT_REQUESTS: Final = 60
RATE_LIMIT_PERIOD: Final = 60.0
RATE_LIMIT_MARGIN: Final = 0.02
# Epoch-looking X-RateLimit-Reset values are absolute times; smaller ones are seconds from now.
RATE_LIMIT_RESET_EPOCH_THRESHOLD: Final = 1_000_000_000
# The longest wait the service may impose (Retry-After, X-RateLimit-Reset), in seconds: a longer
# one is logged as out of range, raised at once, and pauses the token for this long at most, so a
# broken gateway cannot block a token for years (RetryPolicy.max_server_wait).
MAX_SERVER_WAIT: Final = 900.0
# The lowest X-RateLimit-Limit the client adopts (requests per period); a lower one is logged as
# out of range and taken as this.
MIN_ANNOUNCED_LIMIT: Final = 10

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
# docs (older pages): the time-entries list pages by 50 at most.
TIME_ENTRIES_MAX_PER_PAGE: Final = 50
# docs: the reports of one user's hours, of tasks and of activity cover 31 days at most.
REPORT_MAX_DAYS: Final = 31
# Page size used when iterating every item: the largest the API allows, so that a full walk costs
# as few requests (and rate-limit tokens) as possible.
ITER_PER_PAGE: Final = MAX_PER_PAGE

# Answers larger than this (bytes after decompression) are refused with ResponseTooLargeError:
# a page of 100 items is well under 1 MiB, so this only stops a proxy's huge page or a gzip bomb.
DEFAULT_MAX_RESPONSE_SIZE: Final = 32 * 1024 * 1024
# How much of an error answer's body an exception keeps (.body).
MAX_ERROR_BODY_BYTES: Final = 64 * 1024

# Webhook deliveries (webwork_async.webhooks; the scheme is Standard Webhooks', inferred for
# WebWork, whose docs do not say how a delivery is signed): a delivery whose webhook-timestamp is
# further than this many seconds from the receiver's clock, either way, is refused, so a captured
# delivery cannot be replayed later (the Standard Webhooks default).
WEBHOOK_TIMESTAMP_TOLERANCE: Final = 300.0

# The webhook receiver (webwork_async.webhooks.webhook_handler and asgi_webhook_app).
# Where deliveries are kept between their 2xx and the end of the callback (a SQLite file, relative
# to the bot's working directory).
WEBHOOK_STORE_PATH: Final = "webwork-webhooks.sqlite"
# A delivery's body larger than this (bytes) is answered 413 unread: an event is a few KiB.
WEBHOOK_MAX_BODY_SIZE: Final = 1024 * 1024
# A delivery id longer than this is answered 400 (Standard Webhooks ids are about 30 characters).
WEBHOOK_MAX_ID_LENGTH: Final = 256
# Deliveries accepted but not yet handed to the callback; past it the receiver answers 503 with
# Retry-After: WEBHOOK_RETRY_AFTER seconds, and the sender retries (nothing is stored).
WEBHOOK_QUEUE_SIZE: Final = 1000
WEBHOOK_RETRY_AFTER: Final = 30
# A callback that raised is called again with the same event after WEBHOOK_CALLBACK_BACKOFF *
# 2**(n-1) seconds after its n-th failure, at most WEBHOOK_CALLBACK_BACKOFF_MAX, for as long as it
# takes: the delivery stays pending meanwhile, and later ones wait behind it (order is kept).
WEBHOOK_CALLBACK_BACKOFF: Final = 1.0
WEBHOOK_CALLBACK_BACKOFF_MAX: Final = 300.0
# How long the id of a finished delivery is kept, in seconds, so that the sender's retries of it
# are acknowledged and skipped (senders retry for a day or two), and how often the old ones go.
WEBHOOK_DONE_RETENTION: Final = 7 * 24 * 3600.0
WEBHOOK_PRUNE_INTERVAL: Final = 3600.0
# How much of a callback's error a pending delivery keeps (last_error), in characters.
WEBHOOK_MAX_ERROR_LENGTH: Final = 1000

# OAuth2 (webwork_async.oauth2; docs §2.2: the Authorization Code flow). The authorize URL and
# the scopes are in the docs; the token URL, the token answer's fields and how the client proves
# itself are not, and are inferred (RFC 6749 and Laravel Passport, whose routes these match).
OAUTH2_AUTHORIZE_URL: Final = "https://webwork-tracker.com/oauth/authorize"  # docs
OAUTH2_TOKEN_URL: Final = "https://webwork-tracker.com/oauth/token"  # inferred
OAUTH2_SCOPES: Final = ("read", "write", "admin")  # docs
# How the client sends its id and secret to the token URL: "post" (form fields, RFC 6749
# client_secret_post, what Passport reads) or "basic" (HTTP Basic); inferred.
OAUTH2_CLIENT_AUTH: Final = "post"
# The lifetime assumed for an access token whose answer gives no expires_in (RFC 6749 makes it
# optional), in seconds: short, so that a session refreshes early rather than meet a 401.
OAUTH2_ASSUMED_EXPIRES_IN: Final = 3600
# One call to the token URL (connect, send, read the answer), in seconds.
OAUTH2_TIMEOUT: Final = 30.0
# A token answer larger than this (bytes) is refused: a real one is well under 4 KiB.
OAUTH2_MAX_RESPONSE_SIZE: Final = 64 * 1024
# PKCE (RFC 7636): bytes of randomness in a code verifier (64 give 86 URL-safe characters; the
# RFC allows 43 to 128), and in a generated state.
OAUTH2_VERIFIER_BYTES: Final = 64
OAUTH2_STATE_BYTES: Final = 32
# A session with an OAuth2 token refreshes it ahead of its expiry (seconds before it): within the
# advisory window one task refreshes while the others go on with the current token; within the
# mandatory window every request waits for the new one. After a failed advisory refresh the next
# one is tried OAUTH2_ADVISORY_RETRY seconds later at the soonest (the mandatory one is not held).
OAUTH2_ADVISORY_WINDOW: Final = 300.0
OAUTH2_MANDATORY_WINDOW: Final = 60.0
OAUTH2_ADVISORY_RETRY: Final = 15.0

# Coordination through Redis (webwork_async.redis, the [redis] extra). Keys are PREFIX + a hash
# of the token (never the token); each expires REDIS_IDLE_TTL seconds after its last use. One
# Redis call waits REDIS_TIMEOUT seconds at most; past it (or when Redis is unreachable) a session
# paces on its own at REDIS_FALLBACK_SHARE of the limit, and tries Redis again every
# REDIS_RETRY_INTERVAL seconds. A slot whose request is still "in flight" REDIS_LEASE_MARGIN
# seconds past its attempt's timeout (its process died) comes back by itself. A process that
# refreshes an OAuth2 token holds a lock for OAUTH2_TIMEOUT + REDIS_REFRESH_LOCK_MARGIN seconds at
# most; the new pair is kept for REDIS_SUCCESSOR_TTL seconds for the processes still on the old.
REDIS_PREFIX: Final = "webwork:"
REDIS_IDLE_TTL: Final = 3600.0
REDIS_TIMEOUT: Final = 0.5
REDIS_FALLBACK_SHARE: Final = 0.25
REDIS_RETRY_INTERVAL: Final = 1.0
REDIS_LEASE_MARGIN: Final = 5.0
REDIS_REFRESH_LOCK_MARGIN: Final = 5.0
REDIS_SUCCESSOR_TTL: Final = 24 * 3600.0
# A rate that no process has asked for within REDIS_RATE_STALE_PERIODS of its own period paces
# nobody any more (its sessions are gone). A process waiting for another's OAuth2 refresh looks
# for the new pair every REDIS_REFRESH_POLL seconds, and follows REDIS_SUCCESSOR_CHAIN successors
# of an old pair at most.
REDIS_RATE_STALE_PERIODS: Final = 3
REDIS_REFRESH_POLL: Final = 0.05
REDIS_SUCCESSOR_CHAIN: Final = 16

LOGGER_NAME: Final = "webwork_async"
