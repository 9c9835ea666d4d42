"""OpenAPI Overlay 1.0 patches: remove, recursive merge, append, and loud failure on no match."""

from __future__ import annotations

from typing import Any

import pytest

from tools.patching import OverlayError, apply_overlay


def _overlay(*actions: dict[str, Any]) -> dict[str, Any]:
    return {"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": list(actions)}


SPEC: dict[str, Any] = {
    "info": {"title": "API", "version": "1"},
    "tags": [{"name": "Contacts"}],
    "components": {
        "schemas": {
            "A": {"type": "object", "properties": {"x": {"type": "string"}}, "oneOf": [{}, {}]},
            "B": {"type": "object", "properties": {"x": {"type": "integer"}}},
        }
    },
}


def test_remove_deletes_every_selected_node() -> None:
    patched = apply_overlay(
        SPEC, _overlay({"target": "$.components.schemas.A.oneOf", "remove": True})
    )
    assert "oneOf" not in patched["components"]["schemas"]["A"]
    assert "oneOf" in SPEC["components"]["schemas"]["A"], "the input spec must not be mutated"


def test_remove_with_a_wildcard_removes_from_every_match() -> None:
    action = {"target": "$.components.schemas.*.properties.x", "remove": True}
    patched = apply_overlay(SPEC, _overlay(action))
    assert all(s["properties"] == {} for s in patched["components"]["schemas"].values())


def test_update_merges_objects_recursively_and_replaces_scalars() -> None:
    update = {"properties": {"x": {"format": "uuid", "type": "number"}, "y": {"type": "boolean"}}}
    patched = apply_overlay(SPEC, _overlay({"target": "$.components.schemas.A", "update": update}))
    properties = patched["components"]["schemas"]["A"]["properties"]
    assert properties == {"x": {"type": "number", "format": "uuid"}, "y": {"type": "boolean"}}
    assert patched["components"]["schemas"]["A"]["oneOf"] == [{}, {}]


def test_update_on_an_array_appends_one_entry() -> None:
    patched = apply_overlay(SPEC, _overlay({"target": "$.tags", "update": {"name": "Media"}}))
    assert patched["tags"] == [{"name": "Contacts"}, {"name": "Media"}]


def test_filter_selectors_follow_rfc_9535() -> None:
    action = {
        "target": "$.components.schemas[?@.properties.x.type == 'integer']",
        "update": {"title": "B"},
    }
    patched = apply_overlay(SPEC, _overlay(action))
    assert patched["components"]["schemas"]["B"]["title"] == "B"
    assert "title" not in patched["components"]["schemas"]["A"]


def test_actions_that_match_nothing_are_all_reported_by_name() -> None:
    with pytest.raises(OverlayError) as caught:
        apply_overlay(
            SPEC,
            _overlay(
                {"target": "$.components.schemas.Gone", "description": "fix Gone", "remove": True},
                {"target": "$.components.schemas.A", "update": {"title": "kept"}},
                {"target": "$.paths['/moved']", "update": {"x": 1}},
            ),
        )
    message = str(caught.value)
    assert "2 overlay action(s) matched nothing" in message
    assert "'fix Gone' (target $.components.schemas.Gone)" in message
    assert "$.paths['/moved']" in message


@pytest.mark.parametrize(
    ("overlay", "expected"),
    [
        ({"actions": [{"target": "$", "remove": True}]}, "'overlay: 1.0.0' field is missing"),
        ({"overlay": "1.0.0", "actions": []}, "no 'actions' list"),
        ({"overlay": "1.0.0", "actions": [{"remove": True}]}, "action 1: needs a 'target'"),
        (
            {"overlay": "1.0.0", "actions": [{"target": "$.info"}]},
            "needs 'update' or 'remove: true'",
        ),
        (
            {"overlay": "1.0.0", "actions": [{"target": "$..[", "remove": True}]},
            "not RFC 9535 JSONPath",
        ),
    ],
)
def test_malformed_overlays_are_rejected_with_the_reason(
    overlay: dict[str, Any], expected: str
) -> None:
    with pytest.raises(OverlayError, match=expected.replace("(", r"\(").replace("[", r"\[")):
        apply_overlay(SPEC, overlay)


def test_merging_an_object_into_a_scalar_names_the_location() -> None:
    with pytest.raises(OverlayError, match=r"\$\['info'\]\['title'\]"):
        apply_overlay(SPEC, _overlay({"target": "$.info.title", "update": {"x": 1}}))
