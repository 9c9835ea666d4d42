"""`make regen`: spec (+ optional overlay patch) -> generated client package, or a clear failure.

The generator runs in this process, from the project's environment, into a temporary directory.
Running it in-process gives its warnings as structured objects instead of console text (which holds
memory addresses); every warning is turned into one stable line naming the operation and what was
lost, and any loss fails the run before the output directory is touched. Only a clean build is
post-processed and then swapped into place.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType
from openapi_python_client.parser.errors import ErrorLevel, GeneratorError

from tools import speclock
from tools.documents import (
    CONFIG_PATH,
    DIST_NAME,
    GENERATED_PATH,
    PACKAGE_NAME,
    PATCH_PATH,
    SPEC_PATH,
    TEMPLATES_PATH,
    DocumentError,
    load_document,
    operations,
    write_json,
)
from tools.patching import OverlayError, apply_overlay

_ENDPOINT_HEADER = re.compile(
    r"WARNING parsing (?P<method>[A-Z]+) (?P<path>\S+) within .*?\.(?P<dropped> Endpoint)?"
)
_SCHEMA_HEADER = re.compile(r"Unable to process schema (?P<pointer>\S+?):?$")
_ADDRESS = re.compile(r"<[\w.]+ object at 0x[0-9a-f]+>")
_DROPPED = "endpoint not generated"
_GENERATED_OP = re.compile(r'"method": "(?P<method>\w+)",\s*"url": "(?P<path>[^"]+)"')


class RegenError(Exception):
    """Generation failed; the message has one line per lost piece or problem."""


@dataclass(frozen=True, order=True)
class Lost:
    """One piece of the spec that did not make it into the generated client."""

    where: str
    what: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}: {self.reason}"


def regenerate(spec: Path, out: Path, patch: Path | None) -> list[str]:
    """Generate `spec` into `out`; return the generated operations as "METHOD /path" strings."""
    with tempfile.TemporaryDirectory(prefix="kapso-regen-") as tmp:
        work = Path(tmp)
        # Parsed once: the pure-Python YAML 1.2 reader needs seconds for the full upstream spec.
        document = load_document(spec)
        source, document = _patched_spec(spec, document, patch, work)
        build = work / "out" / DIST_NAME
        lost = _run_generator(source, document, build)
        dropped = {item.where for item in lost if item.what == _DROPPED}
        lost += [m for m in _missing_operations(document, build) if m.where not in dropped]
        if lost:
            lines = "\n".join(str(item) for item in sorted(set(lost)))
            raise RegenError(
                f"{len(set(lost))} piece(s) of {spec} would be lost; {out} left untouched:\n{lines}"
            )
        _post_process(build)
        _replace(work / "out", out)
    return generated_operations(out / DIST_NAME / PACKAGE_NAME)


def _patched_spec(
    spec: Path, document: dict[str, Any], patch: Path | None, work: Path
) -> tuple[Path, dict[str, Any]]:
    """The file to give the generator and what it holds: `spec` itself, or a patched copy."""
    if patch is None:
        return spec, document
    patched = apply_overlay(document, load_document(patch))
    target = work / "patched-spec.json"
    write_json(patched, target)
    return target, patched


def _run_generator(source: Path, spec: dict[str, Any], build: Path) -> list[Lost]:
    config = Config.from_sources(
        ConfigFile.load_from_path(CONFIG_PATH), MetaType.UV, source, "utf-8", True, build
    )
    templates = TEMPLATES_PATH if TEMPLATES_PATH.is_dir() else None
    with _pinned_tools_first_on_path(), contextlib.redirect_stdout(io.StringIO()):
        errors = generate(config=config, custom_template_path=templates)
    return [lost for error in errors for lost in _describe(error, spec)]


@contextlib.contextmanager
def _pinned_tools_first_on_path() -> Iterator[None]:
    """Post-hooks run `ruff` by name: make that the project's pinned ruff, not any other."""
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])
    try:
        yield
    finally:
        os.environ["PATH"] = saved


