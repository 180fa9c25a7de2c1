"""Outcome views and messages: links, escaping, buttons carrying the state, limits."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.model import FiledTicket, TicketDraft
from bot.slack import ids
from bot.slack.blocks.results import (
    build_already_filed,
    build_failure_message,
    build_failure_view,
    build_private_result,
    build_progress_view,
    build_success_view,
    build_ticket_message,
)
from tests.unit.blocks.slack_limits import check_message, check_view, texts

PING = "<!channel> <@U999> & <script>"
ESCAPED = "&lt;!channel&gt; &lt;@U999&gt; &amp; &lt;script&gt;"
TICKET = FiledTicket(
    id=7, number="INC-12", subject=PING, url="https://desk.example/t/request/view/7"
)
LINK = "<https://desk.example/t/request/view/7|INC-12>"


def buttons(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        element["action_id"]: element
        for block in obj["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


def assert_no_pings(obj: dict[str, Any], *, allowed: str = "") -> None:
    for text in texts(obj):
        assert "<!" not in text
        assert "<@U999>" not in text
        assert "<script>" not in text.replace(allowed, "")


def test_progress_view_echoes_the_subject_escaped() -> None:
    view = build_progress_view(TicketDraft(subject=PING))
    check_view(view)
    assert "Creating your ticket…" in " ".join(texts(view))
    assert ESCAPED in " ".join(texts(view))
    assert "submit" not in view
    assert_no_pings(view)


def test_progress_view_survives_a_huge_subject() -> None:
    view = build_progress_view(TicketDraft(subject="&<" * 10_000))
    check_view(view)


def test_success_view_links_the_ticket_and_says_where() -> None:
    view = build_success_view(TICKET, where="<#C123>")
    check_view(view)
    shown = " ".join(texts(view))
    assert LINK in shown
    assert ESCAPED in shown
    assert "<#C123>" in shown
    assert_no_pings(view)


def test_success_view_without_where() -> None:
    view = build_success_view(TICKET, where=None)
    check_view(view)
    assert "find it in" not in " ".join(texts(view))


def test_failure_view_carries_the_state_in_metadata_and_buttons() -> None:
    view = build_failure_view(message="ServiceOps is down <!here>", state='{"d":1}', retryable=True)
    check_view(view)
    assert view["private_metadata"] == '{"d":1}'
    found = buttons(view)
    assert list(found) == [ids.RETRY_ACTION, ids.EDIT_ACTION]
    assert found[ids.RETRY_ACTION]["text"]["text"] == "Try again"
    assert found[ids.EDIT_ACTION]["text"]["text"] == "Back to the form"
    assert {button["value"] for button in found.values()} == {'{"d":1}'}
    assert "ServiceOps is down &lt;!here&gt;" in " ".join(texts(view))
    assert "callback_id" not in view


def test_failure_view_not_retryable_offers_only_the_form() -> None:
    view = build_failure_view(message="Rejected", state="k:abc", retryable=False)
    assert list(buttons(view)) == [ids.EDIT_ACTION]


def test_failure_view_long_state_lives_only_in_metadata() -> None:
    state = "s" * 2500
    view = build_failure_view(message="x" * 10_000, state=state, retryable=True)
    check_view(view)
    assert view["private_metadata"] == state
    assert all("value" not in button for button in buttons(view).values())
    with pytest.raises(ValueError, match="3000"):
        build_failure_view(message="x", state="s" * 3001, retryable=True)


def test_ticket_message_names_links_and_mentions() -> None:
    message = build_ticket_message(TICKET, requester_user_id="U0ABC")
    check_message(message)
    for text in (message["text"], message["blocks"][0]["text"]["text"]):
        assert LINK in text
        assert "<@U0ABC>" in text
        assert ESCAPED in text
    assert_no_pings(message)


def test_ticket_message_refuses_an_odd_user_id() -> None:
    message = build_ticket_message(TICKET, requester_user_id="<!everyone>")
    assert_no_pings(message)
    assert "&lt;!everyone&gt;" in message["text"]


def test_ticket_message_with_hostile_subject_and_url() -> None:
    ticket = FiledTicket(id=1, number="INC-1|<x>", subject="😀" * 5000, url="javascript:x")
    message = build_ticket_message(ticket, requester_user_id="U1A")
    check_message(message)
    assert "javascript" not in message["text"]
    assert "INC-1/&lt;x&gt;" not in message["text"]
    assert "INC-1|&lt;x&gt;" in message["text"]


def test_private_result_explains_why() -> None:
    reason = "I couldn't post in <#C1>: invite me with `/invite @ServiceOps`."
    message = build_private_result(TICKET, reason=reason)
    check_message(message)
    assert LINK in message["text"]
    assert reason in " ".join(texts(message))
    assert_no_pings(message)
    assert len(build_private_result(TICKET, reason="")["blocks"]) == 1


def test_already_filed_offers_a_separate_ticket() -> None:
    message = build_already_filed("INC-12", TICKET.url, metadata='{"o":1}')
    check_message(message)
    assert LINK in message["text"]
    button = buttons(message)[ids.FILE_ANYWAY_ACTION]
    assert button["text"]["text"] == "File a separate ticket"
    assert button["value"] == '{"o":1}'
    with pytest.raises(ValueError, match="2000"):
        build_already_filed("INC-12", TICKET.url, metadata="m" * 2001)


def test_failure_message_has_both_buttons_and_bounded_state() -> None:
    message = build_failure_message(message="Timed out <!here>", state="k:1", retryable=True)
    check_message(message)
    assert [b["value"] for b in buttons(message).values()] == ["k:1", "k:1"]
    assert_no_pings(message)
    only_edit = build_failure_message(message="No", state="k:1", retryable=False)
    assert list(buttons(only_edit)) == [ids.EDIT_ACTION]
    with pytest.raises(ValueError, match="2000"):
        build_failure_message(message="x", state="s" * 2001, retryable=True)
