""" "My requests" as Adaptive Cards: the list ("my tickets"), one request ("INC-12").

Every text that came from ServiceOps is escaped as card text (`bot.teams.markdown`); ticket
links go through its `link`. A row's "Add comment" and "Close" are `Action.ShowCard`s that
unfold a comment box (sent with `Action.Execute`) or a confirmation, so nothing happens on
one click. A page holds `PAGE` rows, which keeps the card well under Teams' 28 KB.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.my_requests import (
    COMMENT_MAX,
    RequestDetail,
    RequestRow,
    RequestsPage,
    Unavailable,
    ago,
)
from bot.core.text import one_line
from bot.teams import ids
from bot.teams.cards import Json, card, quote, submit, text_block
from bot.teams.markdown import card_text, link

PAGE = 10
"""Rows per card (each with its two unfolding actions)."""
SUBJECT_SHOWN = 150
NAME_SHOWN = 80
ENTRY_SHOWN = 500
COMMENT_INPUT = "comment"
"""Id of a row's comment box (its value arrives in the button's data)."""
UNAVAILABLE_TITLE = "I can't load your requests right now"


def _short(text: str | None) -> str:
    return card_text(one_line(text or ""), limit=NAME_SHOWN)


def _facts(row: RequestRow, now: datetime | None) -> str:
    facts = [f"**{_short(row.status) or 'Unknown status'}**"]
    if row.priority:
        facts.append(f"{_short(row.priority)} priority")
    when = ago(row.updated_at, now)
    if when:
        facts.append(f"updated {when}")
    return " · ".join(facts)


def _heading(row: RequestRow) -> str:
    subject = card_text(one_line(row.subject), limit=SUBJECT_SHOWN) or "_(no subject)_"
    return f"**{link(row.url, row.number)}** {subject}"


def _execute(title: str, verb: str, data: Json, *, primary: bool = False) -> Json:
    button: Json = {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": {ids.ACTION: verb, **data},
    }
    if primary:
        button["style"] = "positive"
    return button


def row_actions(row: RequestRow) -> list[Json]:
    """ "Add comment" (a box and Send) and, for an open request, "Close" (a confirmation)."""
    comment_box = card(
        [
            {
                "type": "Input.Text",
                "id": COMMENT_INPUT,
                "isMultiline": True,
                "maxLength": COMMENT_MAX,
                "placeholder": "What should the service desk know?",
            }
        ],
        [_execute("Send", ids.MY_COMMENT, {ids.REQUEST: row.id}, primary=True)],
    )
    buttons = [{"type": "Action.ShowCard", "title": "Add comment", "card": comment_box}]
    if not row.closed:
        confirm = card(
            [text_block(f"Close {card_text(row.number)}? The service desk stops working on it.")],
            [_execute("Yes, close it", ids.MY_CLOSE, {ids.REQUEST: row.id})],
        )
        buttons.append({"type": "Action.ShowCard", "title": "Close", "card": confirm})
    return buttons


def _row(row: RequestRow, now: datetime | None) -> Json:
    return {
        "type": "Container",
        "separator": True,
        "items": [
            text_block(_heading(row)),
            text_block(_facts(row, now), subtle=True, small=True, tight=True),
            {"type": "ActionSet", "actions": row_actions(row)},
        ],
    }


def list_card(
    page: RequestsPage | Unavailable,
    *,
    new_ticket_state: str,
    notice: str | None = None,
    now: datetime | None = None,
) -> Json:
    """The person's requests, or why they cannot be shown (with Retry)."""
    body: list[Json] = [text_block("**My requests**")]
    if notice:
        body.append(text_block(card_text(notice), color="Good"))
    new_ticket = submit("New ticket", ids.OPEN_FORM, new_ticket_state, opens_dialog=True)
    if isinstance(page, Unavailable):
        body.append(text_block(f"⚠️ **{UNAVAILABLE_TITLE}.**", color="Attention"))
        body.append(text_block(card_text(page.message)))
        retry = [_execute("Retry", ids.MY_MORE, {"offset": 0}, primary=True)]
        return card(body, [*(retry if page.retryable else []), new_ticket])
    if not page.rows:
        empty = "You have no open requests, and none closed in the last 30 days."
        if page.capped:
            empty = (
                "None of the most recent requests in the service desk are yours; older ones "
                "are in the service desk portal."
            )
        body.append(text_block(empty))
        return card(body, [new_ticket])
    body += [_row(row, now) for row in page.rows]
    shown = f"Showing {page.offset + 1}–{page.offset + len(page.rows)} of {page.total}"
    if page.capped:
        shown += " (the most recent ones; older requests are in the service desk portal)"
    body.append(text_block(shown, subtle=True, small=True))
    actions: list[Json] = []
    if page.next_offset is not None:
        actions.append(_execute("Show more", ids.MY_MORE, {"offset": page.next_offset}))
    if page.offset > 0:
        actions.append(_execute("Back to the start", ids.MY_MORE, {"offset": 0}))
    actions.append(new_ticket)
    return card(body, actions)


def detail_card(detail: RequestDetail, *, now: datetime | None = None) -> Json:
    """One request: status, who handles it, its last public entries, and the actions."""
    row = detail.row
    body: list[Json] = [
        text_block(_heading(row)),
        text_block(_facts(row, now), subtle=True, small=True, tight=True),
    ]
    if detail.handled_by:
        body.append(text_block(f"Handled by {_short(detail.handled_by)}", small=True))
    for entry in detail.entries:
        who = "Service desk" if entry.from_desk else "You"
        if entry.by:
            who += f" ({_short(entry.by)})"
        when = ago(entry.when, now)
        body.append(text_block(f"**{who}**" + (f" · {when}" if when else ""), small=True))
        body.append(quote(card_text(entry.text.strip(), limit=ENTRY_SHOWN) or "(no text)"))
    if not detail.entries:
        body.append(text_block("No replies yet.", subtle=True, small=True))
    body.append({"type": "ActionSet", "actions": row_actions(row)})
    return card(body)


def message_card(text: str, *, attention: bool = False) -> Json:
    """A one-sentence card (bot words, escaped here)."""
    return card([text_block(card_text(text), color="Attention" if attention else None)])


def read_request(data: dict[str, Any]) -> int | None:
    """The request id a button carries; None when it is not one."""
    value = data.get(ids.REQUEST)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None
