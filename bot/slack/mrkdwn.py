"""Slack's message format: reading people's text out of it, and writing text into it safely.

Slack sends message text with its own markup (`<@U123>`, `<https://x|label>`, `<!here>`)
and escapes `&`, `<` and `>`. Echoed text is escaped again (`escape`), so it renders as
typed and pings nobody; links and mentions are only ever written by the bot.
"""

from __future__ import annotations

import re

from bot.core import text
from bot.core.text import escape

_MARKUP = re.compile(r"<([^<>\n]*)>")
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


def unescape(raw: str) -> str:
    """Undo Slack's escaping of message text (`&lt;` back to `<`)."""
    return raw.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def to_plain(raw: str) -> str:
    """Slack message text as plain words: markup unwrapped, entities decoded.

    `<https://x|label>` becomes `label`, `<@U123>` becomes `@U123`, `<!here>` becomes `@here`.
    """
    return unescape(_MARKUP.sub(_unwrap, raw))


def first_line(raw: str, limit: int) -> str:
    """The first line of Slack message text that shows something, as plain words, for a subject."""
    return text.first_line(to_plain(raw), limit)


def link(url: str, label: str) -> str:
    """A link `<url|label>`; just the escaped label when `url` is not http(s)."""
    if not re.match(r"^https?://[^\s<>|]+$", url):
        return escape(label)
    safe_label = escape(label.replace("|", "/"))
    return f"<{url.replace('&', '&amp;')}|{safe_label}>"


def mention(user_id: str) -> str:
    """`<@U123>` for a Slack user id; an id of an unexpected shape is shown escaped, unlinked."""
    if re.match(r"^[UW][A-Z0-9]{2,}$", user_id):
        return f"<@{user_id}>"
    return escape(user_id)


def channel(channel_id: str) -> str:
    """`<#C123>` for a Slack conversation id; anything else escaped, unlinked."""
    if re.match(r"^[CDG][A-Z0-9]{2,}$", channel_id):
        return f"<#{channel_id}>"
    return escape(channel_id)


def quote(lines: str) -> str:
    """Prefix every line with `>` so Slack shows it as a quotation."""
    return "\n".join(f">{line}" for line in lines.split("\n"))


def _unwrap(match: re.Match[str]) -> str:
    """Plain words for one `<…>` Slack markup token."""
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith(("@", "#")):
        return target[0] + label.lstrip("@#") if label else target
    if target.startswith("!"):
        name = target[1:].split("^", 1)[0]
        if name in _SPECIAL:
            return _SPECIAL[name]
        return label or f"@{name}"
    return label or target
