"""The codegen pipeline: vendored spec, lock, regen (deterministic, loss-detecting), patches."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests import servers
from tools import speclock
from tools.check import generated_problems, tree_differences
from tools.documents import (
    DIST_NAME,
    GENERATED_PATH,
    PACKAGE_NAME,
    ROOT,
    SPEC_PATH,
    load_document,
    operations,
)
from tools.regen import RegenError, main, regenerate

FIXTURES = ROOT / "tests" / "fixtures" / "pipeline"
LOSSY = FIXTURES / "lossy.yaml"
LOSSY_PATCH = FIXTURES / "patch.overlay.yaml"
SEED = servers.SHARED / "seed" / "erase-contact.md"
WEBHOOKS_POST = "POST /whatsapp/phone_numbers/{phone_number_id}/webhooks"


def _seed_block(markdown: str) -> str:
    lines = markdown.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("````yaml"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].rstrip("\n") == "````")
    return "".join(lines[start + 1 : end]).rstrip("\n") + "\n"


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_vendored_spec_is_the_seed_block_byte_for_byte() -> None:
    if not SEED.exists():
        pytest.skip(f"{SEED} is absent: the seed lives in ../shared")
    assert SPEC_PATH.read_bytes() == _seed_block(SEED.read_text(encoding="utf-8")).encode()


def test_spec_lock_pins_the_spec_bytes_and_the_tools() -> None:
    lock = speclock.read()
    data = SPEC_PATH.read_bytes()
    assert lock["spec"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert lock["spec"]["bytes"] == len(data)
    assert lock["spec"]["info_version"] == load_document(SPEC_PATH)["info"]["version"]
    assert lock["spec"]["source"].startswith("https://")
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    for tool, version in lock["tools"].items():
        assert f"{tool}=={version}" in pins, (
            f"{tool} {version} in spec.lock is not the pyproject pin"
        )


def test_spec_lock_matches_the_work_tree() -> None:
    assert speclock.problems() == []


def test_spec_lock_goes_stale_when_the_generator_config_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = tmp_path / "generator-config.yaml"
    edited.write_text((ROOT / "generator-config.yaml").read_text() + "literal_enums: true\n")
    monkeypatch.setattr(speclock, "CONFIG_PATH", edited)
    found = speclock.problems()
    assert any("inputs.generator-config.yaml" in line for line in found)
    assert "run make regen" in found[-1]


def test_spec_lock_goes_stale_when_the_spec_changes(tmp_path: Path) -> None:
    edited = tmp_path / "openapi-platform.yaml"
    edited.write_bytes(SPEC_PATH.read_bytes().replace(b"Erase contact", b"Erase a contact"))
    assert any("spec.sha256" in line for line in speclock.problems(spec=edited))


def test_committed_generated_tree_equals_a_fresh_regen() -> None:
    assert generated_problems() == []


def test_a_hand_edit_of_the_generated_tree_is_reported_with_its_file(tmp_path: Path) -> None:
    committed = tmp_path / "committed"
    shutil.copytree(GENERATED_PATH / DIST_NAME, committed)
    client = committed / PACKAGE_NAME / "client.py"
    client.write_text(client.read_text() + "# tweak\n")
    found = tree_differences(committed, GENERATED_PATH / DIST_NAME)
    assert f"generated/{DIST_NAME}/{PACKAGE_NAME}/client.py: differs from a fresh regen" in found
    assert "run make regen" in found[-1]


def test_two_regens_give_identical_trees(tmp_path: Path) -> None:
    regenerate(SPEC_PATH, tmp_path / "one", None)
    regenerate(SPEC_PATH, tmp_path / "two", None)
    assert _files(tmp_path / "one") == _files(tmp_path / "two")


def test_regen_leaves_no_tool_caches_in_the_output(tmp_path: Path) -> None:
    regenerate(SPEC_PATH, tmp_path / "out", None)
    leftovers = [
        p for p in (tmp_path / "out").rglob("*") if p.name in {".ruff_cache", "__pycache__"}
    ]
    assert leftovers == []


def test_a_lost_endpoint_fails_regen_naming_operation_and_reason(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "sentinel").write_text("previous build")
    with pytest.raises(RegenError) as caught:
        regenerate(LOSSY, out, None)
    message = str(caught.value)
    assert "POST /widgets: endpoint not generated" in message
    assert "POST /widgets: schema WidgetRequest removed: Invalid property in union" in message
    assert "GET /widgets/{id}" not in message
    assert " at 0x" not in message, "generator memory addresses must not leak into the report"
    assert [p.name for p in out.iterdir()] == ["sentinel"], "a failed regen must not touch OUT"


def test_make_regen_exits_nonzero_and_prints_one_line_per_loss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--spec", str(LOSSY), "--out", str(tmp_path / "out")]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert sum(line.startswith("POST /widgets: ") for line in lines) == 2


def test_regen_of_another_spec_requires_an_output_directory() -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--spec", str(LOSSY)])
    assert caught.value.code == 2


def test_an_overlay_patch_lets_the_lossy_spec_generate_completely(tmp_path: Path) -> None:
    before = LOSSY.read_bytes()
    made = regenerate(LOSSY, tmp_path / "out", LOSSY_PATCH)
    assert sorted(made) == ["GET /widgets/{id}", "POST /widgets"]
    assert LOSSY.read_bytes() == before, "the patch applies to a copy, never to the spec file"


def test_an_overlay_action_that_matches_nothing_fails_regen_by_name(tmp_path: Path) -> None:
    patch = tmp_path / "stale.overlay.yaml"
    patch.write_text(
        "overlay: 1.0.0\ninfo: {title: stale, version: '1'}\nactions:\n"
        "  - target: $.components.schemas.Gone\n    description: fix for a moved schema\n"
        "    remove: true\n"
    )
    assert main(["--spec", str(LOSSY), "--out", str(tmp_path / "out"), "--patch", str(patch)]) == 1
    assert not (tmp_path / "out").exists()


class TestGeneratorConfigEffects:
    """The generator ignores unknown keys silently, so each choice is checked by its effect."""

    @pytest.fixture(scope="class")
    @classmethod
    def build(cls, tmp_path_factory: pytest.TempPathFactory) -> Path:
        out = tmp_path_factory.mktemp("config") / "out"
        regenerate(LOSSY, out, LOSSY_PATCH)
        return out / DIST_NAME

    def test_distribution_and_import_names_are_fixed(self, build: Path) -> None:
        meta = tomllib.loads((build / "pyproject.toml").read_text())
        assert meta["project"]["name"] == DIST_NAME  # although the fixture's title differs
        assert (build / PACKAGE_NAME / "py.typed").exists()

    def test_attribute_docstrings_carry_field_descriptions(self, build: Path) -> None:
        models = "".join(p.read_text() for p in (build / PACKAGE_NAME / "models").glob("*.py"))
        assert '    """ Widget identifier, stable for the widget\'s lifetime """' in models

    def test_isolated_ruff_hooks_formatted_the_code_at_120_columns(self, build: Path) -> None:
        ruff = Path(sys.executable).parent / "ruff"
        check = [str(ruff), "format", "--isolated", "--line-length", "120", "--check", "."]
        assert subprocess.run(check, cwd=build, capture_output=True).returncode == 0
        imports = [str(ruff), "check", "--isolated", "--select", "I,F", "."]
        assert subprocess.run(imports, cwd=build, capture_output=True).returncode == 0


