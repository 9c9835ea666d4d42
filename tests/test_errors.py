"""The exception tree: what each class means, what it carries, what it never shows."""

from __future__ import annotations

import httpx
import kapso_platform
import pytest
from kapso_platform import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    InvalidIdentifierError,
    KapsoError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from kapso_platform._errors import status_error_class

from tests.overlay_support import API_KEY, PHONE, Recorder, async_client, error, sync_client

# Each status and the error it becomes; 520 and 599 are outside the IANA list, 302 is never
# followed, 418 has no class of its own.
STATUS_ERRORS: list[tuple[int, type[APIStatusError]]] = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (422, UnprocessableEntityError),
    (429, RateLimitError),
    (500, InternalServerError),
    (503, InternalServerError),
    (520, InternalServerError),
    (599, InternalServerError),
    (418, APIStatusError),
    (302, APIStatusError),
]


@pytest.mark.parametrize(("status", "expected"), STATUS_ERRORS)
def test_status_error_class_names_the_http_meaning(
    status: int, expected: type[APIStatusError]
) -> None:
    assert status_error_class(status) is expected


def test_every_status_error_is_an_api_error_and_a_kapso_error() -> None:
    for cls in (BadRequestError, NotFoundError, RateLimitError, InternalServerError):
        assert issubclass(cls, APIStatusError)
        assert issubclass(cls, APIError)
        assert issubclass(cls, KapsoError)


def test_timeout_is_a_connection_error_and_not_a_status_error() -> None:
    assert issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(APIConnectionError, APIError)
    assert not issubclass(APIConnectionError, APIStatusError)


def test_invalid_identifier_is_both_kapso_error_and_value_error() -> None:
    assert issubclass(InvalidIdentifierError, KapsoError)
    assert issubclass(InvalidIdentifierError, ValueError)
    assert not issubclass(InvalidIdentifierError, APIError)


def test_status_error_carries_status_message_body_headers_request_id_and_attempts() -> None:
    error = NotFoundError(
        404,
        "Contact not found",
        {"error": "Contact not found"},
        {"x-request-id": "r1"},
        "r1",
        attempts=2,
    )
    assert error.status_code == 404
    assert error.message == "Contact not found"
    assert error.body == {"error": "Contact not found"}
    assert error.headers == {"x-request-id": "r1"}
    assert error.request_id == "r1"
    assert error.attempts == 2
    assert str(error) == "HTTP 404: Contact not found (request id r1)"


def test_status_error_repr_leaves_body_and_headers_out() -> None:
    error = BadRequestError(400, "bad", {"secret": "+14155550123"}, {"x-api-key": "sk_live"})
    assert "+14155550123" not in repr(error)
    assert "sk_live" not in repr(error)
    assert "BadRequestError(status_code=400" in repr(error)


def test_rate_limit_error_carries_retry_after() -> None:
    error = RateLimitError(429, "slow down", retry_after=120.0, attempts=1)
    assert error.retry_after == 120.0
    assert RateLimitError(429, "slow down").retry_after is None


def test_connection_errors_default_to_one_attempt() -> None:
    assert APIConnectionError("refused").attempts == 1
    assert APITimeoutError("timed out", attempts=4).attempts == 4


def test_package_exports_the_whole_tree() -> None:
    for name in (
        "KapsoError",
        "InvalidIdentifierError",
        "APIError",
        "APIStatusError",
        "APIConnectionError",
        "APITimeoutError",
        "RateLimitError",
        "InternalServerError",
    ):
        assert name in kapso_platform.__all__
        assert hasattr(kapso_platform, name)


# Through the client: every answer, however odd, becomes the right typed error.

ODD_HTML = b"<html><head><title>520: Web server is returning an unknown error</title></head></html>"


@pytest.mark.parametrize(
    ("status", "expected"), [(s, e) for s, e in STATUS_ERRORS if s not in (302, 520, 599)]
)
def test_client_maps_each_status_to_its_error_with_the_api_message(
    status: int, expected: type[APIStatusError]
) -> None:
    recorder = Recorder([error(status, "the API says no")])
    client = sync_client(recorder, max_retries=0, undocumented_statuses={status})
    with client, pytest.raises(expected) as caught:
        client.contacts.erase(PHONE)
    assert type(caught.value) is expected
    assert caught.value.status_code == status
    assert caught.value.message == "the API says no"


