"""Escaping people's text for Teams: card text (Markdown) and message text (XML/HTML)."""

from __future__ import annotations

import html
import re

import pytest

from bot.core.text import length
from bot.teams.markdown import (
    TEXT_FORMAT,
    UNNAMED,
    card_text,
    link,
    mention,
    message_link,
    message_text,
)
from tests.data.hostile import CASES

EVIL = "<at>Everyone</at> **bold** [x](https://evil) <script>"
CARD_SPECIALS = set("\\*_~`[]()<>")
MESSAGE_MARKDOWN = set("*_~`[]#\\")


def shown_in_card(escaped: str) -> str:
    """What a CommonMark renderer shows for text made only of backslash escapes."""
    return re.sub(r"\\(.)", r"\1", escaped)


def unescaped_card_specials(escaped: str) -> list[str]:
    """Markdown characters of card text not preceded by an escaping backslash."""
    found = []
    index = 0
    while index < len(escaped):
        ch = escaped[index]
        if ch == "\\":
            index += 2
            continue
        if ch in CARD_SPECIALS:
            found.append(ch)
        index += 1
    return found


# --------------------------------------------------------------------------- card text


def test_card_text_makes_markup_inert_and_shows_it_as_typed() -> None:
    escaped = card_text(EVIL)
    assert escaped == (r"\<at\>Everyone\</at\> \*\*bold\*\* \[x\]\(https://evil\) \<script\>")
    assert "<at>" not in escaped
    assert "**" not in escaped
    assert "[x](" not in escaped
    assert "<script>" not in escaped
    assert unescaped_card_specials(escaped) == []
    assert shown_in_card(escaped) == EVIL


@pytest.mark.parametrize(
    ("typed", "escaped"),
    [
        ("- not a list", r"\- not a list"),
        ("  + nor this", r"  \+ nor this"),
        ("# not a heading", r"\# not a heading"),
        ("1. not numbered", r"1\. not numbered"),
        ("12) nor this", r"12\) nor this"),
        ("> not a quote", r"\> not a quote"),
        ("line\n===", "line\n\\==="),
        ("line\n---", "line\n\\---"),
        ("a\n- b\n3. c", "a\n\\- b\n3\\. c"),
        ("~strike~ `code` _it_", r"\~strike\~ \`code\` \_it\_"),
        ("back\\slash", r"back\\slash"),
        ("<https://autolink.example>", r"\<https://autolink.example\>"),
        ("{{DATE(2017-02-14T06:00:00Z, SHORT)}}", r"{{DATE\(2017-02-14T06:00:00Z, SHORT\)}}"),
    ],
)
def test_card_text_escapes_what_the_markdown_subset_reads(typed: str, escaped: str) -> None:
    assert card_text(typed) == escaped
    assert shown_in_card(escaped) == typed


def test_card_text_leaves_ordinary_punctuation_alone() -> None:
    typed = "Printer on floor 3 - again! C# build, 50% done; AT&T 1.5 #vpn"
    assert card_text(typed) == typed


def test_card_text_escapes_an_ampersand_only_where_it_starts_an_entity() -> None:
    assert card_text("&lt;b&gt; &#60; &#x3C; AT&T & co") == r"\&lt;b\&gt; \&#60; \&#x3C; AT&T & co"


def test_card_text_drops_control_characters() -> None:
    assert card_text("a\x00b\x1bc\r\nd") == "abc\nd"


@pytest.mark.parametrize("limit", range(0, 40))
def test_card_text_truncation_never_splits_an_escape(limit: int) -> None:
    typed = r"**[x](y)** \ <at>" * 5
    escaped = card_text(typed, limit=limit)
    assert length(escaped) <= limit
    assert unescaped_card_specials(escaped) == []
    assert not escaped.endswith("\\") or escaped.endswith("\\\\")
    if escaped:
        assert escaped.endswith("…")
        assert typed.startswith(shown_in_card(escaped[:-1]))


def test_card_text_within_its_limit_is_not_cut() -> None:
    assert card_text("*a*", limit=5) == r"\*a\*"
    assert card_text("*a*", limit=4) == r"\*…"


def test_card_text_cut_keeps_emoji_sequences_whole() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    escaped = card_text(family * 10, limit=30)
    assert length(escaped) <= 30
    assert escaped.removesuffix("…").count(family) * len(family) == len(escaped) - 1


# --------------------------------------------------------------------------- message text


def test_message_text_makes_markup_inert_and_shows_it_as_typed() -> None:
    escaped = message_text(EVIL)
    assert "<" not in escaped
    assert ">" not in escaped
    assert "**" not in escaped
    assert "[x]" not in escaped
    assert "&lt;at&gt;Everyone&lt;/at&gt;" in escaped
    assert "&lt;script&gt;" in escaped
    assert not MESSAGE_MARKDOWN & set(escaped.replace("&#", ""))
    assert html.unescape(escaped) == EVIL


