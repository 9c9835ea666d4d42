"""End to end: erasing a contact through the Prism mock of the vendored spec, over loopback."""

from __future__ import annotations

import pytest
from kapso_platform import AsyncKapso, Erasure, InvalidIdentifierError, Kapso

pytestmark = pytest.mark.slow


def test_erase_through_prism_returns_an_erasure(prism_url: str) -> None:
    with Kapso("sk_test_e2e", base_url=prism_url, max_retries=0) as client:
        erasure = client.contacts.erase("+1 (415) 555-0123")
    assert isinstance(erasure, Erasure)
    assert (erasure.identifier, erasure.kind, erasure.attempts) == ("+14155550123", "phone", 1)


def test_erase_by_uuid_through_prism(prism_url: str) -> None:
    with Kapso("sk_test_e2e", base_url=prism_url, max_retries=0) as client:
        erasure = client.contacts.erase("123E4567-E89B-12D3-A456-426614174000")
    assert erasure.identifier == "123e4567-e89b-12d3-a456-426614174000"


async def test_async_erase_through_prism(prism_url: str) -> None:
    async with AsyncKapso("sk_test_e2e", base_url=prism_url, max_retries=0) as client:
        erasure = await client.contacts.erase("US.13491208655302741918")
    assert erasure.kind == "bsuid"


def test_invalid_identifier_never_reaches_prism(prism_url: str) -> None:
    with (
        Kapso("sk_test_e2e", base_url=prism_url) as client,
        pytest.raises(InvalidIdentifierError),
    ):
        client.contacts.erase("not-a-contact")
