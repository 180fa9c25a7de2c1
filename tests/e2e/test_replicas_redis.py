"""Two app instances sharing one real Redis (`CACHE_URL=redis://…`), as replicas behind a
load balancer: Slack's retries, double clicks and a form delivered to both still make at
most one prompt, one request, and one ServiceOps token."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.slack import ids
from tests.e2e.harness import (
    CHANNEL,
    OTHER_USER,
    USER,
    AttemptGate,
    Harness,
    ListenerRuns,
    Replicas,
    button_value,
    created_view,
    failed_view,
    message_shortcut,
    submit_as_shown,
    text_of,
)
from tests.fakes import slack_requests as sr


async def open_form(app: Harness, text: str, *, user: str = USER) -> dict[str, Any]:
    """`/ticket text` on `app`; the form it opened."""
    before = len([c for c in app.slack.calls_to("views.open") if c.ok])
    assert (await app.command(text, user=user)).status_code == 200
    calls = await app.slack.wait_for("views.open", count=before + 1, where=lambda c: c.ok)
    return app.slack.views[calls[-1].response["view"]["id"]]


async def test_event_delivered_to_both_replicas_prompts_once(
    replicas: Replicas, listener_runs: ListenerRuns
) -> None:
    first, second = replicas
    dm = first.slack.dm_channel(USER)
    event = sr.dm_event("The VPN drops every five minutes", user_id=USER, channel_id=dm)

    answers = await asyncio.gather(
        first.send(sr.event_callback(event, event_id="Ev0REPLICA1")),
        second.send(sr.event_callback(event, event_id="Ev0REPLICA1", retry_num=1)),
    )

    assert [a.status_code for a in answers] == [200, 200]
    assert await listener_runs.settle() == 2  # both replicas looked at the delivery
    prompts = [m for m in first.slack.messages_in(dm) if "turn this into a ticket" in m["text"]]
    assert len(prompts) == 1
    assert prompts[0]["thread_ts"] == event["ts"]


async def test_one_submission_delivered_to_both_replicas_files_once(
    replicas: Replicas, listener_runs: ListenerRuns, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = replicas
    view = await open_form(first, "Printer on floor 3 is jammed")
    gate = AttemptGate(monkeypatch, first, second)

    answers = await asyncio.gather(submit_as_shown(first, view), submit_as_shown(second, view))

    assert [a.json()["response_action"] for a in answers] == ["update", "update"]
    await gate.refused(1)  # both replicas tried; one of them is filing
    gate.open()
    await first.slack.wait_for("views.update", where=created_view)
    await listener_runs.settle(timeout=10)
    [created] = first.desk.created
    assert created["subject"] == "Printer on floor 3 is jammed"
    final = first.slack.views[view["id"]]
    assert "Ticket created" in text_of(final)
    assert created["name"] in text_of(final)
    announced = [m for m in first.slack.messages_in(CHANNEL) if created["name"] in m["text"]]
    assert len(announced) == 1


async def test_double_click_on_try_again_across_replicas_files_once(
    replicas: Replicas, listener_runs: ListenerRuns, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = replicas
    first.desk.fail_next("create", 503)
    view = await open_form(first, "Laptop will not boot")
    await submit_as_shown(first, view)
    await first.slack.wait_for("views.update", where=failed_view)
    failed = first.slack.views[view["id"]]
    retry = button_value(failed["blocks"], ids.RETRY_ACTION)
    assert retry is not None
    assert first.desk.created == []
    gate = AttemptGate(monkeypatch, first, second)

    clicks = await asyncio.gather(
        first.click(ids.RETRY_ACTION, retry, view=failed),
        second.click(ids.RETRY_ACTION, retry, view=failed),
    )

    assert [c.status_code for c in clicks] == [200, 200]
    await gate.refused(1)
    gate.open()
    await first.slack.wait_for("views.update", where=created_view)
    await listener_runs.settle(timeout=10)
    [created] = first.desk.created
    assert created["subject"] == "Laptop will not boot"
    final = first.slack.views[view["id"]]
    assert "Ticket created" in text_of(final)
    assert created["name"] in text_of(final)
    announced = [m for m in first.slack.messages_in(CHANNEL) if created["name"] in m["text"]]
    assert len(announced) == 1


async def test_replicas_share_one_serviceops_token(
    replicas: Replicas, listener_runs: ListenerRuns
) -> None:
    first, second = replicas
    forms = [
        await open_form(first, "Monitor flickers"),
        await open_form(second, "Mouse lost", user=OTHER_USER),
    ]
    assert first.desk.token_requests == 0  # cold: nothing fetched yet

    await asyncio.gather(
        submit_as_shown(first, forms[0]), submit_as_shown(second, forms[1], user=OTHER_USER)
    )

    await first.slack.wait_for("views.update", count=2, where=created_view)
    await listener_runs.settle(timeout=10)
    assert sorted(c["subject"] for c in first.desk.created) == ["Monitor flickers", "Mouse lost"]
    assert first.desk.token_requests == 1


async def test_replica_knows_a_message_another_replica_filed(replicas: Replicas) -> None:
    first, second = replicas
    message = sr.chat_message("Wi-Fi in room 4 is down", user=OTHER_USER, ts="1700000300.000100")
    assert (await message_shortcut(first, message)).status_code == 200
    view = await first.opened_view()
    await submit_as_shown(first, view)
    await first.slack.wait_for("views.update", where=created_view)
    [created] = first.desk.created

    assert (await message_shortcut(second, message, user=OTHER_USER)).status_code == 200

    again = await second.opened_view()
    assert again["id"] != view["id"]
    assert "Already filed" in text_of(again)
    assert created["name"] in text_of(again)
    assert button_value(again["blocks"], ids.FILE_ANYWAY_ACTION) is not None
    assert len(first.desk.created) == 1
