"""Block Kit's building blocks and Slack's limits, shared by every builder.

Pure functions returning JSON-ready dicts. Text passed to `section`/`context` is Slack's
message format and must already be escaped where it echoes what a person typed.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

MAX_BUTTON_VALUE = 2000
"""A button's `value`."""
MAX_METADATA = 3000
"""A view's `private_metadata`."""
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
PLACEHOLDER_MAX = 150
OPTIONS_MAX = 100
"""Options in one select (and in one `options` answer)."""


def plain(text: str) -> Json:
    return {"type": "plain_text", "text": text, "emoji": True}


def section(text: str) -> Json:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> Json:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def modal(title: str, blocks: list[Json], *, close: str) -> Json:
    return {"type": "modal", "title": plain(title), "close": plain(close), "blocks": blocks}


def button(text: str, action_id: str, value: str | None, *, primary: bool = False) -> Json:
    """A button; `value` at most `MAX_BUTTON_VALUE` characters (checked)."""
    element: Json = {"type": "button", "text": plain(text), "action_id": action_id}
    if value:
        check_value(value)
        element["value"] = value
    if primary:
        element["style"] = "primary"
    return element


def actions(block_id: str, elements: list[Json]) -> Json:
    return {"type": "actions", "block_id": block_id, "elements": elements}


def check_value(value: str) -> None:
    """Raises ValueError when `value` is too long for a button."""
    if len(value) > MAX_BUTTON_VALUE:
        raise ValueError(f"button value longer than {MAX_BUTTON_VALUE} characters")


def check_metadata(metadata: str) -> None:
    """Raises ValueError when `metadata` is too long for a view's `private_metadata`."""
    if len(metadata) > MAX_METADATA:
        raise ValueError(f"private_metadata longer than {MAX_METADATA} characters")
