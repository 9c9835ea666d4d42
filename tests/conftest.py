"""Fixtures shared by the suite, and the guards that keep every test on this machine."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import conformance as traffic
from tests import servers
from tools.documents import DIST_NAME
from tools.regen import regenerate

_SETTINGS = ("KAPSO_API_KEY", "KAPSO_BASE_URL", "KAPSO_LOG")
_LIVE = bool(os.environ.get("KAPSO_API_KEY")) and os.environ.get("KAPSO_LIVE") == "1"


def _is_local(host: object) -> bool:
    if host in (None, "localhost") or not isinstance(host, str | bytes):
        return True
    text = host.decode() if isinstance(host, bytes) else host
    try:
        return ipaddress.ip_address(text.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _stay_on_this_machine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's Kapso settings or resolves a host other than loopback.

    A developer's shell may hold a real KAPSO_API_KEY; only tests marked `live`, run with
    KAPSO_LIVE=1, may use it. Every other test gets a clean environment, and a name lookup of a
    non-loopback host fails at once, so a test that would reach the internet fails instead.
    Subprocesses (the CLI tests) are given explicit loopback base URLs by their tests.
    """
    if request.node.get_closest_marker("live"):
        return
    for name in _SETTINGS:
        monkeypatch.delenv(name, raising=False)
    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local(host):
            raise socket.gaierror(f"tests never reach the internet: refused to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


@pytest.fixture
def live_key() -> str:
    """The real API key, for tests marked `live`; they skip unless KAPSO_LIVE=1 and a key is set."""
    if not _LIVE:
        pytest.skip("live test: set KAPSO_API_KEY and KAPSO_LIVE=1 to call the real Kapso API")
    return os.environ["KAPSO_API_KEY"]


@pytest.fixture(scope="session")
def prism_url() -> Iterator[str]:
    """Base URL of a Prism mock of the vendored spec, shared by the whole test session."""
    with servers.prism(servers.ROOT / "openapi-platform.yaml") as url:
        yield url


@pytest.fixture
def upstream_spec() -> Path:
    """The full current upstream spec from ../shared; tests using it skip where it is absent."""
    if not servers.UPSTREAM_SPEC.exists():
        pytest.skip(f"{servers.UPSTREAM_SPEC} is absent: the full upstream spec lives in ../shared")
    return servers.UPSTREAM_SPEC


@pytest.fixture(scope="session")
def upstream_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The full upstream spec generated once per session with the fixture patch its webhook
    `oneOf` needs: the distribution directory and the "METHOD /path" of every operation made."""
    if not servers.UPSTREAM_SPEC.exists():
        pytest.skip(f"{servers.UPSTREAM_SPEC} is absent: the full upstream spec lives in ../shared")
    out = tmp_path_factory.mktemp("upstream") / "out"
    made = regenerate(servers.UPSTREAM_SPEC, out, servers.UPSTREAM_PATCH)
    return out / DIST_NAME, made


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember whether a test's body failed, so teardown does not report a violation twice."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture(autouse=True)
def _traffic_conforms(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail any test whose traffic a `tests.conformance.Conformance` found off-spec.

    Checked at teardown as well as where it happens, so code under test that catches the
    `ConformanceError` cannot hide a mismatch.
    """
    traffic.ACTIVE.clear()
    yield
    violations = [line for checker in traffic.ACTIVE for line in checker.violations]
    traffic.ACTIVE.clear()
    if violations and not request.node.stash.get(_CALL_FAILED, False):
        pytest.fail("traffic does not match the spec:\n" + "\n".join(violations), pytrace=False)


@pytest.fixture
def conformance() -> Callable[..., traffic.Conformance]:
    """Factory of checkers of the vendored spec: `conformance(base_url, undocumented_statuses=)`."""

    def make(base_url: str, *, undocumented_statuses: Iterable[int] = ()) -> traffic.Conformance:
        return traffic.Conformance(base_url, undocumented_statuses=frozenset(undocumented_statuses))

    return make
