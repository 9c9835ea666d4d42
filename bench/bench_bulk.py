"""Bulk erasure: throughput against added latency, pacing against a server limit, memory.

All servers are the loopback fault server of the tests. Figures are ratios measured in this one
run, so the machine's speed cancels out.
"""

from __future__ import annotations

import asyncio
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from kapso_platform import AsyncKapso, Kapso

from bench._report import figure, heading
from tests.faultserver import FaultServer, RequestLimit

COUNT = 2000
CONCURRENCY = 8
LATENCY = 0.020
UNLIMITED = 1e9  # requests per minute: the limiter never waits
# 600 requests a minute with time running 10 times faster: 600 per 6 s window.
SCALE = 10
LIMIT_PER_MINUTE = 600
MEMORY_INPUTS = 100_000


def phones(count: int) -> list[str]:
    return [
        f"+1415555{n % 10000:04d}" if n < 10000 else f"+1212555{n % 10000:04d}"
        for n in range(count)
    ]


def uuids(count: int) -> list[str]:
    return [f"123e4567-e89b-12d3-a456-{n:012d}" for n in range(count)]


async def sdk_seconds(url: str, identifiers: list[str]) -> float:
    async with AsyncKapso(api_key="bench-key", base_url=url) as client:
        started = time.perf_counter()
        results = [
            r
            async for r in client.contacts.erase_many(
                identifiers, concurrency=CONCURRENCY, rate_limit=UNLIMITED
            )
        ]
        seconds = time.perf_counter() - started
    assert sum(r.status == "queued" for r in results) == len(identifiers)
    return seconds


async def raw_httpx_seconds(url: str, identifiers: list[str]) -> float:
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, limits=limits) as client:
        queue = iter(identifiers)

        async def worker() -> None:
            for identifier in queue:
                response = await client.delete(
                    f"/whatsapp/contacts/{identifier}", headers={"X-API-Key": "bench-key"}
                )
                assert response.status_code == 204

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - started


def throughput() -> None:
    heading(f"{COUNT} erasures, {LATENCY * 1000:.0f} ms added latency, concurrency {CONCURRENCY}")
    identifiers = uuids(COUNT)
    with FaultServer(latency=LATENCY) as server:
        raw = asyncio.run(raw_httpx_seconds(server.url, identifiers))
        sdk = asyncio.run(sdk_seconds(server.url, identifiers))
    ideal = COUNT * LATENCY / CONCURRENCY
    figure(
        "erase_many throughput, fraction of concurrency/latency", f"{ideal / sdk:.1%}", ">= 90 %"
    )
    figure(
        "raw httpx.AsyncClient, fraction of concurrency/latency", f"{ideal / raw:.1%}", "(ceiling)"
    )
    figure("erase_many vs raw httpx.AsyncClient (same run)", f"{raw / sdk:.2f}x", ">= 0.95x")


def pacing() -> None:
    window = 60.0 / SCALE
    heading(
        f"{COUNT} erasures against a {LIMIT_PER_MINUTE}/min limit",
        f"time scaled x{SCALE}: {LIMIT_PER_MINUTE} per {window:.0f} s window",
    )
    limit = RequestLimit(per_window=LIMIT_PER_MINUTE, window_seconds=window)
    identifiers = uuids(COUNT)
    with (
        FaultServer(limit=limit) as server,
        Kapso(api_key="bench-key", base_url=server.url) as client,
    ):
        started = time.perf_counter()
        results = list(
            client.contacts.erase_many(
                identifiers, concurrency=CONCURRENCY, rate_limit=LIMIT_PER_MINUTE * SCALE
            )
        )
        seconds = time.perf_counter() - started
        rejected = server.count(429)
        busiest = server.max_per_window()
    assert sum(r.ok for r in results) == COUNT
    achieved = COUNT / seconds / (LIMIT_PER_MINUTE * SCALE / 60)
    figure("achieved rate, fraction of the limit", f"{achieved:.1%}", ">= 95 %")
    figure("429 answers", str(rejected), "0")
    figure(
        "most requests the server saw in one window", f"{busiest}/{LIMIT_PER_MINUTE}", "<= limit"
    )


def peak_rss_mb(inputs: int, folder: Path) -> tuple[float, float]:
    source = folder / f"in-{inputs}.txt"
    with source.open("w", encoding="utf-8") as handle:
        for number in range(inputs):
            handle.write(f"+1{200 + number % 700}555{number % 10000:04d}\n")
    report = folder / f"report-{inputs}.jsonl"
    command = [
        sys.executable,
        "-m",
        "kapso_platform",
        "contacts",
        "erase",
        "--from-file",
        str(source),
        "--report",
        str(report),
        "--dry-run",
    ]
    started = time.perf_counter()
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    # ru_maxrss of children is the largest of all children so far: run the small one first.
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, seconds


def memory() -> None:
    heading("kapso contacts erase --dry-run, streamed input")
    with tempfile.TemporaryDirectory() as work:
        small, _ = peak_rss_mb(1000, Path(work))
        large, seconds = peak_rss_mb(MEMORY_INPUTS, Path(work))
    figure("peak RSS, 1,000 inputs", f"{small:.1f} MB", "(baseline)")
    figure(f"peak RSS, {MEMORY_INPUTS:,} inputs", f"{large:.1f} MB", "~ baseline (streamed)")
    figure(f"dry-run speed, {MEMORY_INPUTS:,} inputs", f"{MEMORY_INPUTS / seconds:,.0f}/s", "-")


def main() -> None:
    throughput()
    pacing()
    memory()


if __name__ == "__main__":
    main()
