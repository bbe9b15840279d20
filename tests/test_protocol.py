"""The protocol's pure functions, with plain values and no I/O."""

from __future__ import annotations

import datetime

import pytest
from canned_server import ERROR_CLASS_BY_STATUS

from webwork_async import (
    APIError,
    ConfigurationError,
    DecodeError,
    NotFoundError,
    Project,
    RateLimitError,
    ServerError,
    ValidationError,
)
from webwork_async._protocol import (
    LAX_TYPES,
    ListOf,
    Secret,
    api_error,
    build_headers,
    check_token,
    decode_answer,
    encode_query,
    envelope_decoder,
    error_class_for,
    is_loopback,
    normalize_base_url,
    parse_retry_after,
    redact_url,
)
from webwork_async.models._base import Model

URL = "http://127.0.0.1:1/api/v2/projects?workspace_id=1"


def decode(data_type: object, body: bytes, status: int = 200) -> object:
    return decode_answer(data_type, status=status, body=body, method="GET", url=URL, headers={})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://api.webwork-tracker.com/api/v2/", "https://api.webwork-tracker.com/api/v2/"),
        ("https://api.webwork-tracker.com/api/v2", "https://api.webwork-tracker.com/api/v2/"),
        (" http://127.0.0.1:8080/api/v2 ", "http://127.0.0.1:8080/api/v2/"),
    ],
)
def test_base_url_gets_one_trailing_slash(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize(
    "bad", ["", "   ", "api.webwork-tracker.com/api/v2", "ftp://h/api/v2/", "https://h/v2/?x=1"]
)
def test_bad_base_url_is_a_configuration_error(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        normalize_base_url(bad)


@pytest.mark.parametrize("bad", ["", "  ", "abc def", "abc\r\nX-Evil: 1", 12345])
def test_unusable_token_is_refused_without_echoing_it(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="token") as caught:
        check_token(Secret(bad))
    if isinstance(bad, str) and bad.strip():
        assert bad not in str(caught.value)


def test_headers_carry_bearer_token_and_user_agent() -> None:
    headers = build_headers(str(check_token(Secret(" tok-123 ")).reveal()), "ua/1")
    assert headers["Authorization"] == "Bearer tok-123"
    assert headers["User-Agent"] == "ua/1"
    assert headers["Accept"] == "application/json"


def test_query_drops_none_and_formats_values() -> None:
    query = encode_query(
        {
            "workspace_id": 1,
            "name": "Q1",
            "page": None,
            "on": True,
            "day": datetime.date(2024, 1, 15),
        }
    )
    assert query == {"workspace_id": "1", "name": "Q1", "on": "true", "day": "2024-01-15"}


@pytest.mark.parametrize(("status", "cls"), ERROR_CLASS_BY_STATUS)
def test_each_status_maps_to_its_class(status: int, cls: type[APIError]) -> None:
    assert error_class_for(status) is cls


def test_error_body_fields_reach_the_exception() -> None:
    body = (
        b'{"success":false,"message":"Project not found","error":"No query results",'
        b'"meta":{"api_version":"2.0.0"}}'
    )
    error = api_error(status=404, body=body, method="GET", url=URL, headers={})
    assert isinstance(error, NotFoundError)
    assert (error.status, error.message, error.error) == (
        404,
        "Project not found",
        "No query results",
    )
    assert (error.method, error.url, error.body) == ("GET", URL, body)
    assert "404" in str(error) and "Project not found" in str(error)


def test_validation_error_collects_field_errors_in_either_form() -> None:
    body = (
        b'{"success":false,"message":"The given data was invalid.","error":null,'
        b'"errors":{"name":["The name field is required."],"deadline":"Too early."}}'
    )
    error = api_error(status=422, body=body, method="POST", url=URL, headers={})
    assert isinstance(error, ValidationError)
    assert error.errors == {"name": ["The name field is required."], "deadline": ["Too early."]}
    assert "name: The name field is required." in str(error)


def test_rate_limit_error_reads_retry_after() -> None:
    error = api_error(status=429, body=b"{}", method="GET", url=URL, headers={"Retry-After": "17"})
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 17.0


def test_error_with_a_non_json_body_still_gets_its_class() -> None:
    error = api_error(
        status=502, body=b"<html>Bad Gateway</html>", method="GET", url=URL, headers={}
    )
    assert isinstance(error, ServerError)
    assert error.message == "HTTP 502"
    assert error.body == b"<html>Bad Gateway</html>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", 5.0), (" 2.5 ", 2.5), ("0", 0.0), ("-3", 0.0), ("", None), (None, None), ("soon", None)],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_retry_after_http_date() -> None:
    now = datetime.datetime(2026, 11, 28, 12, 0, 0, tzinfo=datetime.timezone.utc)
    assert parse_retry_after("Sat, 28 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Sat, 28 Nov 2026 11:59:00 GMT", now=now) == 0.0


