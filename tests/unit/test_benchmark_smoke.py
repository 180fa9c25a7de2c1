"""The load benchmark runs end to end with tiny numbers and prints every figure, on Slack
and on Teams.

No performance figure is asserted: only that the run completes, reports everything, and that
the counts which do not depend on the machine (creates, duplicates, token, Slack and Teams
calls) are what one bot process must produce.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PEOPLE, ROUNDS = 3, 2

FIGURES = (
    "command_ack_ms",
    "submission_ack_ms",
    "tickets_per_second",
    "cpu_ms_per_ticket",
    "peak_rss_mb",
    "serviceops_token_requests",
    "users_info_calls",
    "creates",
    "duplicates",
    "slack_calls",
    "slack_new_connections",
    "serviceops_calls",
    "serviceops_new_connections",
    "bot_exit_code",
)
LABELS = (
    "command_ack_ms",
    "submission_ack_ms",
    "p50",
    "p95",
    "p99",
    "tickets per second",
    "CPU per ticket (bot)",
    "peak RSS (bot)",
    "ServiceOps token requests",
    "users.info calls",
    "creates",
    "duplicates",
    "Slack: new connections",
    "ServiceOps: new connections",
    "bot exit code after SIGTERM",
)


TEAMS_FIGURES = (
    "open_answer_ms",
    "submit_answer_ms",
    "tickets_per_second",
    "cpu_ms_per_ticket",
    "driver_cpu_ms_per_ticket",
    "peak_rss_mb",
    "login_token_requests",
    "members_calls",
    "members_calls_per_person",
    "serviceops_token_requests",
    "submit_answers",
    "creates",
    "announcements",
    "duplicates",
    "teams_calls_by_kind",
    "serviceops_new_connections",
    "bot_exit_code",
)
TEAMS_LABELS = (
    "Teams:",
    "open_answer_ms",
    "submit_answer_ms",
    "p99",
    "tickets per second",
    "CPU per ticket (bot)",
    "CPU per ticket (driver, fakes)",
    "peak RSS (bot)",
    "login token requests",
    "members calls",
    "ServiceOps token requests",
    "submit answers",
    "creates",
    "announcements",
    "duplicates",
    "Teams calls by kind",
    "bot exit code after SIGTERM",
)


def run_benchmark(*options: str) -> tuple[dict[str, Any], str]:
    """Run `benchmarks/load.py` with tiny numbers; its JSON figures and its printed table."""
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/load.py",
            *options,
            "--people",
            str(PEOPLE),
            "--rounds",
            str(ROUNDS),
            "--timeout",
            "60",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result, done.stdout


def test_benchmark_runs_and_prints_every_figure() -> None:
    result, printed = run_benchmark("--latency", "0")
    assert [name for name in FIGURES if name not in result] == [], result
    assert [label for label in LABELS if label not in printed] == [], printed

    tickets = PEOPLE * ROUNDS
    assert result["errors"] == []
    assert result["bot_exit_code"] == 0  # SIGTERM: drained and stopped cleanly
    for spread in (result["command_ack_ms"], result["submission_ack_ms"]):
        assert set(spread) == {"p50", "p95", "p99", "max", "mean"}
        assert 0 < spread["p50"] <= spread["p99"] <= spread["max"]
    assert result["submissions"] == tickets
    assert result["creates"] == tickets
    assert result["duplicates"] == 0
    assert result["serviceops_token_requests"] == 1
    assert result["users_info_calls"] == PEOPLE  # cached after each person's first ticket
    # The warm-up's auth.test serves Bolt's authorization too: none while taking traffic.
    assert result["slack_calls_by_method"]["auth.test"] == 1
    assert result["slack_calls_by_method"]["chat.postMessage"] == tickets
    assert result["slack_calls_by_method"]["views.update"] == tickets


def test_teams_benchmark_runs_and_prints_every_figure() -> None:
    result, printed = run_benchmark("--surface", "teams", "--latency", "0.05")
    assert [name for name in TEAMS_FIGURES if name not in result] == [], result
    assert [label for label in TEAMS_LABELS if label not in printed] == [], printed

    tickets = PEOPLE * ROUNDS
    assert result["surface"] == "teams"
    assert result["errors"] == []
    assert result["bot_exit_code"] == 0  # SIGTERM: drained and stopped cleanly
    for spread in (result["open_answer_ms"], result["submit_answer_ms"]):
        assert set(spread) == {"p50", "p95", "p99", "max", "mean"}
        assert 0 < spread["p50"] <= spread["p99"] <= spread["max"]
    assert result["submissions"] == tickets
    # Whether the outcome came in time depends on the machine: only that each got an answer.
    assert sum(result["submit_answers"].values()) == tickets
    assert set(result["submit_answers"]) <= {"Ticket created", "New ticket"}
    assert result["creates"] == tickets
    assert result["announcements"] == tickets
    assert result["duplicates"] == 0
    assert result["serviceops_token_requests"] == 1
    # The warm-up's login serves every call; each person is looked up once (then cached).
    assert result["login_token_requests"] == 1
    assert result["members_calls"] == PEOPLE
    calls = result["teams_calls_by_kind"]
    assert calls["send"] == tickets
    assert calls["openid"] == calls["keys"] == 1
    assert result["teams_failed_calls"] == 0
