""" "My requests" in Slack: the Home tab, `/ticket list|INC-12|help`, Add comment and Close.

Requests are seeded in the fake ServiceOps as filed in the portal, for the person and for
someone else; what the person sees is read back from the views Slack was asked to publish.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.harness import OTHER_USER, USER, USER_EMAIL, Harness, button_value, text_of
from tests.fakes import slack_requests as sr

OTHER_EMAIL = "grace@example.com"
DAY = 86400.0


async def open_home(app: Harness, *, user: str = USER, publishes: int = 1) -> dict[str, Any]:
    """Open the Home tab as Slack does; the view published after `publishes` calls."""
    before = app.slack.count("views.publish")
    await app.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"})
    await app.slack.wait_for("views.publish", count=before + publishes, timeout=15)
    return app.slack.home_views[user]


def rows_of(view: dict[str, Any]) -> list[str]:
    """The ticket numbers of the rows shown, top to bottom."""
    numbers = []
    for block in view["blocks"]:
        if block.get("type") == "actions" and str(block.get("block_id", "")).startswith("req:"):
            value = block["elements"][0]["value"]
            numbers.append(json.loads(value)["number"])
    return numbers


async def click_in_home(
    app: Harness, action_id: str, value: str | None, *, user: str = USER
) -> None:
    home = app.slack.home_views[user]
    await app.send(
        sr.block_action(
            action_id,
            value,
            user_id=user,
            trigger_id=app.slack.new_trigger_id(),
            container={"type": "view", "view_id": home["id"]},
            view=home,
        )
    )


def value_for(view: dict[str, Any], number: str) -> str:
    for block in view["blocks"]:
        for element in block.get("elements", []):
            if element.get("value") and json.loads(element["value"]).get("number") == number:
                return str(element["value"])
    raise AssertionError(f"no row for {number}")


async def test_home_tab_with_no_requests(app: Harness) -> None:
    app.desk.seed_request(OTHER_EMAIL, "Someone else's laptop")

    view = await open_home(app)

    assert "You have no open requests" in text_of(view)
    assert "laptop" not in text_of(view)
    assert button_value(view["blocks"], "my_requests_new_ticket") is None  # a plain button
    assert any(
        e.get("action_id") == "my_requests_new_ticket"
        for b in view["blocks"]
        for e in b.get("elements", [])
    )


async def test_home_tab_lists_own_requests_open_first_then_recently_closed(app: Harness) -> None:
    old_open = app.desk.seed_request(USER_EMAIL, "VPN drops", updated_ago=3 * DAY)
    fresh = app.desk.seed_request(USER_EMAIL, "Printer <b>jammed</b> *now*", updated_ago=2 * 3600)
    closed = app.desk.seed_request(USER_EMAIL, "Mouse", status="Closed", updated_ago=DAY)
    app.desk.seed_request(USER_EMAIL, "Ancient", status="Closed", updated_ago=40 * DAY)
    app.desk.seed_request(OTHER_EMAIL, "Grace's keyboard")

    view = await open_home(app)

    assert rows_of(view) == [fresh["name"], old_open["name"], closed["name"]]
    shown = text_of(view)
    assert "Ancient" not in shown
    assert "Grace" not in shown
    assert "2 h ago" in shown
    assert "Printer &lt;b&gt;jammed&lt;/b&gt;" in shown  # ServiceOps' text is escaped
    # a closed request offers no Close; an open one does, behind a confirmation
    closed_row = next(b for b in view["blocks"] if b.get("block_id") == f"req:{closed['id']}")
    assert [e["action_id"] for e in closed_row["elements"]] == ["my_request_comment"]
    open_row = next(b for b in view["blocks"] if b.get("block_id") == f"req:{fresh['id']}")
    assert open_row["elements"][1]["confirm"]["confirm"]["text"] == "Close it"


async def test_home_tab_with_60_requests_is_paged(app: Harness) -> None:
    for number in range(60):
        app.desk.seed_request(USER_EMAIL, f"Request {number}", updated_ago=60 * (number + 1))

    first = await open_home(app)
    assert len(first["blocks"]) <= 100
    assert len(rows_of(first)) == 20
    assert "Showing 1–20 of 60" in text_of(first)
    assert rows_of(first)[0] == app.desk.created[0]["name"]  # the most recently changed

    await click_in_home(app, "my_requests_more", button_value(first["blocks"], "my_requests_more"))
    await app.slack.wait_for("views.publish", count=2)
    second = app.slack.home_views[USER]
    assert len(rows_of(second)) == 20
    assert not set(rows_of(second)) & set(rows_of(first))
    assert "Showing 21–40 of 60" in text_of(second)
    # the second page came from the person's cached list: one search for both
    assert len(app.desk.calls_of("search")) == 1


async def test_add_comment_adds_one_requester_reply(app: Harness) -> None:
    request = app.desk.seed_request(USER_EMAIL, "VPN drops")
    home = await open_home(app)

    await click_in_home(app, "my_request_comment", value_for(home, request["name"]))
    modal = await app.opened_view()
    assert modal["callback_id"] == "my_request_comment_form"
    values = {"comment": sr.text_value("Still broken after the <reboot> & update")}
    answer = await app.send(sr.view_submission(modal, values, user_id=USER))
    assert answer.json()["response_action"] == "update"
    app.slack.replace_view(modal["id"], answer.json()["view"])

    await app.slack.wait_for("views.update", where=lambda c: c.ok, timeout=10)
    assert "Your comment was added to " + request["name"] in text_of(app.slack.views[modal["id"]])
    entries = app.desk.conversations(request["id"])
    assert len(entries) == 1
    assert entries[0]["conversationType"] == "requestor_to_technician"
    assert "&lt;reboot&gt; &amp; update" in entries[0]["details"]
    await app.slack.wait_for("views.publish", count=2)  # the tab is refreshed


async def test_close_own_request_patches_it(app: Harness) -> None:
    request = app.desk.seed_request(USER_EMAIL, "VPN drops")
    home = await open_home(app)

    await click_in_home(app, "my_request_close", value_for(home, request["name"]))
    await app.slack.wait_for("views.publish", count=2, timeout=10)

    assert [(p.request_id, p.body) for p in app.desk.patches] == [
        (request["id"], {"statusName": "Closed"})
    ]
    refreshed = app.slack.home_views[USER]
    assert f"{request['name']} is closed." in text_of(refreshed)
    assert button_value(refreshed["blocks"], "my_request_close") is None  # now closed


async def test_close_someone_elses_request_is_refused(app: Harness) -> None:
    mine = app.desk.seed_request(USER_EMAIL, "VPN drops")
    theirs = app.desk.seed_request(OTHER_EMAIL, "Grace's keyboard")
    await open_home(app)

    forged = json.dumps({"id": theirs["id"], "number": mine["name"]})
    await click_in_home(app, "my_request_close", forged)
    await app.slack.wait_for("views.publish", count=2, timeout=10)

    assert app.desk.patches == []
    assert "Only the requester can do that." in text_of(app.slack.home_views[USER])
    assert app.desk.stored_request(theirs["id"])["statusName"] == "Open"


async def test_ticket_list_answers_privately(app: Harness) -> None:
    mine = app.desk.seed_request(USER_EMAIL, "VPN drops")
    app.desk.seed_request(OTHER_EMAIL, "Grace's keyboard")

    await app.command("list")
    posts = await app.slack.wait_for("response_url", where=lambda c: c.ok)

    answer = posts[-1].args
    assert answer["response_type"] == "ephemeral"
    assert mine["name"] in text_of(answer)
    assert "keyboard" not in text_of(answer)
    assert app.slack.count("views.open") == 0
    assert app.slack.count("chat.postMessage") == 0


async def test_ticket_number_shows_status_assignee_and_public_entries(app: Harness) -> None:
    mine = app.desk.seed_request(USER_EMAIL, "VPN drops")
    app.desk.set_status(mine["id"], "In Progress", technician="Sam <Lee>")
    app.desk.reply_to_requester(mine["id"], "Please try the <new> profile")
    app.desk._add_conversation(  # an internal note: never shown to the requester
        mine["id"], {"conversationType": "note", "details": "<p>secret note</p>"}, by=("T", "t@x")
    )

    await app.command(mine["name"].lower())
    posts = await app.slack.wait_for("response_url", where=lambda c: c.ok)

    shown = text_of(posts[-1].args)
    assert posts[-1].args["response_type"] == "ephemeral"
    assert "In Progress" in shown
    assert "Sam &lt;Lee&gt;" in shown
    assert "Please try the &lt;new&gt; profile" in shown
    assert "secret note" not in shown


async def test_ticket_number_of_someone_else_is_refused(app: Harness) -> None:
    theirs = app.desk.seed_request(OTHER_EMAIL, "Grace's keyboard")

    await app.command(theirs["name"])
    posts = await app.slack.wait_for("response_url", where=lambda c: c.ok)

    assert "isn't one of your requests" in text_of(posts[-1].args)
    assert "keyboard" not in text_of(posts[-1].args)


async def test_ticket_help_explains_the_three_forms(app: Harness) -> None:
    await app.command("help")
    posts = await app.slack.wait_for("response_url", where=lambda c: c.ok)

    shown = text_of(posts[-1].args)
    assert "/ticket list" in shown
    assert "/ticket INC-12" in shown
    assert "what's wrong" in shown
    assert app.slack.count("views.open") == 0


async def test_other_text_still_opens_the_form(app: Harness) -> None:
    await app.command("list of printers is wrong")
    view = await app.opened_view()
    assert view["callback_id"] == "ticket_form"


async def test_outage_shows_cant_load_with_retry(app: Harness) -> None:
    mine = app.desk.seed_request(USER_EMAIL, "VPN drops")
    app.desk.fail_next("search", 503, retry_after=0, times=20)

    view = await open_home(app)
    if "Loading" in text_of(view):
        await app.slack.wait_for("views.publish", count=2, timeout=15)
        view = app.slack.home_views[USER]
    assert "can't load your requests right now" in text_of(view)
    assert any(
        e.get("action_id") == "my_requests_refresh" and e["text"]["text"] == "Retry"
        for b in view["blocks"]
        for e in b.get("elements", [])
    )

    app.desk._faults.clear()
    before = app.slack.count("views.publish")
    await click_in_home(app, "my_requests_refresh", None)
    await app.slack.wait_for("views.publish", count=before + 1, timeout=10)
    assert rows_of(app.slack.home_views[USER]) == [mine["name"]]


@pytest.mark.parametrize("settings_overrides", [{"serviceops_requester_key": "request.requester"}])
async def test_a_wrong_requester_key_never_shows_anyone_elses_tickets(app: Harness) -> None:
    mine = app.desk.seed_request(USER_EMAIL, "VPN drops")
    for number in range(5):
        app.desk.seed_request(OTHER_EMAIL, f"Grace's request {number}")

    view = await open_home(app)

    assert rows_of(view) == [mine["name"]]  # the fake ignored the unknown key
    assert "Grace" not in text_of(view)
    await app.command("list", user=OTHER_USER)
    posts = await app.slack.wait_for("response_url", where=lambda c: c.ok)
    assert mine["name"] not in text_of(posts[-1].args)
    assert "Grace's request 0" in text_of(posts[-1].args)


@pytest.mark.parametrize("settings_overrides", [{"serviceops_requester_key": "request.requester"}])
async def test_a_refused_requester_key_falls_back_to_filtering(app: Harness) -> None:
    app.desk.strict_search_keys = True
    mine = app.desk.seed_request(USER_EMAIL, "VPN drops")
    app.desk.seed_request(OTHER_EMAIL, "Grace's keyboard")

    view = await open_home(app)

    assert rows_of(view) == [mine["name"]]
    searches = app.desk.calls_of("search")
    assert [bool(call.json) for call in searches] == [True, False]  # qualified, then not


async def test_show_more_under_ticket_list_replaces_the_private_list(app: Harness) -> None:
    for number in range(15):
        app.desk.seed_request(USER_EMAIL, f"Request {number}", updated_ago=60 * (number + 1))
    await app.command("list")
    [first] = await app.slack.wait_for("response_url", where=lambda c: c.ok)
    listed = first.args
    more = button_value(listed["blocks"], "my_requests_more")
    assert more == "10"

    response_url = app.slack.response_url()
    await app.send(
        sr.block_action(
            "my_requests_more",
            more,
            user_id=USER,
            trigger_id=app.slack.new_trigger_id(),
            container={"type": "message", "message_ts": "1.2", "is_ephemeral": True},
            response_url=response_url,
        )
    )
    posts = await app.slack.wait_for("response_url", count=2, where=lambda c: c.ok)

    second = posts[-1].args
    assert second["replace_original"] is True
    assert "Showing 11–15 of 15" in text_of(second)
    assert len(app.desk.calls_of("search")) == 1  # the cached list
