"""Neither the API key nor a full phone number leaves the SDK through logs, reprs or messages,
and TLS verification is off only when a loudly named argument says so.

One run drives both clients through successes, API errors that echo the number and the key
back, retries, give-ups, dropped connections, a timeout, a refused connection, a rejected
identifier and a bulk erasure, against a loopback server (so httpx logs its real request lines).
Every logger is captured at DEBUG, plus the stderr handler `KAPSO_LOG=debug` installs.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import ssl
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from kapso_platform import AsyncKapso, ConfigurationError, Kapso, KapsoError
from kapso_platform._logging import LOGGER_NAME

from tests.faultserver import FaultServer, Reply, SeenRequest
from tests.overlay_support import FakeClock
from tests.servers import free_port

pytestmark = pytest.mark.timeout(60)

API_KEY = "sk_live_Zq8xPrivacyKey5521"
# Not the SDK's own example number, which its advice text may quote on purpose.
PHONE = "+12065550147"
NATIONAL = "(206) 555-0147"
MISSING = "+12065550199"  # the server answers 404 for it
TOO_LONG = "+1206555014799999"
# What must never appear: the key, or any run of the number longer than the last 4 digits
# that masking keeps (the subscriber part alone already identifies a person).
FORBIDDEN = (API_KEY, API_KEY[-10:], "20655", "555014", "555019", "%2B1206", "206) 555")
CAPTURED_LOGGERS = ("", "httpx", "httpcore", LOGGER_NAME)


class Lines(logging.Handler):
    """Keeps every record, formatted with everything a log line could carry."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[Lines]:
    """Every logger at DEBUG into one handler, `KAPSO_LOG=debug` on; all restored afterwards."""
    monkeypatch.setenv("KAPSO_LOG", "debug")
    handler = Lines()
    loggers = [logging.getLogger(name) for name in CAPTURED_LOGGERS]
    levels = [logger.level for logger in loggers]
    ours = logging.getLogger(LOGGER_NAME)
    handlers_before = list(ours.handlers)
    logging.getLogger().addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    yield handler
    logging.getLogger().removeHandler(handler)
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)
    for added in [h for h in ours.handlers if h not in handlers_before]:
        ours.removeHandler(added)  # the KAPSO_LOG handler holds this test's captured stderr


@dataclass
class Run:
    """Everything the scenario produced that a person could read."""

    shown: list[object] = field(default_factory=list)  # clients, results, errors
    errors: list[BaseException] = field(default_factory=list)

    def keep_error(self, error: BaseException) -> None:
        self.errors.append(error)
        self.shown.append(error)


def echoing_server_reply(request: SeenRequest) -> Reply:
    """The API misbehaving as badly as it could: echoing the number and the key in errors."""
    if request.path.endswith(MISSING[-4:]):
        echoed = f"contact {PHONE} not found (key {API_KEY})"
        return Reply.status(404, json={"error": echoed, "phone": PHONE})
    return Reply(204, {"X-Request-Id": "req_privacy"})


def attempt(run: Run, action: Callable[[], object]) -> None:
    try:
        run.shown.append(action())
    except KapsoError as error:
        run.keep_error(error)


def sync_scenario(run: Run, url: str, server: FaultServer, clock: FakeClock) -> None:
    with Kapso(API_KEY, base_url=url, clock=clock, default_region="US", timeout=0.3) as client:
        run.shown += [client, client.generated, client.generated.get_httpx_client()]
        run.shown.append(client.with_options(max_retries=1))
        attempt(run, lambda: client.contacts.erase(PHONE))
        attempt(run, lambda: client.contacts.erase(NATIONAL))
        attempt(run, lambda: client.contacts.erase(MISSING))
        server.script(Reply.rate_limited("1"), Reply.drop(), Reply.status(503))
        attempt(run, lambda: client.contacts.erase(PHONE))
        server.script(*[Reply.status(500)] * 4)
        attempt(run, lambda: client.contacts.erase(PHONE))
        server.script(Reply.rate_limited("1e9"))
        attempt(run, lambda: client.contacts.erase(PHONE))
        server.script(Reply.stall(30.0))
        attempt(run, lambda: client.contacts.erase(PHONE, max_retries=0))
        attempt(run, lambda: client.contacts.erase(TOO_LONG))
        attempt(run, lambda: list(client.contacts.erase_many([PHONE, NATIONAL, MISSING])))
    refused = f"http://127.0.0.1:{free_port()}"
    with Kapso(API_KEY, base_url=refused, clock=clock, max_retries=1) as client:
        attempt(run, lambda: client.contacts.erase(PHONE))


async def async_scenario(run: Run, url: str, server: FaultServer, clock: FakeClock) -> None:
    async with AsyncKapso(API_KEY, base_url=url, clock=clock) as client:
        run.shown += [client, client.generated]
        run.shown.append(await client.contacts.erase(PHONE))
        server.script(Reply.status(502), Reply.rate_limited("soon"))
        run.shown.append(await client.contacts.erase(PHONE))
        try:
            await client.contacts.erase(MISSING)
        except KapsoError as error:
            run.keep_error(error)


