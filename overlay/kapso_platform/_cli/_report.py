"""The JSONL erasure report: one record per input, flushed as it completes, read back to resume.

The report is the proof of erasure, so it holds the normalised identifier; it is created with
mode 0600 (owner only) and tightened to 0600 if it already existed.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from kapso_platform._bulk import ErasureResult

# A record with one of these statuses needs nothing more; a rerun with the same report skips it.
TERMINAL = frozenset({"queued", "not_found", "invalid"})


class ReportFileError(Exception):
    """The report cannot be opened or read back: a usage error."""


@dataclass(frozen=True, slots=True)
class Record:
    """One report line."""

    line: int | None
    input: str
    identifier: str | None
    status: str
    error: str | None = None
    attempts: int = 0
    request_id: str | None = None
    duplicate: bool = False
    dry_run: bool = False

    @classmethod
    def of(cls, line: int | None, result: ErasureResult, *, dry_run: bool = False) -> Record:
        """The record for one engine result."""
        # A dry run checks only: what would be erased is "valid", which a real run still erases.
        status = "valid" if dry_run and result.status == "queued" else result.status
        return cls(
            line,
            result.input,
            result.identifier,
            status,
            result.error,
            result.attempts,
            result.request_id,
            result.duplicate,
            dry_run,
        )

    def to_json(self) -> str:
        """The record as one JSON line (without the newline), stamped with the time now."""
        data: dict[str, Any] = {
            "line": self.line,
            "input": self.input,
            "identifier": self.identifier,
            "status": self.status,
            "error": self.error,
            "attempts": self.attempts,
            "request_id": self.request_id,
            "duplicate": self.duplicate,
            "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
        }
        if self.dry_run:
            data["dry_run"] = True
        return json.dumps(data, ensure_ascii=False)


def finished_inputs(path: Path) -> dict[str, str]:
    """Input → terminal status, from the last record of each input in an earlier report."""
    last: dict[str, str] = {}
    for record in _records(path):
        text, status = record.get("input"), record.get("status")
        if isinstance(text, str) and isinstance(status, str) and not record.get("dry_run"):
            last[text] = status
    return {text: status for text, status in last.items() if status in TERMINAL}


def _records(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise ReportFileError(f"cannot read the report {path}: {exc.strerror or exc}") from None
    with handle:
        for line in handle:
            # A run killed mid-write can leave a torn last line; the input is simply redone.
            with contextlib.suppress(json.JSONDecodeError):
                record = json.loads(line)
                if isinstance(record, dict):
                    yield record


class ReportWriter:
    """Appends records to the report, flushing each, so a crash loses nothing already done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None
        self.written = 0

    def __enter__(self) -> Self:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            raise ReportFileError(
                f"cannot write the report {self.path}: {exc.strerror or exc}"
            ) from None
        os.fchmod(fd, 0o600)
        self._handle = os.fdopen(fd, "a", encoding="utf-8")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def write(self, record: Record) -> None:
        """Append one record and flush it to the operating system."""
        assert self._handle is not None, "use ReportWriter as a context manager"
        self._handle.write(record.to_json() + "\n")
        self._handle.flush()
        self.written += 1
