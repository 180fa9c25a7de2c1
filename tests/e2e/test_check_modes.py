"""`serviceops-bot check`: the settings line first, `--mode` to check the other mode, and a
credential check it could not make said so (and why), never left out silently."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import socket
import sys
from pathlib import Path

from bot.check import report, run_checks
from tests.e2e.harness import make_settings
from tests.fakes.environment import bot_environment
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode

BIN = Path(sys.executable).parent
SCRIPT = shutil.which("serviceops-bot", path=str(BIN))


async def check(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, list[str], str]:
    assert SCRIPT is not None, "the serviceops-bot console script is not installed"
    process = await asyncio.create_subprocess_exec(
        SCRIPT,
        "check",
        *args,
        cwd=cwd,
        env={"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(cwd), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stdout.decode().splitlines(), stderr.decode()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_mode_flag_checks_http_mode_while_an_app_token_is_set(
    slack: FakeSlack, desk: FakeServiceOps, tmp_path: Path
) -> None:
    async with FakeSocketMode(slack) as socket_mode:
        env = {**bot_environment(slack, desk), "SLACK_APP_TOKEN": socket_mode.app_token}
        default = await check(tmp_path, env)
        http = await check(tmp_path, env, "--mode", "http")
        no_secret = {k: v for k, v in env.items() if k != "SLACK_SIGNING_SECRET"}
        http_without_secret = await check(tmp_path, no_secret, "--mode", "http")
        socket_without_secret = await check(tmp_path, no_secret, "--mode", "socket")

    code, lines, err = default
    assert (code, err) == (0, ""), lines
    assert "✓ Run mode: Socket Mode (SLACK_APP_TOKEN)" in lines
    assert "✓ Slack app-level token accepted (Socket Mode)" in lines

    code, lines, err = http
    assert (code, err) == (0, ""), lines
    assert lines[0].startswith("✓ Settings read from the environment: Slack in HTTP mode; ")
    assert "✓ Run mode: HTTP mode (PORT 3000)" in lines
    assert not any("app-level token" in line for line in lines)  # not used in HTTP mode

    code, lines, _ = http_without_secret
    assert code == 1
    index = lines.index("✗ Run mode: HTTP mode (PORT 3000)")
    assert "SLACK_SIGNING_SECRET is required in HTTP mode" in lines[index + 1]

    code, lines, _ = socket_without_secret
    assert code == 0, lines


async def test_settings_line_says_what_was_read_and_from_where(
    slack: FakeSlack, desk: FakeServiceOps, tmp_path: Path
) -> None:
    env = bot_environment(slack, desk)
    (tmp_path / ".env").write_text(
        "CACHE_URL=redis://:cache-password@127.0.0.1:1/0\nLOG_LEVEL=warning\n", encoding="utf-8"
    )

    code, lines, _ = await check(tmp_path, env)

    assert lines[0] == (
        "✓ Settings read from .env and the environment: Slack in HTTP mode; "
        f"ServiceOps {desk.url} with a REST client and user (OAuth); "
        "cache redis://***@127.0.0.1:1/0; links in sqlite:///serviceops-bot.sqlite3; "
        "no proxy (HTTPS_PROXY not set)"
    )
    assert "cache-password" not in "\n".join(lines)
    assert code == 0


async def test_serviceops_unreachable_says_the_credentials_were_not_checked(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    out = io.StringIO()

    ok = report(await run_checks(make_settings(slack, desk, serviceops_url=url)), out)

    lines = out.getvalue().splitlines()
    assert not ok
    index = lines.index(f"✗ ServiceOps reachable at {url}")
    assert lines[index + 2] == (
        "– ServiceOps credentials not checked: ServiceOps could not be reached, so they could "
        "not be tried (fix the line above, then check again)"
    )
    assert desk.token_requests == 0


async def test_slack_unreachable_says_the_token_and_scopes_were_not_checked(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/api/"
    out = io.StringIO()

    report(await run_checks(make_settings(slack, desk, slack_api_url=url)), out)

    lines = out.getvalue().splitlines()
    index = lines.index(f"✗ Slack reachable at {url}")
    assert lines[index + 2].startswith("– Slack bot token and scopes not checked")
