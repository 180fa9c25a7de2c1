"""Buttons: open the form from a DM/mention prompt, try again, back to the form, file anyway.

Each button's value is a token from `StateStore` (the pending draft inline, or a cache key),
so any replica can handle the click and nothing the person typed is lost.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.drafts import DRAFTS_PER_PERSON, PendingTicket
from bot.core.ports import Text
from bot.slack import ids, origin
from bot.slack.acks import acks_first, let_ack_out
from bot.slack.blocks.results import build_progress_view
from bot.slack.deps import Deps, deps_of
from bot.slack.forms import form_view, open_form
from bot.slack.modal_ui import ModalUI, update_view

EXPIRED = (
    "That draft is no longer kept, so I opened an empty form. Sorry for the retyping: I keep "
    f"drafts for a week, and of long ones only each person's {DRAFTS_PER_PERSON} most recent."
)


def _value(body: dict[str, Any]) -> str:
    """The button's state token (or the modal's, for buttons without a value)."""
    actions = body.get("actions") or [{}]
    value = actions[0].get("value")
    if not value and isinstance(body.get("view"), dict):
        value = body["view"].get("private_metadata")
    return str(value or "")


def _view_id(body: dict[str, Any]) -> str | None:
    view = body.get("view")
    return str(view["id"]) if isinstance(view, dict) and view.get("id") else None


def _clicker(body: dict[str, Any]) -> str:
    """The person who clicks files the ticket (and is its requester)."""
    return str(body["user"]["id"])


@acks_first
async def handle_open_form(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    """The "Create ticket" button under the bot's DM/mention reply."""
    deps = deps_of(context)
    pending = await deps.drafts.load(_value(body))
    gone = pending is None
    if pending is None:
        pending = PendingTicket(origin=origin.from_prompt_action(body))
    pending = pending.model_copy(update={"origin": pending.origin.by(_clicker(body))})
    await open_form(client, deps, trigger_id=body["trigger_id"], pending=pending)
    if gone:  # after the form: the trigger id lives only 3 seconds
        await deps.messenger.post_private(pending.origin, Text(EXPIRED))


@acks_first
async def handle_edit(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    """ "Back to the form": the form again, with everything the person typed."""
    await _reopen_form(body, client, deps_of(context), force_new=False)


@acks_first
async def handle_file_anyway(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    """ "File a separate ticket" under "Already filed as …": the form, without de-duplication."""
    await _reopen_form(body, client, deps_of(context), force_new=True)


async def handle_retry(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    """ "Try again": resubmit the same draft (same attempt, so never a duplicate)."""
    deps = deps_of(context)
    async with deps.inflight.track():  # a shutdown waits for a click Slack saw accepted
        await ack()
        await let_ack_out()
        pending = await deps.drafts.load(_value(body))
        if pending is None or pending.attempt_id is None:
            await _reopen_form(body, client, deps, force_new=False)
            return
        progress = build_progress_view(pending.draft)
        view_id = _view_id(body)
        shared = view_id is not None  # clicked inside a modal another click may report in too
        if view_id is not None:
            await update_view(client, view_id, progress)
        else:
            opened = await client.views_open(trigger_id=body["trigger_id"], view=progress)
            view_id = str(opened["view"]["id"])
        await deps.filing.file_and_report(pending, ui=ModalUI(client, view_id), ui_shared=shared)


async def _reopen_form(
    body: dict[str, Any], client: AsyncWebClient, deps: Deps, *, force_new: bool
) -> None:
    pending = await deps.drafts.load(_value(body))
    if pending is None:
        pending = PendingTicket(origin=origin.from_prompt_action(body))
        await deps.messenger.post_private(pending.origin, Text(EXPIRED))
    else:
        pending = pending.model_copy(update={"origin": pending.origin.by(_clicker(body))})
        if force_new:
            pending = pending.separately()
    view = await form_view(deps, pending, keep_attempt=True)
    view_id = _view_id(body)
    if view_id is not None:
        await update_view(client, view_id, view)
    else:
        await client.views_open(trigger_id=body["trigger_id"], view=view)


async def handle_fixed(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    """ "Yes, close it" under a resolved ticket's status: only its requester may."""
    await ack()
    await let_ack_out()
    await _confirm(body, deps_of(context), fixed=True)


async def handle_reopen(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    """ "No, reopen" under a resolved ticket's status: only its requester may."""
    await ack()
    await let_ack_out()
    await _confirm(body, deps_of(context), fixed=False)


async def _confirm(body: dict[str, Any], deps: Deps, *, fixed: bool) -> None:
    value = _value(body)
    who = origin.from_button(body)
    if not value.isdigit():
        return
    answer = await deps.follower.confirm(int(value), who.user, fixed=fixed)
    await deps.messenger.post_private(who, Text(answer))


def register(app: AsyncApp) -> None:
    app.action(ids.OPEN_FORM_ACTION)(handle_open_form)
    app.action(ids.EDIT_ACTION)(handle_edit)
    app.action(ids.FILE_ANYWAY_ACTION)(handle_file_anyway)
    app.action(ids.RETRY_ACTION)(handle_retry)
    app.action(ids.FIXED_ACTION)(handle_fixed)
    app.action(ids.REOPEN_ACTION)(handle_reopen)
