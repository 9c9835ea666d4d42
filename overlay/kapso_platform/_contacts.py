"""`client.contacts`: erasing a WhatsApp contact, checked before and typed after the request."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from kapso_platform_api_client.api.contacts import erase_whatsapp_contact

from kapso_platform import _bulk
from kapso_platform._config import TimeoutArg
from kapso_platform._identifiers import Identifier, IdentifierKind, parse_identifier
from kapso_platform._masking import mask
from kapso_platform._responses import rate_limit_remaining, request_id
from kapso_platform._retries import attempts_of

if TYPE_CHECKING:
    from kapso_platform._client import AsyncKapso, Kapso


@dataclass(frozen=True)
class Erasure:
    """A queued erasure: what was sent, in which form, and what the API said about it."""

    identifier: str
    kind: IdentifierKind
    request_id: str | None
    rate_limit_remaining: int | None
    attempts: int = 1

    def __repr__(self) -> str:
        return (
            f"Erasure(identifier={mask(self.identifier)!r}, kind={self.kind!r}, "
            f"request_id={self.request_id!r}, rate_limit_remaining={self.rate_limit_remaining!r}, "
            f"attempts={self.attempts})"
        )


def _erasure(target: Identifier, response: httpx.Response) -> Erasure:
    return Erasure(
        identifier=target.value,
        kind=target.kind,
        request_id=request_id(response),
        rate_limit_remaining=rate_limit_remaining(response),
        attempts=attempts_of(response),
    )


class Contacts:
    """WhatsApp contacts of the project."""

    def __init__(self, client: Kapso) -> None:
        self._client = client

    def erase(
        self,
        identifier: str,
        *,
        default_region: str | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = None,
    ) -> Erasure:
        """Erase one contact and all its data (queued by the API); raise a typed error if not."""
        target = parse_identifier(
            identifier, default_region=default_region or self._client.default_region
        )
        response = self._client._send(
            erase_whatsapp_contact._get_kwargs(identifier=target.value),
            timeout=timeout,
            max_retries=max_retries,
        )
        return _erasure(target, response)

    # -- bulk erasure: the engine lives in kapso_platform._bulk --------------------------

    def erase_many(
        self,
        identifiers: Iterable[str],
        *,
        concurrency: int = 4,
        rate_limit: float | None = None,
        default_region: str | None = None,
        on_result: Callable[[_bulk.ErasureResult], object] | None = None,
    ) -> Iterator[_bulk.ErasureResult]:
        """Erase many contacts within `rate_limit` a minute; one result per input, as each ends."""
        return _bulk.erase_many(
            lambda identifier: self.erase(identifier, max_retries=0),
            identifiers,
            concurrency=concurrency,
            rate_limit=rate_limit,
            default_region=default_region or self._client.default_region,
            on_result=on_result,
            max_attempts=self._client.max_retries + 1,
        )


class AsyncContacts:
    """WhatsApp contacts of the project, for `AsyncKapso`."""

    def __init__(self, client: AsyncKapso) -> None:
        self._client = client

    async def erase(
        self,
        identifier: str,
        *,
        default_region: str | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = None,
    ) -> Erasure:
        """Erase one contact and all its data (queued by the API); raise a typed error if not."""
        target = parse_identifier(
            identifier, default_region=default_region or self._client.default_region
        )
        response = await self._client._send(
            erase_whatsapp_contact._get_kwargs(identifier=target.value),
            timeout=timeout,
            max_retries=max_retries,
        )
        return _erasure(target, response)

    # -- bulk erasure: the engine lives in kapso_platform._bulk --------------------------

    def erase_many(
        self,
        identifiers: Iterable[str] | AsyncIterable[str],
        *,
        concurrency: int = 4,
        rate_limit: float | None = None,
        default_region: str | None = None,
        on_result: Callable[[_bulk.ErasureResult], object] | None = None,
    ) -> AsyncIterator[_bulk.ErasureResult]:
        """Erase many contacts within `rate_limit` a minute; one result per input, as each ends."""
        return _bulk.aerase_many(
            lambda identifier: self.erase(identifier, max_retries=0),
            identifiers,
            concurrency=concurrency,
            rate_limit=rate_limit,
            default_region=default_region or self._client.default_region,
            on_result=on_result,
            max_attempts=self._client.max_retries + 1,
        )
