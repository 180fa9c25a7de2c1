"""Message shortcut "Create ticket": the form opens prefilled from the message, the number
lands in that message's thread."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import (
    CHANNEL,
    OTHER_USER,
    USER,
    USER_EMAIL,
    Harness,
    block_of,
    initial_values,
    message_shortcut,
    submitted_ticket,
    text_of,
)
from tests.fakes import slack_requests as sr

PERMALINK = f"https://example.slack.com/archives/{CHANNEL}/p"


async def open_and_submit(app: Harness, message: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """Use the shortcut on `message`, submit the form as prefilled; the created request and
    the post announcing it."""
    response = await message_shortcut(app, message)
    assert response.status_code == 200
    view = await app.opened_view()
    prefilled = initial_values(view)
    answer = await app.submit(view, **{k: v for k, v in prefilled.items() if v is not None})
    assert answer.status_code == 200
    assert answer.json()["response_action"] == "update"
    created = await submitted_ticket(app)
    posts = await app.slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    assert len(posts) == 1
    return created, posts[0]


async def test_top_level_message_prefills_form_and_answers_in_its_thread(app: Harness) -> None:
    text = "  VPN drops every 5 minutes  \nSince this morning, on both laptops.\nPlease help"
    message = sr.chat_message(text, user=OTHER_USER, ts="1700000100.000200")

    response = await message_shortcut(app, message)
    assert response.status_code == 200
    view = await app.opened_view()
    assert view["callback_id"] == "ticket_form"
    prefilled = initial_values(view)
    assert prefilled["subject"] == "VPN drops every 5 minutes"
    assert prefilled["description"] == text.strip()
    assert "in this thread" in text_of(view)

    await app.submit(view, **{k: v for k, v in prefilled.items() if v is not None})
    created = await submitted_ticket(app)
    assert created["subject"] == "VPN drops every 5 minutes"
    assert created["requesterEmail"] == USER_EMAIL  # whoever used the shortcut
    description = created["description"]
    assert "Since this morning, on both laptops." in description
    assert "grace" in description  # the message's author, by name
    assert PERMALINK + "1700000100000200" in description

    [post] = await app.slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    assert post.args["channel"] == CHANNEL
    assert post.args["thread_ts"] == "1700000100.000200"
    assert created["name"] in text_of(post.args)
    assert f"<@{USER}>" in text_of(post.args)
    final = app.slack.views[view["id"]]
    assert created["name"] in text_of(final)
    assert f"<#{CHANNEL}>" in text_of(final)  # "You'll also find it in #it-help"


async def test_reply_in_a_thread_answers_in_the_parents_thread(app: Harness) -> None:
    parent, reply = "1700000100.000200", "1700000150.000300"
    message = sr.chat_message("Still broken after the restart", ts=reply, thread_ts=parent)

    created, post = await open_and_submit(app, message)

    assert post.args["thread_ts"] == parent
    assert post.args["channel"] == CHANNEL
    # The link points at the reply itself, inside its thread.
    assert f"{PERMALINK}1700000150000300?thread_ts={parent}" in created["description"]


async def test_bot_message_opens_the_form_without_an_author(app: Harness) -> None:
    message = sr.chat_message(
        "Alert: disk /var on db-01 is 97% full", user=None, bot_id="B0MONITOR"
    )

    created, post = await open_and_submit(app, message)

    assert created["subject"] == "Alert: disk /var on db-01 is 97% full"
    assert "From Slack: " + PERMALINK in created["description"]
    assert post.args["thread_ts"] == message["ts"]
    # Only the person using the shortcut is looked up; the bot has no profile to read.
    assert [c.args["user"] for c in app.slack.calls_to("users.info")] == [USER]


async def test_message_with_only_blocks_prefills_from_the_blocks(app: Harness) -> None:
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Deploy failed* on staging"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "Build 4711"}]},
    ]
    message = sr.chat_message("", user=None, bot_id="B0CI", blocks=blocks)

    response = await message_shortcut(app, message)
    assert response.status_code == 200
    view = await app.opened_view()
    prefilled = initial_values(view)
    assert prefilled["subject"] == "*Deploy failed* on staging"
    assert prefilled["description"] == "*Deploy failed* on staging\nBuild 4711"


async def test_message_with_only_an_attachment_and_files_prefills_from_them(
    app: Harness,
) -> None:
    message = sr.chat_message(
        "",
        attachments=[{"fallback": "Invoice overdue", "title": "Invoice 42 overdue"}],
        files=[{"id": "F1", "name": "screenshot.png", "title": "Error dialog"}],
    )

    created, post = await open_and_submit(app, message)

    assert created["subject"] == "Invoice 42 overdue"
    assert "Files: Error dialog" in created["description"]
    assert post.args["thread_ts"] == message["ts"]


async def test_message_with_nothing_readable_opens_an_empty_form(app: Harness) -> None:
    message = sr.chat_message("", files=[{"id": "F1"}])

    response = await message_shortcut(app, message)
    assert response.status_code == 200
    view = await app.opened_view()
    subject = block_of(view, "subject")
    assert "initial_value" not in subject["element"]
    assert app.slack.count("response_url") == 0  # no error told to the person
