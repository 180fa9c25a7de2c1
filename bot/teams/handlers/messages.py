"""A 1:1 chat with the bot, or an @mention in a channel or group chat: answer with a card.

The card quotes what the person wrote and has a "Create ticket" button that opens the
prefilled form in a dialog (the number then lands in that chat or thread). `help` explains
what the bot does; "my tickets" and "INC-12" in the 1:1 chat show the person's requests
(`handlers.my_requests`). Teams redelivers an activity it thinks failed: each activity id is
handled once, whatever replica receives it.

Teams has had its 2xx before the bot looks at a message, so a message the bot cannot handle
because its shared cache is unreachable would be lost without a word: a 1:1 message or a
mention is then answered at once with "try again in a few minutes" and what the person wrote
(as on Slack). Other channel messages the bot only reads are logged.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.cache import unreachable
from bot.core.claims import ClaimKey
from bot.core.drafts import PendingTicket
from bot.core.links import ThreadKey
from bot.core.model import FiledTicket, Origin
from bot.core.ports import CannotTakeRequests
from bot.teams import payloads
from bot.teams.cards.messages import already_filed_card, card_message, help_card, prompt_card
from bot.teams.deps import TeamsDeps
from bot.teams.files import files_of
from bot.teams.handlers import my_requests
from bot.teams.messenger import in_thread

log = logging.getLogger("bot.teams.messages")

ACTIVITY_TTL = 3600
HELP_WORDS = {"help", "?", "hi", "hello", "hey"}

Activity = dict[str, Any]


async def on_message(deps: TeamsDeps, activity: Activity) -> None:
    """Answer a person's message to the bot (after Teams has had its 2xx)."""
    bot_id = str((activity.get("recipient") or {}).get("id") or "")
    user = payloads.user_of(activity)
    if not user or user == bot_id or not activity.get("serviceUrl"):
        return
    text = payloads.message_text(activity, bot_id=bot_id)
    origin = payloads.from_message(activity)
    try:
        await _answer(deps, activity, origin, text)
    except Exception as exc:
        addressed = origin.entry == "dm" or payloads.mentions(activity, bot_id)
        if not (addressed and unreachable(exc)):
            raise
        log.warning(
            "message_not_taken",
            extra={"reason": "cache_unreachable", "user": user, "platform": "teams"},
        )
        await deps.messenger.post_private(origin, CannotTakeRequests(quote=text))


async def _answer(deps: TeamsDeps, activity: Activity, origin: Origin, text: str) -> None:
    bot_id = str((activity.get("recipient") or {}).get("id") or "")
    user = origin.user
    event = ClaimKey.event(str(activity.get("id") or ""), platform="teams")
    if activity.get("id") and await deps.claims.claim(event, ttl=ACTIVITY_TTL) is not None:
        return  # a redelivery
    if await _synced_as_reply(deps, origin, activity, text):
        return  # a reply in a ticket's thread: the request has it
    if origin.entry != "dm" and not payloads.mentions(activity, bot_id):
        return  # with ChannelMessage.Read.Group Teams sends every message: answer mentions only
    if await my_requests.answer_message(deps, origin, text):
        return  # "my tickets" or "INC-12" in the 1:1 chat
    if text.lower().strip(" !.") in HELP_WORDS:
        await _reply(deps, origin, card_message(help_card(), summary="What I can do"))
        return
    pending = PendingTicket(
        origin=origin,
        draft=payloads.draft_from_text(text),
        author=user,
        files=files_of(activity.get("attachments")),
    )
    existing = await deps.tickets.already_filed(origin) or await _ticket_of_thread(deps, origin)
    if existing is not None:
        token = await deps.save(pending.model_copy(update={"force_new": True}))
        card = already_filed_card(existing, state=token)
        await _reply(
            deps, origin, card_message(card, summary=f"Already filed as {existing.number}")
        )
        return
    token = await deps.save(pending)
    prompt = card_message(prompt_card(text, state=token), summary="Turn this into a ticket?")
    await _reply(deps, origin, prompt)


async def _synced_as_reply(deps: TeamsDeps, origin: Origin, activity: Activity, text: str) -> bool:
    """A message in a ticket's channel thread (Teams delivers those that mention the bot, or
    all of them with the ChannelMessage.Read.Group permission) becomes an entry."""
    root = payloads.conversation_of(activity)[1]
    if origin.conversation is None or origin.thread is None or root is None:
        return False  # not a reply inside a thread
    name = str((activity.get("from") or {}).get("name") or origin.user)
    return await deps.follower.thread_reply(
        ThreadKey("teams", origin.conversation, origin.thread),
        author=origin.user,
        author_name=name,
        text=text,
        message_id=str(activity.get("id") or ""),
    )


async def _ticket_of_thread(deps: TeamsDeps, origin: Origin) -> FiledTicket | None:
    """The ticket that lives in this channel thread (filed from one of its messages, or
    announced in it), so a mention there is not offered to be filed again."""
    if origin.conversation is None or origin.thread is None:
        return None
    link = await deps.follower.links.by_thread("teams", origin.conversation, origin.thread)
    if link is None:
        return None
    return FiledTicket(id=link.request_id, number=link.number, subject=link.subject, url=link.url)


async def _reply(deps: TeamsDeps, origin: Origin, activity: Activity) -> None:
    """Post in the chat, or as a reply in the channel thread the message is in."""
    if origin.endpoint and origin.conversation:
        target = in_thread(origin.conversation, origin.thread)
        await deps.messenger.post(origin.endpoint, target, activity)
