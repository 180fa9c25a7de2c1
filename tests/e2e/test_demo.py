"""`serviceops-bot demo`: the real bot files one ticket between the built-in stand-ins.

Run as an admin would on a fresh machine, before configuring anything: the installed console
script, a clean environment, and in its working directory a `.env` that would stop the real
bot (the demo reads no settings), with proxies that lead nowhere (the demo stays on
127.0.0.1, where no proxy applies).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SCRIPT = shutil.which("serviceops-bot", path=str(BIN))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    assert SCRIPT is not None, "the serviceops-bot console script is not installed"
    cwd = tmp_path_factory.mktemp("demo")
    (cwd / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-\nLOG_LEVEL=LOUD\nSTATE_URL=redis://127.0.0.1:1/0\n", encoding="utf-8"
    )
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(cwd),
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "PYTHONWARNINGS": "always::ResourceWarning",
    }
    return subprocess.run(
        [SCRIPT, "demo"], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_exits_0_with_nothing_on_stderr(demo: subprocess.CompletedProcess[str]) -> None:
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert demo.stderr == ""


def test_shows_the_form_the_progress_and_the_result(demo: subprocess.CompletedProcess[str]) -> None:
    out = demo.stdout

    assert "1. Ada Lovelace types in #it-help:  /ticket VPN drops every 5 minutes" in out
    assert "answered 200" in out
    # The form the bot opened: the command's text and the channel's defaults.
    assert "┌─ New ticket " in out
    assert "│ Subject *     [VPN drops every 5 minutes " in out
    assert "│ Urgency       [High ▾]" in out
    assert "│ Department    [IT ▾]" in out
    assert "[ Cancel ]  [ Create ticket ] │" in out
    # What was typed, then "Creating…" at once.
    assert "│ Description   [Since this morning the VPN client disconnects every 5 ]" in out
    assert ":hourglass_flowing_sand: *Creating your ticket…*" in out
    # The result, in the form and in the channel, with the number and its link.
    assert "┌─ Ticket created " in out
    assert "│ :ticket: @Ada Lovelace created ticket *INC-1" in out
    assert "/t/request/view/1)" in out
    assert "You'll also find it in #it-help." in out
    assert out.index("┌─ New ticket ") < out.index("Creating your ticket…")
    assert out.index("Creating your ticket…") < out.index("┌─ Ticket created ")


def test_shows_what_serviceops_received(demo: subprocess.CompletedProcess[str]) -> None:
    out = demo.stdout

    assert "POST /api/v1/request" in out
    assert '"subject": "VPN drops every 5 minutes"' in out
    assert '"requesterEmail": "ada@example.com"' in out
    assert '"urgencyName": "High"' in out
    assert '"departmentName": "IT"' in out
    assert "demo-api-key" not in out  # the credentials are named, never shown


def test_counts_the_slack_calls_of_one_ticket(demo: subprocess.CompletedProcess[str]) -> None:
    assert (
        "Slack Web API calls the bot made: auth.test 1, views.open 1, users.info 1, "
        "chat.postMessage 1, views.update 1."
    ) in demo.stdout


def test_the_product_never_imports_the_tests() -> None:
    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            found += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "tests"]

    assert found == []
