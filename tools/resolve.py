"""Reading an OpenAPI document through its local `$ref`s, the way a client sees it.

The contract check and the spec differ both compare what an operation means, not how the document
spells it: a schema moved into `components` behind a `$ref`, or a parameter declared on the path
item instead of the operation, is the same API to a client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.documents import HTTP_METHODS, DocumentError

_MAX_REF_HOPS = 64


@dataclass(frozen=True)
class Located:
    """An operation with where it lives: `method` upper-case, `item` its path item."""

    method: str
    path: str
    operation: dict[str, Any]
    item: dict[str, Any]

    @property
    def operation_id(self) -> str | None:
        value = self.operation.get("operationId")
        return value if isinstance(value, str) else None


def deref(document: dict[str, Any], node: Any) -> Any:
    """`node` with every `$ref` it starts with followed; a non-local or dangling one is an error."""
    for _ in range(_MAX_REF_HOPS):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node
        node = pointer(document, node["$ref"])
    raise DocumentError(f"$ref chain longer than {_MAX_REF_HOPS} hops (a cycle of bare $refs?)")


def pointer(document: dict[str, Any], ref: str) -> Any:
    """The node a local JSON pointer such as `#/components/schemas/X` names."""
    if not ref.startswith("#"):
        raise DocumentError(f"$ref {ref!r} points outside the document; only local refs are read")
    node: Any = document
    for raw in ref[1:].split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise DocumentError(f"$ref {ref!r} names nothing in the document")
    return node


def operations(document: dict[str, Any]) -> list[Located]:
    """Every operation of the document, in document order."""
    found = []
    for path, raw_item in (document.get("paths") or {}).items():
        item = deref(document, raw_item)
        for method in HTTP_METHODS:
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                found.append(Located(method.upper(), path, item[method], item))
    return found


def parameters(document: dict[str, Any], located: Located) -> dict[tuple[str, str], dict[str, Any]]:
    """Effective parameters by (location, name): the operation's override the path item's."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for source in (located.item.get("parameters"), located.operation.get("parameters")):
        for raw in source or []:
            parameter = deref(document, raw)
            if isinstance(parameter, dict):
                merged[(str(parameter.get("in")), str(parameter.get("name")))] = parameter
    return merged


def security(document: dict[str, Any], located: Located) -> list[dict[str, Any]]:
    """The operation's effective security requirements (its own, else the document's)."""
    requirements = located.operation.get("security", document.get("security"))
    return list(requirements or [])


def schema_types(schema: Any) -> set[str]:
    """The JSON types a schema allows; empty when it does not say (any type)."""
    if not isinstance(schema, dict):
        return set()
    declared = schema.get("type")
    types = set(declared) if isinstance(declared, list) else {declared} if declared else set()
    if schema.get("nullable") is True and types:
        types.add("null")
    return {str(kind) for kind in types}


def servers(document: dict[str, Any]) -> list[str]:
    """The document's server URLs, the default (first) one first."""
    return [str(server.get("url")) for server in document.get("servers") or [] if server]
