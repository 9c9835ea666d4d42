"""Retries: which failures are retried for which methods, how long each wait is, when to stop."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
from kapso_platform import (
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
)
from kapso_platform._retries import (
    AsyncRetryTransport,
    RetryPolicy,
    RetryTransport,
    parse_retry_after,
)

from tests.overlay_support import (
    NOW,
    PHONE,
    FakeClock,
    Recorder,
    async_client,
    error,
    no_content,
    sync_client,
)

ERASE_URL = "https://api.kapso.test/platform/v1/whatsapp/contacts/%2B14155550123"
POST_URL = "https://api.kapso.test/platform/v1/whatsapp/messages"


def http_date(timestamp: float) -> str:
    return format_datetime(datetime.fromtimestamp(timestamp, UTC), usegmt=True)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"])
def test_idempotent_methods_retry_every_transient_status(method: str, status: int) -> None:
    assert RetryPolicy().retries_status(method, status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501, 520])
def test_other_statuses_are_never_retried(status: int) -> None:
    assert not RetryPolicy().retries_status("DELETE", status)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_writes_retry_only_429_among_statuses(method: str) -> None:
    policy = RetryPolicy()
    assert policy.retries_status(method, 429)
    for status in (408, 500, 502, 503, 504):
        assert not policy.retries_status(method, status)


@pytest.mark.parametrize(
    ("error", "post_retried"),
    [
        (httpx.ConnectError("refused"), True),
        (httpx.ConnectTimeout("slow connect"), True),
        (httpx.PoolTimeout("pool full"), True),
        (httpx.ReadError("reset"), False),
        (httpx.ReadTimeout("slow read"), False),
        (httpx.WriteError("broken pipe"), False),
        (httpx.RemoteProtocolError("closed"), False),
    ],
)
def test_writes_retry_only_errors_raised_before_sending(
    error: Exception, post_retried: bool
) -> None:
    policy = RetryPolicy()
    assert policy.retries_error("POST", error) is post_retried
    assert policy.retries_error("DELETE", error)


def test_errors_that_are_bugs_are_never_retried() -> None:
    assert not RetryPolicy().retries_error("GET", httpx.UnsupportedProtocol("gopher"))
    assert not RetryPolicy().retries_error("GET", httpx.LocalProtocolError("bad header"))


def test_backoff_is_full_jitter_doubling_from_half_a_second_up_to_eight() -> None:
    policy = RetryPolicy()
    assert [policy.backoff(n, 1.0) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert policy.backoff(3, 0.25) == 1.0
    assert policy.backoff(3, 0.0) == 0.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        (http_date(NOW + 30), 30.0),
        (http_date(NOW - 30), 0.0),
        ("soon", None),
        ("-3", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_in_both_forms(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def transport(recorder: Recorder, clock: FakeClock, retries: int = 3) -> RetryTransport:
    return RetryTransport(
        httpx.MockTransport(recorder), RetryPolicy(max_retries=retries), clock=clock
    )


def test_transient_status_is_retried_with_backoff_until_it_succeeds() -> None:
    clock = FakeClock(jitter=1.0)
    recorder = Recorder([error(503, "busy"), error(502, "bad gw"), no_content()])
    with httpx.Client(transport=transport(recorder, clock)) as client:
        response = client.delete(ERASE_URL)
    assert response.status_code == 204
    assert len(recorder.requests) == 3
    assert clock.sleeps == [0.5, 1.0]
    assert response.extensions["kapso.attempts"] == 3


def test_retries_stop_after_max_retries_and_return_the_last_answer() -> None:
    clock = FakeClock(jitter=0.5)
    recorder = Recorder([error(500, "boom")])
    with httpx.Client(transport=transport(recorder, clock, retries=2)) as client:
        response = client.delete(ERASE_URL)
    assert response.status_code == 500
    assert len(recorder.requests) == 3
    assert clock.sleeps == [0.25, 0.5]


def test_retry_after_seconds_replaces_the_backoff() -> None:
    clock = FakeClock()
    recorder = Recorder([error(429, "slow down", **{"Retry-After": "12"}), no_content()])
    with httpx.Client(transport=transport(recorder, clock)) as client:
        client.delete(ERASE_URL)
    assert clock.sleeps == [12.0]


def test_retry_after_http_date_is_waited_until() -> None:
    clock = FakeClock()
    asked = http_date(NOW + 45)
    recorder = Recorder([error(503, "maintenance", **{"Retry-After": asked}), no_content()])
    with httpx.Client(transport=transport(recorder, clock)) as client:
        client.delete(ERASE_URL)
    assert clock.sleeps == [45.0]


def test_retry_after_of_exactly_sixty_seconds_is_still_waited() -> None:
    clock = FakeClock()
    recorder = Recorder([error(429, "limit", **{"Retry-After": "60"}), no_content()])
    with httpx.Client(transport=transport(recorder, clock)) as client:
        assert client.delete(ERASE_URL).status_code == 204
    assert clock.sleeps == [60.0]


def test_unreadable_retry_after_falls_back_to_backoff() -> None:
    clock = FakeClock(jitter=1.0)
    recorder = Recorder([error(429, "limit", **{"Retry-After": "later"}), no_content()])
    with httpx.Client(transport=transport(recorder, clock)) as client:
        client.delete(ERASE_URL)
    assert clock.sleeps == [0.5]


def test_post_is_not_replayed_on_a_server_error() -> None:
    clock = FakeClock()
    recorder = Recorder([error(503, "busy"), httpx.Response(201, json={})])
    with httpx.Client(transport=transport(recorder, clock)) as client:
        response = client.post(POST_URL, json={"to": PHONE})
    assert response.status_code == 503
    assert len(recorder.requests) == 1
    assert clock.sleeps == []


def test_post_is_retried_on_429() -> None:
    clock = FakeClock()
    recorder = Recorder([error(429, "limit", **{"Retry-After": "1"}), httpx.Response(201)])
    with httpx.Client(transport=transport(recorder, clock)) as client:
        response = client.post(POST_URL, json={"to": PHONE})
    assert response.status_code == 201
    assert len(recorder.requests) == 2
    assert recorder.requests[1].content == recorder.requests[0].content


def test_post_is_retried_on_a_connect_error_but_not_on_a_read_error() -> None:
    clock = FakeClock()
    refused = Recorder([httpx.ConnectError("refused"), httpx.Response(201)])
    with httpx.Client(transport=transport(refused, clock)) as client:
        assert client.post(POST_URL, json={}).status_code == 201
    reset = Recorder([httpx.ReadError("reset"), httpx.Response(201)])
    with httpx.Client(transport=transport(reset, clock)) as client, pytest.raises(httpx.ReadError):
        client.post(POST_URL, json={})
    assert len(reset.requests) == 1


def test_final_exception_records_the_attempts() -> None:
    clock = FakeClock()
    recorder = Recorder([httpx.ConnectError("refused")])
    with (
        httpx.Client(transport=transport(recorder, clock, retries=2)) as client,
        pytest.raises(httpx.ConnectError) as caught,
    ):
        client.delete(ERASE_URL)
    assert vars(caught.value)["kapso_attempts"] == 3


def test_transport_closes_the_pool_only_when_it_owns_it() -> None:
    closed: list[str] = []

    class Pool(httpx.BaseTransport):
        def close(self) -> None:
            closed.append("closed")

    RetryTransport(Pool(), owns_inner=False).close()
    assert closed == []
    RetryTransport(Pool(), owns_inner=True).close()
    assert closed == ["closed"]


def test_client_gives_up_at_once_when_retry_after_exceeds_sixty_seconds() -> None:
    clock = FakeClock()
    recorder = Recorder([error(429, "Rate limit exceeded", **{"Retry-After": "120"})])
    with sync_client(recorder, clock) as client, pytest.raises(RateLimitError) as caught:
        client.contacts.erase(PHONE)
    assert caught.value.retry_after == 120.0
    assert caught.value.attempts == 1
    assert len(recorder.requests) == 1
    assert clock.sleeps == []


def test_client_rate_limit_error_after_retries_has_retry_after_and_attempts() -> None:
    clock = FakeClock()
    recorder = Recorder([error(429, "Rate limit exceeded", **{"Retry-After": "2"})])
    with sync_client(recorder, clock) as client, pytest.raises(RateLimitError) as caught:
        client.contacts.erase(PHONE)
    assert caught.value.retry_after == 2.0
    assert caught.value.attempts == 4
    assert clock.sleeps == [2.0, 2.0, 2.0]


def test_client_server_error_after_retries_counts_attempts() -> None:
    recorder = Recorder([error(503, "Service unavailable")])
    with sync_client(recorder, max_retries=1) as client, pytest.raises(InternalServerError) as e:
        client.contacts.erase(PHONE)
    assert e.value.attempts == 2
    assert len(recorder.requests) == 2


def test_client_connection_error_after_retries_counts_attempts() -> None:
    recorder = Recorder([httpx.ConnectError("[Errno 111] Connection refused")])
    with sync_client(recorder) as client, pytest.raises(APIConnectionError) as caught:
        client.contacts.erase(PHONE)
    assert caught.value.attempts == 4
    assert not isinstance(caught.value, APITimeoutError)


def test_client_timeout_becomes_api_timeout_error() -> None:
    recorder = Recorder([httpx.ReadTimeout("timed out")])
    with sync_client(recorder, max_retries=1) as client, pytest.raises(APITimeoutError) as caught:
        client.contacts.erase(PHONE)
    assert caught.value.attempts == 2
    assert "timeout" in str(caught.value)


def test_per_call_max_retries_overrides_the_clients() -> None:
    clock = FakeClock()
    recorder = Recorder([error(503, "busy")])
    with (
        sync_client(recorder, clock, max_retries=5) as client,
        pytest.raises(InternalServerError) as caught,
    ):
        client.contacts.erase(PHONE, max_retries=1)
    assert caught.value.attempts == 2


def test_with_options_max_retries_zero_sends_once() -> None:
    recorder = Recorder([error(503, "busy")])
    with sync_client(recorder) as client, pytest.raises(InternalServerError):
        client.with_options(max_retries=0).contacts.erase(PHONE)
    assert len(recorder.requests) == 1


def test_success_after_retries_reports_attempts_on_the_erasure() -> None:
    recorder = Recorder([httpx.ConnectError("refused"), error(504, "timeout"), no_content()])
    with sync_client(recorder) as client:
        erasure = client.contacts.erase(PHONE)
    assert erasure.attempts == 3


async def test_async_transport_retries_with_the_same_rules() -> None:
    clock = FakeClock(jitter=1.0)
    recorder = Recorder([error(503, "busy"), httpx.ConnectError("refused"), no_content()])
    retrying = AsyncRetryTransport(httpx.MockTransport(recorder), RetryPolicy(), clock=clock)
    async with httpx.AsyncClient(transport=retrying) as client:
        response = await client.delete(ERASE_URL)
    assert response.status_code == 204
    assert clock.sleeps == [0.5, 1.0]


async def test_async_post_is_not_replayed_on_a_server_error() -> None:
    recorder = Recorder([error(500, "boom"), httpx.Response(201)])
    retrying = AsyncRetryTransport(httpx.MockTransport(recorder), clock=FakeClock())
    async with httpx.AsyncClient(transport=retrying) as client:
        assert (await client.post(POST_URL, json={})).status_code == 500
    assert len(recorder.requests) == 1


async def test_async_client_gives_up_on_long_retry_after() -> None:
    clock = FakeClock()
    asked = http_date(NOW + 300)
    recorder = Recorder([error(429, "Rate limit exceeded", **{"Retry-After": asked})])
    async with async_client(recorder, clock) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.contacts.erase(PHONE)
    assert caught.value.retry_after == 300.0
    assert clock.sleeps == []


async def test_async_client_counts_attempts_on_errors_and_results() -> None:
    recorder = Recorder([httpx.ConnectTimeout("slow"), no_content()])
    async with async_client(recorder) as client:
        erasure = await client.contacts.erase(PHONE)
    assert erasure.attempts == 2
    failing = Recorder([httpx.ReadTimeout("slow")])
    async with async_client(failing, max_retries=2) as client:
        with pytest.raises(APITimeoutError) as caught:
            await client.contacts.erase(PHONE)
    assert caught.value.attempts == 3


async def test_async_transport_closes_the_pool_only_when_it_owns_it() -> None:
    closed: list[str] = []

    class Pool(httpx.AsyncBaseTransport):
        async def aclose(self) -> None:
            closed.append("closed")

    await AsyncRetryTransport(Pool(), owns_inner=False).aclose()
    assert closed == []
    await AsyncRetryTransport(Pool()).aclose()
    assert closed == ["closed"]
