"""Follow-through on Teams: after a ticket is filed in a channel thread, the thread and the
request stay in step.

The Teams surface runs with the follow-through intake (`POST /serviceops/events`, Bearer
secret); the technician is played on the fake ServiceOps, ServiceOps' workflow by calling the
webhook, Teams by signed activities. What the bot posts is read back from the fake Bot
Connector, what it writes to the request from the fake ServiceOps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.cache import build_cache
from bot.config import ChannelDefaults, FormConfig
from bot.core import follow
from bot.teams import ids
from tests.e2e.harness import follow_settings
from tests.e2e.teams.harness import (
    TeamsHarness,
    dialog_card,
    start_teams,
    stop_teams,
    submit_data,
    texts,
)
from tests.fakes import teams_requests as tr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.teams_api import Call, FakeTeams
from tests.redis_server import RedisServer, redis_server, redis_url  # noqa: F401 (fixtures)

QUICK = 0.05
"""The follower's debounce in these tests (seconds)."""
ROOT = "1700000000001"
"""The channel thread tickets are filed in: its root message."""
WHERE = tr.channel()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """ServiceOps being down is retried after 2, 5, 10… seconds; here after a few ms."""
    monkeypatch.setattr(follow, "RETRY_DELAYS", (0.05, 0.1, 0.2, 0.4))


async def start(
    teams: FakeTeams, desk: FakeServiceOps, form: FormConfig | None = None, **overrides: Any
) -> TeamsHarness:
    harness = await start_teams(teams, desk, form, **follow_settings(**overrides))
    harness.app.core.follower.debounce = QUICK
    return harness


@pytest.fixture
async def bot(
    teams: FakeTeams, desk: FakeServiceOps, form_config: FormConfig
) -> AsyncIterator[TeamsHarness]:
    harness = await start(teams, desk, form_config)
    yield harness
    await stop_teams(harness)


# --------------------------------------------------------------------------- helpers


async def file_in_thread(bot: TeamsHarness, text: str, *, root: str = ROOT) -> dict[str, Any]:
    """ "Create ticket" on a reply in the channel thread `root`, the form submitted as shown;
    the request created, once announced in that thread."""
    fetch = tr.message_action_fetch(
        f"<p>{text}</p>", reply_to_id=root, conversation=WHERE, bot=bot.bot
    )
    form = dialog_card(await bot.invoke(fetch))
    payload = fetch["value"]["messagePayload"]
    await bot.invoke(
        tr.message_action_submit(
            submit_data(form), payload=payload, conversation=WHERE, bot=bot.bot
        )
    )
    await bot.settle()
    [created] = [c for c in bot.desk.created if c["subject"] == text]
    [announced] = [c for c in thread_posts(bot.teams, root) if created["name"] in c.text]
    assert " created ticket " in announced.text
    return created


def thread_posts(teams: FakeTeams, root: str = ROOT) -> list[Call]:
    """What the bot posted in the channel thread `root`."""
    return teams.posted(tr.thread_id(WHERE.id, root))


def follow_posts(teams: FakeTeams, root: str = ROOT) -> list[Call]:
    """The bot's posts in the thread other than announcements."""
    return [c for c in thread_posts(teams, root) if " created ticket " not in c.text]


def reads_of(desk: FakeServiceOps, request_id: int) -> int:
    return len([c for c in desk.calls_of("get") if c.path.endswith(f"/request/{request_id}")])


def personal_posts(teams: FakeTeams, bot: tr.Bot, person: tr.PersonLike = tr.ADA) -> list[Call]:
    return teams.posted(tr.personal_chat(person, bot=bot).id)


# --------------------------------------------------------------------------- status changes


async def test_status_change_is_posted_once_in_the_tickets_channel_thread(
    bot: TeamsHarness,
) -> None:
    created = await file_in_thread(bot, "Printer on floor 3 is jammed")
    bot.desk.set_status(created["id"], "In Progress", technician="Sam Lee")

    answer = await bot.webhook({"requestId": created["id"]})
    assert answer.status_code == 202
    await bot.follow_settled()
    assert (await bot.webhook({"requestId": created["id"]})).status_code == 202
    await bot.follow_settled()

    [post] = follow_posts(bot.teams)
    assert post.conversation == WHERE.id
    assert post.thread_root == ROOT
    assert post.activity["summary"] == f"{created['name']} is now In Progress"
    assert "is now **In Progress** (Sam Lee)" in texts(post.card)
    assert created["name"] in texts(post.card)
    assert "Action.Execute" not in texts(post.card)  # only a resolved ticket asks
    assert reads_of(bot.desk, created["id"]) == 2  # read again, and found it told


