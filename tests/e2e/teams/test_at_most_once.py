"""One message, one ticket: Teams redelivering an activity, retrying an invoke it thinks
failed, or a second "Create ticket" on a message that has one never files twice."""

from __future__ import annotations

import asyncio

from bot.teams import ids
from tests.e2e.teams.harness import TeamsHarness, button, dialog_card, submit_data, texts
from tests.fakes import teams_requests as tr


async def test_a_redelivered_message_gets_one_prompt(bot: TeamsHarness) -> None:
    message = tr.personal_message("Printer offline", bot=bot.bot)

    await bot.send(message)
    await bot.send(message)
    await bot.settle()

    assert len(bot.teams.posted()) == 1


async def test_a_retried_submission_files_one_ticket(bot: TeamsHarness) -> None:
    fetch = tr.message_action_fetch("<p>Printer offline</p>", bot=bot.bot)
    form = dialog_card(await bot.invoke(fetch))
    submit = tr.message_action_submit(
        submit_data(form), payload=fetch["value"]["messagePayload"], bot=bot.bot
    )

    first, second = await asyncio.gather(bot.invoke(submit), bot.invoke(submit))
    third = await bot.invoke(submit)
    await bot.settle()

    [created] = bot.desk.created
    assert created["name"] in texts(third)
    assert any(created["name"] in texts(answer) for answer in (first, second))
    announcements = [c for c in bot.teams.posted() if created["name"] in c.text]
    assert len(announcements) == 1


async def test_a_second_create_ticket_on_a_filed_message_says_already_filed(
    bot: TeamsHarness,
) -> None:
    fetch = tr.message_action_fetch(
        "<p>Printer offline</p>", message_id="1700000000500", bot=bot.bot
    )
    form = dialog_card(await bot.invoke(fetch))
    payload = fetch["value"]["messagePayload"]
    await bot.invoke(tr.message_action_submit(submit_data(form), payload=payload, bot=bot.bot))
    [created] = bot.desk.created

    again = tr.message_action_fetch(
        "<p>Printer offline</p>", message_id="1700000000500", bot=bot.bot
    )
    answer = dialog_card(await bot.invoke(again))

    assert "already has a ticket" in texts(answer)
    assert created["name"] in texts(answer)
    separate = button(answer, ids.FILE_ANYWAY)
    form2 = dialog_card(await bot.invoke(tr.task_submit(separate["data"], bot=bot.bot)))
    await bot.invoke(tr.task_submit(submit_data(form2, subject="A different printer"), bot=bot.bot))
    assert [t["subject"] for t in bot.desk.created] == [
        "Printer offline",
        "A different printer",
    ]
