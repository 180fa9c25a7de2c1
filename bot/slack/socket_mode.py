"""Slack's Socket Mode: the Slack surface taking its work over a WebSocket, not HTTP.

Slack's Socket Mode client retries a refused app-level token forever, so the token is
tried once (`apps.connections.open`) before connecting, and a refusal stops start-up.
"""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.server import StartupError
from bot.slack.api_errors import slack_error
from bot.slack.app import BotApp


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
        self.handler = AsyncSocketModeHandler(bot.app, app_token, web_client=bot.web_client)

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
        connected = await self.handler.client.is_connected()
        return {"socket_mode": "ok" if connected else "not connected to Slack"}

    async def aclose(self) -> None:
        await self.bot.aclose()
