"""Reading Teams activities: origins, message text out of HTML, mentions, drafts."""

from __future__ import annotations

import pytest

from bot.teams import payloads
from tests.fakes import teams_requests as tr

BOT = tr.Bot(service_url="https://smba.trafficmanager.net/amer/")


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("<p>Printer &amp; scanner</p><p>since 9am</p>", "Printer & scanner\nsince 9am"),
        ("line one<br>line two<br/>line three", "line one\nline two\nline three"),
        ("<div>a</div><div>b</div>", "a\nb"),
        ("<ul><li>one</li><li>two</li></ul>", "• one\n• two"),
        ("<at>Grace Hopper</at> can you look?", "@Grace Hopper can you look?"),
        ("<script>alert(1)</script>visible", "visible"),
        ("<style>p {color: red}</style>text", "text"),
        ("&lt;script&gt; stays as words", "<script> stays as words"),
        ("&amp;lt; decoded once", "&lt; decoded once"),
        ("tab\there\x00 and a bell\x07", "tab\there and a bell"),
        ("", ""),
    ],
)
def test_html_to_text(content: str, text: str) -> None:
    assert payloads.html_to_text(content) == text


def test_a_chat_message_is_its_own_source_without_a_thread() -> None:
    activity = tr.personal_message("VPN down", bot=BOT, activity_id="1700000000123")

    origin = payloads.from_message(activity)

    assert origin.platform == "teams"
    assert origin.entry == "dm"
    assert origin.user == tr.ADA.id
    assert origin.conversation == tr.personal_chat(tr.ADA, bot=BOT).id
    assert origin.thread is None
    assert origin.message == "1700000000123"
    assert origin.workspace == BOT.tenant_id
    assert origin.endpoint == BOT.service_url


def test_a_channel_mention_belongs_to_its_thread() -> None:
    where = tr.channel()
    new_post = tr.channel_mention("x", conversation=where, bot=BOT, activity_id="1700000000200")
    reply = tr.channel_mention(
        "x", conversation=where, bot=BOT, reply_to_root="1700000000100", activity_id="17000000003"
    )

    assert payloads.from_message(new_post).thread == "1700000000200"
    replied = payloads.from_message(reply)
    assert replied.entry == "mention"
    assert replied.conversation == where.id  # without ";messageid="
    assert replied.thread == replied.message == "1700000000100"


def test_the_message_action_on_a_reply_answers_in_its_thread_for_who_acted() -> None:
    activity = tr.message_action_fetch(
        "<p>x</p>", reply_to_id="1700000000001", message_id="1700000000099", bot=BOT
    )

    origin = payloads.from_message_action(activity)

    assert origin.entry == "message"
    assert origin.user == tr.ADA.id  # who used the action, not GRACE who wrote the message
    assert origin.thread == "1700000000001"
    assert origin.message == "1700000000099"
    assert payloads.payload_author(activity) == (tr.GRACE.aad_object_id, tr.GRACE.name)


def test_the_message_action_in_a_chat_answers_in_the_chat() -> None:
    chat = tr.group_chat()
    activity = tr.message_action_fetch("<p>x</p>", conversation=chat, bot=BOT)

    origin = payloads.from_message_action(activity)

    assert origin.conversation == chat.id
    assert origin.thread is None


def test_only_the_bot_s_own_mention_is_dropped_from_the_text() -> None:
    activity = tr.channel_mention("ask <at>Grace</at> about it", bot=BOT)
    activity["text"] = activity["text"].replace("&lt;", "<")

    text = payloads.message_text(activity, bot_id=BOT.id)

    assert BOT.name not in text
    assert "ask" in text


def test_draft_subject_is_the_first_line_that_shows_something() -> None:
    draft = payloads.draft_from_text("\n\u200b\nPrinter jammed\nfloor 3")

    assert draft.subject == "Printer jammed"
    assert draft.description.endswith("floor 3")
