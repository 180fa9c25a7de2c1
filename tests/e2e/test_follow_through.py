"""Follow-through on Slack: after a ticket is filed, its thread and its request stay in step.

The app runs with the follow-through intake (`POST /serviceops/events`, Bearer secret) next to
`/slack/events`; the technician is played on the fake ServiceOps (`set_status`,
`reply_to_requester`), ServiceOps' workflow by calling the webhook. What the bot posts in
Slack and writes to the request is read back from the fakes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cache import build_cache
from bot.config import ChannelDefaults, FormConfig
from bot.core import follow
from bot.slack import ids
from bot.webhook import PATH as WEBHOOK_PATH
from tests.e2e.harness import (
    CHANNEL,
    OTHER_USER,
    USER,
    WEBHOOK_SECRET,
    Harness,
    ListenerRuns,
    button_value,
    created_view,
    follow_settings,
    message_shortcut,
    start_harness,
    stop_harness,
    submit_as_shown,
    text_of,
)
from tests.fakes import slack_requests as sr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack
from tests.redis_server import RedisServer

QUICK = 0.05
"""The follower's debounce in tests that do not measure it (seconds)."""


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return follow_settings()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """ServiceOps being down is retried after 2, 5, 10… seconds; here after a few ms."""
    monkeypatch.setattr(follow, "RETRY_DELAYS", (0.05, 0.1, 0.2, 0.4))


@pytest.fixture
def app_quick(app: Harness) -> Harness:
    app.bot.core.follower.debounce = QUICK
    return app


# --------------------------------------------------------------------------- helpers


async def file_by_command(app: Harness, subject: str, *, user: str = USER) -> dict[str, Any]:
    """`/ticket subject` in the channel, the form submitted as shown; the request created,
    once its announcement (the root of its thread) is posted. Safe to run concurrently."""
    trigger = app.slack.new_trigger_id()
    command = sr.slash_command(
        subject,
        user_id=user,
        channel_id=CHANNEL,
        trigger_id=trigger,
        response_url=app.slack.response_url(),
    )
    assert (await app.send(command)).status_code == 200
    [opened] = await app.slack.wait_for(
        "views.open", where=lambda c: c.ok and c.args.get("trigger_id") == trigger
    )
    view = app.slack.views[opened.response["view"]["id"]]
    await submit_as_shown(app, view, user=user)
    await app.slack.wait_for(
        "views.update",
        timeout=15,
        where=lambda c: created_view(c) and c.args.get("view_id") == view["id"],
    )
    [created] = [c for c in app.desk.created if c["subject"] == subject]
    return created


def announcement_of(slack: FakeSlack, created: dict[str, Any]) -> dict[str, Any]:
    """The bot's top-level message announcing `created` in the channel."""
    [message] = [
        m
        for m in slack.messages_in(CHANNEL)
        if created["name"] in m["text"] and not m.get("thread_ts")
    ]
    return message


def thread_posts(slack: FakeSlack, thread_ts: str, channel: str = CHANNEL) -> list[dict[str, Any]]:
    """What the bot posted in a thread."""
    return slack.messages_in(channel, thread_ts)


def status_posts(slack: FakeSlack, number: str) -> list[dict[str, Any]]:
    """Every "INC-… is now …" the bot posted, wherever."""
    return [m for m in slack.messages if m["text"].startswith(f"{number} is now ")]


def reads_of(desk: FakeServiceOps, request_id: int) -> int:
    """GETs of one request the fake ServiceOps answered (or refused)."""
    return len([c for c in desk.calls_of("get") if c.path.endswith(f"/request/{request_id}")])


async def wait_until(check: Callable[[], bool], timeout: float = 5) -> None:
    """Until `check()` holds (for what a background loop does, with nothing to await)."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


def thread_reply(
    text: str, *, user: str, thread_ts: str, ts: str, channel: str = CHANNEL
) -> dict[str, Any]:
    """The `message` event of a person's reply in a channel thread (`message.channels`)."""
    return {
        "type": "message",
        "channel_type": "channel",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        "event_ts": ts,
    }


def new_ts() -> str:
    return f"{time.time():.6f}"


# --------------------------------------------------------------------------- status changes


