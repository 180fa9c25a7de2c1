"""The ticket emoji on a message: its reactor is offered a ticket privately, the button opens
the prefilled form, the number lands in the message's thread. Signed event deliveries over
loopback; the reacted message is read back from the fake Slack's history."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import ChannelDefaults, FormConfig
from tests.e2e.harness import (
    CHANNEL,
    OTHER_USER,
    USER,
    Harness,
    ListenerRuns,
    button_value,
    initial_values,
    message_shortcut,
    start_harness,
    stop_harness,
    submitted_ticket,
    text_of,
)
from tests.fakes import slack_requests as sr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack

OPEN_FORM = "ticket_open_form"
GRACE_EMAIL = "grace@example.com"
QUIET = "C0QUIET1"
"""A channel whose `reaction_emoji` is empty: no offers there."""


@pytest.fixture
def form_config() -> FormConfig:
    return FormConfig(
        departments=["IT", "Facilities", "HR"],
        channels={QUIET: ChannelDefaults(reaction_emoji="")},
    )


def written(app: Harness, text: str, **options: Any) -> dict[str, Any]:
    """A message Ada writes in the help channel (a reply when `thread_ts` is given)."""
    return app.slack.write(CHANNEL, text, user=USER, **options)


async def react(
    app: Harness,
    message: dict[str, Any],
    *,
    reaction: str = "ticket",
    user: str = OTHER_USER,
    channel: str = CHANNEL,
    **options: Any,
) -> None:
    event = sr.reaction_event(
        reaction, user_id=user, channel_id=channel, ts=message["ts"], item_user=message["user"]
    )
    response = await app.event(event, **options)
    assert response.status_code == 200


async def offer_to(app: Harness, user: str, count: int = 1) -> dict[str, Any]:
    """The `count`th private message to `user`, once posted (ephemeral or DM)."""
    calls = await app.slack.wait_for(
        "chat.postEphemeral", count=count, where=lambda c: c.ok and c.args.get("user") == user
    )
    return calls[-1].args


async def click_create(app: Harness, offer: dict[str, Any], *, user: str) -> dict[str, Any]:
    """Press "Create ticket" in the ephemeral offer; the form it opens."""
    value = button_value(offer["blocks"], OPEN_FORM)
    assert value
    container = {
        "type": "message",
        "message_ts": "1700009999.000100",
        "channel_id": offer["channel"],
        "is_ephemeral": True,
    }
    request = sr.block_action(
        OPEN_FORM,
        value,
        user_id=user,
        trigger_id=app.slack.new_trigger_id(),
        channel_id=offer["channel"],
        container=container,
        response_url=app.slack.response_url(),
    )
    assert (await app.send(request)).status_code == 200
    return await app.opened_view()


async def test_reaction_offers_a_ticket_that_is_filed_in_the_message_thread(
    app: Harness,
) -> None:
    message = written(app, "Printer on floor 3 is jammed\nIt shows error E42 since 9am.")
    await react(app, message)

    offer = await offer_to(app, OTHER_USER)
    assert offer["channel"] == CHANNEL
    assert "thread_ts" not in offer  # shown in the channel, where the person reacted
    shown = offer["blocks"][0]["text"]["text"]
    assert shown.endswith("into a ticket?\n>Printer on floor 3 is jammed")  # its first line
    permalink = f"https://example.slack.com/archives/{CHANNEL}/p{message['ts'].replace('.', '')}"
    assert permalink in text_of(offer["blocks"])
    assert app.slack.messages == []  # nothing public yet

    view = await click_create(app, offer, user=OTHER_USER)
    prefilled = initial_values(view)
    assert prefilled["subject"] == "Printer on floor 3 is jammed"
    assert "It shows error E42 since 9am." in (prefilled["description"] or "")
    await app.submit(view, user=OTHER_USER, **{k: v for k, v in prefilled.items() if v})
    created = await submitted_ticket(app)

    assert created["subject"] == "Printer on floor 3 is jammed"
    assert created["requesterEmail"] == GRACE_EMAIL  # whoever reacted and clicked files it
    assert permalink in created["description"]
    [announced] = await app.slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    assert announced.args["channel"] == CHANNEL
    assert announced.args["thread_ts"] == message["ts"]
    assert created["name"] in text_of(announced.args)


async def test_reaction_on_a_reply_is_offered_in_its_thread_and_filed_there(
    app: Harness,
) -> None:
    parent = written(app, "Wi-Fi is slow today")
    reply = written(app, "Same on floor 2: the access point blinks red", thread_ts=parent["ts"])
    await react(app, reply)

    offer = await offer_to(app, OTHER_USER)
    assert offer["thread_ts"] == parent["ts"]
    assert app.slack.count("conversations.replies") == 1  # the history leaves replies out
    view = await click_create(app, offer, user=OTHER_USER)
    assert initial_values(view)["subject"] == "Same on floor 2: the access point blinks red"
    await app.submit(view, user=OTHER_USER, **{k: v for k, v in initial_values(view).items() if v})
    await submitted_ticket(app)

    [announced] = await app.slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    assert announced.args["thread_ts"] == parent["ts"]


async def test_the_same_event_delivered_twice_gives_one_offer(
    app: Harness, listener_runs: ListenerRuns
) -> None:
    message = written(app, "VPN drops every 5 minutes")
    event = sr.reaction_event(
        "ticket", user_id=OTHER_USER, channel_id=CHANNEL, ts=message["ts"], item_user=USER
    )

    first = await app.event(event, event_id="EvREACT1")
    retry = await app.event(event, event_id="EvREACT1", retry_num=1)
    await listener_runs.settle()

    assert first.status_code == retry.status_code == 200
    assert app.slack.count("chat.postEphemeral") == 1
    assert app.slack.count("conversations.history") == 1
    assert app.slack.messages == []


@pytest.mark.parametrize(
    "case",
    ["bot-message", "bot-message-without-item-user", "other-emoji", "removed", "quiet-channel"],
)
async def test_reactions_that_are_not_an_ask_get_nothing(
    app: Harness, listener_runs: ListenerRuns, case: str
) -> None:
    app.slack.add_channel(QUIET, member=True)
    if case.startswith("bot-message"):
        await app.command("printer jammed")  # the bot's own announcement, in the channel
        await app.slack.wait_for("views.open")
        own = app.slack.write(CHANNEL, "I'll post it here", user="UBOT", bot_id="BBOT")
        event = sr.reaction_event(
            "ticket",
            user_id=OTHER_USER,
            channel_id=CHANNEL,
            ts=own["ts"],
            item_user=None if case.endswith("without-item-user") else "UBOT",
        )
    else:
        channel = QUIET if case == "quiet-channel" else CHANNEL
        message = app.slack.write(channel, "VPN drops", user=USER)
        event = sr.reaction_event(
            "thumbsup" if case == "other-emoji" else "ticket",
            user_id=OTHER_USER,
            channel_id=channel,
            ts=message["ts"],
            item_user=USER,
            removed=case == "removed",
        )
    before = len(app.slack.calls)

    await app.event(event)
    await listener_runs.settle()

    later = [c.method for c in app.slack.calls[before:] if c.method != "auth.test"]
    if case == "bot-message-without-item-user":
        # Only the message itself says it is the bot's: read, then left alone.
        assert later == ["conversations.history"]
    else:
        assert later == []
    assert app.slack.ephemerals == []
    assert [m for m in app.slack.messages if m.get("thread_ts")] == []
    assert app.desk.created == []


async def test_a_message_already_filed_answers_with_its_ticket(app: Harness) -> None:
    message = written(app, "Projector in room 4 is broken")
    await message_shortcut(app, sr.chat_message(message["text"], user=USER, ts=message["ts"]))
    view = await app.opened_view()
    await app.submit(view, **{k: v for k, v in initial_values(view).items() if v is not None})
    created = await submitted_ticket(app)

    await react(app, message)

    answer = await offer_to(app, OTHER_USER)
    assert created["name"] in text_of(answer["blocks"])
    assert "already has a ticket" in answer["text"]
    assert button_value(answer["blocks"], OPEN_FORM) is None
    assert button_value(answer["blocks"], "ticket_file_anyway")
    assert len(app.desk.created) == 1


async def test_the_offer_comes_by_dm_when_it_cannot_be_shown_in_the_channel(
    app: Harness,
) -> None:
    app.slack.channels[CHANNEL].members = {USER, "UBOT"}  # Grace reacts from outside
    message = written(app, "Badge reader at the door rejects everyone")
    await react(app, message)

    [post] = await app.slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    assert post.args["channel"] == app.slack.dm_channel(OTHER_USER)
    assert "Badge reader at the door rejects everyone" in text_of(post.args["blocks"])
    assert button_value(post.args["blocks"], OPEN_FORM)


async def test_a_custom_emoji_with_a_skin_tone_counts(
    slack: FakeSlack, desk: FakeServiceOps, listener_runs: ListenerRuns
) -> None:
    form = FormConfig(reaction_emoji="raised_hand")
    app, runner = await start_harness(slack, desk, form)
    try:
        message = written(app, "Laptop will not boot")
        await react(app, message, reaction="ticket")
        await listener_runs.settle()
        assert app.slack.ephemerals == []

        await react(app, message, reaction="raised_hand::skin-tone-3")
        offer = await offer_to(app, OTHER_USER)
        assert "Laptop will not boot" in text_of(offer["blocks"])
    finally:
        await stop_harness(app, runner)


async def test_a_channel_the_bot_cannot_read_is_left_alone(
    app: Harness, listener_runs: ListenerRuns
) -> None:
    app.slack.fail_next("conversations.history", "not_in_channel")
    message = written(app, "Coffee machine leaks")

    await react(app, message)
    await listener_runs.settle()

    assert app.slack.count("conversations.history") == 1
    assert app.slack.ephemerals == []
    assert app.slack.messages == []


async def test_the_files_of_the_reacted_message_go_with_the_ticket(app: Harness) -> None:
    """As with the message shortcut: the message's files are attached when the ticket is
    filed (read with the bot token after the form is submitted, never before)."""
    shot = app.slack.add_file("error.png", size=2_000, mimetype="image/png", user=USER)
    message = written(app, "Label printer prints blank pages", files=[shot])
    await react(app, message)

    view = await click_create(app, await offer_to(app, OTHER_USER), user=OTHER_USER)
    assert "error.png" in text_of(view)
    assert app.slack.file_host.downloads == []
    await app.submit(view, user=OTHER_USER, **{k: v for k, v in initial_values(view).items() if v})
    created = await submitted_ticket(app)

    [attachment] = created["fileAttachments"]
    assert attachment["realName"] == "error.png"
    upload = app.desk.uploads[attachment["refFileName"]]
    assert upload.sha256 == app.slack.file_host.files[shot["id"]].sha256
