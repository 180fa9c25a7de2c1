"""The attachments benchmark runs end to end with tiny numbers and prints every figure.

No memory figure is asserted: only that the run completes, and that the counts which do not
depend on the machine (tickets, attachments, bytes uploaded, downloads) are what the bot must
produce.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
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
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/attachments.py",
            *("--people", str(PEOPLE), "--mb", str(MB), "--json"),
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
    assert result["creates"] == result["attachments"] == result["uploads"] == PEOPLE
    assert result["uploaded_mb"] == PEOPLE * MB
    assert result["downloads"] == PEOPLE
    assert result["bot_peak_rss_mb"] > 0
    assert result["bot_peak_rss_without_files_mb"] > 0
