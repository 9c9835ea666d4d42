"""Bulk erasure: many identifiers, each erased once, inside the API key's rate limit.

The engine behind `contacts.erase_many` (threads for `Kapso`, tasks for `AsyncKapso`):

- inputs are pulled lazily, only when a worker is free, so a generator of any length is never
  held in memory; only the normalised identifiers already seen are kept, to erase each once;
- every attempt first takes a slot from a `RateLimiter`, so retries count against the limit too
  (the client's own retry loop is switched off for bulk calls for that reason);
- one input's failure becomes its `ErasureResult`; nothing an input does raises out of the job,
  except that a rejected API key (401/403) fails the remaining inputs without sending them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import random
import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from kapso_platform._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    AuthenticationError,
    ConfigurationError,
    InternalServerError,
    InvalidIdentifierError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from kapso_platform._identifiers import Identifier, parse_identifier
from kapso_platform._masking import mask

__all__ = ["DEFAULT_RATE_LIMIT", "ErasureResult", "ErasureStatus", "RateLimiter"]

ErasureStatus = Literal["queued", "not_found", "invalid", "failed"]

DEFAULT_RATE_LIMIT = 100  # requests per minute: Kapso's free plan
INTERRUPTED = "interrupted"

# The limiter paces a little under the configured rate: network jitter can bunch two requests
# together on arrival, and a server counting fixed windows must still never see one too many.
_HEADROOM = 0.985
_SLOWEST = 0.25  # the limiter never slows below a quarter of the configured rate
_BACKOFF_FIRST = 0.5
_BACKOFF_MOST = 8.0
_RETRY_AFTER_UNKNOWN = 60.0  # Kapso's documented Retry-After, used when a 429 has none
# A 429 says "later", not "broken": waiting it out has its own, larger budget per input.
_RATE_LIMITED_RETRIES = 8


@dataclass(frozen=True, slots=True)
class ErasureResult:
    """The outcome for one input of `erase_many`; `status` says whether it needs attention."""

    input: str
    identifier: str | None
    status: ErasureStatus
    error: str | None = None
    attempts: int = 0
    request_id: str | None = None
    index: int = 0  # position of the input in the iterable, from 0
    duplicate: bool = False  # normalised to a contact an earlier input already erased

    @property
    def ok(self) -> bool:
        """True when nothing is left to do: erasure queued, or no such contact."""
        return self.status in ("queued", "not_found")

    def __repr__(self) -> str:
        shown = mask(self.identifier) if self.identifier else mask(self.input)
        return (
            f"ErasureResult(identifier={shown!r}, status={self.status!r}, "
            f"attempts={self.attempts}, request_id={self.request_id!r})"
        )


class Erased(Protocol):
    """What the engine reads from a successful erase (`Erasure` has these fields)."""

    @property
    def request_id(self) -> str | None: ...

    @property
    def rate_limit_remaining(self) -> int | None: ...


EraseFunction = Callable[[str], Erased]
AsyncEraseFunction = Callable[[str], Awaitable[Erased]]


class Clock(Protocol):
    """Time for the limiter and the backoff; tests pass a fake one that never sleeps."""

    def now(self) -> float: ...

    def sleep(self, seconds: float, stop: threading.Event) -> bool: ...

    async def asleep(self, seconds: float) -> None: ...


class MonotonicClock:
    """The real clock: `time.monotonic`, sleeps that a stop event cuts short."""

    def now(self) -> float:
        """Seconds on the monotonic clock."""
        return time.monotonic()

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        """Wait `seconds`; False when `stop` was set meanwhile."""
        return not stop.wait(seconds)

    async def asleep(self, seconds: float) -> None:
        """Wait `seconds` without blocking the event loop."""
        await asyncio.sleep(seconds)


class RateLimiter:
    """A token bucket of one token: sends evenly spaced at `per_minute`, slowed on server hints.

    `try_acquire()` returns 0.0 when a send may start now (and takes the slot), otherwise the
    seconds to wait before asking again. Safe to share between threads and tasks.
    """

    def __init__(self, per_minute: float, *, clock: Clock | None = None) -> None:
        if per_minute <= 0:
            raise ConfigurationError(f"per_minute must be positive, got {per_minute!r}")
        self._clock = clock or MonotonicClock()
        self._configured = per_minute
        self._factor = 1.0
        self._next = self._clock.now()
        self._paused_until = self._next
        self._lock = threading.Lock()

    @property
    def per_minute(self) -> float:
        """The rate it paces at right now, in requests per minute."""
        return self._configured * _HEADROOM * self._factor

    def try_acquire(self) -> float:
        """Take the next send slot if it is due; otherwise say how long until it is."""
        with self._lock:
            now = self._clock.now()
            due = max(self._next, self._paused_until)
            if now < due:
                return due - now
            interval = 60.0 / self.per_minute
            # A late wake-up may catch up a quarter interval, never a burst.
            self._next = max(self._next, now - interval / 4) + interval
            return 0.0

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (a 429's Retry-After), then resume a little slower."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock.now() + seconds)
            self._factor = max(_SLOWEST, self._factor * 0.8)

    def observe_remaining(self, remaining: int | None, in_flight: int) -> None:
        """Slow down while the server's X-RateLimit-Remaining is no more than what is in flight."""
        if remaining is None:
            return
        # Near the end of every window the count is low anyway; only a count the requests in
        # flight could exhaust means something else (another job, another key user) is sending.
        low_water = in_flight + 1
        with self._lock:
            if remaining >= low_water:
                self._factor = min(1.0, self._factor * 1.1)
            else:
                self._factor = max(_SLOWEST, min(self._factor, (remaining + 1) / (low_water + 1)))


