"""Loopback servers the tests start and stop themselves: the Prism mock of a spec."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PRISM = ROOT / "mock" / "node_modules" / ".bin" / "prism"
SHARED = ROOT.parent / "shared"
UPSTREAM_SPEC = SHARED / "specs" / "kapso" / "openapi-platform.yaml"
# Overlay patch that lets openapi-python-client 0.29.1 build the full upstream spec.
UPSTREAM_PATCH = ROOT / "tests" / "fixtures" / "upstream-webhooks.overlay.yaml"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def prism(spec: Path, *, startup_seconds: float = 60.0) -> Iterator[str]:
    """Run Prism's mock of `spec` on a free loopback port; yield its base URL; always stop it."""
    if not PRISM.exists():
        raise RuntimeError(f"{PRISM} is missing: run make setup (it installs the pinned Prism)")
    port = free_port()
    process = subprocess.Popen(
        [str(PRISM), "mock", "--host", "127.0.0.1", "--port", str(port), str(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_listening(process, port, startup_seconds)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_listening(process: subprocess.Popen[str], port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(
                f"Prism exited with {process.returncode} before listening:\n{output}"
            )
        with contextlib.suppress(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1.0)
            return
        time.sleep(0.2)
    raise RuntimeError(f"Prism did not listen on 127.0.0.1:{port} within {seconds} s")


class PrismViolation(AssertionError):
    """Prism found the request (or its own answer) off-spec; the message has its findings."""


def raise_on_prism_violation(response: httpx.Response) -> None:
    """httpx response hook: fail when Prism flags a violation or answers with its own error.

    Prism answers a request it can still serve with an `sl-violations` header listing what does
    not match the spec, and one it cannot serve with an `application/problem+json` error of its
    own; either means the test sent something the real API might refuse.
    """
    if violations := response.headers.get("sl-violations"):
        raise PrismViolation(f"{response.request.method} {response.url.path}: {violations}")
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        response.read()
        raise PrismViolation(
            f"{response.request.method} {response.url.path}: Prism refused it: {response.text}"
        )


class PrismTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Sends to Prism through `inner`, asking for `status` (`Prefer: code=`), failing on violations.

    A transport rather than client hooks, so it also guards clients (the SDK's) that build and
    send their own requests.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport | httpx.AsyncBaseTransport,
        status: int | None = None,
    ) -> None:
        self.inner, self.status = inner, status

    def _prefer(self, request: httpx.Request) -> None:
        if self.status is not None:
            request.headers["Prefer"] = f"code={self.status}"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(self.inner, httpx.BaseTransport)
        self._prefer(request)
        response = self.inner.handle_request(request)
        response.read()
        response.request = request
        raise_on_prism_violation(response)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(self.inner, httpx.AsyncBaseTransport)
        self._prefer(request)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        response.request = request
        raise_on_prism_violation(response)
        return response
