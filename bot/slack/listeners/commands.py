"""`/ticket [summary]`: open the modal at once, subject prefilled from the text."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.drafts import TicketDraft
from bot.slack import ids, origin
from bot.slack.acks import let_ack_out
from bot.slack.deps import deps_of
from bot.slack.forms import open_form
from bot.slack.states import FormContext
from bot.slack.text import clean, first_line, to_plain


async def handle_ticket_command(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    await ack()
    await let_ack_out()
    raw = body.get("text") or ""  # Slack markup; first_line reads it once
    text = clean(to_plain(raw))
    subject = first_line(raw, 250)
    rest = text.strip()
    draft = TicketDraft(subject=subject, description=rest if rest != subject else "")
    await open_form(
        client,
        deps_of(context),
        trigger_id=body["trigger_id"],
        draft=draft,
        context=FormContext(origin=origin.from_command(body)),
    )


def register(app: AsyncApp) -> None:
    app.command(ids.COMMAND)(handle_ticket_command)