@dataclass
class _Job:
    """One input on its way through the engine."""

    index: int
    text: str
    identifier: Identifier | None = None
    waiting: list[_Job] = field(default_factory=list)  # duplicates answered when this ends
    rate_limited: int = 0  # 429s seen, retried on their own budget


@dataclass(frozen=True)
class _Settings:
    concurrency: int
    max_attempts: int
    default_region: str | None
    on_result: Callable[[ErasureResult], object] | None


class _Ledger:
    """Parses inputs, spots duplicates, and turns job outcomes into results (no I/O)."""

    def __init__(self, settings: _Settings) -> None:
        self._settings = settings
        self._done: dict[str, ErasureResult] = {}
        self._running: dict[str, _Job] = {}
        self.rejected: str | None = None  # set once the API key is refused

    def admit(self, index: int, text: str) -> tuple[_Job | None, list[ErasureResult]]:
        """A job to send, or the results that need no request (invalid, duplicate)."""
        try:
            identifier = parse_identifier(text, default_region=self._settings.default_region)
        except InvalidIdentifierError as exc:
            return None, [self._emit(ErasureResult(text, None, "invalid", str(exc), index=index))]
        job = _Job(index, text, identifier)
        if (earlier := self._done.get(identifier.value)) is not None:
            return None, [self._emit(self._copy(earlier, job))]
        if (running := self._running.get(identifier.value)) is not None:
            running.waiting.append(job)
            return None, []
        if self.rejected is not None:
            result = ErasureResult(text, identifier.value, "failed", self.rejected, index=index)
            return None, [self._emit(result)]
        self._running[identifier.value] = job
        return job, []

    def finish(self, job: _Job, result: ErasureResult) -> list[ErasureResult]:
        """The job's result followed by those of the duplicates that waited for it."""
        assert job.identifier is not None
        del self._running[job.identifier.value]
        if result.status != "failed":
            # A failed erase is not remembered, so a later duplicate gets its own try.
            self._done[job.identifier.value] = result
        return [self._emit(result)] + [self._emit(self._copy(result, dup)) for dup in job.waiting]

    def _copy(self, original: ErasureResult, job: _Job) -> ErasureResult:
        return replace(original, input=job.text, index=job.index, attempts=0, duplicate=True)

    def _emit(self, result: ErasureResult) -> ErasureResult:
        if self._settings.on_result is not None:
            self._settings.on_result(result)
        return result


@dataclass(frozen=True)
class _Verdict:
    """What one failed attempt means: the result to give, or a retry after `wait` seconds."""

    status: ErasureStatus
    message: str
    retry: bool
    wait: float = 0.0


def _judge(exc: APIError, attempt: int) -> _Verdict:
    """Classify an attempt's error: terminal outcome, or retryable with a backoff."""
    backoff = min(_BACKOFF_MOST, _BACKOFF_FIRST * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)  # noqa: S311
    if isinstance(exc, NotFoundError):
        return _Verdict("not_found", "no contact matches this identifier", retry=False)
    if isinstance(exc, UnprocessableEntityError):
        return _Verdict("invalid", f"the API rejected the identifier: {exc.message}", retry=False)
    if isinstance(exc, RateLimitError):
        return _Verdict("failed", str(exc), retry=True, wait=0.0)
    if isinstance(exc, InternalServerError | APIConnectionError):
        return _Verdict("failed", str(exc) or type(exc).__name__, retry=True, wait=backoff)
    return _Verdict("failed", str(exc), retry=False)


def _rejection(exc: APIError) -> str | None:
    """The message every later input fails with, when the API key itself was refused."""
    if isinstance(exc, AuthenticationError | PermissionDeniedError):
        return f"not sent: the API refused the API key earlier in this job ({exc})"
    return None


