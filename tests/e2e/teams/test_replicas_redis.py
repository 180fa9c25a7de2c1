"""Two Teams surfaces sharing one real Redis (`CACHE_URL=redis://…`), as replicas behind a
load balancer, between one FakeTeams and one FakeServiceOps.

Teams redelivers what it thinks failed and a balancer may hand the copy to the other
replica: a message still gets one prompt, a submission one ticket and one announcement, and
a cold start of both costs one login for the bot's token and one ServiceOps token.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.cache import build_cache
from bot.config import FormConfig
from bot.teams import ids
from tests.e2e.teams.harness import (
    TeamsHarness,
    button,
    dialog_card,
    start_teams,
    stop_teams,
    submit_data,
    texts,
)
from tests.fakes import teams_requests as tr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.teams_api import FakeTeams
from tests.redis_server import redis_server, redis_url  # noqa: F401 (fixtures)

Replicas = tuple[TeamsHarness, TeamsHarness]
ALREADY_CREATING = "already being created"


async def start_replicas(
    teams: FakeTeams, desk: FakeServiceOps, form: FormConfig, url: str
) -> Replicas:
    """Both replicas, started at the same time (each warms up: keys and the bot's token)."""
    first, second = await asyncio.gather(
        *(start_teams(teams, desk, form, cache=build_cache(url), cache_url=url) for _ in "12")
    )
    return first, second


@pytest.fixture
async def replicas(
    teams: FakeTeams,
    desk: FakeServiceOps,
    form_config: FormConfig,
    redis_url: str,  # noqa: F811
) -> AsyncIterator[Replicas]:
    """Two Teams surfaces on one emptied (cold) Redis database."""
    both = await start_replicas(teams, desk, form_config, redis_url)
    yield both
    for harness in both:
        await stop_teams(harness)


async def settle(*apps: TeamsHarness) -> None:
    for app in apps:
        await app.settle()


class AttemptGate:
    """Makes "both at once" happen in the worst order: the first replica to claim a filing
    attempt is held right after claiming until the other has found it claimed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *apps: TeamsHarness) -> None:
        self._first: asyncio.Task[Any] | None = None
        self._refused = asyncio.Event()
        for app in apps:
            claims = app.app.core.claims
            monkeypatch.setattr(claims, "claim", self._wrap(claims.claim))

    def _wrap(self, claim: Any) -> Any:
        async def gated(key: str, **options: Any) -> Any:
            result = await claim(key, **options)
            if not key.startswith("attempt:"):
                return result
            if result is None and self._first is None:
                self._first = asyncio.current_task()
                async with asyncio.timeout(5):
                    await self._refused.wait()
            elif result is not None:
                self._refused.set()
            return result

        return gated

    @property
    def raced(self) -> bool:
        return self._refused.is_set()


async def test_a_message_delivered_to_both_replicas_prompts_once(replicas: Replicas) -> None:
    first, second = replicas
    message = tr.personal_message("The VPN drops every five minutes", bot=first.bot)

    answers = await asyncio.gather(first.send(message), second.send(message))
    await settle(first, second)

    assert [a.status_code for a in answers] == [200, 200]
    [prompt] = first.teams.posted()
    assert prompt.conversation == tr.personal_chat(tr.ADA, bot=first.bot).id
    assert "The VPN drops every five minutes" in texts(prompt.card)


async def test_one_submission_delivered_to_both_replicas_files_once(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = replicas
    where = tr.channel()
    fetch = tr.message_action_fetch(
        "<p>Printer on floor 3 is jammed</p>", conversation=where, bot=first.bot
    )
    form = dialog_card(await first.invoke(fetch))
    submit = tr.message_action_submit(
        submit_data(form),
        payload=fetch["value"]["messagePayload"],
        conversation=where,
        bot=first.bot,
    )
    gate = AttemptGate(monkeypatch, first, second)

    answers = await asyncio.gather(first.invoke(submit), second.invoke(submit))
    await settle(first, second)

    assert gate.raced  # both replicas tried; one of them filed
    [created] = first.desk.created
    assert created["subject"] == "Printer on floor 3 is jammed"
    shown = [texts(answer) for answer in answers]
    assert sum(created["name"] in text for text in shown) == 1, shown
    assert sum(ALREADY_CREATING in text for text in shown) == 1, shown
    announced = [c for c in first.teams.posted(where.id) if created["name"] in c.text]
    assert len(announced) == 1
    assert announced[0].thread_root == fetch["value"]["messagePayload"]["id"]

    again = await second.invoke(submit)  # Teams retries the one that said "being created"

    assert created["name"] in texts(again)
    await settle(first, second)
    assert len(first.desk.created) == 1
    assert [c for c in first.teams.posted(where.id) if created["name"] in c.text] == announced


async def test_a_replica_knows_a_message_another_replica_filed(replicas: Replicas) -> None:
    first, second = replicas
    fetch = tr.message_action_fetch(
        "<p>Wi-Fi in room 4 is down</p>", message_id="1700000000777", bot=first.bot
    )
    form = dialog_card(await first.invoke(fetch))
    payload = fetch["value"]["messagePayload"]
    await first.invoke(tr.message_action_submit(submit_data(form), payload=payload, bot=first.bot))
    [created] = first.desk.created

    again = tr.message_action_fetch(
        "<p>Wi-Fi in room 4 is down</p>", message_id="1700000000777", bot=first.bot
    )
    answer = dialog_card(await second.invoke(again))

    assert "already has a ticket" in texts(answer)
    assert created["name"] in texts(answer)
    assert button(answer, ids.FILE_ANYWAY)
    await settle(first, second)
    assert len(first.desk.created) == 1


async def test_cold_replicas_share_one_bot_token_and_one_serviceops_token(
    teams: FakeTeams,
    desk: FakeServiceOps,
    form_config: FormConfig,
    redis_url: str,  # noqa: F811
) -> None:
    first, second = await start_replicas(teams, desk, form_config, redis_url)
    try:
        assert teams.token_requests == 1  # both warmed up at once: one login
        assert desk.token_requests == 0  # nothing filed yet
        forms = []
        for app, text, sender in (
            (first, "Monitor flickers", tr.ADA),
            (second, "Mouse lost", tr.GRACE),
        ):
            fetch = tr.message_action_fetch(f"<p>{text}</p>", sender=sender, bot=app.bot)
            forms.append((app, sender, fetch, dialog_card(await app.invoke(fetch))))

        answers = await asyncio.gather(
            *(
                app.invoke(
                    tr.message_action_submit(
                        submit_data(form),
                        payload=fetch["value"]["messagePayload"],
                        sender=sender,
                        bot=app.bot,
                    )
                )
                for app, sender, fetch, form in forms
            )
        )
        await settle(first, second)

        assert sorted(c["subject"] for c in desk.created) == ["Monitor flickers", "Mouse lost"]
        assert all("Ticket created" in texts(answer) for answer in answers)
        assert desk.token_requests == 1
        assert len([c for c in teams.posted() if "created ticket" in c.text]) == 2
        assert teams.token_requests == 1  # the replicas posted with the shared token
    finally:
        for app in (first, second):
            await stop_teams(app)