def test_cloudflare_520_with_html_becomes_internal_server_error_not_a_crash() -> None:
    page = httpx.Response(520, content=ODD_HTML, headers={"Content-Type": "text/html"})
    recorder = Recorder([page])
    client = sync_client(recorder, max_retries=0, undocumented_statuses={520})
    with client, pytest.raises(InternalServerError) as e:
        client.contacts.erase(PHONE)
    assert e.value.status_code == 520
    assert "not a standard HTTP status" in e.value.message
    assert "non-JSON body (text/html" in e.value.message
    assert e.value.body == ODD_HTML.decode()


def test_gateway_html_page_becomes_a_status_error_naming_the_gateway() -> None:
    page = httpx.Response(
        502, content=b"<html>Bad Gateway</html>", headers={"Content-Type": "text/html"}
    )
    with (
        sync_client(Recorder([page]), max_retries=0) as client,
        pytest.raises(InternalServerError, match="502 Bad Gateway with a non-JSON body"),
    ):
        client.contacts.erase(PHONE)


def test_json_without_error_field_lists_its_keys() -> None:
    answer = httpx.Response(404, json={"message": "gone", "code": 17})
    client = sync_client(Recorder([answer]), spec=None)  # a body off the spec, on purpose
    with client, pytest.raises(NotFoundError) as caught:
        client.contacts.erase(PHONE)
    assert "no 'error' text (keys: code, message)" in caught.value.message
    assert caught.value.body == {"message": "gone", "code": 17}


def test_json_array_body_is_described() -> None:
    answer = httpx.Response(400, json=["bad"])
    with sync_client(Recorder([answer])) as client, pytest.raises(BadRequestError, match="list"):
        client.contacts.erase(PHONE)


def test_empty_error_body_says_so() -> None:
    with (
        sync_client(Recorder([httpx.Response(404)]), spec=None) as client,  # off-spec on purpose
        pytest.raises(NotFoundError, match="404 Not Found with an empty body"),
    ):
        client.contacts.erase(PHONE)


def test_undocumented_success_status_is_not_a_crash() -> None:
    with sync_client(Recorder([httpx.Response(299)]), undocumented_statuses={299}) as client:
        assert client.contacts.erase(PHONE).identifier == PHONE


def test_phone_number_echoed_by_the_api_is_masked_in_the_message() -> None:
    answer = error(404, "No contact with phone +1 415 555 0123 in this project")
    with sync_client(Recorder([answer])) as client, pytest.raises(NotFoundError) as caught:
        client.contacts.erase(PHONE)
    assert "415 555" not in str(caught.value)
    assert "0123" in str(caught.value)
    assert API_KEY not in repr(caught.value)


def test_api_key_echoed_by_the_api_is_masked_in_the_message() -> None:
    answer = error(401, f"API key {API_KEY} is revoked")
    with sync_client(Recorder([answer])) as client, pytest.raises(AuthenticationError) as caught:
        client.contacts.erase(PHONE)
    assert API_KEY not in str(caught.value)
    assert "API key *** is revoked" in str(caught.value)


def test_connection_error_message_names_host_and_masks_the_path() -> None:
    recorder = Recorder([httpx.ConnectError("[Errno 111] Connection refused")])
    with sync_client(recorder, max_retries=0) as client, pytest.raises(APIConnectionError) as e:
        client.contacts.erase(PHONE)
    message = str(e.value)
    assert "api.kapso.test" in message
    assert "Connection refused" in message
    assert "14155550123" not in message
    assert e.value.__cause__ is None


async def test_async_client_maps_520_and_html_the_same_way() -> None:
    page = httpx.Response(520, content=ODD_HTML, headers={"Content-Type": "text/html"})
    async with async_client(Recorder([page]), max_retries=0, undocumented_statuses={520}) as client:
        with pytest.raises(InternalServerError, match="520"):
            await client.contacts.erase(PHONE)


async def test_async_client_maps_conflict_and_connection_errors() -> None:
    async with async_client(Recorder([error(409, "busy erasing")])) as client:
        with pytest.raises(ConflictError, match="busy erasing"):
            await client.contacts.erase(PHONE)
    async with async_client(Recorder([httpx.ConnectError("down")]), max_retries=0) as client:
        with pytest.raises(APIConnectionError, match="down"):
            await client.contacts.erase(PHONE)
