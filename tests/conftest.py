from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path

import pytest

from tests import conformance as traffic
from tests import servers
from tools.documents import DIST_NAME
from tools.regen import regenerate


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
