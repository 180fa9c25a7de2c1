"""Teams end-to-end harness: the real Teams surface on loopback, between FakeTeams and
FakeServiceOps.

Activities are built as Teams sends them (`tests.fakes.teams_requests`), signed by the fake
Bot Connector's key, and posted to `POST /api/messages`; what the bot does is read back from
what the fakes recorded. Authentication is never switched off: the bot checks every token
against the keys the fake publishes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2
from aiohttp import web

from bot.cache import build_cache
from bot.config import FormConfig, Settings
from bot.server import Intake, build_web_app
from bot.teams import ids
from bot.teams.app import TeamsApp, create_teams_app
from bot.webhook import FollowIntake
from tests.e2e.harness import WEBHOOK_SECRET, follow_intake, follow_settled, post_webhook
from tests.fakes import teams_requests as tr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.teams_api import FakeTeams

ADA_EMAIL = "ada@example.com"
GRACE_EMAIL = "grace@example.com"


def make_teams_settings(teams: FakeTeams, desk: FakeServiceOps, **overrides: Any) -> Settings:
    """Settings of a Teams-only bot pointed at the fakes."""
    values: dict[str, Any] = {
        "teams_app_id": teams.app_id,
        "teams_app_password": teams.app_password,
        "teams_tenant_id": teams.tenant_id,
        "teams_openid_metadata_url": teams.openid_metadata_url,
        "teams_login_url": teams.login_url,
        "serviceops_url": desk.url,
        "serviceops_client_id": desk.client_id,
        "serviceops_client_secret": desk.client_secret,
        "serviceops_username": desk.username,
        "serviceops_password": desk.password,
        "serviceops_read_timeout": 3.0,
        "serviceops_connect_timeout": 1.0,
        "cache_url": "memory://",
        "state_url": "sqlite:///:memory:",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class TeamsHarness:
    """A running Teams surface and the fakes around it."""

    url: str
    teams: FakeTeams
    desk: FakeServiceOps
    app: TeamsApp
    http: httpx2.AsyncClient
    runner: web.AppRunner
    responses: list[httpx2.Response] = field(default_factory=list)
    intake: FollowIntake | None = None
    """The follow-through intake, when the settings enable it (`follow_settings()`)."""

    @property
    def bot(self) -> tr.Bot:
        return self.teams.bot

    async def send(
        self, activity: Mapping[str, Any], *, token: str | None = "sign"
    ) -> httpx2.Response:
        """Post `activity` signed by the fake Bot Connector (or with `token` as given)."""
        bearer = self.teams.sign() if token == "sign" else token
        response = await tr.post_activity(self.http, self.url, activity, bearer)
        self.responses.append(response)
        return response

    async def invoke(self, activity: Mapping[str, Any]) -> dict[str, Any]:
        """Send an invoke; its answer (HTTP 200 with a JSON body)."""
        response = await self.send(activity)
        assert response.status_code == 200, (response.status_code, response.text)
        answer: dict[str, Any] = response.json()
        return answer

    async def settle(self) -> None:
        """Wait for the work the bot does after answering (replies, late outcomes)."""
        assert await self.app.deps.inflight.drain(10)

    async def webhook(
        self,
        body: Any = None,
        *,
        secret: str | None = WEBHOOK_SECRET,
        content: bytes | None = None,
    ) -> httpx2.Response:
        """ServiceOps' "Run Webhook" (see `tests.e2e.harness.post_webhook`)."""
        return await post_webhook(self.http, self.url, body, secret=secret, content=content)

    async def follow_settled(self) -> None:
        """Wait until the follow-through work started so far is done."""
        assert self.intake is not None, "start the bot with follow_settings()"
        await follow_settled(self.intake)


async def start_teams(
    teams: FakeTeams,
    desk: FakeServiceOps,
    form: FormConfig | None = None,
    *,
    cache: Any = None,
    answer_within: float = 3.5,
    **overrides: Any,
) -> TeamsHarness:
    from bot.wiring import build_core

    settings = make_teams_settings(teams, desk, **overrides)
    core = build_core(settings, form=form or FormConfig(), cache=cache or build_cache("memory://"))
    app = await create_teams_app(settings, core=core, answer_within=answer_within)
    await app.warm_up()
    intakes: list[Intake] = [app]
    intake = follow_intake(core, settings)  # with a webhook secret or polling in `overrides`
    if intake is not None:
        await intake.warm_up()
        intakes.append(intake)
    runner = web.AppRunner(build_web_app(core, intakes), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    if intake is not None:
        await intake.start()
    host, port = runner.addresses[0][:2]
    return TeamsHarness(
        f"http://{host}:{port}",
        teams,
        desk,
        app,
        httpx2.AsyncClient(timeout=15),
        runner,
        intake=intake,
    )


async def stop_teams(harness: TeamsHarness) -> None:
    if harness.intake is not None:
        await harness.intake.stop()
    await harness.app.deps.inflight.drain(10)
    await harness.http.aclose()
    await harness.runner.cleanup()
    if harness.intake is not None:
        await harness.intake.aclose()
    await harness.app.aclose()
    await harness.app.core.aclose()


# --------------------------------------------------------------------------- reading answers


def dialog_card(answer: Mapping[str, Any]) -> dict[str, Any]:
    """The Adaptive Card an invoke's answer shows in a dialog."""
    task = answer["task"]
    assert task["type"] == "continue", answer
    card: dict[str, Any] = task["value"]["card"]["content"]
    return card


def inputs(card: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The card's inputs by id."""
    return {
        element["id"]: element
        for element in _walk(card.get("body") or [])
        if str(element.get("type", "")).startswith("Input.")
    }


def initial_values(card: Mapping[str, Any]) -> dict[str, str]:
    """What the form shows before anyone types: `{input id: value}` for inputs with one."""
    return {
        name: str(element["value"])
        for name, element in inputs(card).items()
        if element.get("value")
    }


def button(card: Mapping[str, Any], action: str) -> dict[str, Any]:
    """The card's button whose data names `action`."""
    for candidate in card.get("actions") or []:
        if (candidate.get("data") or {}).get(ids.ACTION) == action:
            found: dict[str, Any] = candidate
            return found
    raise AssertionError(f"no button {action!r} in {json.dumps(card)[:500]}")


def submit_data(card: Mapping[str, Any], **typed: str) -> dict[str, Any]:
    """What Teams sends when the form is submitted with `typed` (else what it shows): the
    inputs by id, merged with the "Create ticket" button's data."""
    values: dict[str, Any] = dict(initial_values(card))
    values.update(typed)
    return {**values, **(button(card, ids.SUBMIT).get("data") or {})}


def texts(value: Any) -> str:
    """Every text in a card, message or answer, to assert on what a person reads."""
    return json.dumps(value, ensure_ascii=False)


def _walk(elements: list[Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for element in elements:
        if not isinstance(element, dict):
            continue
        found.append(element)
        for key in ("items", "columns", "body"):
            if isinstance(element.get(key), list):
                found += _walk(element[key])
    return found
