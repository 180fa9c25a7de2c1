"""Ordinary mistakes at start-up, through the installed console script as an admin meets them.

Each one ends in one sentence on stderr naming the problem and the fix (after any log lines),
a non-zero exit status, and nothing left open: no traceback, no "Unclosed client session",
no "--- Logging error ---", no ResourceWarning (the process runs with them all shown).
Settings problems exit 2; trouble outside the settings (the network, a port taken) exits 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest

from tests.fakes.environment import bot_environment
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode

BIN = Path(sys.executable).parent
SCRIPT = shutil.which("serviceops-bot", path=str(BIN))
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")
LEFTOVERS = (
    "Traceback",
    "Unclosed",
    "Logging error",
    "Task was destroyed",
    "ResourceWarning",
    "will be unused",  # Bolt's warning about a token it was never meant to use
)
SECRET = "secretpart"

SOCKET_SETTINGS = {
    "SLACK_BOT_TOKEN": f"xoxb-1-2-{SECRET}",
    "SLACK_APP_TOKEN": f"xapp-1-A1-1-{SECRET}",
    "SERVICEOPS_URL": "https://desk.example.com",
    "SERVICEOPS_API_KEY": f"api-key-{SECRET}",
}


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def said(self) -> list[str]:
        """stderr without its log lines: what the process itself said."""
        return [line for line in self.err.splitlines() if not LOG_LINE.match(line)]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def clean_env(cwd: Path, settings: dict[str, str]) -> dict[str, str]:
    """Only PATH and HOME from outside (no proxy, no .env): what the test gives is all."""
    return {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(cwd),
        "PYTHONWARNINGS": "always::ResourceWarning",
        **settings,
    }


async def run_script(args: list[str], cwd: Path, settings: dict[str, str]) -> Result:
    """`serviceops-bot ARGS` in a clean environment; fakes in this loop keep serving."""
    assert SCRIPT is not None, "the serviceops-bot console script is not installed"
    process = await asyncio.create_subprocess_exec(
        SCRIPT,
        *args,
        cwd=cwd,
        env=clean_env(cwd, settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return Result(process.returncode, stdout.decode(), stderr.decode())


def assert_refused(result: Result, code: int, *fragments: str) -> str:
    """One sentence after the logs, naming the problem; exit `code`; nothing left open."""
    everything = result.out + result.err
    for leftover in LEFTOVERS:
        assert leftover not in everything, everything
    assert SECRET not in everything
    assert result.code == code, everything
    assert len(result.said) == 1, everything
    [sentence] = result.said
    assert sentence.startswith("serviceops-bot cannot start: "), everything
    for fragment in fragments:
        assert fragment in sentence
    return sentence


# --------------------------------------------------------------------------- Slack unreachable


@pytest.mark.parametrize(
    ("api_url", "named"),
    [
        (f"http://127.0.0.1:{closed_port()}/api/", "(connection refused)"),
        ("https://slack.invalid/api/", "slack.invalid cannot be resolved (DNS)"),
    ],
    ids=["connection refused", "DNS failure"],
)
async def test_socket_mode_with_slack_unreachable(tmp_path: Path, api_url: str, named: str) -> None:
    result = await run_script([], tmp_path, {**SOCKET_SETTINGS, "SLACK_API_URL": api_url})

    assert_refused(result, 1, "Slack is unreachable", named, "SLACK_API_URL", "HTTPS_PROXY")


# --------------------------------------------------------------------------- a refused token


async def test_socket_mode_with_a_refused_app_token(
    slack: FakeSlack, desk: FakeServiceOps, tmp_path: Path
) -> None:
    async with FakeSocketMode(slack, app_token=f"xapp-1-A1-1-right{SECRET}"):
        settings = {**bot_environment(slack, desk), "SLACK_APP_TOKEN": f"xapp-1-A1-1-{SECRET}"}
        result = await run_script([], tmp_path, settings)

    assert_refused(result, 2, "Slack refused SLACK_APP_TOKEN (invalid_auth)", "connections:write")


@pytest.mark.parametrize("error", ["invalid_auth", "account_inactive", "token_revoked"])
async def test_http_mode_with_a_refused_bot_token(
    slack: FakeSlack, desk: FakeServiceOps, tmp_path: Path, error: str
) -> None:
    """It used to start and serve with a warning, every request then refused by Bolt."""
    slack.fail_next("auth.test", error)
    settings = {**bot_environment(slack, desk), "PORT": str(closed_port()), "HOST": "127.0.0.1"}

    result = await run_script(["run", "--mode", "http"], tmp_path, settings)

    sentence = assert_refused(result, 2, f"Slack refused SLACK_BOT_TOKEN ({error})")
    assert "reinstall" in sentence or "OAuth & Permissions" in sentence
    assert slack.count("auth.test") == 1


# --------------------------------------------------------------------------- the port


async def test_port_already_in_use(tmp_path: Path) -> None:
    settings = {
        **SOCKET_SETTINGS,
        "SLACK_APP_TOKEN": "",
        "SLACK_SIGNING_SECRET": f"signing-{SECRET}",
        # Slack out of reach does not stop HTTP mode (Slack calls in): the port does.
        "SLACK_API_URL": f"http://127.0.0.1:{closed_port()}/api/",
        "HOST": "127.0.0.1",
    }
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = await run_script(
            ["run", "--mode", "http"], tmp_path, {**settings, "PORT": str(port)}
        )

    assert_refused(
        result,
        1,
        f"port {port} (PORT) on 127.0.0.1 is already in use",
        "set PORT to a free port",
    )


# --------------------------------------------------------------------------- LOG_LEVEL


async def test_unknown_log_level_is_refused_by_run_and_flagged_by_check(tmp_path: Path) -> None:
    settings = {**SOCKET_SETTINGS, "LOG_LEVEL": "LOUD"}
    allowed = "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"

    run = await run_script([], tmp_path, settings)
    check = await run_script(["check"], tmp_path, settings)

    assert run.code == 2
    assert f"  - {allowed} (see the README's Configuration section)." in run.err.splitlines()
    assert "Traceback" not in run.err
    assert check.code == 1
    assert f"✗ {allowed} (see the README's Configuration section)." in check.out.splitlines()
    assert "Traceback" not in check.err


# --------------------------------------------------------------------------- a proxy that refuses


@dataclass
class Proxy:
    """An HTTP proxy on loopback that answers every CONNECT with 502, noting what was asked."""

    url: str = ""
    asked: list[str] = field(default_factory=list)


@pytest.fixture
async def refusing_proxy() -> AsyncIterator[Proxy]:
    proxy = Proxy()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            head = await reader.readuntil(b"\r\n\r\n")
            proxy.asked.append(head.split(b"\r\n", 1)[0].decode())
            writer.write(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    proxy.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    yield proxy
    server.close()
    await server.wait_closed()


async def test_check_through_a_proxy_that_answers_502(
    refusing_proxy: Proxy, tmp_path: Path
) -> None:
    settings = {**SOCKET_SETTINGS, "HTTPS_PROXY": refusing_proxy.url}

    result = await run_script(["check"], tmp_path, settings)

    assert result.code == 1, result.out + result.err
    assert result.err == ""
    lines = result.out.splitlines()
    assert lines[0].startswith("✓ Settings read from the environment: Slack in Socket Mode; ")
    assert lines[0].endswith(f"; proxy: HTTPS_PROXY {refusing_proxy.url}")
    refused = f"Proxy refused: the proxy {refusing_proxy.url} (HTTPS_PROXY) answered HTTP 502"
    assert "✗ Slack reachable at https://slack.com/api/" in lines
    assert "✗ Slack app-level token (Socket Mode)" in lines
    assert "✗ ServiceOps reachable at https://desk.example.com" in lines
    assert (
        f"    fix: {refused} Bad Gateway when asked for desk.example.com: allow desk.example.com "
        "on it, or add the host to NO_PROXY if this machine reaches it directly."
    ) in lines
    assert sum(refused in line for line in lines) == 3
    assert any(line.startswith("– ServiceOps credentials not checked") for line in lines)
    assert lines[-1] == "Some checks failed."
    assert sorted(set(refusing_proxy.asked)) == [
        "CONNECT desk.example.com:443 HTTP/1.1",
        "CONNECT slack.com:443 HTTP/1.1",
    ]
    assert SECRET not in result.out


async def test_check_reaches_no_proxy_hosts_directly(refusing_proxy: Proxy, tmp_path: Path) -> None:
    desk = f"http://127.0.0.1:{closed_port()}"
    settings = {
        **SOCKET_SETTINGS,
        "SERVICEOPS_URL": desk,
        "HTTP_PROXY": refusing_proxy.url,
        "NO_PROXY": "127.0.0.1",
    }

    result = await run_script(["check"], tmp_path, settings)

    lines = result.out.splitlines()
    assert lines[0].endswith(f"; proxy: HTTP_PROXY {refusing_proxy.url}, NO_PROXY 127.0.0.1")
    index = lines.index(f"✗ ServiceOps reachable at {desk}")
    assert lines[index + 1].startswith("    fix: Cannot connect: check SERVICEOPS_URL")
    assert not any(desk.removeprefix("http://") in asked for asked in refusing_proxy.asked)


# --------------------------------------------------------------------------- a clean start


async def test_a_good_start_logs_no_warning_about_tokens(
    slack: FakeSlack, desk: FakeServiceOps, tmp_path: Path
) -> None:
    """Settings from the real environment (SLACK_BOT_TOKEN among them) once made Bolt warn
    "As you gave `client` as well, `token` will be unused"."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = {**bot_environment(slack, desk), "PORT": str(port), "HOST": "127.0.0.1"}
    assert SCRIPT is not None
    process = await asyncio.create_subprocess_exec(
        SCRIPT,
        "run",
        "--mode",
        "http",
        cwd=tmp_path,
        env=clean_env(tmp_path, settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx2.AsyncClient() as http:
            for _ in range(200):
                with contextlib.suppress(httpx2.TransportError):
                    if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("the bot did not answer /healthz")
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == 0
    for leftover in LEFTOVERS:
        assert leftover not in stderr.decode()
    assert slack.count("auth.test") == 1
