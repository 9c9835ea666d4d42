"""Helpers for the overlay's tests: a fake clock, mocked clients, generated fixture packages."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import httpx
from kapso_platform import AsyncKapso, Kapso

API_KEY = "sk_test_0123456789abcdef"
BASE_URL = "https://api.kapso.test/platform/v1"
PHONE = "+14155550123"
CONTACT_UUID = "123e4567-e89b-12d3-a456-426614174000"
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeClock:
    """A clock that never sleeps: it records the waits asked for and returns a fixed jitter."""

    jitter: float = 1.0
    current: float = NOW
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.current += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def random(self) -> float:
        return self.jitter


@dataclass
class Recorder:
    """A mock API: answers each request with the next response of a script, keeps the requests."""

    responses: list[httpx.Response | Exception]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def no_content() -> httpx.Response:
    """The API's answer to a queued erasure."""
    return httpx.Response(204, headers={"X-Request-Id": "req_1", "X-RateLimit-Remaining": "59"})


def error(status: int, message: str, **headers: str) -> httpx.Response:
    """An API error answer with the spec's `{"error": ...}` body."""
    return httpx.Response(status, json={"error": message}, headers=headers)


def sync_client(handler: Handler, clock: FakeClock | None = None, **options: object) -> Kapso:
    """A `Kapso` whose traffic goes to `handler` instead of the network."""
    transport = httpx.MockTransport(handler)
    return Kapso(
        API_KEY,
        base_url=BASE_URL,
        http_client=httpx.Client(transport=transport),
        clock=clock or FakeClock(),
        **options,  # type: ignore[arg-type]
    )


def async_client(handler: Handler, clock: FakeClock | None = None, **options: object) -> AsyncKapso:
    """An `AsyncKapso` whose traffic goes to `handler` instead of the network."""
    transport = httpx.MockTransport(handler)
    return AsyncKapso(
        API_KEY,
        base_url=BASE_URL,
        http_client=httpx.AsyncClient(transport=transport),
        clock=clock or FakeClock(),
        **options,  # type: ignore[arg-type]
    )


def load_package(package_dir: Path, alias: str) -> ModuleType:
    """Import a generated package from `package_dir` under the name `alias`.

    Every generated package is called `kapso_platform_api_client`; its modules import each
    other relatively, so loading it under another name keeps it apart from the installed one.
    """
    spec = importlib.util.spec_from_file_location(
        alias, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module


def operation(package: ModuleType, dotted: str) -> ModuleType:
    """The operation module `dotted` (for example "api.items.list_items") of a loaded package."""
    return importlib.import_module(f"{package.__name__}.{dotted}")


@dataclass
class Spy:
    """Wraps a mock API handler and keeps every request it answered."""

    handler: Handler
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)
