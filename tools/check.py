"""`make check`: fail, naming what broke and what to do, when spec, lock and code drift apart."""

from __future__ import annotations

import difflib
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from tools import speclock
from tools.documents import (
    DIST_NAME,
    GENERATED_PATH,
    PATCH_PATH,
    SPEC_PATH,
    DocumentError,
    load_document,
)
from tools.patching import OverlayError
from tools.regen import RegenError, regenerate

_DIFF_LINES = 40


def spec_problems(spec: Path = SPEC_PATH) -> list[str]:
    """The spec must be a valid OpenAPI 3.1 document."""
    try:
        document = load_document(spec)
        if not str(document.get("openapi", "")).startswith("3.1"):
            return [
                f"{spec.name}: openapi is {document.get('openapi')!r}, expected a 3.1.x document"
            ]
        validate(document)
    except DocumentError as exc:
        return [str(exc)]
    except OpenAPIValidationError as exc:
        where = "/".join(str(part) for part in exc.absolute_path) or "(top level)"
        return [f"{spec.name}: not valid OpenAPI 3.1 at {where}: {exc.message}"]
    return []


def lock_problems() -> list[str]:
    return speclock.problems()


def generated_problems(
    spec: Path = SPEC_PATH, committed: Path = GENERATED_PATH, patch: Path | None = None
) -> list[str]:
    """The committed generated/ must be exactly what a fresh regen of the spec produces.

    `patch` defaults to the repository's overlay patch where there is one.
    """
    if patch is None and PATCH_PATH.exists():
        patch = PATCH_PATH
    with tempfile.TemporaryDirectory(prefix="kapso-check-") as tmp:
        fresh = Path(tmp) / "generated"
        try:
            regenerate(spec, fresh, patch)
        except (RegenError, OverlayError, DocumentError) as exc:
            return [f"regen of {spec.name} fails: {exc}"]
        return tree_differences(committed / DIST_NAME, fresh / DIST_NAME)


def tree_differences(committed: Path, fresh: Path) -> list[str]:
    """Files that differ between two trees, with a short diff; empty when identical."""

    def files(root: Path) -> dict[str, Path]:
        if not root.is_dir():
            return {}
        skip = ("__pycache__", ".ruff_cache", ".mypy_cache")
        found = (p for p in root.rglob("*") if p.is_file() and not set(p.parts) & set(skip))
        return {p.relative_to(root).as_posix(): p for p in found}

    old, new = files(committed), files(fresh)
    found = [
        f"generated/{DIST_NAME}/{name}: missing from the commit"
        for name in sorted(new.keys() - old.keys())
    ]
    found += [
        f"generated/{DIST_NAME}/{name}: not produced by regen"
        for name in sorted(old.keys() - new.keys())
    ]
    diff: list[str] = []
    for name in sorted(old.keys() & new.keys()):
        before, after = old[name].read_text("utf-8"), new[name].read_text("utf-8")
        if before != after:
            found.append(f"generated/{DIST_NAME}/{name}: differs from a fresh regen")
            diff += difflib.unified_diff(
                before.splitlines(),
                after.splitlines(),
                f"committed/{name}",
                f"regen/{name}",
                lineterm="",
                n=1,
            )
    if found:
        found += diff[:_DIFF_LINES] + (["..."] if len(diff) > _DIFF_LINES else [])
        found.append(
            "generated/ is stale or was edited by hand: run make regen and commit the result"
        )
    return found


def contract_problems(spec: Path = SPEC_PATH) -> list[str]:
    """The overlay's declared consumer contract must hold against the spec."""
    from tools.contract import check_contract

    return check_contract(spec)


CHECKS: list[tuple[str, Callable[[], list[str]]]] = [
    ("spec is valid OpenAPI 3.1", spec_problems),
    ("spec.lock matches the inputs", lock_problems),
    ("generated/ matches a fresh regen", generated_problems),
    ("overlay consumer contract", contract_problems),
]


def main() -> int:
    failed = 0
    for title, check in CHECKS:
        found = check()
        print(f"make check: {'FAIL' if found else 'ok  '} {title}")
        for line in found:
            print(f"  {line}")
        failed += bool(found)
    if failed:
        print(f"make check: {failed} check(s) failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
