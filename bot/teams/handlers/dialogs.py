"""The ticket form in a dialog: opening it, submitting it, and the buttons that bring it back.

- `composeExtension/fetchTask` ("Create ticket" on a message) and `task/fetch` (the buttons
  "Create ticket", "Back to the form", "File a separate ticket") answer with the form;
- `composeExtension/submitAction` and `task/submit` carry the form's values: invalid ones
  re-show the form with a message under each field and everything typed kept; valid ones
  are filed through core, and the dialog shows how it ended (or "Creating…" when ServiceOps
  takes longer than Teams waits);
- `adaptiveCard/action` with the verb "ticket_retry" ("Try again" on a failure message)
  files the stored draft again and answers with the card that replaces the message's.

One form is one filing attempt: the attempt id travels in the form's state, so Teams
retrying a submit, or a second click, never files twice.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from bot.core.cc import resolve_cc
from bot.core.delivery import InConversation, InThread, Privately, destination
from bot.core.drafts import DRAFTS_PER_PERSON, PendingTicket, new_attempt_id
from bot.core.form import CC_MAX, validate
from bot.core.model import TicketDraft
from bot.core.ports import AlreadyFiled, Failure, Filed, InProgress, Outcome
from bot.teams import ids, payloads
from bot.teams.cards import CONTENT_TYPE
from bot.teams.cards.form import dialog, dialog_message, form_card, read_values
from bot.teams.cards.messages import (
    already_filed_card,
    failure_card,
    in_progress_card,
    still_creating_card,
    success_card,
)
from bot.teams.deps import TeamsDeps
from bot.teams.dialog_ui import DialogUI
from bot.teams.files import files_of
from bot.teams.handlers import my_requests

log = logging.getLogger("bot.teams.dialogs")

Json = dict[str, Any]
Activity = dict[str, Any]

EXPIRED = (
    "That draft is no longer kept, so the form is empty. Sorry for the retyping: I keep drafts "
    f"for a week, and of long ones only each person's {DRAFTS_PER_PERSON} most recent."
)
EXPIRED_FORM = "This form can no longer be submitted. Please copy your text and start again."
CC_REMEDY = "Please remove them, and type their addresses under CC by e-mail instead."
PLACES = {"direct": "our chat", "private": "a private message"}
"""How a private delivery is named in Teams (the 1:1 chat is the only private route)."""


# --------------------------------------------------------------------------- opening


async def open_from_message(deps: TeamsDeps, activity: Activity) -> Json:
    """ "Create ticket" on a message: the form prefilled from it, or "already filed"."""
    origin = payloads.from_message_action(activity)
    author, author_name = payloads.payload_author(activity)
    if author and author_name:
        await deps.directory.remember_name(author, author_name, origin)
    text = payloads.payload_text(activity)
    link = payloads.message_payload(activity).get("linkToMessage")
    pending = PendingTicket(
        origin=origin,
        draft=payloads.draft_from_text(text),
        author=author,
        link=link if isinstance(link, str) and link.startswith("https://") else None,
        files=files_of(payloads.message_payload(activity).get("attachments")),
    )
    return await _form_or_already_filed(deps, pending)


async def open_from_button(deps: TeamsDeps, activity: Activity) -> Json:
    """task/fetch: the form for the draft a button carries."""
    data = _data(activity)
    action = data.get(ids.ACTION)
    pending = await deps.drafts.load(str(data.get(ids.STATE) or ""))
    notice = None
    if pending is None:
        pending, notice = PendingTicket(origin=payloads.from_message(activity)), EXPIRED
    pending = pending.model_copy(update={"origin": pending.origin.by(payloads.user_of(activity))})
    if action == ids.FILE_ANYWAY:
        return await _form(deps, pending.separately(), notice=notice)
    if action == ids.EDIT and pending.attempt_id is not None:
        return await _form(deps, pending, notice=notice)  # continues the failed attempt
    return await _form_or_already_filed(deps, pending, notice=notice)


async def _form_or_already_filed(
    deps: TeamsDeps, pending: PendingTicket, *, notice: str | None = None
) -> Json:
    existing = None if pending.force_new else await deps.tickets.already_filed(pending.origin)
    if existing is not None:
        card = already_filed_card(existing, state=await deps.save(pending))
        return dialog(in_dialog(card), title="Already filed", height="small")
    fresh = pending.model_copy(update={"attempt_id": new_attempt_id()})
    return await _form(deps, fresh, notice=notice)


async def _form(
    deps: TeamsDeps,
    pending: PendingTicket,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
) -> Json:
    origin = pending.origin
    state = await deps.save(pending.for_form(keep_attempt=True))
    card = form_card(
        pending.draft,
        deps.form,
        state=state,
        notice=notice or where_notice(deps, pending),
        errors=errors,
        defaults=deps.form.defaults_for(origin.conversation, platform=origin.platform),
        people=await _picked_names(deps, pending) if deps.form.cc_field else None,
    )
    return dialog(card)


async def _picked_names(deps: TeamsDeps, pending: PendingTicket) -> dict[str, str] | None:
    """Where the people picker is offered (None: not here), the names of those already
    picked. In a 1:1 chat its only members are the person and the bot, so picked people
    could not be looked up: there CC is typed addresses only."""
    if not payloads.is_group_conversation(pending.origin.conversation):
        return None
    origin = pending.origin
    names = {}
    for person in pending.draft.cc_people[:CC_MAX]:
        name = await deps.directory.name(person, origin)
        if name != person:
            names[person] = name
    return names


def where_notice(deps: TeamsDeps, pending: PendingTicket) -> str:
    """The form's first line: where the ticket number will appear."""
    where = destination(pending.origin, reply_privately=deps.filing.reply_privately)
    if isinstance(where, InThread):
        return "I'll post the ticket number in this thread."
    if isinstance(where, InConversation):
        return "I'll post the ticket number in this chat."
    return "I'll send you the ticket number in our chat."


