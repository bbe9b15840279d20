"""The retry policy's pure decisions: what may be retried, and how long to wait first."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from webwork_async import (
    APIError,
    BadRequestError,
    ConfigurationError,
    ConnectError,
    ConnectTimeoutError,
    DecodeError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TimeoutError,
    TransportError,
    ValidationError,
    WebWorkError,
)
from webwork_async._protocol import transport_error
from webwork_async._retry import backoff_delay, is_retryable, retry_delay

URL = "http://127.0.0.1:1/api/v2/projects"


def answer(cls: type[APIError], status: int, retry_after: float | None = None) -> APIError:
    fields = {"status": status, "message": "m", "error": None, "method": "GET", "url": URL}
    if cls is RateLimitError:
        return RateLimitError(**fields, body=b"", retry_after=retry_after)
    if cls is ValidationError:
        return ValidationError(**fields, body=b"", errors={})
    return cls(**fields, body=b"")


def broken(json_valid: bool) -> DecodeError:
    return DecodeError(
        "p", path=None, json_valid=json_valid, method="GET", url=URL, status=200, body=b"{"
    )


SENT = TransportError("reset", method="POST", url=URL)
TIMED_OUT = TimeoutError("slow", method="POST", url=URL)
NOT_CONNECTED = ConnectError("refused", method="POST", url=URL)

# (error, retried for GET/PUT/DELETE, retried for POST)
DECISIONS: list[tuple[WebWorkError, bool, bool]] = [
    (NOT_CONNECTED, True, True),  # nothing was sent
    (answer(RateLimitError, 429), True, True),  # refused without acting
    (answer(ServerError, 502), True, False),
    (answer(ServerError, 503), True, False),
    (answer(ServerError, 504), True, False),
    (SENT, True, False),  # a reset after sending: the write may have happened
    (TIMED_OUT, True, False),
    (broken(json_valid=False), True, False),  # truncated or not JSON: a transport accident
    (broken(json_valid=True), False, False),  # JSON that does not fit: the same next time
    (answer(ServerError, 500), False, False),
    (answer(BadRequestError, 400), False, False),
    (answer(NotFoundError, 404), False, False),
    (answer(ValidationError, 422), False, False),
    (answer(APIError, 200), False, False),  # success: false
]


@pytest.mark.parametrize(("error", "idempotent", "post"), DECISIONS)
def test_what_is_retried_depends_on_the_method_and_the_failure(
    error: WebWorkError, idempotent: bool, post: bool
) -> None:
    for method in ("GET", "PUT", "DELETE"):
        assert is_retryable(method, error) is idempotent
    assert is_retryable("POST", error) is post
    assert is_retryable("PATCH", error) is post


@pytest.mark.parametrize(("error", "idempotent", "post"), DECISIONS)
def test_an_operation_can_say_it_is_not_idempotent_whatever_its_method(
    error: WebWorkError, idempotent: bool, post: bool
) -> None:
    """A PUT that approves is decided like a POST, and a write declared idempotent like a GET."""
    assert is_retryable("PUT", error, idempotent=False) is post
    assert is_retryable("POST", error, idempotent=True) is idempotent
    assert is_retryable("PUT", error, idempotent=None) is idempotent


def test_backoff_doubles_up_to_its_cap() -> None:
    policy = RetryPolicy(backoff=0.5, backoff_max=3.0)
    assert [backoff_delay(policy, n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_only_lengthens_a_wait() -> None:
    policy = RetryPolicy(backoff=1.0, jitter=0.25)
    assert retry_delay(policy, 1, retry_after=None, sample=0.0) == 1.0
    assert retry_delay(policy, 1, retry_after=None, sample=0.999) == pytest.approx(1.24975)
    assert retry_delay(policy, 2, retry_after=None, sample=0.5) == pytest.approx(2.25)


def test_retry_after_is_honoured_exactly_and_never_shortened() -> None:
    policy = RetryPolicy(backoff=10.0, jitter=0.1)
    assert retry_delay(policy, 1, retry_after=0.2, sample=0.0) == 0.2  # replaces the backoff
    for sample in (0.0, 0.3, 0.999):
        assert 7.0 <= retry_delay(policy, 3, retry_after=7.0, sample=sample) < 7.0 * 1.1
    assert retry_delay(policy, 1, retry_after=0.0, sample=0.5) == 0.0


def test_no_jitter_gives_the_plain_schedule() -> None:
    policy = RetryPolicy(backoff=0.1, jitter=0.0)
    assert retry_delay(policy, 3, retry_after=None, sample=0.9) == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_retries", -1),
        ("max_retries", 1.5),
        ("max_retries", True),
        ("backoff", -0.1),
        ("backoff", float("nan")),
        ("backoff_max", float("inf")),
        ("jitter", "0.1"),
    ],
)
def test_bad_policy_is_a_configuration_error_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ConfigurationError, match=field):
        RetryPolicy(**{field: value})  # type: ignore[arg-type]


def connector_error(cls: type[aiohttp.ClientConnectorError]) -> aiohttp.ClientConnectorError:
    key = aiohttp.client_reqrep.ConnectionKey("h", 1, False, True, None, None, None)
    return cls(key, OSError(111, "Connection refused"))


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (aiohttp.ConnectionTimeoutError("pool"), ConnectTimeoutError),
        (connector_error(aiohttp.ClientConnectorError), ConnectError),
        (connector_error(aiohttp.ClientConnectorDNSError), ConnectError),
        (aiohttp.SocketTimeoutError("read"), TimeoutError),
        (asyncio.TimeoutError(), TimeoutError),  # the total timeout, phase unknown
        (aiohttp.ServerDisconnectedError(), TransportError),
        (aiohttp.ClientPayloadError("cut"), TransportError),
        (aiohttp.ClientOSError(104, "reset"), TransportError),
    ],
)
def test_exchange_failures_say_whether_anything_was_sent(
    exc: BaseException, expected: type[TransportError]
) -> None:
    error = transport_error(exc, method="POST", url=URL, timeout=1.5)
    assert type(error) is expected
    assert error.method == "POST" and error.url == URL
    # Nothing was sent on a connect failure, and a connect timeout is a timeout too.
    assert isinstance(error, ConnectError) is (expected in (ConnectError, ConnectTimeoutError))
    assert isinstance(error, TimeoutError) is (expected in (TimeoutError, ConnectTimeoutError))
    assert is_retryable("POST", error) is isinstance(error, ConnectError)
    if expected is TimeoutError:
        assert "1.5s" in str(error)
