"""Escaping, cleaning, trimming and tag parsing of text people type (core's rules and
Slack's message format)."""

from __future__ import annotations

import pytest

from bot.core.text import (
    TagError,
    clean,
    escape,
    length,
    parse_tags,
    truncate,
    truncate_escaped,
)
from bot.slack.mrkdwn import first_line, link, mention, to_plain


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<!channel> down", "&lt;!channel&gt; down"),
        ("<@U123> and <#C999>", "&lt;@U123&gt; and &lt;#C999&gt;"),
        ("a & b", "a &amp; b"),
        ("&lt;", "&amp;lt;"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ],
)
def test_escape_neutralises_markup(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped


def test_clean_drops_control_characters_and_normalises_newlines() -> None:
    assert clean("a\r\nb\rc\x00d\x1b[31m\te\x7f\ud800") == "a\nb\ncd[31m\te"


def test_clean_keeps_rtl_and_emoji() -> None:
    text = "שלום 👋🏽 مرحبا"
    assert clean(text) == text


def test_truncate_leaves_short_text_alone() -> None:
    assert truncate("short", 5) == "short"


def test_truncate_marks_the_cut() -> None:
    assert truncate("abcdefghij", 5) == "abcd…"
    assert length(truncate("x" * 10_000, 250)) == 250


def test_truncate_counts_astral_characters_twice() -> None:
    cut = truncate("😀" * 10, 7)
    assert cut == "😀😀😀…"
    assert length(cut) <= 7


def test_truncate_keeps_emoji_sequences_whole() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 👨‍👩‍👧
    for limit in range(1, 12):
        cut = truncate("ab" + family + "cd", limit)
        assert family in cut or "\U0001f468" not in cut


def test_truncate_keeps_skin_tone_and_flags_whole() -> None:
    assert truncate("a👋🏽bcdef", 4) == "a…"
    flags = "🇫🇷🇩🇪🇮🇹"
    for limit in range(2, 13):
        cut = truncate(flags, limit).removesuffix("…")
        assert len(cut) % 2 == 0


def test_truncate_keeps_combining_marks_with_their_letter() -> None:
    assert truncate("cafe\u0301 au lait", 5) == "caf…"


def test_truncate_escaped_never_splits_an_entity() -> None:
    text = "&" * 100
    for limit in range(1, 40):
        cut = truncate_escaped(text, limit)
        assert len(cut) <= limit
        assert cut.removesuffix("…").replace("&amp;", "") == ""


def test_truncate_escaped_hides_pings() -> None:
    cut = truncate_escaped("<!here> " * 1000, 100)
    assert "<!" not in cut
    assert len(cut) <= 100


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("see <https://x.example/a|the doc>", "see the doc"),
        ("see <https://x.example/a>", "see https://x.example/a"),
        ("ask <@U123> or <@U456|ana>", "ask @U123 or @ana"),
        ("in <#C123|general> and <#C456>", "in #general and #C456"),
        ("<!here> <!channel> <!everyone>", "@here @channel @everyone"),
        ("<!subteam^S1|@it-team> help", "@it-team help"),
        ("a &lt;b&gt; &amp; c", "a <b> & c"),
    ],
)
def test_to_plain_unwraps_slack_markup(raw: str, plain: str) -> None:
    assert to_plain(raw) == plain


def test_first_line_skips_blank_lines_and_markup() -> None:
    text = "\n  \n<!here>   printer <https://p.example|on floor 3> is   jammed\nmore"
    assert first_line(text, 250) == "@here printer on floor 3 is jammed"


def test_first_line_trims_to_limit() -> None:
    assert first_line("word " * 100, 20) == "word word word word…"
    assert first_line("   \n\t\n", 20) == ""


def test_link_and_mention_refuse_odd_input() -> None:
    assert link("https://desk.example/t/1?a=1&b=2", "INC-1") == (
        "<https://desk.example/t/1?a=1&amp;b=2|INC-1>"
    )
    assert link("javascript:alert(1)", "<!channel>") == "&lt;!channel&gt;"
    assert link("https://ok.example", "a|b") == "<https://ok.example|a/b>"
    assert mention("U12345") == "<@U12345>"
    assert mention("<!channel>") == "&lt;!channel&gt;"


def test_parse_tags_splits_and_deduplicates() -> None:
    tags = parse_tags(" VPN, laptop  vpn,,#wifi\nLaptop ", max_tags=5, max_length=20)
    assert tags == ["VPN", "laptop", "wifi"]


def test_parse_tags_empty() -> None:
    assert parse_tags(None, max_tags=0, max_length=10) == []
    assert parse_tags(" , ,", max_tags=3, max_length=10) == []


def test_parse_tags_too_many_says_the_limit() -> None:
    with pytest.raises(TagError) as caught:
        parse_tags(" ".join(f"t{i}" for i in range(200)), max_tags=10, max_length=50)
    assert caught.value.message == "Please use at most 10 tags (you entered 200)."


def test_parse_tags_too_long_names_the_tag() -> None:
    with pytest.raises(TagError) as caught:
        parse_tags("ok " + "x" * 60, max_tags=10, max_length=50)
    assert "at most 50 characters" in caught.value.message
    assert "xxxxxxxx" in caught.value.message
    assert "60" in caught.value.message


def test_parse_tags_when_tags_are_off() -> None:
    with pytest.raises(TagError, match="leave this empty"):
        parse_tags("a", max_tags=0, max_length=50)
