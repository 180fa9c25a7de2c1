"""Slow or numerous clients cannot hold the server.

A connection dribbling its headers is closed after the keep-alive time, one that declares a
body and never sends it after the body time; beyond the connection cap a connection is
answered 503 at once, so the bot keeps file descriptors for its own calls; refusals and
accept failures (`Too many open files`) are logged once per period, not once each.

The in-process tests run `serve()` with small limits on loopback; the last one runs the real
process under a low file limit with the default limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import resource
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from bot.cache import build_cache
from bot.config import FormConfig
from bot.server import Limits, serve
from bot.slack.app import create_app
from tests.e2e.harness import make_settings
from tests.e2e.test_process import ProcessLogs, free_port, process_env
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack

CAP = 20


@dataclass
class Served:
    host: str
    port: int

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self.host, self.port)


@pytest.fixture
def limits() -> Limits:
    return Limits(keepalive_seconds=0.5, body_seconds=0.5, max_connections=CAP)


@pytest.fixture
async def served(
    slack: FakeSlack, desk: FakeServiceOps, form_config: FormConfig, limits: Limits
) -> AsyncIterator[Served]:
    """The Slack surface in HTTP mode, run by `serve()` with `limits`."""
    port = free_port()
    settings = make_settings(slack, desk)
    bot = await create_app(settings, form=form_config, cache=build_cache("memory://"))
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve(bot.core, [bot], port=port, host="127.0.0.1", stop=stop, limits=limits)
    )
    async with asyncio.timeout(10):
        while True:
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            await asyncio.sleep(0.05)
    yield Served("127.0.0.1", port)
    stop.set()
    await asyncio.wait_for(task, 15)


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server sent until it closed the connection (fails if it does not)."""
    async with asyncio.timeout(seconds):
        return await reader.read()


async def test_a_connection_dribbling_its_headers_is_closed(served: Served) -> None:
    reader, writer = await served.connect()
    writer.write(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\n")

    async def dribble() -> None:
        with contextlib.suppress(ConnectionError):
            for n in range(100):
                writer.write(f"X-Slow-{n}: x\r\n".encode())
                await writer.drain()
                await asyncio.sleep(0.1)

    dribbling = asyncio.create_task(dribble())
    try:
        assert await closed_within(reader, 3) == b""
    finally:
        dribbling.cancel()
        writer.close()


async def test_a_body_that_never_comes_is_given_up_quietly(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reader, writer = await served.connect()
    writer.write(
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000000\r\n\r\n{"
    )

    assert await closed_within(reader, 3) == b""

    writer.close()
    await asyncio.sleep(0.1)
    assert "request_body_too_slow" in [r.getMessage() for r in caplog.records]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_connections_beyond_the_cap_are_refused_and_counted_once(
    served: Served, caplog: pytest.LogCaptureFixture, limits: Limits
) -> None:
    caplog.set_level(logging.INFO)
    kept = [await served.connect() for _ in range(CAP)]
    await asyncio.sleep(0.1)  # all of them are the server's now

    extra = [await served.connect() for _ in range(10)]
    answers = [await closed_within(reader, 2) for reader, _ in extra]

    assert all(answer.startswith(b"HTTP/1.1 503") for answer in answers)
    refused = [r for r in caplog.records if r.getMessage() == "connections_refused"]
    assert len(refused) == 1  # ten refusals, one warning (the next says how many since)
    for _, writer in kept + extra:
        writer.close()
    await asyncio.sleep(0.2)
    async with httpx2.AsyncClient() as http:  # room again
        health = await http.get(f"http://{served.host}:{served.port}/healthz")
    assert health.status_code == 200


async def test_accept_failures_are_logged_once_per_period(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    loop = asyncio.get_running_loop()
    with socket.socket() as listening:
        for _ in range(1000):  # what asyncio reports each time accept() runs out of files
            loop.call_exception_handler(
                {
                    "message": "socket.accept() out of system resource",
                    "exception": OSError(errno.EMFILE, "Too many open files"),
                    "socket": listening,
                }
            )

    [warning] = [r for r in caplog.records if r.getMessage() == "accept_failed"]
    assert warning.error == "Too many open files"  # type: ignore[attr-defined]
    assert [r for r in caplog.records if r.name == "asyncio"] == []


# --------------------------------------------------------------------------- the process

FILE_LIMIT = 300
FLOOD = 400


def low_file_limit() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_NOFILE, (FILE_LIMIT, FILE_LIMIT))


async def test_a_flood_of_idle_connections_leaves_the_process_its_files(
    slack: FakeSlack, desk: FakeServiceOps, tmp_path: Path
) -> None:
    """At a file limit of 300 the process takes at most 44 connections (300 less 256 kept
    for itself); a request on a connection it took still reaches ServiceOps and Slack while
    400 more wait at the door, and the log says so in a line or two."""
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
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=low_file_limit,  # the child has no threads yet
    )
    assert process.stderr is not None
    logs = ProcessLogs(process.stderr)
    writers: list[asyncio.StreamWriter] = []
    try:
        await logs.wait_for("server_started", timeout=30)
        limits = httpx2.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx2.AsyncClient(timeout=10, limits=limits) as http:
            url = f"http://127.0.0.1:{port}"
            assert (await http.get(url + "/healthz")).status_code == 200  # its connection stays

            for _ in range(FLOOD):
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                    writers.append(writer)
            await asyncio.sleep(0.5)

            ready = await http.get(url + "/readyz")  # ServiceOps and Slack, over new sockets
            assert ready.status_code == 200, ready.text
        await logs.wait_for("connections_refused", timeout=5)
        assert "Too many open files" not in logs.text
        assert "Traceback" not in logs.text
        assert len(logs.text) < 10_000
    finally:
        for writer in writers:
            writer.close()
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
