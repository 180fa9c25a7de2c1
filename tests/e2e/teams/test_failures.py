"""When ServiceOps is down, slow or says no: the person is told, keeps what they typed, and
"Try again" files exactly one ticket; every invoke is answered in Teams' time."""

from __future__ import annotations

import time

from bot.config import FormConfig
from bot.teams import ids
from tests.e2e.teams.harness import (
    TeamsHarness,
    button,
    dialog_card,
    start_teams,
    stop_teams,
    submit_data,
    texts,
)
from tests.fakes import teams_requests as tr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.teams_api import FakeTeams


async def test_serviceops_down_then_try_again_files_one_ticket(bot: TeamsHarness) -> None:
    bot.desk.fail_next("create", status=503)
    fetch = tr.message_action_fetch("<p>Badge reader dead</p>", bot=bot.bot)
    form = dialog_card(await bot.invoke(fetch))

    answer = dialog_card(
        await bot.invoke(tr.message_action_submit(submit_data(form, priority="High"), bot=bot.bot))
    )

    assert "wasn't created" in texts(answer)
    assert bot.desk.created == []
    retry = button(answer, ids.RETRY)
    assert retry["type"] == "Action.Submit"  # inside a dialog every button is a submit
    await bot.settle()
    [dm] = [c for c in bot.teams.posted() if "wasn't created" in texts(c.activity)]
    assert dm.conversation == tr.personal_chat(tr.ADA, bot=bot.bot).id

    again = dialog_card(await bot.invoke(tr.task_submit(retry["data"], bot=bot.bot)))

    [created] = bot.desk.created
    assert created["priorityName"] == "High"  # what was typed, not retyped
    assert created["name"] in texts(again)

    message_retry = button(dm.card or {}, ids.RETRY)
    assert message_retry["type"] == "Action.Execute"
    replayed = await bot.invoke(tr.card_action(ids.RETRY, message_retry["data"], bot=bot.bot))
    assert replayed["statusCode"] == 200
    assert created["name"] in texts(replayed["value"])
    assert "the thread you filed it from" in texts(replayed["value"])  # seen from our chat
    assert len(bot.desk.created) == 1  # the same attempt: found, not filed again


async def test_a_rejected_value_shows_the_server_s_words(bot: TeamsHarness) -> None:
    form = dialog_card(await bot.invoke(tr.message_action_fetch("<p>x</p>", bot=bot.bot)))

    answer = await bot.invoke(
        tr.message_action_submit(submit_data(form, department="Legal"), bot=bot.bot)
    )

    assert "isn't one of the departments" in texts(answer)  # the form's own check
    assert bot.desk.created == []


async def test_a_slow_desk_is_answered_in_time_and_announced_after(
    teams: FakeTeams, desk: FakeServiceOps
) -> None:
    harness = await start_teams(teams, desk, FormConfig(), answer_within=0.5)
    try:
        desk.latency = 2.0
        form = dialog_card(
            await harness.invoke(tr.message_action_fetch("<p>x</p>", bot=harness.bot))
        )
        started = time.monotonic()
        answer = await harness.invoke(tr.message_action_submit(submit_data(form), bot=harness.bot))
        answered_in = time.monotonic() - started

        assert "taking longer than usual" in texts(answer)
        assert answered_in < desk.latency  # answered before ServiceOps did
        await harness.settle()
        [created] = desk.created
        assert [c for c in teams.posted() if created["name"] in c.text]
    finally:
        await stop_teams(harness)
