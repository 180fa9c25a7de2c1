"""Teams messages the bot cannot handle because its cache (Redis) is down are answered.

Teams has had its 2xx before the bot looks at a message, so one that needs the cache while
it is unreachable would be lost without a word: a 1:1 message or a mention gets "try again
in a few minutes" at once, with what the person wrote. A real redis-server is stopped under
the running bot; activities carry tokens signed as the Bot Connector signs them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.cache import build_cache
from bot.config import FormConfig
from bot.core.ports import CANNOT_TAKE
from tests.e2e.teams.harness import TeamsHarness, start_teams, stop_teams
from tests.fakes import teams_requests as tr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.teams_api import FakeTeams
from tests.redis_server import RedisServer


@pytest.fixture
async def bot(
    teams: FakeTeams, desk: FakeServiceOps, form_config: FormConfig, own_redis: RedisServer
) -> AsyncIterator[TeamsHarness]:
    url = own_redis.url()
    harness = await start_teams(teams, desk, form_config, cache=build_cache(url), cache_url=url)
    yield harness
    await stop_teams(harness)


async def test_a_chat_message_while_redis_is_down_is_answered_with_what_was_written(
    bot: TeamsHarness, own_redis: RedisServer
) -> None:
    own_redis.kill()

    response = await bot.send(tr.personal_message("Printer on floor 3 is jammed", bot=bot.bot))
    await bot.settle()

    assert response.status_code == 200
    [answer] = await bot.teams.wait_for("send")
    assert CANNOT_TAKE in answer.text
    assert "Printer on floor 3 is jammed" in answer.text
    assert answer.cards == []  # no prompt whose draft could not be kept
    assert bot.desk.created == []


async def test_a_mention_while_redis_is_down_is_answered_privately(
    bot: TeamsHarness, own_redis: RedisServer
) -> None:
    own_redis.kill()

    await bot.send(tr.channel_mention("Wifi is down on floor 2", bot=bot.bot))
    await bot.settle()

    await bot.teams.wait_for("create_conversation")  # the 1:1 chat, opened for the answer
    [answer] = await bot.teams.wait_for("send")
    assert CANNOT_TAKE in answer.text
    assert "Wifi is down on floor 2" in answer.text
    assert bot.desk.created == []


async def test_the_same_message_with_redis_up_gets_the_usual_prompt(
    bot: TeamsHarness,
) -> None:
    """The answer above is the cache's doing, not the message's."""
    await bot.send(tr.personal_message("Printer on floor 3 is jammed", bot=bot.bot))
    await bot.settle()

    [prompt] = await bot.teams.wait_for("send")
    assert CANNOT_TAKE not in prompt.text
    assert prompt.card is not None
