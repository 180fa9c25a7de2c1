"""The load benchmark runs end to end (tiny numbers; it asserts no performance figure)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_runs_and_prints_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/load.py", "--people", "3", "--latency", "0", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for figure in (
        "command_ack_ms",
        "submission_ack_ms",
        "tickets_per_second",
        "cpu_ms_per_ticket",
        "peak_rss_mb",
        "serviceops_token_requests",
        "users_info_calls",
        "creates",
        "duplicates",
        "slack_new_connections",
        "serviceops_new_connections",
    ):
        assert figure in result
    assert result["creates"] == 3
    assert result["duplicates"] == 0
    assert result["bot_exit_code"] == 0
    for label in ("p99", "CPU per ticket", "peak RSS", "new connections"):
        assert label in done.stdout
