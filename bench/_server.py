"""A minimal keep-alive HTTP/1.1 server on 127.0.0.1 that answers every request with 204.

Run in its own process (`python -m bench._server`, which prints its port), so that serving costs
the client process nothing and the benchmark measures the client alone. It parses only what
keep-alive needs: where one request's headers (and `Content-Length` body) end.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import Iterator

_REPLY = b"HTTP/1.1 204 No Content\r\nServer: bench\r\n\r\n"
_END = b"\r\n\r\n"


class _NoContent(asyncio.Protocol):
    def __init__(self) -> None:
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (end := self._buffer.find(_END)) >= 0:
            needed = end + len(_END) + _content_length(self._buffer[:end])
            if len(self._buffer) < needed:
                return
            self._buffer = self._buffer[needed:]
            if self._transport is not None:
                self._transport.write(_REPLY)


def _content_length(head: bytes) -> int:
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


async def _serve() -> None:
    server = await asyncio.get_running_loop().create_server(_NoContent, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


@contextlib.contextmanager
def no_content_server() -> Iterator[str]:
    """Run the server in a child process; yield its base URL; stop it afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench._server"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve())