async def test_a_request_named_by_its_number_is_followed_too(bot: TeamsHarness) -> None:
    created = await file_in_thread(bot, "Scanner shows error 42")
    bot.desk.set_status(created["id"], "Pending", technician="Sam Lee")

    assert (await bot.webhook({"request": created["name"]})).status_code == 202
    await bot.follow_settled()

    [post] = follow_posts(bot.teams)
    assert "is now **Pending** (Sam Lee)" in texts(post.card)


async def test_the_link_survives_a_restart(
    teams: FakeTeams, desk: FakeServiceOps, form_config: FormConfig, tmp_path: Path
) -> None:
    state = f"sqlite:///{tmp_path}/state.sqlite3"
    first = await start(teams, desk, form_config, state_url=state)
    try:
        created = await file_in_thread(first, "Projector in room 4 is broken")
    finally:
        await stop_teams(first)
    desk.set_status(created["id"], "In Progress", technician="Sam Lee")

    second = await start(teams, desk, form_config, state_url=state)  # an empty cache
    try:
        await second.webhook({"requestId": created["id"]})
        await second.follow_settled()
        await second.webhook({"requestId": created["id"]})
        await second.follow_settled()
    finally:
        await stop_teams(second)

    [post] = follow_posts(teams)
    assert post.thread_root == ROOT
    assert "is now **In Progress** (Sam Lee)" in texts(post.card)


async def test_two_replicas_called_for_one_change_post_once(
    teams: FakeTeams,
    desk: FakeServiceOps,
    form_config: FormConfig,
    redis_url: str,  # noqa: F811
    redis_server: RedisServer,  # noqa: F811
) -> None:
    """Replicas on one Redis: the cache on database 0, the links on database 1."""
    options = {"cache_url": redis_url, "state_url": redis_server.url(1)}
    first = await start(teams, desk, form_config, cache=build_cache(redis_url), **options)
    second = await start(teams, desk, form_config, cache=build_cache(redis_url), **options)
    try:
        created = await file_in_thread(first, "Badge reader at the door is dead")
        desk.set_status(created["id"], "In Progress", technician="Sam Lee")

        answers = await asyncio.gather(
            first.webhook({"requestId": created["id"]}),
            second.webhook({"requestId": created["id"]}),
        )
        assert [a.status_code for a in answers] == [202, 202]
        await asyncio.gather(first.follow_settled(), second.follow_settled())
    finally:
        await stop_teams(first)
        await stop_teams(second)

    [post] = follow_posts(teams)
    assert "is now **In Progress** (Sam Lee)" in texts(post.card)


async def test_a_call_with_a_wrong_secret_is_refused(bot: TeamsHarness) -> None:
    created = await file_in_thread(bot, "Monitor flickers")
    bot.desk.set_status(created["id"], "In Progress", technician="Sam Lee")
    calls = len(bot.desk.calls)

    wrong = await bot.webhook({"requestId": created["id"]}, secret="not-the-secret-0123456")
    missing = await bot.webhook({"requestId": created["id"]}, secret=None)
    await bot.follow_settled()

    assert (wrong.status_code, missing.status_code) == (401, 401)
    assert len(bot.desk.calls) == calls
    assert follow_posts(bot.teams) == []


# --------------------------------------------------------------------------- resolved: fixed?


async def resolved(bot: TeamsHarness, subject: str) -> tuple[dict[str, Any], Call]:
    created = await file_in_thread(bot, subject)
    bot.desk.set_status(
        created["id"],
        "Resolved",
        technician="Sam Lee",
        resolution="<p>Replaced the <b>fuser</b> unit &amp; cleaned tray 2</p>",
    )
    await bot.webhook({"requestId": created["id"]})
    await bot.follow_settled()
    [post] = follow_posts(bot.teams)
    return created, post


def press(bot: TeamsHarness, post: Call, verb: str, sender: tr.PersonLike) -> dict[str, Any]:
    """The invoke Teams sends when `sender` presses the button `verb` of `post`'s card."""
    [button] = [b for b in (post.card or {}).get("actions", []) if b.get("verb") == verb]
    return tr.card_action(
        verb,
        button["data"],
        reply_to_id=post.activity_id,
        conversation=WHERE,
        thread_root=ROOT,
        sender=sender,
        bot=bot.bot,
    )


