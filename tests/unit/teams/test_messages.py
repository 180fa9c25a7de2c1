"""The bot's Teams messages and outcome cards: wording, buttons carrying the state, escaping."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from bot.core.delivery import Privately
from bot.core.model import FiledTicket, TicketDraft
from bot.core.ports import CANNOT_TAKE, CannotTakeRequests, TicketOffer
from bot.teams import ids
from bot.teams.cards.messages import (
    already_filed_card,
    announcement,
    as_attachment,
    card_message,
    failure_card,
    help_card,
    in_progress_card,
    private_result,
    progress_card,
    prompt_card,
    success_card,
)
from bot.teams.messenger import render
from tests.data.hostile import CASES
from tests.unit.teams.adaptive import buttons, check_card, check_message, texts

STATE = "tok-123"
EVIL = "<at>Everyone</at> **bold** [x](https://evil) <script>"
URL = "https://desk.example/t/request/view/7"
TICKET = FiledTicket(id=7, number="INC-12", subject=EVIL, url=URL)
CARD_LINK = f"[INC-12]({URL})"
TASK_FETCH = {"type": "task/fetch"}


def shown(card: dict[str, Any]) -> str:
    return "\n".join(texts(card))


def assert_inert_in_card(card: dict[str, Any]) -> None:
    """No TextBlock carries the evil subject's markup unescaped."""
    for text in texts(card):
        assert "<at>" not in text
        assert "<script>" not in text
        assert "**bold**" not in text
        assert "[x](" not in text
        assert "](https://evil)" not in text


# --------------------------------------------------------------------------- the checks


@pytest.mark.parametrize(
    "element",
    [
        {"type": "TextBlok", "text": "x"},
        {"type": "TextBlock", "txt": "x"},
        {"type": "TextBlock", "text": "x", "color": "red"},
        {"type": "Input.ChoiceSet", "id": "a", "choices": [{"title": "a", "valu": "a"}]},
    ],
)
def test_the_card_check_is_strict(element: dict[str, Any]) -> None:
    with pytest.raises((AssertionError, ValueError)):
        check_card({"type": "AdaptiveCard", "version": "1.5", "body": [element]})


# --------------------------------------------------------------------------- helpers


def test_as_attachment_and_card_message() -> None:
    card = help_card()
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
    assert as_attachment(card) == attachment
    assert card_message(card) == {"type": "message", "attachments": [attachment]}
    message = card_message(card, "Hi <at>you</at> *there*")
    check_message(message)
    assert message["textFormat"] == "xml"
    assert "<at>" not in message["text"]
    assert html.unescape(message["text"]) == "Hi <at>you</at> *there*"


# --------------------------------------------------------------------------- replies


def test_prompt_card_quotes_the_first_line_and_opens_the_form() -> None:
    card = prompt_card("  \n*Printer* on floor 3 [jams](https://x)\nsecond line", state=STATE)
    check_card(card)
    assert texts(card) == [
        "Want me to turn this into a ticket?",
        r"\*Printer\* on floor 3 \[jams\]\(https://x\)",
        "You can review and edit everything before the ticket is created.",
    ]
    assert card["body"][1]["type"] == "Container"
    assert buttons(card)["Create ticket"]["data"] == {
        "msteams": TASK_FETCH,
        "action": ids.OPEN_FORM,
        "state": STATE,
    }
    assert buttons(card)["Create ticket"]["type"] == "Action.Submit"


@pytest.mark.parametrize("summary", ["", "   \n\t", "\u200b\u2060"])
def test_prompt_card_without_words_offers_an_empty_form(summary: str) -> None:
    card = prompt_card(summary, state=STATE)
    check_card(card)
    assert "Tell me what's wrong" in shown(card)
    assert "**Create ticket**" in shown(card)
    assert buttons(card)["Create ticket"]["data"] == {
        "msteams": TASK_FETCH,
        "action": ids.OPEN_FORM,
        "state": STATE,
    }


def test_prompt_card_quote_is_short() -> None:
    card = prompt_card("*" * 10_000, state=STATE)
    check_card(card)
    quoted = texts(card)[1]
    assert len(quoted) <= 200
    assert quoted.endswith("…")


