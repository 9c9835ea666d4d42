"""A fast keep-alive HTTP/1.1 server on 127.0.0.1, in its own process, that answers 204 and counts.

The concurrency tests and the per-call benchmark need thousands of requests a second without
the server competing with the client for the GIL, so it runs as a child process (an asyncio
protocol, no framework) and reports what it saw through `GET /_stats`: requests by path, how many
connections carried them, and the most connections open and requests in flight at one moment.
With `linger`, each answer waits that long, which makes concurrent requests overlap on the
server. It parses only what keep-alive needs: where one request's head and body end.

    with loopback_server(linger=0.001) as server:
        ... point a client at server.url ...
        stats = server.stats()
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from tests.servers import ROOT

STATS_PATH = "/_stats"
_NO_CONTENT = b"HTTP/1.1 204 No Content\r\nServer: loopback\r\n\r\n"
_END_OF_HEAD = b"\r\n\r\n"


@dataclass(frozen=True)
class Stats:
    """What the server saw, `GET /_stats` itself left out."""

    paths: dict[str, int]  # request path -> how many requests it got
    connections: int  # connections that carried at least one request
    open_connections: int  # connections open right now
    peak_open_connections: int
    peak_in_flight: int  # most requests received and not yet answered, at one moment

    @property
    def requests(self) -> int:
        """How many requests arrived in all."""
        return sum(self.paths.values())


class _Tally:
    """Counters shared by every connection of the server process."""

    def __init__(self, linger: float) -> None:
        self.linger = linger
        self.paths: Counter[str] = Counter()
        self.connections = 0
        self.open = 0
        self.peak_open = 0
        self.in_flight = 0
        self.peak_in_flight = 0

    def report(self) -> bytes:
        body = json.dumps(
            {
                "paths": self.paths,
                "connections": self.connections,
                "open_connections": self.open - 1,  # the one asking
                "peak_open_connections": self.peak_open,
                "peak_in_flight": self.peak_in_flight,
            }
        ).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
        return head.encode() + _END_OF_HEAD + body


class _Connection(asyncio.Protocol):
    def __init__(self, tally: _Tally) -> None:
        self._tally = tally
        self._buffer = b""
        self._counted = False
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._tally.open += 1
        self._tally.peak_open = max(self._tally.peak_open, self._tally.open)

    def connection_lost(self, exc: Exception | None) -> None:
        self._tally.open -= 1
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (end := self._buffer.find(_END_OF_HEAD)) >= 0:
            head = self._buffer[:end]
            size = end + len(_END_OF_HEAD) + _content_length(head)
            if len(self._buffer) < size:
                return
            self._buffer = self._buffer[size:]
            self._request(head.split(b" ", 2)[1].decode("latin-1"))

    def _request(self, path: str) -> None:
        if path == STATS_PATH:
            self._write(self._tally.report())
            return
        tally = self._tally
        if not self._counted:
            self._counted = True
            tally.connections += 1
        tally.paths[path] += 1
        tally.in_flight += 1
        tally.peak_in_flight = max(tally.peak_in_flight, tally.in_flight)
        if tally.linger:
            asyncio.get_running_loop().call_later(tally.linger, self._answer)
        else:
            self._answer()

    def _answer(self) -> None:
        self._tally.in_flight -= 1
        self._write(_NO_CONTENT)

    def _write(self, data: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)


def _content_length(head: bytes) -> int:
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


async def _serve(linger: float) -> None:
    tally = _Tally(linger)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(tally), "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


class LoopbackServer:
    """The running child process: its base URL and a way to read its counters."""

    def __init__(self, url: str) -> None:
        self.url = url

    def stats(self) -> Stats:
        """The server's counters now (asked over a connection of its own)."""
        with httpx.Client(base_url=self.url) as client:
            data = client.get(STATS_PATH).raise_for_status().json()
        return Stats(**data)


@contextlib.contextmanager
def loopback_server(*, linger: float = 0.0) -> Iterator[LoopbackServer]:
    """Start the server in a child process; yield it; stop it and reap the process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.loopback_server", "--linger", str(linger)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield LoopbackServer(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--linger", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.linger))


if __name__ == "__main__":
    main()
