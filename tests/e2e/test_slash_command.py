"""`/ticket`: the modal opens at once, the request is created, the number is announced."""

from __future__ import annotations

from tests.e2e.harness import CHANNEL, USER, USER_EMAIL, Harness, text_of


async def test_command_opens_prefilled_form_and_posts_ticket_in_channel(app: Harness) -> None:
    response = await app.command("printer on floor 3 is jammed")
    assert response.status_code == 200

    view = await app.opened_view()
    assert view["callback_id"] == "ticket_form"
    subject = view["blocks"][[b.get("block_id") for b in view["blocks"]].index("subject")]
    assert subject["element"]["initial_value"] == "printer on floor 3 is jammed"

    answer = await app.submit(
        view,
        subject="Printer on floor 3 is jammed",
        description="Paper stuck in tray 2",
        priority="High",
        department="Facilities",
        tags="printer, floor-3",
    )
    assert answer.status_code == 200
    assert answer.json()["response_action"] == "update"  # "Creating your ticket…"

    posts = await app.slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    created = app.desk.created
    assert len(created) == 1
    body = created[0]
    assert body["subject"] == "Printer on floor 3 is jammed"
    assert body["requesterEmail"] == USER_EMAIL
    assert body["priorityName"] == "High"
    assert body["departmentName"] == "Facilities"
    assert body["tags"] == ["printer", "floor-3"]
    assert "Paper stuck in tray 2" in body["description"]

    post = posts[0].args
    assert post["channel"] == CHANNEL
    assert body["name"] in text_of(post)  # INC-… number
    assert f"<@{USER}>" in text_of(post)

    await app.slack.wait_for("views.update", where=lambda c: c.ok)
    final = app.slack.views[view["id"]]
    assert body["name"] in text_of(final)
    assert "Ticket created" in text_of(final)
