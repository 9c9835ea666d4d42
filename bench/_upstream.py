"""The full upstream spec for benchmarks: patched once, generated with or without `make regen`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from tests.servers import UPSTREAM_PATCH, UPSTREAM_SPEC
from tools.documents import CONFIG_PATH, ROOT, TEMPLATES_PATH, load_document, write_json
from tools.patching import apply_overlay

BIN = Path(sys.executable).parent


def available() -> bool:
    """Whether ../shared holds the full upstream spec; say why not when it does not."""
    if UPSTREAM_SPEC.exists():
        return True
    print(f"  skipped: {UPSTREAM_SPEC} is absent (the full upstream spec lives in ../shared)")
    return False


def patched_spec(work: Path, *, as_json: bool = False) -> Path:
    """The upstream spec with the webhook patch applied, as YAML like upstream's, or as JSON."""
    patched = apply_overlay(load_document(UPSTREAM_SPEC), load_document(UPSTREAM_PATCH))
    if as_json:
        target = work / "patched-upstream.json"
        write_json(patched, target)
    else:
        target = work / "patched-upstream.yaml"
        with target.open("w", encoding="utf-8") as stream:
            YAML(typ="safe", pure=True).dump(patched, stream)
    return target


def make_regen(out: Path) -> None:
    """`make regen` of the upstream spec into `out`, exactly as a maintainer would run it."""
    command = ["make", "regen", f"SPEC={UPSTREAM_SPEC}", f"OUT={out}", f"PATCH={UPSTREAM_PATCH}"]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def bare_generate(spec: Path, out: Path, *, lazy_models: bool = True) -> None:
    """The generator's own CLI with the project's configuration, and nothing around it."""
    command = [
        str(BIN / "openapi-python-client"),
        "generate",
        f"--path={spec}",
        f"--output-path={out}",
        f"--config={CONFIG_PATH}",
        "--meta=uv",
        "--overwrite",
    ]
    if lazy_models:
        command.append(f"--custom-template-path={TEMPLATES_PATH}")
    env = {**os.environ, "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")])}
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
