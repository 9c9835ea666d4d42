"""`call()` and `.generated`: any generated operation with the SDK's auth, retries and errors."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import httpx
import pytest
from kapso_platform import InternalServerError, NotFoundError, UnexpectedResponseError
from kapso_platform_api_client import Client
from kapso_platform_api_client.api.contacts import erase_whatsapp_contact

from tests.overlay_support import (
    API_KEY,
    PHONE,
    Recorder,
    async_client,
    error,
    load_package,
    no_content,
    operation,
    sync_client,
)
from tools.regen import regenerate

FIXTURES = Path(__file__).parent / "fixtures" / "overlay"


@pytest.fixture(scope="module")
def paging_package(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    out = tmp_path_factory.mktemp("call-client")
    regenerate(FIXTURES / "paging.yaml", out, None)
    return load_package(out / "kapso-platform-api-client" / "kapso_platform_api_client", "call_fx")


def test_call_runs_a_generated_operation_and_returns_its_parsed_value() -> None:
    recorder = Recorder([no_content()])
    with sync_client(recorder) as client:
        result = client.call(erase_whatsapp_contact, identifier="+14155550123")
    assert result is None
    assert recorder.requests[0].method == "DELETE"
    assert recorder.requests[0].headers["X-API-Key"] == API_KEY


def test_call_maps_errors_before_generated_parsing_sees_them() -> None:
    recorder = Recorder([error(404, "Contact not found")])
    with sync_client(recorder) as client, pytest.raises(NotFoundError, match="Contact not found"):
        client.call(erase_whatsapp_contact, identifier=PHONE)


def test_call_turns_a_520_into_a_typed_error_where_generated_code_would_crash() -> None:
    page = httpx.Response(520, content=b"<html>oops</html>", headers={"Content-Type": "text/html"})
    with (
        sync_client(Recorder([page]), max_retries=0) as client,
        pytest.raises(InternalServerError, match="520"),
    ):
        client.call(erase_whatsapp_contact, identifier=PHONE)
    with pytest.raises(ValueError, match="520"):
        erase_whatsapp_contact._build_response(client=client.generated, response=page)


def test_call_returns_models_of_any_generated_package(paging_package: ModuleType) -> None:
    meta = {"page": 1, "per_page": 20, "total_pages": 1, "total_count": 1}
    body = {"data": [{"id": "1", "name": "One"}], "meta": meta}
    with sync_client(Recorder([httpx.Response(200, json=body)])) as client:
        page = client.call(operation(paging_package, "api.items.list_items"), per_page=20)
    assert page.data[0].name == "One"
    assert page.meta.total_count == 1


def test_success_body_that_breaks_the_spec_is_a_typed_error(paging_package: ModuleType) -> None:
    broken = httpx.Response(200, json={"items": []})
    with sync_client(Recorder([broken])) as client, pytest.raises(UnexpectedResponseError) as e:
        client.call(operation(paging_package, "api.items.list_items"))
    assert "list_items" in str(e.value)
    assert "KeyError" in str(e.value)


def test_success_body_that_is_not_json_is_a_typed_error(paging_package: ModuleType) -> None:
    page = httpx.Response(200, content=b"<html>maintenance</html>")
    with sync_client(Recorder([page])) as client, pytest.raises(UnexpectedResponseError):
        client.call(operation(paging_package, "api.items.list_items"))


def test_call_refuses_something_that_is_not_an_operation_module() -> None:
    with sync_client(Recorder([no_content()])) as client, pytest.raises(TypeError, match="erase"):
        client.call(httpx, identifier=PHONE)


def test_generated_client_is_configured_with_auth_retries_and_timeout() -> None:
    recorder = Recorder([error(503, "busy"), no_content()])
    with sync_client(recorder) as client:
        assert isinstance(client.generated, Client)
        response = erase_whatsapp_contact.sync_detailed(identifier=PHONE, client=client.generated)
    assert response.status_code == 204
    assert len(recorder.requests) == 2
    assert recorder.requests[0].headers["X-API-Key"] == API_KEY
    assert recorder.requests[0].extensions["timeout"]["connect"] == 5.0


async def test_async_call_and_generated_client() -> None:
    recorder = Recorder([no_content(), error(404, "Contact not found")])
    async with async_client(recorder) as client:
        assert await client.call(erase_whatsapp_contact, identifier=PHONE) is None
        with pytest.raises(NotFoundError):
            await client.call(erase_whatsapp_contact, identifier=PHONE)
        response = await erase_whatsapp_contact.asyncio_detailed(
            identifier=PHONE, client=client.generated
        )
    assert response.status_code == 404
    assert recorder.requests[2].headers["X-API-Key"] == API_KEY
