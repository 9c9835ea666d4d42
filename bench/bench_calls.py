"""Per-call cost against a loopback keep-alive server answering 204, sync and async.

Three layers, each over its own warm connection: a raw httpx request, the generated
`erase_whatsapp_contact.sync_detailed` / `asyncio_detailed`, and the overlay's
`contacts.erase`. Batches of every variant are interleaved, so machine load affects them
alike (in an order that rotates each round); a time is the median over rounds of the mean per
call in a batch, a ratio the median over rounds of the two variants' ratio. Two clocks: wall
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
BATCHES = 80

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


Samples = dict[str, list[Times]]  # variant -> one (wall, CPU) per round


def _rotated(labels: list[str], round_number: int) -> list[str]:
    """The variants in a different order each round, so none always follows the same one."""
    shift = round_number % len(labels)
    return labels[shift:] + labels[:shift]


def _measure_sync(variants: dict[str, SyncCall]) -> Samples:
    for call in variants.values():
        for _ in range(WARM_UP):
            call()
    samples: Samples = {label: [] for label in variants}
    for round_number in range(BATCHES):
        for label in _rotated(list(variants), round_number):
            samples[label].append(_per_call_sync(variants[label]))
    return samples


async def _measure_async(variants: dict[str, AsyncCall]) -> Samples:
    for call in variants.values():
        for _ in range(WARM_UP):
            await call()
    samples: Samples = {label: [] for label in variants}
    for round_number in range(BATCHES):
        for label in _rotated(list(variants), round_number):
            samples[label].append(await _per_call_async(variants[label]))
    return samples


def _median_time(samples: Samples, label: str, clock: int) -> float:
    return median([sample[clock] for sample in samples[label]])


def _median_ratio(samples: Samples, label: str, base: str, clock: int) -> float:
    """Median over rounds of label/base within a round: load that drifts between rounds cancels."""
    pairs = zip(samples[label], samples[base], strict=True)
    return median([mine[clock] / theirs[clock] for mine, theirs in pairs])


def _sync_figures(url: str) -> Samples:
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


async def _async_figures(url: str) -> Samples:
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


def _report(kind: str, samples: Samples) -> None:
    for clock, index in (("wall", 0), ("CPU", 1)):
        for label, name in (
            ("raw", "raw httpx request"),
            ("generated", f"generated {kind}_detailed"),
            ("overlay", "Kapso contacts.erase (UUID)"),
        ):
            value = _median_time(samples, label, index) * 1e6
            figure(f"{kind}, {clock}: {name}", f"{value:.0f} us", "-")
        ratios = (
            ("generated", "raw", "generated / raw httpx", "-"),
            ("overlay", "generated", "overlay / generated", "<= 1.10x"),
            ("overlay, phone number", "generated", "overlay, E.164 number / generated", "-"),
        )
        for label, base, name, target in ratios:
            ratio = _median_ratio(samples, label, base, index)
            figure(f"{kind}, {clock}: {name}", f"{ratio:.2f}x", target)


def main() -> None:
    heading(f"per-call cost, loopback 204, median of {BATCHES} batches of {BATCH}")
    with loopback_server() as server:
        url = server.url
        _report("sync", _sync_figures(url))
        _report("asyncio", asyncio.run(_async_figures(url)))


if __name__ == "__main__":
    main()
