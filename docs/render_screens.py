"""Render what people see in Slack as text mock-ups, from the views the bot really sends.

Every screen is built by the Block Kit builders in `bot/slack/blocks/` with sample data, then
drawn as text: a box per modal or message, inputs as `[value]`, selects as `[value ▾]`,
buttons as `[ Label ]`, and mrkdwn links `<url|label>` as `label (url)`.

    python docs/render_screens.py          # rewrite docs/screens.md
    python docs/render_screens.py --check  # exit 1 if docs/screens.md is out of date

The output depends only on the builders and the sample data below, so it is reproducible.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import ChannelDefaults, FormConfig
from bot.core.delivery import destination, form_notice
from bot.core.drafts import PendingTicket
from bot.core.model import FiledTicket, Origin, TicketDraft
from bot.core.my_requests import Entry, RequestDetail, RequestRow, RequestsPage, Unavailable
from bot.serviceops import ServiceUnavailableError
from bot.slack.blocks.my_requests import comment_modal, detail_message, home_view
from bot.slack.blocks.prompts import build_help_message, build_intake_prompt, build_ticket_offer
from bot.slack.blocks.results import (
    build_already_filed,
    build_failure_view,
    build_progress_view,
    build_success_view,
    build_ticket_message,
)
from bot.slack.blocks.ticket_form import build_ticket_form

OUTPUT = Path(__file__).resolve().parent / "screens.md"
WIDTH = 72
"""Inner width of every box, in characters."""
LABEL_WIDTH = 14

Json = dict[str, Any]

# --------------------------------------------------------------------------- sample data

CHANNEL = "C0123ABCD"
REQUESTER = "U0DANA"
THREAD_TS = "1718000000.000100"
FORM = FormConfig(
    departments=["IT", "Facilities", "HR", "Finance"],
    default_priority="Medium",
    channels={CHANNEL: ChannelDefaults(department="IT", urgency="High", tags=["vpn", "remote"])},
)
OPTIONAL_FORM = FORM.model_copy(
    update={
        "categories": ["Network", "Hardware", "Software"],
        "locations": ["Head office", "Plant"],
        "cc_field": True,
        "channels": {
            CHANNEL: FORM.channels[CHANNEL].model_copy(update={"location": "Head office"})
        },
    }
)
ORIGIN = Origin(
    platform="slack",
    entry="dm",
    workspace="T0EXAMPLE",
    user=REQUESTER,
    conversation="D0DANA",
    thread=THREAD_TS,
)
SHORTCUT_ORIGIN = Origin(
    platform="slack",
    entry="message",
    workspace="T0EXAMPLE",
    user=REQUESTER,
    conversation=CHANNEL,
    thread=THREAD_TS,
    message=THREAD_TS,
)
DRAFT = TicketDraft(
    subject="VPN drops every 5 minutes",
    description=(
        "Since this morning the VPN client disconnects every 5 minutes and I have to log in "
        "again. Restarting the laptop did not help."
    ),
)
TICKET = FiledTicket(
    id=12,
    number="INC-12",
    subject=DRAFT.subject,
    url="https://desk.example.com/t/request/view/12",
)
PENDING = PendingTicket(origin=SHORTCUT_ORIGIN, draft=DRAFT, attempt_id="attempt-example")


NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
"""The moment the "My requests" screens are drawn at ("updated 2 h ago")."""


def _row(number: int, subject: str, status: str, priority: str, hours_ago: float) -> RequestRow:
    updated = NOW - timedelta(hours=hours_ago)
    return RequestRow(
        id=number + 100,
        number=f"INC-{number}",
        subject=subject,
        status=status,
        priority=priority,
        updated_ms=int(updated.timestamp() * 1000),
        url=f"https://desk.example.com/t/request/view/{number + 100}",
        closed=status == "Closed",
    )


MY_ROWS = [
    _row(12, DRAFT.subject, "In Progress", "High", 2),
    _row(9, "New starter needs a laptop", "Open", "Medium", 26),
    _row(4, "Printer on floor 3 is jammed", "Closed", "Low", 24 * 6),
]


@dataclass(frozen=True)
class Screen:
    title: str
    about: str
    build: Callable[[], Json]


SCREENS = [
    Screen(
        "The ticket form",
        f"Opened from the *Create ticket* shortcut on a message in a channel with defaults "
        f"(`[channels.{CHANNEL}]`: department IT, urgency High, tags vpn, remote; priority from "
        "`default_priority`).",
        lambda: build_ticket_form(
            draft=DRAFT,
            form=FORM,
            metadata=PendingTicket(origin=SHORTCUT_ORIGIN).encode(),
            channel_defaults=FORM.defaults_for(CHANNEL),
            notice=form_notice(destination(SHORTCUT_ORIGIN)),
        ),
    ),
    Screen(
        "While the ticket is created",
        "The form is replaced by this view as soon as it is submitted.",
        lambda: build_progress_view(DRAFT),
    ),
    Screen(
        "Ticket created",
        "The modal once ServiceOps has answered.",
        lambda: build_success_view(TICKET, where=f"<#{CHANNEL}>"),
    ),
    Screen(
        "Ticket not created",
        "ServiceOps could not be reached; nothing typed is lost.",
        lambda: build_failure_view(
            message=ServiceUnavailableError.default_user_message,
            state=PENDING.encode(),
            retryable=True,
        ),
    ),
    Screen(
        "The reply in the thread",
        "Posted in the thread of the message the ticket came from.",
        lambda: build_ticket_message(TICKET, requester_user_id=REQUESTER),
    ),
    Screen(
        "The answer to a DM or a mention",
        'Someone wrote "my VPN drops every 5 minutes" to the bot.',
        lambda: build_intake_prompt(
            summary="my VPN drops every 5 minutes",
            metadata=PENDING.model_dump_json(exclude_defaults=True),
        ),
    ),
    Screen(
        "The offer after a :ticket: reaction",
        "Only the person who reacted sees it (an ephemeral message where they reacted, else a "
        "DM); the button opens the form prefilled from the message.",
        lambda: build_ticket_offer(
            quote="Printer on floor 3 is jammed\nIt shows error E42 since 9am.",
            metadata=PENDING.model_dump_json(exclude_defaults=True),
            message_link="https://example.slack.com/archives/C0HELP1/p1700000000000100",
        ),
    ),
    Screen(
        "Already filed",
        "Instead of the form or the prompt when the conversation already has a ticket; the "
        "button files a separate one on purpose.",
        lambda: build_already_filed(
            TICKET.number, TICKET.url, metadata=PENDING.model_dump_json(exclude_defaults=True)
        ),
    ),
    Screen(
        "Help",
        'The answer to "help" in a DM.',
        build_help_message,
    ),
    Screen(
        "The ticket form with Category, Location and CC",
        "The same form when `BOT_CONFIG` offers `categories`, `locations` and `cc_field = true` "
        "(the channel's default location preselected). CC picks people; their e-mails are "
        "looked up when the form is submitted.",
        lambda: build_ticket_form(
            draft=DRAFT.model_copy(update={"cc_people": ["U0GRACE"]}),
            form=OPTIONAL_FORM,
            metadata=PendingTicket(origin=SHORTCUT_ORIGIN).encode(),
            channel_defaults=OPTIONAL_FORM.defaults_for(CHANNEL),
            notice=form_notice(destination(SHORTCUT_ORIGIN)),
        ),
    ),
    Screen(
        "My requests on the Home tab",
        "The bot's Home tab: open requests first, then those closed in the last 30 days. "
        "*Close* asks for confirmation first; long lists get *Show more*.",
        lambda: home_view(RequestsPage(MY_ROWS, 0, 3, capped=False), now=NOW),
    ),
    Screen(
        "My requests when ServiceOps is down",
        "Never a blank tab: what happened, and *Retry*.",
        lambda: home_view(
            Unavailable("The service desk isn't answering just now."),
            now=NOW,
        ),
    ),
    Screen(
        "/ticket INC-12",
        "One request, only to the person who asked: status, who handles it, the last replies.",
        lambda: detail_message(
            RequestDetail(
                row=MY_ROWS[0],
                handled_by="Sam Lee",
                entries=[
                    Entry(
                        "Sam Lee", NOW - timedelta(hours=3), "Can you try the new profile?", True
                    ),
                    Entry("Dana Reyes", NOW - timedelta(hours=2), "Still drops, sadly.", False),
                ],
            ),
            now=NOW,
        ),
    ),
    Screen(
        "Add comment",
        "From *Add comment* on a request; what is sent becomes the requester's reply.",
        lambda: comment_modal(112, "INC-12", home=True),
    ),
]

INTRO = """\
# What people see

