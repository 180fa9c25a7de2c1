""" "My requests" in Block Kit: the App Home tab, `/ticket list`, `/ticket INC-12`, the
comment modal.

Every text that came from ServiceOps (subjects, statuses, names, entries) is escaped for
Slack's message format; links are written by `bot.slack.mrkdwn.link`. A row is two blocks
(the request, its buttons), so a page of `HOME_PAGE` rows keeps a tab under Slack's
100 blocks and a page of `MESSAGE_PAGE` rows keeps a message under 50.
"""

from __future__ import annotations

import json
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
from bot.core.text import escape, one_line, truncate, truncate_escaped
from bot.slack import ids
from bot.slack.blocks.kit import Json, actions, button, check_metadata, context, plain, section
from bot.slack.mrkdwn import link, quote

HOME_PAGE = 20
"""Rows per page on the App Home tab (2 blocks each, of the view's 100)."""
MESSAGE_PAGE = 10
"""Rows per page in a message (2 blocks each, of a message's 50)."""
SUBJECT_SHOWN = 150
ENTRY_SHOWN = 500
NAME_SHOWN = 80
UNAVAILABLE_TITLE = "I can't load your requests right now"


def _row_text(row: RequestRow, now: datetime | None) -> str:
    subject = truncate_escaped(one_line(row.subject), SUBJECT_SHOWN) or "_(no subject)_"
    facts = [f"*{_short(row.status) or 'Unknown status'}*"]
    if row.priority:
        facts.append(f"{_short(row.priority)} priority")
    when = ago(row.updated_at, now)
    if when:
        facts.append(f"updated {when}")
    return f"*{link(row.url, row.number)}*  {subject}\n" + " · ".join(facts)


def _short(text: str | None) -> str:
    return truncate_escaped(one_line(text or ""), NAME_SHOWN)


def _row_buttons(row: RequestRow) -> Json:
    value = json.dumps({"id": row.id, "number": row.number[:40]}, separators=(",", ":"))
    elements = [button("Add comment", ids.MY_COMMENT_ACTION, value)]
    if not row.closed:
        close = button("Close", ids.MY_CLOSE_ACTION, value)
        close["confirm"] = {
            "title": plain("Close this ticket?"),
            "text": {
                "type": "mrkdwn",
                "text": f"{escape(row.number)} will be closed. "
                "The service desk stops working on it.",
            },
            "confirm": plain("Close it"),
            "deny": plain("Keep it open"),
            "style": "danger",
        }
        elements.append(close)
    return actions(f"req:{row.id}", elements)


def row_blocks(rows: list[RequestRow], now: datetime | None = None) -> list[Json]:
    blocks: list[Json] = []
    for row in rows:
        blocks += [section(_row_text(row, now)), _row_buttons(row)]
    return blocks


def _paging(page: RequestsPage) -> list[Json]:
    shown = f"Showing {page.offset + 1}–{page.offset + len(page.rows)} of {page.total}"
    if page.capped:
        shown += " (the most recent ones; older requests are in the service desk portal)"
    blocks = [context(shown)]
    buttons = []
    if page.next_offset is not None:
        buttons.append(button("Show more", ids.MY_MORE_ACTION, str(page.next_offset)))
    if page.offset > 0:
        buttons.append(button("Back to the start", ids.MY_MORE_ACTION, "0"))
    if buttons:
        blocks.append(actions("my_requests_paging", buttons))
    return blocks


def _empty_text(capped: bool = False) -> str:
    if capped:
        return (
            "None of the most recent requests in the service desk are yours; older ones are "
            "in the service desk portal."
        )
    return "You have no open requests, and none closed in the last 30 days."


def _header(text: str) -> Json:
    return {"type": "header", "text": plain(text)}


def _top_buttons(refresh: str) -> Json:
    return actions(
        "my_requests_top",
        [
            button("New ticket", ids.NEW_TICKET_ACTION, None, primary=True),
            button(refresh, ids.MY_REFRESH_ACTION, None),
        ],
    )


def home_view(
    page: RequestsPage | Unavailable, *, notice: str | None = None, now: datetime | None = None
) -> Json:
    """The App Home tab: the person's requests, or why they cannot be shown (with Retry)."""
    blocks: list[Json] = [_header("My requests")]
    if notice:
        blocks.append(section(escape(notice)))
    if isinstance(page, Unavailable):
        blocks.append(_top_buttons("Retry" if page.retryable else "Refresh"))
        blocks.append(section(f":warning: *{UNAVAILABLE_TITLE}.*\n{escape(page.message)}"))
        if page.retryable:
            blocks.append(context("Press *Retry* in a minute; nothing you did was lost."))
        return {"type": "home", "blocks": blocks}
    blocks.append(_top_buttons("Refresh"))
    blocks.append({"type": "divider"})
    if not page.rows:
        blocks.append(section(_empty_text(page.capped)))
    else:
        blocks += row_blocks(page.rows, now)
        blocks += _paging(page)
    return {"type": "home", "blocks": blocks}


