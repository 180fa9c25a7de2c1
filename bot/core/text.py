"""Text from people, made clean and short enough for any chat platform and ServiceOps.

Platform-neutral rules only; each surface's dialect (Slack's format, Teams Markdown) has its
own module for escaping and markup. Chat platforms count limits in characters; we count
UTF-16 code units (an emoji outside the Basic Multilingual Plane counts twice), which is
never less than their count, so whatever fits here fits there. Cuts never split an emoji
sequence, a combining mark or an `&amp;` entity.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

ELLIPSIS = "…"

_ENTITY_COST = {"&": 5, "<": 4, ">": 4}
"""Length of each character once escaped (`&amp;`, `&lt;`, `&gt;`)."""

_ZWJ = "\u200d"
_SPACES = re.compile(r"\s+")
_TAG_SEPARATORS = re.compile(r"[,\s]+")
_INVISIBLE = {"Zs", "Zl", "Zp", "Cc", "Cf", "Cs"}
"""Unicode categories that show nothing (unassigned code points may be newer emoji)."""
_ASCII_CONTROLS = {
    code: (" " if chr(code).isspace() else None)
    for code in (*range(0x20), 0x7F)
    if chr(code) not in "\n\t"
}
"""`clean` of ASCII text in one `str.translate` (what `_kept` does character by character)."""


class TagError(ValueError):
    """Tags cannot be accepted; `message` says why, in words fit for the form."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` as entities (`&amp;`, `&lt;`, `&gt;`).

    Both Slack's message format and HTML read these three as markup; escaped, echoed text
    renders as typed and mentions nobody.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clean(text: str) -> str:
    """Normalise line endings and drop control characters other than newline and tab.

    Control characters that separate words (vertical tab, form feed, NEL, the information
    separators) become a space, so the words either side stay apart. Lone surrogates (which
    cannot be encoded as UTF-8) are dropped too.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii():
        return text.translate(_ASCII_CONTROLS)
    return "".join(_kept(ch) for ch in text)


def truncate(text: str, limit: int, *, marker: str = ELLIPSIS) -> str:
    """`text` cut to at most `limit` characters, ending with `marker` when it was cut."""
    return _fit(text, limit, marker=marker, escaped=False)


def truncate_escaped(text: str, limit: int, *, marker: str = ELLIPSIS) -> str:
    """`escape(text)` cut to at most `limit` characters without splitting an entity.

    Use this for markup that echoes what a person typed; `marker` is escaped too.
    """
    return _fit(text, limit, marker=marker, escaped=True)


def length(text: str) -> int:
    """Length as chat platforms may count it: UTF-16 code units (a lone surrogate is one)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def first_line(text: str, limit: int) -> str:
    """The first line of plain `text` that shows something, on one line, for a subject."""
    for line in clean(text).split("\n"):
        words = _SPACES.sub(" ", line).strip()
        if visible(words):
            return truncate(words, limit)
    return ""


def visible(text: str) -> bool:
    """Whether `text` shows anything: a character other than spaces, controls and format
    characters (zero-width spaces and joiners, direction marks and overrides)."""
    return any(unicodedata.category(ch) not in _INVISIBLE for ch in text)


def one_line(text: str) -> str:
    """`text` with every run of whitespace (newlines included) turned into one space."""
    return _SPACES.sub(" ", text).strip()


def parse_tags(text: str | None, *, max_tags: int, max_length: int) -> list[str]:
    """Tags typed as one string, split on commas and whitespace.

    Empty entries and repeats (case-insensitive, the first spelling wins) are dropped, and a
    leading `#` is removed (`#vpn` is `vpn`).

    Raises:
        TagError: more than `max_tags` tags, or one longer than `max_length` characters.
    """
    tags = _unique(part.lstrip("#") for part in _TAG_SEPARATORS.split(clean(text or "")))
    too_long = next((tag for tag in tags if len(tag) > max_length), None)
    if too_long is not None:
        raise TagError(
            f"Tags can be at most {max_length} characters; "
            f"“{truncate(too_long, 20)}” is {len(too_long)}."
        )
    if len(tags) > max_tags:
        if max_tags == 0:
            raise TagError("Tags aren't used here; please leave this empty.")
        raise TagError(f"Please use at most {max_tags} tags (you entered {len(tags)}).")
    return tags


# --------------------------------------------------------------------------- helpers


def _unique(parts: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for part in parts:
        key = part.casefold()
        if part and key not in seen:
            seen.add(key)
            result.append(part)
    return result


def _kept(ch: str) -> str:
    """`ch` itself, a space for a control character that separates words, or nothing."""
    if ch in "\n\t" or not _is_unwanted(ch):
        return ch
    return " " if ch.isspace() else ""


def _is_unwanted(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs")


def _width(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _cost(ch: str, escaped: bool) -> int:
    return _ENTITY_COST[ch] if escaped and ch in _ENTITY_COST else _width(ch)


def _fit(text: str, limit: int, *, marker: str, escaped: bool) -> str:
    """Longest prefix whose (escaped) length plus the marker's stays within `limit`."""
    out = escape(text) if escaped else text
    if length(out) <= limit:
        return out
    shown_marker = escape(marker) if escaped else marker
    budget = limit - length(shown_marker)
    if budget < 0:
        return ""
    cut = _cut_point(text, budget, escaped)
    head = text[:cut].rstrip()
    return (escape(head) if escaped else head) + shown_marker


def _cut_point(text: str, budget: int, escaped: bool) -> int:
    used = 0
    cut = 0
    for index, ch in enumerate(text):
        cost = _cost(ch, escaped)
        if used + cost > budget:
            break
        used += cost
        cut = index + 1
    return _grapheme_safe(text, cut)


def _grapheme_safe(text: str, cut: int) -> int:
    """Move `cut` left so it does not separate a character from its modifiers."""
    while 0 < cut < len(text) and (_extends(text[cut]) or text[cut - 1] == _ZWJ):
        cut -= 1
    if 0 < cut < len(text) and _regional(text[cut]) and _regional(text[cut - 1]):
        run = 0
        while cut - run > 0 and _regional(text[cut - run - 1]):
            run += 1
        cut -= run % 2
    return cut


def _extends(ch: str) -> bool:
    """Combining marks, joiners, variation selectors and skin tones attach to the previous."""
    code = ord(ch)
    return (
        unicodedata.combining(ch) != 0
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or ch == _ZWJ
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
    )


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF
