"""The load benchmark runs end to end with tiny numbers and prints every figure.

No performance figure is asserted: only that the run completes, reports everything, and that
the counts which do not depend on the machine (creates, duplicates, token and Slack calls)
are what one bot process must produce.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


def test_benchmark_runs_and_prints_every_figure() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/load.py",
            "--people",
            str(PEOPLE),
            "--rounds",
            str(ROUNDS),
            "--latency",
            "0",
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
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert [name for name in FIGURES if name not in result] == [], result
    assert [label for label in LABELS if label not in done.stdout] == [], done.stdout

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