This file is generated by `python docs/render_screens.py` from the real view and message JSON
built by `bot/slack/blocks/`; do not edit it by hand (a test fails when it is out of date).

Notation: `[value]` is a text input, `[value ▾]` a select, `[ Label ]` a button, `*` after a
label a required field, `(placeholder)` the grey hint of an empty input, and `label (url)` a
link. Emoji are shown by their Slack names (`:ticket:`).
"""

# --------------------------------------------------------------------------- rendering

_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>")
_BARE = re.compile(r"<([@#!]?)([^<>|]+)>")


def mrkdwn(text: str) -> str:
    """Slack mrkdwn as a reader would see it (links spelled out, entities decoded)."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _BARE.sub(lambda m: m.group(1) + m.group(2), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain(obj: Json | None) -> str:
    if not obj:
        return ""
    text = str(obj.get("text", ""))
    return mrkdwn(text) if obj.get("type") == "mrkdwn" else text


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Lines of at most `width` characters; blank lines and quotes kept."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        prefix = "> " if paragraph.startswith(">") else ""
        body = paragraph[1:] if prefix else paragraph
        hanging = "  " if body.startswith("• ") else ""
        wrapped = textwrap.wrap(
            body,
            width=width - len(indent) - len(prefix),
            subsequent_indent=hanging,
            break_on_hyphens=False,
        )
        lines += [indent + prefix + line for line in wrapped] or [indent + prefix.rstrip()]
    return lines


