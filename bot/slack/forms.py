"""Opening the ticket modal from any surface, fast enough for Slack's 3-second trigger.

Between the payload and `views.open` only cheap work happens: building the view, and one
cache read to notice a message that already has a ticket.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.drafts import FiledTicket, TicketDraft
from bot.metrics import SLACK_API_ERRORS
from bot.slack.blocks.results import build_already_filed
from bot.slack.blocks.ticket_form import build_ticket_form, result_notice
from bot.slack.deps import Deps
from bot.slack.states import FormContext

log = logging.getLogger("bot.slack.forms")


def form_view(deps: Deps, draft: TicketDraft, context: FormContext) -> dict[str, Any]:
    """The ticket modal for `draft`, with the channel's defaults preselected."""
    defaults = deps.form.defaults_for(context.origin.channel_id)
    if not draft.tags and defaults.tags:
        draft = draft.model_copy(update={"tags": list(defaults.tags)})
    if not draft.department and defaults.department:
        draft = draft.model_copy(update={"department": defaults.department})
    return build_ticket_form(
        draft=draft,
        form=deps.form,
        metadata=context.encode(),
        channel_defaults=defaults,
        notice=result_notice(context.origin, reply_privately=deps.settings.reply_privately),
    )


def already_filed_view(ticket: FiledTicket, state: str) -> dict[str, Any]:
    """A small modal: "Already filed as INC-12", with a button to file a separate one.

    `state` is a `StateStore` token of the draft (at most 2000 characters), so the button
    opens the form with what the person had, like every other button that reopens it.
    """
    message = build_already_filed(ticket.number, ticket.url, metadata=state)
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Already filed"},
        "close": {"type": "plain_text", "text": "Close"},
        "private_metadata": state,
        "blocks": message["blocks"],
    }


async def open_form(
    client: AsyncWebClient,
    deps: Deps,
    *,
    trigger_id: str,
    draft: TicketDraft,
    context: FormContext,
) -> None:
    """Open the prefilled modal, or the "already filed" one when the message has a ticket."""
    view: dict[str, Any]
    existing = None if context.force_new else await deps.tickets.already_filed(context.origin)
    if existing is not None:
        pending = context.pending(draft, attempt_id=secrets.token_urlsafe(12))
        view = already_filed_view(existing, await deps.states.save(pending, limit=2000))
    else:
        view = form_view(deps, draft, context)
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown") if exc.response is not None else "unknown"
        SLACK_API_ERRORS.labels(method="views.open", error=error).inc()
        log.warning("views_open_failed", extra={"error": error, "user": context.origin.user_id})
        await deps.announcer.private(
            context.origin,
            {
                "text": "Sorry, Slack didn't let me open the ticket form in time. "
                "Please try again; if it keeps happening, tell your Slack admin."
            },
        )