def loading_view() -> Json:
    """The App Home tab while the list is read from ServiceOps."""
    return {
        "type": "home",
        "blocks": [
            _header("My requests"),
            section(":hourglass_flowing_sand: Loading your requests…"),
        ],
    }


def list_message(page: RequestsPage | Unavailable, *, now: datetime | None = None) -> Json:
    """`/ticket list`: the same rows as a private message."""
    if isinstance(page, Unavailable):
        return unavailable_message(page)
    if not page.rows:
        empty = _empty_text(page.capped)
        return {"text": empty, "blocks": [section(empty)]}
    blocks = [section("*Your requests*"), *row_blocks(page.rows, now), *_paging(page)]
    return {"text": f"Your requests ({page.total})", "blocks": blocks}


def unavailable_message(problem: Unavailable) -> Json:
    text = f":warning: *{UNAVAILABLE_TITLE}.*\n{escape(problem.message)}"
    blocks = [section(text)]
    if problem.retryable:
        blocks.append(
            actions("my_requests_retry", [button("Retry", ids.MY_MORE_ACTION, "0")]),
        )
    return {"text": f"{UNAVAILABLE_TITLE}.", "blocks": blocks}


def detail_message(detail: RequestDetail, *, now: datetime | None = None) -> Json:
    """`/ticket INC-12`: the request, who handles it and its last public entries."""
    row = detail.row
    lines = [_row_text(row, now)]
    if detail.handled_by:
        lines.append(f"Handled by {_short(detail.handled_by)}")
    blocks: list[Json] = [section("\n".join(lines))]
    for entry in detail.entries:
        who = "Service desk" if entry.from_desk else "You"
        if entry.by:
            who += f" ({_short(entry.by)})"
        when = ago(entry.when, now)
        heading = f"*{who}*" + (f" · {when}" if when else "")
        words = truncate_escaped(entry.text.strip(), ENTRY_SHOWN) or "_(no text)_"
        blocks.append(section(f"{heading}\n{quote(words)}"))
    if not detail.entries:
        blocks.append(context("No replies yet."))
    blocks.append(_row_buttons(row))
    return {"text": f"{row.number}: {truncate(one_line(row.subject), 100)}", "blocks": blocks}


def refused_message(message: str) -> Json:
    return {"text": message, "blocks": [section(escape(message))]}


def help_message() -> Json:
    """`/ticket help`: the command's three forms and the App Home tab."""
    lines = [
        f"• `{ids.COMMAND} [what's wrong]` opens the ticket form, filled in with your words.",
        f"• `{ids.COMMAND} list` shows your requests: open ones first, then those closed in "
        "the last 30 days. Add a comment or close one from there.",
        f"• `{ids.COMMAND} INC-12` shows one of your requests: its status, who handles it and "
        "the latest replies.",
        "• The *Home* tab of this app lists your requests too.",
    ]
    text = "*What I can do*\n" + "\n".join(lines)
    return {"text": "What I can do", "blocks": [section(text)]}


def comment_modal(
    request_id: int, number: str, *, text: str = "", error: str | None = None, home: bool
) -> Json:
    """The comment form; `text` is what the person typed before (kept after a failure)."""
    metadata = json.dumps({"id": request_id, "number": number, "home": home})
    check_metadata(metadata)
    element: Json = {
        "type": "plain_text_input",
        "action_id": ids.COMMENT_BLOCK,
        "multiline": True,
        "max_length": COMMENT_MAX,
        "placeholder": plain("What should the service desk know?"),
    }
    if text:
        element["initial_value"] = text
    blocks: list[Json] = []
    if error:
        blocks.append(section(f":warning: {escape(error)}"))
    blocks.append(
        {
            "type": "input",
            "block_id": ids.COMMENT_BLOCK,
            "label": plain("Comment"),
            "element": element,
        }
    )
    blocks.append(
        context(f"On {escape(truncate(number, 40))}: the service desk sees it as your reply.")
    )
    return {
        "type": "modal",
        "callback_id": ids.COMMENT_CALLBACK,
        "title": plain("Add comment"),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "private_metadata": metadata,
        "blocks": blocks,
    }


def comment_progress(number: str) -> Json:
    return {
        "type": "modal",
        "title": plain("Add comment"),
        "close": plain("Close"),
        "blocks": [section(f":hourglass_flowing_sand: Adding your comment to {escape(number)}…")],
    }


def comment_done(message: str) -> Json:
    return {
        "type": "modal",
        "title": plain("Add comment"),
        "close": plain("Close"),
        "blocks": [section(f":white_check_mark: {escape(message)}")],
    }


def read_button(value: str | None) -> tuple[int, str] | None:
    """A row button's `(request id, number)`; None when the value is not one of ours."""
    try:
        data: Any = json.loads(value or "")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    request_id, number = data.get("id"), data.get("number")
    if not isinstance(request_id, int) or isinstance(request_id, bool) or request_id < 1:
        return None
    return request_id, str(number or "")[:40]
