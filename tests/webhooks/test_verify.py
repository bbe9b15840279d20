"""Verifying a delivery the Standard Webhooks way, against vectors computed here from the scheme's
definition (HMAC-SHA256 over ``id.timestamp.body``, base64, ``v1,``) and the scheme's published
vector, never with ``sign``: a bug in ``sign`` cannot hide one in ``verify``.

The secrets live in module globals only, so that no frame of a test holds one as a local: the
tracebacks walked here (locals included) would otherwise show it from the test's own frame.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import traceback
from collections.abc import Mapping

import pytest
from multidict import CIMultiDict
from test_secrets import everything_shown

from webwork_async import ConfigurationError, WebWorkError
from webwork_async._constants import WEBHOOK_TIMESTAMP_TOLERANCE
from webwork_async.webhooks import (
    SignatureFailure,
    StandardWebhooksVerifier,
    Verifier,
    WebhookSignatureError,
    sign,
)

KEY = b"webhook-key-NEVER-SHOWN-7f3a9c21"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
RAW_SECRET = "raw-secret-NEVER-SHOWN-93b1"
OTHER_KEY = b"a-forgers-key-of-his-own-0000000"
# What must never be shown: the secret, its base64 part, the key's bytes, the raw secret.
NEVER_SHOWN = (SECRET, SECRET.removeprefix("whsec_"), KEY.decode(), repr(KEY), RAW_SECRET)

NOW = 1_700_000_000
ID = "msg_2mXdVrZ9hq4Lw8nT"
BODY = b'{"type": "tracker.started", "data": {"user_id": 100, "contract_id": 560314}}'

# The Standard Webhooks specification's published vector.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def at(now: float) -> StandardWebhooksVerifier:
    """The verifier of SECRET with its clock stopped at ``now``."""
    return StandardWebhooksVerifier(SECRET, clock=lambda: now)


VERIFIER = at(NOW)


def signature(key: bytes, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """The ``v1`` signature from the scheme's definition, computed independently of the library."""
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed(
    msg_id: str = ID, timestamp: int | str = NOW, body: bytes = BODY, key: bytes = KEY
) -> dict[str, str]:
    """Headers of a delivery signed per the definition."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(key, msg_id, timestamp, body),
    }


def without(headers: Mapping[str, str], *names: str) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name not in names}


def shown(error: BaseException) -> list[str]:
    """Every text the error can end up in, and its traceback with the locals of every frame
    (the tests' own included), as an error tracker records it."""
    walked = traceback.TracebackException.from_exception(error, capture_locals=True)
    return [*everything_shown(error), "".join(walked.format())]


def assert_nothing_secret_in(error: BaseException) -> None:
    for text in shown(error):
        for secret in NEVER_SHOWN:
            assert secret not in text


def test_the_specifications_published_vector_verifies_and_sign_reproduces_it() -> None:
    verifier = StandardWebhooksVerifier(SPEC_SECRET, clock=lambda: SPEC_TIMESTAMP + 10)
    headers = {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": SPEC_SIGNATURE,
    }

    verifier.verify(headers, SPEC_BODY)
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == headers


def test_a_delivery_signed_per_the_definition_verifies() -> None:
    VERIFIER.verify(signed(), BODY)


def test_sign_gives_the_headers_of_the_definition() -> None:
    assert sign(SECRET, ID, NOW, BODY) == signed()
    assert sign(KEY, ID, NOW, BODY) == signed()


def test_a_delivery_signed_by_sign_verifies() -> None:
    VERIFIER.verify(sign(SECRET, "msg_1", NOW, b"{}"), b"{}")


@pytest.mark.parametrize(
    "headers",
    [
        {name.title(): value for name, value in signed().items()},
        {name.upper(): value for name, value in signed().items()},
        CIMultiDict({name.title(): value for name, value in signed().items()}),
        {name: f"  {value} " for name, value in signed().items()},
    ],
    ids=["Title-Case", "UPPER", "CIMultiDict", "padded"],
)
def test_header_names_match_in_any_case_and_values_are_stripped(
    headers: Mapping[str, str],
) -> None:
    VERIFIER.verify(headers, BODY)


def test_the_body_is_verified_as_raw_bytes_not_as_json() -> None:
    reformatted = b'{"type":"tracker.started","data":{"user_id":100,"contract_id":560314}}'

    with pytest.raises(WebhookSignatureError) as caught:
        VERIFIER.verify(signed(), reformatted)

    assert caught.value.reason is SignatureFailure.SIGNATURE_MISMATCH


REFUSALS = [
    ("forged", signed(key=OTHER_KEY), BODY, SignatureFailure.SIGNATURE_MISMATCH, "matches"),
    ("tampered", signed(), BODY + b" ", SignatureFailure.SIGNATURE_MISMATCH, "matches"),
    (
        "replayed-with-other-id",
        {**signed(), "webhook-id": "msg_other"},
        BODY,
        SignatureFailure.SIGNATURE_MISMATCH,
        "matches",
    ),
    (
        "re-stamped",
        {**signed(timestamp=NOW - 400), "webhook-timestamp": str(NOW)},
        BODY,
        SignatureFailure.SIGNATURE_MISMATCH,
        "matches",
    ),
    (
        "unsigned",
        {"content-type": "application/json"},
        BODY,
        SignatureFailure.MISSING_HEADER,
        "no webhook-id, webhook-timestamp, webhook-signature header",
    ),
    (
        "no-id",
        without(signed(), "webhook-id"),
        BODY,
        SignatureFailure.MISSING_HEADER,
        "no webhook-id header",
    ),
    (
        "no-timestamp",
        without(signed(), "webhook-timestamp"),
        BODY,
        SignatureFailure.MISSING_HEADER,
        "no webhook-timestamp header",
    ),
    (
        "no-signature",
        without(signed(), "webhook-signature"),
        BODY,
        SignatureFailure.MISSING_HEADER,
        "no webhook-signature header",
    ),
    (
        "blank-signature",
        {**signed(), "webhook-signature": "  "},
        BODY,
        SignatureFailure.MISSING_HEADER,
        "no webhook-signature header",
    ),
    (
        "stale",
        signed(timestamp=NOW - 301),
        BODY,
        SignatureFailure.TIMESTAMP_TOO_OLD,
        "301 s old",
    ),
    (
        "future",
        signed(timestamp=NOW + 301),
        BODY,
        SignatureFailure.TIMESTAMP_TOO_NEW,
        "301 s ahead",
    ),
    *(
        (f"timestamp-{stamp}", signed(timestamp=stamp), BODY, SignatureFailure.BAD_TIMESTAMP, "")
        for stamp in ("soon", "1700000000.5", "-1700000000", "\uff11\uff17\uff10\uff10", "1" * 13)
    ),
    (
        "only-unknown-versions",
        {**signed(), "webhook-signature": signed()["webhook-signature"].replace("v1,", "v2,")},
        BODY,
        SignatureFailure.NO_SUPPORTED_SIGNATURE,
        "no readable v1",
    ),
    (
        "unreadable-v1",
        {**signed(), "webhook-signature": "v1,not*base64! v1"},
        BODY,
        SignatureFailure.NO_SUPPORTED_SIGNATURE,
        "no readable v1",
    ),
]


@pytest.mark.parametrize(
    ("headers", "body", "reason", "in_message"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_a_delivery_that_is_not_genuine_is_refused_saying_why_and_never_the_secret(
    headers: Mapping[str, str],
    body: bytes,
    reason: SignatureFailure,
    in_message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    with pytest.raises(WebhookSignatureError) as caught:
        VERIFIER.verify(headers, body)

    error = caught.value
    texts = shown(error)  # before this frame holds the right signature below
    assert isinstance(error, WebWorkError)
    assert error.reason is reason
    assert reason.value in str(error)
    assert in_message in str(error)
    assert_nothing_secret_in(error)
    for secret in NEVER_SHOWN:
        assert secret not in caplog.text
    if reason is SignatureFailure.SIGNATURE_MISMATCH:
        # Not even the signature that would have been right for what was presented.
        right = signature(KEY, headers["webhook-id"], headers["webhook-timestamp"], body)
        assert all(right.removeprefix("v1,") not in text for text in texts)


def test_the_refusals_have_distinct_reasons() -> None:
    assert len({case[3] for case in REFUSALS}) == len(SignatureFailure)


@pytest.mark.parametrize("offset", [-300, 300, 0])
def test_a_timestamp_at_the_edge_of_the_tolerance_is_accepted(offset: int) -> None:
    assert WEBHOOK_TIMESTAMP_TOLERANCE == 300
    VERIFIER.verify(signed(timestamp=NOW + offset), BODY)


def test_the_tolerance_and_the_clock_can_be_set() -> None:
    strict = StandardWebhooksVerifier(SECRET, tolerance=10, clock=lambda: NOW + 0.5)

    strict.verify(signed(timestamp=NOW - 9), BODY)
    with pytest.raises(WebhookSignatureError) as caught:
        strict.verify(signed(timestamp=NOW - 10), BODY)
    assert caught.value.reason is SignatureFailure.TIMESTAMP_TOO_OLD


@pytest.mark.parametrize(
    "entries",
    [
        ["{forger}", "{valid}"],
        ["{valid}", "{forger}"],
        ["v2,abc", "garbage", "v1,not*base64!", "{forger}", "{valid}"],
    ],
    ids=["valid-last", "valid-first", "among-unknown-and-unreadable"],
)
def test_one_matching_signature_among_several_is_enough(entries: list[str]) -> None:
    valid = signature(KEY, ID, NOW, BODY)
    forger = signature(OTHER_KEY, ID, NOW, BODY)
    header = "  ".join(entry.format(valid=valid, forger=forger) for entry in entries)

    VERIFIER.verify({**signed(), "webhook-signature": header}, BODY)


def test_during_key_rotation_both_keys_verify_a_delivery_signed_with_both() -> None:
    old, new = sign(KEY, ID, NOW, BODY), sign(OTHER_KEY, ID, NOW, BODY)
    both = {**old, "webhook-signature": f"{old['webhook-signature']} {new['webhook-signature']}"}

    VERIFIER.verify(both, BODY)
    StandardWebhooksVerifier(OTHER_KEY, clock=lambda: NOW).verify(both, BODY)


def test_a_raw_secret_without_the_prefix_is_the_key_as_its_utf8_bytes() -> None:
    verifier = StandardWebhooksVerifier(RAW_SECRET, clock=lambda: NOW)

    verifier.verify(signed(key=RAW_SECRET.encode()), BODY)
    assert sign(RAW_SECRET, ID, NOW, BODY) == signed(key=RAW_SECRET.encode())


def test_a_prefixless_secret_is_not_base64_decoded() -> None:
    verifier = StandardWebhooksVerifier(SECRET.removeprefix("whsec_"), clock=lambda: NOW)

    verifier.verify(signed(key=SECRET.removeprefix("whsec_").encode()), BODY)
    with pytest.raises(WebhookSignatureError):
        verifier.verify(signed(key=KEY), BODY)


def test_bytes_are_the_key_itself_and_whsec_padding_may_be_left_out() -> None:
    unpadded_key = b"sixteen-byte-key"  # base64 of 16 bytes ends in "=="
    unpadded = "whsec_" + base64.b64encode(unpadded_key).decode().rstrip("=")

    StandardWebhooksVerifier(KEY, clock=lambda: NOW).verify(signed(), BODY)
    StandardWebhooksVerifier(unpadded, clock=lambda: NOW).verify(signed(key=unpadded_key), BODY)


def test_the_webhook_token_as_webwork_shows_it_is_a_usable_secret() -> None:
    documented = "whsec_1234567890abcdef"  # the example of reference §3.7
    key = base64.b64decode("1234567890abcdef")

    StandardWebhooksVerifier(documented, clock=lambda: NOW).verify(signed(key=key), BODY)


BAD_SECRETS: list[object] = [
    "",
    "whsec_",
    "whsec_NEVER*SHOWN*bad!",
    "whsec_NEVERSHOWNabc",  # 13 characters after the prefix: no base64 has that length
    b"",
    None,
    42,
]


@pytest.mark.parametrize("index", range(len(BAD_SECRETS)), ids=[repr(s) for s in BAD_SECRETS])
def test_an_unusable_secret_is_a_configuration_error_that_does_not_show_it(index: int) -> None:
    for build in (
        lambda: StandardWebhooksVerifier(BAD_SECRETS[index]),  # type: ignore[arg-type]
        lambda: sign(BAD_SECRETS[index], ID, NOW, BODY),  # type: ignore[arg-type]
    ):
        with pytest.raises(ConfigurationError) as caught:
            build()
        assert caught.value.__context__ is None
        assert caught.value.__cause__ is None
        for text in shown(caught.value):
            assert "NEVER" not in text


@pytest.mark.parametrize("tolerance", [-1.0, float("nan"), float("inf")])
def test_a_tolerance_that_is_not_a_finite_positive_number_is_refused(tolerance: float) -> None:
    with pytest.raises(ConfigurationError, match="tolerance"):
        StandardWebhooksVerifier(SECRET, tolerance=tolerance)


def test_the_verifier_shows_no_secret_in_its_repr_or_str() -> None:
    for verifier in (VERIFIER, StandardWebhooksVerifier(RAW_SECRET), StandardWebhooksVerifier(KEY)):
        for text in (repr(verifier), str(verifier)):
            assert "***" in text
            assert all(secret not in text for secret in NEVER_SHOWN)
    assert repr(VERIFIER) == "StandardWebhooksVerifier(secret=Secret('***'), tolerance=300.0)"


def test_the_standard_verifier_is_a_verifier_and_another_one_plugs_in() -> None:
    class SharedTokenVerifier:
        """A scheme of another shape: the token itself in a header."""

        def verify(self, headers: Mapping[str, str], body: bytes) -> None:
            if not hmac.compare_digest(headers.get("x-webwork-token", ""), RAW_SECRET):
                raise WebhookSignatureError(SignatureFailure.SIGNATURE_MISMATCH, "wrong token")

    verifiers: list[Verifier] = [VERIFIER, SharedTokenVerifier()]
    verifiers[0].verify(signed(), BODY)
    verifiers[1].verify({"x-webwork-token": RAW_SECRET}, BODY)
