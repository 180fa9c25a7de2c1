"""DMs to the bot and @mentions: answer in the thread with a "Create ticket" button.

Slack retries an event delivery it thinks failed; each `event_id` is processed once, whatever
replica receives it. Messages from bots, edits and other subtypes are ignored (no loops).
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.drafts import Origin
from bot.metrics import SLACK_API_ERRORS
from bot.slack import origin as origins
from bot.slack.blocks.prompts import build_help_message, build_intake_prompt
from bot.slack.blocks.results import build_already_filed
from bot.slack.deps import Deps, deps_of
from bot.slack.prefill import draft_from_text, message_text
from bot.slack.states import PendingTicket
from bot.slack.text import clean, to_plain

log = logging.getLogger("bot.slack.events")

EVENT_TTL = 3600
"""Slack retries for up to ~5 minutes; an hour is a safe memory of processed events."""
HELP_WORDS = {"help", "?", "hi", "hello", "hey"}
ALLOWED_SUBTYPES = {None, "file_share", "thread_broadcast"}
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


async def _first_delivery(deps: Deps, body: dict[str, Any]) -> bool:
    event_id = body.get("event_id")
    if not event_id:
        return True
    return await deps.claims.claim(f"event:{event_id}", ttl=EVENT_TTL) is None


def _from_a_person(event: dict[str, Any], bot_user_id: str | None) -> bool:
    return (
        event.get("subtype") in ALLOWED_SUBTYPES
        and not event.get("bot_id")
        and bool(event.get("user"))
        and event.get("user") != bot_user_id
    )


async def handle_direct_message(
    body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    deps = deps_of(context)
    if event.get("channel_type") != "im" or not _from_a_person(event, context.get("bot_user_id")):
        return
    if not await _first_delivery(deps, body):
        return
    raw = message_text(event)
    text = clean(to_plain(raw)).strip()
    source = origins.from_message_event(event, surface="dm", team_id=body.get("team_id"))
    in_thread = event.get("thread_ts") not in (None, event.get("ts"))
    if text.lower().strip(" !.") in HELP_WORDS and not in_thread:
        await _post(client, source, build_help_message())
        return
    if in_thread and await deps.tickets.already_filed(source) is not None:
        return  # the conversation goes on in a ticket's thread; stay quiet
    await _prompt(client, deps, source, raw, author_id=event["user"], context=context)


async def handle_app_mention(
    body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    deps = deps_of(context)
    if not _from_a_person(event, context.get("bot_user_id")):
        return
    if not await _first_delivery(deps, body):
        return
    own = _without_own_mention(event.get("text") or "", context.get("bot_user_id"))
    raw = message_text({**event, "text": own})
    text = clean(to_plain(raw)).strip()
    source = origins.from_message_event(event, surface="mention", team_id=body.get("team_id"))
    if text.lower().strip(" !.") in {"help", "?"}:
        await _post(client, source, build_help_message())
        return
    await _prompt(client, deps, source, raw, author_id=event["user"], context=context)


def _without_own_mention(text: str, bot_user_id: str | None) -> str:
    """The text without the bot's own mention; other people's stay (as `@U…` in the draft)."""
    if bot_user_id:
        return re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", "", text)
    return MENTION.sub("", text, count=1)  # bot id unknown: the leading mention is ours


async def _prompt(
    client: AsyncWebClient,
    deps: Deps,
    source: Origin,
    raw: str,
    *,
    author_id: str,
    context: Any,
) -> None:
    """Reply in the thread with a summary and the button that opens the prefilled form.

    `raw` is the message as Slack sends it (markup, escaped); it is decoded exactly once.
    """
    workspace_url = getattr(context.get("authorize_result"), "url", None)
    assert source.channel_id is not None
    assert source.thread_ts is not None
    pending = PendingTicket(
        origin=source,
        draft=draft_from_text(raw),
        attempt_id=secrets.token_urlsafe(12),
        author_id=author_id,
        permalink=origins.permalink(workspace_url, source.channel_id, source.thread_ts, None),
    )
    existing = await deps.tickets.already_filed(source)
    if existing is not None:
        forced = pending.model_copy(update={"force_new": True})
        token = await deps.states.save(forced, limit=2000)
        await _post(
            client, source, build_already_filed(existing.number, existing.url, metadata=token)
        )
        return
    token = await deps.states.save(pending, limit=2000)
    await _post(client, source, build_intake_prompt(summary=raw, metadata=token))


async def _post(client: AsyncWebClient, source: Origin, message: dict[str, Any]) -> None:
    if source.channel_id is None:
        return
    try:
        await client.chat_postMessage(
            channel=source.channel_id, thread_ts=source.thread_ts, unfurl_links=False, **message
        )
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown") if exc.response is not None else "unknown"
        SLACK_API_ERRORS.labels(method="chat.postMessage", error=error).inc()
        log.warning("prompt_post_failed", extra={"channel": source.channel_id, "error": error})


def register(app: AsyncApp) -> None:
    app.event("message")(handle_direct_message)
    app.event("app_mention")(handle_app_mention)
