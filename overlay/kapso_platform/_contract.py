"""The overlay's consumer contract: every part of the Kapso spec the hand-written code relies on.

`make check` (tools/contract.py) verifies each point against the vendored spec, so a spec change
that would break the overlay fails CI with a line naming the operation and the item, and a test
checks that every generated operation module the overlay imports is declared here. When the
overlay starts to send, map or read something new, declare it here in the same change.

Plain frozen dataclasses only: this module is read by the tools without importing the SDK, the
generated client or anything that needs the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ParameterLocation = Literal["path", "query", "header", "cookie"]
JsonType = Literal["string", "integer", "number", "boolean", "object", "array", "null"]


@dataclass(frozen=True)
class Parameter:
    """A parameter the overlay sends; `required` says whether it always sends it."""

    name: str
    location: ParameterLocation
    required: bool


@dataclass(frozen=True)
class Field:
    """A JSON body field the overlay sends or reads, with the JSON type its code expects."""

    name: str
    type: JsonType
    required: bool = True


@dataclass(frozen=True)
class Response:
    """A status the overlay maps; `fields` are read from its body, which must then be an object."""

    status: str
    fields: tuple[Field, ...] = ()
    media_type: str = "application/json"


@dataclass(frozen=True)
class Operation:
    """One operation the overlay calls, through the generated module named by `module`."""

    name: str
    operation_id: str
    method: str
    path: str
    module: str
    parameters: tuple[Parameter, ...]
    responses: tuple[Response, ...]
    request_fields: tuple[Field, ...] = ()

    @property
    def title(self) -> str:
        """How failure messages name this operation: `contacts.erase: DELETE /path`."""
        return f"{self.name}: {self.method} {self.path}"


@dataclass(frozen=True)
class Contract:
    """Everything the overlay depends on: the default server, the auth header, the operations."""

    base_url: str
    api_key_header: str
    operations: tuple[Operation, ...]


_ERROR_BODY = (Field("error", "string"),)

CONTRACT = Contract(
    base_url="https://api.kapso.ai/platform/v1",
    api_key_header="X-API-Key",
    operations=(
        Operation(
            name="contacts.erase",
            operation_id="eraseWhatsappContact",
            method="DELETE",
            path="/whatsapp/contacts/{identifier}",
            module="kapso_platform_api_client.api.contacts.erase_whatsapp_contact",
            parameters=(Parameter("identifier", "path", required=True),),
            responses=(
                Response("204"),
                Response("404", _ERROR_BODY),
                Response("422", _ERROR_BODY),
            ),
        ),
    ),
)
