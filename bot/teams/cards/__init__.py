"""Adaptive Cards the bot shows in Teams, as pure functions returning JSON-ready dicts.

`form` builds the ticket form and the dialog answers that carry it; `messages` the cards of
the bot's messages and of a dialog's outcome. This module holds the few pieces both use.

Cards are version 1.5, which desktop, web and mobile Teams all render. Enumerated values are
spelled as the Teams SDK's card models spell them ("Attention", "Small", "Bolder"); renderers
read them without regard to case. Text that a person wrote reaches a card only through
`bot.teams.markdown` (`card_text`, `link`). Buttons carry `{"action": …, "state": …}`
(`bot.teams.ids`); the state is opaque here.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from bot.teams import ids

Json = dict[str, Any]

CONTENT_TYPE: Final = "application/vnd.microsoft.card.adaptive"
"""An Adaptive Card attachment's `contentType`."""
VERSION: Final = "1.5"

Color = Literal["Default", "Accent", "Good", "Warning", "Attention"]


def card(body: list[Json], actions: list[Json] | None = None) -> Json:
    """An Adaptive Card (version 1.5) with `body` and, when given, card-level `actions`."""
    built: Json = {"type": "AdaptiveCard", "version": VERSION, "body": body}
    if actions:
        built["actions"] = actions
    return built


def as_attachment(adaptive_card: Json) -> Json:
    """`adaptive_card` as an attachment of a message or a dialog."""
    return {"contentType": CONTENT_TYPE, "content": adaptive_card}


def text_block(
    text: str,
    *,
    subtle: bool = False,
    small: bool = False,
    bold: bool = False,
    color: Color | None = None,
    tight: bool = False,
) -> Json:
    """A wrapping `TextBlock`. `text` is card text: escape what people wrote first
    (`bot.teams.markdown.card_text`)."""
    block: Json = {"type": "TextBlock", "text": text, "wrap": True}
    if subtle:
        block["isSubtle"] = True
    if small:
        block["size"] = "Small"
    if bold:
        block["weight"] = "Bolder"
    if color is not None:
        block["color"] = color
    if tight:
        block["spacing"] = "Small"
    return block


def quote(text: str) -> Json:
    """`text` (card text) set apart in a shaded box: what Teams has for a quotation."""
    return {"type": "Container", "style": "emphasis", "items": [text_block(text)]}


def submit(
    title: str, action: str, state: str, *, opens_dialog: bool = False, primary: bool = False
) -> Json:
    """An `Action.Submit` carrying `{"action": action, "state": state}`; with `opens_dialog`
    it is a task/fetch button (Teams asks the bot for a dialog)."""
    data: Json = {ids.ACTION: action, ids.STATE: state}
    if opens_dialog:
        data = {"msteams": {"type": "task/fetch"}, **data}
    button: Json = {"type": "Action.Submit", "title": title, "data": data}
    if primary:
        button["style"] = "positive"
    return button


def execute(title: str, verb: str, state: str, *, primary: bool = False) -> Json:
    """An `Action.Execute` (Universal Actions) with `verb`, carrying `{"action": verb,
    "state": state}`."""
    button: Json = {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": {ids.ACTION: verb, ids.STATE: state},
    }
    if primary:
        button["style"] = "positive"
    return button
