"""Render what people see in Microsoft Teams as text mock-ups, from the cards the bot really sends.

Every screen is built by the Adaptive Card builders in `bot/teams/cards/` (and, for a dialog,
the way `bot/teams/handlers/dialogs.py` wraps them) with sample data, then drawn as text: a box
per dialog or message, inputs as `[value]` under their label, drop-downs as `[value ▾]`,
buttons as `[ Label ]`, card Markdown and message HTML as a reader would see them (escapes
removed, links `label (url)`, mentions `@Name`).

    python docs/render_teams_screens.py          # rewrite docs/teams-screens.md
    python docs/render_teams_screens.py --check  # exit 1 if docs/teams-screens.md is out of date

The output depends only on the builders and the sample data below, so it is reproducible.
Dialogs use the dialog handler's own (private) choices of notice, title and card for each
outcome, so the pictures follow the handler rather than a copy of it.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from bot.config import FormConfig
from bot.core.delivery import Delivery, Privately
from bot.core.drafts import PendingTicket
from bot.core.model import FiledTicket, Origin
from bot.core.my_requests import RequestRow, RequestsPage
from bot.core.ports import (
    AlreadyFiled,
    Failure,
    Filed,
    InProgress,
    Outcome,
    PrivateResult,
    TicketAnnouncement,
)
from bot.serviceops import ServiceUnavailableError
from bot.teams.cards import CONTENT_TYPE
from bot.teams.cards.form import dialog, form_card
from bot.teams.cards.messages import card_message, help_card, prompt_card
from bot.teams.cards.my_requests import list_card, row_actions
from bot.teams.deps import TeamsDeps
from bot.teams.handlers.dialogs import in_dialog, outcome_card, title_of, where_notice
from bot.teams.messenger import render as render_notice
from bot.teams.payloads import draft_from_text

OUTPUT = Path(__file__).resolve().parent / "teams-screens.md"
WIDTH = 72
"""Inner width of every box, in characters."""
CONTENT = WIDTH - 2
"""Width of what a card shows inside a box."""
CHOICES_SHOWN = 12
"""A drop-down lists at most this many of its choices."""

Json = dict[str, Any]

# --------------------------------------------------------------------------- sample data

TENANT = "0d1e2f3a-example-tenant"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
CHANNEL = "19:a1b2c3d4e5f6@thread.tacv2"
ROOT = "1718000000000"
REQUESTER = "29:1dana"
REQUESTER_NAME = "Dana Scully"
BOT_CONFIG = f"""\
departments = ["IT", "Facilities", "HR", "Finance"]
default_priority = "Medium"

[channels."teams:{CHANNEL}"]
department = "IT"
urgency = "High"
tags = ["vpn", "remote"]
"""
FORM = FormConfig.model_validate(tomllib.loads(BOT_CONFIG))
OPTIONAL_FORM = FormConfig.model_validate(
    tomllib.loads(
        BOT_CONFIG.replace(
            "[channels.",
            'categories = ["Network", "Hardware", "Software"]\n'
            'locations = ["Head office", "Plant"]\n'
            "cc_field = true\n\n[channels.",
        )
        + 'location = "Head office"\n'
    )
)
COLLEAGUE = "5c1f2e3d-example-colleague"
"""A colleague picked in the people picker (a directory object id)."""
MESSAGE = (
    "VPN drops every 5 minutes\n\n"
    "Since this morning the VPN client disconnects every 5 minutes and I have to log in "
    "again. Restarting the laptop did not help."
)
"""The channel message "Create ticket" is used on."""
CHAT_MESSAGE = "my VPN drops every 5 minutes *again*"
"""What someone writes to the bot in a 1:1 chat (the asterisks are theirs, not bold)."""
MESSAGE_ORIGIN = Origin(
    platform="teams",
    entry="message",
    workspace=TENANT,
    user=REQUESTER,
    conversation=CHANNEL,
    thread=ROOT,
    message=ROOT,
    endpoint=SERVICE_URL,
)
PENDING = PendingTicket(
    origin=MESSAGE_ORIGIN, draft=draft_from_text(MESSAGE), attempt_id="attempt-example"
)
TICKET = FiledTicket(
    id=12,
    number="INC-12",
    subject=PENDING.draft.subject,
    url="https://desk.example.com/t/request/view/12",
)
STATE = "state-example"
"""Buttons carry a draft's token; it is opaque and not drawn."""
FAILURE = Failure(ServiceUnavailableError.default_user_message, retryable=True, token=STATE)
ANNOUNCED = Filed(TICKET, Delivery("public", CHANNEL))

