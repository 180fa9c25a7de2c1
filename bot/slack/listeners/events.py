"""DMs to the bot and @mentions: answer in the thread with a "Create ticket" button.

Slack retries an event delivery it thinks failed; each `event_id` is processed once, whatever
replica receives it. Messages from bots, edits and other subtypes are ignored (no loops).

Bolt acknowledges an event before its listener runs, so Slack never sends again one the bot
could not handle. When the shared cache is unreachable (claims, drafts), a DM or a mention is
answered at once, privately, with "try again in a few minutes" and what the person wrote
(`answered_when_unavailable`). Not acknowledging instead would have Slack retry three times
within about five minutes and then drop the message without a word; and in Socket Mode there
is no HTTP answer to withhold. Replies in tickets' threads that cannot be added are logged.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.cache import unreachable
from bot.core.claims import ClaimKey
from bot.core.drafts import PendingTicket
from bot.core.links import ThreadKey
from bot.core.model import ChatFile, Entry, Origin
from bot.core.ports import CannotTakeRequests
from bot.core.text import clean
from bot.slack import origin as origins
from bot.slack.blocks.prompts import build_help_message, build_intake_prompt
from bot.slack.blocks.results import build_already_filed
from bot.slack.deps import Deps, deps_of
from bot.slack.files import files_of
from bot.slack.messenger import Message
from bot.slack.mrkdwn import to_plain
from bot.slack.prefill import draft_from_text, message_text

log = logging.getLogger("bot.slack.events")

EVENT_TTL = 3600
"""Slack retries for up to ~5 minutes; an hour is a safe memory of processed events."""
HELP_WORDS = {"help", "?", "hi", "hello", "hey"}
ALLOWED_SUBTYPES = {None, "file_share", "thread_broadcast"}
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


async def first_delivery(deps: Deps, body: dict[str, Any]) -> bool:
    """Whether this is the first delivery of the event (claimed now, for every replica)."""
    event_id = body.get("event_id")
    if not event_id:
        return True
    return await deps.claims.claim(ClaimKey.event(event_id), ttl=EVENT_TTL) is None


def _from_a_person(event: dict[str, Any], bot_user_id: str | None) -> bool:
    return (
        event.get("subtype") in ALLOWED_SUBTYPES
        and not event.get("bot_id")
        and bool(event.get("user"))
        and event.get("user") != bot_user_id
    )


async def handle_message(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
    """A DM to the bot (a prompt), or a person's reply in a ticket's thread (an entry on the
    request). Other channel messages are dropped before any call."""
    deps = deps_of(context)
    if not _from_a_person(event, context.get("bot_user_id")):
        return
    in_thread = event.get("thread_ts") not in (None, event.get("ts"))
    direct = event.get("channel_type") == "im"
    if not direct and not in_thread:
        return  # a channel message outside any thread: nothing to follow
    if direct:
        where, quote = _where_written(event, team_id=body.get("team_id"))
        async with answered_when_unavailable(deps, where, quote):
            await _handle_message(deps, body, event, context, direct=True, in_thread=in_thread)
    else:
        await _handle_message(deps, body, event, context, direct=False, in_thread=True)


async def _handle_message(
    deps: Deps,
    body: dict[str, Any],
    event: dict[str, Any],
    context: Any,
    *,
    direct: bool,
    in_thread: bool,
) -> None:
    if not await first_delivery(deps, body):
        return
    raw = message_text(event)
    text = clean(to_plain(raw)).strip()
    source = origins.from_message_event(
        event, entry="dm" if direct else "mention", team_id=body.get("team_id")
    )
    bot_user_id = context.get("bot_user_id")
    words = clean(to_plain(_without_own_mention(raw, bot_user_id))).strip() if bot_user_id else text
    if in_thread and await _synced_as_reply(deps, source, event, words, context):
        return  # the conversation goes on in a ticket's thread: the request has it
    if not direct:
        return
    if text.lower().strip(" !.") in HELP_WORDS and not in_thread:
        await _post(deps, source, build_help_message())
        return
    if in_thread and await deps.tickets.already_filed(source) is not None:
        return  # a ticket's thread whose replies are not synced: stay quiet
    await _prompt(deps, source, raw, author=event["user"], context=context, files=files_of(event))


async def _synced_as_reply(
    deps: Deps, source: Origin, event: dict[str, Any], text: str, context: Any
) -> bool:
    """Add a reply in a ticket's thread to its request; whether it was a ticket's thread."""
    assert source.conversation is not None
    assert source.thread is not None
    workspace_url = getattr(context.get("authorize_result"), "url", None)
    link = origins.permalink(workspace_url, source.conversation, event["ts"], source.thread)
    return await deps.follower.thread_reply(
        ThreadKey("slack", source.conversation, source.thread),
        author=source.user,
        author_name=await deps.directory.name(source.user),
        text=text,
        message_id=str(event["ts"]),
        link_to_message=link,
    )


async def handle_app_mention(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
    deps = deps_of(context)
    if not _from_a_person(event, context.get("bot_user_id")):
        return
    own = _without_own_mention(event.get("text") or "", context.get("bot_user_id"))
    where, quote = _where_written({**event, "text": own}, team_id=body.get("team_id"))
    async with answered_when_unavailable(deps, where, quote):
        await _handle_mention(deps, body, event, own, context)


async def _handle_mention(
    deps: Deps, body: dict[str, Any], event: dict[str, Any], own: str, context: Any
) -> None:
    if not await first_delivery(deps, body):
        return
    raw = message_text({**event, "text": own})
    text = clean(to_plain(raw)).strip()
    source = origins.from_message_event(event, entry="mention", team_id=body.get("team_id"))
    if text.lower().strip(" !.") in {"help", "?"}:
        await _post(deps, source, build_help_message())
        return
    await _prompt(deps, source, raw, author=event["user"], context=context, files=files_of(event))


@contextlib.asynccontextmanager
async def answered_when_unavailable(
    deps: Deps, where: Origin, quote: str = ""
) -> AsyncIterator[None]:
    """When the work inside fails because the shared cache is unreachable, tell `where.user`
    that the bot cannot take requests now, privately: in `where`'s conversation and thread
    (a DM when that fails), with `quote` (what they wrote, plain) given back. Other errors
    go on to the app's error handler."""
    try:
        yield
    except Exception as exc:
        if not unreachable(exc):
            raise
        log.warning(
            "request_not_taken",
            extra={"reason": "cache_unreachable", "error": type(exc).__name__},
        )
        await deps.messenger.post_private(where, CannotTakeRequests(quote), in_place=True)


