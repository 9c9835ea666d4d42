"""Applying an OpenAPI Overlay 1.0 document to a spec before generation.

A maintainer fixes a construct the generator cannot handle here, never in the vendored spec, so the
vendored file keeps the exact bytes (and hash) upstream published. Targets are RFC 9535 JSONPath
queries, evaluated with python-jsonpath in its strict (RFC 9535) mode.

Semantics, per action and in document order:
- `remove: true` deletes every node the target selects;
- otherwise `update` is merged into every selected node: into an object recursively (objects merge,
  anything else is replaced), and onto an array as one appended entry.
An action that selects nothing is an error: it almost always means upstream moved the thing the
patch was written for, and a silently skipped patch would ship an unpatched client.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import jsonpath

_JSONPATH = jsonpath.JSONPathEnvironment(strict=True)


class OverlayError(Exception):
    """The overlay document is malformed, or one or more of its actions matched nothing."""


@dataclass(frozen=True)
class Action:
    target: str
    description: str
    update: Any
    remove: bool

    @property
    def name(self) -> str:
        return f"{self.description!r} (target {self.target})" if self.description else self.target


def parse_actions(overlay: dict[str, Any]) -> list[Action]:
    """Validate the overlay's shape and return its actions."""
    if not str(overlay.get("overlay", "")).startswith("1."):
        raise OverlayError(
            "not an OpenAPI Overlay 1.x document: the 'overlay: 1.0.0' field is missing"
        )
    raw_actions = overlay.get("actions")
    if not isinstance(raw_actions, list) or not raw_actions:
        raise OverlayError(
            "the overlay has no 'actions' list; add at least one action or delete the file"
        )
    return [_parse_action(index, raw) for index, raw in enumerate(raw_actions, start=1)]


def _parse_action(index: int, raw: Any) -> Action:
    if not isinstance(raw, dict) or not isinstance(raw.get("target"), str):
        raise OverlayError(f"action {index}: needs a 'target' JSONPath string")
    remove = raw.get("remove", False) is True
    if not remove and "update" not in raw:
        raise OverlayError(
            f"action {index} (target {raw['target']}): needs 'update' or 'remove: true'"
        )
    try:
        _JSONPATH.compile(raw["target"])
    except jsonpath.JSONPathError as exc:
        raise OverlayError(
            f"action {index}: target {raw['target']!r} is not RFC 9535 JSONPath: {exc}"
        ) from exc
    return Action(raw["target"], str(raw.get("description", "")), raw.get("update"), remove)


def apply_overlay(spec: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Return a patched copy of `spec`; raise OverlayError naming actions that match nothing."""
    patched = copy.deepcopy(spec)
    unmatched = [action.name for action in parse_actions(overlay) if not _apply(patched, action)]
    if unmatched:
        lines = "\n".join(f"  overlay action matched nothing: {name}" for name in unmatched)
        raise OverlayError(
            f"{len(unmatched)} overlay action(s) matched nothing (did upstream move?):\n{lines}"
        )
    return patched


def _apply(document: dict[str, Any], action: Action) -> bool:
    matches = list(_JSONPATH.finditer(action.target, document))
    if action.remove:
        # Delete from the deepest index first so earlier deletions do not shift later ones.
        for match in sorted(matches, key=lambda m: m.parts, reverse=True):
            _remove(document, match.parts)
    else:
        for match in matches:
            _update(document, match.parts, action.update)
    return bool(matches)


def _container(document: dict[str, Any], parts: tuple[Any, ...]) -> Any:
    node: Any = document
    for part in parts:
        node = node[part]
    return node


def _remove(document: dict[str, Any], parts: tuple[Any, ...]) -> None:
    if not parts:
        raise OverlayError("an action cannot remove the whole document ($)")
    del _container(document, parts[:-1])[parts[-1]]


def _update(document: dict[str, Any], parts: tuple[Any, ...], update: Any) -> None:
    node = _container(document, parts)
    if isinstance(node, list):
        node.append(copy.deepcopy(update))
    elif isinstance(node, dict) and isinstance(update, dict):
        _merge(node, update)
    else:
        raise OverlayError(
            f"cannot merge an update into the {type(node).__name__} at {_pointer(parts)}; "
            "target its parent object instead"
        )


def _merge(into: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(into.get(key), dict) and isinstance(value, dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def _pointer(parts: tuple[Any, ...]) -> str:
    return "$" + "".join(f"[{part!r}]" for part in parts)