# --------------------------------------------------------------------------- submitting


async def submit(deps: TeamsDeps, activity: Activity) -> Json:
    """task/submit or composeExtension/submitAction: the form, or a button in a dialog."""
    data = _data(activity)
    action = data.get(ids.ACTION)
    if action in (ids.EDIT, ids.FILE_ANYWAY, ids.OPEN_FORM):
        return await open_from_button(deps, activity)
    if action == ids.RETRY:
        return dialog(in_dialog(await retry_card(deps, activity)), title="New ticket")
    form = await deps.drafts.load(str(data.get(ids.STATE) or ""))
    if form is None or form.attempt_id is None:
        return dialog_message(EXPIRED_FORM)
    form = form.model_copy(update={"origin": form.origin.by(payloads.user_of(activity))})
    values = read_values(data)
    parsed = validate(values, deps.form)
    if isinstance(parsed, TicketDraft):
        parsed = await resolve_cc(parsed, deps.directory, form.origin, remedy=CC_REMEDY)
    if isinstance(parsed, dict):
        typed = _as_typed(values)
        return await _form(deps, form.model_copy(update={"draft": typed}), errors=parsed)
    pending = form.filing(parsed, attempt_id=new_attempt_id())  # keeps the form's own
    outcome = await _file(deps, pending)
    card = in_dialog(outcome_card(pending, outcome, here=_here(activity, pending)))
    return dialog(card, title=title_of(outcome), height="small")


async def retry_card(deps: TeamsDeps, activity: Activity) -> Json:
    """ "Try again": file the stored draft again (same attempt); the card to show."""
    pending = await deps.drafts.load(str(_data(activity).get(ids.STATE) or ""))
    if pending is None or pending.attempt_id is None:
        return failure_card(EXPIRED_FORM, state="", retryable=False)
    return outcome_card(pending, await _file(deps, pending), here=_here(activity, pending))


async def card_action(deps: TeamsDeps, activity: Activity) -> Json:
    """adaptiveCard/action: "Try again" on a failure message; the card replaces it."""
    action = (activity.get("value") or {}).get("action") or {}
    verb = action.get("verb")
    if verb in (ids.MY_MORE, ids.MY_CLOSE, ids.MY_COMMENT):
        data = action.get("data")
        return await my_requests.card_action(
            deps, activity, verb, data if isinstance(data, dict) else {}
        )
    if action.get("verb") in (ids.FIXED, ids.REOPEN):
        return await _confirm(deps, activity, action, fixed=action.get("verb") == ids.FIXED)
    if action.get("verb") != ids.RETRY:
        return {"statusCode": 400, "type": "application/vnd.microsoft.error", "value": {}}
    card = await retry_card(deps, {**activity, "value": {"data": action.get("data") or {}}})
    return {"statusCode": 200, "type": CONTENT_TYPE, "value": card}