@pytest.fixture
def run(log_lines: Lines) -> Run:
    """The whole scenario, sync then async, against one echoing loopback server."""
    result, clock = Run(), FakeClock()
    with FaultServer(echoing_server_reply) as server:
        sync_scenario(result, server.url, server, clock)
        asyncio.run(async_scenario(result, server.url, server, clock))
    return result


def leaks(text: str) -> list[str]:
    return [secret for secret in FORBIDDEN if secret in text]


def test_the_scenario_really_logged_requests_retries_and_give_ups(
    run: Run, log_lines: Lines
) -> None:
    by_logger = {(record.name, record.levelno) for record in log_lines.records}
    assert ("httpx", logging.INFO) in by_logger  # httpx's own request line, full URL and all
    assert {(LOGGER_NAME, logging.DEBUG), (LOGGER_NAME, logging.INFO)} <= by_logger
    assert (LOGGER_NAME, logging.WARNING) in by_logger
    assert len(run.errors) >= 6


def test_no_log_line_holds_the_key_or_a_full_phone_number(run: Run, log_lines: Lines) -> None:
    leaking = [line for line in log_lines.lines if leaks(line)]
    assert log_lines.lines
    assert leaking == []


def test_the_kapso_log_stderr_handler_prints_nothing_secret(
    capsys: pytest.CaptureFixture[str], run: Run
) -> None:
    printed = capsys.readouterr().err
    assert "kapso_platform" in printed
    assert leaks(printed) == []


def test_repr_and_str_of_clients_results_and_errors_hide_key_and_number(run: Run) -> None:
    shown = [text for item in run.shown for text in (repr(item), str(item))]
    assert [text for text in shown if leaks(text)] == []


def test_tracebacks_of_every_error_hide_key_and_number(run: Run) -> None:
    for error in run.errors:
        assert leaks("".join(traceback.format_exception(error))) == [], type(error).__name__


# -- TLS -------------------------------------------------------------------------------------


def pool_context(client: Kapso | AsyncKapso) -> ssl.SSLContext:
    """The SSL context of the client's own httpx pool (httpx has no public accessor)."""
    context = getattr(getattr(client._pool, "_pool", None), "_ssl_context", None)
    assert isinstance(context, ssl.SSLContext)
    return context


def verifies(context: ssl.SSLContext) -> bool:
    return context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


@pytest.mark.parametrize("cls", [Kapso, AsyncKapso])
def test_tls_certificates_are_verified_by_default(cls: type[Kapso | AsyncKapso]) -> None:
    assert verifies(pool_context(cls(API_KEY)))


@pytest.mark.parametrize("cls", [Kapso, AsyncKapso])
def test_there_is_no_quiet_verify_switch(cls: type[Kapso | AsyncKapso]) -> None:
    names = set(inspect.signature(cls).parameters)
    assert not {"verify", "verify_ssl", "ssl", "insecure"} & names
    with pytest.raises(TypeError):
        cls(API_KEY, verify=False)  # type: ignore[call-arg]


def test_the_environment_cannot_turn_verification_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONHTTPSVERIFY", "0")
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")
    assert verifies(pool_context(Kapso(API_KEY)))


@pytest.mark.parametrize(
    "http_client",
    [
        lambda: httpx.Client(verify=False),
        lambda: httpx.Client(mounts={"https://": httpx.HTTPTransport(verify=False)}),
    ],
)
def test_a_callers_client_that_skips_verification_is_refused(http_client: object) -> None:
    with (
        http_client() as unverified,  # type: ignore[operator]
        pytest.raises(ConfigurationError, match="insecure_skip_tls_verify=True"),
    ):
        Kapso(API_KEY, http_client=unverified)


async def test_a_callers_async_client_that_skips_verification_is_refused() -> None:
    async with httpx.AsyncClient(verify=False) as unverified:
        with pytest.raises(ConfigurationError, match="does not verify TLS certificates"):
            AsyncKapso(API_KEY, http_client=unverified)


@pytest.mark.parametrize("cls", [Kapso, AsyncKapso])
def test_insecure_skip_tls_verify_turns_it_off_and_says_so_loudly(
    cls: type[Kapso | AsyncKapso], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    assert not verifies(pool_context(cls(API_KEY, insecure_skip_tls_verify=True)))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("TLS certificate verification is OFF" in line for line in warnings)


def test_insecure_skip_tls_verify_accepts_a_callers_unverified_client(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    with httpx.Client(verify=False) as unverified:
        Kapso(API_KEY, http_client=unverified, insecure_skip_tls_verify=True).close()
    assert any("verification is OFF" in record.getMessage() for record in caplog.records)
