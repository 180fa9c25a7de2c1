"""At most once, on one app instance: Slack's event retries, an already-filed message or
thread, a form submitted twice, a double click on "Try again".

(The same guarantees across two replicas sharing Redis: test_replicas_redis.py.)
"""

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
    button_value,
    created_view,
    failed_view,
    initial_values,
    message_shortcut,
    submit_as_shown,
    text_of,
)
from tests.fakes import slack_requests as sr

PROMPT = "turn this into a ticket"


async def send_submission(app: Harness, request: sr.SlackRequest) -> None:
    """Deliver a view_submission; apply its `response_action: update` as Slack would."""
    response = await app.send(request)
    assert response.status_code == 200
    answer = response.json() if response.content else {}
    if answer.get("response_action") == "update":
        app.slack.replace_view(request.payload()["view"]["id"], answer["view"])


def submission_as_shown(app: Harness, view: dict[str, Any]) -> sr.SlackRequest:
    """The signed view_submission of `view` with what it shows, to deliver more than once."""
    values = {k: v for k, v in initial_values(view).items() if v is not None}
    current = app.slack.views[view["id"]]
    return sr.view_submission(current, sr.form_values(view=current, **values), user_id=USER)


def announcements(app: Harness, number: str, channel: str = CHANNEL) -> list[dict[str, Any]]:
    """The bot's public posts in `channel` naming ticket `number`."""
    return [m for m in app.slack.messages_in(channel) if number in m["text"]]


async def file_from_message(app: Harness, message: dict[str, Any]) -> dict[str, Any]:
    """Message shortcut on `message`, form submitted as prefilled; the created request."""
    assert (await message_shortcut(app, message)).status_code == 200
    view = await app.opened_view()
    before = len([c for c in app.slack.calls_to("views.update") if created_view(c)])
    await submit_as_shown(app, view)
    await app.slack.wait_for("views.update", count=before + 1, where=created_view)
    return app.desk.created[-1]


async def failed_submission(app: Harness, subject: str) -> dict[str, Any]:
    """`/ticket subject` submitted while ServiceOps answers 503: the failure modal."""
    app.desk.fail_next("create", 503)
    assert (await app.command(subject)).status_code == 200
    view = await app.opened_view()
    await submit_as_shown(app, view)
    await app.slack.wait_for("views.update", where=failed_view)
    assert app.desk.created == []
    return app.slack.views[view["id"]]


# --------------------------------------------------------------------------- Events API


async def test_event_retried_by_slack_prompts_once(
    app: Harness, listener_runs: ListenerRuns
) -> None:
    dm = app.slack.dm_channel(USER)
    event = sr.dm_event("Outlook keeps asking for my password", user_id=USER, channel_id=dm)

    first = await app.event(event, event_id="Ev0RETRY01")
    assert first.status_code == 200
    await app.slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    retry = await app.event(event, event_id="Ev0RETRY01", retry_num=1)
    assert retry.status_code == 200  # acknowledged, so Slack stops retrying

    assert await listener_runs.settle() == 2
    prompts = [m for m in app.slack.messages_in(dm) if PROMPT in m["text"]]
    assert len(prompts) == 1
    assert prompts[0]["thread_ts"] == event["ts"]


async def test_event_and_its_retry_arriving_together_prompt_once(
    app: Harness, listener_runs: ListenerRuns
) -> None:
    dm = app.slack.dm_channel(USER)
    event = sr.dm_event("Teams has no sound", user_id=USER, channel_id=dm)

    await asyncio.gather(
        app.event(event, event_id="Ev0RETRY02"),
        app.event(event, event_id="Ev0RETRY02", retry_num=1, retry_reason="http_timeout"),
        app.event(event, event_id="Ev0RETRY02", retry_num=2, retry_reason="http_error"),
    )

    assert await listener_runs.settle() == 3
    assert len([m for m in app.slack.messages_in(dm) if PROMPT in m["text"]]) == 1


async def test_distinct_events_are_each_answered(app: Harness, listener_runs: ListenerRuns) -> None:
    """The de-duplication is by event_id, not by text: two messages get two prompts."""
    dm = app.slack.dm_channel(USER)
    for n, ts in enumerate(("1700000000.000100", "1700000000.000900")):
        event = sr.dm_event("Printer offline", user_id=USER, channel_id=dm, ts=ts)
        await app.event(event, event_id=f"Ev0DISTINCT{n}")

    assert await listener_runs.settle() == 2
    assert len([m for m in app.slack.messages_in(dm) if PROMPT in m["text"]]) == 2


# --------------------------------------------------------------------------- one source, one ticket


