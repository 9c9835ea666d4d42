"""The exception tree: what each class means, what it carries, what it never shows."""

from __future__ import annotations

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


@pytest.mark.parametrize(
    ("status", "expected"),
    [
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
    ],
)
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
