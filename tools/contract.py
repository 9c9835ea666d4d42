"""The overlay's consumer contract, checked against a spec: one line per point that no longer holds.

The declaration lives in overlay/kapso_platform/_contract.py. It is loaded from its file, not
imported through the `kapso_platform` package, so the check still runs (and names what broke)
when the generated client the package imports is stale or fails to import.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from tools import resolve
from tools.documents import ROOT, DocumentError, load_document

if TYPE_CHECKING:
    from kapso_platform._contract import Contract, Field, Operation, Response

CONTRACT_PATH = ROOT / "overlay" / "kapso_platform" / "_contract.py"

ADVICE = (
    "the overlay relies on the items above (declared in overlay/kapso_platform/_contract.py): "
    "adapt the overlay code that uses them to the new spec and update the declaration in the "
    "same change, or keep the previous spec and report the change to Kapso if it is a mistake"
)


def load_contract(path: Path = CONTRACT_PATH) -> ModuleType:
    """The declaration module, executed on its own under the name `kapso_contract`."""
    spec = importlib.util.spec_from_file_location("kapso_contract", path)
    if spec is None or spec.loader is None:
        raise DocumentError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their defining module up in sys.modules while the class body runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def check_contract(spec: Path, contract: Contract | None = None) -> list[str]:
    """Every way `spec` breaks the contract (by default the overlay's); empty when it holds."""
    if contract is None:
        contract = load_contract().CONTRACT
    try:
        document = load_document(spec)
        found = contract_problems(document, contract)
    except DocumentError as exc:
        found = [str(exc)]
    return [*found, ADVICE] if found else []


def contract_problems(document: dict[str, Any], contract: Contract) -> list[str]:
    """The problems, one line each, without the closing advice."""
    found = _server_problems(document, contract.base_url)
    for declared in contract.operations:
        located = _locate(document, declared)
        if isinstance(located, str):
            found.append(f"{declared.title}: {located}")
            continue
        found += [
            f"{declared.title}: {problem}"
            for problem in _operation_problems(document, declared, located, contract)
        ]
    return found


def _server_problems(document: dict[str, Any], base_url: str) -> list[str]:
    urls = resolve.servers(document)
    if urls and urls[0].rstrip("/") == base_url.rstrip("/"):
        return []
    now = repr(urls[0]) if urls else "not declared"
    return [
        f"servers: the default base URL is now {now}, the overlay defaults to {base_url!r}; "
        "move the overlay's default base URL with it"
    ]


def _locate(document: dict[str, Any], declared: Operation) -> resolve.Located | str:
    """The operation with the declared operationId, or why there is none."""
    everything = resolve.operations(document)
    for located in everything:
        if located.operation_id == declared.operation_id:
            return located
    for located in everything:
        if (located.method, located.path) == (declared.method, declared.path):
            return (
                f"operationId {declared.operation_id!r} is now {located.operation_id!r} "
                "(the generated module is renamed with it)"
            )
    return f"operation {declared.operation_id!r} no longer declared (removed, or moved and renamed)"


def _operation_problems(
    document: dict[str, Any], declared: Operation, located: resolve.Located, contract: Contract
) -> list[str]:
    found = []
    if (located.method, located.path) != (declared.method, declared.path):
        found.append(
            f"operation {declared.operation_id!r} moved to {located.method} {located.path}"
        )
    found += _parameter_problems(document, declared, located)
    found += _request_body_problems(document, declared, located)
    found += _auth_problems(document, located, contract.api_key_header)
    for response in declared.responses:
        found += _response_problems(document, located, response)
    return found


def _parameter_problems(
    document: dict[str, Any], declared: Operation, located: resolve.Located
) -> list[str]:
    actual = resolve.parameters(document, located)
    sent = {(parameter.location, parameter.name) for parameter in declared.parameters}
    found = []
    for parameter in declared.parameters:
        spec_parameter = actual.get((parameter.location, parameter.name))
        if spec_parameter is None:
            found.append(
                f"parameter {parameter.name!r} ({parameter.location}) no longer declared"
                + _renamed_hint(actual, parameter.location, sent)
            )
        elif spec_parameter.get("required") is True and not parameter.required:
            found.append(
                f"parameter {parameter.name!r} ({parameter.location}) is now required; "
                "the overlay does not always send it"
            )
    for (location, name), spec_parameter in actual.items():
        if spec_parameter.get("required") is True and (location, name) not in sent:
            found.append(
                f"new required parameter {name!r} ({location}) that the overlay does not send"
            )
    return found


def _renamed_hint(actual: dict[tuple[str, str], Any], location: str, sent: set[Any]) -> str:
    others = sorted(
        name for where, name in actual if where == location and (where, name) not in sent
    )
    return f" (the spec now has {location} parameter(s) {', '.join(others)})" if others else ""


def _request_body_problems(
    document: dict[str, Any], declared: Operation, located: resolve.Located
) -> list[str]:
    body = resolve.deref(document, located.operation.get("requestBody"))
    if not declared.request_fields:
        if isinstance(body, dict) and body.get("required") is True:
            return ["a request body is now required; the overlay sends none"]
        return []
    schema = _body_schema(document, body, "application/json")
    if schema is None:
        return ["request body (application/json) no longer declared"]
    return _object_problems(document, schema, declared.request_fields, "request", sending=True)


def _auth_problems(document: dict[str, Any], located: resolve.Located, header: str) -> list[str]:
    requirements = resolve.security(document, located)
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    for requirement in requirements:
        used = [resolve.deref(document, schemes.get(name)) for name in requirement]
        if all(_is_api_key_header(scheme, header) for scheme in used):
            return []
    if not requirements:
        return []
    names = " or ".join("+".join(requirement) or "(none)" for requirement in requirements)
    return [f"auth is now {names}; the overlay authenticates with the {header} header only"]


def _is_api_key_header(scheme: Any, header: str) -> bool:
    return (
        isinstance(scheme, dict)
        and scheme.get("type") == "apiKey"
        and scheme.get("in") == "header"
        and str(scheme.get("name", "")).lower() == header.lower()
    )


def _response_problems(
    document: dict[str, Any], located: resolve.Located, response: Response
) -> list[str]:
    responses = located.operation.get("responses") or {}
    spec_response = resolve.deref(document, responses.get(response.status))
    if spec_response is None:
        return [f"response {response.status} no longer declared"]
    if not response.fields:
        return []
    schema = _body_schema(document, spec_response, response.media_type)
    if schema is None:
        return [f"response {response.status} no longer has a {response.media_type} body"]
    return _object_problems(
        document, schema, response.fields, f"response {response.status}", sending=False
    )


def _body_schema(document: dict[str, Any], holder: Any, media_type: str) -> Any:
    if not isinstance(holder, dict):
        return None
    media = (holder.get("content") or {}).get(media_type)
    return resolve.deref(document, media.get("schema")) if isinstance(media, dict) else None


def _object_problems(
    document: dict[str, Any], schema: Any, fields: tuple[Field, ...], where: str, *, sending: bool
) -> list[str]:
    types = resolve.schema_types(schema)
    if types != {"object"}:
        now = "/".join(sorted(types)) or "of any type"
        return [f"{where} body is no longer an object (now {now})"]
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    found = []
    for field in fields:
        if field.name not in properties:
            found.append(f"{where} field {field.name!r} no longer declared")
            continue
        found += _field_problems(
            document, properties[field.name], field, where, sending=sending, required=required
        )
    if sending:
        names = {field.name for field in fields}
        found += [
            f"new required {where} field {name!r} that the overlay does not send"
            for name in sorted(required - names)
        ]
    return found


def _field_problems(
    document: dict[str, Any],
    raw: Any,
    field: Field,
    where: str,
    *,
    sending: bool,
    required: set[str],
) -> list[str]:
    types = resolve.schema_types(resolve.deref(document, raw))
    accepted = {field.type, "integer"} if field.type == "number" else {field.type}
    # What the overlay sends must be allowed; everything the API may return must be handled.
    fits = (field.type in types or not types) if sending else (bool(types) and types <= accepted)
    found = []
    if not fits:
        now = "/".join(sorted(types)) or "any type"
        found.append(f"{where} field {field.name!r} is now {now}, the overlay expects {field.type}")
    if not sending and field.required and field.name not in required:
        found.append(
            f"{where} field {field.name!r} is no longer required; the overlay relies on it"
        )
    return found