# What `where_notice` reads of the handlers' dependencies: where results go.
_DEPS = cast(TeamsDeps, SimpleNamespace(filing=SimpleNamespace(reply_privately=False)))


def ticket_form() -> Json:
    """The dialog "Create ticket" on a channel message opens (as `dialogs._form` builds it)."""
    return dialog(
        form_card(
            PENDING.draft,
            FORM,
            state=STATE,
            notice=where_notice(_DEPS, PENDING),
            defaults=FORM.defaults_for(CHANNEL, platform="teams"),
        )
    )


def ticket_form_with_optional_fields() -> Json:
    """The same dialog with Category, Location and CC offered (one person already picked)."""
    draft = PENDING.draft.model_copy(update={"cc_people": [COLLEAGUE]})
    return dialog(
        form_card(
            draft,
            OPTIONAL_FORM,
            state=STATE,
            notice=where_notice(_DEPS, PENDING),
            defaults=OPTIONAL_FORM.defaults_for(CHANNEL, platform="teams"),
            people={COLLEAGUE: "Fox Mulder"},
        )
    )


def outcome_dialog(outcome: Outcome | None) -> Json:
    """What a submitted form's dialog shows (as `dialogs.submit` answers); None: filing took
    longer than Teams waits."""
    card = in_dialog(outcome_card(PENDING, outcome))
    return dialog(card, title=title_of(outcome), height="small")


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
    _row(12, "VPN drops every 5 minutes", "In Progress", "High", 2),
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
        f"A dialog opened by *Create ticket* (⋯ > More actions) on a message in a channel with "
        f'defaults (`[channels."teams:{CHANNEL}"]` in `BOT_CONFIG`: department IT, urgency '
        "High, tags vpn, remote; priority from `default_priority`). Subject and description "
        "come from the message.",
        ticket_form,
    ),
    Screen(
        "Still being created",
        "The dialog after *Create ticket* when ServiceOps takes longer than Teams waits for an "
        "answer; it cannot change afterwards, the number comes by message.",
        lambda: outcome_dialog(None),
    ),
    Screen(
        "Ticket created",
        "The dialog once ServiceOps has answered in time.",
        lambda: outcome_dialog(ANNOUNCED),
    ),
    Screen(
        "Ticket not created",
        "ServiceOps could not be reached; nothing typed is lost. In the dialog both buttons "
        "submit it.",
        lambda: outcome_dialog(FAILURE),
    ),
    Screen(
        "Ticket not created, in the chat",
        "The same failure, also sent to the person in their 1:1 chat with the bot: *Try again* "
        "replaces this card with the outcome, *Back to the form* opens the form filled in.",
        lambda: render_notice(FAILURE),
    ),
    Screen(
        "After Try again in the chat",
        "The card that replaces the failure message in the 1:1 chat once the ticket exists.",
        lambda: outcome_card(PENDING, ANNOUNCED, here=False),
    ),
    Screen(
        "The reply in the thread",
        "Posted as a reply in the thread of the message the ticket came from, mentioning who "
        "filed it.",
        lambda: render_notice(TicketAnnouncement(TICKET, REQUESTER, REQUESTER_NAME)),
    ),
    Screen(
        "The ticket number, privately",
        "Sent in the 1:1 chat when the bot could not post in the channel (it is not in that team).",
        lambda: render_notice(PrivateResult(TICKET, Privately("refused", CHANNEL))),
    ),
    Screen(
        "The answer to a 1:1 message",
        f'Someone wrote "{CHAT_MESSAGE}" to the bot in a 1:1 chat (or mentioned it in a '
        "channel); *Create ticket* opens the form in a dialog.",
        lambda: card_message(prompt_card(CHAT_MESSAGE, state=STATE)),
    ),
    Screen(
        "Already filed",
        "The dialog instead of the form when the message already has a ticket; the button "
        "files a separate one on purpose. A message to the bot in such a thread gets the same "
        "card as a reply, its button opening the form.",
        lambda: outcome_dialog(AlreadyFiled(TICKET, STATE)),
    ),
    Screen(
        "Pressed twice",
        "The dialog when the same form is submitted again (a second click, Teams retrying) "
        "while the first submission is still being filed.",
        lambda: outcome_dialog(InProgress()),
    ),
    Screen(
        "Help",
        'The answer to "help" in a 1:1 chat.',
        lambda: card_message(help_card()),
    ),
    Screen(
        "The ticket form with Category, Location and CC",
        "The same dialog when `BOT_CONFIG` offers `categories`, `locations` and `cc_field = "
        "true` (the channel's default location preselected). In a channel or group chat CC "
        "offers Teams' people picker, for the conversation's members, and a field for anyone "
        "else's e-mail address; in a 1:1 chat only the field.",
        ticket_form_with_optional_fields,
    ),
    Screen(
        "My requests",
        'The answer to "my tickets" in the 1:1 chat: open requests first, then those closed '
        "in the last 30 days. *Show more* pages through long lists.",
        lambda: card_message(
            list_card(RequestsPage(MY_ROWS, 0, 2, capped=False), new_ticket_state=STATE, now=NOW)
        ),
    ),
    Screen(
        "Add comment, unfolded",
        "Under a request once *Add comment* is pressed; *Send* adds the text as the "
        "requester's reply and the card is shown again, refreshed. *Close* unfolds the same "
        "way into a confirmation.",
        lambda: row_actions(MY_ROWS[0])[0]["card"],
    ),
]

