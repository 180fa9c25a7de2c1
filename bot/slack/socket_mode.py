"""Slack's Socket Mode: the Slack surface taking its work over a WebSocket, not HTTP.

Slack's Socket Mode client retries a refused app-level token forever, so the token is
tried once (`apps.connections.open`) before connecting, and a refusal stops start-up.

The client pings Slack every `PING_INTERVAL` seconds. Readiness follows those pings: once a
ping has gone unanswered for `PONG_WAIT` seconds the connection is reported not ready, even
while the socket is still open (a hung edge or a proxy keeping the TCP connection up); the
client itself reconnects soon after.
"""

from __future__ import annotations

import time

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.server import StartupError
from bot.slack.api_errors import slack_error
from bot.slack.app import BotApp

PING_INTERVAL = 5.0
"""Seconds between the client's pings (slack_sdk's default is 10; pings are a few bytes)."""
PONG_WAIT = PING_INTERVAL / 2
"""How long a ping may go unanswered before the connection is reported not ready (the same
wait aiohttp gives a heartbeat's pong before closing the socket)."""


async def verify_app_token(client: AsyncWebClient, app_token: str) -> None:
    """Fail fast when Slack refuses the app-level token (`apps.connections.open`)."""
    try:
        await client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        raise StartupError(
            f"Slack refused SLACK_APP_TOKEN ({slack_error(exc)}): generate an app-level token "
            "with the connections:write scope on your Slack app's Basic Information page, and "
            "make sure Socket Mode is enabled for the app."
        ) from None


class SocketModeIntake:
    """The Slack surface over Socket Mode, as the server runs it (no HTTP routes)."""

    def __init__(self, bot: BotApp, app_token: str) -> None:
        self.bot = bot
        self._app_token = app_token
        self.handler = AsyncSocketModeHandler(
            bot.app, app_token, web_client=bot.web_client, ping_interval=PING_INTERVAL
        )

    async def warm_up(self) -> None:
        await self.bot.warm_up()
        await verify_app_token(self.bot.web_client, self._app_token)

    def mount(self, web_app: web.Application) -> None:
        """Nothing to mount: Slack's requests come over the WebSocket."""

    async def start(self) -> None:
        await self.handler.connect_async()  # type: ignore[no-untyped-call]

    async def stop(self) -> None:
        await self.handler.close_async()  # type: ignore[no-untyped-call]

    async def readiness(self) -> dict[str, str]:
        return await self.bot.readiness()

    async def live_checks(self) -> dict[str, str]:
        client = self.handler.client
        if not await client.is_connected():
            return {"socket_mode": "not connected to Slack"}
        # The send time of the last ping Slack answered (slack_sdk's own bookkeeping; None
        # until the first ping of a connection). Pings go out every `ping_interval` seconds,
        # so a later one is overdue once `ping_interval + PONG_WAIT` have passed.
        answered = client.last_ping_pong_time
        if answered is not None and time.time() - answered > client.ping_interval + PONG_WAIT:
            return {"socket_mode": "Slack stopped answering pings"}
        return {"socket_mode": "ok"}

    async def aclose(self) -> None:
        await self.handler.client.close()  # type: ignore[no-untyped-call]  # its own HTTP session
        await self.bot.aclose()
