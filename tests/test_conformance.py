"""The traffic checker passes what the spec allows and fails every kind of mismatch."""

from __future__ import annotations

import contextlib

import httpx
import pytest
from kapso_platform_api_client import AuthenticatedClient
from kapso_platform_api_client.api.contacts import erase_whatsapp_contact

from tests import conformance as traffic
from tests.conformance import Conformance, ConformanceError

BASE_URL = "https://api.kapso.test/platform/v1"
ERASE_URL = f"{BASE_URL}/whatsapp/contacts/%2B14155550123"
KEY_HEADERS = {"X-API-Key": "sk_test_key"}


def answer(response: httpx.Response) -> traffic.Handler:
    return lambda request: response


def generated_client(transport: httpx.BaseTransport) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=BASE_URL,
        token="sk_test_key",
        prefix="",
        auth_header_name="X-API-Key",
        httpx_args={"transport": transport},
    )


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(204),
        httpx.Response(404, json={"error": "Contact not found"}),
        httpx.Response(422, json={"error": "Invalid phone number"}),
    ],
    ids=["204", "404", "422"],
)
def test_generated_erase_and_every_documented_answer_conform(response: httpx.Response) -> None:
    checker = Conformance(BASE_URL)
    client = generated_client(checker.transport(answer(response)))

    result = erase_whatsapp_contact.sync_detailed("+14155550123", client=client)

    assert result.status_code == response.status_code
    assert checker.violations == []
    assert checker.checked == 1


def test_request_without_the_api_key_fails() -> None:
    checker = Conformance(BASE_URL)
    with (
        httpx.Client(transport=checker.transport(answer(httpx.Response(204)))) as client,
        pytest.raises(ConformanceError, match="Security"),
    ):
        client.delete(ERASE_URL)
    checker.violations.clear()


def test_request_to_a_path_the_spec_does_not_have_fails() -> None:
    checker = Conformance(BASE_URL)
    with (
        httpx.Client(transport=checker.transport(answer(httpx.Response(204)))) as client,
        pytest.raises(ConformanceError, match="Path not found"),
    ):
        client.delete(f"{BASE_URL}/whatsapp/contact/x", headers=KEY_HEADERS)
    checker.violations.clear()


def test_request_outside_the_base_url_fails() -> None:
    checker = Conformance(BASE_URL)
    with (
        httpx.Client(transport=checker.transport(answer(httpx.Response(204)))) as client,
        pytest.raises(ConformanceError, match="outside the base URL"),
    ):
        client.delete("https://elsewhere.test/whatsapp/contacts/x", headers=KEY_HEADERS)
    checker.violations.clear()


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(404, json={"message": "gone"}), "'error' is a required property"),
        (httpx.Response(422, json={"error": 7}), "is not of type 'string'"),
        (httpx.Response(404, text="gone"), "text/plain"),
        (
            httpx.Response(500, json={"error": "boom"}),
            "500 answer is a status the operation does not",
        ),
    ],
    ids=["no-error-field", "error-not-string", "not-json", "undocumented-status"],
)
def test_mocked_answer_the_api_could_not_give_fails(response: httpx.Response, reason: str) -> None:
    checker = Conformance(BASE_URL)
    with (
        httpx.Client(transport=checker.transport(answer(response))) as client,
        pytest.raises(ConformanceError, match=reason),
    ):
        client.delete(ERASE_URL, headers=KEY_HEADERS)
    checker.violations.clear()


def test_documented_status_is_checked_even_when_named_undocumented() -> None:
    checker = Conformance(BASE_URL, undocumented_statuses=frozenset({404}))
    with (
        httpx.Client(transport=checker.transport(answer(httpx.Response(404, json={})))) as client,
        pytest.raises(ConformanceError, match="'error' is a required property"),
    ):
        client.delete(ERASE_URL, headers=KEY_HEADERS)
    checker.violations.clear()


def test_undocumented_status_named_by_the_test_passes_and_the_request_is_still_checked() -> None:
    checker = Conformance(BASE_URL, undocumented_statuses=frozenset({503}))
    with httpx.Client(transport=checker.transport(answer(httpx.Response(503)))) as client:
        assert client.delete(ERASE_URL, headers=KEY_HEADERS).status_code == 503
        with pytest.raises(ConformanceError, match="Security"):
            client.delete(ERASE_URL)
    checker.violations.clear()


def test_a_violation_caught_by_the_code_under_test_is_still_recorded_for_teardown() -> None:
    checker = Conformance(BASE_URL)
    # Swallowing the error, as careless code under test might.
    with (
        httpx.Client(transport=checker.transport(answer(httpx.Response(204)))) as client,
        contextlib.suppress(ConformanceError),
    ):
        client.delete(ERASE_URL)
    assert checker in traffic.ACTIVE
    assert len(checker.violations) == 1
    checker.violations.clear()


async def test_async_transport_checks_requests_and_answers() -> None:
    checker = Conformance(BASE_URL)

    async def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": "Contact not found"})

    async with httpx.AsyncClient(transport=checker.async_transport(reply)) as client:
        assert (await client.delete(ERASE_URL, headers=KEY_HEADERS)).status_code == 404
        with pytest.raises(ConformanceError, match="Security"):
            await client.delete(ERASE_URL)
    assert checker.checked == 1
    checker.violations.clear()
