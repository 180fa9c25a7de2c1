"""The hostile-traffic benchmark runs end to end with tiny numbers and prints every figure.

No performance figure is asserted: only that the run completes, and that what does not depend
on the machine holds (floods refused, legitimate commands acked, probes merged, DMs answered).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FLOOD, GZIP, PROBES, DMS = 4, 3, 20, 3

LABELS = ("/ticket ack, quiet", "unsigned flood", "gzip flood", "/readyz", "DMs of", "bot RSS")


def test_hostile_benchmark_runs_and_prints_every_figure() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/hostile.py",
            *("--acks", "2", "--flood", str(FLOOD), "--gzip", str(GZIP)),
            *("--probes", str(PROBES), "--dms", str(DMS), "--dm-chars", "3000"),
            *("--concurrency", "2", "--timeout", "60", "--json"),
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
    assert result["unsigned_flood"]["answers"] == {"401": FLOOD}
    assert result["gzip_flood"]["answers"] == {"415": GZIP}
    assert result["probe_answers"] == {"200": PROBES}
    assert result["token_requests"] <= 1  # readiness reuses one check for the burst
    assert result["dm_prompts"] == DMS
    assert result["rss_after_dms_mb"] > 0
