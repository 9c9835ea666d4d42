"""Reading an erasure request file: one identifier per line, or a CSV export with a header.

Lines are read and decoded one at a time, so a file of any size streams through. Blank lines and
`#` comments are skipped; a UTF-8 byte order mark is dropped; a line that cannot be decoded or
lacks the chosen CSV column becomes an `InputLine` with a `problem`, reported as invalid.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Header names a one-column export may use; such a first line is a header, not an identifier.
_HEADER_NAMES = frozenset(
    {"identifier", "phone", "phone_number", "phonenumber", "contact_id", "id", "uuid", "wa_id"}
)


class InputFileError(Exception):
    """The file cannot be used at all (missing, or no such column): a usage error."""


@dataclass(frozen=True, slots=True)
class InputLine:
    """One identifier from the file with its 1-based line number, or why it could not be read."""

    number: int | None  # None for identifiers given as arguments
    text: str
    problem: str | None = None


def read_lines(path: Path, column: str | None = None) -> Iterator[InputLine]:
    """Every identifier in `path`, in file order; see the module docstring for the format."""
    lines = _decoded(path)
    first = _first_data_line(lines)
    if first is None:
        return
    if column is not None or "," in first.text:
        yield from _csv_rows(path, first, lines, column)
    elif first.text.strip().lower() not in _HEADER_NAMES:
        yield first
        yield from lines
    else:
        yield from lines


def count_lines(path: Path, column: str | None = None) -> int:
    """How many inputs `read_lines` will yield (one streaming pass, for the progress total)."""
    return sum(1 for _ in read_lines(path, column))


def _decoded(path: Path) -> Iterator[InputLine]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            data = raw[3:] if number == 1 and raw.startswith(b"\xef\xbb\xbf") else raw
            try:
                text = data.decode("utf-8").strip()
            except UnicodeDecodeError:
                shown = data.decode("utf-8", "replace").strip()
                yield InputLine(number, shown, f"line {number} is not valid UTF-8")
                continue
            if text and not text.startswith("#"):
                yield InputLine(number, text)


def _first_data_line(lines: Iterator[InputLine]) -> InputLine | None:
    return next(lines, None)


def _csv_rows(
    path: Path, header_line: InputLine, lines: Iterator[InputLine], column: str | None
) -> Iterator[InputLine]:
    header = [name.strip() for name in _split(header_line.text)]
    position = _column_position(path, header, column)
    for line in lines:
        if line.problem is not None:
            yield line
            continue
        fields = _split(line.text)
        if position >= len(fields):
            problem = (
                f"line {line.number} has {len(fields)} fields; column {header[position]!r} "
                f"is field {position + 1}"
            )
            yield InputLine(line.number, line.text, problem)
            continue
        yield InputLine(line.number, fields[position].strip())


def _split(text: str) -> list[str]:
    return next(csv.reader([text]), [])


def _column_position(path: Path, header: list[str], column: str | None) -> int:
    lowered = [name.lower() for name in header]
    if column is not None:
        if column.lower() in lowered:
            return lowered.index(column.lower())
        raise InputFileError(
            f"{path} has no column {column!r}; its header has: {', '.join(header)}"
        )
    known = [index for index, name in enumerate(lowered) if name in _HEADER_NAMES]
    if len(header) == 1 or len(known) == 1:
        return known[0] if known else 0
    raise InputFileError(
        f"{path} is a CSV file with columns {', '.join(header)}; "
        "pass --column NAME to say which holds the identifiers"
    )
