"""Global shortcut "Create ticket": an empty form, and the number comes by direct message."""

from __future__ import annotations

from tests.e2e.harness import (
    USER,
    USER_EMAIL,
    Harness,
    global_shortcut,
    initial_values,
    submitted_ticket,
    text_of,
)


async def test_global_shortcut_opens_empty_form_and_answers_by_dm(app: Harness) -> None:
    response = await global_shortcut(app)
    assert response.status_code == 200

    view = await app.opened_view()
    assert view["callback_id"] == "ticket_form"
    prefilled = initial_values(view)
    assert prefilled["subject"] is None
    assert prefilled["description"] is None
    assert "direct message" in text_of(view)

    await app.submit(view, subject="New starter needs a laptop", description="Starts Monday")
    created = await submitted_ticket(app)
    assert created["subject"] == "New starter needs a laptop"
    assert created["requesterEmail"] == USER_EMAIL
    assert "From Slack" not in created["description"]  # no message to link to

    [opened] = app.slack.calls_to("conversations.open")
    assert opened.args["users"] == USER
    dm = opened.response["channel"]["id"]
    assert dm.startswith("D")
    [post] = await app.slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    assert post.args["channel"] == dm
    assert "thread_ts" not in post.args
    assert created["name"] in text_of(post.args)
    assert app.slack.count("response_url") == 0
    final = app.slack.views[view["id"]]
    assert created["name"] in text_of(final)
    assert "a direct message from me" in text_of(final)