def _request_id(exc: APIError) -> str | None:
    return exc.request_id if isinstance(exc, APIStatusError) else None


class _Attempts:
    """The retry loop of one job, shared by the thread and the task engines."""

    def __init__(self, limiter: RateLimiter, ledger: _Ledger, settings: _Settings) -> None:
        self.limiter = limiter
        self.ledger = ledger
        self.settings = settings
        self._in_flight = 0
        self._lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        """Requests sent and not yet answered, a hint for the limiter."""
        return self._in_flight

    def sending(self, delta: int) -> None:
        """Count a request going out (+1) or coming back (-1)."""
        with self._lock:
            self._in_flight += delta

    def success(self, job: _Job, attempts: int, erased: Erased) -> ErasureResult:
        self.limiter.observe_remaining(erased.rate_limit_remaining, self.in_flight)
        assert job.identifier is not None
        return ErasureResult(
            job.text,
            job.identifier.value,
            "queued",
            None,
            attempts,
            erased.request_id,
            job.index,
        )

    def failure(self, job: _Job, attempts: int, exc: APIError) -> tuple[ErasureResult, float]:
        """The result if this error ends the job, and the wait before retrying otherwise."""
        verdict = _judge(exc, attempts)
        if isinstance(exc, APIStatusError):
            self.limiter.observe_remaining(_remaining(exc), self.in_flight)
        self.ledger.rejected = self.ledger.rejected or _rejection(exc)
        if isinstance(exc, RateLimitError):
            self.limiter.pause(exc.retry_after or _RETRY_AFTER_UNKNOWN)
            job.rate_limited += 1
            retry = job.rate_limited <= _RATE_LIMITED_RETRIES
        else:
            retry = verdict.retry and attempts - job.rate_limited < self.settings.max_attempts
        assert job.identifier is not None
        result = ErasureResult(
            job.text,
            job.identifier.value,
            verdict.status,
            verdict.message,
            attempts,
            _request_id(exc),
            job.index,
        )
        return result, (verdict.wait if retry else -1.0)

    def interrupted(self, job: _Job, attempts: int) -> ErasureResult:
        assert job.identifier is not None
        return ErasureResult(
            job.text, job.identifier.value, "failed", INTERRUPTED, attempts, index=job.index
        )


def _as_api_error(exc: Exception) -> APIError:
    """Any error from one erase, as an `APIError`, so it becomes that input's result."""
    if isinstance(exc, APIError):
        return exc
    return APIError(f"unexpected {type(exc).__name__}: {exc}")


def _remaining(exc: APIStatusError) -> int | None:
    for name, value in exc.headers.items():
        if name.lower() == "x-ratelimit-remaining":
            with contextlib.suppress(ValueError):
                return int(value)
    return None


def validate_options(concurrency: int, rate_limit: float | None) -> float:
    """Check the knobs before anything runs; return the rate limit to use."""
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ConfigurationError(
            f"concurrency must be a whole number of at least 1, got {concurrency!r}"
        )
    rate = DEFAULT_RATE_LIMIT if rate_limit is None else rate_limit
    if isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0:
        raise ConfigurationError(
            f"rate_limit must be a positive number of requests per minute, got {rate_limit!r}; "
            "use your plan's limit (100, 500 or 1000)"
        )
    return float(rate)


# -- threads ------------------------------------------------------------------------------


def erase_many(
    erase: EraseFunction,
    identifiers: Iterable[str],
    *,
    concurrency: int = 4,
    rate_limit: float | None = None,
    default_region: str | None = None,
    on_result: Callable[[ErasureResult], object] | None = None,
    max_attempts: int = 4,
    clock: Clock | None = None,
    stop: threading.Event | None = None,
) -> Iterator[ErasureResult]:
    """Erase every identifier with `concurrency` threads; yield results in completion order."""
    limiter = RateLimiter(validate_options(concurrency, rate_limit), clock=clock)
    settings = _Settings(concurrency, max_attempts, default_region, on_result)
    return _run_threads(
        erase,
        identifiers,
        settings=settings,
        limiter=limiter,
        clock=clock or MonotonicClock(),
        stop=stop,
    )


