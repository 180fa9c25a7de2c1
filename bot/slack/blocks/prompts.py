"""The bot's replies to a DM or @mention, and its help text."""

from __future__ import annotations

from bot.core import text
from bot.core.ports import CANNOT_TAKE
from bot.core.text import truncate_escaped
from bot.slack import ids, mrkdwn
from bot.slack.blocks.kit import Json, actions, button, context, section
from bot.slack.mrkdwn import first_line, link

SUMMARY_SHOWN = 200
"""Characters of the person's message quoted back (before escaping)."""
QUOTE_SHOWN = 1400
"""Characters of a request the bot cannot take given back (escaped): with a `>` per line,
they fit a section's 3,000 characters."""


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
            section(text),
            _actions(metadata),
            context("You can review and edit everything before the ticket is created."),
        ],
    }


def build_ticket_offer(*, quote: str, metadata: str, message_link: str | None = None) -> Json:
    """The private offer to file a ticket about a message someone reacted to.

    Args:
        quote: the message's words (plain text); its first line is quoted.
        metadata: what the "Create ticket" button carries (at most 2000 characters).
        message_link: the message's permalink, linked from "this message" when given.

    Raises:
        ValueError: `metadata` is longer than 2000 characters.
    """
    quoted = truncate_escaped(text.first_line(quote, 10_000), SUMMARY_SHOWN)
    this = link(message_link, "this message") if message_link else "this message"
    question = f"Want me to turn {this} into a ticket?"
    if quoted:
        question += f"\n>{quoted}"
    return {
        "text": "Want me to turn this message into a ticket?",
        "blocks": [
            section(question),
            _actions(metadata),
            context(
                "You can review and edit everything before the ticket is created. "
                "Only you can see this."
            ),
        ],
    }


def build_cannot_take(*, quote: str) -> Json:
    """The answer to a request the bot cannot take now: try again later, and what the person
    wrote (plain text), quoted so nothing is lost."""
    blocks = [section(f":warning: {CANNOT_TAKE}")]
    kept = truncate_escaped(text.clean(quote).strip(), QUOTE_SHOWN)
    if kept:
        blocks.append(section("What you wrote, so nothing is lost:\n" + mrkdwn.quote(kept)))
    return {"text": CANNOT_TAKE, "blocks": blocks}


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
        "blocks": [section(text), _actions(metadata)],
    }


def build_help_message() -> Json:
    """What the bot does and the ways to reach it: `{"text", "blocks"}`."""
    ways = "\n".join(
        [
            f"• Type `{ids.COMMAND} [summary]` in any channel or DM.",
            "• On any message, open the *⋮* menu and choose *Create ticket*.",
            "• Send me a direct message describing the problem.",
            "• Mention me in a thread, and I'll offer a ticket for that conversation.",
            f"• `{ids.COMMAND} list` (or my *Home* tab) shows your requests; "
            f"`{ids.COMMAND} INC-12` shows one of them.",
        ]
    )
    intro = "I turn conversations into ServiceOps tickets, without leaving Slack."
    outro = "I reply with the ticket number and a link, right where you asked."
    return {
        "text": intro,
        "blocks": [section(f"{intro}\n\n{ways}"), context(outro)],
    }


def _quoted(summary: str) -> str:
    return truncate_escaped(first_line(summary, 10_000), SUMMARY_SHOWN)


def _actions(metadata: str) -> Json:
    open_form = button("Create ticket", ids.OPEN_FORM_ACTION, metadata, primary=True)
    return actions("ticket_prompt_actions", [open_form])
