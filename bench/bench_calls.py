"""Per-call cost against a loopback keep-alive server answering 204, sync and async.

Three layers, each over its own warm connection: a raw httpx request, the generated
`erase_whatsapp_contact.sync_detailed` / `asyncio_detailed`, and the overlay's
`contacts.erase`. Batches of every variant are interleaved, so machine load affects them
alike; a figure is the median over batches of the mean per call in a batch. Two clocks: wall
time, and the client process's CPU time. The server (tests/loopback_server.py) runs in another
process, so CPU time is the client's own cost per call, which the 2 shared cores disturb far
less than wall time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from kapso_platform import AsyncKapso, Kapso
from kapso_platform_api_client import AuthenticatedClient
from kapso_platform_api_client.api.contacts import erase_whatsapp_contact

from bench._report import figure, heading, median
from tests.loopback_server import loopback_server

CONTACT = "3f2b8c9e-6d1a-4e2b-9c7f-1a2b3c4d5e6f"
PHONE = "+14155550123"
PATH = f"/whatsapp/contacts/{CONTACT}"
KEY = "bench-key"
WARM_UP = 200
BATCH = 50
BATCHES = 40

SyncCall = Callable[[], Any]
AsyncCall = Callable[[], Awaitable[Any]]


def _generated(url: str) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=url, token=KEY, prefix="", auth_header_name="X-API-Key")


Times = tuple[float, float]  # (wall, CPU) seconds per call


def _clocks() -> Times:
    return time.perf_counter(), time.process_time()


def _per_call(started: Times) -> Times:
    wall, cpu = _clocks()
    return (wall - started[0]) / BATCH, (cpu - started[1]) / BATCH


def _per_call_sync(call: SyncCall) -> Times:
    started = _clocks()
    for _ in range(BATCH):
        call()
    return _per_call(started)


async def _per_call_async(call: AsyncCall) -> Times:
    started = _clocks()
    for _ in range(BATCH):
        await call()
    return _per_call(started)


def _medians(samples: dict[str, list[Times]]) -> dict[str, Times]:
    return {
        label: (median([s[0] for s in values]), median([s[1] for s in values]))
        for label, values in samples.items()
    }


def _measure_sync(variants: dict[str, SyncCall]) -> dict[str, Times]:
    for call in variants.values():
        for _ in range(WARM_UP):
            call()
    samples: dict[str, list[Times]] = {label: [] for label in variants}
    for _ in range(BATCHES):
        for label, call in variants.items():
            samples[label].append(_per_call_sync(call))
    return _medians(samples)


async def _measure_async(variants: dict[str, AsyncCall]) -> dict[str, Times]:
    for call in variants.values():
        for _ in range(WARM_UP):
            await call()
    samples: dict[str, list[Times]] = {label: [] for label in variants}
    for _ in range(BATCHES):
        for label, call in variants.items():
            samples[label].append(await _per_call_async(call))
    return _medians(samples)


def _sync_figures(url: str) -> dict[str, Times]:
    headers = {"X-API-Key": KEY}
    with (
        httpx.Client(base_url=url, headers=headers) as raw,
        _generated(url) as generated,
        Kapso(KEY, base_url=url) as kapso,
    ):
        return _measure_sync(
            {
                "raw": lambda: raw.delete(PATH),
                "generated": lambda: erase_whatsapp_contact.sync_detailed(
                    CONTACT, client=generated
                ),
                "overlay": lambda: kapso.contacts.erase(CONTACT),
                "overlay, phone number": lambda: kapso.contacts.erase(PHONE),
            }
        )


async def _async_figures(url: str) -> dict[str, Times]:
    headers = {"X-API-Key": KEY}
    async with (
        httpx.AsyncClient(base_url=url, headers=headers) as raw,
        _generated(url) as generated,
        AsyncKapso(KEY, base_url=url) as kapso,
    ):
        return await _measure_async(
            {
                "raw": lambda: raw.delete(PATH),
                "generated": lambda: erase_whatsapp_contact.asyncio_detailed(
                    CONTACT, client=generated
                ),
                "overlay": lambda: kapso.contacts.erase(CONTACT),
                "overlay, phone number": lambda: kapso.contacts.erase(PHONE),
            }
        )


def _report(kind: str, times: dict[str, Times]) -> None:
    for clock, index in (("wall", 0), ("CPU", 1)):
        raw, generated, overlay = (times[name][index] for name in ("raw", "generated", "overlay"))
        phone = times["overlay, phone number"][index]
        figure(f"{kind}, {clock}: raw httpx request", f"{raw * 1e6:.0f} us", "-")
        figure(f"{kind}, {clock}: generated {kind}_detailed", f"{generated * 1e6:.0f} us", "-")
        figure(f"{kind}, {clock}: Kapso contacts.erase (UUID)", f"{overlay * 1e6:.0f} us", "-")
        figure(f"{kind}, {clock}: generated / raw httpx", f"{generated / raw:.2f}x", "-")
        figure(f"{kind}, {clock}: overlay / generated", f"{overlay / generated:.2f}x", "<= 1.10x")
        figure(
            f"{kind}, {clock}: overlay, E.164 number / generated", f"{phone / generated:.2f}x", "-"
        )


def main() -> None:
    heading(f"per-call cost, loopback 204, median of {BATCHES} batches of {BATCH}")
    with loopback_server() as server:
        url = server.url
        _report("sync", _sync_figures(url))
        _report("asyncio", asyncio.run(_async_figures(url)))


if __name__ == "__main__":
    main()
