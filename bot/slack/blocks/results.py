"""How a filing attempt ends: modal views (progress, success, failure) and messages.

Subjects and messages are escaped before they are echoed. Arguments documented as mrkdwn
(`where`, `reason`) are written by the bot, never copied from what a person typed.

Failure views and messages carry a `state` string, opaque to this module, from which the
caller rebuilds the draft and its origin when "Try again" or "Back to the form" is pressed:
the draft itself as JSON when it fits, otherwise a short cache key. A button `value` holds at
most 2000 characters and a view's `private_metadata` at most 3000.
"""

from __future__ import annotations

from bot.core.delivery import PRIVATE_PLACES, Delivery, Privately
from bot.core.model import FiledTicket, TicketDraft
from bot.core.text import clean, one_line, truncate_escaped
from bot.slack import ids
from bot.slack.blocks.kit import (
    MAX_BUTTON_VALUE,
    Json,
    actions,
    button,
    check_metadata,
    check_value,
    context,
    modal,
    section,
)
from bot.slack.mrkdwn import channel, link, mention

SUBJECT_SHOWN = 300
"""Longest subject echoed in a message or view (escaped characters)."""
MESSAGE_SHOWN = 2500
ACTIONS_BLOCK = "ticket_result_actions"


def build_progress_view(draft: TicketDraft) -> Json:
    """The modal while ServiceOps works: "Creating your ticket…" and the subject."""
    blocks = [
        section(":hourglass_flowing_sand: *Creating your ticket…*"),
        context(f"*Subject:* {_subject(draft.subject)}"),
    ]
    return modal("New ticket", blocks, close="Close")


def build_in_progress_view(state: str | None = None) -> Json:
    """The modal of a second "Try again" while the first one is still filing.

    With `state` (at most 3000 characters), it also says what to do if nothing comes, and
    offers "Try again" (the button's value when it fits, else the view's metadata).
    """
    blocks = [
        section(
            ":hourglass_flowing_sand: This ticket is already being created. "
            "You'll get its number in a moment, in the conversation or from me directly."
        )
    ]
    if state is None:
        return modal("New ticket", blocks, close="Close")
    check_metadata(state)
    value = state if len(state) <= MAX_BUTTON_VALUE else None
    blocks.append(
        context(
            "If no number comes within two minutes, press Try again: I'll look for the "
            "ticket first and won't file it twice."
        )
    )
    retry = button("Try again", ids.RETRY_ACTION, value, primary=True)
    blocks.append(actions(ACTIONS_BLOCK, [retry]))
    view = modal("New ticket", blocks, close="Close")
    view["private_metadata"] = state
    return view


def build_success_view(ticket: FiledTicket, *, where: str | None) -> Json:
    """The modal once the ticket exists.

    Args:
        ticket: the filed request.
        where: mrkdwn naming where the number was also announced, e.g. `<#C123>` or
            "a direct message from me"; None when it was not announced anywhere else.
    """
    lines = [
        f":white_check_mark: Your ticket *{link(ticket.url, ticket.number)}* has been created.",
        f"*Subject:* {_subject(ticket.subject)}",
    ]
    blocks = [section("\n".join(lines))]
    if where:
        blocks.append(context(f"You'll also find it in {where}."))
    return modal("Ticket created", blocks, close="Done")


def build_failure_view(*, message: str, state: str, retryable: bool) -> Json:
    """The modal when the ticket could not be created; nothing the person typed is lost.

    Args:
        message: what happened and what to do, as plain words (it is escaped).
        state: opaque, at most 3000 characters; becomes the view's `private_metadata`, and
            each button's `value` too when it is at most 2000 characters (otherwise the
            handler reads it from `view.private_metadata`).
        retryable: show "Try again" (resubmit as is) besides "Back to the form".

    Raises:
        ValueError: `state` is longer than 3000 characters.
    """
    check_metadata(state)
    value = state if len(state) <= MAX_BUTTON_VALUE else None
    blocks = [section(_failure_text(message)), _buttons(value, retryable)]
    view = modal("Ticket not created", blocks, close="Close")
    view["private_metadata"] = state
    return view


