"""The `kapso` command line: input files, the report and resume, exit codes, real servers."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from kapso_platform._cli import main
from kapso_platform._cli._inputs import InputFileError, read_lines

from tests.faultserver import FaultServer, Reply, RequestLimit, SeenRequest
from tests.servers import ROOT

SAMPLE = ROOT / "tests" / "fixtures" / "sample-erasures.csv"


def phones(count: int, start: int = 0) -> list[str]:
    return [f"+1415555{n:04d}" for n in range(start, start + count)]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def records(report: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]


def last_status(report: Path) -> dict[str, str]:
    return {record["input"]: record["status"] for record in records(report)}


def erase_file(server_url: str, source: Path, report: Path, *extra: str) -> int:
    return main(
        [
            "--base-url",
            server_url,
            "--api-key",
            "test-key",
            "contacts",
            "erase",
            "--from-file",
            str(source),
            "--report",
            str(report),
            *extra,
        ]
    )


# -- reading input files -------------------------------------------------------------------


def test_plain_lines_skip_blanks_and_comments_and_keep_line_numbers(tmp_path: Path) -> None:
    source = write(tmp_path / "in.txt", ["# header comment", "+14155550100", "", "  ", "abc"])
    assert [(line.number, line.text) for line in read_lines(source)] == [
        (2, "+14155550100"),
        (5, "abc"),
    ]


def test_utf8_bom_is_dropped_and_invalid_utf8_is_a_problem_line(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_bytes(b"\xef\xbb\xbf+14155550100\n\xff\xfe oops\n+14155550101\n")
    lines = list(read_lines(source))
    assert lines[0].text == "+14155550100"
    assert lines[1].problem == "line 2 is not valid UTF-8"
    assert lines[2].text == "+14155550101"


def test_csv_column_is_chosen_by_name_or_known_header(tmp_path: Path) -> None:
    source = write(tmp_path / "in.csv", ["name,phone", "Ann,+14155550100", "Bob"])
    lines = list(read_lines(source))
    assert lines[0].text == "+14155550100"
    assert lines[1].problem is not None and "line 3 has 1 fields" in lines[1].problem
    assert [line.text for line in read_lines(source, "NAME")] == ["Ann", "Bob"]


def test_csv_with_unknown_columns_needs_column(tmp_path: Path) -> None:
    source = write(tmp_path / "in.csv", ["a,b", "1,2"])
    with pytest.raises(InputFileError, match="--column"):
        list(read_lines(source))
    with pytest.raises(InputFileError, match="no column 'c'"):
        list(read_lines(source, "c"))


def test_one_column_file_with_header_name_skips_the_header(tmp_path: Path) -> None:
    source = write(tmp_path / "in.txt", ["phone_number", "+14155550100"])
    assert [line.text for line in read_lines(source)] == ["+14155550100"]


# -- usage errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["contacts", "erase"], "exactly one"),
        (["contacts", "erase", "--from-file", "x.txt"], "--report"),
        (["contacts", "erase", "+14155550100", "--rate", "0"], "--rate"),
        (["contacts", "erase", "+14155550100", "--concurrency", "0"], "--concurrency"),
        (["contacts", "erase", "+14155550100", "--default-region", "XX"], "--default-region"),
        (["contacts", "erase", "+14155550100", "--column", "a"], "--column"),
        (["contacts", "erase", "--nope"], "unrecognized"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(["--api-key", "k", *argv])
    except SystemExit as exit_:  # argparse's own errors leave by SystemExit
        code = exit_.code  # type: ignore[assignment]
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert message in err
    assert len(err.splitlines()) == 1


def test_missing_api_key_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KAPSO_API_KEY", raising=False)
    assert main(["contacts", "erase", "+14155550100"]) == 2
    assert "KAPSO_API_KEY" in capsys.readouterr().err


def test_plain_http_to_another_host_is_refused_naming_the_opt_in_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--base-url", "http://kapso.example/platform/v1", "--api-key", "k"]
    assert main([*argv, "contacts", "erase", "+14155550100"]) == 2
    err = capsys.readouterr().err
    assert "--allow-insecure-http" in err
    assert len(err.strip().splitlines()) == 1


def test_missing_input_file_is_a_usage_error(tmp_path: Path) -> None:
    assert erase_file("http://127.0.0.1:9", tmp_path / "absent.txt", tmp_path / "r.jsonl") == 2


# -- dry run ---------------------------------------------------------------------------------


def test_dry_run_validates_every_line_without_sending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "r.jsonl"
    with FaultServer() as server:
        code = erase_file(server.url, SAMPLE, report, "--dry-run")
        assert server.requests == []
    statuses = [(r["line"], r["status"]) for r in records(report)]
    assert code == 1
    assert (8, "invalid") in statuses
    assert [s for _, s in statuses].count("valid") == 6
    assert all(r["dry_run"] for r in records(report))
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert "+14155550123" not in capsys.readouterr().out


def test_dry_run_streams_a_generator_sized_file(tmp_path: Path) -> None:
    source = write(tmp_path / "in.txt", phones(2000))
    assert erase_file("http://127.0.0.1:9", source, tmp_path / "r.jsonl", "--dry-run") == 0
    assert len(records(tmp_path / "r.jsonl")) == 2000


# -- against the fault server -------------------------------------------------------------


def test_transient_faults_end_with_one_terminal_outcome_per_input(tmp_path: Path) -> None:
    inputs = [*phones(12), "not a number"]
    gone = set(phones(3))

    def handler(request: SeenRequest) -> Reply:
        identifier = request.path.rsplit("/", 1)[-1].replace("%2B", "+")
        return Reply.status(404, json={"error": "not found"}) if identifier in gone else Reply(204)

    report = tmp_path / "r.jsonl"
    with FaultServer(handler) as server:
        server.script(Reply.status(503), Reply.drop(), Reply.html(502))
        code = erase_file(server.url, write(tmp_path / "in.txt", inputs), report, "--rate", "6000")
        assert all(r.headers["x-api-key"] == "test-key" for r in server.requests)
    assert code == 1  # the invalid line
    final = records(report)
    assert sorted(r["input"] for r in final) == sorted(inputs)
    assert {r["input"]: r["status"] for r in final} == {
        **dict.fromkeys(phones(12), "queued"),
        **dict.fromkeys(gone, "not_found"),
        "not a number": "invalid",
    }
    assert sum(r["attempts"] for r in final) == 12 + 3


def test_matched_rate_never_exceeds_the_server_window(tmp_path: Path) -> None:
    limit = RequestLimit(per_window=20, window_seconds=1.0, retry_after="1", send_remaining=True)
    report = tmp_path / "r.jsonl"
    source = write(tmp_path / "in.txt", phones(50))
    with FaultServer(limit=limit) as server:
        code = erase_file(server.url, source, report, "--rate", "1200", "--concurrency", "8")
        assert server.count(429) == 0
        assert server.max_per_window() <= 20
    assert code == 0
    assert set(last_status(report).values()) == {"queued"}


def test_too_high_rate_is_slowed_by_429_and_still_finishes(tmp_path: Path) -> None:
    limit = RequestLimit(per_window=10, window_seconds=1.0, retry_after="1")
    report = tmp_path / "r.jsonl"
    with FaultServer(limit=limit) as server:
        code = erase_file(
            server.url, write(tmp_path / "in.txt", phones(25)), report, "--rate", "6000"
        )
        assert server.count(429) > 0
        assert server.max_per_window() <= 10
    assert code == 0
    assert set(last_status(report).values()) == {"queued"}


def test_rerun_with_same_report_skips_finished_inputs(tmp_path: Path) -> None:
    source = write(tmp_path / "in.txt", phones(6))
    report = tmp_path / "r.jsonl"
    with FaultServer() as server:
        assert erase_file(server.url, source, report, "--rate", "6000") == 0
        first = len(server.requests)
        assert erase_file(server.url, source, report, "--rate", "6000") == 0
        assert len(server.requests) == first == 6
    assert len(records(report)) == 6


def test_rejected_api_key_fails_fast(tmp_path: Path) -> None:
    report = tmp_path / "r.jsonl"
    with FaultServer(lambda request: Reply.status(401, json={"error": "bad key"})) as server:
        code = erase_file(
            server.url,
            write(tmp_path / "in.txt", phones(20)),
            report,
            "--rate",
            "6000",
            "--concurrency",
            "1",
        )
        assert len(server.requests) == 1
    assert code == 1
    assert set(last_status(report).values()) == {"failed"}


def test_identifiers_as_arguments_print_masked_results(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with FaultServer() as server:
        code = main(
            [
                "--base-url",
                server.url,
                "--api-key",
                "secret-key-123",
                "contacts",
                "erase",
                "+14155550123",
            ]
        )
    out = capsys.readouterr()
    assert code == 0
    assert "queued" in out.out and "***0123" in out.out
    assert "+14155550123" not in out.out + out.err
    assert "secret-key-123" not in out.out + out.err


def test_interrupted_run_resumes_without_repeating_finished_items(tmp_path: Path) -> None:
    inputs = phones(120)
    source = write(tmp_path / "in.txt", inputs)
    report = tmp_path / "r.jsonl"
    with FaultServer(latency=0.05) as server:
        command = [
            sys.executable,
            "-m",
            "kapso_platform",
            "--base-url",
            server.url,
            "contacts",
            "erase",
            "--from-file",
            str(source),
            "--report",
            str(report),
            "--rate",
            "3000",
            "--concurrency",
            "4",
        ]
        env = {**os.environ, "KAPSO_API_KEY": "test-key"}
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not report.exists() or len(records(report)) < 15):
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        first_run = records(report)
        sent_first = [r.path for r in server.requests]

        assert process.returncode == 1, err
        assert "interrupted" in out
        assert 15 <= len(first_run) < len(inputs)
        assert all(r["status"] == "queued" or r["error"] == "interrupted" for r in first_run)

        server.latency = 0.0
        assert erase_file(server.url, source, report, "--rate", "6000") == 0
        sent_second = [r.path for r in server.requests][len(sent_first) :]

    done_first = {r["identifier"] for r in first_run if r["status"] == "queued"}
    assert not done_first & {path.rsplit("/", 1)[-1].replace("%2B", "+") for path in sent_second}
    assert set(last_status(report)) == set(inputs)
    assert set(last_status(report).values()) == {"queued"}


# -- against Prism ---------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_erases_the_sample_file_through_prism(prism_url: str, tmp_path: Path) -> None:
    report = tmp_path / "r.jsonl"
    code = erase_file(prism_url, SAMPLE, report, "--rate", "6000")
    final = records(report)
    assert code == 1  # the sample has one invalid line on purpose
    assert [r["line"] for r in final if r["status"] == "invalid"] == [8]
    assert sum(r["status"] == "queued" for r in final) == 6
    assert sum(r["duplicate"] for r in final) == 1
