"""Client configuration: key, base URL, timeouts, headers, redirects, pool sharing, reprs."""

from __future__ import annotations

import httpx
import pytest
from kapso_platform import APIStatusError, AsyncKapso, ConfigurationError, Kapso, KapsoError
from kapso_platform._config import DEFAULT_BASE_URL

from tests.overlay_support import (
    API_KEY,
    BASE_URL,
    PHONE,
    Recorder,
    async_client,
    no_content,
    sync_client,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAPSO_API_KEY", raising=False)
    monkeypatch.delenv("KAPSO_BASE_URL", raising=False)


def test_key_and_base_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAPSO_API_KEY", "sk_env")
    monkeypatch.setenv("KAPSO_BASE_URL", "https://eu.kapso.test/platform/v1/")
    with Kapso() as client:
        assert client.base_url == "https://eu.kapso.test/platform/v1"


def test_default_base_url_is_the_spec_server() -> None:
    with Kapso("sk") as client:
        assert client.base_url == DEFAULT_BASE_URL == "https://api.kapso.ai/platform/v1"


@pytest.mark.parametrize("key", [None, "", "   "])
def test_missing_or_empty_key_raises_naming_the_env_var(key: str | None) -> None:
    with pytest.raises(KapsoError, match="KAPSO_API_KEY"):
        Kapso(key)
    with pytest.raises(ConfigurationError, match="KAPSO_API_KEY"):
        AsyncKapso(key)


@pytest.mark.parametrize(
    "url", ["http://api.kapso.ai/platform/v1", "http://10.0.0.5:8080", "http://example.com"]
)
def test_plain_http_to_a_remote_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="allow_insecure_http"):
        Kapso("sk", base_url=url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:4010", "http://127.8.9.1", "http://localhost:4010", "http://[::1]:80"]
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    with Kapso("sk", base_url=url) as client:
        assert client.base_url.startswith("http://")


def test_plain_http_to_a_remote_host_is_allowed_with_the_opt_in() -> None:
    with Kapso("sk", base_url="http://example.com", allow_insecure_http=True) as client:
        assert client.base_url == "http://example.com"


@pytest.mark.parametrize("url", ["ftp://api.kapso.ai", "api.kapso.ai/platform", "https://"])
def test_base_url_that_is_not_absolute_http_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        Kapso("sk", base_url=url)


def test_requests_carry_x_api_key_and_user_agent_and_no_authorization() -> None:
    recorder = Recorder([no_content()])
    with sync_client(recorder) as client:
        client.contacts.erase(PHONE)
    headers = recorder.requests[0].headers
    assert headers["X-API-Key"] == API_KEY
    assert "Authorization" not in headers
    assert headers["User-Agent"] == "kapso-platform-python/0.1.0"


def test_default_timeout_is_30_seconds_with_5_to_connect() -> None:
    recorder = Recorder([no_content()])
    with sync_client(recorder) as client:
        client.contacts.erase(PHONE)
    assert recorder.requests[0].extensions["timeout"] == {
        "connect": 5.0,
        "read": 30.0,
        "write": 30.0,
        "pool": 30.0,
    }


def test_generated_client_never_runs_without_a_timeout() -> None:
    with Kapso("sk") as client:
        assert client.generated.get_httpx_client().timeout == httpx.Timeout(30.0, connect=5.0)


def test_timeout_number_applies_to_every_part() -> None:
    recorder = Recorder([no_content()])
    with sync_client(recorder, timeout=7) as client:
        client.contacts.erase(PHONE)
    assert set(recorder.requests[0].extensions["timeout"].values()) == {7.0}


@pytest.mark.parametrize("timeout", [0, -1, True, httpx.Timeout(None), httpx.Timeout(5, read=None)])
def test_timeouts_that_could_hang_or_make_no_sense_are_refused(timeout: object) -> None:
    with pytest.raises(ConfigurationError, match=r"timeout|unlimited"):
        Kapso("sk", timeout=timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize("retries", [-1, 1.5, True])
def test_max_retries_must_be_a_whole_number_from_zero(retries: object) -> None:
    with pytest.raises(ConfigurationError, match="max_retries"):
        Kapso("sk", max_retries=retries)  # type: ignore[arg-type]


def test_unknown_default_region_is_refused_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="'ZZ'"):
        Kapso("sk", default_region="ZZ")


def test_repr_of_client_generated_client_and_http_client_hide_the_key() -> None:
    with Kapso(API_KEY) as client:
        texts = [repr(client), repr(client.generated), repr(client.generated.get_httpx_client())]
        texts.append(str(vars(client.generated.get_httpx_client())))
    for text in texts:
        assert API_KEY not in text


def test_with_options_shares_the_pool_and_changes_only_what_is_given() -> None:
    with Kapso("sk") as client:
        sibling = client.with_options(timeout=3.0)
        assert sibling._pool is client._pool
        assert sibling.timeout == httpx.Timeout(3.0)
        assert sibling.max_retries == client.max_retries
        other = client.with_options(max_retries=0)
        assert other.timeout == client.timeout
        assert other.max_retries == 0
        assert isinstance(sibling, Kapso)


def test_closing_a_sibling_leaves_the_shared_pool_open() -> None:
    recorder = Recorder([no_content()])
    client = sync_client(recorder)
    sibling = client.with_options(max_retries=1)
    sibling.close()
    client.contacts.erase(PHONE)
    client.close()
    assert len(recorder.requests) == 1


def test_closing_the_owner_closes_its_http_client() -> None:
    client = Kapso("sk")
    client.close()
    assert client._http.is_closed
    with pytest.raises(RuntimeError):
        client._http.get("/")


def test_a_callers_http_client_is_left_open() -> None:
    recorder = Recorder([no_content()])
    own = httpx.Client(transport=httpx.MockTransport(recorder))
    with Kapso("sk", base_url=BASE_URL, http_client=own) as client:
        client.contacts.erase(PHONE)
    assert not own.is_closed
    own.close()


def test_redirect_is_not_followed_so_the_key_stays_home() -> None:
    recorder = Recorder(
        [httpx.Response(307, headers={"Location": "https://evil.example/platform/v1/x"})]
    )
    client = sync_client(recorder, undocumented_statuses={307})
    with client, pytest.raises(APIStatusError) as caught:
        client.contacts.erase(PHONE)
    assert len(recorder.requests) == 1
    assert caught.value.status_code == 307
    assert "'evil.example'" in caught.value.message
    assert "not followed" in caught.value.message


async def test_async_client_sends_the_same_headers_and_timeout() -> None:
    recorder = Recorder([no_content()])
    async with async_client(recorder) as client:
        await client.contacts.erase(PHONE)
    request = recorder.requests[0]
    assert request.headers["X-API-Key"] == API_KEY
    assert "Authorization" not in request.headers
    assert request.extensions["timeout"]["connect"] == 5.0


async def test_async_with_options_shares_the_pool() -> None:
    recorder = Recorder([no_content()])
    client = async_client(recorder)
    sibling = client.with_options(timeout=2.0)
    assert isinstance(sibling, AsyncKapso)
    assert sibling._pool is client._pool
    await sibling.close()
    await client.contacts.erase(PHONE)
    await client.close()
    assert len(recorder.requests) == 1


async def test_async_redirect_is_not_followed() -> None:
    recorder = Recorder([httpx.Response(301, headers={"Location": "https://other.example/"})])
    async with async_client(recorder, undocumented_statuses={301}) as client:
        with pytest.raises(APIStatusError, match="redirect"):
            await client.contacts.erase(PHONE)
    assert len(recorder.requests) == 1


def test_a_base_url_with_credentials_is_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Kapso("sk", base_url="https://user:hunter2@api.kapso.ai/platform/v1")
    assert "hunter2" not in str(caught.value)
    assert "api_key=" in str(caught.value)
