"""`make demo`: erase contacts through the `kapso` command line against a local Prism mock.

Starts Prism on a free loopback port, erases one contact, then the sample request file (with
its progress, summary and report), and stops the mock. The API key is a dummy: only the mock
ever sees it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from tests import servers

SAMPLE = Path("tests") / "fixtures" / "sample-erasures.csv"
DUMMY_KEY = "demo-key-for-the-local-mock"


def _run(command: list[str], env: dict[str, str], expected: int) -> None:
    print(f"\n$ {shlex.join(['kapso', *command[3:]])}", flush=True)
    code = subprocess.run(command, env=env, check=False).returncode
    print(f"(exit code {code})", flush=True)
    if code != expected:
        raise SystemExit(f"demo: expected exit code {expected}, got {code}")


def _show_report(report: Path) -> None:
    print(f"\n$ cat {report.name}   # one JSON line per input, mode 0600", flush=True)
    print(report.read_text(encoding="utf-8"), end="", flush=True)


def main() -> int:
    """Run the demo; a non-zero exit means something did not behave as documented."""
    kapso = [sys.executable, "-m", "kapso_platform"]
    with servers.prism(servers.ROOT / "openapi-platform.yaml") as base_url:
        print(f"Prism mock of openapi-platform.yaml listening on {base_url}")
        env = {**os.environ, "KAPSO_API_KEY": DUMMY_KEY, "KAPSO_BASE_URL": base_url}
        _run([*kapso, "contacts", "erase", "+14155550123"], env, expected=0)
        with tempfile.TemporaryDirectory() as work:
            report = Path(work) / "erasures.jsonl"
            print(f"\n$ cat {SAMPLE}", flush=True)
            print(SAMPLE.read_text(encoding="utf-8"), end="", flush=True)
            # The sample holds one unparsable line on purpose, so this run exits 1.
            erase_file = ["--from-file", str(SAMPLE), "--report", str(report), "--rate", "600"]
            _run([*kapso, "contacts", "erase", *erase_file], env, expected=1)
            _show_report(report)
            print("\nRerunning with the same report resumes: finished inputs are skipped.")
            _run([*kapso, "contacts", "erase", *erase_file], env, expected=1)
    print("\nPrism stopped. Demo done.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
