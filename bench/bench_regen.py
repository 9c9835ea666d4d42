"""`make regen` of the full upstream spec against the generator's bare CLI on the same input.

Both run alternately in one process tree, so machine load affects them alike. The bare run gets
the spec already patched, saved as YAML like the file upstream publishes; `make regen` parses and
patches the original itself, checks for losses, post-processes and swaps the output into place:
the ratio is what that pipeline costs on top of the generator.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import _upstream
from bench._report import figure, heading, median

ROUNDS = 4


def _seconds(step: Callable[[], None]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def main() -> None:
    heading("make regen vs bare openapi-python-client generate (full upstream spec)")
    if not _upstream.available():
        return
    with tempfile.TemporaryDirectory(prefix="bench-regen-") as tmp:
        work = Path(tmp)
        spec = _upstream.patched_spec(work)
        regen_out, bare_out = work / "regen", work / "bare"
        regen: list[float] = []
        bare: list[float] = []
        _upstream.make_regen(regen_out)  # warm-up: file caches, first-run bytecode
        for _ in range(ROUNDS):
            regen.append(_seconds(lambda: _upstream.make_regen(regen_out)))
            bare.append(_seconds(lambda: _upstream.bare_generate(spec, bare_out)))
    figure(f"make regen, median of {ROUNDS}", f"{median(regen):.2f} s", "-")
    figure(f"bare generate, median of {ROUNDS}", f"{median(bare):.2f} s", "-")
    figure("ratio make regen / bare generate", f"{median(regen) / median(bare):.2f}x", "<= 1.25x")


if __name__ == "__main__":
    main()
