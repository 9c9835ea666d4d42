"""Identifier parsing: every accepted form and its one normalised spelling, every rejection."""

from __future__ import annotations

import pytest
from kapso_platform import Identifier, InvalidIdentifierError, parse_identifier


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000"),
        ("123E4567-E89B-12D3-A456-426614174000", "123e4567-e89b-12d3-a456-426614174000"),
        ("  123e4567-E89B-12d3-a456-426614174000\n", "123e4567-e89b-12d3-a456-426614174000"),
    ],
)
def test_uuid_in_any_case_becomes_lowercase(given: str, expected: str) -> None:
    assert parse_identifier(given) == Identifier(expected, "uuid")


@pytest.mark.parametrize(
    ("given", "region", "expected"),
    [
        ("+14155550123", None, "+14155550123"),
        ("+1 (415) 555-0123", None, "+14155550123"),
        ("+1.415.555.0123", None, "+14155550123"),
        ("+44 20 7946 0018", None, "+442079460018"),
        ("+44 (0)20 7946 0018", None, "+442079460018"),
        ("(415) 555-0123", "US", "+14155550123"),
        ("415 555 0123", "us", "+14155550123"),
        ("020 7946 0018", "GB", "+442079460018"),
        ("0044 20 7946 0018", "GB", "+442079460018"),
        ("+49 30 901820", "US", "+4930901820"),
        ("+33\u00a01\u00a023\u00a045\u00a067\u00a089", None, "+33123456789"),
    ],
)
def test_phone_numbers_become_e164(given: str, region: str | None, expected: str) -> None:
    assert parse_identifier(given, default_region=region) == Identifier(expected, "phone")


@pytest.mark.parametrize(
    "given", ["US.13491208655302741918", "US.ENT.11815799212886844830", "BR.506847293015824"]
)
def test_business_scoped_user_ids_are_sent_verbatim(given: str) -> None:
    assert parse_identifier(given) == Identifier(given, "bsuid")


def test_phone_without_plus_and_without_region_is_rejected_naming_default_region() -> None:
    with pytest.raises(InvalidIdentifierError, match="default_region") as caught:
        parse_identifier("415 555 0123")
    assert "415 555 0123" not in str(caught.value)
    assert "0123" in str(caught.value)


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("+1 415", "too short"),
        ("+1415555012345678", "too long"),
        ("+999 1234567", "country calling code does not exist"),
        ("+44 1", "too short"),
    ],
)
def test_impossible_numbers_are_rejected_with_libphonenumbers_reason(
    given: str, reason: str
) -> None:
    with pytest.raises(InvalidIdentifierError, match=reason):
        parse_identifier(given)


@pytest.mark.parametrize(
    "given",
    [
        "alice@example.com",
        "../customers",
        "123e4567-e89b-12d3-a456-42661417400",  # one hex digit short
        "us.13491208655302741918",  # BSUIDs are matched verbatim, so case matters
        "US.ENT.",
        "1-800-FLOWERS",
        "+1 415 555 0123 ext. 5",
        "?x=1",
    ],
)
def test_other_strings_are_rejected_listing_the_accepted_forms(given: str) -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        parse_identifier(given, default_region="US")
    message = str(caught.value)
    assert "UUID" in message
    assert "+14155550123" in message
    assert "US.ENT." in message


@pytest.mark.parametrize("given", ["", "   ", "\n"])
def test_empty_identifier_is_rejected(given: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="empty"):
        parse_identifier(given)


def test_overlong_input_is_rejected_without_echoing_it() -> None:
    value = "+1" + "4" * 200
    with pytest.raises(InvalidIdentifierError, match="too long") as caught:
        parse_identifier(value)
    assert value not in str(caught.value)


def test_error_message_masks_the_phone_number_to_its_last_four_characters() -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        parse_identifier("+1415555012345678")
    assert "+1415555012345678" not in str(caught.value)
    assert "***5678" in str(caught.value)


def test_unknown_default_region_is_rejected_naming_it() -> None:
    with pytest.raises(InvalidIdentifierError, match="'XX'"):
        parse_identifier("415 555 0123", default_region="XX")


def test_default_region_is_not_needed_for_a_number_with_plus() -> None:
    assert parse_identifier("+14155550123", default_region=None).kind == "phone"


def test_invalid_identifier_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a contact UUID"):
        parse_identifier("nope")
