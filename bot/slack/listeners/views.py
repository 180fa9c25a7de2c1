"""The modal's submission: validate, show progress, file, show the result."""

from __future__ import annotations

import time
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import ids
from bot.slack.acks import let_ack_out
from bot.slack.blocks.results import build_progress_view
from bot.slack.blocks.ticket_form import parse_ticket_form
from bot.slack.deps import deps_of
from bot.slack.filing import file_and_report
from bot.slack.states import FormContext

EXPIRED_FORM = "This form can no longer be submitted. Please copy your text and start again."


async def handle_ticket_form(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    """Cheap checks answer inline; everything slow happens after the ack."""
    deps = deps_of(context)
    parsed = parse_ticket_form(view["state"]["values"], form=deps.form)
    if isinstance(parsed, dict):
        await ack(response_action="errors", errors=parsed)
        return
    form_context = FormContext.decode(view.get("private_metadata") or "")
    if form_context is None:
        await ack(response_action="errors", errors={ids.Block.SUBJECT: EXPIRED_FORM})
        return
    user_id = body["user"]["id"]
    if form_context.origin.user_id != user_id:
        origin = form_context.origin.model_copy(update={"user_id": user_id})
        form_context = form_context.model_copy(update={"origin": origin})
    pending = form_context.pending(parsed, attempt_id=f"view:{view['id']}")
    # Tracked from before the ack: a shutdown waits for every submission Slack saw accepted.
    async with deps.inflight.track():
        await ack(response_action="update", view=build_progress_view(parsed))
        acked_at = time.monotonic()
        await let_ack_out()
        await file_and_report(
            client, deps, pending, view_id=view["id"], acked_at=acked_at, view_shared=True
        )


def register(app: AsyncApp) -> None:
    app.view_submission(ids.FORM_CALLBACK)(handle_ticket_form)
