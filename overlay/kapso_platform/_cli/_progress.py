"""What the person running a bulk erasure sees: live counts, then a summary table.

On a terminal with rich installed, a progress bar with counts per status and the current rate;
otherwise one plain line every few seconds, which reads well in CI logs and cron mail. Phone
numbers never appear whole: inputs and error messages are masked to their last 4 characters.
"""

from __future__ import annotations

import collections
import re
import sys
import time
from typing import IO, Protocol

from kapso_platform._masking import mask

STATUSES = ("queued", "not_found", "invalid", "failed")
DRY_RUN_STATUSES = ("valid", "invalid")
_PLAIN_EVERY = 5.0  # seconds between plain progress lines
_SHOWN_PROBLEMS = 10
_NUMBER_LIKE = re.compile(r"\+?\d[\d ().-]{3,}\d")


def masked_text(text: str) -> str:
    """`text` with every run of five or more digits masked to its last 4 characters."""
    return _NUMBER_LIKE.sub(lambda match: mask(match.group()), text)


class Tally:
    """Counts per status for this run and for inputs finished by an earlier run."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.now: collections.Counter[str] = collections.Counter()
        self.earlier: collections.Counter[str] = collections.Counter()
        self.sent = 0
        self.first_sent: float | None = None
        self.last_sent = 0.0
        self.problems: list[tuple[int | None, str, str, str]] = []

    @property
    def done(self) -> int:
        """Inputs with an outcome, from this run or an earlier one."""
        return sum(self.now.values()) + sum(self.earlier.values())

    def rate(self) -> float:
        """Erase requests completed per minute, between the first and the latest to complete."""
        if self.first_sent is None or self.sent < 2:
            return 0.0
        elapsed = self.last_sent - self.first_sent
        return 60.0 * (self.sent - 1) / elapsed if elapsed > 0 else 0.0

    def add(self, line: int | None, text: str, status: str, error: str | None, sent: bool) -> None:
        """Count one outcome of this run; keep a few problems to show in the summary."""
        self.now[status] += 1
        if sent:
            self.sent += 1
            self.last_sent = time.monotonic()
            self.first_sent = self.first_sent or self.last_sent
        if status in ("invalid", "failed") and len(self.problems) < _SHOWN_PROBLEMS:
            # The first clause says what is wrong; the rest, a list of accepted forms, is in the
            # report.
            reason = (error or "").split("; ", 1)[0]
            self.problems.append((line, mask(text), status, masked_text(reason)))

    @property
    def statuses(self) -> tuple[str, ...]:
        """The statuses this run can end in (a dry run only tells valid from invalid)."""
        return DRY_RUN_STATUSES if self.now["valid"] else STATUSES

    def counts(self) -> str:
        """`queued 10, not_found 2, ...` over both runs."""
        both = self.now + self.earlier
        return ", ".join(f"{status} {both[status]}" for status in self.statuses)


class Display(Protocol):
    """Live progress for one run."""

    def update(self, tally: Tally) -> None: ...

    def close(self, tally: Tally) -> None: ...


class PlainDisplay:
    """A line every few seconds on stderr."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._last = time.monotonic()

    def update(self, tally: Tally) -> None:
        """Print a line if a few seconds passed since the last one."""
        now = time.monotonic()
        if now - self._last >= _PLAIN_EVERY:
            self._last = now
            self._print(tally)

    def close(self, tally: Tally) -> None:
        """Print the final counts."""
        self._print(tally)

    def _print(self, tally: Tally) -> None:
        of = f"/{tally.total}" if tally.total is not None else ""
        print(
            f"progress: {tally.done}{of} done ({tally.counts()}), {tally.rate():.0f}/min",
            file=self._stream,
            flush=True,
        )


class RichDisplay:
    """A rich progress bar on stderr with the counts and the rate in its description."""

    def __init__(self, stream: IO[str], total: int | None) -> None:
        from rich.console import Console  # noqa: PLC0415  rich is optional
        from rich.progress import (  # noqa: PLC0415
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
        )

        self._progress = Progress(
            TextColumn("erasing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=Console(file=stream),
            transient=False,
        )
        self._task = self._progress.add_task("", total=total)
        self._progress.start()

    def update(self, tally: Tally) -> None:
        """Move the bar and refresh the counts."""
        self._progress.update(self._task, completed=tally.done, description=self._text(tally))

    def close(self, tally: Tally) -> None:
        """Leave the final bar on screen."""
        self.update(tally)
        self._progress.stop()

    def _text(self, tally: Tally) -> str:
        return f"{tally.counts()}  {tally.rate():.0f}/min"


def display_for(stream: IO[str], total: int | None) -> Display:
    """A rich bar on a terminal when rich is installed, plain lines otherwise."""
    if stream.isatty():
        try:
            return RichDisplay(stream, total)
        except ImportError:
            pass
    return PlainDisplay(stream)


def print_summary(tally: Tally, *, report: str | None, interrupted: bool, out: IO[str]) -> None:
    """The table of outcomes, a few problems, and where the report is."""
    both = tally.now + tally.earlier
    rows = [(s, tally.now[s], tally.earlier[s], both[s]) for s in tally.statuses]
    print("", file=out)
    print(f"{'status':<10} {'this run':>9} {'earlier':>9} {'total':>9}", file=out)
    for status, now, earlier, total in rows:
        print(f"{status:<10} {now:>9} {earlier:>9} {total:>9}", file=out)
    print(
        f"{'all':<10} {sum(tally.now.values()):>9} {sum(tally.earlier.values()):>9} "
        f"{sum(both.values()):>9}",
        file=out,
    )
    for line, text, status, error in tally.problems:
        where = f"line {line}" if line is not None else "argument"
        print(f"  {where}: {text} {status}: {error}", file=out)
    if report is not None:
        print(f"report: {report}", file=out)
    if interrupted:
        print(
            "interrupted: inputs not started were not erased; rerun with the same --report "
            "to finish them",
            file=out,
        )
    out.flush()


def main_stream() -> IO[str]:
    """Where live progress goes: stderr, so stdout stays the summary."""
    return sys.stderr
