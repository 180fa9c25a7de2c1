"""A very long message does not keep its full length in the shared cache for a week: the
draft saved for its "Create ticket" button is cut to what the form can show (the form shows
the same as before: the first 3,000 characters, marked as shortened). And one person keeps
only their most recent long drafts: writing to the bot again and again cannot fill Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis

from bot.cache import build_cache
from bot.config import FormConfig
from bot.core.drafts import DRAFTS_PER_PERSON, STATE_TTL
from bot.core.form import DESCRIPTION_MAX
from tests.e2e.harness import (
    USER,
    Harness,
    button_value,
    initial_values,
    start_harness,
    stop_harness,
)
from tests.e2e.test_dm_and_mention import OPEN_FORM, prompt_in
from tests.fakes import slack_requests as sr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack

DM_TS = "1700000400.000100"
LONG = 35_000
STORED_MAX = 4_000
"""Bytes a saved draft may take: the form's 3,000 + 250 characters and where it came from."""


@pytest.fixture
async def on_redis(
    slack: FakeSlack, desk: FakeServiceOps, form_config: FormConfig, redis_url: str
) -> AsyncIterator[Harness]:
    app, runner = await start_harness(
        slack, desk, form_config, cache=build_cache(redis_url), cache_url=redis_url
    )
    yield app
    await stop_harness(app, runner)


async def stored_drafts(url: str) -> dict[str, tuple[int, int]]:
    """Every saved draft in Redis: key -> (bytes, seconds to live)."""
    client = redis.from_url(url)
    try:
        keys = await client.keys("*state:k:*")
        return {key.decode(): (await client.strlen(key), await client.ttl(key)) for key in keys}
    finally:
        await client.aclose()


async def test_a_35000_character_dm_stores_only_what_the_form_shows(
    on_redis: Harness, redis_url: str
) -> None:
    words = " ".join(f"word{n}" for n in range(LONG))[:LONG]
    dm = on_redis.slack.dm_channel(USER)
    await on_redis.event(sr.dm_event(words, user_id=USER, channel_id=dm, ts=DM_TS))
    prompt = await prompt_in(on_redis, dm, DM_TS)

    [(size, ttl)] = (await stored_drafts(redis_url)).values()
    assert size <= STORED_MAX
    assert 0 < ttl <= STATE_TTL

    # The form opened from it shows what it always showed: the start, marked as shortened.
    await on_redis.click(
        OPEN_FORM, button_value(prompt["blocks"], OPEN_FORM), channel=dm, message=prompt
    )
    shown = initial_values(await on_redis.opened_view())
    description = shown["description"] or ""
    assert len(description) <= DESCRIPTION_MAX
    assert description.endswith("(shortened to fit the form)")
    assert description.startswith("word0 word1 word2")


async def test_one_person_keeps_only_their_most_recent_long_drafts(
    on_redis: Harness, redis_url: str
) -> None:
    dm = on_redis.slack.dm_channel(USER)
    text = "VPN drops again. " * 300
    for n in range(DRAFTS_PER_PERSON + 2):
        ts = f"{1700000500 + n}.000100"
        await on_redis.event(sr.dm_event(f"{n}: {text}", user_id=USER, channel_id=dm, ts=ts))
    await on_redis.slack.wait_for("chat.postMessage", count=DRAFTS_PER_PERSON + 2, timeout=30)

    stored = await stored_drafts(redis_url)
    assert len(stored) == DRAFTS_PER_PERSON
    kept = [m for m in on_redis.slack.messages if key_of(m) in stored]
    gone = [m for m in on_redis.slack.messages if key_of(m) not in stored]
    assert (len(kept), len(gone)) == (DRAFTS_PER_PERSON, 2)

    # A kept draft comes back; a dropped one's button opens an empty form and says why.
    await on_redis.click(OPEN_FORM, button_value(kept[-1]["blocks"], OPEN_FORM), channel=dm)
    assert initial_values(await on_redis.opened_view())["subject"]
    await on_redis.click(
        OPEN_FORM, button_value(gone[0]["blocks"], OPEN_FORM), channel=dm, message=gone[0]
    )
    assert not initial_values(await on_redis.opened_view())["subject"]
    await on_redis.slack.wait_for(
        "chat.postMessage", where=lambda c: c.ok and "no longer kept" in str(c.args["text"])
    )


def key_of(prompt: dict[str, Any]) -> str:
    """The cache key of the draft behind a prompt's "Create ticket" button."""
    return f"serviceops-bot:state:{button_value(prompt['blocks'], OPEN_FORM)}"
