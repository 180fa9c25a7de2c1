"""The webhook benchmark runs end to end with tiny numbers and prints every figure.

No performance figure is asserted: only that the run completes, and that the counts which do
not depend on the machine (reads, posts, duplicates, answers) are what one bot must produce.
"""

from __future__ import annotations

from tests.unit.benchmark_runs import run_benchmark

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
    result, _ = run_benchmark(
        "webhook.py",
        *("--requests", str(REQUESTS), "--calls", str(CALLS), "--latency", "0"),
        *("--timeout", "60"),
        labels=LABELS,
    )

    assert result["errors"] == []
    assert result["bot_exit_code"] == 0
    assert set(result["answer_ms"]) == {"p50", "p95", "p99", "max", "mean"}
    assert result["answers"] == {"202": CALLS}
    assert result["serviceops_reads"] == REQUESTS  # one read per request, however many calls
    assert result["posts"] == result["threads_posted_in"] == REQUESTS
    assert result["duplicates"] == 0
    assert result["bot_cpu_ms"] > 0
