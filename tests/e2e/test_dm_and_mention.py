"""DMs to the bot and @mentions: a "Create ticket" button in the thread, the prefilled form,
the number in that same thread. Everything that is not a person asking stays unanswered."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import (
    CHANNEL,
    OTHER_USER,
    USER,
    USER_EMAIL,
    Harness,
    ListenerRuns,
    button_value,
    initial_values,
    submitted_ticket,
    text_of,
)
from tests.fakes import slack_requests as sr

DM_TS = "1700000300.000100"
OPEN_FORM = "ticket_open_form"


async def prompt_in(app: Harness, channel: str, thread_ts: str) -> dict[str, Any]:
    """The bot's reply offering a ticket, once it is posted in `thread_ts`."""
    await app.slack.wait_for(
        "chat.postMessage", where=lambda c: c.ok and c.args.get("thread_ts") == thread_ts
    )
    [prompt] = app.slack.messages_in(channel, thread_ts)
    return prompt


async def click_and_submit(
    app: Harness, channel: str, prompt: dict[str, Any], **changes: str
) -> tuple[dict[str, Any], dict[str, str | None]]:
    """Press "Create ticket" under `prompt`, submit the form (with `changes`)."""
    value = button_value(prompt["blocks"], OPEN_FORM)
    assert value
    response = await app.click(OPEN_FORM, value, channel=channel, message=prompt)
    assert response.status_code == 200
    view = await app.opened_view()
    prefilled = initial_values(view)
    fields = {k: v for k, v in prefilled.items() if v is not None} | changes
    await app.submit(view, **fields)
    return await submitted_ticket(app), prefilled


# --------------------------------------------------------------------------- DM


async def test_dm_offers_a_button_then_files_in_that_thread(app: Harness) -> None:
    dm = app.slack.dm_channel(USER)
    await app.event(
        sr.dm_event("my VPN drops every 5 minutes", user_id=USER, channel_id=dm, ts=DM_TS)
    )

    prompt = await prompt_in(app, dm, DM_TS)
    assert "my VPN drops every 5 minutes" in text_of(prompt["blocks"])
    created, prefilled = await click_and_submit(app, dm, prompt)

    assert prefilled["subject"] == "my VPN drops every 5 minutes"
    assert prefilled["description"] == "my VPN drops every 5 minutes"
    assert created["subject"] == "my VPN drops every 5 minutes"
    assert created["requesterEmail"] == USER_EMAIL
    assert f"https://example.slack.com/archives/{dm}/p1700000300000100" in created["description"]
    await app.slack.wait_for("chat.postMessage", count=2, where=lambda c: c.ok)
    result = app.slack.messages_in(dm, DM_TS)[-1]
    assert created["name"] in text_of(result)
    assert len(app.slack.messages) == 2  # the prompt and the result, nothing elsewhere


async def test_dm_help_answers_with_help_and_no_button(app: Harness) -> None:
    dm = app.slack.dm_channel(USER)
    await app.event(sr.dm_event("help", user_id=USER, channel_id=dm, ts=DM_TS))

    [post] = await app.slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    assert post.args["channel"] == dm
    assert "/ticket" in text_of(post.args["blocks"])
    assert button_value(post.args["blocks"], OPEN_FORM) is None


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(
            sr.dm_event("Build 12 passed", user_id="U0CIBOT", channel_id="D0BOTDM", bot_id="B0CI"),
            id="another-bot",
        ),
        pytest.param(
            sr.dm_event("ticket please", user_id="UBOT", channel_id="D0BOTDM", bot_id="BBOT"),
            id="our-own-message",
        ),
        pytest.param(
            {
                "type": "message",
                "subtype": "message_changed",
                "channel_type": "im",
                "channel": "D0BOTDM",
                "ts": "1700000400.000100",
                "message": {"type": "message", "user": USER, "text": "VPN down (edited)"},
                "previous_message": {"type": "message", "user": USER, "text": "VPN down"},
            },
            id="message_changed",
        ),
        pytest.param(
            sr.dm_event("", user_id=USER, channel_id="D0BOTDM", subtype="message_deleted"),
            id="message_deleted",
        ),
        pytest.param(
            sr.dm_event("joined", user_id=USER, channel_id="C0HELP1", subtype="channel_join")
            | {"channel_type": "channel"},
            id="channel_join",
        ),
        pytest.param(
            sr.dm_event("VPN down", user_id=USER, channel_id=CHANNEL) | {"channel_type": "channel"},
            id="channel-message-without-mention",
        ),
    ],
)
async def test_events_that_are_not_a_person_asking_get_no_answer(
    app: Harness, listener_runs: ListenerRuns, event: dict[str, Any]
) -> None:
    response = await app.event(event)
    assert response.status_code == 200

    # Bolt itself drops the bot's own messages; the app's listener looks at the others.
    assert await listener_runs.settle() == (0 if event.get("bot_id") == "BBOT" else 1)
    assert [c.method for c in app.slack.calls if c.method != "auth.test"] == []
    assert app.desk.calls == []


