"""`spec.lock`: what the committed client was generated from, so drift is detectable.

`info.version` alone identifies nothing (upstream edits the document without bumping it), so the
lock pins the spec's bytes by sha256 and size, plus every other input of the generated tree: the
generator and ruff versions, the generator configuration, the overlay patch and custom templates.
`make regen` rewrites it; `make spec-update` also records where and when the spec was fetched.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from tools.documents import (
    CONFIG_PATH,
    LOCK_PATH,
    PATCH_PATH,
    SPEC_PATH,
    TEMPLATES_PATH,
    UPSTREAM_URL,
    load_document,
    sha256_file,
    sha256_tree,
)

PINNED_TOOLS = ("openapi-python-client", "ruff")


def read(path: Path = LOCK_PATH) -> dict[str, Any]:
    """The current lock, or an empty mapping where there is none yet."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def compute(
    source: str | None = None, retrieved: str | None = None, spec: Path = SPEC_PATH
) -> dict[str, Any]:
    """The lock as the work tree needs it now; provenance kept from the old lock unless given."""
    previous = read().get("spec", {})
    return {
        "spec": {
            "path": spec.name,
            "sha256": sha256_file(spec),
            "bytes": spec.stat().st_size,
            "info_version": str(load_document(spec).get("info", {}).get("version")),
            "source": source or previous.get("source", UPSTREAM_URL),
            "retrieved": retrieved or previous.get("retrieved", dt.date.today().isoformat()),
        },
        "tools": {name: metadata.version(name) for name in PINNED_TOOLS},
        "inputs": {
            CONFIG_PATH.name: sha256_file(CONFIG_PATH),
            PATCH_PATH.name: sha256_file(PATCH_PATH) if PATCH_PATH.exists() else None,
            TEMPLATES_PATH.name: sha256_tree(TEMPLATES_PATH) if TEMPLATES_PATH.is_dir() else None,
        },
    }


def write(lock: dict[str, Any], path: Path = LOCK_PATH) -> None:
    path.write_text(json.dumps(lock, indent=2) + "\n", encoding="utf-8")


def problems(spec: Path = SPEC_PATH, lock: Path = LOCK_PATH) -> list[str]:
    """Every way the lock disagrees with the work tree, one line each; empty when it is current."""
    if not lock.exists():
        return [f"{lock.name}: missing; run make regen"]
    locked, current = read(lock), compute(spec=spec)
    found = []
    for section in ("spec", "tools", "inputs"):
        for key, now in current[section].items():
            was = locked.get(section, {}).get(key)
            if key not in ("source", "retrieved") and was != now:
                found.append(
                    f"{lock.name}: {section}.{key} is {was!r} but the work tree has {now!r}"
                )
    if found:
        found.append(
            f"{lock.name} is stale: run make regen (it regenerates, then rewrites the lock)"
        )
    return found
