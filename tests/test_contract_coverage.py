"""The consumer contract cannot go stale: every generated operation the overlay imports is in it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tools.contract import check_contract, load_contract
from tools.documents import DIST_NAME, GENERATED_PATH, ROOT, SPEC_PATH

OVERLAY = ROOT / "overlay" / "kapso_platform"
API_PACKAGE = "kapso_platform_api_client.api"
_GENERATED_CALL = re.compile(r'"method": "(?P<method>\w+)",\s*"url": "(?P<path>[^"]+)"')


def generated_modules_imported(source: str) -> set[str]:
    """Generated API modules a source imports, however spelled: `api.<tag>.<operation>` each.

    Generated operations live at exactly that depth. Importing a whole tag package (or `api`
    itself) yields a shorter name, which no declaration matches, so the test asks for an
    explicit import rather than letting attribute access hide what is used.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {_operation(alias.name) for alias in node.names if _in_api(alias.name)}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _in_api(node.module or ""):
            module = node.module or ""
            found |= {_operation(f"{module}.{alias.name}") for alias in node.names}
    return found


def _in_api(module: str) -> bool:
    return module == API_PACKAGE or module.startswith(API_PACKAGE + ".")


def _operation(name: str) -> str:
    """`name` cut to the operation module it lies in (`api.<tag>.<operation>`)."""
    depth = API_PACKAGE.count(".") + 3
    return ".".join(name.split(".")[:depth])


def _module_file(module: str) -> Path:
    return GENERATED_PATH / DIST_NAME / (module.replace(".", "/") + ".py")


def overlay_imports() -> dict[str, set[str]]:
    """For each overlay source file, the generated operation modules it imports."""
    return {
        path.name: generated_modules_imported(path.read_text(encoding="utf-8"))
        for path in sorted(OVERLAY.glob("*.py"))
    }


def test_every_generated_module_the_overlay_imports_is_declared_in_the_contract() -> None:
    declared = {operation.module for operation in load_contract().CONTRACT.operations}
    undeclared = {
        f"{name} imports {module}"
        for name, modules in overlay_imports().items()
        for module in modules - declared
    }
    assert not undeclared, "declare these in overlay/kapso_platform/_contract.py: " + ", ".join(
        sorted(undeclared)
    )


def test_every_declared_module_is_generated_for_the_declared_method_and_path() -> None:
    for operation in load_contract().CONTRACT.operations:
        source = _module_file(operation.module).read_text(encoding="utf-8")
        call = _GENERATED_CALL.search(source)
        assert call is not None, f"{operation.module} has no request call"
        assert (call["method"].upper(), call["path"]) == (operation.method, operation.path)


def test_the_vendored_spec_satisfies_the_contract() -> None:
    assert check_contract(SPEC_PATH) == []


def test_import_scanner_sees_every_spelling_of_a_generated_import() -> None:
    erase = f"{API_PACKAGE}.contacts.erase_whatsapp_contact"
    spellings = [
        f"from {API_PACKAGE}.contacts import erase_whatsapp_contact",
        f"from {API_PACKAGE}.contacts import erase_whatsapp_contact as erase",
        f"from {erase} import sync_detailed",
        f"import {erase}",
        f"def f() -> None:\n    from {API_PACKAGE}.contacts import erase_whatsapp_contact",
    ]
    for source in spellings:
        assert generated_modules_imported(source) == {erase}, source


def test_import_scanner_reports_a_whole_tag_package_import_as_undeclarable() -> None:
    source = f"from {API_PACKAGE} import contacts\n"
    assert generated_modules_imported(source) == {f"{API_PACKAGE}.contacts"}


def test_import_scanner_ignores_modules_outside_the_generated_api() -> None:
    source = "import httpx\nfrom kapso_platform_api_client.models import ErrorResponse\n"
    assert generated_modules_imported(source) == set()


def test_the_overlays_default_base_url_and_auth_header_are_the_declared_ones() -> None:
    from kapso_platform._auth import API_KEY_HEADER
    from kapso_platform._config import DEFAULT_BASE_URL

    contract = load_contract().CONTRACT
    assert (contract.base_url, contract.api_key_header) == (DEFAULT_BASE_URL, API_KEY_HEADER)


def test_the_overlay_imports_the_erase_operation_today() -> None:
    # Pins the scan to the real tree: if this breaks, the scan (not the overlay) went blind.
    imported = set().union(*overlay_imports().values())
    assert f"{API_PACKAGE}.contacts.erase_whatsapp_contact" in imported
