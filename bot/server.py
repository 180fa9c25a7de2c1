"""The process: one HTTP server for every configured surface, health endpoints, one drain.

Surfaces ("intakes") are mounted on one aiohttp application: Slack's `POST /slack/events`
in HTTP mode (Teams' `/api/messages` later), next to `GET /healthz` (the process is up),
`GET /readyz` (ServiceOps answers with the bot's credentials, the shared cache answers, and
every surface can reach its platform) and `GET /metrics` (Prometheus). Readiness checks cost
calls to ServiceOps and the platforms, so a result is reused for `READY_CACHE_SECONDS` and one
check runs at a time: probes arriving meanwhile wait for it (a flood of probes costs one
check); only cheap live checks (a socket's state) run on every probe.

Slow or idle clients cannot hold the server (`Limits`): a connection has `KEEPALIVE_SECONDS`
to send a request's head (from its opening, or from its previous answer), a request's body
must arrive within `BODY_SECONDS` of its head, bodies are at most 1 MB (aiohttp's default;
routes set smaller limits of their own) and never decompressed, and at most `MAX_CONNECTIONS`
connections are open at once (fewer when the process's file limit is low, so the bot keeps
descriptors for its own calls): beyond that a connection is answered 503 and closed. Refused
connections and accept errors (`Too many open files`) are logged at most once per
`LOG_EVERY` seconds, with how many there were.

An intake that is not HTTP (Slack's Socket Mode) is started and stopped here too. On
SIGTERM/SIGINT the server stops taking work, lets tickets being filed finish (bounded), then
closes every connection.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.metrics import REGISTRY
from bot.wiring import Core

log = logging.getLogger("bot.server")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DRAIN_SECONDS = 25.0
"""How long shutdown waits for tickets being filed (container runtimes allow ~30 s)."""
READY_CACHE_SECONDS = 10.0
"""How long a readiness result is reused (probes usually come every 10 s or so)."""

KEEPALIVE_SECONDS = 75.0
"""How long a connection may sit without a complete request head: idle between requests, or
dribbling headers (aiohttp closes it). Longer than the usual load balancer's idle timeout
(60 s), so a balancer never sends a request on a connection the bot is closing."""
BODY_SECONDS = 10.0
"""How long a request's body may take to arrive once its head has (Slack's are a few KB)."""
MAX_CONNECTIONS = 1000
"""Most connections open at once (far more than Slack, Teams and probes use)."""
RESERVED_FILES = 256
"""File descriptors kept for the bot's own work (ServiceOps, Slack, Redis, logs) and for
connections accepted in one burst before the cap applies: with a file limit of 1,024, at
most 768 connections."""
BACKLOG = 128
LOG_EVERY = 10.0
"""Seconds between two warnings about refused connections or failing accepts."""
RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
"""Accept failures that mean the process or the system ran out of something."""
REFUSAL = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


@dataclass(frozen=True)
class Limits:
    """What slow or numerous clients may take of the server (see the module's docstring)."""

    keepalive_seconds: float = KEEPALIVE_SECONDS
    body_seconds: float = BODY_SECONDS
    max_connections: int | None = None
    """None: `MAX_CONNECTIONS`, lowered to fit the process's file limit."""

    def connections(self) -> int:
        if self.max_connections is not None:
            return self.max_connections
        return min(MAX_CONNECTIONS, max(16, _file_limit() - RESERVED_FILES))


def _file_limit() -> int:
    """The process's soft limit on open files (a large number where there is none)."""
    try:
        import resource  # POSIX only
    except ImportError:  # pragma: no cover (Windows)
        return 1 << 20
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


class Throttled:
    """A warning logged at most once per `every` seconds, with how many occurred."""

    def __init__(self, event: str, every: float = LOG_EVERY) -> None:
        self._event = event
        self._every = every
        self._count = 0
        self._last = -float("inf")

    def note(self, **extra: Any) -> None:
        self._count += 1
        now = time.monotonic()
        if now - self._last >= self._every:
            log.warning(self._event, extra={"count": self._count, **extra})
            self._count, self._last = 0, now


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


def body_deadline(seconds: float) -> Middleware:
    """A middleware closing the connection of a request whose body has not all arrived
    `seconds` after its head (a client that declares 1 MB and sends nothing); the handler
    reading it then sees the connection lost (`quiet_disconnects`)."""

    def give_up(request: web.Request) -> None:
        if request.content.is_eof() or request.transport is None:
            return
        log.info("request_body_too_slow", extra={"path": request.path})
        request.transport.abort()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.body_exists or request.content.is_eof():
            return await handler(request)
        timer = asyncio.get_running_loop().call_later(seconds, give_up, request)
        try:
            return await handler(request)
        finally:
            timer.cancel()

    return middleware


def build_web_app(
    core: Core, intakes: Sequence[Intake], *, body_seconds: float = BODY_SECONDS
) -> web.Application:
    """The aiohttp application: each intake's routes, and the health endpoints."""
    web_app = web.Application(middlewares=[quiet_disconnects, body_deadline(body_seconds)])
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
    limits: Limits | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT (or `stop`), then drain and close everything.

    `port`: where HTTP routes and health endpoints listen; None for no HTTP server (Socket
    Mode without a health port). `limits`: what slow or numerous clients may take (`Limits`).

    Raises:
        StartupError: an intake cannot start (e.g. Slack refused the app-level token).
    """
    limits = limits or Limits()
    runner: web.AppRunner | None = None
    restore_handler = _throttle_accept_errors(asyncio.get_running_loop())
    try:
        for intake in intakes:
            await intake.warm_up()
        if port is not None:
            runner = web.AppRunner(
                build_web_app(core, intakes, body_seconds=limits.body_seconds),
                access_log=None,
                keepalive_timeout=limits.keepalive_seconds,
                auto_decompress=False,  # no route takes compressed bodies: never inflate one
            )
            await runner.setup()
            await CappedSite(runner, host, port, max_connections=limits.connections()).start()
        for intake in intakes:
            await intake.start()
    except BaseException:
        await _close(core, intakes, runner)
        restore_handler()
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
        restore_handler()
        log.info("stopped")


class CappedSite(web.BaseSite):
    """A TCP site that has at most `max_connections` connections open (give or take one
    burst of accepts); a connection beyond is answered 503 and closed at once, so slow
    clients cannot take every file descriptor the bot needs for its own work."""

    def __init__(
        self, runner: web.AppRunner, host: str, port: int, *, max_connections: int
    ) -> None:
        super().__init__(runner, backlog=BACKLOG)
        self._host, self._port = host, port
        self._max_connections = max_connections
        self._refused = Throttled("connections_refused")

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None

        def connection() -> asyncio.BaseProtocol:
            if len(server.connections) >= self._max_connections:
                self._refused.note(limit=self._max_connections)
                return _Refusal()
            return server()

        self._server = await asyncio.get_running_loop().create_server(
            connection, self._host, self._port, backlog=BACKLOG
        )


class _Refusal(asyncio.Protocol):
    """Answers 503 and closes: the server has as many connections as it takes."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(REFUSAL)
        transport.close()


def _throttle_accept_errors(loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """Report running out of files (or memory) at most once per `LOG_EVERY` seconds instead
    of a traceback each time asyncio fails to accept; returns what puts the previous
    handler back."""
    previous = loop.get_exception_handler()
    failing = Throttled("accept_failed")

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in RESOURCE_ERRNOS:
            failing.note(error=os.strerror(exc.errno), what=context.get("message"))
        elif previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    return lambda: loop.set_exception_handler(previous)


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
