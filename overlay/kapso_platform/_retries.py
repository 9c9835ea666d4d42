"""Retries as an httpx transport (sync and async) wrapped around the connection pool.

What is retried: connection errors and the statuses 408, 429, 500, 502, 503 and 504 for the
idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS); for POST and PATCH only 429 and errors
raised before the request left this machine (connect errors and pool or connect timeouts), so
a write is never sent twice. Waits are exponential with full jitter (0.5 s base, 8 s cap). A
`Retry-After` header, in delta-seconds or HTTP-date form, replaces the backoff up to 60 s (the
window of Kapso's per-minute limit); a longer ask gives up at once so the caller decides.

Why not a library: httpx-retries 0.6.0 has one method list for all statuses (it cannot retry
POST on 429 only), clamps a long `Retry-After` to its cap instead of giving up, sleeps with
`time.sleep`/`asyncio.sleep` directly (no fake clock) and reports neither attempts nor retries.
stamina 26.1.0 retries functions on exceptions, not transports on responses, adds jitter on top
of the backoff instead of full jitter, and swaps its clock only process-wide for tests. Wrapping
either would take more code than this module, so the rules above are written out here.

The number of attempts made is stored on the final response (`response.extensions`) or on the
final exception, so errors and results can report it. A request may carry its own retry limit
in `request.extensions[MAX_RETRIES_EXTENSION]`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx

from kapso_platform._config import DEFAULT_MAX_RETRIES
from kapso_platform._logging import describe_url, logger

__all__ = [
    "ATTEMPTS_EXTENSION",
    "MAX_RETRIES_EXTENSION",
    "AsyncRetryTransport",
    "Clock",
    "RetryPolicy",
    "RetryTransport",
    "SystemClock",
    "attempts_of",
    "parse_retry_after",
]

MAX_RETRIES_EXTENSION = "kapso.max_retries"
ATTEMPTS_EXTENSION = "kapso.attempts"
_ATTEMPTS_ATTRIBUTE = "kapso_attempts"

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Errors raised before any byte of the request was sent: safe to retry for every method.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_RETRYABLE_ERRORS = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)


class Clock(Protocol):
    """Time and chance as the retry loop sees them; tests pass a fake one to avoid sleeping."""

    def now(self) -> float:
        """Wall-clock time in seconds since the epoch (to read HTTP-date `Retry-After`)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for `seconds`."""
        ...

    async def asleep(self, seconds: float) -> None:
        """Wait `seconds` without blocking the event loop."""
        ...

    def random(self) -> float:
        """A number in [0, 1) for the jitter."""
        ...


class SystemClock:
    """The real clock, sleep and random source."""

    def now(self) -> float:
        """Current wall-clock time."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        """Really sleep."""
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        """Really wait, cooperatively."""
        await asyncio.sleep(seconds)

    def random(self) -> float:
        """A pseudo-random jitter factor (not for security)."""
        return random.random()  # noqa: S311


@dataclass(frozen=True)
class RetryPolicy:
    """Which failures are retried, how long to wait, and when to stop."""

    max_retries: int = DEFAULT_MAX_RETRIES
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def retries_status(self, method: str, status_code: int) -> bool:
        """Whether a response with `status_code` to a `method` request may be sent again."""
        if method.upper() in IDEMPOTENT_METHODS:
            return status_code in RETRYABLE_STATUSES
        return status_code == 429

    def retries_error(self, method: str, error: Exception) -> bool:
        """Whether a request that raised `error` may be sent again."""
        if isinstance(error, _NOT_SENT_ERRORS):
            return True
        return method.upper() in IDEMPOTENT_METHODS and isinstance(error, _RETRYABLE_ERRORS)

    def backoff(self, retry_number: int, jitter: float) -> float:
        """Full-jitter wait before retry `retry_number` (0 for the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0**retry_number)
        return ceiling * jitter


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds a `Retry-After` value asks for (delta-seconds or HTTP-date); None if unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until_date(text, now)
    return seconds if seconds >= 0 else None


def _seconds_until_date(text: str, now: float) -> float | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now)


def attempts_of(outcome: httpx.Response | BaseException) -> int:
    """How many HTTP attempts produced this response or exception (1 if it was never retried)."""
    if isinstance(outcome, httpx.Response):
        return int(outcome.extensions.get(ATTEMPTS_EXTENSION, 1))
    return int(getattr(outcome, _ATTEMPTS_ATTRIBUTE, 1))


@dataclass(frozen=True)
class _Verdict:
    """What to do after one attempt: `wait` seconds then retry, or stop (`wait` is None)."""

    wait: float | None
    why: str


