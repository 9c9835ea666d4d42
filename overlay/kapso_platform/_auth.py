"""Sending the project API key in `X-API-Key`, the scheme the Kapso spec declares.

The key lives only in this auth object, never in client headers, so no `repr` of a client
(ours, the generated one, or httpx's) can show it.
"""

from __future__ import annotations

from collections.abc import Generator

import httpx

API_KEY_HEADER = "X-API-Key"


class ApiKeyAuth(httpx.Auth):
    """Adds the API key header to each request; its `repr` hides the key."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the header and send the request once."""
        request.headers[API_KEY_HEADER] = self._api_key
        yield request

    def __repr__(self) -> str:
        return "ApiKeyAuth(api_key='***')"