async def test_reply_in_a_dm_thread_that_has_a_ticket_gets_no_answer(
    app: Harness, listener_runs: ListenerRuns
) -> None:
    dm = app.slack.dm_channel(USER)
    await app.event(sr.dm_event("printer jammed", user_id=USER, channel_id=dm, ts=DM_TS))
    await click_and_submit(app, dm, await prompt_in(app, dm, DM_TS))
    await app.slack.wait_for("chat.postMessage", count=2, where=lambda c: c.ok)
    await listener_runs.settle()
    calls_before = len(app.slack.calls)

    reply = sr.dm_event(
        "thanks, also tray 2", user_id=USER, channel_id=dm, ts="1700000301.000100", thread_ts=DM_TS
    )
    await app.event(reply)

    assert await listener_runs.settle() == 1  # the app did read it...
    assert app.slack.calls[calls_before:] == []  # ...and said nothing
    assert len(app.desk.created) == 1


async def test_reply_in_a_dm_thread_without_a_ticket_offers_one_in_that_thread(
    app: Harness,
) -> None:
    dm = app.slack.dm_channel(USER)
    reply = sr.dm_event(
        "still no VPN", user_id=USER, channel_id=dm, ts="1700000301.000100", thread_ts=DM_TS
    )
    await app.event(reply)

    prompt = await prompt_in(app, dm, DM_TS)
    assert button_value(prompt["blocks"], OPEN_FORM)


async def test_slack_retrying_a_dm_delivery_gets_one_answer(
    app: Harness, listener_runs: ListenerRuns
) -> None:
    dm = app.slack.dm_channel(USER)
    event = sr.dm_event("VPN down", user_id=USER, channel_id=dm, ts=DM_TS)
    await app.send(sr.event_callback(event, event_id="Ev0RETRY1"))
    await app.send(sr.event_callback(event, event_id="Ev0RETRY1", retry_num=1))

    assert await listener_runs.settle() == 2
    assert len(app.slack.messages) == 1


# --------------------------------------------------------------------------- mentions


@pytest.mark.parametrize(
    ("ts", "thread_ts"),
    [
        pytest.param("1700000500.000100", None, id="top-level"),
        pytest.param("1700000500.000900", "1700000500.000100", id="in-a-thread"),
    ],
)
async def test_mention_offers_a_button_then_files_in_that_thread(
    app: Harness, ts: str, thread_ts: str | None
) -> None:
    root = thread_ts or ts
    event = sr.mention_event(
        "printer on floor 3 is jammed", user_id=USER, channel_id=CHANNEL, ts=ts, thread_ts=thread_ts
    )
    await app.event(event)

    prompt = await prompt_in(app, CHANNEL, root)
    assert "UBOT" not in text_of(prompt["blocks"])
    created, prefilled = await click_and_submit(app, CHANNEL, prompt)

    assert prefilled["subject"] == "printer on floor 3 is jammed"
    assert created["subject"] == "printer on floor 3 is jammed"
    assert "UBOT" not in created["description"]
    await app.slack.wait_for("chat.postMessage", count=2, where=lambda c: c.ok)
    result = app.slack.messages_in(CHANNEL, root)[-1]
    assert created["name"] in text_of(result)
    assert f"<@{USER}>" in text_of(result)


async def test_mention_keeps_other_peoples_mentions_in_the_draft(app: Harness) -> None:
    event = sr.mention_event(
        f"printer jammed, <@{OTHER_USER}> saw it too", user_id=USER, channel_id=CHANNEL
    )
    await app.event(event)

    prompt = await prompt_in(app, CHANNEL, event["ts"])
    created, _ = await click_and_submit(app, CHANNEL, prompt)
    assert created["subject"] == f"printer jammed, @{OTHER_USER} saw it too"


async def test_someone_else_can_press_the_button_and_files_as_themselves(app: Harness) -> None:
    event = sr.mention_event("projector in room 4 is dead", user_id=USER, channel_id=CHANNEL)
    await app.event(event)

    prompt = await prompt_in(app, CHANNEL, event["ts"])
    value = button_value(prompt["blocks"], OPEN_FORM)
    await app.click(OPEN_FORM, value, user=OTHER_USER, channel=CHANNEL, message=prompt)
    view = await app.opened_view()
    await app.submit(view, user=OTHER_USER, subject="projector in room 4 is dead")
    created = await submitted_ticket(app)

    assert created["requesterEmail"] == "grace@example.com"
    result = app.slack.messages_in(CHANNEL, event["ts"])[-1]
    assert f"<@{OTHER_USER}>" in text_of(result)
