"""`make spec-diff OLD=a.yaml NEW=b.yaml`: what a client built from OLD meets when the API is NEW.

Both documents are read through their `$ref`s and compared operation by operation. Each change is
classified from the client's side: "breaking" when a request it sends could now be refused, or a
response could now carry something it does not expect, or its generated code moves (operationId,
path, tag, parameter name); "added" for new operations, parameters, responses and tags; "changed"
for other differences a client survives; "docs" for descriptions, summaries and examples only.
Exit status 1 when anything is breaking.

Why a differ of our own: oasdiff is a Go binary (not installable here); @pb33f/openapi-changes
downloads a binary at install time (fails offline); @useoptic/optic 1.0.9 crashes at start on
Node 20; the PyPI differs api-diff-sentinel 1.0.2 and api-schema-diff 1.0.4 run but miss removed
responses or type changes, servers and operationId renames, and count paths, not operations.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tools import resolve
from tools.documents import DocumentError, load_document

Kind = Literal["breaking", "changed", "added", "docs"]
Direction = Literal["request", "response"]

_DOC_KEYS = ("description", "summary", "title", "example", "examples", "externalDocs")
_ORDER: dict[str, int] = {"breaking": 0, "changed": 1, "added": 2, "docs": 3}


@dataclass(frozen=True)
class Change:
    """One difference: `where` names the item (operation, server, tag), `what` the change."""

    kind: Kind
    where: str
    what: str
    operation: bool = False

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.what}"


def diff_files(old: Path, new: Path) -> list[Change]:
    """The changes from the spec at `old` to the spec at `new`."""
    return diff_documents(load_document(old), load_document(new))


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """The changes from `old` to `new`, breaking ones first."""
    changes = _server_changes(old, new) + _scheme_changes(old, new) + _tag_changes(old, new)
    changes += _info_changes(old, new) + _operation_changes(old, new)
    return sorted(changes, key=lambda change: _ORDER[change.kind])


# --- document level -------------------------------------------------------------------------


def _server_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    before, after = resolve.servers(old), resolve.servers(new)
    if before == after:
        return []
    if before[:1] != after[:1]:
        was, now = (before or ["(none)"])[0], (after or ["(none)"])[0]
        return [Change("breaking", "servers", f"default base URL moved from {was} to {now}")]
    return [Change("changed", "servers", f"server list is now {', '.join(after)}")]


def _scheme_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    before = (old.get("components") or {}).get("securitySchemes") or {}
    after = (new.get("components") or {}).get("securitySchemes") or {}
    changes = []
    for name in sorted(before.keys() | after.keys()):
        was, now = resolve.deref(old, before.get(name)), resolve.deref(new, after.get(name))
        where = f"security scheme {name}"
        if now is None:
            changes.append(Change("breaking", where, "removed"))
        elif was is None:
            changes.append(Change("added", where, "added"))
        elif _without_docs(was) != _without_docs(now):
            changes.append(Change("breaking", where, f"changed from {was} to {now}"))
        elif was != now:
            changes.append(Change("docs", where, "description changed"))
    return changes


def _tag_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    before = {tag.get("name"): tag for tag in old.get("tags") or []}
    after = {tag.get("name"): tag for tag in new.get("tags") or []}
    changes = [Change("added", f"tag {name}", "added") for name in after if name not in before]
    changes += [Change("docs", f"tag {name}", "removed") for name in before if name not in after]
    changes += [
        Change("docs", f"tag {name}", "description changed")
        for name in before.keys() & after.keys()
        if before[name] != after[name]
    ]
    return changes


def _info_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    before, after = old.get("info") or {}, new.get("info") or {}
    changes = []
    if before.get("version") != after.get("version"):
        was, now = before.get("version"), after.get("version")
        changes.append(Change("changed", "info", f"version {was} -> {now}"))
    changes += [
        Change("docs", "info", f"{key} changed")
        for key in sorted((before.keys() | after.keys()) - {"version"})
        if before.get(key) != after.get(key)
    ]
    return changes


# --- operations -----------------------------------------------------------------------------


def _label(located: resolve.Located) -> str:
    return f"{located.operation_id or '(no operationId)'} {located.method} {located.path}"


def _shape(located: resolve.Located) -> tuple[str, str]:
    """Method and path with parameter names blanked, so a renamed path parameter still matches."""
    parts = ["{}" if part.startswith("{") else part for part in located.path.split("/")]
    return located.method, "/".join(parts)


def _pair_operations(
    old: dict[str, Any], new: dict[str, Any]
) -> tuple[
    list[tuple[resolve.Located, resolve.Located]], list[resolve.Located], list[resolve.Located]
]:
    """Operations matched by operationId, then by method and path shape; the rest unmatched."""
    before, after = resolve.operations(old), resolve.operations(new)
    by_id = {located.operation_id: located for located in after if located.operation_id}
    pairs = [(was, by_id[was.operation_id]) for was in before if was.operation_id in by_id]
    matched_old = {id(was) for was, _ in pairs}
    matched_new = {id(now) for _, now in pairs}
    by_shape = {_shape(now): now for now in after if id(now) not in matched_new}
    for was in before:
        now = by_shape.pop(_shape(was), None) if id(was) not in matched_old else None
        if now is not None:
            pairs.append((was, now))
            matched_old.add(id(was))
            matched_new.add(id(now))
    removed = [was for was in before if id(was) not in matched_old]
    added = [now for now in after if id(now) not in matched_new]
    return pairs, removed, added


def _operation_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    pairs, removed, added = _pair_operations(old, new)
    changes = [Change("breaking", _label(was), "operation removed", True) for was in removed]
    changes += [Change("added", _label(now), "operation added", True) for now in added]
    for was, now in pairs:
        changes += [
            Change(kind, _label(was), what, True)
            for kind, what in _OperationDiff(old, new).run(was, now)
        ]
    return changes


Finding = tuple[Kind, str]


class _OperationDiff:
    """Compares one operation of the old document with its match in the new one."""

    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old, self.new = old, new

    def run(self, was: resolve.Located, now: resolve.Located) -> list[Finding]:
        found = self._identity(was, now)
        found += _docs(was.operation, now.operation, "")
        if bool(was.operation.get("deprecated")) != bool(now.operation.get("deprecated")):
            found.append(("changed", f"deprecated is now {bool(now.operation.get('deprecated'))}"))
        found += self._parameters(was, now)
        found += self._request_body(was, now)
        found += self._responses(was, now)
        if resolve.security(self.old, was) != resolve.security(self.new, now):
            found.append(("breaking", f"auth changed to {resolve.security(self.new, now)}"))
        return found

    def _identity(self, was: resolve.Located, now: resolve.Located) -> list[Finding]:
        found: list[Finding] = []
        if was.operation_id != now.operation_id:
            found.append(
                ("breaking", f"operationId renamed to {now.operation_id} (generated code renamed)")
            )
        if (was.method, was.path) != (now.method, now.path):
            found.append(("breaking", f"moved to {now.method} {now.path}"))
        if was.operation.get("tags") != now.operation.get("tags"):
            found.append(
                (
                    "breaking",
                    f"tags changed to {now.operation.get('tags')} (generated module moves)",
                )
            )
        return found

    def _parameters(self, was: resolve.Located, now: resolve.Located) -> list[Finding]:
        before, after = resolve.parameters(self.old, was), resolve.parameters(self.new, now)
        renamed = _renamed_path_parameters(was.path, now.path)
        found: list[Finding] = []
        for (location, name), parameter in before.items():
            new_name = renamed.get(name, name) if location == "path" else name
            counterpart = after.get((location, new_name))
            label = f"parameter {name} ({location})"
            if counterpart is None:
                found.append(("breaking", f"{label} removed"))
                continue
            if new_name != name:
                found.append(("breaking", f"path parameter {name} renamed to {new_name}"))
            found += self._parameter(parameter, counterpart, label)
        known = {(location, renamed.get(name, name)) for location, name in before}
        for (location, name), parameter in after.items():
            if (location, name) not in known:
                required = parameter.get("required") is True
                kind: Kind = "breaking" if required else "added"
                found.append(
                    (
                        kind,
                        f"new {'required' if required else 'optional'} parameter "
                        f"{name} ({location})",
                    )
                )
        return found

    def _parameter(self, was: dict[str, Any], now: dict[str, Any], label: str) -> list[Finding]:
        found = _docs(was, now, f"{label}: ")
        if was.get("required") is not True and now.get("required") is True:
            found.append(("breaking", f"{label} is now required"))
        elif was.get("required") is True and now.get("required") is not True:
            found.append(("changed", f"{label} is now optional"))
        for key in ("style", "explode", "allowReserved"):
            if was.get(key) != now.get(key):
                found.append(("breaking", f"{label}: {key} changed to {now.get(key)}"))
        found += _SchemaDiff(self.old, self.new, "request").run(
            was.get("schema"), now.get("schema"), label
        )
        return found

    def _request_body(self, was: resolve.Located, now: resolve.Located) -> list[Finding]:
        before = resolve.deref(self.old, was.operation.get("requestBody"))
        after = resolve.deref(self.new, now.operation.get("requestBody"))
        if before is None and after is None:
            return []
        if after is None:
            return [("breaking", "request body removed")]
        required = after.get("required") is True
        if before is None:
            return [("breaking" if required else "added", "request body added")]
        found = _docs(before, after, "request body: ")
        if required and before.get("required") is not True:
            found.append(("breaking", "request body is now required"))
        return found + self._content(before, after, "request body", "request")

    def _responses(self, was: resolve.Located, now: resolve.Located) -> list[Finding]:
        before = was.operation.get("responses") or {}
        after = now.operation.get("responses") or {}
        found: list[Finding] = []
        for status in before:
            label = f"response {status}"
            if status not in after:
                found.append(("breaking", f"{label} removed"))
                continue
            old_response = resolve.deref(self.old, before[status])
            new_response = resolve.deref(self.new, after[status])
            found += _docs(old_response, new_response, f"{label}: ")
            found += self._content(old_response, new_response, label, "response")
        found += [("added", f"response {status} added") for status in after if status not in before]
        return found

    def _content(
        self, was: dict[str, Any], now: dict[str, Any], label: str, direction: Direction
    ) -> list[Finding]:
        before, after = was.get("content") or {}, now.get("content") or {}
        found: list[Finding] = []
        for media in before:
            if media not in after:
                found.append(("breaking", f"{label}: media type {media} removed"))
                continue
            found += _SchemaDiff(self.old, self.new, direction).run(
                before[media].get("schema"), after[media].get("schema"), f"{label} ({media})"
            )
        found += [
            ("added" if before else "breaking", f"{label}: media type {media} added")
            for media in after
            if media not in before
        ]
        return found


def _renamed_path_parameters(old_path: str, new_path: str) -> dict[str, str]:
    """Old name -> new name of path parameters at the same position of same-shaped paths."""
    old_parts, new_parts = old_path.split("/"), new_path.split("/")
    if len(old_parts) != len(new_parts):
        return {}
    return {
        was.strip("{}"): now.strip("{}")
        for was, now in zip(old_parts, new_parts, strict=True)
        if was.startswith("{") and now.startswith("{") and was != now
    }


def _docs(was: Any, now: Any, label: str) -> list[Finding]:
    if not (isinstance(was, dict) and isinstance(now, dict)):
        return []
    return [("docs", f"{label}{key} changed") for key in _DOC_KEYS if was.get(key) != now.get(key)]


def _without_docs(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _without_docs(value) for key, value in node.items() if key not in _DOC_KEYS}
    if isinstance(node, list):
        return [_without_docs(value) for value in node]
    return node


# --- schemas --------------------------------------------------------------------------------


class _SchemaDiff:
    """Compares two schemas as a client sees them: what it may send, or what it may receive."""

    def __init__(self, old: dict[str, Any], new: dict[str, Any], direction: Direction) -> None:
        self.old, self.new, self.direction = old, new, direction
        self.seen: set[tuple[int, int]] = set()

    @property
    def sending(self) -> bool:
        return self.direction == "request"

    def run(self, raw_was: Any, raw_now: Any, where: str) -> list[Finding]:
        was, now = resolve.deref(self.old, raw_was), resolve.deref(self.new, raw_now)
        if (
            not isinstance(was, dict)
            or not isinstance(now, dict)
            or (id(was), id(now)) in self.seen
        ):
            return [] if isinstance(was, dict) == isinstance(now, dict) else self._appeared(where)
        self.seen.add((id(was), id(now)))
        found = _docs(was, now, f"{where}: ")
        found += self._types(was, now, where) + self._formats(was, now, where)
        found += self._enums(was, now, where) + self._properties(was, now, where)
        found += self._limits(was, now, where)
        if "items" in was or "items" in now:
            found += self.run(was.get("items"), now.get("items"), f"{where}[]")
        for key in ("oneOf", "anyOf", "allOf"):
            found += self._alternatives(was.get(key) or [], now.get(key) or [], f"{where} {key}")
        return found

    def _appeared(self, where: str) -> list[Finding]:
        return [("breaking", f"{where}: schema added or removed")]

    def _types(self, was: dict[str, Any], now: dict[str, Any], where: str) -> list[Finding]:
        before, after = resolve.schema_types(was), resolve.schema_types(now)
        if before == after:
            return []
        # An empty set means "any type": the widest possible.
        widened = not after or (bool(before) and _within(before, after))
        narrowed = not before or (bool(after) and _within(after, before))
        safe = widened if self.sending else narrowed
        kind: Kind = "changed" if safe else "breaking"
        was_text, now_text = "/".join(sorted(before)) or "any", "/".join(sorted(after)) or "any"
        return [(kind, f"{where}: type changed from {was_text} to {now_text}")]

    def _formats(self, was: dict[str, Any], now: dict[str, Any], where: str) -> list[Finding]:
        before, after = was.get("format"), now.get("format")
        if before == after:
            return []
        safe = after is None if self.sending else before is None
        kind: Kind = "changed" if safe else "breaking"
        return [(kind, f"{where}: format changed from {before} to {after}")]

    def _enums(self, was: dict[str, Any], now: dict[str, Any], where: str) -> list[Finding]:
        before, after = was.get("enum"), now.get("enum")
        if before == after:
            return []
        if before is None or after is None:
            # Adding an enum narrows what is accepted; dropping one widens it.
            safe = (after is None) if self.sending else (before is None)
            state = "removed" if after is None else f"added {after}"
            return [("changed" if safe else "breaking", f"{where}: enum {state}")]
        removed = [value for value in before if value not in after]
        added = [value for value in after if value not in before]
        found: list[Finding] = []
        if removed:
            found.append(
                ("breaking" if self.sending else "changed", f"{where}: enum lost {removed}")
            )
        if added:
            found.append(
                ("changed" if self.sending else "breaking", f"{where}: enum gained {added}")
            )
        return found

    def _properties(self, was: dict[str, Any], now: dict[str, Any], where: str) -> list[Finding]:
        before, after = was.get("properties") or {}, now.get("properties") or {}
        old_required, new_required = set(was.get("required") or []), set(now.get("required") or [])
        found: list[Finding] = []
        for name in before:
            label = f"{where}.{name}"
            if name not in after:
                found.append(("breaking", f"{label}: field removed"))
                continue
            found += self._required(name in old_required, name in new_required, label)
            found += self.run(before[name], after[name], label)
        for name in after:
            if name not in before:
                required = name in new_required
                kind: Kind = "breaking" if required and self.sending else "added"
                found.append((kind, f"{where}.{name}: new {'required ' if required else ''}field"))
        return found

    def _required(self, was: bool, now: bool, label: str) -> list[Finding]:
        if was == now:
            return []
        # Sending: a field that became required must now be sent. Receiving: one that became
        # optional may now be missing.
        breaking = now if self.sending else was
        return [
            (
                "breaking" if breaking else "changed",
                f"{label}: now {'required' if now else 'optional'}",
            )
        ]

    def _limits(self, was: dict[str, Any], now: dict[str, Any], where: str) -> list[Finding]:
        found: list[Finding] = []
        for key in (
            "minimum",
            "maximum",
            "minLength",
            "maxLength",
            "minItems",
            "maxItems",
            "pattern",
        ):
            if was.get(key) != now.get(key):
                kind: Kind = "breaking" if self.sending and now.get(key) is not None else "changed"
                found.append(
                    (kind, f"{where}: {key} changed from {was.get(key)} to {now.get(key)}")
                )
        return found

    def _alternatives(self, before: list[Any], after: list[Any], where: str) -> list[Finding]:
        found: list[Finding] = []
        for index, (was, now) in enumerate(zip(before, after, strict=False)):
            found += self.run(was, now, f"{where}[{index}]")
        if len(before) != len(after):
            # Fewer choices narrow what may be sent; more choices widen what may come back.
            breaking = len(after) < len(before) if self.sending else len(after) > len(before)
            found.append(
                (
                    "breaking" if breaking else "changed",
                    f"{where}: {len(before)} alternatives -> {len(after)}",
                )
            )
        return found


def _within(inner: set[str], outer: set[str]) -> bool:
    """Every type of `inner` is allowed by `outer` (an integer is also a number)."""
    return all(kind in outer or (kind == "integer" and "number" in outer) for kind in inner)


# --- report ---------------------------------------------------------------------------------


def report(changes: Sequence[Change], old: Path, new: Path) -> list[str]:
    """The human report: a summary, then one line per change, breaking ones first."""
    ops_added = sum(1 for c in changes if c.what == "operation added")
    ops_removed = sum(1 for c in changes if c.what == "operation removed")
    changed_ops = {c.where for c in changes if c.operation and not c.what.startswith("operation ")}
    tags_added = [
        c.where.removeprefix("tag ")
        for c in changes
        if c.where.startswith("tag ") and c.kind == "added"
    ]
    breaking = [c for c in changes if c.kind == "breaking"]
    lines = [
        f"spec-diff: {old} -> {new}",
        f"operations: {ops_added} added, {ops_removed} removed, {len(changed_ops)} changed",
        f"tags: {len(tags_added)} added" + (f" ({', '.join(tags_added)})" if tags_added else ""),
        *(str(change) for change in changes),
    ]
    if breaking:
        lines.append(
            f"spec-diff: {len(breaking)} breaking change(s): a client built from "
            f"{old} can fail against {new}"
        )
    else:
        lines.append("spec-diff: nothing breaking")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make spec-diff", description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="the spec a client was built from (OLD=...)")
    parser.add_argument("new", type=Path, help="the spec the API now follows (NEW=...)")
    args = parser.parse_args(argv)
    try:
        changes = diff_files(args.old, args.new)
    except DocumentError as exc:
        print(f"make spec-diff: {exc}", file=sys.stderr)
        return 2
    print("\n".join(report(changes, args.old, args.new)))
    return 1 if any(change.kind == "breaking" for change in changes) else 0


if __name__ == "__main__":
    sys.exit(main())
