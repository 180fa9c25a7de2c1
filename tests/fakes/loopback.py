"""Serve an aiohttp application on loopback, on a port the system picks: what every fake does.

    server = LoopbackServer()
    await server.start(app)  # a web.Application
    ...                      # server.url is "http://127.0.0.1:PORT"
    await server.stop()

A fake keeps one `LoopbackServer` and gives it a fresh application on each `start`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

HOST = "127.0.0.1"


class LoopbackServer:
    """Serves a `web.Application` on `127.0.0.1:0` from `start(app)` until `stop()`.

    `shutdown_timeout` is how long `stop()` lets requests still in progress finish;
    `on_connection` is called for every TCP connection the server accepts.
    """

    def __init__(
        self,
        *,
        shutdown_timeout: float = 60.0,
        on_connection: Callable[[], None] | None = None,
    ) -> None:
        self.port = 0
        """The port listened on: 0 until started, then kept after `stop()`."""
        self._shutdown_timeout = shutdown_timeout
        self._on_connection = on_connection
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`, without a trailing slash."""
        return f"http://{HOST}:{self.port}"

    async def start(self, app: web.Application) -> None:
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=self._shutdown_timeout)
        await self._runner.setup()
        if self._on_connection is not None:
            _call_on_connection(self._runner, self._on_connection)
        await web.TCPSite(self._runner, HOST, 0).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening and clean the application up (nothing happens if not started)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def _call_on_connection(runner: web.AppRunner, callback: Callable[[], None]) -> None:
    server = runner.server
    assert server is not None
    # aiohttp's web.Server is told about each accepted connection; hook in there.
    original = server.connection_made

    def connection_made(handler: Any, transport: Any) -> None:
        callback()
        original(handler, transport)

    server.connection_made = connection_made  # type: ignore[method-assign]
