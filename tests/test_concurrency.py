"""One client shared by many threads or tasks: every call answered once, the pool bounded, and
nothing (sockets, tasks) left behind once the client is closed.

The loopback server runs in its own process and lingers a millisecond on each answer, so the
requests overlap. HTTP/1.1 carries one request at a time per connection, so the most requests
the server held at one moment is a floor under the connections the client had open at once;
the connection pool's limit must be a ceiling over it. The server's count of open connections
is not used for that: it can lag a close the client already made.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from kapso_platform import AsyncKapso, Erasure, Kapso
from kapso_platform._config import DEFAULT_POOL_LIMITS

from tests.loopback_server import LoopbackServer, loopback_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

API_KEY = "sk_test_concurrency_0123456789"
TOTAL = 5_000
THREADS = 32
TASKS = 500
POOL: int = DEFAULT_POOL_LIMITS.max_connections or 0


def open_fds() -> int:
    """How many file descriptors this process holds."""
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with loopback_server(linger=0.001) as running:
        yield running


def kept_alive(requests: int) -> int:
    """Most connections `requests` may use when the pool reuses them (it may replace a few)."""
    return requests // 50


def contacts(count: int) -> list[str]:
    """Distinct contact UUIDs, so the server's record shows each erasure arrived exactly once."""
    return [str(uuid.UUID(int=number + 1)) for number in range(count)]


def expected_paths(identifiers: list[str]) -> dict[str, int]:
    return {f"/whatsapp/contacts/{identifier}": 1 for identifier in identifiers}


def erase_in_threads(kapso: Kapso, identifiers: list[str], threads: int) -> list[Erasure]:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(kapso.contacts.erase, identifiers))


def test_one_client_shared_by_32_threads_erases_5000_contacts(server: LoopbackServer) -> None:
    identifiers, fds = contacts(TOTAL), open_fds()
    with Kapso(API_KEY, base_url=server.url) as kapso:
        erasures = erase_in_threads(kapso, identifiers, THREADS)
    stats = server.stats()
    assert [erasure.identifier for erasure in erasures] == identifiers
    assert {erasure.attempts for erasure in erasures} == {1}
    assert stats.paths == expected_paths(identifiers)
    assert 1 < stats.peak_in_flight <= POOL
    assert stats.connections <= kept_alive(TOTAL)
    assert open_fds() == fds
    assert stats.open_connections == 0


def test_threads_never_hold_more_connections_than_a_callers_pool_allows(
    server: LoopbackServer,
) -> None:
    identifiers, fds = contacts(1_000), open_fds()
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    with (
        httpx.Client(limits=limits) as http_client,
        Kapso(API_KEY, base_url=server.url, http_client=http_client) as kapso,
    ):
        erasures = erase_in_threads(kapso, identifiers, THREADS)
    stats = server.stats()
    assert len(erasures) == len(identifiers)
    assert stats.paths == expected_paths(identifiers)
    assert 1 < stats.peak_in_flight <= 4
    assert stats.connections <= kept_alive(len(identifiers))
    assert open_fds() == fds


async def erase_in_tasks(kapso: AsyncKapso, identifiers: list[str], tasks: int) -> list[Erasure]:
    async def worker(share: list[str]) -> list[Erasure]:
        return [await kapso.contacts.erase(identifier) for identifier in share]

    shares = [identifiers[start::tasks] for start in range(tasks)]
    results = await asyncio.gather(*(worker(share) for share in shares))
    return [erasure for result in results for erasure in result]


async def test_one_async_client_shared_by_500_tasks_erases_5000_contacts(
    server: LoopbackServer,
) -> None:
    identifiers, fds = contacts(TOTAL), open_fds()
    async with AsyncKapso(API_KEY, base_url=server.url) as kapso:
        erasures = await erase_in_tasks(kapso, identifiers, TASKS)
    stats = server.stats()
    assert sorted(erasure.identifier for erasure in erasures) == sorted(identifiers)
    assert {erasure.attempts for erasure in erasures} == {1}
    assert stats.paths == expected_paths(identifiers)
    assert 1 < stats.peak_in_flight <= POOL
    assert stats.connections <= kept_alive(TOTAL)
    assert open_fds() == fds
    assert stats.open_connections == 0
    assert asyncio.all_tasks() == {asyncio.current_task()}