def test_help_card_names_the_teams_ways() -> None:
    card = help_card()
    check_card(card)
    text = shown(card)
    assert "⋯ > More actions > Create ticket" in text
    assert "1:1 chat" in text
    assert "Mention me in a channel" in text
    assert "Slack" not in text
    assert "/ticket" not in text
    assert "actions" not in card


# --------------------------------------------------------------------------- announcement


def test_announcement_mentions_the_requester_and_links_the_ticket() -> None:
    message = announcement(TICKET, "29:1AbC", "Ada Lovelace")
    check_message(message)
    assert message["textFormat"] == "xml"
    assert message["text"].startswith(
        f'🎫 <at>Ada Lovelace</at> created ticket <b><a href="{URL}">INC-12</a></b>: '
    )
    assert message["entities"] == [
        {
            "type": "mention",
            "text": "<at>Ada Lovelace</at>",
            "mentioned": {"id": "29:1AbC", "name": "Ada Lovelace"},
        }
    ]


def test_announcement_subject_is_inert() -> None:
    message = announcement(TICKET, "29:1AbC", "Ada")
    subject = message["text"].split("</b>: ", 1)[1]
    assert "<" not in subject
    assert ">" not in subject
    assert "**" not in subject
    assert "[x]" not in subject
    assert html.unescape(subject) == EVIL
    tags = re.findall(r"<[^>]*>", message["text"])
    assert tags == ["<at>", "</at>", "<b>", f'<a href="{URL}">', "</a>", "</b>"]


def test_announcement_mention_text_matches_its_entity_for_a_hostile_name() -> None:
    message = announcement(TICKET, "29:1AbC", "<at>Everyone</at> & *co*")
    check_message(message)
    entity = message["entities"][0]
    assert entity["text"] in message["text"]
    assert message["text"].count("<at>") == 1
    inner = entity["text"].removeprefix("<at>").removesuffix("</at>")
    assert html.unescape(inner) == "<at>Everyone</at> & *co*"


def test_announcement_of_an_odd_requester_id_mentions_nobody() -> None:
    message = announcement(TICKET, "<at>x</at>", "Ada")
    check_message(message)
    assert message["entities"] == []
    assert "<at>" not in message["text"]


def test_announcement_with_a_non_http_url_shows_the_number_unlinked() -> None:
    ticket = TICKET.model_copy(update={"url": "javascript:alert(1)"})
    message = announcement(ticket, "29:1", "Ada")
    assert "<a " not in message["text"]
    assert "javascript" not in message["text"]
    assert "<b>INC-12</b>" in message["text"]


# --------------------------------------------------------------------------- private result


def test_private_result_links_the_ticket() -> None:
    message = private_result(TICKET, Privately("no_conversation"))
    check_message(message)
    card = message["attachments"][0]["content"]
    assert texts(card)[0] == f"✅ Your ticket **{CARD_LINK}** has been created."
    assert_inert_in_card(card)
    assert len(texts(card)) == 2


def test_private_result_says_why_when_the_post_was_refused() -> None:
    message = private_result(TICKET, Privately("refused", "19:abc@thread.tacv2"), "*General*")
    check_message(message)
    card = message["attachments"][0]["content"]
    reason = texts(card)[-1]
    assert reason.startswith(r"I couldn't post in **\*General\***.")
    assert "Add to a team" in reason


def test_private_result_refused_without_a_name() -> None:
    message = private_result(TICKET, Privately("refused", "19:abc@thread.tacv2"))
    card = message["attachments"][0]["content"]
    assert texts(card)[-1].startswith("I couldn't post in that conversation.")


def test_private_result_when_configured_says_no_reason() -> None:
    card = private_result(TICKET, Privately("configured"))["attachments"][0]["content"]
    assert "couldn't post" not in shown(card)


# --------------------------------------------------------------------------- outcomes


def test_progress_card_echoes_the_subject_escaped() -> None:
    card = progress_card(TicketDraft(subject=EVIL))
    check_card(card)
    assert texts(card)[0] == "⏳ **Creating your ticket…**"
    assert texts(card)[1].startswith("**Subject:** ")
    assert_inert_in_card(card)
    assert "actions" not in card