def _describe(error: GeneratorError, spec: dict[str, Any]) -> list[Lost]:
    reason = _clean(error.detail)
    if endpoint := _ENDPOINT_HEADER.match(error.header.strip()):
        where = f"{endpoint['method']} {endpoint['path']}"
        return [Lost(where, _DROPPED if endpoint["dropped"] else "part omitted", reason)]
    if schema := _SCHEMA_HEADER.match(error.header.strip()):
        pointer = schema["pointer"]
        users = _operations_using(spec, "#" + pointer) or [pointer]
        return [
            Lost(user, f"schema {pointer.rsplit('/', 1)[-1]} removed", reason) for user in users
        ]
    level = "error" if error.level == ErrorLevel.ERROR else "warning"
    return [Lost("generator", f"{level}: {error.header.strip()}", reason)]


def _clean(detail: str | None) -> str:
    """First paragraph of a generator message, without the memory addresses some of them embed."""
    text = _ADDRESS.sub("", detail or "no detail given").strip().split("\n\n", 1)[0]
    return " ".join(text.split())


def _operations_using(spec: dict[str, Any], ref: str) -> list[str]:
    """Operations whose parameters, bodies or responses reach `ref`, directly or not."""
    schemas = (spec.get("components") or {}).get("schemas") or {}
    users = []
    for method, path, operation in operations(spec):
        if _reaches(operation, ref, schemas, set()) or _reaches(
            spec["paths"][path].get("parameters"), ref, schemas, set()
        ):
            users.append(f"{method} {path}")
    return users


def _reaches(node: Any, ref: str, schemas: dict[str, Any], seen: set[str]) -> bool:
    if isinstance(node, dict):
        target = node.get("$ref")
        if isinstance(target, str):
            if target == ref:
                return True
            name = target.rsplit("/", 1)[-1]
            if target.startswith("#/components/schemas/") and name not in seen:
                seen.add(name)
                return _reaches(schemas.get(name), ref, schemas, seen)
        return any(_reaches(value, ref, schemas, seen) for value in node.values())
    if isinstance(node, list):
        return any(_reaches(value, ref, schemas, seen) for value in node)
    return False


def _missing_operations(spec: dict[str, Any], build: Path) -> list[Lost]:
    """Belt and braces: an operation of the spec with no module is lost even if nothing warned."""
    package = build / PACKAGE_NAME
    made = set(generated_operations(package)) if package.is_dir() else set()
    return [
        Lost(f"{method} {path}", _DROPPED, "no module was written for it")
        for method, path, _ in operations(spec)
        if f"{method} {path}" not in made
    ]


def generated_operations(package: Path) -> list[str]:
    """The "METHOD /path" of every endpoint module in a generated package."""
    found = []
    for module in sorted((package / "api").rglob("*.py")):
        for match in _GENERATED_OP.finditer(module.read_text(encoding="utf-8")):
            found.append(f"{match['method'].upper()} {match['path']}")
    return found


def _post_process(build: Path) -> None:
    """Drop what the generator's tools leave behind that is not part of the package."""
    for junk in [*build.rglob(".ruff_cache"), *build.rglob("__pycache__")]:
        shutil.rmtree(junk)


def _replace(new: Path, out: Path) -> None:
    """Swap `new` in for `out` with renames on one file system, so `out` is never half-written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    shutil.rmtree(staging)
    shutil.copytree(new, staging)
    retired = staging.with_name(staging.name.replace(".new-", ".old-"))
    if out.exists():
        out.rename(retired)
    staging.rename(out)
    shutil.rmtree(retired, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make regen", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--spec", type=Path, help="spec to generate from (default: the vendored spec)"
    )
    parser.add_argument("--out", type=Path, help="directory to generate into (default: generated/)")
    parser.add_argument(
        "--patch",
        type=Path,
        help="Overlay 1.0 patch (default: openapi-platform.overlay.yaml if present)",
    )
    args = parser.parse_args(argv)
    if args.spec is not None and args.out is None:
        parser.error("SPEC=... needs OUT=...: only the vendored spec is generated into generated/")
    spec = args.spec or SPEC_PATH
    out = args.out or GENERATED_PATH
    patch = args.patch or (PATCH_PATH if args.spec is None and PATCH_PATH.exists() else None)
    try:
        made = regenerate(spec, out, patch)
    except (RegenError, OverlayError, DocumentError) as exc:
        print(f"make regen: {exc}", file=sys.stderr)
        return 1
    if args.spec is None and args.out is None:
        speclock.write(speclock.compute())
    print(f"make regen: {len(made)} operation(s) generated into {out}/{DIST_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
