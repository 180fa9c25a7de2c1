"""The hostile-traffic benchmark runs end to end with tiny numbers and prints every figure.

No performance figure is asserted: only that the run completes, and that what does not depend
on the machine holds (floods refused, legitimate commands acked, probes merged, DMs answered).
"""

from __future__ import annotations

from tests.unit.benchmark_runs import run_benchmark

FLOOD, GZIP, PROBES, DMS = 4, 3, 20, 3

LABELS = ("/ticket ack, quiet", "unsigned flood", "gzip flood", "/readyz", "DMs of", "bot RSS")


def test_hostile_benchmark_runs_and_prints_every_figure() -> None:
    result, _ = run_benchmark(
        "hostile.py",
        *("--acks", "2", "--flood", str(FLOOD), "--gzip", str(GZIP)),
        *("--probes", str(PROBES), "--dms", str(DMS), "--dm-chars", "3000"),
        *("--concurrency", "2", "--timeout", "60"),
        labels=LABELS,
    )

    assert result["errors"] == []
    assert result["bot_exit_code"] == 0
    assert result["unsigned_flood"]["answers"] == {"401": FLOOD}
    assert result["gzip_flood"]["answers"] == {"415": GZIP}
    assert result["probe_answers"] == {"200": PROBES}
    assert result["token_requests"] <= 1  # readiness reuses one check for the burst
    assert result["dm_prompts"] == DMS
    assert result["rss_after_dms_mb"] > 0
