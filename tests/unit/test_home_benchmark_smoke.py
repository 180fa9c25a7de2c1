"""The Home tab benchmark runs end to end with tiny numbers and prints every figure.

No performance figure is asserted: only that the run completes, and that the counts which do
not depend on the machine are what one bot must produce: every open publishes the tab once,
the first opens ask ServiceOps, the second opens are served from the per-person cache.
"""

from __future__ import annotations

from tests.unit.benchmark_runs import run_benchmark

PEOPLE, REQUESTS = 2, 5

LABELS = (
    "first open of the Home tab",
    "second open of the Home tab",
    "first_publish_ms",
    "ServiceOps calls per open",
    "opens served from the cache",
    "views.publish per open",
    "bot exit code",
)


def test_home_benchmark_runs_and_prints_every_figure() -> None:
    result, _ = run_benchmark(
        "home.py",
        *("--people", str(PEOPLE), "--requests", str(REQUESTS), "--latency", "0"),
        *("--timeout", "60"),
        labels=LABELS,
    )

    assert result["errors"] == []
    assert result["bot_exit_code"] == 0
    first, second = result["first"], result["second"]
    assert first["opens"] == second["opens"] == PEOPLE
    assert first["publishes_per_open"] == second["publishes_per_open"] == 1.0
    assert first["cache_hits"] == 0
    assert first["serviceops_calls_per_open"] >= 1
    assert second["cache_hits"] == PEOPLE
    assert second["serviceops_calls_per_open"] == 0
    assert first["empty_lists"] == second["empty_lists"] == 0
