"""The bot's messages in Teams and the cards a dialog ends with, in the Slack surface's words.

- replies to a 1:1 message or an @mention: `prompt_card`, `help_card`;
- the public announcement of a new ticket (`announcement`) and the private one
  (`private_result`);
- how a filing attempt ends, in a dialog or a message: `progress_card`, `in_progress_card`,
  `success_card`, `failure_card`, `already_filed_card`.

Whatever a person wrote (subjects, messages, names) is escaped with `bot.teams.markdown`
before it is echoed, and ticket links go through its `link`. Arguments documented as bot
words are escaped too, as they may name a conversation. Buttons carry the `state` they are
given, opaque here (`bot.teams.ids`).
"""

from __future__ import annotations

from bot.core.delivery import Privately
from bot.core.model import FiledTicket, TicketDraft
from bot.core.ports import DeskReply, StatusChanged
from bot.core.text import first_line, one_line
from bot.teams import ids
from bot.teams.cards import Json, as_attachment, card, execute, quote, submit, text_block
from bot.teams.markdown import (
    TEXT_FORMAT,
    card_text,
    link,
    mention,
    message_link,
    message_text,
)

__all__ = [
    "already_filed_card",
    "announcement",
    "as_attachment",
    "card_message",
    "failure_card",
    "help_card",
    "in_progress_card",
    "private_reason",
    "private_result",
    "progress_card",
    "prompt_card",
    "still_creating_card",
    "success_card",
]

SUMMARY_SHOWN = 200
"""Characters of the person's message quoted back (escaped)."""
SUBJECT_SHOWN = 300
"""Longest subject echoed in a message or card (escaped characters)."""
MESSAGE_SHOWN = 2500
PLACE_SHOWN = 200
"""Longest conversation name or place echoed (escaped characters)."""


def card_message(
    adaptive_card: Json, text: str | None = None, *, summary: str | None = None
) -> Json:
    """A message activity showing `adaptive_card`; `text` (plain words, escaped here and cut
    to 2500 characters) is shown above it; `summary` (plain words, written by the bot) is what
    notifications and the chat list show instead of "sent a card"."""
    message: Json = {"type": "message", "attachments": [as_attachment(adaptive_card)]}
    if text:
        message["text"] = message_text(text, limit=MESSAGE_SHOWN)
        message["textFormat"] = TEXT_FORMAT
    if summary:
        message["summary"] = one_line(summary)[:SUMMARY_SHOWN]
    return message


# --------------------------------------------------------------------------- replies


def prompt_card(summary: str, *, state: str) -> Json:
    """Reply offering to turn a message into a ticket: its first line quoted, and "Create
    ticket" opening the prefilled form in a dialog.

    Args:
        summary: what the person wrote, as plain text (mention of the bot removed); empty
            for a bare mention, which offers an empty form instead.
        state: carried by the button as `{"action": "ticket_open_form", "state"}`.
    """
    quoted = card_text(first_line(summary, 10_000), limit=SUMMARY_SHOWN)
    open_form = submit("Create ticket", ids.OPEN_FORM, state, opens_dialog=True, primary=True)
    if not quoted:
        text = (
            "Hi! Tell me what's wrong and I'll prepare a ticket, "
            "or press **Create ticket** to fill in the form yourself."
        )
        return card([text_block(text)], [open_form])
    body = [
        text_block("Want me to turn this into a ticket?"),
        quote(quoted),
        text_block(
            "You can review and edit everything before the ticket is created.",
            subtle=True,
            small=True,
        ),
    ]
    return card(body, [open_form])


def help_card() -> Json:
    """What the bot does in Teams and the ways to reach it."""
    ways = "\n".join(
        [
            "- On any message, choose **⋯ > More actions > Create ticket**.",
            "- Send me a message in a 1:1 chat, describing the problem.",
            "- Mention me in a channel, and I'll offer a ticket for that conversation.",
            "- Write **my tickets** to me to see your requests (comment on or close them "
            "there), or a number such as **INC-12** for one of them.",
        ]
    )
    body = [
        text_block("I turn conversations into ServiceOps tickets, without leaving Teams."),
        text_block(ways),
        text_block(
            "I reply with the ticket number and a link, right where you asked.",
            subtle=True,
            small=True,
        ),
    ]
    return card(body)


# --------------------------------------------------------------------------- results


def announcement(ticket: FiledTicket, requester_id: str, requester_name: str) -> Json:
    """The reply in the thread or chat announcing the ticket and mentioning who filed it: a
    message activity with `textFormat: "xml"` text and the mention's entity."""
    who = mention(requester_id, requester_name)
    number = message_link(ticket.url, ticket.number)
    subject = _message_subject(ticket.subject)
    message: Json = {
        "type": "message",
        "textFormat": TEXT_FORMAT,
        "text": f"🎫 {who.text} created ticket <b>{number}</b>: {subject}",
        "entities": [who.entity] if who.entity is not None else [],
    }
    return message


def private_result(
    ticket: FiledTicket, why: Privately, conversation_name: str | None = None
) -> Json:
    """The ticket number sent only to the requester: a message activity with a card.

    Args:
        ticket: the filed request.
        why: why it came privately; when the post was refused, the card says so and how to
            get results in that conversation next time.
        conversation_name: how that conversation is called (a channel or chat name), if known.
    """
    body = [
        text_block(f"✅ Your ticket **{link(ticket.url, ticket.number)}** has been created."),
        quote(_card_subject(ticket.subject)),
    ]
    reason = private_reason(why, conversation_name)
    if reason:
        body.append(text_block(reason, subtle=True, small=True))
    return card_message(card(body), summary=f"Your ticket {ticket.number} has been created")


