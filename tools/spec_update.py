"""`make spec-update [SPEC_URL=... | SPEC_FILE=...]`: vendor a new upstream spec, regen, check.

Steps: fetch (or read) the document; print the spec-diff against the vendored spec; write the new
spec byte for byte (its sha256 stays upstream's) and spec.lock with where and when it came from;
regenerate generated/; run every `make check` check. When the document cannot be had, nothing is
touched. When regen or a check fails, the previous spec, spec.lock and generated/ are put back
and the failing step is named, so the work tree is never left half-updated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from tools import speclock
from tools.check import CHECKS
from tools.documents import (
    GENERATED_PATH,
    LOCK_PATH,
    PATCH_PATH,
    SPEC_PATH,
    UPSTREAM_URL,
    DocumentError,
    load_document,
)
from tools.patching import OverlayError
from tools.regen import RegenError, regenerate
from tools.spec_diff import diff_files, report

_FETCH_TIMEOUT_SECONDS = 30.0
_PREFIX = "make spec-update:"


class UpdateError(Exception):
    """The update stopped; the message says at which step and what was left as it was."""


def fetch(url: str) -> bytes:
    """The document at `url`; UpdateError in one line when it cannot be had."""
    try:
        response = httpx.get(url, timeout=_FETCH_TIMEOUT_SECONDS, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise UpdateError(
            f"cannot reach {url} ({type(exc).__name__}: {exc}); nothing changed. "
            "Check the network, or pass SPEC_FILE=path/to/openapi-platform.yaml"
        ) from exc
    if response.status_code != 200:
        raise UpdateError(
            f"{url} answered HTTP {response.status_code}; nothing changed. "
            "Check SPEC_URL, or pass SPEC_FILE=..."
        )
    return response.content


def read_file(path: Path) -> bytes:
    """The document at `path`; UpdateError when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UpdateError(f"cannot read {path} ({exc.strerror}); nothing changed") from exc


def update(
    document: bytes, source: str, retrieved: str, say: Callable[[str], None] = print
) -> None:
    """Vendor `document`, regen and check, telling `say` each step; UpdateError, files restored."""
    with tempfile.TemporaryDirectory(prefix="kapso-spec-update-") as tmp:
        candidate = Path(tmp) / SPEC_PATH.name
        candidate.write_bytes(document)
        try:
            load_document(candidate)
        except DocumentError as exc:
            raise UpdateError(f"the new document is unusable: {exc}; nothing changed") from exc
        for line in report(diff_files(SPEC_PATH, candidate), SPEC_PATH, Path(source)):
            say(line)
        if SPEC_PATH.read_bytes() == document:
            say(f"{_PREFIX} {SPEC_PATH.name} is already this document; nothing changed")
            return
        with _restored_on_failure(Path(tmp) / "backup"):
            SPEC_PATH.write_bytes(document)
            say(f"{_PREFIX} wrote {SPEC_PATH.name}; regenerating generated/")
            _regen()
            speclock.write(speclock.compute(source=source, retrieved=retrieved))
            say(f"{_PREFIX} wrote {LOCK_PATH.name}; running the checks of make check")
            _check()
    say(
        f"{_PREFIX} {SPEC_PATH.name}, {LOCK_PATH.name} and generated/ updated from {source}: "
        "review `git diff` (above all the breaking lines of the diff) and commit"
    )


def _regen() -> None:
    try:
        regenerate(SPEC_PATH, GENERATED_PATH, PATCH_PATH if PATCH_PATH.exists() else None)
    except (RegenError, OverlayError, DocumentError) as exc:
        raise UpdateError(
            f"step regen failed:\n{exc}\nfix it with an overlay patch "
            f"({PATCH_PATH.name}) or wait for a fixed upstream spec"
        ) from exc


def _check() -> None:
    failed = [(title, found) for title, check in CHECKS if (found := check())]
    if failed:
        details = "\n".join(
            f"  {title}:\n" + "\n".join(f"    {line}" for line in found) for title, found in failed
        )
        raise UpdateError(f"step check failed:\n{details}")


@contextmanager
def _restored_on_failure(backup: Path) -> Iterator[None]:
    """Put spec, lock and generated/ back as they were if the block raises."""
    backup.mkdir()
    saved = {path: backup / path.name for path in (SPEC_PATH, LOCK_PATH) if path.exists()}
    for original, copy in saved.items():
        shutil.copy2(original, copy)
    if GENERATED_PATH.exists():
        shutil.copytree(GENERATED_PATH, backup / "generated", symlinks=True)
    try:
        yield
    except BaseException as exc:
        for original, copy in saved.items():
            shutil.copy2(copy, original)
        shutil.rmtree(GENERATED_PATH, ignore_errors=True)
        if (backup / "generated").exists():
            shutil.copytree(backup / "generated", GENERATED_PATH, symlinks=True)
        if isinstance(exc, UpdateError):
            raise UpdateError(
                f"{exc}\nprevious {SPEC_PATH.name}, {LOCK_PATH.name} and generated/ restored"
            ) from exc
        raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make spec-update", description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help=f"where to fetch the spec (default {UPSTREAM_URL})")
    where.add_argument("--file", type=Path, help="take the spec from this file instead")
    args = parser.parse_args(argv)
    source = str(args.file) if args.file else (args.url or UPSTREAM_URL)
    try:
        document = read_file(args.file) if args.file else fetch(source)
        update(document, source, dt.date.today().isoformat())
    except UpdateError as exc:
        print(f"{_PREFIX} {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