def _where_written(event: dict[str, Any], *, team_id: str | None) -> tuple[Origin, str]:
    """Where a DM or mention was written (its thread only if it is a reply), and its words."""
    entry: Entry = "dm" if event.get("channel_type") == "im" else "mention"
    source = origins.from_message_event(event, entry=entry, team_id=team_id)
    where = source.model_copy(update={"thread": event.get("thread_ts")})
    return where, clean(to_plain(message_text(event))).strip()


def _without_own_mention(text: str, bot_user_id: str | None) -> str:
    """The text without the bot's own mention; other people's stay (as `@U…` in the draft)."""
    if bot_user_id:
        return re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", "", text)
    return MENTION.sub("", text, count=1)  # bot id unknown: the leading mention is ours


async def _prompt(
    deps: Deps,
    source: Origin,
    raw: str,
    *,
    author: str,
    context: Any,
    files: list[ChatFile] | None = None,
) -> None:
    """Reply in the thread with a summary and the button that opens the prefilled form.

    `raw` is the message as Slack sends it (markup, escaped); it is decoded exactly once.
    """
    workspace_url = getattr(context.get("authorize_result"), "url", None)
    assert source.conversation is not None
    assert source.thread is not None
    pending = PendingTicket(
        origin=source,
        draft=draft_from_text(raw),
        author=author,
        link=origins.permalink(workspace_url, source.conversation, source.thread, None),
        files=files or [],
    )
    existing = await _ticket_of_thread(deps, source)
    if existing is not None:
        token = await deps.drafts.save(pending.model_copy(update={"force_new": True}))
        message = build_already_filed(*existing, metadata=token)
        await _post(deps, source, message)
        return
    token = await deps.drafts.save(pending)
    await _post(deps, source, build_intake_prompt(summary=raw, metadata=token))


async def _ticket_of_thread(deps: Deps, source: Origin) -> tuple[str, str] | None:
    """The number and URL of the ticket filed from this thread's message, or announced in
    this thread (a `/ticket` announcement starts one), if any."""
    existing = await deps.tickets.already_filed(source)
    if existing is not None:
        return existing.number, existing.url
    assert source.conversation is not None
    assert source.thread is not None
    link = await deps.follower.links.by_thread("slack", source.conversation, source.thread)
    return (link.number, link.url) if link is not None else None


async def _post(deps: Deps, source: Origin, message: Message) -> None:
    if source.conversation is not None:
        await deps.messenger.post(source.conversation, message, thread=source.thread)


def register(app: AsyncApp) -> None:
    app.event("message")(handle_message)
    app.event("app_mention")(handle_app_mention)