@pytest.mark.slow
def test_generated_package_passes_mypy_strict() -> None:
    package = GENERATED_PATH / DIST_NAME / PACKAGE_NAME
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(package)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.slow
def test_upstream_spec_without_a_patch_fails_naming_the_webhooks_endpoint(
    upstream_spec: Path, tmp_path: Path
) -> None:
    with pytest.raises(RegenError) as caught:
        regenerate(upstream_spec, tmp_path / "out", None)
    assert f"{WEBHOOKS_POST}: endpoint not generated" in str(caught.value)
    assert "schema WhatsappWebhookRequest removed" in str(caught.value)


@pytest.mark.slow
def test_upstream_spec_with_the_fixture_patch_generates_every_operation(
    upstream_build: tuple[Path, list[str]],
) -> None:
    _, made = upstream_build
    wanted = {
        f"{method} {path}" for method, path, _ in operations(load_document(servers.UPSTREAM_SPEC))
    }
    assert len(wanted) == 109
    assert set(made) == wanted
    assert WEBHOOKS_POST in made


@pytest.mark.slow
def test_every_module_generated_from_the_upstream_spec_imports(
    upstream_build: tuple[Path, list[str]],
) -> None:
    build, _ = upstream_build
    probe = (
        "import importlib, pkgutil\n"
        f"import {PACKAGE_NAME} as package\n"
        "prefix = package.__name__ + '.'\n"
        "names = [m.name for m in pkgutil.walk_packages(package.__path__, prefix)]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(len(names))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=build, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout) > 109
