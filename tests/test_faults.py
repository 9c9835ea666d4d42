"""What a client does when the network or the server misbehaves: a typed error or a retry that
succeeds, never a hang past its timeout, never an unbounded message, nothing left open.

Network-level cases run against tests/faultserver.py on 127.0.0.1; transport-level cases
(TLS-only situations, exceptions httpx raises) use respx. Retries wait on a fake clock, so no
test sleeps for a backoff; elapsed-time bounds are generous and only catch hangs.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import respx
from kapso_platform import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncKapso,
    BadRequestError,
    InternalServerError,
    Kapso,
    NotFoundError,
    RateLimitError,
    UnprocessableEntityError,
)

from tests.faultserver import FaultServer, Reply
from tests.overlay_support import FakeClock
from tests.servers import free_port

pytestmark = pytest.mark.timeout(60)

API_KEY = "sk_test_faults_0123456789abcdef"
CONTACT = "123e4567-e89b-12d3-a456-426614174000"
TEN_MB = 10 * 1024 * 1024
MAX_MESSAGE = 1_000  # an error message is read by people: far below the body sizes used here
HANG = 10.0  # seconds: any case taking this long is hanging, not merely slow on a busy machine


@pytest.fixture(autouse=True)
def nothing_left_open() -> Iterator[None]:
    """Every test must release the sockets and threads it created (server and client)."""
    fds, threads = len(os.listdir("/proc/self/fd")), threading.active_count()
    yield
    assert len(os.listdir("/proc/self/fd")) == fds, "file descriptors were left open"
    assert threading.active_count() == threads, "threads were left running"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as running:
        yield running


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def kapso(url: str, clock: FakeClock, **options: object) -> Kapso:
    return Kapso(API_KEY, base_url=url, clock=clock, **options)  # type: ignore[arg-type]


def erase_error(client: Kapso) -> Exception:
    """The exception `contacts.erase` raises (the test fails if it returns)."""
    with client, pytest.raises(Exception) as caught:
        client.contacts.erase(CONTACT)
    return caught.value


def always(reply: Reply) -> FaultServer:
    return FaultServer(lambda request: reply)


# -- the connection ------------------------------------------------------------------------


def test_connection_refused_is_a_connection_error_after_every_retry(clock: FakeClock) -> None:
    error = erase_error(kapso(f"http://127.0.0.1:{free_port()}", clock, max_retries=2))
    assert type(error) is APIConnectionError
    assert error.attempts == 3
    assert len(clock.sleeps) == 2
    assert "ConnectError" in str(error)


def test_reset_before_the_status_line_is_retried_and_succeeds(
    server: FaultServer, clock: FakeClock
) -> None:
    server.script(Reply.drop())
    with kapso(server.url, clock) as client:
        erasure = client.contacts.erase(CONTACT)
    assert erasure.attempts == 2
    assert [request.status_code for request in server.requests] == [None, 204]


def test_reset_before_the_status_line_every_time_is_a_connection_error(clock: FakeClock) -> None:
    with always(Reply.drop()) as server:
        error = erase_error(kapso(server.url, clock, max_retries=1))
    assert type(error) is APIConnectionError
    assert error.attempts == 2


def test_reset_mid_body_is_retried_like_any_lost_connection(
    server: FaultServer, clock: FakeClock
) -> None:
    server.script(Reply.reset_mid_body(404))
    with kapso(server.url, clock) as client:
        erasure = client.contacts.erase(CONTACT)
    assert erasure.attempts == 2


def test_reset_mid_body_every_time_is_a_connection_error(clock: FakeClock) -> None:
    with always(Reply.reset_mid_body(200)) as server:
        error = erase_error(kapso(server.url, clock, max_retries=1))
    assert type(error) is APIConnectionError
    assert error.attempts == 2


def test_answer_slower_than_the_read_timeout_is_a_timeout_error(clock: FakeClock) -> None:
    started = time.monotonic()
    with always(Reply.stall(30.0)) as server:
        error = erase_error(kapso(server.url, clock, timeout=0.2, max_retries=1))
    assert type(error) is APITimeoutError
    assert error.attempts == 2
    assert time.monotonic() - started < HANG
    assert "raise timeout=" in str(error)


def test_per_call_timeout_bounds_a_stalled_answer(server: FaultServer, clock: FakeClock) -> None:
    server.script(Reply.stall(30.0))
    started = time.monotonic()
    with kapso(server.url, clock) as client, pytest.raises(APITimeoutError):
        client.contacts.erase(CONTACT, timeout=0.2, max_retries=0)
    assert time.monotonic() - started < HANG


# -- bodies the client cannot use -----------------------------------------------------------


def test_ten_megabyte_html_error_body_gives_a_short_message(clock: FakeClock) -> None:
    with always(Reply.raw(500, b"<html>" + b"x" * TEN_MB, "text/html")) as server:
        error = erase_error(kapso(server.url, clock, max_retries=0))
    assert isinstance(error, InternalServerError)
    assert len(str(error)) < MAX_MESSAGE
    assert "text/html" in str(error)


def test_ten_megabyte_error_text_is_cut_in_the_message_but_kept_in_the_body(
    clock: FakeClock,
) -> None:
    text = "contact is locked " * (TEN_MB // 18)
    with always(Reply.raw(409, json.dumps({"error": text}).encode())) as server:
        error = erase_error(kapso(server.url, clock))
    assert isinstance(error, APIStatusError)
    assert len(str(error)) < MAX_MESSAGE
    assert str(error).startswith("HTTP 409: contact is locked")
    assert error.body == {"error": text}


def test_large_body_with_a_short_error_text_keeps_that_text(clock: FakeClock) -> None:
    body = json.dumps({"error": "Contact not found", "trace": "x" * TEN_MB}).encode()
    with always(Reply.raw(404, body)) as server:
        error = erase_error(kapso(server.url, clock))
    assert isinstance(error, NotFoundError)
    assert error.message == "Contact not found"


def test_malformed_json_error_body_is_a_status_error_that_says_so(clock: FakeClock) -> None:
    with always(Reply.raw(400, b'{"error": "bad')) as server:
        error = erase_error(kapso(server.url, clock))
    assert isinstance(error, BadRequestError)
    assert "non-JSON body" in str(error)
    assert error.body == '{"error": "bad'


def test_invalid_utf8_error_body_is_a_status_error_with_a_readable_message(
    clock: FakeClock,
) -> None:
    with always(Reply.raw(422, b'{"error": "\xff\xfe broken"}')) as server:
        error = erase_error(kapso(server.url, clock))
    assert isinstance(error, UnprocessableEntityError)
    assert "non-JSON body" in str(error)
    str(error).encode("utf-8")  # printable as it is


def test_html_502_page_is_retried_then_a_server_error_naming_the_gateway(
    clock: FakeClock,
) -> None:
    with always(Reply.html(502)) as server:
        error = erase_error(kapso(server.url, clock, max_retries=2))
    assert isinstance(error, InternalServerError)
    assert error.status_code == 502
    assert error.attempts == 3
    assert "gateway" in str(error)


@pytest.mark.parametrize("status", [520, 599])
def test_nonstandard_5xx_is_a_server_error_that_keeps_the_status(
    status: int, clock: FakeClock
) -> None:
    with always(Reply.status(status)) as server:
        error = erase_error(kapso(server.url, clock))
    assert isinstance(error, InternalServerError)
    assert error.status_code == status
    assert "not a standard HTTP status" in str(error)


# -- Retry-After ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["soon", "-5"])
def test_unreadable_retry_after_falls_back_to_the_backoff(
    value: str, server: FaultServer, clock: FakeClock
) -> None:
    server.script(Reply.rate_limited(value))
    with kapso(server.url, clock) as client:
        erasure = client.contacts.erase(CONTACT)
    assert erasure.attempts == 2
    assert clock.sleeps == [0.5]  # the first backoff step, with the fake clock's full jitter


def test_huge_retry_after_gives_up_at_once_with_the_wait_asked_for(clock: FakeClock) -> None:
    with always(Reply.rate_limited("1e9")) as server:
        error = erase_error(kapso(server.url, clock))
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 1e9
    assert error.attempts == 1
    assert clock.sleeps == []


def test_retry_after_date_in_the_past_retries_without_waiting(
    server: FaultServer, clock: FakeClock
) -> None:
    server.script(Reply.rate_limited("Wed, 21 Oct 2015 07:28:00 GMT"))
    with kapso(server.url, clock) as client:
        erasure = client.contacts.erase(CONTACT)
    assert erasure.attempts == 2
    assert clock.sleeps == [0.0]


# -- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_to_another_host_is_not_followed_so_the_key_stays_home(
    status: int, clock: FakeClock
) -> None:
    with FaultServer() as elsewhere:
        target = f"{elsewhere.url}/whatsapp/contacts/{CONTACT}"
        with always(Reply.redirect(target, status)) as server:
            error = erase_error(kapso(server.url, clock))
        assert elsewhere.requests == []
    assert isinstance(error, APIStatusError)
    assert error.status_code == status
    assert "redirect" in str(error)


def test_a_callers_client_that_follows_redirects_still_does_not_follow(clock: FakeClock) -> None:
    with FaultServer() as elsewhere, httpx.Client(follow_redirects=True) as http_client:
        with always(Reply.redirect(f"{elsewhere.url}/x")) as server:
            client = Kapso(API_KEY, base_url=server.url, http_client=http_client, clock=clock)
            error = erase_error(client)
        assert elsewhere.requests == []
    assert isinstance(error, APIStatusError)


@respx.mock(assert_all_called=False)
def test_redirect_from_https_to_http_is_not_followed(respx_mock: respx.MockRouter) -> None:
    secure = "https://api.kapso.test/platform/v1"
    plain = respx_mock.delete(f"http://api.kapso.test/platform/v1/whatsapp/contacts/{CONTACT}")
    respx_mock.delete(f"{secure}/whatsapp/contacts/{CONTACT}").respond(
        301, headers={"Location": f"http://api.kapso.test/platform/v1/whatsapp/contacts/{CONTACT}"}
    )
    error = erase_error(Kapso(API_KEY, base_url=secure, clock=FakeClock()))
    assert isinstance(error, APIStatusError)
    assert error.status_code == 301
    assert not plain.called


# -- transport-level exceptions (respx) -----------------------------------------------------

HTTPS_URL = "https://api.kapso.test/platform/v1"
ERASE_URL = f"{HTTPS_URL}/whatsapp/contacts/{CONTACT}"


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (httpx.ConnectTimeout("connect timed out"), APITimeoutError),
        (httpx.ReadTimeout("read timed out"), APITimeoutError),
        (httpx.PoolTimeout("no free connection"), APITimeoutError),
        (httpx.ConnectError("TLS handshake failed"), APIConnectionError),
        (httpx.ReadError("connection reset"), APIConnectionError),
        (httpx.RemoteProtocolError("peer closed connection"), APIConnectionError),
    ],
)
def test_transport_errors_are_retried_then_typed(
    raised: Exception, expected: type[Exception], respx_mock: respx.MockRouter
) -> None:
    clock = FakeClock()
    route = respx_mock.delete(ERASE_URL).mock(side_effect=raised)
    error = erase_error(Kapso(API_KEY, base_url=HTTPS_URL, clock=clock, max_retries=2))
    assert type(error) is expected
    assert error.attempts == 3  # type: ignore[attr-defined]
    assert route.call_count == 3


def test_transport_error_then_success_returns_the_erasure(respx_mock: respx.MockRouter) -> None:
    respx_mock.delete(ERASE_URL).mock(side_effect=[httpx.ReadError("reset"), httpx.Response(204)])
    with Kapso(API_KEY, base_url=HTTPS_URL, clock=FakeClock()) as client:
        assert client.contacts.erase(CONTACT).attempts == 2


async def test_async_client_meets_the_same_faults(clock: FakeClock) -> None:
    with FaultServer() as server:
        server.script(Reply.drop(), Reply.reset_mid_body(404), Reply.html(502))
        async with AsyncKapso(API_KEY, base_url=server.url, clock=clock) as client:
            erasure = await client.contacts.erase(CONTACT)
        async with AsyncKapso(API_KEY, base_url=server.url, clock=clock, timeout=0.2) as client:
            server.script(Reply.stall(30.0), Reply.stall(30.0))
            with pytest.raises(APITimeoutError):
                await client.contacts.erase(CONTACT, max_retries=1)
    assert erasure.attempts == 4
