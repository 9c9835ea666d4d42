"""The fault server itself: each scripted misbehaviour reaches a real HTTP client as intended."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.faultserver import FaultServer, Reply, RequestLimit, SeenRequest


def test_default_reply_is_204_to_delete_and_records_the_request() -> None:
    with FaultServer() as server, httpx.Client(base_url=server.url) as client:
        response = client.delete("/whatsapp/contacts/abc", headers={"X-API-Key": "k"})
        seen = server.requests
    assert response.status_code == 204
    assert [(r.method, r.path, r.status_code) for r in seen] == [
        ("DELETE", "/whatsapp/contacts/abc", 204)
    ]
    assert seen[0].headers["x-api-key"] == "k"


def test_scripted_replies_come_first_then_the_handler() -> None:
    with FaultServer(lambda request: Reply.status(404, json={"error": "no"})) as server:
        server.script(Reply.status(503), Reply.status(520), Reply.status(599))
        with httpx.Client(base_url=server.url) as client:
            codes = [client.delete("/x").status_code for _ in range(4)]
    assert codes == [503, 520, 599, 404]


def test_window_limit_answers_429_with_retry_after_once_full() -> None:
    limit = RequestLimit(per_window=3, window_seconds=30.0, retry_after="7")
    with FaultServer(limit=limit) as server, httpx.Client(base_url=server.url) as client:
        responses = [client.delete("/x") for _ in range(5)]
        assert server.max_per_window() == 3
        assert server.count(429) == 2
    assert [r.status_code for r in responses] == [204, 204, 204, 429, 429]
    assert responses[3].headers["Retry-After"] == "7"


def test_window_limit_default_retry_after_is_seconds_left_in_window() -> None:
    limit = RequestLimit(per_window=1, window_seconds=30.0)
    with FaultServer(limit=limit) as server, httpx.Client(base_url=server.url) as client:
        client.delete("/x")
        retry_after = int(client.delete("/x").headers["Retry-After"])
    assert 1 <= retry_after <= 30


def test_rate_limit_remaining_header_counts_down() -> None:
    limit = RequestLimit(per_window=3, window_seconds=30.0, send_remaining=True)
    with FaultServer(limit=limit) as server, httpx.Client(base_url=server.url) as client:
        remaining = [client.delete("/x").headers.get("X-RateLimit-Remaining") for _ in range(4)]
    assert remaining == ["2", "1", "0", "0"]


def test_dropped_connection_gives_no_status_line() -> None:
    with FaultServer() as server, httpx.Client(base_url=server.url) as client:
        server.script(Reply.drop())
        with pytest.raises(httpx.RemoteProtocolError):
            client.delete("/x")
        assert client.delete("/x").status_code == 204
        assert [r.status_code for r in server.requests] == [None, 204]


def test_reset_mid_body_breaks_the_read() -> None:
    with FaultServer() as server, httpx.Client(base_url=server.url) as client:
        server.script(Reply.reset_mid_body())
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            client.get("/x")


def test_stalled_reply_outlasts_the_client_timeout_and_does_not_block_stop() -> None:
    with FaultServer() as server, httpx.Client(base_url=server.url, timeout=0.2) as client:
        server.script(Reply.stall(60))
        with pytest.raises(httpx.ReadTimeout):
            client.delete("/x")
    assert threading.active_count() < 10


def test_html_malformed_json_invalid_utf8_and_large_bodies_arrive_unchanged() -> None:
    large = b"[" + b"0," * 500_000 + b"0]"
    with FaultServer() as server, httpx.Client(base_url=server.url) as client:
        server.script(
            Reply.html(502),
            Reply.raw(500, b'{"error": '),
            Reply.raw(500, b"\xff\xfe\xfa"),
            Reply.raw(200, large),
        )
        html, malformed, invalid, big = (client.get("/x") for _ in range(4))
    assert html.headers["content-type"] == "text/html" and b"<html>" in html.content
    assert malformed.content == b'{"error": '
    assert invalid.content == b"\xff\xfe\xfa"
    assert big.content == large


def test_redirect_is_sent_with_location() -> None:
    with FaultServer() as server, httpx.Client(base_url=server.url) as client:
        server.script(Reply.redirect("https://elsewhere.invalid/"))
        response = client.delete("/x")
    assert response.status_code == 302
    assert response.headers["location"] == "https://elsewhere.invalid/"


def test_keep_alive_reuses_one_connection() -> None:
    with FaultServer() as server, httpx.Client(base_url=server.url) as client:
        for _ in range(5):
            client.delete("/x")
        assert server.connections == 1
        assert {r.connection for r in server.requests} == {1}


def test_handler_sees_each_request_and_can_choose_per_path() -> None:
    def handler(request: SeenRequest) -> Reply:
        return Reply.status(404, json={"error": "x"}) if request.path.endswith("/gone") else Reply()

    with FaultServer(handler) as server, httpx.Client(base_url=server.url) as client:
        assert client.delete("/gone").status_code == 404
        assert client.delete("/here").status_code == 200


def test_stop_closes_idle_keep_alive_connections_and_threads() -> None:
    before = threading.active_count()
    server = FaultServer().start()
    clients = [httpx.Client(base_url=server.url) for _ in range(3)]
    for client in clients:
        client.delete("/x")
    server.stop()
    for client in clients:
        client.close()
    assert threading.active_count() == before
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_latency_applies_to_every_reply_without_its_own_delay() -> None:
    with FaultServer(latency=0.01) as server, httpx.Client(base_url=server.url) as client:
        assert client.delete("/x").status_code == 204
        assert server.requests[0].status_code == 204
