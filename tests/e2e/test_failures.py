"""When the ticket cannot be created: a specific, friendly message in the modal and by DM,
and what the person typed is never lost ("Try again", "Back to the form")."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from bot.config import FormConfig
from tests.e2e.harness import (
    CHANNEL,
    USER,
    Harness,
    ListenerRuns,
    button_value,
    initial_values,
    text_of,
)

RETRY = "ticket_retry"
EDIT = "ticket_edit"
NO_EMAIL_USER = "U0NOMAIL"
TYPED = {
    "subject": "Laptop won't boot",
    "description": "Black screen after the update.\nTried holding the power button.",
    "priority": "High",
    "urgency": "Medium",
    "impact": "On User",
    "department": "IT",
    "tags": "laptop, boot",
}


def closed_port_url() -> str:
    """A loopback URL nothing listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def submit_typed(app: Harness, *, user: str = USER, **typed: str) -> dict[str, Any]:
    """/ticket, then submit the form with `typed` (default: TYPED); the modal."""
    await app.command("laptop", user=user)
    view = await app.opened_view()
    answer = await app.submit(view, user=user, **(typed or TYPED))
    assert answer.json()["response_action"] == "update"
    return view


async def failure_shown(
    app: Harness, view: dict[str, Any], *, user: str = USER
) -> tuple[dict[str, Any], Any]:
    """The modal once it says the ticket wasn't created, and the DM to `user` saying the same."""
    await app.slack.wait_for(
        "views.update", where=lambda c: c.ok and "wasn't created" in text_of(c.args)
    )
    [dm] = await app.slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    assert dm.args["channel"] == app.slack.dm_channel(user)
    return app.slack.views[view["id"]], dm


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str | None]:
    return {action: button_value(blocks, action) for action in (RETRY, EDIT)}


# --------------------------------------------------------------------------- unreachable


async def test_unreachable_desk_says_so_and_try_again_files_exactly_once(app: Harness) -> None:
    app.desk.fail_next("create", 503, retry_after=0)
    view = await submit_typed(app)

    failed, dm = await failure_shown(app, view)
    assert "unreachable" in text_of(failed)
    assert "Try again" in text_of(failed)
    assert "Back to the form" in text_of(failed)
    assert app.desk.created == []
    assert "unreachable" in dm.args["text"]
    retry_value = button_value(failed["blocks"], RETRY)
    assert retry_value
    assert buttons(dm.args["blocks"]) == buttons(failed["blocks"])  # the same two buttons

    await app.click(RETRY, retry_value, view=failed)
    await app.slack.wait_for(
        "views.update", where=lambda c: c.ok and "Ticket created" in text_of(c.args)
    )
    [created] = app.desk.created
    assert created["subject"] == TYPED["subject"]
    assert created["priorityName"] == "High"
    assert created["tags"] == ["laptop", "boot"]
    assert "Tried holding the power button." in created["description"]
    assert created["name"] in text_of(app.slack.views[view["id"]])


async def test_try_again_from_the_dm_opens_a_modal_and_files(app: Harness) -> None:
    app.desk.fail_next("create", 503, retry_after=0)
    view = await submit_typed(app)
    _, dm = await failure_shown(app, view)
    message = app.slack.messages[-1]

    await app.click(
        RETRY, button_value(dm.args["blocks"], RETRY), channel=message["channel"], message=message
    )

    await app.slack.wait_for(
        "views.update", where=lambda c: c.ok and "Ticket created" in text_of(c.args)
    )
    [created] = app.desk.created
    assert created["subject"] == TYPED["subject"]
    assert app.slack.count("views.open") == 2  # the form, then the retry's own modal
    [announced] = app.slack.messages_in(CHANNEL)
    assert created["name"] in text_of(announced)


async def test_second_try_again_does_not_announce_the_ticket_twice(
    app: Harness, listener_runs: ListenerRuns
) -> None:
    app.desk.fail_next("create", 503, retry_after=0)
    view = await submit_typed(app)
    _, dm = await failure_shown(app, view)
    message = app.slack.messages[-1]
    value = button_value(dm.args["blocks"], RETRY)

    await app.click(RETRY, value, channel=message["channel"], message=message)
    await listener_runs.settle()
    await app.click(RETRY, value, channel=message["channel"], message=message)  # a day later
    assert await listener_runs.settle() == 1

    assert len(app.desk.created) == 1
    assert len(app.slack.messages_in(CHANNEL)) == 1