async def test_shortcut_on_a_filed_message_offers_a_separate_ticket(app: Harness) -> None:
    message = sr.chat_message("SAP login fails with error 403", user=OTHER_USER)
    first = await file_from_message(app, message)

    assert (await message_shortcut(app, message, user=OTHER_USER)).status_code == 200

    already = await app.opened_view()
    assert "Already filed" in text_of(already)
    assert first["name"] in text_of(already)
    assert f"/t/request/view/{first['id']}" in text_of(already)  # the link to the portal
    assert "ticket_form" not in text_of(already)  # no form: nothing to submit by mistake
    anyway = button_value(already["blocks"], ids.FILE_ANYWAY_ACTION)
    assert anyway is not None
    assert len(app.desk.created) == 1

    pressed = await app.click(ids.FILE_ANYWAY_ACTION, anyway, user=OTHER_USER, view=already)
    assert pressed.status_code == 200
    await app.slack.wait_for(
        "views.update", where=lambda c: c.ok and c.args["view_id"] == already["id"]
    )
    form = app.slack.views[already["id"]]
    assert form["callback_id"] == "ticket_form"
    assert initial_values(form)["subject"] == "SAP login fails with error 403"

    await app.submit(form, user=OTHER_USER, subject="SAP login fails for the finance team")
    await app.slack.wait_for("views.update", count=2, where=created_view)
    assert [c["subject"] for c in app.desk.created] == [
        "SAP login fails with error 403",
        "SAP login fails for the finance team",
    ]
    second = app.desk.created[1]
    assert second["requesterEmail"] == "grace@example.com"
    [post] = announcements(app, second["name"])
    assert post["thread_ts"] == message["ts"]

    assert not [c for c in app.slack.calls if "expired" in text_of(c.args)]

    # The message still answers with its first ticket: a separate one does not replace it.
    assert (await message_shortcut(app, message)).status_code == 200
    third_look = await app.opened_view()
    assert first["name"] in text_of(third_look)
    assert second["name"] not in text_of(third_look)


async def test_form_of_a_message_filed_meanwhile_keeps_what_was_typed(app: Harness) -> None:
    """Two people open the form on one message; the second to submit learns it is filed,
    and "File a separate ticket" brings back what they typed."""
    message = sr.chat_message("Shared drive S: is read-only", user=OTHER_USER)
    assert (await message_shortcut(app, message)).status_code == 200
    late = await app.opened_view()
    assert (await message_shortcut(app, message, user=OTHER_USER)).status_code == 200
    early = await app.opened_view()
    await submit_as_shown(app, early, user=OTHER_USER)
    await app.slack.wait_for("views.update", where=created_view)
    [first] = app.desk.created

    await app.submit(late, subject="S: drive read-only for all of accounting", priority="High")

    [call] = await app.slack.wait_for(
        "views.update", where=lambda c: c.ok and "Already filed" in text_of(c.args)
    )
    assert call.args["view_id"] == late["id"]
    already = app.slack.views[late["id"]]
    assert first["name"] in text_of(already)
    assert len(app.desk.created) == 1
    anyway = button_value(already["blocks"], ids.FILE_ANYWAY_ACTION)
    await app.click(ids.FILE_ANYWAY_ACTION, anyway, view=already)
    await app.slack.wait_for(
        "views.update",
        where=lambda c: (
            c.ok and c.args["view_id"] == late["id"] and "ticket_form" in text_of(c.args)
        ),
    )
    form = app.slack.views[late["id"]]
    shown = initial_values(form)
    assert shown["subject"] == "S: drive read-only for all of accounting"
    assert shown["priority"] == "High"

    await submit_as_shown(app, form)
    await app.slack.wait_for("views.update", count=2, where=created_view)
    assert [c["subject"] for c in app.desk.created] == [
        "Shared drive S: is read-only",
        "S: drive read-only for all of accounting",
    ]


async def test_mention_in_a_thread_that_has_a_ticket_answers_already_filed(
    app: Harness,
) -> None:
    root = "1700000500.000100"
    mention = sr.mention_event(
        "the projector in room 2 is dead", user_id=USER, channel_id=CHANNEL, ts=root
    )
    await app.event(mention)
    [prompt_call] = await app.slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    prompt = prompt_call.response["message"]
    open_form = button_value(prompt["blocks"], ids.OPEN_FORM_ACTION)
    await app.click(ids.OPEN_FORM_ACTION, open_form, channel=CHANNEL, message=prompt)
    await submit_as_shown(app, await app.opened_view())
    await app.slack.wait_for("views.update", where=created_view)
    [first] = app.desk.created

    again = sr.mention_event(
        "still dead after lunch",
        user_id=OTHER_USER,
        channel_id=CHANNEL,
        ts="1700000600.000100",
        thread_ts=root,
    )
    await app.event(again)

    posts = await app.slack.wait_for(
        "chat.postMessage", where=lambda c: c.ok and "already has a ticket" in c.args["text"]
    )
    reply = posts[0].response["message"]
    assert reply["thread_ts"] == root
    assert first["name"] in text_of(reply)
    assert f"/t/request/view/{first['id']}" in text_of(reply)
    anyway = button_value(reply["blocks"], ids.FILE_ANYWAY_ACTION)
    assert anyway is not None
    assert len(app.desk.created) == 1

    await app.click(ids.FILE_ANYWAY_ACTION, anyway, user=OTHER_USER, channel=CHANNEL, message=reply)
    form = await app.opened_view()
    assert form["callback_id"] == "ticket_form"
    await app.submit(form, user=OTHER_USER, subject="Projector in room 2 needs replacing")
    await app.slack.wait_for("views.update", count=2, where=created_view)
    assert len(app.desk.created) == 2
    second = app.desk.created[1]
    assert second["subject"] == "Projector in room 2 needs replacing"
    [post] = announcements(app, second["name"])
    assert post["thread_ts"] == root


