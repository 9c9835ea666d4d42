"""The exceptions the SDK raises: one base, status errors named by HTTP meaning.

Catch `KapsoError` for everything, `APIStatusError` for any answer the API gave, or one of its
subclasses for a single meaning. Connection and timeout problems are apart from status errors,
so a caller can retry them on its own terms. Every `APIError` knows how many HTTP attempts were
made before it was raised (`attempts`), retries included.

Messages never hold the API key or a full phone number; `body` and `headers` keep the raw answer
for callers who need it, and stay out of `repr`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "InternalServerError",
    "InvalidIdentifierError",
    "KapsoError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnexpectedResponseError",
    "UnprocessableEntityError",
    "status_error_class",
]


class KapsoError(Exception):
    """Base of every exception this SDK raises, so one `except` can catch them all."""


class InvalidIdentifierError(KapsoError, ValueError):
    """A contact identifier was rejected before any request was sent."""


class APIError(KapsoError):
    """A request was attempted and failed; `attempts` counts the HTTP attempts made."""

    attempts: int

    def __init__(self, message: str, *, attempts: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.attempts = attempts


class APIConnectionError(APIError):
    """No usable answer arrived: DNS, connect, TLS or a dropped connection."""


class APITimeoutError(APIConnectionError):
    """The request ran past its timeout (see the client's `timeout`)."""


class APIStatusError(APIError):
    """The API answered with a status that is not success; `message` is its `error` text."""

    def __init__(
        self,
        status_code: int,
        message: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
        *,
        attempts: int = 1,
    ) -> None:
        super().__init__(message, attempts=attempts)
        self.status_code = status_code
        self.body = body
        self.headers: Mapping[str, str] = dict(headers or {})
        self.request_id = request_id

    def __str__(self) -> str:
        suffix = f" (request id {self.request_id})" if self.request_id else ""
        return f"HTTP {self.status_code}: {self.message}{suffix}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code}, message={self.message!r}, "
            f"request_id={self.request_id!r}, attempts={self.attempts})"
        )


class BadRequestError(APIStatusError):
    """400: the request was malformed; fix the arguments before retrying."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, wrong or revoked; check KAPSO_API_KEY."""


class PermissionDeniedError(APIStatusError):
    """403: the API key is valid but may not do this."""


class NotFoundError(APIStatusError):
    """404: no such resource (for erase: no contact matches the identifier)."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the resource's current state."""


class UnprocessableEntityError(APIStatusError):
    """422: the API understood the request but rejected a value in it."""


class RateLimitError(APIStatusError):
    """429: too many requests; `retry_after` is the wait in seconds the API asked for, if any."""

    def __init__(
        self,
        status_code: int,
        message: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
        *,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status_code, message, body, headers, request_id, attempts=attempts)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """5xx (any status from 500 up, including CDN codes such as 520): the server failed."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The exception class that stands for `status_code` (`APIStatusError` when none is closer)."""
    if status_code >= 500:
        return InternalServerError
    return _BY_STATUS.get(status_code, APIStatusError)


class ConfigurationError(KapsoError, ValueError):
    """The client was set up with a missing or unusable value (API key, base URL, timeout)."""


class UnexpectedResponseError(APIError):
    """A success answer did not have the shape the spec promises, so it could not be parsed."""


class PaginationError(APIError):
    """Paging could not continue safely (for example the API sent back a cursor it sent before)."""
