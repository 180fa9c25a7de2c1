"""The process: one HTTP server for every configured surface, health endpoints, one drain.

Surfaces ("intakes") are mounted on one aiohttp application: Slack's `POST /slack/events`
in HTTP mode (Teams' `/api/messages` later), next to `GET /healthz` (the process is up),
`GET /readyz` (ServiceOps answers with the bot's credentials, the shared cache answers, and
every surface can reach its platform) and `GET /metrics` (Prometheus). Readiness checks cost
calls to ServiceOps and the platforms, so a result is reused for `READY_CACHE_SECONDS` and one
check runs at a time: probes arriving meanwhile wait for it (a flood of probes costs one
check); only cheap live checks (a socket's state) run on every probe.

An intake that is not HTTP (Slack's Socket Mode) is started and stopped here too. On
SIGTERM/SIGINT the server stops taking work, lets tickets being filed finish (bounded), then
closes every connection.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.metrics import REGISTRY
from bot.wiring import Core

log = logging.getLogger("bot.server")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DRAIN_SECONDS = 25.0
"""How long shutdown waits for tickets being filed (container runtimes allow ~30 s)."""
READY_CACHE_SECONDS = 10.0
"""How long a readiness result is reused (probes usually come every 10 s or so)."""


class StartupError(Exception):
    """The bot cannot start; the message says what to fix."""


class Intake(Protocol):
    """A surface as the server runs it."""

    async def warm_up(self) -> None:
        """Learn what the first requests would otherwise ask the platform for."""
        ...

    def mount(self, web_app: web.Application) -> None:
        """Add its HTTP routes (if any)."""
        ...

    async def start(self) -> None:
        """Start taking work that does not arrive over HTTP (raises `StartupError`)."""
        ...

    async def stop(self) -> None:
        """Stop taking new work."""
        ...

    async def readiness(self) -> dict[str, str]:
        """Named checks: "ok", or what is wrong (costly: reused for a few seconds)."""
        ...

    async def live_checks(self) -> dict[str, str]:
        """Named checks cheap enough to make on every probe (a connection's state)."""
        ...

    async def aclose(self) -> None:
        """Close its connections."""
        ...


class Readiness:
    """The costly readiness checks of core and every intake, reused for
    `READY_CACHE_SECONDS` and made one at a time: callers arriving while a check runs wait
    for it and share its result."""

    def __init__(self, core: Core, intakes: Sequence[Intake]) -> None:
        self._core = core
        self._intakes = intakes
        self._result: dict[str, str] | None = None
        self._at = 0.0
        self._running: asyncio.Future[dict[str, str]] | None = None

    async def checks(self) -> dict[str, str]:
        """Named checks: "ok", or what is wrong."""
        if self._result is not None and time.monotonic() - self._at <= READY_CACHE_SECONDS:
            return self._result
        if self._running is None:
            self._running = asyncio.ensure_future(self._check())
        # Shielded: a probe that gives up must not cancel the check the others wait for.
        return await asyncio.shield(self._running)

    async def _check(self) -> dict[str, str]:
        try:
            checks = await self._core.readiness()
            for intake in self._intakes:
                checks.update(await intake.readiness())
            self._result, self._at = checks, time.monotonic()
            return checks
        finally:
            self._running = None


@web.middleware
async def quiet_disconnects(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A client that goes away before it has sent its whole request (or while it is being
    answered) is an everyday event: one DEBUG line, not an ERROR with a traceback. The 400
    is never read (aiohttp drops it quietly on the dead connection)."""
    try:
        return await handler(request)
    except ConnectionResetError:
        transport = request.transport
        if transport is not None and not transport.is_closing():
            raise  # this client is still there: the reset came from elsewhere, a real failure
        log.debug("request_abandoned", extra={"path": request.path})
        return web.Response(status=400)


def build_web_app(core: Core, intakes: Sequence[Intake]) -> web.Application:
    """The aiohttp application: each intake's routes, and the health endpoints."""
    web_app = web.Application(middlewares=[quiet_disconnects])
    readiness = Readiness(core, intakes)

    async def healthz(_: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.StreamResponse:
        checks = dict(await readiness.checks())
        for intake in intakes:
            checks.update(await intake.live_checks())
        ok = all(value == "ok" for value in checks.values())
        return web.json_response(
            {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
        )

    async def metrics(_: web.Request) -> web.StreamResponse:
        return web.Response(
            body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    for intake in intakes:
        intake.mount(web_app)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", metrics)
    return web_app


async def serve(
    core: Core,
    intakes: Sequence[Intake],
    *,
    port: int | None,
    host: str = "0.0.0.0",  # noqa: S104
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT (or `stop`), then drain and close everything.

    `port`: where HTTP routes and health endpoints listen; None for no HTTP server (Socket
    Mode without a health port).

    Raises:
        StartupError: an intake cannot start (e.g. Slack refused the app-level token).
    """
    runner: web.AppRunner | None = None
    try:
        for intake in intakes:
            await intake.warm_up()
        if port is not None:
            runner = web.AppRunner(build_web_app(core, intakes), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, host, port).start()
        for intake in intakes:
            await intake.start()
    except BaseException:
        await _close(core, intakes, runner)
        raise
    log.info("server_started", extra={"port": port})
    try:
        await _wait_for_stop(stop)
    finally:
        log.info("shutting_down", extra={"in_flight": core.inflight.running})
        for intake in intakes:
            await intake.stop()
        if runner is not None:
            await runner.cleanup()
            runner = None
        if not await core.inflight.drain(DRAIN_SECONDS):
            log.warning("shutdown_abandoned_work", extra={"in_flight": core.inflight.running})
        await _close(core, intakes, runner)
        log.info("stopped")


async def _close(core: Core, intakes: Sequence[Intake], runner: web.AppRunner | None) -> None:
    if runner is not None:
        await runner.cleanup()
    for intake in intakes:
        await intake.aclose()
    await core.aclose()


async def _wait_for_stop(stop: asyncio.Event | None = None) -> None:
    """Until SIGTERM/SIGINT, or until `stop` is set (tests, embedding)."""
    stop = stop if stop is not None else asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