def test_message_text_escapes_quotes_and_entities() -> None:
    escaped = message_text('say "hi" &amp; <a href="x">')
    assert '"' not in escaped
    assert html.unescape(escaped) == 'say "hi" &amp; <a href="x">'


@pytest.mark.parametrize(
    "typed", ["- item", "+ item", "1. item", "# head", "> quote", "a\n===", "snake_case ~x~"]
)
def test_message_text_neutralises_markdown_in_case_a_client_reads_it(typed: str) -> None:
    escaped = message_text(typed)
    assert html.unescape(escaped) == typed
    for line in escaped.split("\n"):
        assert not re.match(r"\s*([-+#>=]|\d+\.)", line), line
    assert not MESSAGE_MARKDOWN & set(escaped.replace("&#", ""))


@pytest.mark.parametrize("limit", range(0, 40))
def test_message_text_truncation_never_splits_an_entity(limit: int) -> None:
    typed = '<a href="x">&*_' * 5
    escaped = message_text(typed, limit=limit)
    assert length(escaped) <= limit
    assert re.fullmatch(r"([^&]|&(amp|lt|gt|quot|#\d+);)*", escaped), escaped
    if escaped:
        assert typed.startswith(html.unescape(escaped).removesuffix("…"))


def test_text_format_is_xml() -> None:
    assert TEXT_FORMAT == "xml"


# --------------------------------------------------------------------------- mentions


def test_mention_pairs_text_and_entity() -> None:
    found = mention("29:1AbC-_x", "Ada Lovelace")
    assert found.text == "<at>Ada Lovelace</at>"
    assert found.entity == {
        "type": "mention",
        "text": "<at>Ada Lovelace</at>",
        "mentioned": {"id": "29:1AbC-_x", "name": "Ada Lovelace"},
    }


def test_mention_escapes_a_hostile_name_the_same_in_text_and_entity() -> None:
    found = mention("29:1", "<at>Everyone</at> & **co**\n<script>")
    assert found.entity is not None
    assert found.entity["text"] == found.text
    inner = found.text.removeprefix("<at>").removesuffix("</at>")
    assert "<" not in inner
    assert ">" not in inner
    assert html.unescape(inner) == "<at>Everyone</at> & **co** <script>"
    assert found.entity["mentioned"]["name"] == "<at>Everyone</at> & **co** <script>"


def test_mention_of_an_unnamed_person() -> None:
    for name in ("", " \u200b\u2060 ", "\x00\n"):
        found = mention("29:1", name)
        assert found.entity is not None
        assert found.text == f"<at>{UNNAMED}</at>"
        assert found.entity["mentioned"]["name"] == UNNAMED


@pytest.mark.parametrize("user_id", ["", "29:1 2", "<at>x</at>", '29:"1"', "29:1\n"])
def test_mention_of_an_odd_id_is_only_the_escaped_name(user_id: str) -> None:
    found = mention(user_id, "Ada <b>")
    assert found.entity is None
    assert found.text == "Ada &lt;b&gt;"


def test_mention_name_is_cut() -> None:
    found = mention("29:1", "&" * 500)
    inner = found.text.removeprefix("<at>").removesuffix("</at>")
    assert length(inner) <= 100
    assert inner.endswith("…")


# --------------------------------------------------------------------------- links


def test_link_in_card_text() -> None:
    assert link("https://desk.example/t/request/view/7", "INC-12") == (
        "[INC-12](https://desk.example/t/request/view/7)"
    )
    assert link("https://desk.example/a(b)<c>", "[x]") == (
        r"[\[x\]](https://desk.example/a%28b%29%3Cc%3E)"
    )


def test_link_in_message_text() -> None:
    assert message_link("https://desk.example/v?a=1&b=2", "INC-12") == (
        '<a href="https://desk.example/v?a=1&amp;b=2">INC-12</a>'
    )
    assert message_link('https://desk.example/"onclick="x', "<b>") == (
        '<a href="https://desk.example/&quot;onclick=&quot;x">&lt;b&gt;</a>'
    )


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<script>",
        "ftp://desk.example/x",
        "https://",
        "https://desk example/x",
        "https://desk.example/\nx",
        "https://user@evil.example/",
        "//desk.example/x",
        "",
    ],
)
def test_link_to_anything_but_http_is_only_the_label(url: str) -> None:
    assert link(url, "INC-[12]") == r"INC-\[12\]"
    assert message_link(url, "INC-<12>") == "INC-&lt;12&gt;"


# --------------------------------------------------------------------------- hostile corpus


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_hostile_text_is_inert_in_both_formats(case: object) -> None:
    typed: str = case.text  # type: ignore[attr-defined]
    card = card_text(typed, limit=500)
    message = message_text(typed, limit=500)
    assert length(card) <= 500
    assert length(message) <= 500
    assert unescaped_card_specials(card) == []
    assert "<" not in message
    assert ">" not in message
    card.encode("utf-8")
    message.encode("utf-8")
