"""Replies to DMs and mentions, and the help message."""

from __future__ import annotations

import pytest

from bot.core.ports import CANNOT_TAKE
from bot.slack import ids
from bot.slack.blocks.prompts import (
    build_cannot_take,
    build_help_message,
    build_intake_prompt,
    build_mention_empty_prompt,
    build_ticket_offer,
)
from tests.unit.blocks.slack_limits import check_message, texts


def button(message: dict[str, object]) -> dict[str, object]:
    blocks = message["blocks"]
    assert isinstance(blocks, list)
    (found,) = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert isinstance(found, dict)
    return found


def test_intake_prompt_quotes_the_first_line_escaped() -> None:
    message = build_intake_prompt(
        summary="\n<!channel> my <https://x.example|laptop> won't boot & beeps\nmore", metadata="m"
    )
    check_message(message)
    shown = " ".join(texts(message))
    assert ">@channel my laptop won't boot &amp; beeps" in shown
    assert "more" not in shown
    assert "<!" not in shown


def test_intake_prompt_button_opens_the_form() -> None:
    found = button(build_intake_prompt(summary="help", metadata='{"o":1}'))
    assert found["action_id"] == ids.OPEN_FORM_ACTION
    assert found["value"] == '{"o":1}'
    assert found["style"] == "primary"
    assert found["text"] == {"type": "plain_text", "text": "Create ticket", "emoji": True}


def test_intake_prompt_trims_long_hostile_text() -> None:
    message = build_intake_prompt(summary="<script>&" * 5000, metadata="m" * 2000)
    check_message(message)
    assert len(message["blocks"][0]["text"]["text"]) < 1100
    with pytest.raises(ValueError, match="2000"):
        build_intake_prompt(summary="x", metadata="m" * 2001)


def test_empty_summary_offers_an_empty_form() -> None:
    message = build_intake_prompt(summary="  \n ", metadata="m")
    assert message == build_mention_empty_prompt(metadata="m")
    check_message(message)
    assert button(message)["action_id"] == ids.OPEN_FORM_ACTION


def test_help_lists_every_way_in() -> None:
    message = build_help_message()
    check_message(message)
    shown = " ".join(texts(message))
    for needle in ("/ticket [summary]", "Create ticket", "direct message", "Mention me"):
        assert needle in shown


def test_ticket_offer_quotes_plain_words_escaped_and_links_the_message() -> None:
    message = build_ticket_offer(
        quote="<!channel> & <b>printer</b>\nsecond line",
        metadata="m",
        message_link="https://example.slack.com/archives/C1/p1",
    )
    check_message(message)
    shown = " ".join(texts(message))
    assert "<https://example.slack.com/archives/C1/p1|this message>" in shown
    assert ">&lt;!channel&gt; &amp; &lt;b&gt;printer&lt;/b&gt;" in shown
    assert "second line" not in shown
    assert button(message)["action_id"] == ids.OPEN_FORM_ACTION


def test_cannot_take_gives_back_what_was_written_within_limits() -> None:
    message = build_cannot_take(quote="<@U1> VPN & <wifi>\n" * 3000)
    check_message(message)
    assert message["text"] == CANNOT_TAKE
    quoted = message["blocks"][1]["text"]["text"]
    assert quoted.startswith("What you wrote, so nothing is lost:\n>&lt;@U1&gt; VPN &amp;")
    assert len(quoted) <= 3000
    assert build_cannot_take(quote="  ")["blocks"] == [message["blocks"][0]]
