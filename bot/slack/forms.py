"""Opening the ticket modal from any entry point, fast enough for Slack's 3-second trigger.

Between the payload and `views.open` only cheap work happens: building the view, and one
cache read to notice a message that already has a ticket.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.delivery import destination, form_notice
from bot.core.drafts import PendingTicket
from bot.core.ports import AlreadyFiled, Text
from bot.slack.api_errors import count_error
from bot.slack.blocks.files import file_blocks
from bot.slack.blocks.kit import MAX_METADATA
from bot.slack.blocks.ticket_form import build_ticket_form
from bot.slack.deps import Deps
from bot.slack.modal_ui import already_filed_view

log = logging.getLogger("bot.slack.forms")

NOT_OPENED = (
    "Sorry, Slack didn't let me open the ticket form in time. "
    "Please try again; if it keeps happening, tell your Slack admin."
)


async def form_view(
    deps: Deps, pending: PendingTicket, *, keep_attempt: bool = False
) -> dict[str, Any]:
    """The ticket modal prefilled with `pending`'s draft and the conversation's defaults.

    `keep_attempt`: the form continues `pending`'s attempt (reopened after a failure). The
    view's metadata is a `StateStore` token: the pending ticket inline, or a cache key when
    it does not fit (many files).
    """
    origin = pending.origin
    where = destination(origin, reply_privately=deps.filing.reply_privately)
    view = build_ticket_form(
        draft=pending.draft,
        form=deps.form,
        metadata=await deps.drafts.save(
            pending.for_form(keep_attempt=keep_attempt), limit=MAX_METADATA
        ),
        channel_defaults=deps.form.defaults_for(origin.conversation, platform=origin.platform),
        notice=form_notice(where),
    )
    view["blocks"] += file_blocks(pending.files, per_file=deps.settings.files.max_file_bytes)
    return view


async def open_form(
    client: AsyncWebClient, deps: Deps, *, trigger_id: str, pending: PendingTicket
) -> None:
    """Open the prefilled modal, or the "already filed" one when the message has a ticket."""
    view: dict[str, Any]
    existing = None if pending.force_new else await deps.tickets.already_filed(pending.origin)
    if existing is not None:
        view = already_filed_view(AlreadyFiled(existing, await deps.drafts.save(pending)))
    else:
        view = await form_view(deps, pending)
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        error = count_error("views.open", exc)
        log.warning("views_open_failed", extra={"error": error, "user": pending.origin.user})
        await deps.messenger.post_private(pending.origin, Text(NOT_OPENED))
