"""What people type is echoed into Slack escaped, so a subject cannot ping @channel or
forge a mention or link; ServiceOps gets the text exactly as typed."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.harness import (
    OTHER_USER,
    USER,
    Harness,
    global_shortcut,
    initial_values,
    message_shortcut,
    outputs,
    submitted_ticket,
    text_of,
)
from tests.fakes import slack_requests as sr

SUBJECT = f"<!channel> printer <@{USER}> & <#C0HELP1>"
ESCAPED = f"&lt;!channel&gt; printer &lt;@{USER}&gt; &amp; &lt;#C0HELP1&gt;"
RAW_MARKUP = ("<!channel>", f"<@{USER}>", "<#C0HELP1>", " & ")
DESK_CHANNEL = "C0DESK1"


def rendered(obj: Any) -> list[str]:
    """Every string Slack renders from a message or view: the `text` fields, at any depth
    (button values and `private_metadata` are opaque to people and left out)."""
    if isinstance(obj, list):
        return [text for item in obj for text in rendered(item)]
    if not isinstance(obj, dict):
        return []
    found = [obj["text"]] if isinstance(obj.get("text"), str) else []
    return found + [text for key, value in obj.items() if key != "text" for text in rendered(value)]


def everything_shown(app: Harness) -> list[tuple[str, str]]:
    """(what, text) of everything the app showed in Slack: posts, views, and acks."""
    shown = [(call.method, rendered(call.args)) for call in outputs(app.slack)]
    shown += [("views.open", rendered(call.args)) for call in app.slack.calls_to("views.open")]
    for response in app.responses:
        if response.content and response.headers["content-type"].startswith("application/json"):
            shown.append(("ack", rendered(response.json())))
    return [(what, text) for what, texts in shown for text in texts]


def assert_nothing_unescaped(app: Harness) -> None:
    shown = everything_shown(app)
    assert shown
    for what, text in shown:
        for markup in RAW_MARKUP:
            assert markup not in text, f"{what} shows {markup!r} unescaped: {text}"


async def test_subject_is_escaped_in_thread_message_and_modal(app: Harness) -> None:
    app.slack.add_channel(DESK_CHANNEL, member=True, name="service-desk")
    message = sr.chat_message("printer broken", user=USER)
    await message_shortcut(app, message, user=OTHER_USER, channel=DESK_CHANNEL)
    view = await app.opened_view()

    ack = await app.submit(view, user=OTHER_USER, subject=SUBJECT)
    created = await submitted_ticket(app)

    assert created["subject"] == SUBJECT  # ServiceOps gets the plain text
    assert ESCAPED in text_of(ack.json()["view"])  # "Creating your ticket…"
    [post] = app.slack.calls_to("chat.postMessage")
    assert post.args["channel"] == DESK_CHANNEL
    assert ESCAPED in post.args["text"]
    assert ESCAPED in json.dumps(post.args["blocks"])
    assert ESCAPED in text_of(app.slack.views[view["id"]])  # "Ticket created"
    assert_nothing_unescaped(app)


async def test_subject_is_escaped_in_the_dm(app: Harness) -> None:
    await global_shortcut(app, user=OTHER_USER)
    view = await app.opened_view()

    await app.submit(view, user=OTHER_USER, subject=SUBJECT)
    created = await submitted_ticket(app)

    assert created["subject"] == SUBJECT
    [dm] = app.slack.calls_to("chat.postMessage")
    assert dm.args["channel"] == app.slack.dm_channel(OTHER_USER)
    assert ESCAPED in dm.args["text"]
    assert ESCAPED in json.dumps(dm.args["blocks"])
    assert ESCAPED in text_of(app.slack.views[view["id"]])
    assert_nothing_unescaped(app)


async def test_failure_keeps_the_subject_as_typed_in_the_form(app: Harness) -> None:
    app.desk.fail_next("create", 503, retry_after=0)
    await global_shortcut(app, user=OTHER_USER)
    view = await app.opened_view()
    await app.submit(view, user=OTHER_USER, subject=SUBJECT)
    await app.slack.wait_for(
        "views.update", where=lambda c: c.ok and "wasn't created" in text_of(c.args)
    )
    failed = app.slack.views[view["id"]]

    edit = failed["blocks"][-1]["elements"][-1]
    await app.click("ticket_edit", edit["value"], user=OTHER_USER, view=failed)
    await app.slack.wait_for(
        "views.update", where=lambda c: c.ok and c.args["view"].get("callback_id") == "ticket_form"
    )

    # A text input shows its initial value literally: there it must not be escaped.
    assert initial_values(app.slack.views[view["id"]])["subject"] == SUBJECT
    assert_nothing_unescaped(app)


async def test_dm_text_is_quoted_escaped_and_prefilled_plain(app: Harness) -> None:
    dm = app.slack.dm_channel(OTHER_USER)
    # Someone typed "<!channel> & co broke the printer"; Slack escapes it in the event.
    typed = "&lt;!channel&gt; &amp; co broke the printer"
    await app.event(sr.dm_event(typed, user_id=OTHER_USER, channel_id=dm))

    [prompt] = await app.slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    assert "&lt;!channel&gt; &amp; co broke the printer" in json.dumps(prompt.args["blocks"])
    assert_nothing_unescaped(app)
    message = app.slack.messages[-1]
    value = message["blocks"][1]["elements"][0]["value"]
    await app.click("ticket_open_form", value, user=OTHER_USER, channel=dm, message=message)
    view = await app.opened_view()
    assert initial_values(view)["subject"] == "<!channel> & co broke the printer"


async def test_angle_brackets_typed_in_a_command_reach_the_subject_intact(app: Harness) -> None:
    # Someone typed `/ticket build fails: <stdin> not found & exits`; Slack escapes it.
    await app.command("build fails: &lt;stdin&gt; not found &amp; exits")
    view = await app.opened_view()

    assert initial_values(view)["subject"] == "build fails: <stdin> not found & exits"
    await app.submit(view, **{k: v for k, v in initial_values(view).items() if v})
    created = await submitted_ticket(app)
    assert created["subject"] == "build fails: <stdin> not found & exits"
    assert "build fails: &lt;stdin&gt; not found &amp; exits" in text_of(
        app.slack.calls_to("chat.postMessage")[0].args
    )
