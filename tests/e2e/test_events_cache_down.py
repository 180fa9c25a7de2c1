"""Events the bot cannot handle because its cache (Redis) is down are answered, not dropped.

Bolt acknowledges an event before its listener runs, so Slack will not send it again: a DM,
a mention or the ticket emoji that needs the cache while it is unreachable gets a private
answer at once, "try again in a few minutes", with what the person wrote quoted. A real
redis-server is stopped under the running app; requests are signed as Slack signs them.
"""

from __future__ import annotations

from bot.core.ports import CANNOT_TAKE
from tests.e2e.harness import (
    CHANNEL,
    OTHER_USER,
    USER,
    Harness,
    ListenerRuns,
    text_of,
)
from tests.fakes import slack_requests as sr
from tests.redis_server import RedisServer

DM_TS = "1700000300.000100"
LONG = "My laptop's VPN client drops every five minutes since the update. " * 60


def shown(call_args: dict[str, object]) -> str:
    return text_of(call_args.get("blocks"))


async def test_a_dm_while_redis_is_down_is_answered_with_what_was_written(
    on_redis: Harness, own_redis: RedisServer
) -> None:
    app = on_redis
    dm = app.slack.dm_channel(USER)
    own_redis.kill()

    response = await app.event(
        sr.dm_event("printer on floor 3 is jammed", user_id=USER, channel_id=dm, ts=DM_TS)
    )

    assert response.status_code == 200
    [answer] = await app.slack.wait_for("chat.postEphemeral", where=lambda c: c.ok)
    assert answer.args["channel"] == dm
    assert answer.args["user"] == USER
    assert "thread_ts" not in answer.args  # right under what they wrote
    assert answer.args["text"] == CANNOT_TAKE
    assert ">printer on floor 3 is jammed" in shown(answer.args)
    assert app.slack.messages == []  # no prompt whose draft could not be kept
    assert app.desk.created == []


async def test_a_long_dm_is_quoted_shortened_within_slack_limits(
    on_redis: Harness, own_redis: RedisServer
) -> None:
    app = on_redis
    dm = app.slack.dm_channel(USER)
    own_redis.kill()

    await app.event(sr.dm_event(LONG, user_id=USER, channel_id=dm, ts=DM_TS))

    [answer] = await app.slack.wait_for("chat.postEphemeral", where=lambda c: c.ok)
    quoted = answer.args["blocks"][1]["text"]["text"]
    assert quoted.startswith("What you wrote, so nothing is lost:\n>My laptop's VPN client")
    assert len(quoted) < 3000
    assert quoted.endswith("…")


async def test_a_mention_in_a_thread_while_redis_is_down_is_answered_in_that_thread(
    on_redis: Harness, own_redis: RedisServer
) -> None:
    app = on_redis
    own_redis.kill()

    await app.event(
        sr.mention_event(
            "wifi is down on floor 2",
            user_id=OTHER_USER,
            channel_id=CHANNEL,
            ts="1700000400.000300",
            thread_ts="1700000400.000100",
        )
    )

    [answer] = await app.slack.wait_for("chat.postEphemeral", where=lambda c: c.ok)
    assert (answer.args["channel"], answer.args["user"]) == (CHANNEL, OTHER_USER)
    assert answer.args["thread_ts"] == "1700000400.000100"
    assert ">wifi is down on floor 2" in shown(answer.args)
    assert "UBOT" not in shown(answer.args)  # the bot's own mention is not given back


async def test_the_ticket_emoji_while_redis_is_down_is_answered(
    on_redis: Harness, own_redis: RedisServer
) -> None:
    app = on_redis
    message = app.slack.write(CHANNEL, "Projector in room 4 is broken", user=USER)
    own_redis.kill()

    await app.event(
        sr.reaction_event(
            "ticket", user_id=OTHER_USER, channel_id=CHANNEL, ts=message["ts"], item_user=USER
        )
    )

    [answer] = await app.slack.wait_for("chat.postEphemeral", where=lambda c: c.ok)
    assert (answer.args["channel"], answer.args["user"]) == (CHANNEL, OTHER_USER)
    assert answer.args["text"] == CANNOT_TAKE


async def test_a_reply_in_a_channel_thread_is_not_answered(
    on_redis: Harness, own_redis: RedisServer, listener_runs: ListenerRuns
) -> None:
    """Channel replies are not requests to the bot: most threads have no ticket, so telling
    everyone who replies anywhere that the bot is down would be noise."""
    app = on_redis
    own_redis.kill()
    reply = sr.dm_event("same here", user_id=USER, channel_id=CHANNEL, ts="1700000500.000200") | {
        "channel_type": "channel",
        "thread_ts": "1700000500.000100",
    }

    await app.event(reply)
    assert await listener_runs.settle() == 1

    assert app.slack.ephemerals == []
    assert app.slack.messages == []
