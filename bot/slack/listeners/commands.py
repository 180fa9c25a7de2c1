"""`/ticket [summary]`: open the modal at once, subject prefilled from the text.

`/ticket list`, `/ticket INC-12` and `/ticket help` are answered privately instead
(`listeners.my_requests`)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.drafts import PendingTicket
from bot.core.model import TicketDraft
from bot.core.text import clean
from bot.slack import ids, origin
from bot.slack.acks import acks_first
from bot.slack.deps import deps_of
from bot.slack.forms import open_form
from bot.slack.listeners.my_requests import answer_command, subcommand
from bot.slack.mrkdwn import first_line, to_plain


@acks_first
async def handle_ticket_command(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: Any,
) -> None:
    raw = body.get("text") or ""  # Slack markup; first_line reads it once
    what = subcommand(to_plain(raw))
    if what is not None:  # `list`, `help`, `INC-12`: answered privately
        await answer_command(what, body, respond, deps_of(context))
        return
    text = clean(to_plain(raw))
    subject = first_line(raw, 250)
    rest = text.strip()
    draft = TicketDraft(subject=subject, description=rest if rest != subject else "")
    await open_form(
        client,
        deps_of(context),
        trigger_id=body["trigger_id"],
        pending=PendingTicket(origin=origin.from_command(body), draft=draft),
    )


def register(app: AsyncApp) -> None:
    app.command(ids.COMMAND)(handle_ticket_command)