async def test_status_change_is_posted_once_in_the_announcements_thread(
    app_quick: Harness,
) -> None:
    app = app_quick
    created = await file_by_command(app, "Printer on floor 3 is jammed")
    root = announcement_of(app.slack, created)["ts"]
    app.desk.set_status(created["id"], "In Progress", technician="Sam Lee")

    answer = await app.webhook({"requestId": created["id"]})
    assert answer.status_code == 202
    assert answer.json() == {"accepted": True}
    await app.follow_settled()

    [post] = thread_posts(app.slack, root)
    assert post["text"] == f"{created['name']} is now In Progress"
    assert "is now *In Progress* (Sam Lee)" in text_of(post["blocks"])
    assert created["name"] in text_of(post["blocks"])
    assert "Yes, close it" not in text_of(post["blocks"])  # only a resolved ticket asks

    reads = reads_of(app.desk, created["id"])
    assert (await app.webhook({"requestId": created["id"]})).status_code == 202
    await app.follow_settled()
    assert reads_of(app.desk, created["id"]) == reads + 1  # read again, and found it told
    assert len(thread_posts(app.slack, root)) == 1
    assert len(status_posts(app.slack, created["name"])) == 1


async def test_a_request_named_by_its_number_is_followed_too(app_quick: Harness) -> None:
    app = app_quick
    created = await file_by_command(app, "Scanner shows error 42")
    root = announcement_of(app.slack, created)["ts"]
    app.desk.set_status(created["id"], "Pending", technician="Sam Lee")

    assert (await app.webhook({"request": created["name"]})).status_code == 202
    await app.follow_settled()
    assert (await app.webhook({"request": created["name"].lower()})).status_code == 202
    await app.follow_settled()

    [post] = thread_posts(app.slack, root)
    assert "is now *Pending* (Sam Lee)" in text_of(post["blocks"])
    assert len(app.desk.calls_of("search")) >= 2  # looked up by number each time


async def test_a_ticket_from_a_message_shortcut_is_followed_in_that_messages_thread(
    app_quick: Harness,
) -> None:
    app = app_quick
    message = sr.chat_message("VPN drops every 5 minutes", user=OTHER_USER, ts="1700000100.000200")
    assert (await message_shortcut(app, message)).status_code == 200
    await submit_as_shown(app, await app.opened_view())
    await app.slack.wait_for("views.update", where=created_view)
    [created] = app.desk.created
    app.desk.set_status(created["id"], "In Progress", technician="Sam Lee")

    await app.webhook({"requestId": created["id"]})
    await app.follow_settled()

    announcement, status = thread_posts(app.slack, "1700000100.000200")
    assert " created ticket " in announcement["text"]
    assert created["name"] in announcement["text"]
    assert status["text"] == f"{created['name']} is now In Progress"
    assert "is now *In Progress* (Sam Lee)" in text_of(status["blocks"])


async def test_the_link_survives_a_restart(
    slack: FakeSlack, desk: FakeServiceOps, form_config: FormConfig, tmp_path: Path
) -> None:
    state = f"sqlite:///{tmp_path}/state.sqlite3"
    first, runner = await start_harness(
        slack, desk, form_config, **follow_settings(state_url=state)
    )
    try:
        created = await file_by_command(first, "Projector in room 4 is broken")
    finally:
        await stop_harness(first, runner)
    root = announcement_of(slack, created)["ts"]
    desk.set_status(created["id"], "In Progress", technician="Sam Lee")

    # A new process: an empty cache, the same SQLite file.
    second, runner = await start_harness(
        slack, desk, form_config, **follow_settings(state_url=state)
    )
    try:
        second.bot.core.follower.debounce = QUICK
        assert (await second.webhook({"requestId": created["id"]})).status_code == 202
        await second.follow_settled()
        assert (await second.webhook({"requestId": created["id"]})).status_code == 202
        await second.follow_settled()
    finally:
        await stop_harness(second, runner)

    [post] = thread_posts(slack, root)
    assert "is now *In Progress* (Sam Lee)" in text_of(post["blocks"])


@pytest.fixture
async def redis_replicas(
    slack: FakeSlack,
    desk: FakeServiceOps,
    form_config: FormConfig,
    redis_url: str,
    redis_server: RedisServer,
) -> AsyncIterator[tuple[Harness, Harness]]:
    """Two app instances sharing one Redis: the cache on database 0 (`CACHE_URL`), the links
    on database 1 (`STATE_URL`)."""
    state = redis_server.url(1)
    apps = []
    for _ in range(2):
        apps.append(
            await start_harness(
                slack,
                desk,
                form_config,
                cache=build_cache(redis_url),
                **follow_settings(cache_url=redis_url, state_url=state),
            )
        )
    for harness, _ in apps:
        harness.bot.core.follower.debounce = QUICK
    yield apps[0][0], apps[1][0]
    for harness, runner in apps:
        await stop_harness(harness, runner)


