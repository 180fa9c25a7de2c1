"""People's text, written into what Teams shows so that it shows as typed and does nothing.

Teams reads two dialects, and echoed text is escaped for the one it lands in. Links and
mentions are only ever written by the bot (`link`, `message_link`, `mention`), never let
through from what a person typed.

**Card text** (`card_text`): the `text` of an Adaptive Card `TextBlock` (and `Fact` values).
Teams reads it as a Markdown subset: `**bold**`, `_italic_`, `~strike~`, `[label](url)` links,
`- ` / `+ ` bulleted and `1. ` numbered lists; newer renderers are CommonMark-based, so
`` `code` ``, `# headings`, `> quotes`, `===`/`---` underlines and `<https://autolinks>` may be
read too. HTML is not (the older mobile renderer writes `<`, `>`, `&` and `"` out as entities
itself, so entities here would show as typed: never use them in card text). The rule:

- a backslash goes before each of ``\\ * _ ~ ` [ ] ( ) < >``, wherever it is: emphasis, links
  (the parentheses too, as the older renderer links `[a\\](b)` otherwise), autolinks and the
  `{{DATE(…)}}` functions cannot form, and `<at>…</at>` is never the exact text of a mention;
- at the start of a line (after spaces), a backslash goes before `#`, `-`, `+` and `=`, and
  between a number and its `.`: no headings, lists or underlines;
- `&` gets a backslash only where it starts an entity (`&lt;`, `&#60;`), so `AT&T` stays.

**Message text** (`message_text`): the `text` of a message activity. Every message the bot
sends that carries people's words uses `textFormat: "xml"` (`TEXT_FORMAT`): Teams' HTML
subset, where `<at>` marks a mention and `<a href>` a link. The rule:

- `&`, `<`, `>` and `"` become `&amp;`, `&lt;`, `&gt;` and `&quot;`: no tags (`<at>`,
  `<script>`, `<a>`), no attributes, no entities of the person's own;
- the characters Markdown would read (``* _ ~ ` [ ] # \\``, and `-`, `+`, `=` or a number's `.`
  at the start of a line) become numeric character references (`&#42;`…): HTML shows them as
  the character, and Markdown (should a client read the text as Markdown too) treats a
  reference as a literal character, never as markup.

Both escapes take a `limit`: the person's text is cut (at a character boundary that keeps
emoji sequences whole, ending with "…") before it is escaped, so a cut never splits an escape
and the escaped result is at most `limit` characters (UTF-16 code units, as Teams counts).
Both drop control characters first (`bot.core.text.clean`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from bot.core.text import clean, length, one_line, truncate, visible

TEXT_FORMAT: Final = "xml"
"""The `textFormat` of every message the bot sends with people's words in its text."""

NAME_SHOWN = 100
"""Longest display name written into a mention (escaped characters)."""
UNNAMED = "someone"
"""Shown in a mention when the person's name is empty."""

_CARD_ALWAYS = frozenset("\\*_~`[]()<>")
_CARD_LINE_START = re.compile(r"^([ \t]*)([#+=-])", re.MULTILINE)
_CARD_NUMBERED = re.compile(r"^([ \t]*[0-9]+)\.", re.MULTILINE)
_ENTITY_START = re.compile(r"&(?=#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_MESSAGE_ALWAYS = {
    **_HTML,
    "*": "&#42;",
    "_": "&#95;",
    "~": "&#126;",
    "`": "&#96;",
    "[": "&#91;",
    "]": "&#93;",
    "#": "&#35;",
    "\\": "&#92;",
}
_MESSAGE_LINE_START = re.compile(r"^([ \t]*)([+=-])", re.MULTILINE)
_MESSAGE_NUMBERED = re.compile(r"^([ \t]*[0-9]+)\.", re.MULTILINE)
_REFERENCES = {"+": "&#43;", "=": "&#61;", "-": "&#45;"}

_HTTP_URL = re.compile(r"https?://[^\s/?#@]+(?:[/?#]\S*)?", re.IGNORECASE)
_URL_IN_MARKDOWN = {
    "(": "%28",
    ")": "%29",
    "<": "%3C",
    ">": "%3E",
    '"': "%22",
    "\\": "%5C",
    "`": "%60",
}
_USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._@#-]{0,255}")


