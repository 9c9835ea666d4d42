"""Reading OpenAPI and Overlay documents the way the generator reads them.

The generator parses YAML with ruamel's safe loader (YAML 1.2). PyYAML implements YAML 1.1, where
`on`, `yes` or `1_000` mean something else, so every tool here uses ruamel too: a patched spec that
is written back out must mean to the generator exactly what the vendored one meant.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi-platform.yaml"
PATCH_PATH = ROOT / "openapi-platform.overlay.yaml"
CONFIG_PATH = ROOT / "generator-config.yaml"
TEMPLATES_PATH = ROOT / "generator-templates"
LOCK_PATH = ROOT / "spec.lock"
GENERATED_PATH = ROOT / "generated"
DIST_NAME = "kapso-platform-api-client"
PACKAGE_NAME = "kapso_platform_api_client"
UPSTREAM_URL = "https://docs.kapso.ai/api/platform/v1/openapi-platform.yaml"

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class DocumentError(Exception):
    """A spec or overlay file that cannot be read; the message names the file and the problem."""


def load_document(path: Path) -> dict[str, Any]:
    """Parse a YAML or JSON document into plain dicts and lists."""
    try:
        data = YAML(typ="safe", pure=True).load(path.read_bytes())
    except OSError as exc:
        raise DocumentError(f"{path}: cannot be read ({exc.strerror})") from exc
    except YAMLError as exc:
        raise DocumentError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise DocumentError(f"{path}: the top level must be a mapping, found {type(data).__name__}")
    return data


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write a document as JSON, which every YAML 1.2 reader (the generator's) reads unchanged."""
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sha256_tree(path: Path) -> str:
    """One digest over every file below `path`: relative names and contents, in sorted order."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (METHOD, path, operation object) of a spec, in document order."""
    found = []
    for path, item in (spec.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                found.append((method.upper(), path, item[method]))
    return found