def field(value: str, width: int) -> str:
    """`[value]` padded to fill `width`, shortened with … when too long."""
    inner = width - 2
    if len(value) > inner:
        value = value[: inner - 1] + "…"
    return f"[{value.ljust(inner)}]"


def element_lines(element: Json, width: int) -> list[str]:
    kind = element.get("type")
    placeholder = f"({plain(element.get('placeholder'))})" if element.get("placeholder") else ""
    if kind == "plain_text_input":
        value = str(element.get("initial_value") or placeholder)
        if not element.get("multiline"):
            return [field(value, width)]
        rows = wrap(value, width - 2) or [""]
        rows += [""] * max(0, 3 - len(rows))
        return [f"[{row.ljust(width - 2)}]" for row in rows]
    if kind in ("static_select", "external_select"):
        initial = element.get("initial_option")
        value = plain(initial["text"]) if initial else placeholder
        lines = [f"[{value} ▾]"]
        choices = [plain(option["text"]) for option in element.get("options", [])]
        if choices:
            lines += wrap("choices: " + " · ".join(choices), width, "  ")
        elif kind == "external_select":
            lines.append("  (type-ahead: the bot suggests matching names)")
        return lines
    if kind == "multi_users_select":
        picked = " ".join(f"@{user}" for user in element.get("initial_users", []))
        return [f"[{picked or placeholder} ▾]", "  (people picker: anyone in the workspace)"]
    if kind == "button":
        return [f"[ {plain(element['text'])} ]"]
    return [f"[{kind}]"]


def block_lines(block: Json, width: int) -> list[str]:
    kind = block["type"]
    if kind == "section":
        return wrap(plain(block.get("text")), width)
    if kind == "context":
        text = "  ".join(plain(element) for element in block["elements"])
        return wrap(text, width, "  ")
    if kind == "actions":
        return wrap("  ".join(element_lines(e, width)[0] for e in block["elements"]), width)
    if kind == "divider":
        return ["─" * width]
    if kind == "header":
        return wrap(plain(block["text"]).upper(), width)
    if kind == "input":
        label = plain(block["label"]) + ("" if block.get("optional") else " *")
        inner = element_lines(block["element"], width - LABEL_WIDTH)
        lines = [label.ljust(LABEL_WIDTH) + inner[0]]
        lines += [" " * LABEL_WIDTH + line for line in inner[1:]]
        if block.get("hint"):
            lines += wrap(plain(block["hint"]), width, " " * LABEL_WIDTH)
        return lines
    return [f"({kind} block)"]


def box(title: str, lines: list[str], footer: str = "") -> str:
    top = f"┌─ {title} " + "─" * (WIDTH - len(title) - 2) + "┐"
    body = [f"│ {line.ljust(WIDTH - 1)} │" for line in lines]
    if footer:
        body.append(f"│ {footer.rjust(WIDTH - 1)} │")
    return "\n".join([top, *body, "└" + "─" * (WIDTH + 1) + "┘"])


def render(payload: Json) -> str:
    """A modal view or a message (`{"text", "blocks"}`) as a text mock-up."""
    lines: list[str] = []
    for index, block in enumerate(payload["blocks"]):
        if index:
            lines.append("")
        lines += block_lines(block, WIDTH - 2)
    for line in lines:
        assert len(line) <= WIDTH - 1, f"line too wide to draw: {line!r}"
    if payload.get("type") == "modal":
        buttons = [payload.get("close"), payload.get("submit")]
        footer = "  ".join(f"[ {plain(button)} ]" for button in buttons if button)
        return box(plain(payload["title"]), lines, footer)
    if payload.get("type") == "home":
        return box("Home tab", lines)
    drawn = box("message", lines)
    return drawn + "\n" + "\n".join(wrap(f"notification text: {mrkdwn(payload['text'])}", WIDTH))


def render_all() -> str:
    """The whole of docs/screens.md."""
    parts = [INTRO]
    for screen in SCREENS:
        parts.append(
            f"## {screen.title}\n\n{screen.about}\n\n```text\n{render(screen.build())}\n```\n"
        )
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if screens.md is outdated")
    args = parser.parse_args(argv)
    text = render_all()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(
                f"{OUTPUT.name} is out of date: run python docs/render_screens.py", file=sys.stderr
            )
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