async def test_two_replicas_called_for_one_change_post_once(
    redis_replicas: tuple[Harness, Harness],
) -> None:
    first, second = redis_replicas
    created = await file_by_command(first, "Badge reader at the door is dead")
    root = announcement_of(first.slack, created)["ts"]
    first.desk.set_status(created["id"], "In Progress", technician="Sam Lee")

    answers = await asyncio.gather(
        first.webhook({"requestId": created["id"]}),
        second.webhook({"requestId": created["id"]}),
        second.webhook({"request": created["name"]}),
    )
    assert [a.status_code for a in answers] == [202, 202, 202]
    await asyncio.gather(first.follow_settled(), second.follow_settled())

    [post] = thread_posts(first.slack, root)
    assert "is now *In Progress* (Sam Lee)" in text_of(post["blocks"])
    link = await second.bot.core.links.get(created["id"])
    assert link is not None
    assert link.last_status == "In Progress"


# --------------------------------------------------------------------------- the endpoint


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer wrong-secret-0123456789",
        f"Bearer {WEBHOOK_SECRET}x",
        f"Basic {WEBHOOK_SECRET}",
        WEBHOOK_SECRET,
    ],
)
async def test_a_call_without_the_secret_is_refused_before_anything_happens(
    app_quick: Harness, authorization: str | None
) -> None:
    app = app_quick
    created = await file_by_command(app, "Monitor flickers")
    app.desk.set_status(created["id"], "In Progress", technician="Sam Lee")
    calls = len(app.desk.calls)
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization

    answer = await app.http.post(
        app.url + "/serviceops/events",
        content=b'{"requestId": %d}' % created["id"],
        headers=headers,
    )

    assert answer.status_code == 401
    assert answer.json() == {"error": "unauthorized"}
    await app.follow_settled()
    assert len(app.desk.calls) == calls  # ServiceOps was not asked anything
    assert status_posts(app.slack, created["name"]) == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", 'expected a JSON object like {"requestId": 42} or {"request": "INC-12"}'),
        (b"{not json", "the body is not JSON"),
        (b"[42]", 'expected a JSON object like {"requestId": 42} or {"request": "INC-12"}'),
        (b"{}", 'name the request: {"requestId": 42} or {"request": "INC-12"}'),
        (b'{"requestId": 0}', 'name the request: {"requestId": 42} or {"request": "INC-12"}'),
        (b'{"requestId": true}', 'name the request: {"requestId": 42} or {"request": "INC-12"}'),
        (b'{"requestId": "abc"}', 'name the request: {"requestId": 42} or {"request": "INC-12"}'),
        (b'{"request": "   "}', 'name the request: {"requestId": 42} or {"request": "INC-12"}'),
    ],
)
async def test_a_malformed_body_is_refused_with_a_reason(
    app_quick: Harness, content: bytes, reason: str
) -> None:
    calls = len(app_quick.desk.calls)

    answer = await app_quick.webhook(content=content)

    assert answer.status_code == 400
    assert answer.json() == {"error": reason}
    assert len(app_quick.desk.calls) == calls


async def test_a_body_too_large_is_refused(app_quick: Harness) -> None:
    answer = await app_quick.webhook(content=b'{"requestId": 42, "pad": "' + b"x" * 20000 + b'"}')
    assert answer.status_code == 413


async def test_an_unknown_request_is_accepted_and_nothing_is_posted(app_quick: Harness) -> None:
    app = app_quick
    created = await file_by_command(app, "Keyboard missing keys")
    posted = len(app.slack.messages)
    searches = len(app.desk.calls_of("search"))

    answers = [
        await app.webhook({"requestId": 999999}),
        await app.webhook({"requestId": "424242"}),
        await app.webhook({"request": "INC-99999"}),
        await app.webhook({"requestId": created["id"] + 1000, "status": "Resolved"}),
    ]
    await app.follow_settled()

    assert [a.status_code for a in answers] == [202, 202, 202, 202]
    assert len(app.slack.messages) == posted
    assert app.desk.calls_of("get") == []  # nothing linked: nothing to read
    assert len(app.desk.calls_of("search")) == searches + 1  # the number was looked up


