"""`contacts.erase`: what is sent for each identifier form, and what comes back."""

from __future__ import annotations

from urllib.parse import unquote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kapso_platform import (
    Erasure,
    InvalidIdentifierError,
    NotFoundError,
    UnprocessableEntityError,
    parse_identifier,
)

from tests.overlay_support import (
    BASE_URL,
    CONTACT_UUID,
    PHONE,
    Recorder,
    async_client,
    error,
    no_content,
    sync_client,
)

CONTACTS_PATH = "/platform/v1/whatsapp/contacts/"


def test_erase_by_phone_sends_one_delete_with_the_e164_number() -> None:
    recorder = Recorder([no_content()])
    with sync_client(recorder) as client:
        erasure = client.contacts.erase("+1 (415) 555-0123")
    assert [r.method for r in recorder.requests] == ["DELETE"]
    assert recorder.requests[0].url.raw_path == b"/platform/v1/whatsapp/contacts/%2B14155550123"
    assert erasure == Erasure(PHONE, "phone", "req_1", 59, attempts=1)


def test_erase_by_uuid_sends_it_lowercased() -> None:
    recorder = Recorder([no_content()])
    with sync_client(recorder) as client:
        erasure = client.contacts.erase(CONTACT_UUID.upper())
    assert recorder.requests[0].url.path == CONTACTS_PATH + CONTACT_UUID
    assert (erasure.identifier, erasure.kind) == (CONTACT_UUID, "uuid")


def test_erase_by_business_scoped_id_sends_it_verbatim() -> None:
    recorder = Recorder([no_content()])
    with sync_client(recorder) as client:
        erasure = client.contacts.erase("US.ENT.11815799212886844830")
    assert recorder.requests[0].url.path == CONTACTS_PATH + "US.ENT.11815799212886844830"
    assert erasure.kind == "bsuid"


def test_erasure_without_request_id_or_rate_limit_headers_has_none() -> None:
    recorder = Recorder([httpx.Response(204)])
    with sync_client(recorder) as client:
        erasure = client.contacts.erase(PHONE)
    assert erasure.request_id is None
    assert erasure.rate_limit_remaining is None


def test_erasure_repr_masks_the_phone_number() -> None:
    erasure = Erasure(PHONE, "phone", None, None)
    assert PHONE not in repr(erasure)
    assert "***0123" in repr(erasure)


def test_client_default_region_applies_to_national_numbers() -> None:
    recorder = Recorder([no_content()])
    with sync_client(recorder, default_region="GB") as client:
        erasure = client.contacts.erase("020 7946 0018")
    assert erasure.identifier == "+442079460018"


def test_per_call_default_region_wins_over_the_clients() -> None:
    recorder = Recorder([no_content()])
    with sync_client(recorder, default_region="GB") as client:
        erasure = client.contacts.erase("(415) 555-0123", default_region="US")
    assert erasure.identifier == PHONE


def test_invalid_identifier_fails_before_any_request() -> None:
    recorder = Recorder([no_content()])
    with sync_client(recorder) as client, pytest.raises(InvalidIdentifierError):
        client.contacts.erase("415 555 0123")
    assert recorder.requests == []


def test_not_found_becomes_not_found_error_with_the_apis_message() -> None:
    recorder = Recorder([error(404, "Contact not found", **{"X-Request-Id": "req_9"})])
    with sync_client(recorder) as client, pytest.raises(NotFoundError) as caught:
        client.contacts.erase(PHONE)
    assert caught.value.message == "Contact not found"
    assert caught.value.request_id == "req_9"
    assert caught.value.body == {"error": "Contact not found"}
    assert caught.value.attempts == 1


def test_unprocessable_becomes_unprocessable_entity_error() -> None:
    recorder = Recorder([error(422, "Invalid phone number")])
    with sync_client(recorder) as client, pytest.raises(UnprocessableEntityError, match="Invalid"):
        client.contacts.erase(PHONE)


def test_per_call_timeout_and_max_retries_apply_to_that_call_only() -> None:
    recorder = Recorder([error(503, "down"), no_content()])
    with sync_client(recorder) as client:
        with pytest.raises(Exception, match="503"):
            client.contacts.erase(PHONE, timeout=2.5, max_retries=0)
        assert recorder.requests[0].extensions["timeout"]["read"] == 2.5
        erasure = client.contacts.erase(PHONE)
    assert recorder.requests[1].extensions["timeout"]["read"] == 30.0
    assert erasure.attempts == 1


async def test_async_erase_returns_the_same_erasure() -> None:
    recorder = Recorder([no_content()])
    async with async_client(recorder) as client:
        erasure = await client.contacts.erase("+1 415-555-0123")
    assert erasure == Erasure(PHONE, "phone", "req_1", 59)
    assert recorder.requests[0].method == "DELETE"


async def test_async_not_found_becomes_not_found_error() -> None:
    recorder = Recorder([error(404, "Contact not found")])
    async with async_client(recorder) as client:
        with pytest.raises(NotFoundError, match="Contact not found"):
            await client.contacts.erase(CONTACT_UUID)


async def test_async_invalid_identifier_fails_before_any_request() -> None:
    recorder = Recorder([no_content()])
    async with async_client(recorder) as client:
        with pytest.raises(InvalidIdentifierError):
            await client.contacts.erase("../../customers")
    assert recorder.requests == []


_identifier_like = st.one_of(
    st.text(),
    st.text(alphabet="+0123456789 ()-./%?#", max_size=30),
    st.from_regex(r"[A-Z]{2}\.(ENT\.)?[0-9]{1,25}", fullmatch=True),
    st.uuids().map(str),
    st.builds(lambda n: f"+1 {n}", st.integers(min_value=0, max_value=10**12)),
)


@settings(max_examples=300, deadline=None)
@given(value=_identifier_like)
def test_any_string_is_one_delete_to_one_contact_segment_or_rejected_first(value: str) -> None:
    recorder = Recorder([no_content()])
    with sync_client(recorder, max_retries=0, default_region="US") as client:
        try:
            erasure = client.contacts.erase(value)
        except InvalidIdentifierError:
            assert recorder.requests == []
            return
    assert len(recorder.requests) == 1
    request = recorder.requests[0]
    assert request.method == "DELETE"
    assert request.url.host == httpx.URL(BASE_URL).host
    raw_path = request.url.raw_path.decode("ascii")
    assert raw_path.startswith(CONTACTS_PATH)
    segment = raw_path.removeprefix(CONTACTS_PATH)
    assert segment
    assert "/" not in segment
    assert "?" not in segment
    assert "#" not in segment
    assert not request.url.query
    assert unquote(segment) == erasure.identifier
    assert parse_identifier(value, default_region="US").value == erasure.identifier
