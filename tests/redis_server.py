"""A real `redis-server` for tests that need a shared cache (replicas, claims on Redis).

The server runs on a free loopback port in a temporary directory, with persistence off
(`--save "" --appendonly no`), for the whole test session; every test gets an emptied
database. When the binary is missing the tests are skipped with the reason, unless the
environment variable `REQUIRE_REDIS` is set (CI), in which case they fail.

Use the fixtures by importing them into a conftest or a test module::

    from tests.redis_server import redis_server, redis_url  # noqa: F401
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

BINARY = "redis-server"
START_SECONDS = 10.0
"""How long a starting server may take to answer PING."""
STOP_SECONDS = 5.0


@dataclass(frozen=True)
class RedisServer:
    """A running server: where it listens and how to reach it."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    directory: Path

    def url(self, db: int = 0) -> str:
        """`redis://127.0.0.1:PORT/db`, the form `CACHE_URL` takes."""
        return f"redis://{self.host}:{self.port}/{db}"

    def command(self, *args: str) -> bytes:
        """Send one command (RESP) and return the first line of the answer."""
        return _command(self.host, self.port, *args)

    def kill(self) -> None:
        """Stop the server at once, as a crash would (no save, no goodbye to clients)."""
        self.process.kill()
        self.process.wait(5)


def _command(host: str, port: int, *args: str, timeout: float = 1.0) -> bytes:
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(b"".join(parts))
        answer = b""
        while not answer.endswith(b"\r\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.strip()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _missing(reason: str) -> NoReturn:
    if os.environ.get("REQUIRE_REDIS"):
        pytest.fail(f"{reason} (REQUIRE_REDIS is set, so this is an error)")
    pytest.skip(f"{reason}; install Redis (e.g. `apt-get install redis-server`) to run it")


def _wait_until_ready(host: str, port: int, process: subprocess.Popen[bytes]) -> bool:
    """Poll PING until the server answers (a starting server offers no event to await)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with contextlib.suppress(OSError):
            if _command(host, port, "PING", timeout=0.5) == b"+PONG":
                return True
        time.sleep(0.02)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_SECONDS)


@contextlib.contextmanager
def running_redis(host: str = "127.0.0.1") -> Iterator[RedisServer]:
    """Start `redis-server` on a free port of `host`; stop it and remove its directory after.

    Skips (or fails, with `REQUIRE_REDIS`) when the binary is missing or cannot start.
    """
    binary = shutil.which(BINARY)
    if binary is None:
        _missing(f"`{BINARY}` is not on PATH")
    with tempfile.TemporaryDirectory(prefix="redis-test-") as directory:
        for _ in range(3):  # another process may grab the port between probe and bind
            port = _free_port(host)
            log = Path(directory, "redis.log")
            process = subprocess.Popen(
                [
                    binary,
                    "--bind",
                    host,
                    "--port",
                    str(port),
                    "--dir",
                    directory,
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--protected-mode",
                    "no",
                    "--logfile",
                    str(log),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if _wait_until_ready(host, port, process):
                break
            _stop(process)
        else:
            tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
            _missing(f"`{BINARY}` did not start: {tail.strip() or 'no log'}")
        try:
            yield RedisServer(host, port, process, Path(directory))
        finally:
            _stop(process)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One Redis server for the test session."""
    with running_redis() as server:
        yield server


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis server of this test's own, which it may kill."""
    with running_redis() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """`CACHE_URL` of an emptied Redis database for this test."""
    assert redis_server.command("FLUSHALL") == b"+OK"
    return redis_server.url(0)
