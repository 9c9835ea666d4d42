"""Contact identifiers: what `contacts.erase` accepts, checked and normalised without the network.

Three forms reach the same contact, and each has one spelling the API matches:
- a contact UUID, in any letter case: sent in canonical lower case;
- a phone number in any common human format: sent as E.164 (`+14155550123`), parsed by
  libphonenumber; a number without a leading `+` needs a `default_region` to say which country
  it belongs to, because guessing one could erase somebody else's contact;
- a business-scoped user ID (`US.13491208655302741918`) or its parent form
  (`US.ENT.11815799212886844830`): sent verbatim, as the API matches them exactly.

Anything else raises `InvalidIdentifierError` before a request is built. Every accepted value is
plain ASCII with no `/`, `?`, `#` or `%`, so it always stays one path segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

from kapso_platform._errors import InvalidIdentifierError
from kapso_platform._masking import mask

__all__ = ["Identifier", "IdentifierKind", "parse_identifier"]

IdentifierKind = Literal["uuid", "phone", "bsuid"]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_BSUID = re.compile(r"[A-Z]{2}\.(?:ENT\.)?[0-9]{1,40}")
# Digits with the separators people type; letters (vanity numbers, "ext. 12") are not accepted.
_PHONE = re.compile(r"\+?[\d\s().\-/\u2010-\u2015]*\d[\d\s().\-/\u2010-\u2015]*")
_LONGEST_INPUT = 100

_ACCEPTED = (
    "pass a contact UUID (123e4567-e89b-12d3-a456-426614174000), a phone number with its "
    "country code (+14155550123), or a business-scoped user ID "
    "(US.13491208655302741918 or US.ENT.11815799212886844830)"
)

_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "its country calling code does not exist",
    NumberParseException.NOT_A_NUMBER: "it is not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "it is too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "it is too short",
    NumberParseException.TOO_LONG: "it is too long",
}

_POSSIBILITY_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "its country calling code does not exist",
    ValidationResult.TOO_SHORT: "it is too short",
    ValidationResult.TOO_LONG: "it is too long",
    ValidationResult.INVALID_LENGTH: "its length matches no number of that country",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "it can only be dialled locally, without area code",
}


@dataclass(frozen=True)
class Identifier:
    """A contact identifier in the one spelling the API matches, with the form it was given in."""

    value: str
    kind: IdentifierKind


def parse_identifier(value: str, *, default_region: str | None = None) -> Identifier:
    """Check `value` and normalise it; raise `InvalidIdentifierError` saying what to pass."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidIdentifierError(f"the identifier is empty or not a string; {_ACCEPTED}")
    if len(text) > _LONGEST_INPUT:
        raise InvalidIdentifierError(
            f"identifier {mask(text)!r} is {len(text)} characters long, too long for any "
            f"accepted form; {_ACCEPTED}"
        )
    if _UUID.fullmatch(text):
        return Identifier(text.lower(), "uuid")
    if _BSUID.fullmatch(text):
        return Identifier(text, "bsuid")
    if _PHONE.fullmatch(text):
        return Identifier(_e164(text, default_region), "phone")
    raise InvalidIdentifierError(
        f"identifier {mask(text)!r} is not a contact UUID, a phone number or a business-scoped "
        f"user ID; {_ACCEPTED}"
    )


def _e164(text: str, default_region: str | None) -> str:
    region = checked_region(default_region)
    if not text.startswith("+") and region is None:
        raise InvalidIdentifierError(
            f"phone number {mask(text)!r} has no country code; write it with a leading + "
            "(such as +14155550123) or pass default_region= (such as default_region='US')"
        )
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise _phone_error(text, _PARSE_REASONS.get(exc.error_type, str(exc))) from None
    possibility = phonenumbers.is_possible_number_with_reason(number)
    if possibility != ValidationResult.IS_POSSIBLE:
        raise _phone_error(text, _POSSIBILITY_REASONS.get(possibility, "libphonenumber rejects it"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def checked_region(
    value: str | None,
    *,
    error: type[Exception] = InvalidIdentifierError,
    name: str = "default_region",
) -> str | None:
    """`value` upper-cased if libphonenumber knows the region; else raise `error` naming `name`.

    The client, a single call and the CLI all take a default region, each reporting a bad one
    with its own error type and its own name for the setting.
    """
    if value is None:
        return None
    region = value.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise error(
            f"{name} {value!r} is not a region libphonenumber knows; pass an "
            "ISO 3166-1 alpha-2 code such as 'US' or 'GB'"
        )
    return region


def _phone_error(text: str, reason: str) -> InvalidIdentifierError:
    return InvalidIdentifierError(
        f"phone number {mask(text)!r} is not a possible number ({reason}); check the digits or "
        f"{_ACCEPTED}"
    )