def build_ticket_message(ticket: FiledTicket, *, requester_user_id: str) -> Json:
    """The reply in the thread or channel announcing the ticket: `{"text", "blocks"}`."""
    who = mention(requester_user_id)
    number = link(ticket.url, ticket.number)
    subject = _subject(ticket.subject)
    return {
        "text": f"{who} created ticket {number}: {subject}",
        "blocks": [section(f":ticket: {who} created ticket *{number}*\n>{subject}")],
    }


def build_private_result(ticket: FiledTicket, *, reason: str) -> Json:
    """The ticket number sent only to the requester (ephemeral or DM): `{"text", "blocks"}`.

    Args:
        ticket: the filed request.
        reason: mrkdwn explaining why it came privately, e.g. "I couldn't post in <#C123>…";
            empty when private is simply where results go.
    """
    number = link(ticket.url, ticket.number)
    subject = _subject(ticket.subject)
    blocks = [section(f":white_check_mark: Your ticket *{number}* has been created.\n>{subject}")]
    if reason:
        blocks.append(context(reason))
    return {"text": f"Your ticket {number} has been created: {subject}", "blocks": blocks}


def build_already_filed(ticket_number: str, url: str, *, metadata: str) -> Json:
    """ "Already filed as INC-12" with a button to file a separate ticket anyway.

    Args:
        metadata: the form's metadata, at most 2000 characters, carried by the button.

    Raises:
        ValueError: `metadata` is longer than 2000 characters.
    """
    check_value(metadata)
    number = link(url, ticket_number)
    file_anyway = button("File a separate ticket", ids.FILE_ANYWAY_ACTION, metadata)
    return {
        "text": f"This message already has a ticket: {number}",
        "blocks": [
            section(f":ticket: This message already has a ticket: *{number}*."),
            context("Is this a different problem? You can still file a separate ticket."),
            actions(ACTIONS_BLOCK, [file_anyway]),
        ],
    }


def build_failure_message(*, message: str, state: str, retryable: bool) -> Json:
    """The private message when the ticket could not be created: `{"text", "blocks"}`.

    Args:
        message: what happened and what to do, as plain words (it is escaped).
        state: opaque, at most 2000 characters (a button value); pass a short cache key
            when the full state is longer.
        retryable: show "Try again" besides "Back to the form".

    Raises:
        ValueError: `state` is longer than 2000 characters.
    """
    check_value(state)
    text = _failure_text(message)
    return {"text": text, "blocks": [section(text), _buttons(state, retryable)]}


def where_delivered(delivery: Delivery) -> str | None:
    """What "You'll also find it in …" names for a delivery: the conversation, a direct
    message, a private message; None when it reached nobody."""
    if delivery.kind == "public" and delivery.conversation:
        return channel(delivery.conversation)
    return PRIVATE_PLACES.get(delivery.kind)


def private_reason(why: Privately) -> str:
    """Why a result came privately, when the person should know (the post was refused)."""
    if why.reason != "refused" or why.conversation is None:
        return ""
    return (
        f"I couldn't post in {channel(why.conversation)}. To get the ticket number in the "
        "conversation next time, invite me there: type `/invite` in it and pick me."
    )


# --------------------------------------------------------------------------- helpers


def _subject(subject: str) -> str:
    return truncate_escaped(one_line(clean(subject)), SUBJECT_SHOWN) or "(no subject)"


def _failure_text(message: str) -> str:
    shown = truncate_escaped(clean(message).strip(), MESSAGE_SHOWN)
    return f":warning: *Your ticket wasn't created.* {shown}"


def _buttons(value: str | None, retryable: bool) -> Json:
    elements = [button("Back to the form", ids.EDIT_ACTION, value)]
    if retryable:
        elements.insert(0, button("Try again", ids.RETRY_ACTION, value, primary=True))
    return actions(ACTIONS_BLOCK, elements)