async def test_the_payload_is_never_trusted_for_the_status(app_quick: Harness) -> None:
    app = app_quick
    created = await file_by_command(app, "Mouse is sticky")

    await app.webhook({"requestId": created["id"], "statusName": "Resolved", "status": "Closed"})
    await app.follow_settled()

    assert reads_of(app.desk, created["id"]) == 1
    assert status_posts(app.slack, created["name"]) == []  # still Open in ServiceOps


async def test_without_a_secret_there_is_no_webhook(
    slack: FakeSlack, desk: FakeServiceOps, form_config: FormConfig
) -> None:
    app, runner = await start_harness(slack, desk, form_config)
    try:
        answer = await app.webhook({"requestId": 60})
    finally:
        await stop_harness(app, runner)
    assert answer.status_code in (404, 405)


# --------------------------------------------------------------------------- polling


async def test_polling_finds_a_change_without_the_webhook(
    slack: FakeSlack, desk: FakeServiceOps, form_config: FormConfig
) -> None:
    app, runner = await start_harness(
        slack, desk, form_config, **follow_settings(serviceops_poll_seconds=1)
    )
    try:
        created = await file_by_command(app, "Fridge in the kitchen is warm")
        root = announcement_of(slack, created)["ts"]
        desk.set_status(created["id"], "In Progress", technician="Sam Lee")

        await slack.wait_for(
            "chat.postMessage",
            timeout=5,
            where=lambda c: c.ok and c.args.get("thread_ts") == root,
        )
        reads = reads_of(desk, created["id"])
        await wait_until(lambda: reads_of(desk, created["id"]) > reads)  # the next round
        await app.follow_settled()
    finally:
        await stop_harness(app, runner)

    [post] = thread_posts(slack, root)
    assert "is now *In Progress* (Sam Lee)" in text_of(post["blocks"])


# --------------------------------------------------------------------------- resolved: fixed?


def fixed_buttons(post: dict[str, Any]) -> tuple[str | None, str | None]:
    return (
        button_value(post["blocks"], ids.FIXED_ACTION),
        button_value(post["blocks"], ids.REOPEN_ACTION),
    )


