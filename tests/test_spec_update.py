"""`make spec-update` in a throwaway copy of the repository: it updates, or changes nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import servers
from tools.documents import load_document, write_json

FIXTURE_PATCH = servers.UPSTREAM_PATCH
WATCHED = ("openapi-platform.yaml", "spec.lock")

pytestmark = pytest.mark.slow


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """The repository's tracked files, copied; tools run there act on the copy only."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=servers.ROOT, capture_output=True, check=True
    ).stdout.decode()
    copy = tmp_path / "repo"
    for name in filter(None, listed.split("\0")):
        source = servers.ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    return copy


def spec_update(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.spec_update", *args],
        check=False,
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=240,
    )


def snapshot(repo: Path) -> dict[str, bytes]:
    """Contents of the spec, the lock and every generated file."""
    files = {name: (repo / name).read_bytes() for name in WATCHED}
    for path in sorted((repo / "generated").rglob("*")):
        if path.is_file():
            files[path.relative_to(repo).as_posix()] = path.read_bytes()
    return files


def test_update_from_the_upstream_file_vendors_it_regenerates_and_records_the_source(
    repo_copy: Path, upstream_spec: Path
) -> None:
    shutil.copy2(FIXTURE_PATCH, repo_copy / "openapi-platform.overlay.yaml")

    result = spec_update(repo_copy, "--file", str(upstream_spec))

    assert result.returncode == 0, result.stderr
    assert "operations: 108 added, 0 removed, 1 changed" in result.stdout
    assert "spec-diff: nothing breaking" in result.stdout
    assert (repo_copy / "openapi-platform.yaml").read_bytes() == upstream_spec.read_bytes()
    lock = json.loads((repo_copy / "spec.lock").read_text())
    assert lock["spec"]["source"] == str(upstream_spec)
    assert lock["spec"]["retrieved"]
    api = (
        repo_copy / "generated" / "kapso-platform-api-client" / "kapso_platform_api_client" / "api"
    )
    assert len([p for p in api.rglob("*.py") if p.name != "__init__.py"]) == 109


def test_unreachable_network_prints_one_line_and_changes_nothing(repo_copy: Path) -> None:
    before = snapshot(repo_copy)

    result = spec_update(repo_copy, "--url", f"http://127.0.0.1:{servers.free_port()}/spec.yaml")

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "cannot reach http://127.0.0.1:" in result.stderr
    assert "nothing changed" in result.stderr
    assert snapshot(repo_copy) == before


def test_regen_failure_restores_the_previous_files_and_names_the_step(
    repo_copy: Path, upstream_spec: Path
) -> None:
    before = snapshot(repo_copy)

    # Without the overlay patch the generator loses the webhook operation.
    result = spec_update(repo_copy, "--file", str(upstream_spec))

    assert result.returncode == 1
    assert "step regen failed" in result.stderr
    assert "POST /whatsapp/phone_numbers/{phone_number_id}/webhooks" in result.stderr
    assert "restored" in result.stderr
    assert snapshot(repo_copy) == before


def test_check_failure_restores_the_previous_files_and_names_the_broken_contract(
    repo_copy: Path, tmp_path: Path
) -> None:
    document = load_document(repo_copy / "openapi-platform.yaml")
    del document["paths"]["/whatsapp/contacts/{identifier}"]["delete"]["responses"]["422"]
    broken = tmp_path / "no-422.json"
    write_json(document, broken)
    before = snapshot(repo_copy)

    result = spec_update(repo_copy, "--file", str(broken))

    assert result.returncode == 1
    assert "breaking: eraseWhatsappContact" in result.stdout
    assert "step check failed" in result.stderr
    assert "contacts.erase: DELETE /whatsapp/contacts/{identifier}: response 422" in result.stderr
    assert snapshot(repo_copy) == before


def test_an_unchanged_spec_leaves_everything_as_it_was(repo_copy: Path) -> None:
    before = snapshot(repo_copy)

    result = spec_update(repo_copy, "--file", str(repo_copy / "openapi-platform.yaml"))

    assert result.returncode == 0, result.stderr
    assert "already this document; nothing changed" in result.stdout
    assert snapshot(repo_copy) == before
