"""The webhook benchmark runs end to end with tiny numbers and prints every figure.

No performance figure is asserted: only that the run completes, and that the counts which do
not depend on the machine (reads, posts, duplicates, answers) are what one bot must produce.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REQUESTS, CALLS = 3, 30

LABELS = (
    "answer_ms",
    "p50",
    "p95",
    "p99",
    "max",
    "ServiceOps reads",
    "posts",
    "duplicates",
    "bot CPU",
    "driver CPU (calls, fakes)",
    "peak RSS (bot)",
    "bot exit code after SIGTERM",
)


def test_webhook_benchmark_runs_and_prints_every_figure() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/webhook.py",
            "--requests",
            str(REQUESTS),
            "--calls",
            str(CALLS),
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
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert [label for label in LABELS if label not in done.stdout] == [], done.stdout

    assert result["errors"] == []
    assert result["bot_exit_code"] == 0
    assert set(result["answer_ms"]) == {"p50", "p95", "p99", "max", "mean"}
    assert result["answers"] == {"202": CALLS}
    assert result["serviceops_reads"] == REQUESTS  # one read per request, however many calls
    assert result["posts"] == result["threads_posted_in"] == REQUESTS
    assert result["duplicates"] == 0
    assert result["bot_cpu_ms"] > 0
