"""The checks check themselves: each mutation of the vendored spec is caught, or passes, rightly.

Breaking mutations must fail the consumer contract (a step of `make check`) and `make spec-diff`,
both naming the item; harmless ones must pass the contract and show in spec-diff as "added" or
"docs". Any mutation vendored without a regen must be caught by `make check` too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tools import speclock
from tools.check import generated_problems, spec_problems
from tools.contract import check_contract
from tools.documents import SPEC_PATH, load_document, write_json
from tools.spec_diff import diff_documents, main

ERASE_PATH = "/whatsapp/contacts/{identifier}"
ERASE_LABEL = f"eraseWhatsappContact DELETE {ERASE_PATH}"
Document = dict[str, Any]


@dataclass(frozen=True)
class Mutation:
    """A change to the spec, and the words that the messages about it must contain."""

    name: str
    apply: Callable[[Document], None]
    contract_names: str  # in a contract line, "" when the contract must hold
    diff_names: str  # in a spec-diff line of kind `diff_kind`
    diff_kind: str

    @property
    def breaking(self) -> bool:
        return self.diff_kind == "breaking"


def _erase(document: Document) -> Document:
    operation: Document = document["paths"][ERASE_PATH]["delete"]
    return operation


def remove_422(document: Document) -> None:
    del _erase(document)["responses"]["422"]


def rename_identifier(document: Document) -> None:
    item = document["paths"].pop(ERASE_PATH)
    item["parameters"][0]["name"] = "contact"
    document["paths"]["/whatsapp/contacts/{contact}"] = item


def error_becomes_integer(document: Document) -> None:
    document["components"]["schemas"]["ErrorResponse"]["properties"]["error"]["type"] = "integer"


def add_required_query_parameter(document: Document) -> None:
    _erase(document)["parameters"] = [
        {"name": "reason", "in": "query", "required": True, "schema": {"type": "string"}}
    ]


def remove_operation(document: Document) -> None:
    del document["paths"][ERASE_PATH]["delete"]


def rename_operation_id(document: Document) -> None:
    _erase(document)["operationId"] = "deleteContact"


def move_server(document: Document) -> None:
    document["servers"][0]["url"] = "https://api.kapso.ai/platform/v2"


def add_unrelated_operation(document: Document) -> None:
    document["paths"]["/whatsapp/contacts"] = {
        "get": {
            "tags": ["Contacts"],
            "summary": "List contacts",
            "operationId": "listWhatsappContacts",
            "responses": {"200": {"description": "Contacts"}},
        }
    }


def change_description(document: Document) -> None:
    _erase(document)["description"] = "Erase a contact and everything attached to it."


MUTATIONS = [
    Mutation(
        "remove-422",
        remove_422,
        contract_names="response 422 no longer declared",
        diff_names="response 422 removed",
        diff_kind="breaking",
    ),
    Mutation(
        "rename-identifier",
        rename_identifier,
        contract_names="parameter 'identifier' (path)",
        diff_names="path parameter identifier renamed to contact",
        diff_kind="breaking",
    ),
    Mutation(
        "error-integer",
        error_becomes_integer,
        contract_names="response 404 field 'error' is now integer",
        diff_names=".error: type changed from string to integer",
        diff_kind="breaking",
    ),
    Mutation(
        "required-query",
        add_required_query_parameter,
        contract_names="new required parameter 'reason'",
        diff_names="new required parameter reason (query)",
        diff_kind="breaking",
    ),
    Mutation(
        "remove-operation",
        remove_operation,
        contract_names="'eraseWhatsappContact' no longer declared",
        diff_names=f"{ERASE_LABEL}: operation removed",
        diff_kind="breaking",
    ),
    Mutation(
        "rename-operation-id",
        rename_operation_id,
        contract_names="operationId 'eraseWhatsappContact' is now 'deleteContact'",
        diff_names="operationId renamed to deleteContact",
        diff_kind="breaking",
    ),
    Mutation(
        "move-server",
        move_server,
        contract_names="servers: the default base URL is now",
        diff_names="servers: default base URL moved",
        diff_kind="breaking",
    ),
    Mutation(
        "add-operation",
        add_unrelated_operation,
        contract_names="",
        diff_names="listWhatsappContacts GET /whatsapp/contacts: operation added",
        diff_kind="added",
    ),
    Mutation(
        "describe",
        change_description,
        contract_names="",
        diff_names=f"{ERASE_LABEL}: description changed",
        diff_kind="docs",
    ),
]

BREAKING = [mutation for mutation in MUTATIONS if mutation.breaking]
HARMLESS = [mutation for mutation in MUTATIONS if not mutation.breaking]


def ids(mutation: Mutation) -> str:
    return mutation.name


@pytest.fixture(scope="module")
def seed() -> Document:
    return load_document(SPEC_PATH)


@pytest.fixture(scope="module")
def mutated(seed: Document, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each mutation applied to a copy of the vendored spec, written to its own workspace."""
    written = {}
    for mutation in MUTATIONS:
        document = copy.deepcopy(seed)
        mutation.apply(document)
        path = tmp_path_factory.mktemp(mutation.name) / "openapi-platform.json"
        write_json(document, path)
        written[mutation.name] = path
    return written