async def test_resolved_shows_the_resolution_and_asks_the_requester(bot: TeamsHarness) -> None:
    created, post = await resolved(bot, "Printer prints blank pages")

    shown = texts(post.card)
    assert "is now **Resolved** (Sam Lee)" in shown
    assert "Resolution:" in shown
    assert "Replaced the fuser unit & cleaned tray 2" in shown
    assert "<b>" not in shown
    buttons = [(b["type"], b["title"], b["verb"], b["data"]) for b in post.card["actions"]]
    assert buttons == [
        (
            "Action.Execute",
            "Yes, close it",
            ids.FIXED,
            {ids.ACTION: ids.FIXED, ids.REQUEST: created["id"]},
        ),
        (
            "Action.Execute",
            "No, reopen",
            ids.REOPEN,
            {ids.ACTION: ids.REOPEN, ids.REQUEST: created["id"]},
        ),
    ]


async def test_the_requester_closes_a_resolved_ticket(bot: TeamsHarness) -> None:
    created, post = await resolved(bot, "Printer prints blank pages")

    answer = await bot.invoke(press(bot, post, ids.FIXED, tr.ADA))
    await bot.follow_settled()

    assert answer == {
        "statusCode": 200,
        "type": "application/vnd.microsoft.activity.message",
        "value": f"Thanks! {created['name']} is closed.",
    }
    [patch] = bot.desk.patches
    assert (patch.request_id, patch.body, patch.refused) == (
        created["id"],
        {"statusName": "Closed"},
        None,
    )
    summaries = [c.activity["summary"] for c in follow_posts(bot.teams)]
    assert summaries == [
        f"{created['name']} is now Resolved",
        f"{created['name']} is now Closed",
    ]


async def test_the_requester_reopens_a_resolved_ticket(bot: TeamsHarness) -> None:
    created, post = await resolved(bot, "Wi-Fi drops in room 7")

    answer = await bot.invoke(press(bot, post, ids.REOPEN, tr.ADA))
    await bot.follow_settled()

    assert (
        answer["value"]
        == f"{created['name']} is reopened; the service desk will have another look."
    )
    assert [p.body for p in bot.desk.patches] == [{"statusName": "Open"}]


async def test_someone_else_pressing_fixed_is_refused(bot: TeamsHarness) -> None:
    created, post = await resolved(bot, "Printer prints blank pages")

    fixed = await bot.invoke(press(bot, post, ids.FIXED, tr.GRACE))
    reopen = await bot.invoke(press(bot, post, ids.REOPEN, tr.GRACE))
    await bot.follow_settled()

    refused = f"Only the person who filed {created['name']} can do that."
    assert (fixed["statusCode"], fixed["value"]) == (200, refused)
    assert (reopen["statusCode"], reopen["value"]) == (200, refused)
    assert bot.desk.patches == []
    assert len(follow_posts(bot.teams)) == 1  # nothing public


async def test_a_pressed_button_with_a_forged_request_is_refused(bot: TeamsHarness) -> None:
    await resolved(bot, "Printer prints blank pages")
    for data in ({ids.REQUEST: "60"}, {ids.REQUEST: True}, {}):
        answer = await bot.invoke(tr.card_action(ids.FIXED, data, conversation=WHERE, bot=bot.bot))
        assert answer["statusCode"] == 400
    unknown = await bot.invoke(
        tr.card_action(ids.FIXED, {ids.REQUEST: 999999}, conversation=WHERE, bot=bot.bot)
    )
    assert unknown["value"] == "I can't find that ticket any more."
    assert bot.desk.patches == []


# --------------------------------------------------------------------------- desk replies


async def test_a_technicians_reply_is_posted_once_as_from_the_service_desk(
    bot: TeamsHarness,
) -> None:
    created = await file_in_thread(bot, "Laptop battery swollen")
    bot.desk.reply_to_requester(created["id"], "Please bring it to desk 4 <today>", by="Sam Lee")

    await asyncio.gather(
        bot.webhook({"requestId": created["id"]}), bot.webhook({"requestId": created["id"]})
    )
    await bot.follow_settled()
    await bot.webhook({"requestId": created["id"]})
    await bot.follow_settled()

    [post] = follow_posts(bot.teams)
    assert post.activity["summary"] == f"The service desk replied on {created['name']}"
    assert "**Service desk** (Sam Lee)" in texts(post.card)
    assert "Please bring it to desk 4" in texts(post.card)


# --------------------------------------------------------------------------- thread replies


def reply_in_thread(
    bot: TeamsHarness, text: str, *, sender: tr.PersonLike, activity_id: str | None = None
) -> dict[str, Any]:
    """A reply in the ticket's channel thread that mentions the bot (without the
    ChannelMessage.Read.Group permission, Teams delivers only those)."""
    return tr.channel_mention(
        text,
        reply_to_root=ROOT,
        conversation=WHERE,
        sender=sender,
        activity_id=activity_id,
        bot=bot.bot,
    )


