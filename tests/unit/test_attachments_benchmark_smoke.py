"""The attachments benchmark runs end to end with tiny numbers and prints every figure.

No memory figure is asserted: only that the run completes, and that the counts which do not
depend on the machine (tickets, attachments, bytes uploaded, downloads) are what the bot must
produce.
"""

from __future__ import annotations

from tests.unit.benchmark_runs import run_benchmark

PEOPLE, MB = 3, 0.5

LABELS = (
    "bot peak RSS (VmHWM), with the files",
    "the same tickets without files",
    "tickets created",
    "files attached",
    "uploaded to ServiceOps",
    "bot exit code after SIGTERM",
)


def test_attachments_benchmark_runs_and_prints_every_figure() -> None:
    result, _ = run_benchmark(
        "attachments.py", *("--people", str(PEOPLE), "--mb", str(MB)), labels=LABELS
    )

    assert result["errors"] == []
    assert result["bot_exit_code"] == 0
    assert result["creates"] == result["attachments"] == result["uploads"] == PEOPLE
    assert result["uploaded_mb"] == PEOPLE * MB
    assert result["downloads"] == PEOPLE
    assert result["bot_peak_rss_mb"] > 0
    assert result["bot_peak_rss_without_files_mb"] > 0
