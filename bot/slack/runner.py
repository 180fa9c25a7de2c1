"""Serving the app: HTTP mode (`POST /slack/events`) or Socket Mode, plus health endpoints.

Both modes expose `GET /healthz` (the process is up), `GET /readyz` (ServiceOps credentials
work and Slack answers) and `GET /metrics` (Prometheus). In HTTP mode they share `PORT` with
the Slack endpoint; in Socket Mode they listen on `HEALTH_PORT` when it is set.
On SIGTERM/SIGINT the server stops taking work, lets tickets being filed finish (bounded),
then closes its connections.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from bot.metrics import REGISTRY
from bot.serviceops import ServiceOpsError
from bot.slack.app import BotApp

log = logging.getLogger("bot.runner")

DRAIN_SECONDS = 25.0
"""How long shutdown waits for tickets being filed (container runtimes allow ~30 s)."""
READY_CACHE_SECONDS = 10.0


def build_web_app(
    bot: BotApp, *, slack_endpoint: bool, socket: AsyncBaseSocketModeClient | None = None
) -> web.Application:
    """The aiohttp application: Slack's endpoint (HTTP mode) and the health endpoints.

    With `socket` (Socket Mode), readiness also requires the WebSocket to be connected.
    """
    web_app = web.Application()
    ready_state: dict[str, Any] = {"at": 0.0, "result": None}

    async def slack_events(request: web.Request) -> web.StreamResponse:
        bolt_response = await bot.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def healthz(_: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.StreamResponse:
        now = time.monotonic()
        if ready_state["result"] is None or now - ready_state["at"] > READY_CACHE_SECONDS:
            ready_state["result"] = await _readiness(bot)
            ready_state["at"] = now
        checks: dict[str, str] = dict(ready_state["result"])
        if socket is not None:
            connected = await socket.is_connected()
            checks["socket_mode"] = "ok" if connected else "not connected to Slack"
        ok = all(value == "ok" for value in checks.values())
        return web.json_response(
            {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
        )

    async def metrics(_: web.Request) -> web.StreamResponse:
        return web.Response(
            body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    if slack_endpoint:
        web_app.router.add_post("/slack/events", slack_events)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", metrics)
    return web_app


async def _readiness(bot: BotApp) -> dict[str, str]:
    """ServiceOps token obtainable and Slack reachable; values say what is wrong."""
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(bot.deps.tickets.client.check_auth(), 10)
        checks["serviceops"] = "ok"
    except ServiceOpsError as exc:
        checks["serviceops"] = exc.user_message
    except TimeoutError:
        checks["serviceops"] = "timed out"
    try:
        await asyncio.wait_for(bot.web_client.auth_test(), 10)
        checks["slack"] = "ok"
    except TimeoutError:
        checks["slack"] = "timed out"
    except Exception as exc:  # noqa: BLE001 (any failure means not ready; say which kind)
        checks["slack"] = type(exc).__name__
    return checks


async def serve_http(
    bot: BotApp,
    *,
    port: int,
    host: str = "0.0.0.0",  # noqa: S104
    stop: asyncio.Event | None = None,
) -> None:
    """Serve Slack's HTTP requests and the health endpoints until SIGTERM/SIGINT (or `stop`)."""
    await bot.warm_up()
    runner = web.AppRunner(build_web_app(bot, slack_endpoint=True), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("http_mode_started", extra={"port": port})
    try:
        await _wait_for_stop(stop)
    finally:
        await _shutdown(bot, stop_intake=runner.cleanup)


async def serve_socket(
    bot: BotApp,
    *,
    app_token: str,
    health_port: int | None,
    host: str = "0.0.0.0",  # noqa: S104
    stop: asyncio.Event | None = None,
) -> None:
    """Connect to Slack over Socket Mode until SIGTERM/SIGINT (or `stop`); health on
    `host:health_port`.

    Raises:
        StartupError: Slack refused the app-level token (the Socket Mode client would
            otherwise retry it forever).
    """
    await bot.warm_up()
    await verify_app_token(bot.web_client, app_token)
    handler = AsyncSocketModeHandler(bot.app, app_token, web_client=bot.web_client)
    runner = None
    if health_port is not None:
        web_app = build_web_app(bot, slack_endpoint=False, socket=handler.client)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, health_port).start()
    await handler.connect_async()  # type: ignore[no-untyped-call]
    log.info("socket_mode_started", extra={"health_port": health_port})

    async def stop_intake() -> None:
        await handler.close_async()  # type: ignore[no-untyped-call]
        if runner is not None:
            await runner.cleanup()

    try:
        await _wait_for_stop(stop)
    finally:
        await _shutdown(bot, stop_intake=stop_intake)


class StartupError(Exception):
    """The bot cannot start; the message says what to fix."""


async def verify_app_token(client: AsyncWebClient, app_token: str) -> None:
    """Fail fast when Slack refuses the app-level token (`apps.connections.open`)."""
    try:
        await client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown") if exc.response is not None else "unknown"
        raise StartupError(
            f"Slack refused SLACK_APP_TOKEN ({error}): generate an app-level token with the "
            "connections:write scope on your Slack app's Basic Information page, and make "
            "sure Socket Mode is enabled for the app."
        ) from None


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


async def _shutdown(bot: BotApp, *, stop_intake: Any) -> None:
    log.info("shutting_down", extra={"in_flight": bot.deps.inflight.running})
    await stop_intake()
    if not await bot.deps.inflight.drain(DRAIN_SECONDS):
        log.warning("shutdown_abandoned_work", extra={"in_flight": bot.deps.inflight.running})
    await bot.aclose()
    log.info("stopped")
