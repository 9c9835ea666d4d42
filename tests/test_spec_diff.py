"""spec-diff classifies changes from a client's side: what it sends, and what it receives."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tools.documents import SPEC_PATH
from tools.spec_diff import diff_documents, diff_files, main

Document = dict[str, Any]


def api(request_schema: Document, response_schema: Document, **operation: Any) -> Document:
    """A one-operation document: POST /things sends `request_schema`, gets `response_schema`."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "servers": [{"url": "https://api.example.test/v1"}],
        "paths": {
            "/things": {
                "post": {
                    "operationId": "createThing",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": request_schema}},
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": response_schema}},
                        }
                    },
                    **operation,
                }
            }
        },
    }


THING: Document = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "kind": {"type": "string", "enum": ["a", "b"]}},
}


def kinds(old: Document, new: Document) -> set[tuple[str, str]]:
    return {(change.kind, change.what) for change in diff_documents(old, new)}


def changed(schema: Document, edit: Any) -> Document:
    copied = copy.deepcopy(schema)
    edit(copied)
    return copied


def test_request_enum_narrowed_is_breaking_and_response_enum_narrowed_is_not() -> None:
    narrower = changed(THING, lambda s: s["properties"]["kind"].update(enum=["a"]))

    assert ("breaking", "request body (application/json).kind: enum lost ['b']") in kinds(
        api(THING, THING), api(narrower, THING)
    )
    assert ("changed", "response 200 (application/json).kind: enum lost ['b']") in kinds(
        api(THING, THING), api(THING, narrower)
    )


def test_response_enum_widened_is_breaking_and_request_enum_widened_is_not() -> None:
    wider = changed(THING, lambda s: s["properties"]["kind"].update(enum=["a", "b", "c"]))

    assert ("breaking", "response 200 (application/json).kind: enum gained ['c']") in kinds(
        api(THING, THING), api(THING, wider)
    )
    assert ("changed", "request body (application/json).kind: enum gained ['c']") in kinds(
        api(THING, THING), api(wider, THING)
    )


def test_new_required_request_field_is_breaking_and_new_response_field_is_added() -> None:
    def add_colour(schema: Document) -> None:
        schema["properties"]["colour"] = {"type": "string"}
        schema["required"].append("colour")

    more = changed(THING, add_colour)

    assert ("breaking", "request body (application/json).colour: new required field") in kinds(
        api(THING, THING), api(more, THING)
    )
    assert ("added", "response 200 (application/json).colour: new required field") in kinds(
        api(THING, THING), api(THING, more)
    )


def test_response_field_removed_or_made_optional_is_breaking() -> None:
    fewer = changed(THING, lambda s: s["properties"].pop("kind"))
    optional = changed(THING, lambda s: s.update(required=[]))

    assert ("breaking", "response 200 (application/json).kind: field removed") in kinds(
        api(THING, THING), api(THING, fewer)
    )
    assert ("breaking", "response 200 (application/json).name: now optional") in kinds(
        api(THING, THING), api(THING, optional)
    )


def test_request_type_widened_to_nullable_is_safe_but_response_widened_is_breaking() -> None:
    nullable = changed(THING, lambda s: s["properties"]["name"].update(type=["string", "null"]))

    change = "name: type changed from string to null/string"
    sent = kinds(api(THING, THING), api(nullable, THING))
    received = kinds(api(THING, THING), api(THING, nullable))

    assert ("changed", f"request body (application/json).{change}") in sent
    assert ("breaking", f"response 200 (application/json).{change}") in received


def test_format_change_is_breaking() -> None:
    dated = changed(THING, lambda s: s["properties"]["name"].update(format="date"))

    found = kinds(api(THING, THING), api(dated, THING))

    assert (
        "breaking",
        "request body (application/json).name: format changed from None to date",
    ) in found


def test_auth_change_and_tag_move_are_breaking() -> None:
    old = api(THING, THING, tags=["Things"], security=[{"ApiKeyAuth": []}])
    new = api(THING, THING, tags=["Items"], security=[{"BearerAuth": []}])

    found = kinds(old, new)

    assert ("breaking", "auth changed to [{'BearerAuth': []}]") in found
    assert ("breaking", "tags changed to ['Items'] (generated module moves)") in found


def test_refs_are_compared_by_what_they_point_to() -> None:
    inline = api(THING, THING)
    referenced = api({"$ref": "#/components/schemas/Thing"}, {"$ref": "#/components/schemas/Thing"})
    referenced["components"] = {"schemas": {"Thing": copy.deepcopy(THING)}}

    assert kinds(inline, referenced) == set()


def test_recursive_schemas_terminate() -> None:
    node = {
        "type": "object",
        "properties": {"child": {"$ref": "#/components/schemas/Node"}},
    }
    document = api({"$ref": "#/components/schemas/Node"}, THING)
    document["components"] = {"schemas": {"Node": node}}

    assert kinds(document, copy.deepcopy(document)) == set()


def test_seed_against_upstream_adds_108_operations_and_5_tags_and_only_docs_for_erase(
    upstream_spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changes = diff_files(SPEC_PATH, upstream_spec)

    assert main([str(SPEC_PATH), str(upstream_spec)]) == 0
    out = capsys.readouterr().out
    assert "operations: 108 added, 0 removed, 1 changed" in out
    assert "tags: 5 added" in out
    erase = {c.kind for c in changes if c.where.startswith("eraseWhatsappContact ")}
    assert erase == {"docs"}
    assert [c for c in changes if c.kind == "breaking"] == []


def test_unreadable_spec_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.yaml"

    assert main([str(SPEC_PATH), str(missing)]) == 2
    assert "nope.yaml" in capsys.readouterr().err