INTRO = """\
# What people see in Microsoft Teams

This file is generated by `python docs/render_teams_screens.py` from the real Adaptive Cards
and messages built by `bot/teams/cards/` (dialogs wrapped as `bot/teams/handlers/dialogs.py`
does); do not edit it by hand (a test fails when it is out of date). Slack's screens are in
[screens.md](screens.md).

Notation: a field's label is on the line above its input, `*` after a label marks a required
field; `[value]` is a text input, `(placeholder)` the grey hint of an empty one, `[value ▾]` a
drop-down with its choices listed under it. `[ Label ]` is a button that sends the card (in a
dialog: submits it), `[ Label ]↗` one that opens a dialog (task/fetch), and `[ Label ]↻` one
whose answer replaces the card (`Action.Execute`), `[ Label ]▾` one that unfolds more of the
card under it (`Action.ShowCard`). `│` before text marks a shaded box (a
quote), indented text is grey, `**bold**` is bold, `label (url)` a link and `@Name` a
mention. `✕` is the dialog's own close button (Teams draws it, not the card). Emoji are shown
by name (`:ticket:`).
"""

# --------------------------------------------------------------------------- text

_EMOJI_NAMES = {
    "🎫": "ticket",
    "✅": "white_check_mark",
    "⏳": "hourglass_flowing_sand",
    "⚠": "warning",
}
_VARIATION = "\ufe0f"
_CARD_LINK = re.compile(r"\[((?:\\.|[^\\\]])*)\]\(([^()\s]*)\)")
_LIST_ITEM = re.compile(r"^([ \t]*)[-+*] ", re.MULTILINE)
_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def emoji_names(text: str) -> str:
    """Emoji spelled `:name:`, as they take two columns in a monospaced drawing."""
    out = []
    for index, ch in enumerate(text):
        if ch == _VARIATION:
            continue
        emoji = text[index + 1 : index + 2] == _VARIATION
        wide = unicodedata.east_asian_width(ch) in "WF" and unicodedata.category(ch) == "So"
        if ch in _EMOJI_NAMES or emoji or wide:
            name = _EMOJI_NAMES.get(ch) or unicodedata.name(ch, "emoji").lower().replace(" ", "_")
            out.append(f":{name}:")
        else:
            out.append(ch)
    return "".join(out)


def card_markdown(text: str) -> str:
    """Adaptive Card text (`TextBlock`) as a reader would see it: backslash escapes removed,
    `[label](url)` links spelled `label (url)`, list items as `•`; `**bold**` kept."""
    text = _LIST_ITEM.sub(r"\1• ", text)
    out: list[str] = []
    index = 0
    while index < len(text):
        ch = text[index]
        if ch == "\\" and text[index + 1 : index + 2] in _PUNCTUATION:
            out.append(text[index + 1])
            index += 2
            continue
        if ch == "[" and (found := _CARD_LINK.match(text, index)):
            out.append(f"{card_markdown(found.group(1))} ({found.group(2)})")
            index = found.end()
            continue
        out.append(ch)
        index += 1
    return emoji_names("".join(out))


