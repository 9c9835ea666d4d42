"""A loopback HTTP server whose misbehaviour each test scripts: limits, bursts, drops, stalls.

Usage:

    with FaultServer(limit=RequestLimit(per_window=10, window_seconds=1.0)) as server:
        server.script(Reply.status(503), Reply.drop())   # the next two requests
        server.handler = lambda request: Reply.status(404, json={"error": "gone"})
        ... point a client at server.url ...
        assert server.max_per_window() <= 10

Every request is answered by, in order: the window limit (a 429 when the window is full), the
next scripted reply if any are queued, otherwise `handler(request)` (by default 204 to a DELETE
and 200 `{}` to anything else). Each reply can add latency, drop the connection before the status
line, reset it in the middle of the body, or stall past the client's timeout.
"""

from __future__ import annotations

import collections
import contextlib
import http.server
import json as jsonlib
import math
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self

Action = Literal["respond", "drop", "reset_mid_body"]


@dataclass(frozen=True)
class Reply:
    """One scripted answer: status, headers, body and how the connection behaves."""

    status_code: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    action: Action = "respond"

    @classmethod
    def status(
        cls,
        status_code: int,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> Reply:
        """Any status code, with an optional JSON body and extra headers."""
        body = b"" if json is None else jsonlib.dumps(json).encode()
        all_headers = {"Content-Type": "application/json"} if json is not None else {}
        all_headers.update(headers or {})
        return cls(status_code, all_headers, body, delay)

    @classmethod
    def html(cls, status_code: int, text: str = "<html><body>Bad Gateway</body></html>") -> Reply:
        """An HTML error page, as a proxy or load balancer in front of the API would send."""
        return cls(status_code, {"Content-Type": "text/html"}, text.encode())

    @classmethod
    def raw(cls, status_code: int, body: bytes, content_type: str = "application/json") -> Reply:
        """Bytes sent as they are: malformed JSON, invalid UTF-8, a very large body."""
        return cls(status_code, {"Content-Type": content_type}, body)

    @classmethod
    def redirect(cls, location: str, status_code: int = 302) -> Reply:
        """A redirect the client should not follow silently."""
        return cls(status_code, {"Location": location})

    @classmethod
    def rate_limited(cls, retry_after: str | None = "1") -> Reply:
        """A 429 like Kapso's, with the given `Retry-After` (None leaves the header out)."""
        headers = {} if retry_after is None else {"Retry-After": retry_after}
        return cls.status(429, json={"error": "rate limit exceeded"}, headers=headers)

    @classmethod
    def drop(cls) -> Reply:
        """Close the connection before sending a status line."""
        return cls(action="drop")

    @classmethod
    def reset_mid_body(cls, status_code: int = 200) -> Reply:
        """Promise a body, send half of it, then reset the connection (TCP RST)."""
        body = b'{"data": "' + b"x" * 64
        return cls(status_code, {"Content-Type": "application/json"}, body, action="reset_mid_body")

    @classmethod
    def stall(cls, seconds: float, status_code: int = 204) -> Reply:
        """Wait `seconds` before the status line: longer than the client's timeout."""
        return cls(status_code, delay=seconds)

    def with_delay(self, seconds: float) -> Reply:
        """The same reply, sent after `seconds` of added latency."""
        return Reply(self.status_code, self.headers, self.body, seconds, self.action)


@dataclass(frozen=True)
class SeenRequest:
    """What the server recorded about one request (headers with lower-case names)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    time: float
    connection: int
    status_code: int | None


@dataclass(frozen=True)
class RequestLimit:
    """At most `per_window` requests per fixed window; the rest get 429 + `Retry-After`."""

    per_window: int
    window_seconds: float = 1.0
    retry_after: str | None = None  # None: the seconds left in the current window, rounded up
    send_remaining: bool = False  # add X-RateLimit-Limit / X-RateLimit-Remaining headers


Handler = Callable[[SeenRequest], Reply]


def default_reply(request: SeenRequest) -> Reply:
    """204 to a DELETE (erasure queued), 200 `{}` to anything else."""
    return Reply(204) if request.method == "DELETE" else Reply.status(200, json={})


class _Window:
    """Fixed-window counter of accepted requests, aligned to the server's start time."""

    def __init__(self, limit: RequestLimit, start: float) -> None:
        self._limit = limit
        self._start = start
        self._index = -1
        self._count = 0

    def admit(self, now: float) -> tuple[bool, int, float]:
        """Count a request if the window has room: (admitted, remaining, seconds to next window)."""
        elapsed = now - self._start
        index = math.floor(elapsed / self._limit.window_seconds)
        if index != self._index:
            self._index, self._count = index, 0
        left = (index + 1) * self._limit.window_seconds - elapsed
        if self._count >= self._limit.per_window:
            return False, 0, left
        self._count += 1
        return True, self._limit.per_window - self._count, left


class FaultServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 with keep-alive; a context manager."""

    def __init__(
        self,
        handler: Handler = default_reply,
        *,
        limit: RequestLimit | None = None,
        latency: float = 0.0,
    ) -> None:
        self.handler = handler
        self.limit = limit
        self.latency = latency
        self._lock = threading.Lock()
        self._script: collections.deque[Reply] = collections.deque()
        self._requests: list[SeenRequest] = []
        self._connections = 0
        self._open: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._serve_thread: threading.Thread | None = None
        self._window: _Window | None = None
        self._started = 0.0

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Listen on a free loopback port and serve in a background thread."""
        self._stopping.clear()
        self._httpd = _Server(self)
        self._started = time.monotonic()
        self._window = _Window(self.limit, self._started) if self.limit else None
        self._serve_thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._serve_thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake stalled replies, close every connection and join every thread."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        with self._lock:
            sockets, threads = list(self._open), list(self._threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(timeout=5)
        self._httpd.server_close()
        if self._serve_thread is not None:
            self._serve_thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, `http://127.0.0.1:PORT`."""
        if self._httpd is None:
            raise RuntimeError("the fault server is not running: use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- scripting and records -------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next requests, in order, before the handler is asked."""
        with self._lock:
            self._script.extend(replies)

    @property
    def requests(self) -> list[SeenRequest]:
        """A copy of every request seen so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def connections(self) -> int:
        """How many TCP connections have been accepted."""
        with self._lock:
            return self._connections

    def count(self, status_code: int) -> int:
        """How many requests were answered with `status_code`."""
        return sum(1 for request in self.requests if request.status_code == status_code)

    def max_per_window(self, window_seconds: float | None = None) -> int:
        """The most non-429 requests seen in any fixed window (the limit's window by default)."""
        width = window_seconds or (self.limit.window_seconds if self.limit else 1.0)
        counts = collections.Counter(
            math.floor((request.time - self._started) / width)
            for request in self.requests
            if request.status_code != 429
        )
        return max(counts.values(), default=0)

    # -- used by the request handler ------------------------------------------------------

    def _connected(self, sock: socket.socket) -> int:
        with self._lock:
            self._connections += 1
            self._open.add(sock)
            self._threads.add(threading.current_thread())
            return self._connections

    def _disconnected(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
            self._threads.discard(threading.current_thread())

    def _answer(self, request: SeenRequest) -> Reply:
        limited, remaining = self._limited(request.time)
        reply = limited or self._next_scripted() or self.handler(request)
        reply = self._with_limit_headers(reply, remaining)
        if self.latency and not reply.delay:
            reply = reply.with_delay(self.latency)
        status = reply.status_code if reply.action != "drop" else None
        recorded = SeenRequest(
            request.method,
            request.path,
            request.headers,
            request.body,
            request.time,
            request.connection,
            status,
        )
        with self._lock:
            self._requests.append(recorded)
        return reply

    def _limited(self, now: float) -> tuple[Reply | None, int]:
        if self._window is None or self.limit is None:
            return None, 0
        with self._lock:
            admitted, remaining, left = self._window.admit(now)
        if admitted:
            return None, remaining
        retry_after = self.limit.retry_after or str(max(1, math.ceil(left)))
        return Reply.rate_limited(retry_after), 0

    def _next_scripted(self) -> Reply | None:
        with self._lock:
            return self._script.popleft() if self._script else None

    def _with_limit_headers(self, reply: Reply, remaining: int) -> Reply:
        if self.limit is None or not self.limit.send_remaining:
            return reply
        headers = {
            "X-RateLimit-Limit": str(self.limit.per_window),
            "X-RateLimit-Remaining": str(remaining),
            **reply.headers,
        }
        return Reply(reply.status_code, headers, reply.body, reply.delay, reply.action)

    def _sleep(self, seconds: float) -> None:
        """Wait, but wake at once when the server stops, so a stalled reply never blocks stop()."""
        self._stopping.wait(seconds)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() joins the handler threads itself, after closing sockets

    def __init__(self, faults: FaultServer) -> None:
        self.faults = faults
        super().__init__(("127.0.0.1", 0), _RequestHandler)


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection_number = self.server.faults._connected(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.faults._disconnected(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the request record instead of a log."""

    def handle_one_request(self) -> None:
        with contextlib.suppress(ConnectionError, TimeoutError):
            super().handle_one_request()

    def do_GET(self) -> None:
        self._serve()

    do_DELETE = do_POST = do_PUT = do_PATCH = do_HEAD = do_GET

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = SeenRequest(
            self.command,
            self.path,
            {name.lower(): value for name, value in self.headers.items()},
            body,
            time.monotonic(),
            self.connection_number,
            None,
        )
        reply = self.server.faults._answer(seen)
        if reply.delay:
            self.server.faults._sleep(reply.delay)
        if reply.action == "drop":
            self._abort(reset=False)
        elif reply.action == "reset_mid_body":
            self._send_head(reply, content_length=len(reply.body) * 2)
            self.wfile.write(reply.body)
            self.wfile.flush()
            self._abort(reset=True)
        else:
            self._send_head(reply, content_length=len(reply.body))
            if self.command != "HEAD":
                self.wfile.write(reply.body)

    def _send_head(self, reply: Reply, *, content_length: int) -> None:
        self.send_response_only(reply.status_code)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status_code not in (204, 304):
            self.send_header("Content-Length", str(content_length))
        self.end_headers()

    def _abort(self, *, reset: bool) -> None:
        self.close_connection = True
        if not reset:
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN; the descriptor is
        # closed here because the server's own cleanup would send a FIN first.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(self.connection.detach())


@contextlib.contextmanager
def fault_server(
    handler: Handler = default_reply, *, limit: RequestLimit | None = None, latency: float = 0.0
) -> Iterator[FaultServer]:
    """A started `FaultServer`, stopped when the block ends."""
    with FaultServer(handler, limit=limit, latency=latency) as server:
        yield server
