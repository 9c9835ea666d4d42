"""Traffic conformance: every request a test sends and every mocked answer must match the spec.

openapi-core validates requests and responses but knows nothing of httpx, so this module adapts
httpx's request and response objects to its protocols and wraps any httpx transport (a
`MockTransport`, a respx router, a handler function) in one that checks both directions. A
request the spec does not allow, or a hand-made mock the real API could never send, is recorded
as a violation and raised as `ConformanceError`; the autouse fixture in conftest.py also fails
the test at teardown, so a violation swallowed by the code under test still counts.

A test that deliberately answers with a status the operation does not document (a 429 or 503 to
exercise retries) names it in `undocumented_statuses`; its request is still checked, and a
documented status is always checked in full.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from openapi_core.templating.responses.exceptions import ResponseNotFound
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tools.documents import SPEC_PATH, load_document

Handler = Callable[[httpx.Request], httpx.Response]
AsyncHandler = Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]

# Every checker created in a test registers here; conftest fails the test if any recorded one.
ACTIVE: list[Conformance] = []


class ConformanceError(AssertionError):
    """A request or mocked response does not match the spec; the message says how."""


class _OpenAPIRequest:
    """An httpx request as openapi-core's `Request` protocol wants it."""

    def __init__(self, request: httpx.Request) -> None:
        url = urlsplit(str(request.url))
        self.host_url = f"{url.scheme}://{url.netloc}"
        self.path = url.path
        self.method = request.method.lower()
        self.body: bytes | None = request.content or None
        self.content_type = request.headers.get("content-type", "").lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(url.query, keep_blank_values=True)),
            header=Headers(list(request.headers.multi_items())),
            cookie=ImmutableMultiDict(),
        )


class _OpenAPIResponse:
    """An httpx response (already read) as openapi-core's `Response` protocol wants it."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "").lower()
        self.headers = Headers(list(response.headers.multi_items()))
        self.data: bytes | None = response.content


@functools.lru_cache(maxsize=8)
def _openapi(spec: Path, base_url: str) -> OpenAPI:
    """The spec with its servers replaced by `base_url`, so tests may mock any base URL."""
    document = load_document(spec)
    document["servers"] = [{"url": base_url.rstrip("/")}]
    return OpenAPI.from_dict(_nullable_as_null_type(document))


def _nullable_as_null_type(node: Any) -> Any:
    """Read OpenAPI 3.0's `nullable: true` as the 3.1 spelling, a "null" member of `type`.

    The upstream 3.1 document still says `nullable: true` (for `paging.next`, among others), which
    3.1 validators ignore, so the API's real `"next": null` would fail; the generator honours the
    keyword, and so does this check.
    """
    if isinstance(node, list):
        return [_nullable_as_null_type(value) for value in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _nullable_as_null_type(value) for key, value in node.items()}
    kind = converted.get("type")
    if converted.get("nullable") is True and isinstance(kind, str | list):
        del converted["nullable"]
        kinds = kind if isinstance(kind, list) else [kind]
        converted["type"] = kinds if "null" in kinds else [*kinds, "null"]
    return converted


@dataclass
class Conformance:
    """Checks traffic against `spec` for a client configured with `base_url`."""

    base_url: str
    spec: Path = SPEC_PATH
    undocumented_statuses: frozenset[int] = frozenset()
    violations: list[str] = field(default_factory=list)
    checked: int = 0

    def __post_init__(self) -> None:
        ACTIVE.append(self)

    def check_request(self, request: httpx.Request) -> None:
        """Record and raise when `request` is not one the spec allows."""
        if not str(request.url).startswith(self.base_url.rstrip("/") + "/"):
            self._fail(f"{_name(request)}: sent outside the base URL {self.base_url}")
        try:
            _openapi(self.spec, self.base_url).validate_request(_OpenAPIRequest(request))
        except OpenAPIError as exc:
            self._fail(f"{_name(request)}: request does not match {self.spec.name}: {_why(exc)}")

    def check_response(self, request: httpx.Request, response: httpx.Response) -> None:
        """Record and raise when `response` is not one the spec lets the API give `request`."""
        self.checked += 1
        try:
            _openapi(self.spec, self.base_url).validate_response(
                _OpenAPIRequest(request), _OpenAPIResponse(response)
            )
        except ResponseNotFound:
            if response.status_code not in self.undocumented_statuses:
                self._fail(
                    f"{_name(request)}: mocked {response.status_code} answer is a status the "
                    f"operation does not document in {self.spec.name}; name it in "
                    "undocumented_statuses if the test injects it on purpose"
                )
        except OpenAPIError as exc:
            self._fail(
                f"{_name(request)}: mocked {response.status_code} answer does not match "
                f"{self.spec.name}: {_why(exc)}"
            )

    def _fail(self, message: str) -> None:
        self.violations.append(message)
        raise ConformanceError(message)

    def transport(self, inner: httpx.BaseTransport | Handler) -> ConformingTransport:
        """A sync transport checking traffic to and from `inner`."""
        return ConformingTransport(_as_transport(inner), self)

    def async_transport(
        self, inner: httpx.AsyncBaseTransport | Handler | AsyncHandler
    ) -> AsyncConformingTransport:
        """An async transport checking traffic to and from `inner`."""
        wrapped = (
            inner if isinstance(inner, httpx.AsyncBaseTransport) else httpx.MockTransport(inner)
        )
        return AsyncConformingTransport(wrapped, self)


def _as_transport(inner: httpx.BaseTransport | Handler) -> httpx.BaseTransport:
    return inner if isinstance(inner, httpx.BaseTransport) else httpx.MockTransport(inner)


class ConformingTransport(httpx.BaseTransport):
    """Passes traffic to `inner`, checking the request first and the answer after."""

    def __init__(self, inner: httpx.BaseTransport, conformance: Conformance) -> None:
        self.inner, self.conformance = inner, conformance

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.conformance.check_request(request)
        response = self.inner.handle_request(request)
        response.read()
        self.conformance.check_response(request, response)
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncConformingTransport(httpx.AsyncBaseTransport):
    """The async twin of `ConformingTransport`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, conformance: Conformance) -> None:
        self.inner, self.conformance = inner, conformance

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.conformance.check_request(request)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.conformance.check_response(request, response)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _name(request: httpx.Request) -> str:
    return f"{request.method} {request.url.path}"


def _why(exc: BaseException) -> str:
    """openapi-core's message plus the schema errors it keeps in its causes, first line each."""
    reasons = [str(exc)]
    cause = exc.__cause__
    while cause is not None:
        errors: Iterable[object] = getattr(cause, "schema_errors", None) or ()
        reasons += [str(getattr(error, "message", error)) for error in errors]
        if not errors:
            reasons.append(str(cause))
        cause = cause.__cause__
    kept: list[str] = []
    for line in (reason.splitlines()[0] for reason in reasons if reason):
        if not any(line in earlier for earlier in kept):
            kept.append(line)
    return "; ".join(kept)
