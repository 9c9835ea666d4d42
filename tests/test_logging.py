"""Logging: one DEBUG line per attempt, INFO per retry, WARNING on giving up; nothing secret."""

from __future__ import annotations

import logging
import subprocess
import sys

import httpx
import pytest
from kapso_platform import InternalServerError, RateLimitError
from kapso_platform._logging import mask_path

from tests.overlay_support import (
    API_KEY,
    PHONE,
    Recorder,
    async_client,
    error,
    no_content,
    sync_client,
)

DIGITS = PHONE.removeprefix("+")


def all_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def test_debug_line_per_request_masks_the_phone_number_and_never_shows_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with sync_client(Recorder([no_content()])) as client:
        client.contacts.erase(PHONE)
    ours = [r for r in caplog.records if r.name == "kapso_platform"]
    assert [r.levelno for r in ours] == [logging.DEBUG]
    line = ours[0].getMessage()
    assert line.startswith("DELETE /platform/v1/whatsapp/contacts/***0123 -> 204 in ")
    assert line.endswith("ms (attempt 1)")
    text = all_text(caplog)
    assert DIGITS not in text
    assert API_KEY not in text


def test_httpx_own_info_line_has_the_phone_number_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    with sync_client(Recorder([no_content()])) as client:
        client.contacts.erase(PHONE)
    httpx_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert httpx_lines
    assert all("contacts/***0123" in line for line in httpx_lines)
    assert DIGITS not in all_text(caplog)


def test_httpx_lines_for_other_hosts_are_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    with sync_client(Recorder([no_content()])) as client:
        client.contacts.erase(PHONE)
    other = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    other.get("https://elsewhere.test/orders/123456")
    other.close()
    assert "https://elsewhere.test/orders/123456" in all_text(caplog)


def test_each_retry_is_one_info_line_and_giving_up_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="kapso_platform")
    recorder = Recorder([error(503, f"contact {PHONE} busy")])
    with sync_client(recorder, max_retries=2) as client, pytest.raises(InternalServerError):
        client.contacts.erase(PHONE)
    ours = [r for r in caplog.records if r.name == "kapso_platform"]
    assert [r.levelname for r in ours] == ["INFO", "INFO", "WARNING"]
    assert "after HTTP 503 (attempt 1 of 3 failed), waiting 0.50 s" in ours[0].getMessage()
    assert "giving up on DELETE /platform/v1/whatsapp/contacts/***0123 after 3" in (
        ours[2].getMessage()
    )
    assert DIGITS not in all_text(caplog)


def test_long_retry_after_is_one_warning_naming_the_limit(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kapso_platform")
    recorder = Recorder([error(429, "slow down", **{"Retry-After": "3600"})])
    with sync_client(recorder) as client, pytest.raises(RateLimitError):
        client.contacts.erase(PHONE)
    ours = [r for r in caplog.records if r.name == "kapso_platform"]
    assert [r.levelname for r in ours] == ["WARNING"]
    assert "Retry-After 3600 s, over the 60 s limit" in ours[0].getMessage()


def test_connection_error_retry_line_names_the_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kapso_platform")
    recorder = Recorder([httpx.ConnectError("refused"), no_content()])
    with sync_client(recorder) as client:
        client.contacts.erase(PHONE)
    assert "after ConnectError (attempt 1 of 4 failed)" in all_text(caplog)


def test_query_strings_are_left_out_of_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="kapso_platform")
    recorder = Recorder([httpx.Response(200, json={"data": []})])
    with sync_client(recorder) as client:
        client._send({"method": "get", "url": "/customers", "params": {"phone": PHONE}})
    assert "GET /platform/v1/customers?… -> 200" in all_text(caplog)
    assert DIGITS not in all_text(caplog)


async def test_async_logs_are_the_same_and_as_clean(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder([error(502, "bad gateway"), no_content()])
    async with async_client(recorder) as client:
        await client.contacts.erase(PHONE)
    levels = [r.levelname for r in caplog.records if r.name == "kapso_platform"]
    assert levels == ["DEBUG", "INFO", "DEBUG"]
    assert DIGITS not in all_text(caplog)
    assert API_KEY not in all_text(caplog)


@pytest.mark.parametrize(
    ("path", "masked"),
    [
        ("/platform/v1/whatsapp/contacts/%2B14155550123", "/platform/v1/whatsapp/contacts/***0123"),
        ("/platform/v1/customers", "/platform/v1/customers"),
        ("/v1/customers/123e4567-e89b-12d3-a456-426614174000", "/v1/customers/***4000"),
        ("/contacts/US.ENT.11815799212886844830", "/contacts/***4830"),
    ],
)
def test_mask_path_keeps_only_the_last_four_characters_of_identifier_segments(
    path: str, masked: str
) -> None:
    assert mask_path(path) == masked


def test_kapso_log_env_turns_on_a_stderr_handler_at_that_level() -> None:
    script = (
        "import httpx\n"
        "from kapso_platform import Kapso\n"
        "handler = lambda request: httpx.Response(204)\n"
        "client = Kapso('sk_secret_key', base_url='https://api.kapso.test/platform/v1',\n"
        "    http_client=httpx.Client(transport=httpx.MockTransport(handler)))\n"
        "client.contacts.erase('+14155550123')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"KAPSO_LOG": "debug", "PATH": ""},
        check=True,
    )
    assert "DEBUG kapso_platform: DELETE /platform/v1/whatsapp/contacts/***0123 -> 204" in (
        result.stderr
    )
    assert "14155550123" not in result.stderr
    assert "sk_secret_key" not in result.stderr


def test_without_kapso_log_nothing_is_printed() -> None:
    script = (
        "import httpx\n"
        "from kapso_platform import Kapso\n"
        "handler = lambda request: httpx.Response(204)\n"
        "client = Kapso('sk', base_url='https://api.kapso.test/platform/v1',\n"
        "    http_client=httpx.Client(transport=httpx.MockTransport(handler)))\n"
        "client.contacts.erase('+14155550123')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env={"PATH": ""}, check=True
    )
    assert result.stderr == ""