async def test_back_to_the_form_brings_back_everything_typed(app: Harness) -> None:
    app.desk.fail_next("create", 503, retry_after=0)
    view = await submit_typed(app)
    failed, _ = await failure_shown(app, view)

    await app.click(EDIT, button_value(failed["blocks"], EDIT), view=failed)
    await app.slack.wait_for(
        "views.update", where=lambda c: c.ok and c.args["view"].get("callback_id") == "ticket_form"
    )
    form = app.slack.views[view["id"]]
    assert initial_values(form) == TYPED | {"tags": "laptop, boot"}

    await app.submit(form, **TYPED)
    await app.slack.wait_for(
        "views.update", where=lambda c: c.ok and "Ticket created" in text_of(c.args)
    )
    assert len(app.desk.created) == 1


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """`closed`: ServiceOps at a loopback port nothing listens on (connections refused)."""
    if getattr(request, "param", None) == "closed":
        return {"serviceops_url": closed_port_url()}
    return {}


@pytest.mark.parametrize("settings_overrides", ["closed"], indirect=True)
async def test_closed_port_is_reported_as_unreachable(app: Harness) -> None:
    view = await submit_typed(app)

    failed, dm = await failure_shown(app, view)
    assert "The service desk is unreachable right now" in text_of(failed)
    assert "Try again" in text_of(failed)
    assert "unreachable" in dm.args["text"]


# --------------------------------------------------------------------------- rejected


@pytest.mark.parametrize("form_config", [FormConfig()])  # department is free text
async def test_rejected_value_shows_the_desks_own_message(app: Harness) -> None:
    view = await submit_typed(app, **(TYPED | {"department": "Narnia"}))

    failed, dm = await failure_shown(app, view)
    assert "Department 'Narnia' does not exist." in text_of(failed)
    assert "Department 'Narnia' does not exist." in dm.args["text"]
    assert button_value(failed["blocks"], RETRY) is None  # the same again would fail again
    assert button_value(failed["blocks"], EDIT)
    assert app.desk.created == []


# --------------------------------------------------------------------------- no e-mail


async def test_profile_without_email_explains_what_to_ask_an_admin(app: Harness) -> None:
    app.slack.add_user(NO_EMAIL_USER, real_name="Guest User")
    view = await submit_typed(app, user=NO_EMAIL_USER)

    failed, dm = await failure_shown(app, view, user=NO_EMAIL_USER)
    for text in (text_of(failed), dm.args["text"]):
        assert "e-mail" in text
        assert "Slack admin" in text
        assert "users:read.email" in text
    assert button_value(failed["blocks"], EDIT)
    assert app.desk.calls == []  # nothing was sent to ServiceOps


async def test_email_hidden_without_the_scope_is_explained_too(app: Harness) -> None:
    app.slack.scopes.discard("users:read.email")
    view = await submit_typed(app)

    failed, _ = await failure_shown(app, view)
    assert "users:read.email" in text_of(failed)
    assert app.desk.calls == []


# --------------------------------------------------------------------------- inline errors


@pytest.mark.parametrize(
    ("typed", "block", "words"),
    [
        pytest.param({"subject": "   "}, "subject", "enter a subject", id="blank-subject"),
        pytest.param(
            {"subject": "VPN", "tags": " ".join(f"t{n}" for n in range(11))},
            "tags",
            "at most 10 tags",
            id="too-many-tags",
        ),
    ],
)
async def test_invalid_form_answers_inline_and_creates_nothing(
    app: Harness, listener_runs: ListenerRuns, typed: dict[str, str], block: str, words: str
) -> None:
    await app.command("")
    view = await app.opened_view()

    answer = await app.submit(view, **typed)

    body = answer.json()
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [block]
    assert words in body["errors"][block]
    assert await listener_runs.settle() == 2  # the command's and the submission's
    assert app.desk.calls == []
    assert app.slack.count("views.update") == 0
    assert app.slack.count("chat.postMessage") == 0
