"""Turning an httpx response or exception into a typed result or a typed error.

This runs before any generated parsing code sees a response: the generated functions do
`HTTPStatus(code)` (a `ValueError` for codes outside the IANA list, such as Cloudflare's 520)
and `response.json()` (a `JSONDecodeError` on an HTML gateway page). Here every status and
body, however odd, becomes the matching `APIStatusError` with a message worth reading.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

import httpx

from kapso_platform._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    RateLimitError,
    status_error_class,
)
from kapso_platform._logging import describe_url
from kapso_platform._masking import mask
from kapso_platform._retries import Clock, attempts_of, parse_retry_after

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-kapso-request-id")
# Long digit runs in a server message are most likely a phone number or an ID echoed back.
_DIGIT_RUN = re.compile(r"\+?\d[\d \-().]{5,}\d")


def request_id(response: httpx.Response) -> str | None:
    """The request id the API put on `response`, if it sent one."""
    for name in _REQUEST_ID_HEADERS:
        value: str | None = response.headers.get(name)
        if value:
            return value
    return None


def rate_limit_remaining(response: httpx.Response) -> int | None:
    """The `X-RateLimit-Remaining` count, if present and a whole number."""
    value = response.headers.get("X-RateLimit-Remaining", "").strip()
    return int(value) if value.isdigit() else None


def raise_for_status(response: httpx.Response, clock: Clock, *, secret: str) -> None:
    """Raise the `APIStatusError` subclass for a non-success `response`; return on 2xx."""
    if 200 <= response.status_code < 300:
        return
    raise status_error(response, clock, secret=secret)


def status_error(response: httpx.Response, clock: Clock, *, secret: str) -> APIStatusError:
    """The typed error a non-success `response` stands for; `secret` never reaches its message."""
    body = _body(response)
    cls = status_error_class(response.status_code)
    arguments: dict[str, Any] = {
        "status_code": response.status_code,
        "message": _message(response, body, secret),
        "body": body,
        "headers": dict(response.headers),
        "request_id": request_id(response),
        "attempts": attempts_of(response),
    }
    if cls is RateLimitError:
        asked = parse_retry_after(response.headers.get("Retry-After"), clock.now())
        return RateLimitError(**arguments, retry_after=asked)
    return cls(**arguments)


def connection_error(error: httpx.HTTPError, request: httpx.Request) -> APIConnectionError:
    """The typed error for a request that got no usable answer."""
    cls = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
    where = f"{request.method} {request.url.host}{describe_url(request.url)}"
    detail = redact(str(error)) or "no detail given"
    advice = (
        "raise timeout= or check the network"
        if cls is APITimeoutError
        else "check the network and base_url"
    )
    return cls(
        f"{type(error).__name__} on {where}: {detail}; {advice}", attempts=attempts_of(error)
    )


def redact(text: str) -> str:
    """`text` with long digit runs (phone numbers, echoed IDs) masked to their last 4."""
    return _DIGIT_RUN.sub(lambda match: mask(match.group(0)), text)


def _body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return response.text


def _message(response: httpx.Response, body: Any, secret: str) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"].strip():
        return _shortened(redact(body["error"].strip().replace(secret, "***")))
    summary = _status_summary(response)
    if 300 <= response.status_code < 400:
        return f"{summary}: {_redirect_note(response)}"
    if body is None:
        return f"{summary} with an empty body"
    if isinstance(body, str):
        return f"{summary} with a non-JSON body ({_describe_content(response)}), {_GATEWAY_HINT}"
    return f"{summary} with a JSON body that has no 'error' text ({_describe_json(body)})"


_GATEWAY_HINT = "probably from a proxy or gateway in front of the API"
# An error text is for a log line or a traceback; the full body stays available in `.body`.
_MAX_MESSAGE_CHARS = 500


def _shortened(text: str) -> str:
    if len(text) <= _MAX_MESSAGE_CHARS:
        return text
    cut = len(text) - _MAX_MESSAGE_CHARS
    return f"{text[:_MAX_MESSAGE_CHARS]}… ({cut} more characters in the error's .body)"


def _status_summary(response: httpx.Response) -> str:
    try:
        phrase = HTTPStatus(response.status_code).phrase
    except ValueError:
        phrase = "not a standard HTTP status, as CDNs and gateways send"
    return f"{response.status_code} {phrase}"


def _redirect_note(response: httpx.Response) -> str:
    try:
        host = httpx.URL(response.headers.get("Location", "")).host
    except httpx.InvalidURL:
        host = ""
    where = f" to host {host!r}" if host else ""
    return (
        f"the API redirected{where}; redirects are not followed so the API key is never sent "
        "to another address; set base_url to the address the API now lives at"
    )


def _describe_content(response: httpx.Response) -> str:
    kind = response.headers.get("Content-Type", "no content type").split(";")[0].strip()
    return f"{kind}, {len(response.content)} bytes"


def _describe_json(body: Any) -> str:
    if isinstance(body, dict):
        keys = ", ".join(sorted(str(key) for key in body)[:5]) or "none"
        return f"keys: {keys}"
    return f"a JSON {type(body).__name__}"
