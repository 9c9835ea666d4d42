"""Running any generated operation module with the SDK's auth, retries and typed errors.

A generated module (for example `kapso_platform_api_client.api.contacts.erase_whatsapp_contact`)
has `_get_kwargs(**parameters)`, which builds the request, and `_parse_response(client=...,
response=...)`, which turns a documented answer into a model. The SDK uses both, and only hands
success answers to the parser: error statuses are mapped by `_responses` first.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import httpx

from kapso_platform._errors import UnexpectedResponseError
from kapso_platform._retries import attempts_of


def operation_name(operation: ModuleType) -> str:
    """The short name of a generated operation module, for messages."""
    return operation.__name__.rsplit(".", 1)[-1]


def request_kwargs(operation: ModuleType, parameters: dict[str, Any]) -> dict[str, Any]:
    """The httpx request arguments `operation` builds from `parameters`."""
    if not callable(getattr(operation, "_get_kwargs", None)) or not callable(
        getattr(operation, "_parse_response", None)
    ):
        raise TypeError(
            f"{operation!r} is not a generated operation module; pass one such as "
            "kapso_platform_api_client.api.contacts.erase_whatsapp_contact"
        )
    kwargs: dict[str, Any] = operation._get_kwargs(**parameters)
    return kwargs


def parse_success(operation: ModuleType, client: Any, response: httpx.Response) -> Any:
    """The model `operation` parses from a 2xx `response`, or `UnexpectedResponseError`."""
    try:
        return operation._parse_response(client=client, response=response)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise UnexpectedResponseError(
            f"the HTTP {response.status_code} answer to {operation_name(operation)} does not "
            f"match the spec ({type(error).__name__}); regenerate the client from the current "
            "spec (make spec-update) or report it to Kapso",
            attempts=attempts_of(response),
        ) from None
