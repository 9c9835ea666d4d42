"""The `kapso` command line: erase contacts one by one or from a file of erasure requests.

Exit codes: 0 when every input ended `queued` or `not_found`; 1 when any is `invalid` or
`failed`, or the run was interrupted; 2 for a usage or configuration error, with one line
saying what to fix.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, NoReturn, Protocol

from kapso_platform import _bulk
from kapso_platform._cli._inputs import InputFileError, InputLine, count_lines, read_lines
from kapso_platform._cli._progress import (
    Display,
    PlainDisplay,
    Tally,
    display_for,
    masked_text,
    print_summary,
)
from kapso_platform._cli._report import Record, ReportFileError, ReportWriter, finished_inputs
from kapso_platform._errors import InvalidIdentifierError, KapsoError
from kapso_platform._identifiers import checked_region, parse_identifier
from kapso_platform._masking import mask

__all__ = ["main"]

USAGE_ERROR = 2


class _Contacts(Protocol):
    def erase(self, identifier: str, *, max_retries: int | None = None) -> _bulk.Erased: ...


class _Client(Protocol):
    """The part of `Kapso` the command line uses."""

    @property
    def contacts(self) -> _Contacts: ...

    def close(self) -> None: ...


_RecordFunction = Callable[[int | None, _bulk.ErasureResult], None]


class UsageError(Exception):
    """Something the person running the command must fix before anything is sent."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, not argparse's usage block, then exit 2."""
        self.exit(USAGE_ERROR, f"kapso: {message} (see: {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kapso", description="Kapso Platform API from the command line.")
    parser.add_argument("--api-key", help="API key (prefer the KAPSO_API_KEY environment variable)")
    parser.add_argument("--base-url", help="API base URL (default: KAPSO_BASE_URL or production)")
    parser.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow a plain http:// base URL to a non-loopback host (sends the key unencrypted)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    groups = parser.add_subparsers(dest="group", required=True, parser_class=_Parser)
    contacts = groups.add_parser("contacts", help="WhatsApp contacts")
    commands = contacts.add_subparsers(dest="command", required=True, parser_class=_Parser)
    erase = commands.add_parser(
        "erase",
        help="erase contacts and all their data",
        description="Erase contacts given as arguments or in a file, inside the rate limit.",
    )
    erase.add_argument("identifiers", nargs="*", metavar="IDENT", help="UUID or phone number")
    erase.add_argument("--from-file", type=Path, metavar="FILE", help="lines or CSV with header")
    erase.add_argument("--column", metavar="NAME", help="CSV column holding the identifiers")
    erase.add_argument("--report", type=Path, metavar="FILE", help="JSONL report; reuse to resume")
    erase.add_argument(
        "--rate",
        type=float,
        default=_bulk.DEFAULT_RATE_LIMIT,
        metavar="N",
        help="requests per minute, your plan's limit (default: %(default)s)",
    )
    erase.add_argument(
        "--concurrency",
        type=int,
        default=4,
        metavar="N",
        help="requests in flight at once (default: %(default)s)",
    )
    erase.add_argument(
        "--default-region",
        metavar="CC",
        help="country for numbers without +country code, such as US",
    )
    erase.add_argument(
        "--dry-run",
        action="store_true",
        help="validate and normalise, write the report, send nothing",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `kapso` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        job = _Job.from_args(args)
        return job.run()
    except (UsageError, InputFileError, ReportFileError) as exc:
        print(f"kapso: {exc}", file=sys.stderr)
        return USAGE_ERROR


def _configure_logging(verbose: bool) -> None:
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger = logging.getLogger("kapso_platform")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)


def _check_options(args: argparse.Namespace) -> None:
    if bool(args.identifiers) == (args.from_file is not None):
        raise UsageError("give identifiers as arguments or --from-file FILE, exactly one of them")
    if args.from_file is not None and args.report is None:
        raise UsageError(
            "--from-file needs --report FILE: the report is the proof of erasure and lets an "
            "interrupted run resume"
        )
    if args.column is not None and args.from_file is None:
        raise UsageError("--column only applies with --from-file")
    if not args.rate > 0:
        raise UsageError(
            f"--rate must be a positive number of requests per minute, not {args.rate}"
        )
    if args.concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, not {args.concurrency}")
    checked_region(args.default_region, error=UsageError, name="--default-region")