def test_progress_card_without_a_subject() -> None:
    card = progress_card(TicketDraft())
    assert texts(card)[1] == "**Subject:** (no subject)"


def test_in_progress_card() -> None:
    card = in_progress_card()
    check_card(card)
    assert "already being created" in shown(card)


def test_success_card_links_the_ticket_and_says_where() -> None:
    card = success_card(TICKET, "this thread")
    check_card(card)
    assert texts(card)[0] == f"✅ Your ticket **{CARD_LINK}** has been created."
    assert texts(card)[-1] == "You'll also find it in this thread."
    assert_inert_in_card(card)


def test_success_card_escapes_where() -> None:
    card = success_card(TICKET, "[General](https://evil)")
    assert texts(card)[-1] == r"You'll also find it in \[General\]\(https://evil\)."


def test_success_card_without_where() -> None:
    card = success_card(TICKET, None)
    check_card(card)
    assert "find it in" not in shown(card)


def test_failure_card_with_retry() -> None:
    card = failure_card(f"ServiceOps said {EVIL}", state=STATE, retryable=True)
    check_card(card)
    assert texts(card)[0].startswith("⚠️ **Your ticket wasn't created.** ServiceOps said ")
    assert_inert_in_card(card)
    assert [action["title"] for action in card["actions"]] == ["Try again", "Back to the form"]
    retry = buttons(card)["Try again"]
    assert retry["type"] == "Action.Execute"
    assert retry["verb"] == ids.RETRY
    assert retry["data"] == {"action": ids.RETRY, "state": STATE}
    back = buttons(card)["Back to the form"]
    assert back["type"] == "Action.Submit"
    assert back["data"] == {"msteams": TASK_FETCH, "action": ids.EDIT, "state": STATE}


def test_failure_card_without_retry_has_no_try_again() -> None:
    card = failure_card("Your e-mail address is not visible.", state=STATE, retryable=False)
    check_card(card)
    assert list(buttons(card)) == ["Back to the form"]
    assert not [a for a in card["actions"] if a["type"] == "Action.Execute"]


def test_failure_card_message_is_cut() -> None:
    card = failure_card("<" * 10_000, state=STATE, retryable=True)
    check_card(card)
    assert len(texts(card)[0]) < 2600


def test_already_filed_card() -> None:
    card = already_filed_card(TICKET, state=STATE)
    check_card(card)
    assert texts(card)[0] == f"🎫 This message already has a ticket: **{CARD_LINK}**."
    assert buttons(card) == {
        "File a separate ticket": {
            "type": "Action.Submit",
            "title": "File a separate ticket",
            "data": {"msteams": TASK_FETCH, "action": ids.FILE_ANYWAY, "state": STATE},
        }
    }


def test_ticket_link_label_is_escaped() -> None:
    ticket = FiledTicket(id=1, number="INC-[1](https://evil)", subject="s", url=URL)
    card = success_card(ticket, None)
    assert texts(card)[0] == (
        rf"✅ Your ticket **[INC-\[1\]\(https://evil\)]({URL})** has been created."
    )


# --------------------------------------------------------------------------- hostile corpus


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_hostile_text_keeps_every_message_valid_and_small(case: Any) -> None:
    text = case.text * 3
    ticket = FiledTicket(id=1, number="INC-1", subject=text, url=URL)
    cards = [
        prompt_card(text, state=STATE),
        progress_card(TicketDraft(subject=text)),
        success_card(ticket, text),
        failure_card(text, state=STATE, retryable=True),
        already_filed_card(ticket, state=STATE),
    ]
    for card in cards:
        check_card(card)
        check_message(card_message(card, text))
    check_message(announcement(ticket, "29:1", text))
    check_message(private_result(ticket, Privately("refused", "19:x"), text))


def test_a_request_the_bot_cannot_take_is_answered_with_what_was_written() -> None:
    answer = render(CannotTakeRequests(EVIL))
    check_message(answer)
    assert answer["text"].startswith(html.escape(CANNOT_TAKE, quote=False)[:40])
    assert "<script>" not in answer["text"]
    offer = render(TicketOffer("printer jammed", STATE))
    check_message(offer)
    assert "printer jammed" in shown(offer["attachments"][0]["content"])
