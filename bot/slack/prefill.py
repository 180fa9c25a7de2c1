"""What a Slack message says, as a ticket draft (pure functions)."""

from __future__ import annotations

from typing import Any

from bot.core.model import TicketDraft
from bot.core.text import clean
from bot.slack.mrkdwn import first_line, to_plain


def message_text(message: dict[str, Any]) -> str:
    """A message's words: its text, else what its blocks, attachments or files say."""
    if (message.get("text") or "").strip():
        return str(message["text"])
    parts: list[str] = []
    for block in message.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            parts.append(str(text["text"]))
        for field in block.get("fields") or []:
            if isinstance(field, dict) and field.get("text"):
                parts.append(str(field["text"]))
    for attachment in message.get("attachments") or []:
        for key in ("title", "text", "fallback"):
            if attachment.get(key):
                parts.append(str(attachment[key]))
                break
    files = [f.get("title") or f.get("name") for f in message.get("files") or []]
    if any(files):
        parts.append("Files: " + ", ".join(str(name) for name in files if name))
    return "\n".join(parts)


def draft_from_text(raw: str) -> TicketDraft:
    """Subject = the first line; description = the whole text. `raw` is Slack message text
    (markup, escaped), decoded exactly once."""
    return TicketDraft(subject=first_line(raw, 250), description=clean(to_plain(raw)).strip())


def draft_from_message(message: dict[str, Any]) -> TicketDraft:
    """The draft a message suggests (its text, or what its blocks, attachments, files say)."""
    return draft_from_text(message_text(message))
