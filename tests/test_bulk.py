"""The bulk erasure engine, driven by in-process erase functions and a fake clock."""

from __future__ import annotations

import itertools
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from kapso_platform import AsyncKapso, Kapso
from kapso_platform._bulk import (
    INTERRUPTED,
    ErasureResult,
    RateLimiter,
    aerase_many,
    erase_many,
)
from kapso_platform._errors import (
    APIConnectionError,
    AuthenticationError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    UnprocessableEntityError,
)

from tests.faultserver import FaultServer, Reply, SeenRequest

UUID_A = "123e4567-e89b-12d3-a456-426614174000"
UUID_B = "123e4567-e89b-12d3-a456-426614174001"
PHONE = "+14155550123"


class FakeClock:
    """Time that moves only when something sleeps on it; sleeps return at once."""

    def __init__(self) -> None:
        self.time = 1000.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        with self._lock:
            self.slept.append(seconds)
            self.time += seconds
        return not stop.is_set()

    async def asleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += seconds


@dataclass(frozen=True)
class Erased:
    request_id: str | None = "req-1"
    rate_limit_remaining: int | None = None


class Recorder:
    """An erase function that answers from a script of outcomes per identifier."""

    def __init__(self, script: dict[str, list[Exception | Erased]] | None = None) -> None:
        self.script = script or {}
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, identifier: str) -> Erased:
        with self._lock:
            self.calls.append(identifier)
            outcomes = self.script.get(identifier, [])
            outcome = outcomes.pop(0) if outcomes else Erased(request_id=f"req-{len(self.calls)}")
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def async_call(self, identifier: str) -> Erased:
        return self(identifier)


def run(erase: Recorder, inputs: list[str], **options: object) -> dict[str, ErasureResult]:
    clock = options.pop("clock", FakeClock())
    results = list(erase_many(erase, inputs, clock=clock, rate_limit=6000, **options))  # type: ignore[arg-type]
    assert len(results) == len(inputs)
    return {result.input: result for result in results}


def status_error(cls: type[Exception], status: int, **extra: object) -> Exception:
    return cls(status, "boom", None, {}, "rid-err", **extra)


def test_every_input_gets_one_result_with_normalised_identifier() -> None:
    erase = Recorder()
    results = run(erase, [UUID_A.upper(), "+1 (415) 555-0123", "nonsense!"])
    assert results[UUID_A.upper()].identifier == UUID_A
    assert results[UUID_A.upper()].status == "queued"
    assert (results[UUID_A.upper()].request_id or "").startswith("req-")
    assert results["+1 (415) 555-0123"].identifier == PHONE
    assert results["nonsense!"].status == "invalid"
    assert results["nonsense!"].attempts == 0
    assert sorted(erase.calls) == sorted([UUID_A, PHONE])


def test_duplicates_that_normalise_alike_are_erased_once_but_all_answered() -> None:
    erase = Recorder()
    inputs = [PHONE, "+1 415 555 0123", "+1-415-555-0123", UUID_A]
    results = list(erase_many(erase, inputs, clock=FakeClock(), rate_limit=6000, concurrency=2))
    assert erase.calls.count(PHONE) == 1
    assert len(results) == 4
    assert sum(r.duplicate for r in results) == 2
    assert {r.status for r in results} == {"queued"}
    assert sorted(r.index for r in results) == [0, 1, 2, 3]


def test_not_found_is_terminal_and_not_retried() -> None:
    erase = Recorder({UUID_A: [status_error(NotFoundError, 404)]})
    result = run(erase, [UUID_A])[UUID_A]
    assert (result.status, result.attempts, result.ok) == ("not_found", 1, True)
    assert result.request_id == "rid-err"


def test_server_rejection_of_identifier_is_invalid() -> None:
    erase = Recorder({PHONE: [status_error(UnprocessableEntityError, 422)]})
    assert run(erase, [PHONE])[PHONE].status == "invalid"


def test_server_errors_and_dropped_connections_are_retried_then_succeed() -> None:
    erase = Recorder(
        {UUID_A: [status_error(InternalServerError, 503), APIConnectionError("dropped")]}
    )
    result = run(erase, [UUID_A])[UUID_A]
    assert (result.status, result.attempts) == ("queued", 3)


