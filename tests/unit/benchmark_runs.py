"""Runs a benchmark script the way its smoke test needs: tiny numbers, figures as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_benchmark(
    script: str, *options: str, labels: Iterable[str] = ()
) -> tuple[dict[str, Any], str]:
    """Run `benchmarks/<script>` with `options` and `--json`; its JSON figures (the last line
    printed) and everything it printed. Fails when it exits non-zero or a label is missing
    from what it printed."""
    done = subprocess.run(
        [sys.executable, f"benchmarks/{script}", *options, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert [label for label in labels if label not in done.stdout] == [], done.stdout
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result, done.stdout