@dataclass
class _Job:
    """One run of `kapso contacts erase`, from its arguments to its exit code."""

    args: argparse.Namespace
    api_key: str | None
    stop: threading.Event = field(default_factory=threading.Event)
    lines: dict[int, int | None] = field(default_factory=dict)  # input index → file line
    interrupted: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> _Job:
        """Check the arguments and the environment; raise `UsageError` naming what to fix."""
        _check_options(args)
        api_key = args.api_key or os.environ.get("KAPSO_API_KEY") or None
        if api_key is None and not args.dry_run:
            raise UsageError("no API key: set KAPSO_API_KEY (or pass --api-key)")
        return cls(args, api_key)

    def run(self) -> int:
        """Read, erase (or check), report, summarise."""
        finished = finished_inputs(self.args.report) if self.args.report else {}
        tally = Tally(self._total())
        client = None if self.args.dry_run else self._client()
        display = self._display(tally)
        previous = self._catch_signals()
        try:
            with self._writer() as writer:
                self._process(client, writer, tally, display, finished)
        finally:
            self._restore_signals(previous)
            display.close(tally)
            if client is not None:
                client.close()
        report = str(self.args.report) if self.args.report else None
        print_summary(tally, report=report, interrupted=self.interrupted, out=sys.stdout)
        both = tally.now + tally.earlier
        all_ok = both["invalid"] + both["failed"] == 0
        return 0 if all_ok and not self.interrupted else 1

    # -- setup --------------------------------------------------------------------------

    def _total(self) -> int | None:
        if self.args.from_file is None:
            return len(self.args.identifiers)
        return count_lines(self.args.from_file, self.args.column)

    def _client(self) -> _Client:
        from kapso_platform import Kapso  # noqa: PLC0415  dry runs never need the client

        try:
            client: _Client = Kapso(
                api_key=self.api_key,
                base_url=self.args.base_url or None,
                allow_insecure_http=self.args.allow_insecure_http,
            )
            return client
        except (KapsoError, ValueError) as exc:
            raise UsageError(str(exc)) from None

    def _display(self, tally: Tally) -> Display:
        if self.args.from_file is None:
            return _Quiet()
        return display_for(sys.stderr, tally.total)

    def _writer(self) -> ReportWriter | _NoReport:
        return ReportWriter(self.args.report) if self.args.report else _NoReport()

    def _inputs(self) -> Iterator[InputLine]:
        if self.args.from_file is not None:
            return read_lines(self.args.from_file, self.args.column)
        return (InputLine(None, text) for text in self.args.identifiers)

    # -- the run ------------------------------------------------------------------------

    def _process(
        self,
        client: _Client | None,
        writer: ReportWriter | _NoReport,
        tally: Tally,
        display: Display,
        finished: dict[str, str],
    ) -> None:
        def record(line: int | None, result: _bulk.ErasureResult) -> None:
            entry = Record.of(line, result, dry_run=self.args.dry_run)
            writer.write(entry)
            tally.add(line, result.input, entry.status, result.error, result.attempts > 0)
            display.update(tally)
            if self.args.from_file is None:
                _print_result(result, sys.stdout)

        texts = self._texts(finished, tally, record)
        results = self._dry_run(texts) if client is None else self._erase(client, texts)
        for result in results:
            record(self.lines.pop(result.index, None), result)

    def _texts(
        self,
        finished: dict[str, str],
        tally: Tally,
        record: _RecordFunction,
    ) -> Iterator[str]:
        """Identifiers to send, in file order; resumed and unreadable lines are settled here."""
        index = 0
        for line in self._inputs():
            if self.stop.is_set():
                self.interrupted = True
                return
            if line.text in finished:
                tally.earlier[finished[line.text]] += 1
                continue
            if line.problem is not None:
                record(line.number, _bulk.ErasureResult(line.text, None, "invalid", line.problem))
                continue
            self.lines[index] = line.number
            index += 1
            yield line.text

    def _dry_run(self, texts: Iterator[str]) -> Iterator[_bulk.ErasureResult]:
        region = self.args.default_region
        for index, text in enumerate(texts):
            try:
                identifier = parse_identifier(text, default_region=region)
            except InvalidIdentifierError as exc:
                yield _bulk.ErasureResult(text, None, "invalid", str(exc), index=index)
                continue
            # Recorded as "valid", not terminal: a real run with the same report still erases it.
            yield _bulk.ErasureResult(text, identifier.value, "queued", index=index)

    def _erase(self, client: _Client, texts: Iterator[str]) -> Iterator[_bulk.ErasureResult]:
        def erase(identifier: str) -> _bulk.Erased:
            # The engine retries itself, so each attempt passes through its rate limiter.
            return client.contacts.erase(identifier, max_retries=0)

        return _bulk.erase_many(
            erase,
            texts,
            concurrency=self.args.concurrency,
            rate_limit=self.args.rate,
            default_region=self.args.default_region,
            stop=self.stop,
        )

    # -- signals ------------------------------------------------------------------------

    def _catch_signals(self) -> dict[int, object]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, object] = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, self._on_signal)
        return previous

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stop.is_set():
            raise KeyboardInterrupt  # a second Ctrl-C quits at once
        self.stop.set()
        self.interrupted = True
        print(
            f"\nkapso: {signal.Signals(signum).name}: taking no new work, letting requests in "
            "flight finish (again to quit at once)",
            file=sys.stderr,
            flush=True,
        )

    def _restore_signals(self, previous: dict[int, object]) -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


def _print_result(result: _bulk.ErasureResult, out: IO[str]) -> None:
    detail = f"request id {result.request_id}" if result.request_id else ""
    if result.error:
        detail = masked_text(result.error)
    shown = mask(result.identifier or result.input)
    print(f"{result.status:<9} {shown}  {detail}".rstrip(), file=out, flush=True)


class _Quiet(PlainDisplay):
    """No live progress for a handful of identifiers given as arguments."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def update(self, tally: Tally) -> None:
        """Nothing: each result is printed as it completes."""

    def close(self, tally: Tally) -> None:
        """Nothing: the summary follows."""


class _NoReport:
    """Stands in for the report when none was asked for."""

    def __enter__(self) -> _NoReport:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, record: Record) -> None:
        """Nothing to write."""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