def test_retries_stop_at_max_attempts_with_the_last_error() -> None:
    erase = Recorder({UUID_A: [status_error(InternalServerError, 503) for _ in range(10)]})
    result = run(erase, [UUID_A], max_attempts=3)[UUID_A]
    assert (result.status, result.attempts) == ("failed", 3)
    assert result.error is not None and "503" in result.error
    assert not result.ok


def test_one_bad_item_never_stops_the_job_even_an_unexpected_exception() -> None:
    erase = Recorder({UUID_A: [TypeError("bug") for _ in range(5)]})
    results = run(erase, [UUID_A, UUID_B])
    assert results[UUID_A].status == "failed"
    assert "TypeError" in (results[UUID_A].error or "")
    assert results[UUID_B].status == "queued"


def test_rate_limit_pauses_for_retry_after_then_retries() -> None:
    clock = FakeClock()
    erase = Recorder({UUID_A: [status_error(RateLimitError, 429, retry_after=7.0)]})
    result = run(erase, [UUID_A], clock=clock, concurrency=1)[UUID_A]
    assert (result.status, result.attempts) == ("queued", 2)
    assert sum(clock.slept) >= 7.0


def test_rejected_api_key_fails_the_rest_without_sending() -> None:
    erase = Recorder({UUID_A: [status_error(AuthenticationError, 401)]})
    inputs = [UUID_A, *(f"123e4567-e89b-12d3-a456-4266141740{n:02d}" for n in range(10, 20))]
    results = list(erase_many(erase, inputs, clock=FakeClock(), rate_limit=6000, concurrency=1))
    assert erase.calls == [UUID_A]
    assert {r.status for r in results} == {"failed"}
    assert "refused the API key" in (results[-1].error or "")


def test_inputs_are_pulled_lazily_from_an_endless_generator() -> None:
    pulled = itertools.count()

    def endless() -> Iterator[str]:
        for n in pulled:
            yield f"+1415555{n % 10000:04d}"

    results = erase_many(Recorder(), endless(), clock=FakeClock(), rate_limit=6000, concurrency=3)
    first = list(itertools.islice(results, 20))
    results.close()  # type: ignore[attr-defined]
    assert len(first) == 20
    assert next(pulled) < 40


def test_on_result_sees_every_result() -> None:
    seen: list[ErasureResult] = []
    results = run(Recorder(), [UUID_A, "bad"], on_result=seen.append)
    assert sorted(r.input for r in seen) == sorted(results)


def test_stop_event_records_waiting_items_as_interrupted() -> None:
    stop = threading.Event()
    erase = Recorder({UUID_A: [status_error(InternalServerError, 503) for _ in range(5)]})

    class StoppingClock(FakeClock):
        def sleep(self, seconds: float, stop_event: threading.Event) -> bool:
            stop.set()
            return super().sleep(seconds, stop_event)

    results = list(
        erase_many(erase, [UUID_A, UUID_B], clock=StoppingClock(), stop=stop, concurrency=1)
    )
    assert [(r.input, r.status) for r in results] == [(UUID_A, "failed")]
    assert "503" in (results[0].error or "")
    assert INTERRUPTED == "interrupted"


def test_repr_masks_identifiers() -> None:
    result = run(Recorder(), [PHONE])[PHONE]
    assert PHONE not in repr(result)
    assert "0123" in repr(result)


@pytest.mark.parametrize(("concurrency", "rate"), [(0, 100), (2.5, 100), (4, 0), (4, -1)])
def test_bad_options_fail_before_any_call(concurrency: object, rate: object) -> None:
    erase = Recorder()
    with pytest.raises(ValueError, match=r"concurrency|rate_limit"):
        erase_many(erase, [UUID_A], concurrency=concurrency, rate_limit=rate)  # type: ignore[arg-type]
    assert erase.calls == []


async def test_async_twin_yields_every_result_and_dedupes() -> None:
    erase = Recorder({UUID_B: [status_error(NotFoundError, 404)]})

    async def inputs() -> AsyncIterator[str]:
        for item in [UUID_A, UUID_A.upper(), UUID_B, "bad"]:
            yield item

    results = [
        r async for r in aerase_many(erase.async_call, inputs(), clock=FakeClock(), rate_limit=6000)
    ]
    statuses = sorted((r.input, r.status, r.duplicate) for r in results)
    assert statuses == sorted(
        [
            (UUID_A, "queued", False),
            (UUID_A.upper(), "queued", True),
            (UUID_B, "not_found", False),
            ("bad", "invalid", False),
        ]
    )
    assert erase.calls.count(UUID_A) == 1