async def resolved(app: Harness, subject: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """File a ticket, resolve it in ServiceOps, call the webhook: (request, thread, post)."""
    created = await file_by_command(app, subject)
    root = announcement_of(app.slack, created)["ts"]
    app.desk.set_status(
        created["id"],
        "Resolved",
        technician="Sam Lee",
        resolution="<p>Replaced the <b>fuser</b> unit &amp; cleaned tray 2</p>",
    )
    await app.webhook({"requestId": created["id"]})
    await app.follow_settled()
    [post] = thread_posts(app.slack, root)
    return created, root, post


async def press(
    app: Harness, action: str, post: dict[str, Any], *, user: str
) -> tuple[int, list[dict[str, Any]]]:
    """Press a button of the bot's message `post`; its HTTP status and what the person was
    told through the click's response URL."""
    hook = app.slack.response_url()
    token = hook.rsplit("/", 1)[1]
    value = button_value(post["blocks"], action)
    answer = await app.send(
        sr.block_action(
            action,
            value,
            user_id=user,
            trigger_id=app.slack.new_trigger_id(),
            channel_id=CHANNEL,
            message={k: v for k, v in post.items() if k != "channel"},
            response_url=hook,
        )
    )
    return answer.status_code, app.slack.response_urls[token].posts


async def test_resolved_shows_the_resolution_and_asks_the_requester(app_quick: Harness) -> None:
    created, _, post = await resolved(app_quick, "Printer prints blank pages")

    shown = text_of(post["blocks"])
    assert "is now *Resolved* (Sam Lee)" in shown
    assert "Resolution:" in shown
    assert "Replaced the fuser unit &amp; cleaned tray 2" in shown  # words, escaped for Slack
    assert "<b>" not in shown
    assert f"<@{USER}>, is it fixed?" in shown
    assert "Yes, close it" in shown
    assert "No, reopen" in shown
    assert fixed_buttons(post) == (str(created["id"]), str(created["id"]))


async def test_the_requester_closes_a_resolved_ticket(
    app_quick: Harness, listener_runs: ListenerRuns
) -> None:
    app = app_quick
    created, root, post = await resolved(app, "Printer prints blank pages")

    status, told = await press(app, ids.FIXED_ACTION, post, user=USER)
    assert status == 200
    await listener_runs.settle()
    await app.follow_settled()

    [patch] = app.desk.patches
    assert (patch.request_id, patch.body, patch.refused) == (
        created["id"],
        {"statusName": "Closed"},
        None,
    )
    assert [m["text"] for m in told] == [f"Thanks! {created['name']} is closed."]
    assert told[0]["response_type"] == "ephemeral"
    assert app.desk.stored_request(created["id"])["statusName"] == "Closed"
    # The thread hears it too, once; nothing more is followed after Closed.
    posts = thread_posts(app.slack, root)
    assert [p["text"] for p in posts] == [
        f"{created['name']} is now Resolved",
        f"{created['name']} is now Closed",
    ]


async def test_the_requester_reopens_a_resolved_ticket(
    app_quick: Harness, listener_runs: ListenerRuns
) -> None:
    app = app_quick
    created, _, post = await resolved(app, "Wi-Fi drops in room 7")

    _, told = await press(app, ids.REOPEN_ACTION, post, user=USER)
    await listener_runs.settle()
    await app.follow_settled()

    assert [p.body for p in app.desk.patches] == [{"statusName": "Open"}]
    assert [m["text"] for m in told] == [
        f"{created['name']} is reopened; the service desk will have another look."
    ]


async def test_someone_else_pressing_fixed_is_refused_privately(
    app_quick: Harness, listener_runs: ListenerRuns
) -> None:
    app = app_quick
    created, root, post = await resolved(app, "Printer prints blank pages")

    _, told = await press(app, ids.FIXED_ACTION, post, user=OTHER_USER)
    await listener_runs.settle()
    await app.follow_settled()
    _, told_reopen = await press(app, ids.REOPEN_ACTION, post, user=OTHER_USER)
    await listener_runs.settle()

    assert app.desk.patches == []
    assert [m["text"] for m in told + told_reopen] == [
        f"Only the person who filed {created['name']} can do that."
    ] * 2
    assert all(m["response_type"] == "ephemeral" for m in told + told_reopen)
    assert len(thread_posts(app.slack, root)) == 1  # nothing public


# --------------------------------------------------------------------------- desk replies


async def test_a_technicians_reply_is_posted_once_as_from_the_service_desk(
    app_quick: Harness,
) -> None:
    app = app_quick
    created = await file_by_command(app, "Laptop battery swollen")
    root = announcement_of(app.slack, created)["ts"]
    app.desk.reply_to_requester(created["id"], "Please bring it to desk 4 <today>", by="Sam Lee")
    app.desk.conversations(created["id"]).append(  # an internal note: never shown
        {"id": 900, "conversationType": "note", "details": "<p>internal: order one</p>"}
    )

    await asyncio.gather(
        app.webhook({"requestId": created["id"]}), app.webhook({"requestId": created["id"]})
    )
    await app.follow_settled()
    await app.webhook({"requestId": created["id"]})
    await app.follow_settled()

    [post] = thread_posts(app.slack, root)
    shown = text_of(post["blocks"])
    assert post["text"] == f"The service desk replied on {created['name']}"
    assert "*Service desk* (Sam Lee)" in shown
    assert "Please bring it to desk 4 &lt;today&gt;" in shown
    assert "internal" not in shown


# --------------------------------------------------------------------------- thread replies


async def test_replies_in_the_thread_become_entries_on_the_request(
    app_quick: Harness, listener_runs: ListenerRuns
) -> None:
    app = app_quick
    created = await file_by_command(app, "Door code does not work")
    root = announcement_of(app.slack, created)["ts"]
    mine, theirs = new_ts(), f"{float(new_ts()) + 1:.6f}"

    # Slack escapes what people type: `<b>` arrives as `&lt;b&gt;`.
    typed = "Still broken &lt;b&gt;today&lt;/b&gt; &amp; yesterday"
    await app.event(thread_reply(typed, user=USER, thread_ts=root, ts=mine))
    await app.event(thread_reply("Same for me", user=OTHER_USER, thread_ts=root, ts=theirs))
    await listener_runs.settle()

    entries = app.desk.conversations(created["id"])
    assert [e["conversationType"] for e in entries] == ["requestor_to_technician", "note"]
    requester, colleague = (e["details"] for e in entries)
    assert "Still broken &lt;b&gt;today&lt;/b&gt; &amp; yesterday" in requester
    assert f"https://example.slack.com/archives/{CHANNEL}/p{mine.replace('.', '')}" in requester
    assert "From grace in Slack: Same for me" in colleague  # their display name
    assert f"/p{theirs.replace('.', '')}" in colleague
    assert len(app.slack.messages) == 1  # the bot answered nothing in the thread


async def test_a_reply_delivered_twice_makes_one_entry(
    app_quick: Harness, listener_runs: ListenerRuns
) -> None:
    app = app_quick
    created = await file_by_command(app, "Door code does not work")
    root = announcement_of(app.slack, created)["ts"]
    event = thread_reply("Any news?", user=USER, thread_ts=root, ts=new_ts())

    await app.event(event, event_id="Ev0FOLLOW1")
    await app.event(event, event_id="Ev0FOLLOW1", retry_num=1)
    await app.event(event, event_id="Ev0FOLLOW2")  # the same message, another delivery id
    await listener_runs.settle()

    assert len(app.desk.conversations(created["id"])) == 1


async def test_the_bots_own_messages_and_other_threads_make_no_entry(
    app_quick: Harness, listener_runs: ListenerRuns
) -> None:
    app = app_quick
    created = await file_by_command(app, "Door code does not work")
    root = announcement_of(app.slack, created)["ts"]
    app.desk.set_status(created["id"], "In Progress", technician="Sam Lee")
    await app.webhook({"requestId": created["id"]})
    await app.follow_settled()
    [status] = thread_posts(app.slack, root)

    # What Slack sends back for the bot's own post in the thread, and other messages.
    own = {
        **thread_reply(status["text"], user=app.slack.bot_user_id, thread_ts=root, ts=status["ts"]),
        "bot_id": app.slack.bot_id,
    }
    await app.event(own)
    await app.event({**own, "user": None})
    await app.event(
        thread_reply("elsewhere", user=USER, thread_ts="1700000999.000100", ts=new_ts())
    )
    top = thread_reply("top level", user=USER, thread_ts=root, ts=new_ts())
    del top["thread_ts"]
    await app.event(top)
    edited = thread_reply("edited", user=USER, thread_ts=root, ts=new_ts())
    await app.event({**edited, "subtype": "message_changed"})
    await listener_runs.settle()

    assert app.desk.conversations(created["id"]) == []
    assert app.desk.notes == []


@pytest.fixture
def quiet_channel_config() -> FormConfig:
    return FormConfig(
        departments=["IT", "Facilities", "HR"],
        channels={CHANNEL: ChannelDefaults(sync_replies=False)},
    )


async def test_a_channel_that_opted_out_makes_no_entry(
    slack: FakeSlack,
    desk: FakeServiceOps,
    quiet_channel_config: FormConfig,
    listener_runs: ListenerRuns,
) -> None:
    app, runner = await start_harness(slack, desk, quiet_channel_config, **follow_settings())
    try:
        app.bot.core.follower.debounce = QUICK
        created = await file_by_command(app, "Door code does not work")
        root = announcement_of(slack, created)["ts"]
        await app.event(thread_reply("Any news?", user=USER, thread_ts=root, ts=new_ts()))
        await listener_runs.settle()
        # Status changes are still told there.
        desk.set_status(created["id"], "In Progress", technician="Sam Lee")
        await app.webhook({"requestId": created["id"]})
        await app.follow_settled()
    finally:
        await stop_harness(app, runner)

    assert desk.conversations(created["id"]) == []
    assert [m["text"] for m in thread_posts(slack, root)] == [
        f"{created['name']} is now In Progress"
    ]


async def test_mentioning_the_bot_in_a_tickets_thread_adds_to_it_and_offers_no_new_ticket(
    app_quick: Harness, listener_runs: ListenerRuns
) -> None:
    """Slack delivers such a reply twice: as `message` (a reply in the thread: the request
    gets it) and as `app_mention` (answered as in any thread that has a ticket: "already has
    a ticket", with "File a separate ticket"), never with an offer to file this one again."""
    app = app_quick
    created = await file_by_command(app, "Door code does not work")
    root = announcement_of(app.slack, created)["ts"]
    ts = new_ts()
    text = f"<@{app.slack.bot_user_id}> it is still broken"

    await app.event(thread_reply(text, user=USER, thread_ts=root, ts=ts))
    await app.event(
        sr.mention_event(
            "it is still broken", user_id=USER, channel_id=CHANNEL, ts=ts, thread_ts=root
        )
    )
    await listener_runs.settle()

    [entry] = app.desk.conversations(created["id"])
    assert entry["conversationType"] == "requestor_to_technician"
    assert entry["details"].startswith("<p>it is still broken</p>")  # without "@serviceops"
    [answer] = thread_posts(app.slack, root)
    assert answer["text"].startswith("This message already has a ticket")
    assert created["name"] in answer["text"]
    assert button_value(answer["blocks"], ids.FILE_ANYWAY_ACTION)
    assert app.desk.created == [created]


# --------------------------------------------------------------------------- failures


async def test_servicedesk_down_while_syncing_is_retried_and_posts_once(
    app_quick: Harness,
) -> None:
    app = app_quick
    created = await file_by_command(app, "Phone has no dial tone")
    root = announcement_of(app.slack, created)["ts"]
    app.desk.set_status(created["id"], "In Progress", technician="Sam Lee")
    app.desk.fail_next("get", 500, times=2)

    assert (await app.webhook({"requestId": created["id"]})).status_code == 202
    await app.follow_settled()

    assert reads_of(app.desk, created["id"]) == 3  # two failures, then the read
    [post] = thread_posts(app.slack, root)
    assert "is now *In Progress* (Sam Lee)" in text_of(post["blocks"])


async def test_conversations_down_while_syncing_is_retried_and_posts_once(
    app_quick: Harness,
) -> None:
    app = app_quick
    created = await file_by_command(app, "Phone has no dial tone")
    root = announcement_of(app.slack, created)["ts"]
    app.desk.set_status(created["id"], "In Progress", technician="Sam Lee")
    app.desk.reply_to_requester(created["id"], "Which extension?")
    app.desk.fail_next("conversations", 500, times=1)

    await app.webhook({"requestId": created["id"]})
    await app.follow_settled()

    posts = thread_posts(app.slack, root)
    assert [p["text"] for p in posts] == [
        f"{created['name']} is now In Progress",
        f"The service desk replied on {created['name']}",
    ]


async def test_a_thread_the_bot_can_no_longer_post_in_is_given_up_and_the_requester_told(
    app_quick: Harness,
) -> None:
    app = app_quick
    created = await file_by_command(app, "Scanner jams")
    root = announcement_of(app.slack, created)["ts"]
    app.desk.set_status(created["id"], "In Progress", technician="Sam Lee")
    app.slack.fail_next("chat.postMessage", "channel_not_found")

    await app.webhook({"requestId": created["id"]})
    await app.follow_settled()

    assert thread_posts(app.slack, root) == []
    dm = app.slack.dm_channel(USER)
    [told] = app.slack.messages_in(dm)
    assert f"I can't post updates about {created['name']}" in told["text"]
    assert created["name"] in told["text"]
    link = await app.bot.core.links.get(created["id"])
    assert link is not None
    assert link.broken

    # Later changes post nothing more, anywhere.
    app.desk.set_status(created["id"], "Resolved", technician="Sam Lee", resolution="Cleaned")
    app.desk.reply_to_requester(created["id"], "Done")
    await app.webhook({"requestId": created["id"]})
    await app.follow_settled()
    assert thread_posts(app.slack, root) == []
    assert len(app.slack.messages_in(dm)) == 1


# --------------------------------------------------------------------------- a burst


async def burst(app: Harness, bodies: list[dict[str, Any]], connections: int = 50) -> list[int]:
    """POST every body to the webhook at once, as ServiceOps' workflow engine would, over a
    pool of `connections` (aiohttp: the harness's httpx2 client needs ~3 ms of the shared
    loop per call, which would spread the burst over seconds); the statuses answered."""
    headers = {"Authorization": f"Bearer {WEBHOOK_SECRET}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def call(body: dict[str, Any]) -> int:
            async with http.post(
                app.url + WEBHOOK_PATH, data=json.dumps(body), headers=headers
            ) as answer:
                await answer.read()
                return answer.status

        return await asyncio.gather(*(call(body) for body in bodies))


async def test_a_burst_of_calls_costs_one_read_per_request(app: Harness) -> None:
    """500 calls about 50 changed requests, all at once (several workflows firing,
    ServiceOps retrying): one read and one post per request."""
    created = await asyncio.gather(
        *(file_by_command(app, f"Printer {n} is jammed") for n in range(50))
    )
    roots = {c["id"]: announcement_of(app.slack, c)["ts"] for c in created}
    for request in created:
        app.desk.set_status(request["id"], "In Progress", technician="Sam Lee")
    reads = len(app.desk.calls_of("get"))

    answers = await burst(app, [{"requestId": c["id"]} for _ in range(10) for c in created])
    await app.follow_settled()

    assert answers == [202] * 500
    assert len(app.desk.calls_of("get")) - reads <= 50
    for request in created:
        [post] = thread_posts(app.slack, roots[request["id"]])
        assert post["text"] == f"{request['name']} is now In Progress"


async def test_calls_that_keep_coming_close_together_cost_one_read(app: Harness) -> None:
    """Calls about one request, each shortly after the last, for longer than the debounce
    (0.5 s): still one read, made once they stop."""
    created = await file_by_command(app, "Printer is jammed")
    app.desk.set_status(created["id"], "In Progress", technician="Sam Lee")

    for _ in range(8):  # one every 0.1 s: 0.8 s in all
        assert (await app.webhook({"requestId": created["id"]})).status_code == 202
        await asyncio.sleep(0.1)
    await app.follow_settled()

    assert reads_of(app.desk, created["id"]) == 1
    assert len(status_posts(app.slack, created["name"])) == 1


async def test_stopping_while_servicedesk_is_down_does_not_wait_for_its_retries(
    slack: FakeSlack,
    desk: FakeServiceOps,
    form_config: FormConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A change noted while ServiceOps is down is retried after 2, 5, 10… seconds; SIGTERM
    must not wait minutes for those (containers are killed after ~30 s). The next start's
    webhook call (or polling) tells it."""
    monkeypatch.setattr(follow, "RETRY_DELAYS", (2, 5, 10, 30, 60, 120, 300))
    state = f"sqlite:///{tmp_path}/state.sqlite3"
    app, runner = await start_harness(slack, desk, form_config, **follow_settings(state_url=state))
    app.bot.core.follower.debounce = QUICK
    created = await file_by_command(app, "Printer is jammed")
    root = announcement_of(slack, created)["ts"]
    desk.set_status(created["id"], "In Progress", technician="Sam Lee")
    desk.fail_next("get", 500, times=2)  # down for the first try and the retry 2 s later
    await app.webhook({"requestId": created["id"]})
    await wait_until(lambda: reads_of(desk, created["id"]) == 1)

    started = time.monotonic()
    await asyncio.wait_for(stop_harness(app, runner), 10)
    assert time.monotonic() - started < 7  # not the 17 s to the third try, nor minutes

    app, runner = await start_harness(slack, desk, form_config, **follow_settings(state_url=state))
    try:
        app.bot.core.follower.debounce = QUICK
        await app.webhook({"requestId": created["id"]})
        await app.follow_settled()
    finally:
        await stop_harness(app, runner)
    [post] = thread_posts(slack, root)
    assert post["text"] == f"{created['name']} is now In Progress"


@pytest.mark.parametrize("error", ["internal_error", "ratelimited", "service_unavailable"])
async def test_slack_failing_for_a_moment_is_not_a_lost_thread(
    app_quick: Harness, error: str
) -> None:
    """Slack answering "try later" is not Slack saying the thread is gone: the link stays,
    the requester is not told it is, and the status is posted once Slack answers again."""
    app = app_quick
    created = await file_by_command(app, "Scanner jams")
    root = announcement_of(app.slack, created)["ts"]
    app.desk.set_status(created["id"], "In Progress", technician="Sam Lee")
    app.slack.fail_next("chat.postMessage", error, times=3 if error == "ratelimited" else 1)

    await app.webhook({"requestId": created["id"]})
    await app.follow_settled()

    link = await app.bot.core.links.get(created["id"])
    assert link is not None
    assert not link.broken
    assert app.slack.messages_in(app.slack.dm_channel(USER)) == []
    [post] = thread_posts(app.slack, root)
    assert post["text"] == f"{created['name']} is now In Progress"