def test_retry_after_rejects_nan_and_infinity() -> None:
    assert parse_retry_after("nan") is None
    assert parse_retry_after("inf") is None


SEED_PROJECT = (
    b'{"id":100,"name":"Marketing Campaign Q1","owner_id":10,"start_date":"2024-01-15",'
    b'"deadline":"2024-03-31","estimation":120,"budget_estimation":5000,'
    b'"notes":"Focus on social media channels","icon":"project-icon-1","is_billable":true,'
    b'"rate":0,"weekly_hours_limit":168,"screenshots":"blur",'
    b'"tags":[{"id":5,"name":"Marketing","color":"#FF5733"}],"contracts_count":3,"status":1,'
    b'"created_at":"2024-01-15T09:00:00Z","updated_at":"2024-01-15T09:00:00Z","deleted_at":null}'
)


def test_seed_example_decodes_into_a_typed_project() -> None:
    body = b'{"success":true,"message":"Project retrieved successfully","data":' + SEED_PROJECT
    body += b',"meta":{"api_version":"2.0.0","timestamp":"2019-08-24T14:15:22Z"}}'
    project = decode(Project, body).data  # type: ignore[attr-defined]
    assert isinstance(project, Project)
    assert project.start_date == datetime.date(2024, 1, 15)
    assert project.deadline == datetime.date(2024, 3, 31)
    assert project.budget_estimation == 5000
    assert project.created_at == datetime.datetime(2024, 1, 15, 9, tzinfo=datetime.timezone.utc)
    assert project.deleted_at is None
    assert project.tags[0].color == "#FF5733"
    assert project.status == 1


def test_project_tolerates_unknown_fields_and_uncertain_values() -> None:
    body = (
        b'{"success":true,"data":{"id":7,"name":"X","owner_id":"10","estimation":"12.5",'
        b'"budget_estimation":"5000.00","is_billable":1,"status":"archived",'
        b'"screenshots":"something_new","future_field":{"a":[1,2]},'
        b'"created_at":"2025-02-19T19:24:55.000000Z","tags":[{"id":1,"name":"a","color":null}]},'
        b'"meta":{}}'
    )
    project = decode(Project, body).data  # type: ignore[attr-defined]
    assert project.owner_id == 10
    assert project.estimation == 12.5
    assert project.budget_estimation == 5000.0
    assert project.is_billable is True
    assert project.status == "archived"
    assert project.screenshots == "something_new"
    assert project.updated_at is None


class Entry(Model):
    """A model of this test module's own: the lax-decoding memory is per type and per process."""

    id: int
    minutes: float | None = None
    billable: bool | None = None


def test_a_page_that_needs_lax_decoding_still_decodes_and_its_type_is_remembered() -> None:
    data_type = ListOf.of(Entry)
    fits = b'{"success":true,"data":[{"id":1,"minutes":2.5,"billable":true}]}'
    assert decode(data_type, fits).data == [Entry(1, minutes=2.5, billable=True)]  # type: ignore[attr-defined]
    assert data_type not in LAX_TYPES  # a conforming answer keeps to the faster strict decoder
    loose = b'{"success":true,"data":[{"id":"2","minutes":"7.5","billable":1}]}'
    assert decode(data_type, loose).data == [Entry(2, minutes=7.5, billable=True)]  # type: ignore[attr-defined]
    assert data_type in LAX_TYPES
    assert decode(data_type, fits).data == [Entry(1, minutes=2.5, billable=True)]  # type: ignore[attr-defined]


def test_a_loose_page_with_one_bad_item_keeps_the_loose_good_ones() -> None:
    body = b'{"success":true,"data":[{"id":"3","minutes":"1"},{"id":"x"},{"id":4,"billable":0}]}'
    data = decode_answer(
        ListOf.of(Entry), status=200, body=body, method="GET", url=URL, headers={}, strict=False
    ).data
    assert list(data) == [Entry(3, minutes=1.0), Entry(4, billable=False)]
    assert [error.path for error in data.item_errors] == ["$.data[1].id"]


def test_pagination_is_read_from_meta_or_from_the_top_level() -> None:
    in_meta = decode(
        list[int],
        b'{"success":true,"data":[1],"meta":{"pagination":{"total":50,"per_page":20,'
        b'"current_page":1,"last_page":3,"from":1,"to":20}}}',
    )
    top_level = decode(
        list[int],
        b'{"success":true,"data":[1],"meta":{},"pagination":{"current_page":1,"per_page":20,'
        b'"total":50,"last_page":3}}',
    )
    for envelope in (in_meta, top_level):
        info = envelope.page_info  # type: ignore[attr-defined]
        assert (info.total, info.last_page, info.current_page) == (50, 3, 1)
    assert in_meta.page_info.from_ == 1  # type: ignore[attr-defined]