async def test_async_twin_retries_and_pauses_on_429() -> None:
    clock = FakeClock()
    erase = Recorder(
        {
            UUID_A: [
                status_error(RateLimitError, 429, retry_after=3.0),
                status_error(InternalServerError, 500),
            ]
        }
    )
    results = [r async for r in aerase_many(erase.async_call, [UUID_A], clock=clock)]
    assert (results[0].status, results[0].attempts) == ("queued", 3)
    assert sum(clock.slept) >= 3.0


# -- the limiter on its own --------------------------------------------------------------


def drain(limiter: RateLimiter, clock: FakeClock, seconds: float) -> list[float]:
    """Acquire as fast as allowed for `seconds` of fake time; return grant times."""
    grants: list[float] = []
    end = clock.time + seconds
    while clock.time < end:
        wait = limiter.try_acquire()
        if wait == 0:
            grants.append(clock.time)
        else:
            clock.time += wait
    return grants


def test_limiter_spaces_sends_evenly_just_under_the_rate() -> None:
    clock = FakeClock()
    grants = drain(RateLimiter(600, clock=clock), clock, 60.0)
    assert 570 <= len(grants) <= 600
    gaps = [b - a for a, b in itertools.pairwise(grants)]
    assert min(gaps) >= 60 / 600


def test_limiter_never_exceeds_the_rate_in_any_window() -> None:
    clock = FakeClock()
    grants = drain(RateLimiter(1200, clock=clock), clock, 10.0)
    for start in grants:
        assert sum(1 for t in grants if start <= t < start + 1.0) <= 20


def test_limiter_pause_holds_every_send_then_slows() -> None:
    clock = FakeClock()
    limiter = RateLimiter(600, clock=clock)
    assert limiter.try_acquire() == 0
    limiter.pause(5.0)
    assert limiter.try_acquire() == pytest.approx(5.0)
    assert limiter.per_minute < 600 * 0.97


def test_limiter_slows_when_remaining_runs_low_and_recovers() -> None:
    limiter = RateLimiter(600, clock=FakeClock())
    full = limiter.per_minute
    limiter.observe_remaining(1, in_flight=4)
    assert limiter.per_minute < full / 2
    for _ in range(30):
        limiter.observe_remaining(500, in_flight=4)
    assert limiter.per_minute == pytest.approx(full)


def test_limiter_ignores_missing_remaining_header() -> None:
    limiter = RateLimiter(600, clock=FakeClock())
    before = limiter.per_minute
    limiter.observe_remaining(None, in_flight=4)
    assert limiter.per_minute == before


# -- through the real clients, over loopback --------------------------------------------------


def _loopback_handler(request: SeenRequest) -> Reply:
    if request.path.endswith(UUID_B):
        return Reply.status(404, json={"error": "Contact not found"})
    return Reply(204, headers={"X-Request-Id": "req-loop", "X-RateLimit-Remaining": "99"})


def test_kapso_contacts_erase_many_over_loopback() -> None:
    with (
        FaultServer(_loopback_handler) as server,
        Kapso(api_key="k", base_url=server.url) as client,
    ):
        server.script(Reply.status(503))
        results = list(
            client.contacts.erase_many([UUID_A, UUID_B, "bad", UUID_A.upper()], rate_limit=6000)
        )
        sent = [r.path for r in server.requests]
    by_input = {r.input: r for r in results}
    assert by_input[UUID_A].status == "queued"
    assert by_input[UUID_A].request_id == "req-loop"
    assert by_input[UUID_B].status == "not_found"
    assert by_input["bad"].status == "invalid"
    assert by_input[UUID_A.upper()].duplicate
    assert len(sent) == 3  # one 503 retried, the duplicate and the invalid input never sent


async def test_async_kapso_contacts_erase_many_over_loopback() -> None:
    with FaultServer(_loopback_handler) as server:
        async with AsyncKapso(api_key="k", base_url=server.url) as client:
            results = [
                r async for r in client.contacts.erase_many([UUID_A, UUID_B], rate_limit=6000)
            ]
    assert sorted(r.status for r in results) == ["not_found", "queued"]
