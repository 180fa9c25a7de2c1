"""Posting in Teams: core's `Messenger` over the Bot Connector.

Public posts go to a chat, or to a channel thread as a reply (`{conversation};messageid=
{root}`). Teams has no message only one person sees inside a conversation, so the private
route is a 1:1 chat with the bot (created when needed; it exists only where the person has
the app). Where that fails too, the dialog the person used still shows the outcome.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.core.delivery import NOWHERE, Delivery, InConversation, InThread
from bot.core.model import Origin
from bot.core.ports import (
    CANNOT_TAKE,
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
from bot.teams.cards.messages import (
    MESSAGE_SHOWN,
    already_filed_card,
    announcement,
    card_message,
    desk_reply_card,
    failure_card,
    private_result,
    prompt_card,
    status_card,
)
from bot.teams.connector import BotConnector, ConnectorError
from bot.teams.markdown import message_text
from bot.teams.payloads import THREAD_MARK

log = logging.getLogger("bot.teams.messenger")

Activity = dict[str, Any]

UNAVAILABLE = frozenset({401, 408, 429})
"""Refusals that are about the bot or the moment, not the conversation (its token, a timeout,
throttling): a public post refused so is raised, like a 5xx or no answer at all."""


def render(notice: Notice) -> Activity:
    """A core notice as a Teams message activity."""
    if isinstance(notice, TicketAnnouncement):
        name = notice.requester_name or "Someone"
        return announcement(notice.ticket, notice.requester, name)
    if isinstance(notice, PrivateResult):
        return private_result(notice.ticket, notice.why)
    if isinstance(notice, Failure):
        card = failure_card(notice.message, state=notice.token, retryable=notice.retryable)
        return card_message(card, summary="Your ticket wasn't created")
    if isinstance(notice, AlreadyFiled):
        card = already_filed_card(notice.ticket, state=notice.token)
        return card_message(card, summary=f"Already filed as {notice.ticket.number}")
    if isinstance(notice, TicketOffer):  # Teams sends bots no reactions: never asked so far
        card = prompt_card(notice.quote, state=notice.token)
        return card_message(card, summary="Want me to turn this into a ticket?")
    if isinstance(notice, CannotTakeRequests):
        said = f"\n\nWhat you wrote, so nothing is lost:\n{notice.quote}" if notice.quote else ""
        text = message_text(CANNOT_TAKE + said, limit=MESSAGE_SHOWN)
        return {"type": "message", "textFormat": "xml", "text": text}
    if isinstance(notice, StatusChanged):
        summary = f"{notice.link.number} is now {notice.status}"
        return card_message(status_card(notice), summary=summary)
    if isinstance(notice, DeskReply):
        summary = f"The service desk replied on {notice.link.number}"
        return card_message(desk_reply_card(notice), summary=summary)
    if isinstance(notice, FilesNotAttached):
        return {"type": "message", "textFormat": "xml", "text": message_text(notice.text())}
    assert isinstance(notice, Text)
    return {"type": "message", "textFormat": "xml", "text": message_text(notice.text)}


def in_thread(conversation: str, thread: str | None) -> str:
    """The conversation id that makes a post a reply in `thread` (channels only)."""
    return f"{conversation}{THREAD_MARK}{thread}" if thread else conversation


class TeamsMessenger:
    """Posts for a person: in the conversation first, in their chat with the bot after."""

    def __init__(self, connector: BotConnector) -> None:
        self._connector = connector

    async def post_public(self, where: InThread | InConversation, notice: Notice) -> str | None:
        """The activity's id, or None when Teams refused (the bot is not in the conversation,
        it is gone, …).

        Raises:
            ConnectorError: Teams could not take it now (no answer, 5xx, throttled): that
                says nothing about the conversation.
        """
        if not where.endpoint:
            return None
        thread = where.thread if isinstance(where, InThread) else None
        target = in_thread(where.conversation, thread)
        try:
            return await self._connector.send(where.endpoint, target, render(notice))
        except ConnectorError as exc:
            if not exc.refused or exc.status in UNAVAILABLE:
                raise
            log.warning("post_refused", extra={"status": exc.status, "code": exc.code})
            return None

    async def post_private(
        self,
        origin: Origin,
        notice: Notice,
        *,
        prefer_direct: bool = False,
        in_place: bool = False,
    ) -> Delivery:
        """A 1:1 chat is the only private route Teams has, so `prefer_direct` and `in_place`
        change nothing here."""
        chat = await self.personal_chat(origin)
        if chat is not None and await self.post(origin.endpoint or "", chat, render(notice)):
            return Delivery("direct")
        log.warning("private_delivery_failed", extra={"user": origin.user})
        return NOWHERE

    async def personal_chat(self, origin: Origin) -> str | None:
        """The person's 1:1 chat with the bot: where they wrote, or opened for them."""
        if not origin.endpoint:
            return None
        if origin.entry == "dm" and origin.conversation:
            return origin.conversation
        if not origin.workspace:
            return None
        try:
            return await self._connector.open_personal(
                origin.endpoint, tenant=origin.workspace, user=origin.user
            )
        except ConnectorError as exc:
            log.info("personal_chat_unavailable", extra={"status": exc.status, "code": exc.code})
            return None

    async def post(self, endpoint: str, conversation: str, activity: Activity) -> str | None:
        """Post `activity`; its id, or None when Teams refused or could not be reached."""
        try:
            return await self._connector.send(endpoint, conversation, activity)
        except ConnectorError as exc:
            log.warning("post_refused", extra={"status": exc.status, "code": exc.code})
            return None
