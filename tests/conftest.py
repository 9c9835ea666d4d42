from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import servers


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
