"""Cold import of one endpoint module, each in a fresh interpreter, against `import httpx, attrs`.

httpx and attrs are what any generated endpoint needs anyway, so their import is the floor. The
full upstream package is generated twice into a temporary directory: with the project's lazy
`models/__init__` template and with the generator's stock one, to show what the template saves.
Bytecode is compiled by a first, unmeasured import, so every sample measures loading, not
compiling. Samples of all variants are interleaved, so machine load affects them alike.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import _upstream
from bench._report import figure, heading, median
from tests.servers import UPSTREAM_PATCH, UPSTREAM_SPEC
from tools.documents import DIST_NAME, GENERATED_PATH, PACKAGE_NAME
from tools.regen import regenerate

ROUNDS = 15
ENDPOINT = f"{PACKAGE_NAME}.api.contacts.erase_whatsapp_contact"
FLOOR = "httpx, attrs"


def _import_seconds(modules: str, path: Path | None) -> float:
    """Seconds a fresh interpreter spends on `import <modules>`, startup excluded."""
    code = (
        "import time; started = time.perf_counter()\n"
        f"import {modules}\n"
        "print(time.perf_counter() - started)"
    )
    env = dict(os.environ)
    if path is not None:
        env["PYTHONPATH"] = str(path)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return float(result.stdout)


def _variants(work: Path) -> dict[str, tuple[str, Path | None]]:
    """Label -> (modules to import, distribution to put first on sys.path)."""
    variants: dict[str, tuple[str, Path | None]] = {
        FLOOR: (FLOOR, None),
        "seed package: erase_whatsapp_contact": (ENDPOINT, GENERATED_PATH / DIST_NAME),
        "overlay (reference): import kapso_platform": ("kapso_platform", None),
    }
    if _upstream.available():
        regenerate(UPSTREAM_SPEC, work / "lazy", UPSTREAM_PATCH)
        _upstream.bare_generate(
            _upstream.patched_spec(work, as_json=True),
            work / "stock" / DIST_NAME,
            lazy_models=False,
        )
        variants["full package: erase_whatsapp_contact"] = (ENDPOINT, work / "lazy" / DIST_NAME)
        variants["full package, stock templates (reference)"] = (
            ENDPOINT,
            work / "stock" / DIST_NAME,
        )
    return variants


def main() -> None:
    heading("cold import of one endpoint module (fresh interpreter each)")
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        variants = _variants(Path(tmp))
        samples: dict[str, list[float]] = {label: [] for label in variants}
        for modules, path in variants.values():
            _import_seconds(modules, path)  # compiles bytecode; not measured
        for _ in range(ROUNDS):
            for label, (modules, path) in variants.items():
                samples[label].append(_import_seconds(modules, path))
    floor = median(samples[FLOOR])
    figure(f"import {FLOOR}, median of {ROUNDS}", f"{floor * 1000:.0f} ms", "-")
    for label, values in samples.items():
        if label == FLOOR:
            continue
        target = "-" if "reference" in label else "<= 2x"
        ratio = median(values) / floor
        figure(f"{label} / {FLOOR}", f"{ratio:.2f}x ({median(values) * 1000:.0f} ms)", target)


if __name__ == "__main__":
    main()
