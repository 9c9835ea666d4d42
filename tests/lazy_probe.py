"""Run as a script with a generated distribution first on PYTHONPATH: prints facts as JSON.

tests/test_lazy_models.py runs it in a fresh interpreter, so the first import it makes is really
the first: what that import loads is recorded before anything else can load more.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from types import ModuleType
from typing import Any

PACKAGE = "kapso_platform_api_client"
ENDPOINT = f"{PACKAGE}.api.contacts.erase_whatsapp_contact"


def _loaded_models() -> list[str]:
    return sorted(name for name in sys.modules if name.startswith(f"{PACKAGE}.models."))


def _mismatched_names(models: ModuleType) -> list[str]:
    """Names of `__all__` whose `from models import X` differs from the class in its own module."""
    mapping: dict[str, str] = models._MODULE_OF
    bad = []
    for name in models.__all__:
        space: dict[str, Any] = {}
        exec(f"from {models.__name__} import {name} as value", space)
        defined = getattr(importlib.import_module(mapping[name], models.__name__), name)
        if space["value"] is not defined or getattr(defined, "__name__", name) != name:
            bad.append(name)
    return bad


def _unknown_name_errors(models: ModuleType) -> list[str]:
    found = []
    try:
        models.NoSuchModel  # noqa: B018
    except AttributeError as exc:
        found.append(str(exc))
    try:
        exec(f"from {models.__name__} import NoSuchModel", {})
    except ImportError as exc:
        found.append(type(exc).__name__)
    return found


def _import_every_module(package: ModuleType) -> int:
    names = [info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    for name in names:
        importlib.import_module(name)
    return len(names)


def main() -> None:
    importlib.import_module(ENDPOINT)
    facts: dict[str, Any] = {"loaded_by_endpoint": _loaded_models()}
    package = importlib.import_module(PACKAGE)
    models = importlib.import_module(f"{PACKAGE}.models")
    star: dict[str, Any] = {}
    exec(f"from {models.__name__} import *", star)
    facts.update(
        package_file=package.__file__,
        all=list(models.__all__),
        mapping=models._MODULE_OF,
        dir=dir(models),
        star=sorted(name for name in star if not name.startswith("__")),
        mismatched=_mismatched_names(models),
        unknown=_unknown_name_errors(models),
        modules=_import_every_module(package),
    )
    print(json.dumps(facts))


if __name__ == "__main__":
    main()
