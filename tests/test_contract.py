"""The consumer contract check: each point of the declaration, broken one at a time."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tools.contract import contract_problems, load_contract
from tools.documents import SPEC_PATH, load_document

CONTRACT = load_contract().CONTRACT
TITLE = "contacts.erase: DELETE /whatsapp/contacts/{identifier}"
Document = dict[str, Any]


@pytest.fixture
def spec() -> Document:
    return copy.deepcopy(load_document(SPEC_PATH))


def erase(document: Document) -> Document:
    operation: Document = document["paths"]["/whatsapp/contacts/{identifier}"]["delete"]
    return operation


def test_vendored_spec_holds(spec: Document) -> None:
    assert contract_problems(spec, CONTRACT) == []


def test_required_request_body_is_a_problem_for_an_operation_that_sends_none(
    spec: Document,
) -> None:
    erase(spec)["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }

    assert contract_problems(spec, CONTRACT) == [
        f"{TITLE}: a request body is now required; the overlay sends none"
    ]


def test_error_body_that_is_no_longer_an_object_is_named(spec: Document) -> None:
    erase(spec)["responses"]["404"]["content"]["application/json"]["schema"] = {"type": "string"}

    assert contract_problems(spec, CONTRACT) == [
        f"{TITLE}: response 404 body is no longer an object (now string)"
    ]


def test_error_field_that_may_be_null_or_missing_is_named(spec: Document) -> None:
    error_response = spec["components"]["schemas"]["ErrorResponse"]
    error_response["required"] = []
    error_response["properties"]["error"]["type"] = ["string", "null"]

    problems = contract_problems(spec, CONTRACT)

    nullable = "response 404 field 'error' is now null/string, the overlay expects string"
    optional = "response 422 field 'error' is no longer required; the overlay relies on it"
    assert f"{TITLE}: {nullable}" in problems
    assert f"{TITLE}: {optional}" in problems


def test_error_body_moved_to_another_media_type_is_named(spec: Document) -> None:
    content = erase(spec)["responses"]["422"]["content"]
    content["application/problem+json"] = content.pop("application/json")

    assert contract_problems(spec, CONTRACT) == [
        f"{TITLE}: response 422 no longer has a application/json body"
    ]


def test_auth_by_another_scheme_is_named(spec: Document) -> None:
    spec["components"]["securitySchemes"] = {"Bearer": {"type": "http", "scheme": "bearer"}}
    spec["security"] = [{"Bearer": []}]

    assert contract_problems(spec, CONTRACT) == [
        f"{TITLE}: auth is now Bearer; the overlay authenticates with the X-API-Key header only"
    ]


def test_optional_new_parameter_is_not_a_problem(spec: Document) -> None:
    erase(spec)["parameters"] = [{"name": "reason", "in": "query", "schema": {"type": "string"}}]

    assert contract_problems(spec, CONTRACT) == []