# --------------------------------------------------------------------------- one attempt


async def test_form_submitted_twice_at_once_files_once(
    app: Harness, listener_runs: ListenerRuns, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await app.command("Badge reader at door B broken")).status_code == 200
    view = await app.opened_view()
    gate = AttemptGate(monkeypatch, app)
    request = submission_as_shown(app, view)

    await asyncio.gather(send_submission(app, request), send_submission(app, request))
    await gate.refused(1)
    gate.open()

    await app.slack.wait_for("views.update", where=created_view)
    await listener_runs.settle()
    [created] = app.desk.created
    final = app.slack.views[view["id"]]
    assert "Ticket created" in text_of(final)
    assert created["name"] in text_of(final)
    assert len(announcements(app, created["name"])) == 1


async def test_form_submitted_again_after_filing_shows_the_same_ticket(
    app: Harness, listener_runs: ListenerRuns
) -> None:
    assert (await app.command("Docking station not charging")).status_code == 200
    view = await app.opened_view()
    request = submission_as_shown(app, view)
    await send_submission(app, request)
    await app.slack.wait_for("views.update", where=created_view)

    await send_submission(app, request)  # the same submission delivered again

    await app.slack.wait_for("views.update", count=2, where=created_view)
    await listener_runs.settle()
    [created] = app.desk.created
    assert created["name"] in text_of(app.slack.views[view["id"]])
    assert len(announcements(app, created["name"])) == 1


async def test_double_click_on_try_again_files_once(
    app: Harness, listener_runs: ListenerRuns, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = await failed_submission(app, "Cannot print to PDF")
    retry = button_value(failed["blocks"], ids.RETRY_ACTION)
    gate = AttemptGate(monkeypatch, app)

    await asyncio.gather(
        app.click(ids.RETRY_ACTION, retry, view=failed),
        app.click(ids.RETRY_ACTION, retry, view=failed),
    )
    await gate.refused(1)
    gate.open()

    await app.slack.wait_for("views.update", where=created_view)
    await listener_runs.settle()
    [created] = app.desk.created
    assert created["subject"] == "Cannot print to PDF"
    final = app.slack.views[failed["id"]]
    assert "Ticket created" in text_of(final)
    assert created["name"] in text_of(final)
    assert len(announcements(app, created["name"])) == 1


async def test_second_click_on_try_again_after_success_announces_nothing_new(
    app: Harness, listener_runs: ListenerRuns
) -> None:
    failed = await failed_submission(app, "Keyboard missing keys")
    retry = button_value(failed["blocks"], ids.RETRY_ACTION)
    await app.click(ids.RETRY_ACTION, retry, view=failed)
    await app.slack.wait_for("views.update", where=created_view)

    await app.click(ids.RETRY_ACTION, retry, view=failed)  # a slow double click

    await app.slack.wait_for("views.update", count=2, where=created_view)
    await listener_runs.settle()
    [created] = app.desk.created
    assert created["name"] in text_of(app.slack.views[failed["id"]])
    assert len(announcements(app, created["name"])) == 1


async def test_try_again_from_the_private_message_twice_files_once(
    app: Harness, listener_runs: ListenerRuns, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each click on the private message's button opens its own modal: the one that files
    shows the ticket, the other one says the ticket is already being created."""
    await failed_submission(app, "Calendar not syncing")
    dm = app.slack.dm_channel(USER)
    [sent] = await app.slack.wait_for(
        "chat.postMessage", where=lambda c: c.ok and "wasn't created" in c.args["text"]
    )
    notice = sent.response["message"]
    assert sent.response["channel"] == dm
    retry = button_value(notice["blocks"], ids.RETRY_ACTION)
    gate = AttemptGate(monkeypatch, app)

    await asyncio.gather(
        app.click(ids.RETRY_ACTION, retry, channel=dm, message=notice),
        app.click(ids.RETRY_ACTION, retry, channel=dm, message=notice),
    )
    await gate.refused(1)
    gate.open()

    await app.slack.wait_for("views.update", where=created_view)
    await listener_runs.settle()
    [created] = app.desk.created
    opened = [c.response["view"]["id"] for c in app.slack.calls_to("views.open") if c.ok]
    texts = sorted(text_of(app.slack.views[view_id]) for view_id in opened[-2:])
    assert sum(created["name"] in text for text in texts) == 1
    assert sum("already being created" in text for text in texts) == 1
    assert len(announcements(app, created["name"])) == 1
