"""The bot's replies to a DM or @mention, and its help text."""

from __future__ import annotations

from typing import Any

from bot.slack import ids
from bot.slack.text import first_line, truncate_escaped

MAX_BUTTON_VALUE = 2000
SUMMARY_SHOWN = 200
"""Characters of the person's message quoted back (before escaping)."""

Json = dict[str, Any]


def build_intake_prompt(*, summary: str, metadata: str) -> Json:
    """Reply offering to turn a message into a ticket: `{"text", "blocks"}`.

    Args:
        summary: what the person wrote (Slack message text); its first line is quoted.
        metadata: what the "Create ticket" button carries (at most 2000 characters).

    Raises:
        ValueError: `metadata` is longer than 2000 characters.
    """
    quoted = _quoted(summary)
    if not quoted:
        return build_mention_empty_prompt(metadata=metadata)
    text = f"Want me to turn this into a ticket?\n>{quoted}"
    return {
        "text": "Want me to turn this into a ticket?",
        "blocks": [
            _section(text),
            _actions(metadata),
            _context("You can review and edit everything before the ticket is created."),
        ],
    }


def build_mention_empty_prompt(*, metadata: str) -> Json:
    """Reply to a mention or DM with no words: offer an empty form.

    Raises:
        ValueError: `metadata` is longer than 2000 characters.
    """
    text = (
        "Hi! Tell me what's wrong and I'll prepare a ticket, "
        "or press *Create ticket* to fill in the form yourself."
    )
    return {
        "text": "Need a ticket? Press Create ticket.",
        "blocks": [_section(text), _actions(metadata)],
    }


def build_help_message() -> Json:
    """What the bot does and the ways to reach it: `{"text", "blocks"}`."""
    ways = "\n".join(
        [
            f"• Type `{ids.COMMAND} [summary]` in any channel or DM.",
            "• On any message, open the *⋮* menu and choose *Create ticket*.",
            "• Send me a direct message describing the problem.",
            "• Mention me in a thread, and I'll offer a ticket for that conversation.",
        ]
    )
    intro = "I turn conversations into ServiceOps tickets, without leaving Slack."
    outro = "I reply with the ticket number and a link, right where you asked."
    return {
        "text": intro,
        "blocks": [_section(f"{intro}\n\n{ways}"), _context(outro)],
    }


def _quoted(summary: str) -> str:
    return truncate_escaped(first_line(summary, 10_000), SUMMARY_SHOWN)


def _section(text: str) -> Json:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Json:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _actions(metadata: str) -> Json:
    if len(metadata) > MAX_BUTTON_VALUE:
        raise ValueError(f"button value longer than {MAX_BUTTON_VALUE} characters")
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Create ticket", "emoji": True},
        "action_id": ids.OPEN_FORM_ACTION,
        "style": "primary",
        "value": metadata,
    }
    return {"type": "actions", "block_id": "ticket_prompt_actions", "elements": [button]}
