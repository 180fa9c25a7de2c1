"""Where results and failures are posted, with fallbacks so nobody is left without them.

Public result: a reply in the source thread (shortcut, DM, mention) or a channel message
(`/ticket`), unless configured to answer privately. When Slack refuses (`not_in_channel`,
`channel_not_found`, rate limited past the retries, …) the person gets it privately:
through the invocation's `response_url` (ephemeral) when there is one, else a DM from the
bot, else an ephemeral message in the channel.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.core.drafts import Origin
from bot.metrics import SLACK_API_ERRORS

log = logging.getLogger("bot.slack.announce")

Message = dict[str, Any]
"""`{"text": fallback text, "blocks": [...]}` as built by `bot.slack.blocks`."""


def _error_of(exc: SlackApiError) -> str:
    response = exc.response
    return str(response.get("error", "unknown")) if response is not None else "unknown"


class Announcer:
    """Posts messages for a person, trying the public place first and private ones after."""

    def __init__(self, client: AsyncWebClient, *, reply_privately: bool = False) -> None:
        self._client = client
        self._reply_privately = reply_privately

    async def public(self, origin: Origin, message: Message) -> str | None:
        """Post where the design says; returns the channel id when it was posted publicly."""
        if origin.channel_id is None or origin.surface == "global":
            return None
        if origin.surface == "command" and self._reply_privately:
            return None
        try:
            await self._client.chat_postMessage(
                channel=origin.channel_id,
                thread_ts=origin.thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                **message,
            )
        except SlackApiError as exc:
            error = _error_of(exc)
            SLACK_API_ERRORS.labels(method="chat.postMessage", error=error).inc()
            log.warning(
                "post_refused",
                extra={"channel": origin.channel_id, "error": error, "user": origin.user_id},
            )
            return None
        return origin.channel_id

    async def private(self, origin: Origin, message: Message, *, prefer_dm: bool = False) -> str:
        """Reach the person privately; returns how ("response_url", "dm", "ephemeral", "none")."""
        attempts = [self._via_response_url, self._via_dm, self._via_ephemeral]
        if prefer_dm:
            attempts = [self._via_dm, self._via_response_url, self._via_ephemeral]
        for attempt in attempts:
            if await attempt(origin, message):
                return attempt.__name__.removeprefix("_via_")
        log.error("private_delivery_failed", extra={"user": origin.user_id})
        return "none"

    async def dm(self, user_id: str, message: Message) -> str | None:
        """Open (or reuse) the bot's DM with a person and post there; the DM channel id."""
        try:
            opened = await self._client.conversations_open(users=user_id)
            channel = str(opened["channel"]["id"])
            await self._client.chat_postMessage(channel=channel, unfurl_links=False, **message)
        except SlackApiError as exc:
            error = _error_of(exc)
            SLACK_API_ERRORS.labels(method="dm", error=error).inc()
            log.warning("dm_failed", extra={"user": user_id, "error": error})
            return None
        return channel

    async def _via_response_url(self, origin: Origin, message: Message) -> bool:
        if not origin.response_url:
            return False
        webhook = AsyncWebhookClient(origin.response_url, timeout=10)
        try:
            response = await webhook.send(
                response_type="ephemeral", replace_original=False, **message
            )
        except Exception as exc:  # noqa: BLE001 (any network failure: try the next way)
            log.warning("response_url_failed", extra={"error": type(exc).__name__})
            return False
        if response.status_code != 200:
            log.warning("response_url_refused", extra={"status": response.status_code})
            return False
        return True

    async def _via_dm(self, origin: Origin, message: Message) -> bool:
        return await self.dm(origin.user_id, message) is not None

    async def _via_ephemeral(self, origin: Origin, message: Message) -> bool:
        if origin.channel_id is None:
            return False
        try:
            await self._client.chat_postEphemeral(
                channel=origin.channel_id,
                user=origin.user_id,
                thread_ts=origin.thread_ts,
                **message,
            )
        except SlackApiError as exc:
            SLACK_API_ERRORS.labels(method="chat.postEphemeral", error=_error_of(exc)).inc()
            return False
        return True