async def _confirm(
    deps: TeamsDeps, activity: Activity, action: dict[str, Any], *, fixed: bool
) -> Json:
    """ "Yes, close it" / "No, reopen" under a resolved ticket: only its requester may. The
    answer is a message for the person who pressed; the card stays as everyone sees it."""
    request = (action.get("data") or {}).get(ids.REQUEST)
    if not isinstance(request, int) or isinstance(request, bool):
        return {"statusCode": 400, "type": "application/vnd.microsoft.error", "value": {}}
    answer = await deps.follower.confirm(request, payloads.user_of(activity), fixed=fixed)
    return {
        "statusCode": 200,
        "type": "application/vnd.microsoft.activity.message",
        "value": answer,
    }


async def _file(deps: TeamsDeps, pending: PendingTicket) -> Outcome | None:
    """File in the background; the first outcome if it comes before Teams stops waiting."""
    ui = DialogUI(late=lambda outcome: _send_late(deps, pending, outcome))
    work = asyncio.create_task(deps.filing.file_and_report(pending, ui=ui))
    deps.background.add(work)
    work.add_done_callback(deps.background.discard)
    return await ui.wait(deps.answer_within)


async def _send_late(deps: TeamsDeps, pending: PendingTicket, outcome: AlreadyFiled) -> None:
    await deps.messenger.post_private(pending.origin, outcome)


def outcome_card(pending: PendingTicket, outcome: Outcome | None, *, here: bool = True) -> Json:
    """The card that shows how filing `pending` ended (None: still going on).

    `here`: the person is looking at the conversation the ticket came from (a dialog opened
    there), not at our 1:1 chat (a "Try again" on a failure message).
    """
    if isinstance(outcome, Filed):
        kind = outcome.delivery.kind
        where = _public_place(pending, here) if kind == "public" else PLACES.get(kind)
        return success_card(outcome.ticket, where)
    if isinstance(outcome, Failure):
        return failure_card(outcome.message, state=outcome.token, retryable=outcome.retryable)
    if isinstance(outcome, AlreadyFiled):
        return already_filed_card(outcome.ticket, state=outcome.token)
    if isinstance(outcome, InProgress):
        return in_progress_card()
    if isinstance(destination(pending.origin), Privately):
        return still_creating_card(pending.draft, place="in our chat")
    return still_creating_card(pending.draft, place=f"in {_public_place(pending, here)}")


def _public_place(pending: PendingTicket, here: bool) -> str:
    kind = "thread" if pending.origin.thread else "chat"
    return f"this {kind}" if here else f"the {kind} you filed it from"


def _here(activity: Activity, pending: PendingTicket) -> bool:
    conversation, _ = payloads.conversation_of(activity)
    return conversation == pending.origin.conversation


def in_dialog(card: Json) -> Json:
    """A message card's buttons as a dialog needs them: inside a dialog every button is a
    plain `Action.Submit` (a task/submit carrying its data), not a task/fetch or an
    `Action.Execute`."""
    buttons = []
    for button in card.get("actions") or []:
        data = {k: v for k, v in (button.get("data") or {}).items() if k != "msteams"}
        converted = {"type": "Action.Submit", "title": button.get("title", ""), "data": data}
        if "style" in button:
            converted["style"] = button["style"]
        buttons.append(converted)
    return {**card, "actions": buttons} if buttons else card


def title_of(outcome: Outcome | None) -> str:
    """The dialog's title for an outcome."""
    if isinstance(outcome, Filed):
        return "Ticket created"
    if isinstance(outcome, Failure):
        return "Ticket not created"
    if isinstance(outcome, AlreadyFiled):
        return "Already filed"
    return "New ticket"


def _as_typed(values: dict[str, str | None]) -> TicketDraft:
    """What the person typed, unchecked, to show the form again with it."""
    return TicketDraft(
        subject=values.get("subject") or "",
        description=values.get("description") or "",
        priority=values.get("priority"),
        urgency=values.get("urgency"),
        impact=values.get("impact"),
        department=values.get("department"),
        tags=[tags] if (tags := values.get("tags")) else [],
        category=values.get("category"),
        location=values.get("location"),
        cc_emails=[cc] if (cc := values.get("cc")) else [],
        cc_people=[p for p in re.split(r"[\s,;]+", values.get("cc_people") or "") if p],
    )


def _data(activity: Activity) -> dict[str, Any]:
    value = activity.get("value")
    data = value.get("data") if isinstance(value, dict) else None
    return data if isinstance(data, dict) else {}
