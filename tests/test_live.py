"""The one test that may call the real Kapso API: skipped unless KAPSO_LIVE=1 and a key is set."""

from __future__ import annotations

import uuid

import pytest
from kapso_platform import Erasure, Kapso, NotFoundError

pytestmark = pytest.mark.live


def test_the_real_api_accepts_the_key_and_answers_an_unknown_contact(live_key: str) -> None:
    # A fresh random UUID names no contact, so this erases nothing: the API answers 404, or 204
    # if it queues erasures without looking the contact up first.
    unknown = str(uuid.uuid4())
    with Kapso(live_key) as kapso:
        try:
            erasure = kapso.contacts.erase(unknown)
        except NotFoundError as error:
            assert error.status_code == 404
        else:
            assert isinstance(erasure, Erasure)
            assert erasure.identifier == unknown
