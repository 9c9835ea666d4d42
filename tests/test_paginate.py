"""`paginate()` across both paging styles, on fixture specs and on the full upstream spec."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from kapso_platform import AuthenticationError, PaginationError
from kapso_platform_api_client.api.contacts import erase_whatsapp_contact

from tests import servers
from tests.overlay_support import Recorder, Spy, async_client, load_package, operation, sync_client
from tools.regen import regenerate

FIXTURES = Path(__file__).parent / "fixtures" / "overlay"
pytestmark = pytest.mark.slow

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(scope="session")
def paging_package(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The overlay's paging fixture spec, generated and imported under its own name."""
    out = tmp_path_factory.mktemp("paging-client")
    regenerate(FIXTURES / "paging.yaml", out, None)
    return load_package(
        out / "kapso-platform-api-client" / "kapso_platform_api_client", "paging_fx"
    )


@pytest.fixture(scope="session")
def upstream_package(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The full upstream spec, generated with the one patch its webhook oneOf needs."""
    if not servers.UPSTREAM_SPEC.exists():
        pytest.skip(f"{servers.UPSTREAM_SPEC} is absent: the full upstream spec lives in ../shared")
    out = tmp_path_factory.mktemp("upstream-client")
    regenerate(servers.UPSTREAM_SPEC, out, FIXTURES / "upstream-patch.yaml")
    package_dir = out / "kapso-platform-api-client" / "kapso_platform_api_client"
    return load_package(package_dir, "upstream_fx")


def offset_api(records: list[dict[str, Any]], *, stuck: bool = False) -> Handler:
    """Serve `records` in offset pages; `stuck` ignores the page asked for (a broken server)."""

    def handle(request: httpx.Request) -> httpx.Response:
        per_page = int(request.url.params.get("per_page", "20"))
        page = 1 if stuck else int(request.url.params.get("page", "1"))
        total_pages = -(-len(records) // per_page)
        chunk = records[(page - 1) * per_page : page * per_page]
        meta = {
            "page": page,
            "per_page": per_page,
            "total_pages": total_pages,
            "total_count": len(records),
        }
        return httpx.Response(200, json={"data": chunk, "meta": meta})

    return handle


def cursor_of(index: int) -> str:
    return base64.b64encode(f'{{"offset":{index}}}'.encode()).decode()


def cursor_api(records: list[dict[str, Any]], *, limit: int = 2, repeat: bool = False) -> Handler:
    """Serve `records` in cursor pages Graph-style; `repeat` always sends the same cursor."""

    def handle(request: httpx.Request) -> httpx.Response:
        after = request.url.params.get("after")
        start = 0 if after is None else int(base64.b64decode(after).decode()[10:-1])
        size = int(request.url.params.get("limit", str(limit)))
        chunk = records[start : start + size]
        end = start + len(chunk)
        more = end < len(records)
        next_cursor = cursor_of(2 if repeat else end)
        paging = {
            "cursors": {"before": cursor_of(start), "after": next_cursor},
            "next": f"https://api.kapso.test/platform/v1/events?after={next_cursor}"
            if more
            else None,
            "previous": None,
        }
        return httpx.Response(200, json={"data": chunk, "paging": paging})

    return handle


ITEMS = [{"id": f"item-{n}", "name": f"Item {n}"} for n in range(5)]
EVENTS = [{"id": f"evt-{n}"} for n in range(5)]


def test_offset_style_walks_every_page_and_stops_at_the_last(paging_package: ModuleType) -> None:
    spy = Spy(offset_api(ITEMS))
    with sync_client(spy) as client:
        items = list(client.paginate(operation(paging_package, "api.items.list_items"), per_page=2))
    assert [item.id for item in items] == [item["id"] for item in ITEMS]
    assert [r.url.params["page"] for r in spy.requests] == ["1", "2", "3"]
    assert {r.url.params["per_page"] for r in spy.requests} == {"2"}


def test_offset_style_with_no_results_makes_one_request(paging_package: ModuleType) -> None:
    spy = Spy(offset_api([]))
    with sync_client(spy) as client:
        items = list(client.paginate(operation(paging_package, "api.items.list_items")))
    assert items == []
    assert len(spy.requests) == 1


def test_offset_style_stuck_on_one_page_raises_instead_of_looping(
    paging_package: ModuleType,
) -> None:
    with sync_client(offset_api(ITEMS, stuck=True)) as client:
        pages = client.paginate(operation(paging_package, "api.items.list_items"), per_page=2)
        with pytest.raises(PaginationError, match="page 2 a second time"):
            list(pages)


def test_cursor_style_follows_after_until_next_is_null(paging_package: ModuleType) -> None:
    spy = Spy(cursor_api(EVENTS))
    with sync_client(spy) as client:
        events = list(client.paginate(operation(paging_package, "api.events.list_events"), limit=2))
    assert [event.id for event in events] == [event["id"] for event in EVENTS]
    assert [r.url.params.get("after") for r in spy.requests] == [None, cursor_of(2), cursor_of(4)]


def test_cursor_style_drops_before_when_moving_forward(paging_package: ModuleType) -> None:
    spy = Spy(cursor_api(EVENTS))
    with sync_client(spy) as client:
        list(client.paginate(operation(paging_package, "api.events.list_events"), before="x"))
    assert spy.requests[0].url.params.get("before") == "x"
    assert all("before" not in r.url.params for r in spy.requests[1:])


def test_cursor_style_repeated_cursor_raises_instead_of_looping(
    paging_package: ModuleType,
) -> None:
    with sync_client(cursor_api(EVENTS * 3, repeat=True)) as client:
        events = client.paginate(operation(paging_package, "api.events.list_events"), limit=2)
        with pytest.raises(PaginationError, match="second time"):
            list(events)


def test_cursor_style_stops_on_an_empty_page(paging_package: ModuleType) -> None:
    paging = {"cursors": {"after": "abc"}, "next": "https://api.kapso.test/x?after=abc"}
    recorder = Recorder([httpx.Response(200, json={"data": [], "paging": paging})])
    with sync_client(recorder) as client:
        assert list(client.paginate(operation(paging_package, "api.events.list_events"))) == []
    assert len(recorder.requests) == 1


def test_error_on_a_later_page_raises_the_typed_error(paging_package: ModuleType) -> None:
    first = offset_api(ITEMS)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return httpx.Response(401, json={"error": "Invalid API key"})
        return first(request)

    with sync_client(handle) as client:
        items = client.paginate(operation(paging_package, "api.items.list_items"), per_page=2)
        assert next(items).id == "item-0"
        with pytest.raises(AuthenticationError, match="Invalid API key"):
            list(items)


def test_paginate_refuses_an_operation_that_returns_no_list() -> None:
    with (
        sync_client(Recorder([httpx.Response(204)])) as client,
        pytest.raises(PaginationError, match=r"call\(\) instead"),
    ):
        list(client.paginate(erase_whatsapp_contact, identifier="+14155550123"))


async def test_async_offset_and_cursor_styles_walk_every_page(paging_package: ModuleType) -> None:
    async with async_client(offset_api(ITEMS)) as client:
        list_items = operation(paging_package, "api.items.list_items")
        items = [item async for item in client.paginate(list_items, per_page=2)]
    assert len(items) == 5
    async with async_client(cursor_api(EVENTS)) as client:
        list_events = operation(paging_package, "api.events.list_events")
        events = [event async for event in client.paginate(list_events, limit=3)]
    assert [event.id for event in events] == [event["id"] for event in EVENTS]


async def test_async_repeated_cursor_raises(paging_package: ModuleType) -> None:
    async with async_client(cursor_api(EVENTS * 3, repeat=True)) as client:
        list_events = operation(paging_package, "api.events.list_events")
        with pytest.raises(PaginationError):
            _ = [event async for event in client.paginate(list_events, limit=2)]


def customer(n: int) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "name": f"Customer {n}",
        "external_customer_id": None,
        "created_at": "2025-06-01T12:00:00Z",
        "updated_at": "2025-06-01T12:00:00Z",
    }


def conversation(n: int) -> dict[str, Any]:
    return {
        "id": f"c63ced48-1283-4d55-8c8d-{n:012d}",
        "phone_number": "14155550123",
        "status": "active",
        "created_at": "2025-06-01T12:00:00Z",
        "updated_at": "2025-07-16T09:45:00Z",
        "metadata": {},
        "phone_number_id": "1234567890",
    }


def test_upstream_list_customers_is_walked_offset_style(upstream_package: ModuleType) -> None:
    spy = Spy(offset_api([customer(n) for n in range(3)]))
    with sync_client(spy) as client:
        list_customers = operation(upstream_package, "api.customers.list_customers")
        customers = list(client.paginate(list_customers, per_page=2))
    assert [c.name for c in customers] == ["Customer 0", "Customer 1", "Customer 2"]
    assert [r.url.path for r in spy.requests] == ["/platform/v1/customers"] * 2


def test_upstream_list_conversations_is_walked_cursor_style(upstream_package: ModuleType) -> None:
    spy = Spy(cursor_api([conversation(n) for n in range(5)]))
    with sync_client(spy) as client:
        list_conversations = operation(
            upstream_package, "api.conversations.list_whatsapp_conversations"
        )
        conversations = list(client.paginate(list_conversations, limit=2))
    assert len(conversations) == 5
    assert len({c.id for c in conversations}) == 5
    assert [r.url.path for r in spy.requests] == ["/platform/v1/whatsapp/conversations"] * 3


def test_upstream_single_page_conversations_stop_on_null_next(
    upstream_package: ModuleType,
) -> None:
    # The upstream example: an `after` cursor is present but `next` is null on the last page.
    paging = {"cursors": {"before": "YQ==", "after": "Yg=="}, "next": None, "previous": None}
    body = {"data": [conversation(1)], "paging": paging}
    recorder = Recorder([httpx.Response(200, json=body)])
    with sync_client(recorder) as client:
        list_conversations = operation(
            upstream_package, "api.conversations.list_whatsapp_conversations"
        )
        assert len(list(client.paginate(list_conversations))) == 1
    assert len(recorder.requests) == 1


async def test_upstream_async_customers_walk(upstream_package: ModuleType) -> None:
    async with async_client(offset_api([customer(n) for n in range(5)])) as client:
        list_customers = operation(upstream_package, "api.customers.list_customers")
        names = [c.name async for c in client.paginate(list_customers, per_page=2)]
    assert len(names) == 5
