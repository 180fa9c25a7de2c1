"""Posting in Slack: core's `Messenger`, and the calls every listener shares.

Public posts go to a conversation or one of its threads. Private ones try, in turn, the
invocation's `response_url` (an ephemeral message), a DM from the bot, and an ephemeral
message in the conversation (before the DM when asked to answer in place), so nobody is
left without what they must know.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.core.delivery import NOWHERE, Delivery, InConversation, InThread
from bot.core.model import Origin
from bot.core.ports import (
    AlreadyFiled,
    CannotTakeRequests,
    DeskReply,
    Failure,
    FilesNotAttached,
    Notice,
    PrivateResult,
    StatusChanged,
    Text,
    TicketAnnouncement,
    TicketOffer,
)
from bot.core.text import escape
from bot.slack.api_errors import count_error
from bot.slack.blocks.follow import build_desk_reply, build_status_message
from bot.slack.blocks.prompts import build_cannot_take, build_ticket_offer
from bot.slack.blocks.results import (
    build_already_filed,
    build_failure_message,
    build_private_result,
    build_ticket_message,
    private_reason,
)
from bot.slack.requests import slack_owned

log = logging.getLogger("bot.slack.messenger")

Message = dict[str, Any]
"""`{"text": fallback text, "blocks": [...]}` as built by `bot.slack.blocks`."""

UNAVAILABLE = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
"""Errors by which Slack says it cannot take a call now, not that the conversation refuses
it: a public post failing so is raised, not reported as refused."""


def render(notice: Notice) -> Message:
    """A core notice as a Slack message."""
    if isinstance(notice, TicketAnnouncement):
        return build_ticket_message(notice.ticket, requester_user_id=notice.requester)
    if isinstance(notice, PrivateResult):
        return build_private_result(notice.ticket, reason=private_reason(notice.why))
    if isinstance(notice, Failure):
        return build_failure_message(
            message=notice.message, state=notice.token, retryable=notice.retryable
        )
    if isinstance(notice, AlreadyFiled):
        return build_already_filed(notice.ticket.number, notice.ticket.url, metadata=notice.token)
    if isinstance(notice, TicketOffer):
        return build_ticket_offer(
            quote=notice.quote, metadata=notice.token, message_link=notice.link
        )
    if isinstance(notice, CannotTakeRequests):
        return build_cannot_take(quote=notice.quote)
    if isinstance(notice, StatusChanged):
        return build_status_message(notice)
    if isinstance(notice, DeskReply):
        return build_desk_reply(notice)
    if isinstance(notice, FilesNotAttached):
        return {"text": escape(notice.text())}
    assert isinstance(notice, Text)
    return {"text": escape(notice.text)}


class SlackMessenger:
    """Posts messages for a person, trying the public place first and private ones after."""

    def __init__(self, client: AsyncWebClient, *, api_url: str = "https://slack.com/api/") -> None:
        self._client = client
        self._api_url = api_url

    async def post_public(self, where: InThread | InConversation, notice: Notice) -> str | None:
        """The message's ts, or None when Slack refused (not in the channel, archived, …).

        Raises:
            SlackApiError: Slack cannot take it now (`UNAVAILABLE`); aiohttp's errors when
                Slack cannot be reached. Neither says anything about the conversation.
        """
        thread = where.thread if isinstance(where, InThread) else None
        return await self.post(
            where.conversation, render(notice), thread=thread, raise_unavailable=True
        )

    async def post_private(
        self,
        origin: Origin,
        notice: Notice,
        *,
        prefer_direct: bool = False,
        in_place: bool = False,
    ) -> Delivery:
        message = render(notice)
        if prefer_direct:
            routes = [self._via_dm, self._via_response_url, self._via_ephemeral]
        elif in_place:
            routes = [self._via_response_url, self._via_ephemeral, self._via_dm]
        else:
            routes = [self._via_response_url, self._via_dm, self._via_ephemeral]
        for route in routes:
            if await route(origin, message):
                return Delivery("direct" if route == self._via_dm else "private")
        log.error("private_delivery_failed", extra={"user": origin.user})
        return NOWHERE

    async def post(
        self,
        channel: str,
        message: Message,
        *,
        thread: str | None = None,
        raise_unavailable: bool = False,
    ) -> str | None:
        """Post `message` in `channel` (in `thread`); its ts, or None when Slack refused
        (also when it could not take it now, unless `raise_unavailable`)."""
        try:
            response = await self._client.chat_postMessage(
                channel=channel,
                thread_ts=thread,
                unfurl_links=False,
                unfurl_media=False,
                **message,
            )
        except SlackApiError as exc:
            error = count_error("chat.postMessage", exc)
            log.warning("post_refused", extra={"channel": channel, "error": error})
            if raise_unavailable and error in UNAVAILABLE:
                raise
            return None
        return str(response.get("ts") or "")

    async def dm(self, user_id: str, message: Message) -> str | None:
        """Open (or reuse) the bot's DM with a person and post there; the DM channel id."""
        try:
            opened = await self._client.conversations_open(users=user_id)
            channel = str(opened["channel"]["id"])
            await self._client.chat_postMessage(channel=channel, unfurl_links=False, **message)
        except SlackApiError as exc:
            error = count_error("dm", exc)
            log.warning("dm_failed", extra={"user": user_id, "error": error})
            return None
        return channel

    async def _via_response_url(self, origin: Origin, message: Message) -> bool:
        if not slack_owned(origin.reply_handle, self._api_url):
            return False
        assert origin.reply_handle is not None
        webhook = AsyncWebhookClient(origin.reply_handle, timeout=10)
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
        return await self.dm(origin.user, message) is not None

    async def _via_ephemeral(self, origin: Origin, message: Message) -> bool:
        if origin.conversation is None:
            return False
        try:
            await self._client.chat_postEphemeral(
                channel=origin.conversation,
                user=origin.user,
                thread_ts=origin.thread,
                **message,
            )
        except SlackApiError as exc:
            count_error("chat.postEphemeral", exc)
            return False
        return True
