"""End to end over loopback: generated operations and the SDK against Prism's mock of the spec.

Every exchange passes two judges: Prism, which flags requests off the spec, and the traffic
checker, which validates Prism's answers too. One test per documented status (`Prefer: code=`).
"""

from __future__ import annotations

import httpx
import pytest
from kapso_platform import (
    APIStatusError,
    AsyncKapso,
    Kapso,
    NotFoundError,
    UnprocessableEntityError,
)
from kapso_platform_api_client import AuthenticatedClient
from kapso_platform_api_client.api.contacts import erase_whatsapp_contact
from kapso_platform_api_client.models import ErrorResponse

from tests.conformance import Conformance
from tests.servers import PrismTransport, PrismViolation, raise_on_prism_violation

pytestmark = pytest.mark.slow

API_KEY = "sk_test_e2e"


def generated_client(prism_url: str, status: int | None = None) -> AuthenticatedClient:
    """The generated client aimed at Prism, checked both ways, asking for `status`."""
    checker = Conformance(prism_url)
    return AuthenticatedClient(
        base_url=prism_url,
        token=API_KEY,
        prefix="",
        auth_header_name="X-API-Key",
        headers={"Prefer": f"code={status}"} if status else {},
        httpx_args={
            "transport": checker.transport(httpx.HTTPTransport()),
            "event_hooks": {"response": [raise_on_prism_violation]},
        },
    )


@pytest.mark.parametrize("identifier", ["+14155550123", "123e4567-e89b-12d3-a456-426614174000"])
def test_generated_erase_gets_204_from_prism(prism_url: str, identifier: str) -> None:
    response = erase_whatsapp_contact.sync_detailed(identifier, client=generated_client(prism_url))

    assert response.status_code == 204
    assert response.parsed is None


@pytest.mark.parametrize("status", [404, 422])
def test_generated_erase_parses_documented_error_status_from_prism(
    prism_url: str, status: int
) -> None:
    client = generated_client(prism_url, status)

    response = erase_whatsapp_contact.sync_detailed("+14155550123", client=client)

    assert response.status_code == status
    assert isinstance(response.parsed, ErrorResponse)
    assert isinstance(response.parsed.error, str)


async def test_generated_async_erase_gets_204_from_prism(prism_url: str) -> None:
    checker = Conformance(prism_url)
    client = AuthenticatedClient(
        base_url=prism_url,
        token=API_KEY,
        prefix="",
        auth_header_name="X-API-Key",
        httpx_args={"transport": checker.async_transport(httpx.AsyncHTTPTransport())},
    )

    response = await erase_whatsapp_contact.asyncio_detailed("+14155550123", client=client)

    assert response.status_code == 204
    assert checker.checked == 1


def test_a_request_prism_refuses_fails_the_test(prism_url: str) -> None:
    hooks = {"response": [raise_on_prism_violation]}
    with (
        httpx.Client(base_url=prism_url, event_hooks=hooks) as client,
        pytest.raises(PrismViolation, match="security"),
    ):
        client.delete("/whatsapp/contacts/%2B14155550123")  # no X-API-Key


def test_an_sl_violations_header_fails_the_test() -> None:
    request = httpx.Request("DELETE", "http://127.0.0.1/whatsapp/contacts/x")
    flagged = httpx.Response(
        204, headers={"sl-violations": '[{"message":"bad query"}]'}, request=request
    )

    with pytest.raises(PrismViolation, match="bad query"):
        raise_on_prism_violation(flagged)


def overlay_client(prism_url: str, status: int | None = None) -> Kapso:
    """The SDK aimed at Prism: Prism's violations and off-spec answers both fail the test."""
    checked = Conformance(prism_url).transport(httpx.HTTPTransport())
    http = httpx.Client(transport=PrismTransport(checked, status))
    return Kapso(API_KEY, base_url=prism_url, max_retries=0, http_client=http)


@pytest.mark.parametrize(
    ("identifier", "kind"),
    [
        ("+1 (415) 555-0123", "phone"),
        ("123E4567-E89B-12D3-A456-426614174000", "uuid"),
        ("US.13491208655302741918", "bsuid"),
    ],
)
def test_overlay_erase_gets_204_from_prism(prism_url: str, identifier: str, kind: str) -> None:
    with overlay_client(prism_url) as client:
        erasure = client.contacts.erase(identifier)

    assert erasure.kind == kind


def test_overlay_maps_prisms_404_to_not_found_error(prism_url: str) -> None:
    with overlay_client(prism_url, 404) as client, pytest.raises(NotFoundError) as caught:
        client.contacts.erase("+14155550123")

    assert caught.value.status_code == 404


def test_overlay_maps_prisms_422_to_unprocessable_entity_error(prism_url: str) -> None:
    with (
        overlay_client(prism_url, 422) as client,
        pytest.raises(UnprocessableEntityError) as caught,
    ):
        client.contacts.erase("+14155550123")

    assert caught.value.status_code == 422


@pytest.mark.parametrize("status", [204, 404, 422])
async def test_async_overlay_gets_each_documented_status_from_prism(
    prism_url: str, status: int
) -> None:
    checked = Conformance(prism_url).async_transport(httpx.AsyncHTTPTransport())
    http = httpx.AsyncClient(transport=PrismTransport(checked, status))
    async with AsyncKapso(API_KEY, base_url=prism_url, max_retries=0, http_client=http) as client:
        if status == 204:
            assert (await client.contacts.erase("+14155550123")).kind == "phone"
        else:
            with pytest.raises(APIStatusError) as caught:
                await client.contacts.erase("+14155550123")
            assert caught.value.status_code == status
    await http.aclose()
