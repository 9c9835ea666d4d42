"""Client settings: where they come from (arguments, then environment) and what is refused.

The API key travels in a header on every request, so the base URL must be `https://`; plain
`http://` is accepted only for loopback hosts (a local mock) or with an explicit opt-in.
The generated client would run without any timeout; every request here gets one.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field

import httpx

from kapso_platform._errors import ConfigurationError
from kapso_platform._identifiers import checked_region
from kapso_platform._version import __version__

DEFAULT_BASE_URL = "https://api.kapso.ai/platform/v1"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 3
# httpx's defaults (100 connections, 20 kept alive) close every connection past the 20th as soon
# as it is released, so more than 20 concurrent callers open a new TCP and TLS connection for
# almost every request. Keeping alive all that may be open avoids that; 20 at once is plenty for
# a rate-limited API, and a small pool also keeps httpcore's per-request bookkeeping cheap.
DEFAULT_POOL_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=20)
USER_AGENT = f"kapso-platform-python/{__version__}"
API_KEY_ENV = "KAPSO_API_KEY"
BASE_URL_ENV = "KAPSO_BASE_URL"

TimeoutArg = float | httpx.Timeout | None


@dataclass(frozen=True)
class ClientConfig:
    """Everything a client needs to send requests; `api_key` stays out of `repr`."""

    api_key: str = field(repr=False)
    base_url: str
    timeout: httpx.Timeout
    max_retries: int
    default_region: str | None


def resolve_config(
    api_key: str | None,
    *,
    base_url: str | None,
    timeout: TimeoutArg,
    max_retries: int,
    default_region: str | None,
    allow_insecure_http: bool,
) -> ClientConfig:
    """Fill unset values from the environment and defaults; refuse unusable ones with advice."""
    return ClientConfig(
        api_key=_api_key(api_key),
        base_url=_base_url(base_url, allow_insecure_http),
        timeout=to_timeout(timeout, DEFAULT_TIMEOUT),
        max_retries=check_max_retries(max_retries),
        default_region=checked_region(default_region, error=ConfigurationError),
    )


def _api_key(given: str | None) -> str:
    key = given if given is not None else os.environ.get(API_KEY_ENV, "")
    if not key.strip():
        raise ConfigurationError(
            f"no API key: pass api_key= or set the {API_KEY_ENV} environment variable "
            "to your Kapso project API key"
        )
    return key.strip()


def _base_url(given: str | None, allow_insecure_http: bool) -> str:
    text = given or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    try:
        url = httpx.URL(text.strip())
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"base_url {text!r} is not a URL ({exc})") from None
    if url.userinfo:
        # Credentials in the URL would be echoed by every repr and message that shows it.
        raise ConfigurationError(
            "base_url must not carry a user name or password (user:secret@host); pass the API "
            "key as api_key= or KAPSO_API_KEY and the bare URL, such as " + DEFAULT_BASE_URL
        )
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(
            f"base_url {text!r} must be an absolute https:// URL such as {DEFAULT_BASE_URL}"
        )
    if url.scheme == "http" and not (allow_insecure_http or is_loopback(url.host)):
        raise ConfigurationError(
            f"base_url {text!r} is plain http:// to a non-loopback host, which would send the "
            "API key unencrypted; use https://, or pass allow_insecure_http=True "
            "(kapso CLI: --allow-insecure-http) if you must"
        )
    return str(url).rstrip("/")


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine (localhost, 127.0.0.0/8 or ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def to_timeout(value: TimeoutArg, default: httpx.Timeout) -> httpx.Timeout:
    """`value` as an `httpx.Timeout`; `None` means `default`, never "wait forever"."""
    if value is None:
        return default
    if isinstance(value, httpx.Timeout):
        _check_timeout_parts(value)
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigurationError(
            f"timeout {value!r} must be a positive number of seconds or an httpx.Timeout"
        )
    return httpx.Timeout(float(value))


def _check_timeout_parts(value: httpx.Timeout) -> None:
    parts = {
        "connect": value.connect,
        "read": value.read,
        "write": value.write,
        "pool": value.pool,
    }
    unset = [name for name, seconds in parts.items() if seconds is None]
    if unset:
        raise ConfigurationError(
            f"httpx.Timeout leaves {', '.join(unset)} unlimited; a request could hang for ever, "
            "so give every part a number of seconds, e.g. httpx.Timeout(30.0, connect=5.0)"
        )


def check_max_retries(value: int) -> int:
    """`value` if it is a usable retry count (an int from 0 up)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"max_retries {value!r} must be a whole number from 0 up")
    return value