def _run_threads(
    erase: EraseFunction,
    identifiers: Iterable[str],
    *,
    settings: _Settings,
    limiter: RateLimiter,
    clock: Clock,
    stop: threading.Event | None,
) -> Iterator[ErasureResult]:
    ledger = _Ledger(settings)
    attempts = _Attempts(limiter, ledger, settings)
    stop = stop or threading.Event()
    inputs = enumerate(identifiers)
    pending: dict[concurrent.futures.Future[ErasureResult], _Job] = {}
    pool = concurrent.futures.ThreadPoolExecutor(settings.concurrency, "kapso-erase")
    try:
        exhausted = False
        while True:
            while not exhausted and not stop.is_set() and len(pending) < settings.concurrency:
                taken = next(inputs, None)
                if taken is None:
                    exhausted = True
                    break
                job, ready = ledger.admit(*taken)
                yield from ready
                if job is not None:
                    pending[pool.submit(_erase_job, erase, job, attempts, clock, stop)] = job
            if not pending:
                return
            done, _ = concurrent.futures.wait(pending, return_when="FIRST_COMPLETED")
            for future in done:
                yield from ledger.finish(pending.pop(future), future.result())
    finally:
        stop.set()  # a consumer that stopped early wakes the workers still waiting
        pool.shutdown(wait=True, cancel_futures=True)


def _erase_job(
    erase: EraseFunction, job: _Job, attempts: _Attempts, clock: Clock, stop: threading.Event
) -> ErasureResult:
    assert job.identifier is not None
    attempt = 0
    while True:
        if not _take_slot(attempts.limiter, clock, stop):
            return attempts.interrupted(job, attempt)
        attempt += 1
        attempts.sending(+1)
        try:
            erased = erase(job.identifier.value)
        except Exception as exc:  # one input's error, whatever it is, never stops the job
            result, wait = attempts.failure(job, attempt, _as_api_error(exc))
            if wait < 0 or not clock.sleep(wait, stop):
                return result
            continue
        finally:
            attempts.sending(-1)
        return attempts.success(job, attempt, erased)


def _take_slot(limiter: RateLimiter, clock: Clock, stop: threading.Event) -> bool:
    while (wait := limiter.try_acquire()) > 0:
        if not clock.sleep(wait, stop):
            return False
    return not stop.is_set()


# -- tasks --------------------------------------------------------------------------------


def aerase_many(
    erase: AsyncEraseFunction,
    identifiers: Iterable[str] | AsyncIterable[str],
    *,
    concurrency: int = 4,
    rate_limit: float | None = None,
    default_region: str | None = None,
    on_result: Callable[[ErasureResult], object] | None = None,
    max_attempts: int = 4,
    clock: Clock | None = None,
) -> AsyncIterator[ErasureResult]:
    """Erase every identifier with `concurrency` tasks; yield results in completion order."""
    limiter = RateLimiter(validate_options(concurrency, rate_limit), clock=clock)
    settings = _Settings(concurrency, max_attempts, default_region, on_result)
    return _run_tasks(
        erase, identifiers, settings=settings, limiter=limiter, clock=clock or MonotonicClock()
    )


async def _run_tasks(
    erase: AsyncEraseFunction,
    identifiers: Iterable[str] | AsyncIterable[str],
    *,
    settings: _Settings,
    limiter: RateLimiter,
    clock: Clock,
) -> AsyncIterator[ErasureResult]:
    ledger = _Ledger(settings)
    attempts = _Attempts(limiter, ledger, settings)
    inputs = _aenumerate(identifiers)
    pending: dict[asyncio.Task[ErasureResult], _Job] = {}
    try:
        exhausted = False
        while True:
            while not exhausted and len(pending) < settings.concurrency:
                taken = await anext(inputs, None)
                if taken is None:
                    exhausted = True
                    break
                job, ready = ledger.admit(*taken)
                for result in ready:
                    yield result
                if job is not None:
                    task = asyncio.create_task(_aerase_job(erase, job, attempts, clock))
                    pending[task] = job
            if not pending:
                return
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                for result in ledger.finish(pending.pop(task), task.result()):
                    yield result
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def _aenumerate(items: Iterable[str] | AsyncIterable[str]) -> AsyncIterator[tuple[int, str]]:
    index = 0
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield index, item
            index += 1
        return
    for item in items:
        yield index, item
        index += 1


async def _aerase_job(
    erase: AsyncEraseFunction, job: _Job, attempts: _Attempts, clock: Clock
) -> ErasureResult:
    assert job.identifier is not None
    attempt = 0
    while True:
        while (wait := attempts.limiter.try_acquire()) > 0:
            await clock.asleep(wait)
        attempt += 1
        attempts.sending(+1)
        try:
            erased = await erase(job.identifier.value)
        except Exception as exc:  # one input's error, whatever it is, never stops the job
            result, wait = attempts.failure(job, attempt, _as_api_error(exc))
            if wait < 0:
                return result
            await clock.asleep(wait)
            continue
        finally:
            attempts.sending(-1)
        return attempts.success(job, attempt, erased)