@pytest.mark.parametrize("mutation", BREAKING, ids=ids)
def test_breaking_mutation_fails_the_contract_naming_the_item(
    mutation: Mutation, mutated: dict[str, Path]
) -> None:
    lines = check_contract(mutated[mutation.name])

    assert any(mutation.contract_names in line for line in lines), lines
    assert "update the declaration" in lines[-1]


@pytest.mark.parametrize("mutation", HARMLESS, ids=ids)
def test_harmless_mutation_keeps_the_contract(mutation: Mutation, mutated: dict[str, Path]) -> None:
    assert check_contract(mutated[mutation.name]) == []


@pytest.mark.parametrize("mutation", MUTATIONS, ids=ids)
def test_spec_diff_classifies_the_mutation_and_names_the_item(
    mutation: Mutation, seed: Document, mutated: dict[str, Path]
) -> None:
    changes = diff_documents(seed, load_document(mutated[mutation.name]))

    named = [c for c in changes if mutation.diff_names in str(c) and c.kind == mutation.diff_kind]
    assert named, [str(change) for change in changes]
    if not mutation.breaking:
        assert [c for c in changes if c.kind == "breaking"] == []


@pytest.mark.parametrize("mutation", MUTATIONS, ids=ids)
def test_make_spec_diff_exits_1_exactly_for_breaking_mutations(
    mutation: Mutation, mutated: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    status = main([str(SPEC_PATH), str(mutated[mutation.name])])

    out = capsys.readouterr().out
    assert status == (1 if mutation.breaking else 0), out
    assert mutation.diff_names in out


@pytest.mark.parametrize("mutation", MUTATIONS, ids=ids)
def test_mutated_spec_stays_valid_openapi_so_only_the_other_checks_can_catch_it(
    mutation: Mutation, mutated: dict[str, Path]
) -> None:
    assert spec_problems(mutated[mutation.name]) == []


@pytest.mark.parametrize("mutation", MUTATIONS, ids=ids)
def test_mutation_vendored_without_regen_fails_the_lock_check(
    mutation: Mutation, mutated: dict[str, Path]
) -> None:
    lines = speclock.problems(spec=mutated[mutation.name])

    assert any("spec.sha256" in line for line in lines), lines


@pytest.mark.slow
@pytest.mark.parametrize("mutation", [m for m in MUTATIONS if m.name != "move-server"], ids=ids)
def test_mutation_vendored_without_regen_fails_the_regen_diff(
    mutation: Mutation, mutated: dict[str, Path]
) -> None:
    lines = generated_problems(spec=mutated[mutation.name])

    assert lines, "a regen of the mutated spec produced the committed generated/ unchanged"
    assert "run make regen" in lines[-1] or "fails" in lines[0]


@pytest.mark.slow
def test_moving_the_server_leaves_generated_code_unchanged_so_only_lock_and_contract_see_it(
    mutated: dict[str, Path],
) -> None:
    # The generated client takes its base URL from the caller, never from `servers`.
    assert generated_problems(spec=mutated["move-server"]) == []