async def test_replies_in_the_thread_become_entries_on_the_request(bot: TeamsHarness) -> None:
    created = await file_in_thread(bot, "Door code does not work")
    posted = len(bot.teams.posted())

    mine = reply_in_thread(bot, "still broken <b>today</b>", sender=tr.ADA)
    assert (await bot.send(mine)).status_code == 200
    assert (await bot.send(mine)).status_code == 200  # Teams delivering it again
    await bot.send(reply_in_thread(bot, "same for me", sender=tr.GRACE))
    await bot.settle()

    entries = bot.desk.conversations(created["id"])
    assert [e["conversationType"] for e in entries] == ["requestor_to_technician", "note"]
    requester, colleague = (e["details"] for e in entries)
    assert requester == "<p>still broken &lt;b&gt;today&lt;/b&gt;</p>"  # no bot mention
    assert colleague == "<p>From Grace Hopper in Microsoft Teams: same for me</p>"
    assert len(bot.teams.posted()) == posted  # the bot answered nothing


async def test_the_bots_own_messages_make_no_entry(bot: TeamsHarness) -> None:
    created = await file_in_thread(bot, "Door code does not work")
    itself = tr.Person(bot.bot.id, bot.bot.name, "")

    await bot.send(reply_in_thread(bot, "an echo", sender=itself))
    await bot.settle()

    assert bot.desk.conversations(created["id"]) == []


async def test_a_channel_that_opted_out_makes_no_entry_and_offers_no_new_ticket(
    teams: FakeTeams, desk: FakeServiceOps
) -> None:
    form = FormConfig(channels={f"teams:{WHERE.id}": ChannelDefaults(sync_replies=False)})
    bot = await start(teams, desk, form)
    try:
        created = await file_in_thread(bot, "Door code does not work")
        await bot.send(reply_in_thread(bot, "any news?", sender=tr.ADA))
        await bot.settle()
    finally:
        await stop_teams(bot)

    assert desk.conversations(created["id"]) == []
    [answer] = follow_posts(teams)  # the mention is answered as in any thread with a ticket
    assert "already has a ticket" in texts(answer.card)
    assert created["name"] in texts(answer.card)
    assert "Turn this into a ticket" not in texts(answer.activity)


# --------------------------------------------------------------------------- failures


async def test_servicedesk_down_while_syncing_is_retried_and_posts_once(
    bot: TeamsHarness,
) -> None:
    created = await file_in_thread(bot, "Phone has no dial tone")
    bot.desk.set_status(created["id"], "In Progress", technician="Sam Lee")
    bot.desk.fail_next("get", 500, times=2)

    await bot.webhook({"requestId": created["id"]})
    await bot.follow_settled()

    assert reads_of(bot.desk, created["id"]) == 3
    [post] = follow_posts(bot.teams)
    assert "is now **In Progress** (Sam Lee)" in texts(post.card)


async def test_a_thread_the_bot_was_removed_from_is_given_up_and_the_requester_told(
    bot: TeamsHarness,
) -> None:
    created = await file_in_thread(bot, "Scanner jams")
    bot.desk.set_status(created["id"], "In Progress", technician="Sam Lee")
    bot.teams.refuse_posting(WHERE.id)

    await bot.webhook({"requestId": created["id"]})
    await bot.follow_settled()

    assert follow_posts(bot.teams) == []
    [told] = personal_posts(bot.teams, bot.bot)
    assert f"I can't post updates about {created['name']}" in told.text
    link = await bot.app.core.links.get(created["id"])
    assert link is not None
    assert link.broken

    bot.desk.set_status(created["id"], "Resolved", technician="Sam Lee", resolution="Cleaned")
    bot.desk.reply_to_requester(created["id"], "Done")
    await bot.webhook({"requestId": created["id"]})
    await bot.follow_settled()
    assert follow_posts(bot.teams) == []
    assert len(personal_posts(bot.teams, bot.bot)) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_teams_failing_for_a_moment_is_not_a_lost_thread(
    bot: TeamsHarness, status: int
) -> None:
    """A 5xx or throttling says nothing about the thread: the link stays, the requester is
    not told it is gone, and the status is posted once Teams takes it."""
    created = await file_in_thread(bot, "Scanner jams")
    bot.desk.set_status(created["id"], "In Progress", technician="Sam Lee")
    bot.teams.fail_next(1, status=status, kind="send", retry_after=0)

    await bot.webhook({"requestId": created["id"]})
    await bot.follow_settled()

    link = await bot.app.core.links.get(created["id"])
    assert link is not None
    assert not link.broken
    assert personal_posts(bot.teams, bot.bot) == []
    [post] = follow_posts(bot.teams)
    assert "is now **In Progress** (Sam Lee)" in texts(post.card)