class _MessageHtml(HTMLParser):
    """Teams' message HTML (`textFormat: "xml"`) read as text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "at":
            self.parts.append("@")
        elif tag in ("b", "strong"):
            self.parts.append("**")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "a":
            self._links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("b", "strong"):
            self.parts.append("**")
        elif tag == "a" and self._links:
            self.parts.append(f" ({self._links.pop()})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def message_html(text: str) -> str:
    """Message text sent as `textFormat: "xml"` as a reader would see it: `<at>Name</at>`
    as `@Name`, `<a href="url">label</a>` as `label (url)`, `<b>` as `**bold**`, character
    references decoded."""
    parser = _MessageHtml()
    parser.feed(text)
    parser.close()
    return emoji_names("".join(parser.parts))


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Lines of at most `width` characters (`indent` included); blank lines kept, list items
    hanging."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        hanging = "  " if paragraph.lstrip().startswith("• ") else ""
        wrapped = textwrap.wrap(
            paragraph,
            width=width - len(indent),
            subsequent_indent=hanging,
            break_on_hyphens=False,
        )
        lines += [indent + line for line in wrapped] or [indent.rstrip()]
    return lines


def field(value: str, width: int) -> str:
    """`[value]` padded to fill `width`, shortened with … when too long."""
    inner = width - 2
    if len(value) > inner:
        value = value[: inner - 1] + "…"
    return f"[{value.ljust(inner)}]"


# --------------------------------------------------------------------------- card elements


def action_label(action: Json) -> str:
    """A button: `[ Title ]`, `↗` after it when it opens a dialog, `↻` when its answer
    replaces the card."""
    label = f"[ {emoji_names(str(action.get('title', '')))} ]"
    kind = action.get("type")
    data = action.get("data")
    teams = data.get("msteams") if isinstance(data, dict) else None
    if kind == "Action.Execute":
        return label + "↻"
    if kind == "Action.ShowCard":
        return label + "▾"
    if kind == "Action.Submit" and isinstance(teams, dict) and teams.get("type") == "task/fetch":
        return label + "↗"
    if kind == "Action.OpenUrl":
        return f"{label} ({action.get('url', '')})"
    return label


def input_lines(element: Json, width: int) -> list[str]:
    """An input: its label (with `*` when required), then the input itself."""
    lines = []
    if element.get("label"):
        required = " *" if element.get("isRequired") else ""
        lines += wrap(emoji_names(str(element["label"])) + required, width)
    return lines + control_lines(element, width)


def control_lines(element: Json, width: int) -> list[str]:
    kind = element.get("type")
    placeholder = f"({element['placeholder']})" if element.get("placeholder") else ""
    if kind == "Input.Text":
        value = emoji_names(str(element.get("value") or placeholder))
        if not element.get("isMultiline"):
            return [field(value.replace("\n", " "), width)]
        rows = wrap(value, width - 2) or [""]
        rows += [""] * max(0, 3 - len(rows))
        return [f"[{row.ljust(width - 2)}]" for row in rows]
    if kind == "Input.ChoiceSet" and "choices.data" in element:
        names = [emoji_names(str(choice.get("title", ""))) for choice in element["choices"]]
        return [f"[{', '.join(names) or placeholder} ▾]", "  (people picker: type a name)"]
    if kind == "Input.ChoiceSet":
        choices = element.get("choices") or []
        titles = {str(c.get("value")): str(c.get("title")) for c in choices}
        selected = element.get("value")
        shown = emoji_names(titles.get(str(selected), str(selected))) if selected else placeholder
        names = [emoji_names(str(choice.get("title", ""))) for choice in choices]
        if element.get("style") == "expanded":
            return [f"({'•' if name == shown else ' '}) {name}" for name in names]
        lines = [f"[{shown} ▾]"]
        if element.get("style") == "filtered":
            lines.append("  (filtered: typing narrows the list)")
        if names:
            more = len(names) - CHOICES_SHOWN
            listed = " · ".join(names[:CHOICES_SHOWN]) + (f" … and {more} more" if more > 0 else "")
            lines += wrap("choices: " + listed, width, "  ")
        return lines
    return [f"[{kind}]"]


def element_lines(element: Json, width: int) -> list[str]:
    """One body element of a card."""
    kind = element.get("type")
    if kind == "TextBlock":
        text = card_markdown(str(element.get("text", "")))
        indent = "  " if element.get("isSubtle") else ""
        if str(element.get("color", "")).lower() == "attention":
            text = "! " + text
        return wrap(text, width, indent)
    if kind == "Container":
        inner = body_lines(element.get("items") or [], width - 2)
        if str(element.get("style", "")).lower() in ("emphasis", "accent"):
            return [("│ " + line).rstrip() for line in inner]
        return inner
    if str(kind).startswith("Input."):
        return input_lines(element, width)
    if kind == "ActionSet":
        return wrap("  ".join(action_label(action) for action in element["actions"]), width)
    return [f"({kind})"]


def body_lines(elements: list[Json], width: int) -> list[str]:
    """Elements one under the other, a blank line between them unless spaced tightly."""
    lines: list[str] = []
    for index, element in enumerate(elements):
        if index and str(element.get("spacing", "default")).lower() not in ("small", "none"):
            lines.append("")
        if element.get("separator"):
            lines.append("─" * width)
        lines += element_lines(element, width)
    return lines


def card_lines(card: Json, width: int = CONTENT) -> list[str]:
    """An Adaptive Card: its body, then its buttons."""
    lines = body_lines(card.get("body") or [], width)
    actions = card.get("actions") or []
    if actions:
        if lines:
            lines.append("")
        lines += wrap("  ".join(action_label(action) for action in actions), width)
    return lines


# --------------------------------------------------------------------------- screens


def box(title: str, lines: list[str], *, closable: bool = False) -> str:
    """A framed screen; `closable` draws the dialog's own ✕ in its top border."""
    for line in lines:
        assert len(line) <= WIDTH - 1, f"line too wide to draw: {line!r}"
    close = " ✕ ─" if closable else ""
    top = f"┌─ {title} " + "─" * (WIDTH - len(title) - 2 - len(close)) + close + "┐"
    body = [f"│ {line.ljust(WIDTH - 1)} │" for line in lines]
    return "\n".join([top, *body, "└" + "─" * (WIDTH + 1) + "┘"])


