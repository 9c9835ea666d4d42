"""Run every `bench/bench_*.py` module in its own interpreter, so cold-start figures stay cold."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    selected = sys.argv[1:]
    failed = 0
    for module in sorted(HERE.glob("bench_*.py")):
        if selected and module.stem not in selected:
            continue
        result = subprocess.run(
            [sys.executable, "-m", f"bench.{module.stem}"], cwd=HERE.parent, check=False
        )
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
