"""`clean` and `length` take shortcuts (str.translate for ASCII, the UTF-16 encoder): they
give what the character-by-character rules give."""

from __future__ import annotations

import unicodedata

import pytest

from bot.core.text import clean, length

SAMPLES = [
    "",
    "Printer on floor 2 jammed",
    "tab\there\nnew line\r\nwindows\rold mac",
    "bell\x07 nul\x00 del\x7f esc\x1b",
    "vt\x0bff\x0cfs\x1cgs\x1drs\x1eus\x1f",
    "café naïve — “quoted” …",
    "nel\x85 c1\x9f zwsp\u200b rtl\u202e",
    "emoji 😀 flag 🇫🇷 family 👨\u200d👩\u200d👧 skin 👍🏽",
    "lone \ud800 surrogate \udfff",
    "\U0010fffd plane 16",
]


def reference_clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for ch in text:
        if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"):
            kept.append(ch)
        elif ch.isspace():
            kept.append(" ")
    return "".join(kept)


@pytest.mark.parametrize("text", SAMPLES)
def test_clean_is_the_character_rule(text: str) -> None:
    assert clean(text) == reference_clean(text)


@pytest.mark.parametrize("text", SAMPLES)
def test_length_counts_utf16_code_units(text: str) -> None:
    assert length(text) == sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def test_every_ascii_character_is_cleaned_by_the_rule() -> None:
    every = "".join(chr(code) for code in range(128))
    assert clean(every) == reference_clean(every)