def private_reason(why: Privately, conversation_name: str | None = None) -> str:
    """Card text saying why a result came privately, when the person should know (the post
    was refused); empty otherwise."""
    if why.reason != "refused":
        return ""
    name = one_line(conversation_name or "")
    where = f"**{card_text(name, limit=PLACE_SHOWN)}**" if name else "that conversation"
    return (
        f"I couldn't post in {where}. To get the ticket number there next time, add me to "
        "that team or chat: open **Apps**, find me and choose **Add to a team** or "
        "**Add to a chat**."
    )


def progress_card(draft: TicketDraft) -> Json:
    """While ServiceOps works: "Creating your ticket…" and the subject."""
    body = [
        text_block("⏳ **Creating your ticket…**"),
        text_block(f"**Subject:** {_card_subject(draft.subject)}", subtle=True),
    ]
    return card(body)


def in_progress_card() -> Json:
    """A second attempt while the first one is still filing."""
    text = (
        "⏳ This ticket is already being created. You'll get its number in a moment, where "
        "you asked for it or in our chat."
    )
    return card([text_block(text)])


def still_creating_card(draft: TicketDraft, *, place: str) -> Json:
    """A dialog's answer when ServiceOps takes longer than Teams waits for it.

    Args:
        draft: what is being filed.
        place: where the number will come, e.g. "in this thread" (written by the bot).
    """
    body = [
        text_block("⏳ **Your ticket is being created.**"),
        text_block(f"**Subject:** {_card_subject(draft.subject)}"),
        text_block(
            f"The service desk is taking longer than usual. I'll post the ticket number "
            f"{card_text(place, limit=PLACE_SHOWN)} as soon as it's there; you can close this "
            "window.",
            subtle=True,
        ),
    ]
    return card(body)


def success_card(ticket: FiledTicket, where: str | None) -> Json:
    """Once the ticket exists.

    Args:
        ticket: the filed request.
        where: plain words naming where the number was also posted ("this thread", "this
            chat", "a direct message from me", a channel's name); None when nowhere else.
    """
    body = [
        text_block(f"✅ Your ticket **{link(ticket.url, ticket.number)}** has been created."),
        text_block(f"**Subject:** {_card_subject(ticket.subject)}"),
    ]
    if where:
        place = card_text(one_line(where), limit=PLACE_SHOWN)
        body.append(text_block(f"You'll also find it in {place}.", subtle=True, small=True))
    return card(body)


def failure_card(message: str, *, state: str, retryable: bool) -> Json:
    """When the ticket could not be created; nothing the person typed is lost.

    Args:
        message: what happened and what to do, as plain words (escaped here).
        state: carried by both buttons: "Try again" (`Action.Execute`, verb `ticket_retry`)
            and "Back to the form" (task/fetch, action `ticket_edit`).
        retryable: show "Try again" (file it again as is) besides "Back to the form".
    """
    shown = card_text(message.strip(), limit=MESSAGE_SHOWN)
    body = [text_block(f"⚠️ **Your ticket wasn't created.** {shown}")]
    actions = [submit("Back to the form", ids.EDIT, state, opens_dialog=True)]
    if retryable:
        actions.insert(0, execute("Try again", ids.RETRY, state, primary=True))
    return card(body, actions)


def already_filed_card(ticket: FiledTicket, *, state: str) -> Json:
    """ "This message already has a ticket", with a button to file a separate one anyway
    (task/fetch, action `ticket_file_anyway`)."""
    body = [
        text_block(f"🎫 This message already has a ticket: **{link(ticket.url, ticket.number)}**."),
        text_block(
            "Is this a different problem? You can still file a separate ticket.",
            subtle=True,
            small=True,
        ),
    ]
    file_anyway = submit("File a separate ticket", ids.FILE_ANYWAY, state, opens_dialog=True)
    return card(body, [file_anyway])


# --------------------------------------------------------------------------- helpers


def _card_subject(subject: str) -> str:
    return card_text(one_line(subject), limit=SUBJECT_SHOWN) or "(no subject)"


def _message_subject(subject: str) -> str:
    return message_text(one_line(subject), limit=SUBJECT_SHOWN) or "(no subject)"


# --------------------------------------------------------------------------- follow-through


def status_card(notice: StatusChanged) -> Json:
    """ "INC-12 is now In Progress (Sam Lee)"; a resolved ticket asks its requester."""
    number = link(notice.link.url, notice.link.number)
    status = card_text(one_line(notice.status), limit=PLACE_SHOWN)
    who = f" ({card_text(one_line(notice.by), limit=PLACE_SHOWN)})" if notice.by else ""
    body = [text_block(f"🔄 **{number}** is now **{status}**{who}")]
    if notice.resolution:
        body.append(text_block("**Resolution:**"))
        body.append(quote(card_text(notice.resolution.strip(), limit=MESSAGE_SHOWN)))
    buttons: list[Json] = []
    if notice.ask:
        body.append(text_block("Is it fixed? (Only the person who filed it can answer.)"))
        for title, verb in (("Yes, close it", ids.FIXED), ("No, reopen", ids.REOPEN)):
            buttons.append(
                {
                    "type": "Action.Execute",
                    "title": title,
                    "verb": verb,
                    "data": {ids.ACTION: verb, ids.REQUEST: notice.link.request_id},
                }
            )
    return card(body, buttons or None)


def desk_reply_card(notice: DeskReply) -> Json:
    """What a technician wrote to the requester, marked as from the service desk."""
    number = link(notice.link.url, notice.link.number)
    who = f" ({card_text(one_line(notice.by), limit=PLACE_SHOWN)})" if notice.by else ""
    body = [
        text_block(f"💬 **Service desk**{who} on **{number}**", subtle=True),
        quote(card_text(notice.text.strip(), limit=MESSAGE_SHOWN) or "(no text)"),
    ]
    return card(body)
