"""The real process: `python -m bot run --mode http`, configured by environment variables.

It serves a `/ticket` journey between the fakes (which run in the test's event loop), and on
SIGTERM stops taking work, lets the ticket being filed finish and be announced, then exits 0.
Exit codes and messages for missing settings are covered in tests/unit/test_cli.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.e2e.harness import CHANNEL, Harness, created_view, text_of
from tests.fakes.environment import bot_environment
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class ProcessLogs:
    """Reads a process's stderr line by line as it comes; lets a test wait for an event."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.raw: list[str] = []
        self._stream = stream
        self._changed = asyncio.Condition()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while line := await self._stream.readline():
            async with self._changed:
                self.raw.append(line.decode().rstrip("\n"))
                self._changed.notify_all()

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.raw]

    def named(self, event: str) -> list[dict[str, Any]]:
        return [line for line in self.events if line.get("event") == event]

    async def wait_for(self, event: str, *, timeout: float) -> dict[str, Any]:
        def seen() -> bool:
            return any(f'"event": "{event}"' in line for line in self.raw)

        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(seen)
        except TimeoutError:
            raise AssertionError(
                f"no {event!r} in {timeout}s; stderr so far:\n" + self.text
            ) from None
        return self.named(event)[0]

    async def finished(self) -> None:
        await asyncio.wait_for(self._task, 10)

    @property
    def text(self) -> str:
        return "\n".join(self.raw)


def process_env(slack: FakeSlack, desk: FakeServiceOps, port: int, home: Path) -> dict[str, str]:
    return {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        **bot_environment(slack, desk),
        "PORT": str(port),
        "HOST": "127.0.0.1",  # the process binds where it is told (loopback only here)
        "SERVICEOPS_CONNECT_TIMEOUT": "2",
        "SERVICEOPS_READ_TIMEOUT": "10",
        "LOG_FORMAT": "json",
    }


async def run_journey(app: Harness, subject: str) -> None:
    """`/ticket`, then the modal submitted; returns once the submission is acknowledged."""
    assert (await app.command(subject)).status_code == 200
    view = await app.opened_view()
    answer = await app.submit(view, subject=subject, description="Reported from Slack")
    assert answer.status_code == 200
    assert answer.json()["response_action"] == "update"


async def test_http_process_files_a_ticket_and_drains_on_sigterm(
    slack: FakeSlack, desk: FakeServiceOps, tmp_path: Path
) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--mode",
        "http",
        cwd=tmp_path,
        env=process_env(slack, desk, port, tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    logs = ProcessLogs(process.stderr)
    http = httpx2.AsyncClient(timeout=10)
    # The app runs in the other process: the harness only sends to it and reads the fakes.
    app = Harness(f"http://127.0.0.1:{port}", slack, desk, bot=None, http=http)  # type: ignore[arg-type]
    try:
        started = await logs.wait_for("server_started", timeout=30)
        assert started["port"] == port
        health = await http.get(app.url + "/healthz")
        assert health.status_code == 200

        await run_journey(app, "Printer on floor 2 is offline")
        [first] = await slack.wait_for("chat.postMessage", where=lambda c: c.ok, timeout=10)
        assert first.args["channel"] == CHANNEL
        assert desk.created[0]["name"] in text_of(first.args)
        await slack.wait_for("views.update", where=created_view, timeout=10)  # first one done

        desk.latency = 1.5  # the second ticket is still being filed when SIGTERM comes
        await run_journey(app, "Scanner on floor 2 is offline")
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
        await logs.finished()
    finally:
        await http.aclose()
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert code == 0, logs.text
    assert "Traceback" not in logs.text
    # Graceful drain: the ticket in flight at SIGTERM was created and announced.
    assert [t["subject"] for t in desk.created] == [
        "Printer on floor 2 is offline",
        "Scanner on floor 2 is offline",
    ]
    posts = [c for c in slack.calls_to("chat.postMessage") if c.ok]
    assert len(posts) == 2
    assert desk.created[1]["name"] in text_of(posts[1].args)

    events = [line["event"] for line in logs.events]  # every stderr line is a JSON object
    assert events.count("ticket_created") == 2
    assert logs.named("shutting_down")[0]["in_flight"] == 1
    assert events.index("shutting_down") < len(events) - 1 - events[::-1].index("ticket_created")
    assert events[-1] == "stopped"
    assert "shutdown_abandoned_work" not in events
    async with httpx2.AsyncClient() as probe:
        with pytest.raises(httpx2.ConnectError):  # the port is closed
            await probe.get(app.url + "/healthz")
