"""Lazy model loading in the generated package (generator-templates/models_init.py.jinja).

Importing one endpoint must not import every model, while `from <package>.models import Name`,
`__all__`, `dir()` and type checking behave as if every model were imported eagerly. The seed
package is checked as committed; the full upstream spec is generated once per session (skipped
where ../shared is absent). Facts come from tests/lazy_probe.py in a fresh interpreter with the
package under test first on `sys.path`, because both packages share one import name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.servers import ROOT
from tools.documents import DIST_NAME, PACKAGE_NAME

SEED_DIST = ROOT / "generated" / DIST_NAME
PROBE = Path(__file__).with_name("lazy_probe.py")
_facts_cache: dict[Path, dict[str, Any]] = {}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def full_dist(upstream_build: tuple[Path, list[str]]) -> Path:
    """The full upstream spec, patched and generated once per session (see conftest)."""
    return upstream_build[0]


@pytest.fixture(params=["seed", "full"])
def dist(request: pytest.FixtureRequest) -> Path:
    """Each generated distribution in turn: the committed seed one, then the full-spec one."""
    if request.param == "seed":
        return SEED_DIST
    path: Path = request.getfixturevalue("full_dist")
    return path


@pytest.fixture
def facts(dist: Path) -> dict[str, Any]:
    """What tests/lazy_probe.py observes of `dist`, probed once per distribution."""
    if dist not in _facts_cache:
        env = {**os.environ, "PYTHONPATH": str(dist)}
        result = subprocess.run(
            [sys.executable, str(PROBE)], env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        _facts_cache[dist] = json.loads(result.stdout)
    return _facts_cache[dist]


@pytest.fixture
def mypy_cache(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache per distribution for the session, so the second run reuses the first."""
    return tmp_path_factory.getbasetemp() / f"mypy-cache-{dist.parent.name}-{dist.name}"


def _mypy_strict(dist: Path, cache: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), *targets]
    return subprocess.run(command, cwd=dist, capture_output=True, text=True, check=False)


def test_the_probe_reads_the_package_under_test(dist: Path, facts: dict[str, Any]) -> None:
    assert Path(facts["package_file"]).is_relative_to(dist)


def test_importing_one_endpoint_loads_only_the_models_it_uses(facts: dict[str, Any]) -> None:
    assert facts["loaded_by_endpoint"] == [f"{PACKAGE_NAME}.models.error_response"]


def test_every_name_in_all_imports_from_models_as_its_defining_class(
    facts: dict[str, Any],
) -> None:
    assert facts["all"]
    assert facts["mismatched"] == []


def test_all_names_every_model_module_once(dist: Path, facts: dict[str, Any]) -> None:
    on_disk = {path.stem for path in (dist / PACKAGE_NAME / "models").glob("*.py")}
    modules = sorted(module.lstrip(".") for module in facts["mapping"].values())
    assert sorted(facts["all"]) == sorted(facts["mapping"])
    assert len(set(facts["all"])) == len(facts["all"])
    assert modules == sorted(on_disk - {"__init__"})


def test_star_import_and_dir_show_every_public_model(facts: dict[str, Any]) -> None:
    assert set(facts["all"]) <= set(facts["dir"])
    assert set(facts["all"]) <= set(facts["star"])


def test_an_unknown_model_name_fails_like_a_missing_attribute(facts: dict[str, Any]) -> None:
    assert facts["unknown"] == [
        f"module '{PACKAGE_NAME}.models' has no attribute 'NoSuchModel'",
        "ImportError",
    ]


def test_every_generated_module_imports(dist: Path, facts: dict[str, Any]) -> None:
    expected = len(list((dist / PACKAGE_NAME).rglob("*.py"))) - 1  # the package's own __init__
    assert facts["modules"] == expected


def test_the_generated_package_passes_mypy_strict(dist: Path, mypy_cache: Path) -> None:
    result = _mypy_strict(dist, mypy_cache, PACKAGE_NAME)
    assert result.returncode == 0, result.stdout


def test_type_checkers_see_every_model_and_reject_unknown_names(
    dist: Path, mypy_cache: Path, tmp_path: Path
) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        f"from {PACKAGE_NAME}.models import ErrorResponse, NoSuchModel\n"
        "reveal_type(ErrorResponse)\n",
        encoding="utf-8",
    )
    result = _mypy_strict(dist, mypy_cache, str(probe))
    assert f'Module "{PACKAGE_NAME}.models" has no attribute "NoSuchModel"' in result.stdout
    assert f"{PACKAGE_NAME}.models.error_response.ErrorResponse" in result.stdout