def test_success_false_with_http_200_is_an_api_error() -> None:
    body = b'{"success":false,"message":"Workspace is blocked","error":"blocked","meta":{}}'
    with pytest.raises(APIError) as caught:
        decode(Project, body)
    assert type(caught.value) is APIError
    assert (caught.value.status, caught.value.message, caught.value.error) == (
        200,
        "Workspace is blocked",
        "blocked",
    )


def test_success_false_whose_data_fits_is_still_an_error() -> None:
    with pytest.raises(APIError, match="nope"):
        decode(None, b'{"success":false,"message":"nope","data":null}')


def test_an_answer_without_success_says_so_rather_than_success_false() -> None:
    with pytest.raises(DecodeError, match="success") as caught:
        decode(list[Project], b'{"data":[],"message":"Projects retrieved"}')
    assert "success: false" not in str(caught.value)
    assert caught.value.json_valid


@pytest.mark.parametrize("data_type", [Project, list[Project] | None, None])
def test_json_nested_too_deeply_is_a_decode_error(data_type: object) -> None:
    """msgspec raises RecursionError on such JSON; it must not escape as that."""
    body = b'{"success":true,"data":' + b"[" * 1000 + b"]" * 1000 + b"}"
    with pytest.raises(DecodeError) as caught:
        decode(data_type, body)
    if data_type is None:  # nothing else to say: the data was to be skipped, not read
        assert "nested too deeply" in str(caught.value)


def test_a_deeply_nested_error_body_still_gives_the_error_of_its_status() -> None:
    body = b'{"message":' + b"[" * 1000 + b"]" * 1000 + b"}"
    error = api_error(status=503, body=body, method="GET", url=URL, headers={})
    assert isinstance(error, ServerError) and error.message == "HTTP 503"


def test_error_bodies_are_kept_up_to_a_bound() -> None:
    huge = b"<html>" + b"x" * (1024 * 1024)
    error = api_error(status=502, body=huge, method="GET", url=URL, headers={})
    assert len(error.body) == 64 * 1024 and huge.startswith(error.body)


def test_a_redirect_names_its_location_without_credentials() -> None:
    headers = {"Location": "https://user:pw@elsewhere.example/api/v2/projects"}
    error = api_error(status=302, body=b"", method="GET", url=URL, headers=headers)
    assert type(error) is APIError and error.status == 302
    assert "https://***@elsewhere.example/api/v2/projects" in str(error)
    assert "pw" not in str(error)


def test_body_that_does_not_fit_names_the_field_path() -> None:
    body = b'{"success":true,"data":[{"id":1,"name":"a"},{"id":2,"name":"b","start_date":"soon"}]}'
    with pytest.raises(DecodeError) as caught:
        decode(list[Project], body)
    assert caught.value.path == "$.data[1].start_date"
    assert caught.value.body == body
    assert caught.value.status == 200


@pytest.mark.parametrize("body", [b'{"success":true,"data":[{"id":1', b"<html>", b""])
def test_malformed_json_is_a_decode_error(body: bytes) -> None:
    with pytest.raises(DecodeError, match="invalid JSON") as caught:
        decode(list[Project], body)
    assert caught.value.path is None


def test_ignored_data_accepts_anything_and_an_empty_body() -> None:
    assert decode(None, b'{"success":true,"data":{"id":1},"meta":{}}').success  # type: ignore[attr-defined]
    assert decode(None, b"").success  # type: ignore[attr-defined]


def test_decoders_are_built_once_per_type() -> None:
    assert envelope_decoder(list[Project]) is envelope_decoder(list[Project])
    assert envelope_decoder(Project) is not envelope_decoder(list[Project])


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pw@proxy:3128", "http://***@proxy:3128"),
        ("https://user@proxy:3128/path", "https://***@proxy:3128/path"),
        ("http://proxy:3128", "http://proxy:3128"),
        ("user:pw@proxy", "***@proxy"),
        ("http://proxy/a@b", "http://proxy/a@b"),  # an @ in the path is not a credential
    ],
)
def test_redact_url_hides_credentials_only(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("[::1]", True),
        ("api.localhost", True),
        ("api.webwork-tracker.com", False),
        ("10.0.0.1", False),
        ("localhost.example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_an_answer_whose_data_is_ignored_may_leave_data_out() -> None:
    """The docs show ``{success, message, meta}`` for some writes (delete a time entry)."""
    answer = decode(None, b'{"success":true,"message":"Time entry deleted","meta":{}}')
    assert answer.success  # type: ignore[attr-defined]
    with pytest.raises(DecodeError, match="data"):
        decode(Project, b'{"success":true,"message":"ok","meta":{}}')
