"""Shortcuts: "Create ticket" on a message (prefilled), and the global one (empty form)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.drafts import TicketDraft
from bot.slack import ids, origin
from bot.slack.acks import let_ack_out
from bot.slack.deps import deps_of
from bot.slack.forms import open_form
from bot.slack.prefill import draft_from_message
from bot.slack.states import FormContext


async def handle_ticket_from_message(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    await ack()
    await let_ack_out()
    source = origin.from_message_shortcut(body)
    message = body.get("message") or {}
    workspace_url = getattr(context.get("authorize_result"), "url", None)
    link = None
    if source.channel_id and source.message_ts:
        link = origin.permalink(
            workspace_url, source.channel_id, source.message_ts, message.get("thread_ts")
        )
    await open_form(
        client,
        deps_of(context),
        trigger_id=body["trigger_id"],
        draft=draft_from_message(message),
        context=FormContext(origin=source, author_id=message.get("user"), permalink=link),
    )


async def handle_ticket_global(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    await ack()
    await let_ack_out()
    await open_form(
        client,
        deps_of(context),
        trigger_id=body["trigger_id"],
        draft=TicketDraft(),
        context=FormContext(origin=origin.from_global_shortcut(body)),
    )


def register(app: AsyncApp) -> None:
    app.shortcut(ids.MESSAGE_SHORTCUT)(handle_ticket_from_message)
    app.shortcut(ids.GLOBAL_SHORTCUT)(handle_ticket_global)
