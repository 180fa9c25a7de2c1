"""A reaction with the ticket emoji (`BOT_CONFIG`'s `reaction_emoji`) offers a ticket.

A reaction carries no trigger id, so no form can open by itself: the person who reacted gets
a message only they see (ephemeral where they reacted, else a DM) quoting the message, with
"Create ticket" opening the form prefilled from it. A message that already has a ticket is
answered with that ticket instead. Other emojis, reactions on the bot's own messages and on
anything but a message are ignored; the bot does not subscribe to removed reactions. Each
`event_id` is handled once, whatever replica receives it and however often Slack retries.
When the shared cache is unreachable, the person is told to try again in a few minutes.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.drafts import PendingTicket
from bot.core.ports import AlreadyFiled, TicketOffer
from bot.core.text import clean
from bot.slack import origin as origins
from bot.slack.api_errors import count_error
from bot.slack.deps import Deps, deps_of
from bot.slack.files import files_of
from bot.slack.listeners.events import answered_when_unavailable, first_delivery
from bot.slack.mrkdwn import to_plain
from bot.slack.prefill import draft_from_message, message_text

log = logging.getLogger("bot.slack.reactions")


def emoji_name(reaction: Any) -> str:
    """The emoji's name without its skin tone (`thumbsup::skin-tone-2` → `thumbsup`)."""
    return str(reaction or "").split("::", 1)[0]


async def handle_reaction_added(
    body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    deps = deps_of(context)
    item = event.get("item") or {}
    channel, ts, reactor = item.get("channel"), item.get("ts"), event.get("user")
    if item.get("type") != "message" or not channel or not ts or not reactor:
        return
    bot_user_id = context.get("bot_user_id")
    if bot_user_id in (reactor, event.get("item_user")):
        return  # the bot's own reaction, or one on the bot's own message
    wanted = deps.form.reaction_emoji_for(channel)
    if not wanted or emoji_name(event.get("reaction")) != wanted:
        return
    here = origins.from_reaction(event, {}, team_id=body.get("team_id"))
    async with answered_when_unavailable(deps, here.model_copy(update={"thread": None})):
        await _offer(deps, body, event, client, context)


async def _offer(
    deps: Deps, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    item = event["item"]
    channel, ts = str(item["channel"]), str(item["ts"])
    if not await first_delivery(deps, body):
        return
    message = await reacted_message(client, channel, ts)
    if message is None or _from_the_bot(message, context):
        return
    source = origins.from_reaction(event, message, team_id=body.get("team_id"))
    workspace_url = getattr(context.get("authorize_result"), "url", None)
    pending = PendingTicket(
        origin=source,
        draft=draft_from_message(message),
        author=message.get("user"),
        link=origins.permalink(workspace_url, channel, ts, message.get("thread_ts")),
        files=files_of(message),
    )
    # Shown where the person reacted: in the thread for a reply, in the channel otherwise.
    where = source.model_copy(update={"thread": message.get("thread_ts")})
    existing = await deps.tickets.already_filed(source)
    if existing is not None:
        token = await deps.drafts.save(pending.model_copy(update={"force_new": True}))
        await deps.messenger.post_private(where, AlreadyFiled(existing, token), in_place=True)
        return
    token = await deps.drafts.save(pending)
    quote = clean(to_plain(message_text(message))).strip()
    offer = TicketOffer(quote, token, link=pending.link)
    await deps.messenger.post_private(where, offer, in_place=True)


async def reacted_message(client: AsyncWebClient, channel: str, ts: str) -> dict[str, Any] | None:
    """The message `ts` in `channel`: from the channel's history, else (a reply in a thread,
    which the history leaves out) from its thread. None when Slack does not show it to the
    bot (not a member, deleted, a scope missing: logged)."""
    method = "conversations.history"
    try:
        answer = await client.conversations_history(
            channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1
        )
        found = _with_ts(answer.get("messages"), ts)
        if found is None:
            method = "conversations.replies"
            answer = await client.conversations_replies(
                channel=channel, ts=ts, latest=ts, oldest=ts, inclusive=True, limit=2
            )
            found = _with_ts(answer.get("messages"), ts)
    except SlackApiError as exc:
        error = count_error(method, exc)
        log.warning("reacted_message_unreadable", extra={"channel": channel, "error": error})
        return None
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("reacted_message_unreadable", extra={"error": type(exc).__name__})
        return None
    if found is None:
        log.info("reacted_message_not_found", extra={"channel": channel})
    return found


def _with_ts(messages: Any, ts: str) -> dict[str, Any] | None:
    for message in messages or []:
        if isinstance(message, dict) and message.get("ts") == ts:
            return message
    return None


def _from_the_bot(message: dict[str, Any], context: Any) -> bool:
    bot_id = context.get("bot_id")
    return message.get("user") == context.get("bot_user_id") or (
        bot_id is not None and message.get("bot_id") == bot_id
    )


def register(app: AsyncApp) -> None:
    app.event("reaction_added")(handle_reaction_added)
