"""Shortcuts: "Create ticket" on a message (prefilled), and the global one (empty form)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.drafts import PendingTicket
from bot.slack import ids, origin
from bot.slack.acks import acks_first
from bot.slack.deps import deps_of
from bot.slack.files import files_of
from bot.slack.forms import open_form
from bot.slack.prefill import draft_from_message


@acks_first
async def handle_ticket_from_message(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    source = origin.from_message_shortcut(body)
    message = body.get("message") or {}
    workspace_url = getattr(context.get("authorize_result"), "url", None)
    link = None
    if source.conversation and source.message:
        link = origin.permalink(
            workspace_url, source.conversation, source.message, message.get("thread_ts")
        )
    pending = PendingTicket(
        origin=source,
        draft=draft_from_message(message),
        author=message.get("user"),
        link=link,
        files=files_of(message),
    )
    await open_form(client, deps_of(context), trigger_id=body["trigger_id"], pending=pending)


@acks_first
async def handle_ticket_global(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    pending = PendingTicket(origin=origin.from_global_shortcut(body))
    await open_form(client, deps_of(context), trigger_id=body["trigger_id"], pending=pending)


def register(app: AsyncApp) -> None:
    app.shortcut(ids.MESSAGE_SHORTCUT)(handle_ticket_from_message)
    app.shortcut(ids.GLOBAL_SHORTCUT)(handle_ticket_global)
