"""The modal's submission: validate, show progress, file, show the result."""

from __future__ import annotations

import time
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.cc import resolve_cc
from bot.slack import ids
from bot.slack.acks import let_ack_out
from bot.slack.blocks.files import submitted_files
from bot.slack.blocks.results import build_progress_view
from bot.slack.blocks.ticket_form import parse_ticket_form
from bot.slack.deps import deps_of
from bot.slack.files import files_of
from bot.slack.modal_ui import ModalUI

EXPIRED_FORM = "This form can no longer be submitted. Please copy your text and start again."


async def handle_ticket_form(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    """Cheap checks answer inline (and the CC people's e-mails, looked up in the cache or
    Slack while Slack waits); everything slow happens after the ack."""
    deps = deps_of(context)
    parsed = parse_ticket_form(view["state"]["values"], form=deps.form)
    if isinstance(parsed, dict):
        await ack(response_action="errors", errors=parsed)
        return
    form = await deps.drafts.load(view.get("private_metadata") or "")
    if form is None:
        await ack(response_action="errors", errors={ids.Block.SUBJECT: EXPIRED_FORM})
        return
    form = form.model_copy(update={"origin": form.origin.by(body["user"]["id"])})
    parsed = await resolve_cc(parsed, deps.directory, form.origin)
    if isinstance(parsed, dict):
        await ack(response_action="errors", errors=parsed)
        return
    added = files_of(submitted_files(view["state"]["values"]))
    pending = form.filing(parsed, attempt_id=f"view:{view['id']}").with_files(added)
    # Tracked from before the ack: a shutdown waits for every submission Slack saw accepted.
    async with deps.inflight.track():
        await ack(response_action="update", view=build_progress_view(parsed))
        ui = ModalUI(
            client, view["id"], acked_at=time.monotonic(), settle_seconds=deps.view_settle_seconds
        )
        await let_ack_out()
        await deps.filing.file_and_report(pending, ui=ui, ui_shared=True)


def register(app: AsyncApp) -> None:
    app.view_submission(ids.FORM_CALLBACK)(handle_ticket_form)
