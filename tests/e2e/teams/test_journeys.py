"""Teams journeys end to end: a 1:1 chat, an @mention in a channel, the message action; the
form in a dialog; the ticket filed in ServiceOps and announced where it belongs."""

from __future__ import annotations

from bot.teams import ids
from tests.e2e.teams.harness import (
    ADA_EMAIL,
    TeamsHarness,
    button,
    dialog_card,
    initial_values,
    inputs,
    submit_data,
    texts,
)
from tests.fakes import teams_requests as tr

FORM_FIELDS = {"subject", "description", "priority", "urgency", "impact", "department", "tags"}


async def test_chat_prompt_opens_the_form_and_files_the_ticket_in_the_chat(
    bot: TeamsHarness,
) -> None:
    chat = tr.personal_chat(tr.ADA, bot=bot.bot)
    response = await bot.send(
        tr.personal_message("VPN drops every hour\nsince Monday", bot=bot.bot)
    )
    assert response.status_code == 200
    [prompt] = await bot.teams.wait_for("send")
    assert prompt.conversation == chat.id
    card = prompt.card
    assert card is not None
    assert "VPN drops every hour" in texts(card)
    create = button(card, ids.OPEN_FORM)
    assert create["data"]["msteams"] == {"type": "task/fetch"}

    form = dialog_card(await bot.invoke(tr.task_fetch(create["data"], bot=bot.bot)))
    assert set(inputs(form)) == FORM_FIELDS
    assert initial_values(form)["subject"] == "VPN drops every hour"
    assert "in this chat" in texts(form)

    answer = await bot.invoke(tr.task_submit(submit_data(form, priority="High"), bot=bot.bot))

    [created] = bot.desk.created
    assert created["subject"] == "VPN drops every hour"
    assert created["requesterEmail"] == ADA_EMAIL
    assert created["priorityName"] == "High"
    result = dialog_card(answer)
    assert created["name"] in texts(result)
    assert "Ticket created" in texts(answer)
    await bot.settle()
    announcement = [c for c in bot.teams.posted(chat.id) if created["name"] in c.text]
    assert len(announcement) == 1
    assert announcement[0].activity["entities"][0]["mentioned"]["id"] == tr.ADA.id


async def test_message_action_on_a_thread_reply_files_into_that_thread(bot: TeamsHarness) -> None:
    where = tr.channel()
    fetch = tr.message_action_fetch(
        "<p>Printer on floor 3 &amp; scanner are <b>jammed</b></p><p>Since 9am</p>",
        reply_to_id="1700000000001",
        message_id="1700000000099",
        conversation=where,
        bot=bot.bot,
    )
    form = dialog_card(await bot.invoke(fetch))
    shown = initial_values(form)
    assert shown["subject"] == "Printer on floor 3 & scanner are jammed"
    assert "Since 9am" in shown["description"]
    assert "in this thread" in texts(form)

    submit = tr.message_action_submit(
        submit_data(form), payload=fetch["value"]["messagePayload"], conversation=where, bot=bot.bot
    )
    answer = await bot.invoke(submit)

    [created] = bot.desk.created
    assert created["requesterEmail"] == ADA_EMAIL  # who acted, not the message's author
    assert "Grace Hopper" in created["description"]  # the author, in the footer
    assert "teams.microsoft.com/l/message" in created["description"]
    assert created["name"] in texts(answer)
    await bot.settle()
    [announced] = [c for c in bot.teams.posted(where.id) if created["name"] in c.text]
    assert announced.thread_root == "1700000000001"


async def test_channel_mention_is_answered_in_its_thread(bot: TeamsHarness) -> None:
    where = tr.channel()
    mention = tr.channel_mention("the wifi in room 4 is down", conversation=where, bot=bot.bot)

    assert (await bot.send(mention)).status_code == 200

    [prompt] = await bot.teams.wait_for("send")
    assert prompt.conversation == where.id
    assert prompt.thread_root == mention["id"]
    shown = texts(prompt.card)
    assert "the wifi in room 4 is down" in shown
    assert "ServiceOps" not in shown  # the bot's own mention is not part of the problem


async def test_help_explains_the_ways_in(bot: TeamsHarness) -> None:
    await bot.send(tr.personal_message("help", bot=bot.bot))

    [reply] = await bot.teams.wait_for("send")
    assert "More actions" in texts(reply.card) or "message" in texts(reply.card).lower()
    assert bot.desk.created == []


async def test_blank_subject_shows_the_form_again_with_what_was_typed(bot: TeamsHarness) -> None:
    fetch = tr.message_action_fetch("<p>Laptop will not boot</p>", bot=bot.bot)
    form = dialog_card(await bot.invoke(fetch))

    typed = submit_data(form, subject="   ", description="It beeps three times", tags="laptop")
    answer = await bot.invoke(tr.message_action_submit(typed, bot=bot.bot))

    again = dialog_card(answer)
    assert "Please enter a subject." in texts(again)
    assert initial_values(again)["description"] == "It beeps three times"
    assert initial_values(again)["tags"] == "laptop"
    assert bot.desk.created == []


async def test_a_guest_without_an_e_mail_is_told_why(bot: TeamsHarness) -> None:
    guest = tr.person("Eve Guest")
    bot.teams.add_user(
        guest.id,
        name=guest.name,
        upn="eve_example.com#EXT#@contoso.onmicrosoft.com",
        aad_object_id=guest.aad_object_id,
    )
    form = dialog_card(
        await bot.invoke(tr.message_action_fetch("<p>x</p>", sender=guest, bot=bot.bot))
    )

    answer = await bot.invoke(
        tr.message_action_submit(submit_data(form), sender=guest, bot=bot.bot)
    )

    assert "e-mail address" in texts(answer)
    assert "Ticket not created" in texts(answer)
    assert bot.desk.created == []


async def test_where_the_bot_cannot_post_the_number_reaches_the_person_anyway(
    bot: TeamsHarness,
) -> None:
    chat = tr.group_chat()
    bot.teams.refuse_posting(chat.id)  # a chat the bot is not a member of
    fetch = tr.message_action_fetch("<p>Projector is broken</p>", conversation=chat, bot=bot.bot)
    form = dialog_card(await bot.invoke(fetch))

    submit = tr.message_action_submit(
        submit_data(form), payload=fetch["value"]["messagePayload"], conversation=chat, bot=bot.bot
    )
    answer = await bot.invoke(submit)

    [created] = bot.desk.created
    assert created["name"] in texts(answer)  # the dialog shows it
    await bot.settle()
    assert [c for c in bot.teams.posted(chat.id) if c.ok] == []
    personal = tr.personal_chat(tr.ADA, bot=bot.bot).id
    [private] = [c for c in bot.teams.posted(personal) if c.ok]
    assert created["name"] in texts(private.activity)
    assert "couldn't post" in texts(private.activity)


async def test_channel_messages_that_do_not_mention_the_bot_get_no_prompt(
    bot: TeamsHarness,
) -> None:
    """With the ChannelMessage.Read.Group permission Teams sends the bot every message of
    the channel: only those that @mention it are answered."""
    message = tr.channel_mention("the wifi is down", conversation=tr.channel(), bot=bot.bot)
    message["entities"] = [e for e in message["entities"] if e.get("type") != "mention"]
    message["text"] = "the wifi is down"

    assert (await bot.send(message)).status_code == 200
    await bot.settle()

    assert bot.teams.posted() == []
