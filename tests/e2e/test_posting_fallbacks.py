"""Where Slack refuses the public post, the person still gets the ticket number privately:
through the invocation's response_url (ephemeral) when there is one, else by DM."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import (
    USER,
    Harness,
    button_value,
    initial_values,
    message_shortcut,
    submitted_ticket,
    text_of,
)
from tests.fakes import slack_requests as sr

NOT_MEMBER = "C0NOBOT1"
"""A public channel the bot is not in."""
PRIVATE = "G0SECRET"
"""A private channel the bot is not in (it cannot even see it)."""
PEOPLES_DM = "D0ADAGRC"
"""A DM between two people."""


async def submit_prefilled(app: Harness) -> dict[str, Any]:
    view = await app.opened_view()
    await app.submit(view, **{k: v for k, v in initial_values(view).items() if v is not None})
    return view


async def file_by_command(app: Harness, channel: str) -> tuple[dict[str, Any], dict[str, Any]]:
    await app.command("printer jammed", channel=channel)
    view = await submit_prefilled(app)
    return await submitted_ticket(app), app.slack.views[view["id"]]


async def file_by_shortcut(app: Harness, channel: str) -> tuple[dict[str, Any], dict[str, Any]]:
    message = sr.chat_message("printer jammed", user=USER, ts="1700000600.000100")
    await message_shortcut(app, message, channel=channel)
    view = await submit_prefilled(app)
    return await submitted_ticket(app), app.slack.views[view["id"]]


def refused_posts(app: Harness, error: str) -> list[Any]:
    return [c for c in app.slack.calls_to("chat.postMessage") if c.error == error]


def assert_told_privately_by_response_url(
    app: Harness, created: dict[str, Any], final: dict[str, Any], channel: str
) -> None:
    [private] = app.slack.calls_to("response_url")
    assert private.ok
    assert private.args["response_type"] == "ephemeral"
    assert created["name"] in text_of(private.args)
    assert f"I couldn't post in <#{channel}>" in text_of(private.args)
    assert "/invite" in text_of(private.args)
    assert app.slack.messages == []  # nothing public, no DM needed
    assert created["name"] in text_of(final)
    assert "a private message" in text_of(final)


# --------------------------------------------------------------------------- not_in_channel


@pytest.mark.parametrize(
    "journey", [file_by_command, file_by_shortcut], ids=["command", "shortcut"]
)
async def test_not_in_channel_without_write_public_answers_by_response_url(
    app: Harness, journey: Any
) -> None:
    app.slack.add_channel(NOT_MEMBER, member=False)
    app.slack.scopes.discard("chat:write.public")

    created, final = await journey(app, NOT_MEMBER)

    assert len(refused_posts(app, "not_in_channel")) == 1
    assert_told_privately_by_response_url(app, created, final, NOT_MEMBER)


async def test_not_in_channel_after_a_mention_answers_by_dm(app: Harness) -> None:
    app.slack.add_channel(NOT_MEMBER, member=True)
    app.slack.scopes.discard("chat:write.public")
    event = sr.mention_event("projector is dead", user_id=USER, channel_id=NOT_MEMBER)
    await app.event(event)
    await app.slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    [prompt] = app.slack.messages_in(NOT_MEMBER)
    app.slack.channels[NOT_MEMBER].member = False  # someone removed the bot meanwhile

    value = button_value(prompt["blocks"], "ticket_open_form")
    await app.click("ticket_open_form", value, channel=NOT_MEMBER, message=prompt)
    view = await submit_prefilled(app)
    created = await submitted_ticket(app)

    assert len(refused_posts(app, "not_in_channel")) == 1
    [dm] = app.slack.messages_in(app.slack.dm_channel(USER))
    assert created["name"] in text_of(dm)
    assert f"I couldn't post in <#{NOT_MEMBER}>" in text_of(dm)
    assert "a direct message from me" in text_of(app.slack.views[view["id"]])


async def test_not_in_channel_with_write_public_posts_publicly(app: Harness) -> None:
    app.slack.add_channel(NOT_MEMBER, member=False)
    assert "chat:write.public" in app.slack.scopes

    created, final = await file_by_shortcut(app, NOT_MEMBER)

    [post] = app.slack.messages_in(NOT_MEMBER, "1700000600.000100")
    assert created["name"] in text_of(post)
    assert app.slack.count("response_url") == 0
    assert f"<#{NOT_MEMBER}>" in text_of(final)


# --------------------------------------------------------------------------- channel_not_found


@pytest.mark.parametrize("channel", [PRIVATE, PEOPLES_DM], ids=["private-channel", "peoples-dm"])
async def test_channel_not_found_answers_by_response_url(app: Harness, channel: str) -> None:
    app.slack.add_channel(channel, member=False)

    created, final = await file_by_shortcut(app, channel)

    assert len(refused_posts(app, "channel_not_found")) == 1
    assert_told_privately_by_response_url(app, created, final, channel)


async def test_command_in_a_peoples_dm_answers_by_response_url(app: Harness) -> None:
    app.slack.add_channel(PEOPLES_DM, member=False)

    created, final = await file_by_command(app, PEOPLES_DM)

    assert len(refused_posts(app, "channel_not_found")) == 1
    assert_told_privately_by_response_url(app, created, final, PEOPLES_DM)


async def test_dead_response_url_falls_back_to_a_dm(app: Harness) -> None:
    app.slack.add_channel(PRIVATE, member=False)
    message = sr.chat_message("printer jammed", user=USER)
    dead = f"{app.slack.base_url}/response/expired"  # Slack answers 404 no_active_hooks
    await app.send(
        sr.message_shortcut(
            message,
            user_id=USER,
            channel_id=PRIVATE,
            trigger_id=app.slack.new_trigger_id(),
            response_url=dead,
        )
    )
    view = await submit_prefilled(app)
    created = await submitted_ticket(app)

    [refused] = app.slack.calls_to("response_url")
    assert refused.status == 404
    [dm] = app.slack.messages_in(app.slack.dm_channel(USER))
    assert created["name"] in text_of(dm)
    assert "a direct message from me" in text_of(app.slack.views[view["id"]])