def render(payload: Json) -> str:
    """A dialog answer (`{"task": …}`), a message activity or a bare card as a mock-up."""
    task = payload.get("task")
    if isinstance(task, dict):
        if task.get("type") == "message":
            return box("message box", wrap(emoji_names(str(task.get("value", ""))), CONTENT))
        value = task["value"]
        attachment = value["card"]
        assert attachment["contentType"] == CONTENT_TYPE
        return box(str(value.get("title", "")), card_lines(attachment["content"]), closable=True)
    if payload.get("type") == "AdaptiveCard":
        return box("card", card_lines(payload))
    assert payload.get("type") == "message", f"not a dialog, message or card: {payload!r}"
    lines: list[str] = []
    if payload.get("text"):
        text = str(payload["text"])
        shown = message_html(text) if payload.get("textFormat") == "xml" else emoji_names(text)
        lines += wrap(shown, CONTENT)
    for attachment in payload.get("attachments") or []:
        assert attachment["contentType"] == CONTENT_TYPE
        if lines:
            lines.append("")
        lines += card_lines(attachment["content"])
    drawn = box("message", lines)
    if not payload.get("text"):
        drawn += "\nmessage text: none (the card only)"
    return drawn


def render_all() -> str:
    """The whole of docs/teams-screens.md."""
    parts = [INTRO]
    for screen in SCREENS:
        parts.append(
            f"## {screen.title}\n\n{screen.about}\n\n```text\n{render(screen.build())}\n```\n"
        )
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help=f"fail if {OUTPUT.name} is outdated")
    args = parser.parse_args(argv)
    text = render_all()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(
                f"{OUTPUT.name} is out of date: run python docs/render_teams_screens.py",
                file=sys.stderr,
            )
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