@dataclass(frozen=True)
class Mention:
    """A mention of a person in message text: put `text` in the message's text and
    `entity` in its `entities` (Teams pairs them by the exact text)."""

    text: str
    """`<at>Name</at>` with the name escaped as message text; only the escaped name when the
    id cannot be mentioned."""
    entity: dict[str, Any] | None
    """`{"type": "mention", "text": …, "mentioned": {"id", "name"}}`, or None when the
    user id is not one Teams could mention (then `text` is just the name)."""


def card_text(text: str, *, limit: int | None = None) -> str:
    """`text` escaped for Adaptive Card text (a `TextBlock`'s Markdown), at most `limit`
    characters once escaped."""
    return _fit(clean(text), limit, _escape_card)


def message_text(text: str, *, limit: int | None = None) -> str:
    """`text` escaped for message text sent with `textFormat: "xml"`, at most `limit`
    characters once escaped."""
    return _fit(clean(text), limit, _escape_message)


def link(url: str, label: str) -> str:
    """A Markdown link for card text, `[label](url)`, with `label` escaped; only the escaped
    label when `url` is not an http(s) URL."""
    target = _http_url(url)
    shown = card_text(label)
    if target is None:
        return shown
    for ch, encoded in _URL_IN_MARKDOWN.items():
        target = target.replace(ch, encoded)
    return f"[{shown}]({target})"


def message_link(url: str, label: str) -> str:
    """An HTML link for message text, `<a href="url">label</a>`, with `label` escaped; only
    the escaped label when `url` is not an http(s) URL."""
    target = _http_url(url)
    shown = message_text(label)
    if target is None:
        return shown
    return f'<a href="{_escape_html(target)}">{shown}</a>'


def mention(user_id: str, name: str) -> Mention:
    """A mention of `user_id` showing `name` (escaped as message text, at most 100
    characters; "someone" when it shows nothing)."""
    plain = one_line(clean(name))
    if not visible(plain):
        plain = UNNAMED
    shown = message_text(plain, limit=NAME_SHOWN)
    if not _USER_ID.fullmatch(user_id):
        return Mention(text=shown, entity=None)
    text = f"<at>{shown}</at>"
    entity = {
        "type": "mention",
        "text": text,
        "mentioned": {"id": user_id, "name": truncate(plain, NAME_SHOWN)},
    }
    return Mention(text=text, entity=entity)


# --------------------------------------------------------------------------- escaping


def _escape_card(text: str) -> str:
    out = "".join("\\" + ch if ch in _CARD_ALWAYS else ch for ch in text)
    out = _ENTITY_START.sub(r"\\&", out)
    out = _CARD_LINE_START.sub(r"\1\\\2", out)
    return _CARD_NUMBERED.sub(r"\1\\.", out)


def _escape_message(text: str) -> str:
    out = "".join(_MESSAGE_ALWAYS.get(ch, ch) for ch in text)
    out = _MESSAGE_LINE_START.sub(lambda m: m.group(1) + _REFERENCES[m.group(2)], out)
    return _MESSAGE_NUMBERED.sub(r"\1&#46;", out)


def _escape_html(text: str) -> str:
    return "".join(_HTML.get(ch, ch) for ch in text)


def _http_url(url: str) -> str | None:
    url = url.strip()
    if not _HTTP_URL.fullmatch(url) or clean(url) != url:
        return None
    return url


def _fit(text: str, limit: int | None, escape: Callable[[str], str]) -> str:
    """`escape(text)`, or when longer than `limit`, the escape of the longest cut of `text`
    (ending with "…") that fits: the cut is made before escaping, so none is split."""
    out = escape(text)
    if limit is None or length(out) <= limit:
        return out
    # Escaping never shortens a cut, so the cuts that fit are those up to some length.
    best = ""
    low, high = 0, min(limit, length(text))
    while low <= high:
        middle = (low + high) // 2
        candidate = escape(truncate(text, middle))
        if length(candidate) <= limit:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best
