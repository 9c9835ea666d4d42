"""Python SDK for the Kapso Platform API: typed errors, retries, and contact erasure."""

from kapso_platform._bulk import ErasureResult
from kapso_platform._client import AsyncKapso, Kapso
from kapso_platform._contacts import Erasure
from kapso_platform._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    InvalidIdentifierError,
    KapsoError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    UnexpectedResponseError,
    UnprocessableEntityError,
)
from kapso_platform._identifiers import Identifier, parse_identifier
from kapso_platform._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncKapso",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "Erasure",
    "ErasureResult",
    "Identifier",
    "InternalServerError",
    "InvalidIdentifierError",
    "Kapso",
    "KapsoError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnexpectedResponseError",
    "UnprocessableEntityError",
    "__version__",
    "parse_identifier",
]