class _Attempts:
    """The decisions shared by the sync and async transports, for one request."""

    def __init__(self, policy: RetryPolicy, clock: Clock, request: httpx.Request) -> None:
        self._policy = policy
        self._clock = clock
        self._request = request
        limit = request.extensions.get(MAX_RETRIES_EXTENSION)
        self._max_retries = policy.max_retries if limit is None else int(limit)
        self.count = 0
        self._started = 0.0

    def begin(self) -> None:
        """Note the start of one more attempt."""
        self.count += 1
        self._started = time.perf_counter()

    def after_response(self, response: httpx.Response) -> _Verdict:
        """Log the attempt's status and judge whether to retry it."""
        status = response.status_code
        self._log_attempt(str(status))
        if not self._policy.retries_status(self._request.method, status):
            return _Verdict(None, f"HTTP {status}")
        asked = parse_retry_after(response.headers.get("Retry-After"), self._clock.now())
        if asked is not None and asked > self._policy.max_retry_after:
            return self._give_up(
                f"HTTP {status} with Retry-After {asked:.0f} s, over the "
                f"{self._policy.max_retry_after:.0f} s limit"
            )
        return self._next(f"HTTP {status}", asked)

    def after_error(self, error: Exception) -> _Verdict:
        """Log the attempt's error and judge whether to retry it."""
        name = type(error).__name__
        self._log_attempt(name)
        if not self._policy.retries_error(self._request.method, error):
            return _Verdict(None, name)
        return self._next(name, None)

    def stamp(self, outcome: httpx.Response | Exception) -> None:
        """Record the attempt count on the final response or exception."""
        if isinstance(outcome, httpx.Response):
            outcome.extensions[ATTEMPTS_EXTENSION] = self.count
        else:
            vars(outcome)[_ATTEMPTS_ATTRIBUTE] = self.count

    def _next(self, why: str, asked: float | None) -> _Verdict:
        retries_done = self.count - 1
        if retries_done >= self._max_retries:
            return self._give_up(why) if self._max_retries else _Verdict(None, why)
        wait = asked if asked is not None else self._backoff(retries_done)
        logger.info(
            "retrying %s %s after %s (attempt %d of %d failed), waiting %.2f s",
            self._request.method,
            describe_url(self._request.url),
            why,
            self.count,
            self._max_retries + 1,
            wait,
        )
        return _Verdict(wait, why)

    def _backoff(self, retries_done: int) -> float:
        return self._policy.backoff(retries_done, self._clock.random())

    def _give_up(self, why: str) -> _Verdict:
        logger.warning(
            "giving up on %s %s after %d attempt(s): %s",
            self._request.method,
            describe_url(self._request.url),
            self.count,
            why,
        )
        return _Verdict(None, why)

    def _log_attempt(self, outcome: str) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            elapsed_ms = (time.perf_counter() - self._started) * 1000
            logger.debug(
                "%s %s -> %s in %.0f ms (attempt %d)",
                self._request.method,
                describe_url(self._request.url),
                outcome,
                elapsed_ms,
                self.count,
            )


def _received(response: httpx.Response) -> httpx.Response:
    """`response` with its whole body received, so a connection lost mid-body fails the attempt.

    Left to the client, the body would be read after this transport returned, where a reset
    could no longer be retried. The raw bytes are kept, so decoding still happens once, later.
    A response built in memory (a mock transport's) arrives already read and is kept as it is.
    """
    if response.is_stream_consumed:
        return response
    try:
        raw = b"".join(response.iter_raw())
    finally:
        response.close()
    return _with_body(response, raw)


async def _areceived(response: httpx.Response) -> httpx.Response:
    """The async twin of `_received`."""
    if response.is_stream_consumed:
        return response
    try:
        raw = b"".join([part async for part in response.aiter_raw()])
    finally:
        await response.aclose()
    return _with_body(response, raw)


def _with_body(response: httpx.Response, raw: bytes) -> httpx.Response:
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=httpx.ByteStream(raw),
        extensions=response.extensions,
    )


class RetryTransport(httpx.BaseTransport):
    """Sends each request through `inner`, retrying as `policy` allows."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        policy: RetryPolicy | None = None,
        *,
        clock: Clock | None = None,
        owns_inner: bool = True,
    ) -> None:
        self._inner = inner
        self._policy = policy or RetryPolicy()
        self._clock: Clock = clock or SystemClock()
        self._owns_inner = owns_inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request`, retrying failures the policy allows; return the last response."""
        attempts = _Attempts(self._policy, self._clock, request)
        while True:
            attempts.begin()
            try:
                response = _received(self._inner.handle_request(request))
            except httpx.TransportError as error:
                verdict = attempts.after_error(error)
                if verdict.wait is None:
                    attempts.stamp(error)
                    raise
            else:
                verdict = attempts.after_response(response)
                if verdict.wait is None:
                    attempts.stamp(response)
                    return response
                response.read()
                response.close()
            self._clock.sleep(verdict.wait)

    def close(self) -> None:
        """Close the pool, unless another client shares it and owns it."""
        if self._owns_inner:
            self._inner.close()


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    """The async twin of `RetryTransport`, with the same rules."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        policy: RetryPolicy | None = None,
        *,
        clock: Clock | None = None,
        owns_inner: bool = True,
    ) -> None:
        self._inner = inner
        self._policy = policy or RetryPolicy()
        self._clock: Clock = clock or SystemClock()
        self._owns_inner = owns_inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request`, retrying failures the policy allows; return the last response."""
        attempts = _Attempts(self._policy, self._clock, request)
        while True:
            attempts.begin()
            try:
                response = await _areceived(await self._inner.handle_async_request(request))
            except httpx.TransportError as error:
                verdict = attempts.after_error(error)
                if verdict.wait is None:
                    attempts.stamp(error)
                    raise
            else:
                verdict = attempts.after_response(response)
                if verdict.wait is None:
                    attempts.stamp(response)
                    return response
                await response.aread()
                await response.aclose()
            await self._clock.asleep(verdict.wait)

    async def aclose(self) -> None:
        """Close the pool, unless another client shares it and owns it."""
        if self._owns_inner:
            await self._inner.aclose()
