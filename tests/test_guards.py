"""The suite's own guard: no test resolves a host other than loopback."""

from __future__ import annotations

import socket

import httpx
import pytest


def test_resolving_a_public_host_fails_inside_the_test_suite() -> None:
    with pytest.raises(socket.gaierror, match="tests never reach the internet"):
        socket.getaddrinfo("api.kapso.ai", 443)


def test_an_http_request_to_the_real_api_fails_before_leaving_the_machine() -> None:
    with pytest.raises(httpx.ConnectError, match="tests never reach the internet"):
        httpx.get("https://api.kapso.ai/platform/v1/", timeout=2.0)


def test_loopback_names_still_resolve() -> None:
    assert socket.getaddrinfo("127.0.0.1", 80)
    assert socket.getaddrinfo("localhost", 80)
