"""Slack and Teams in one server: `build_web_app(core, [slack, teams])` on one shared core.

As the process runs them when both are configured: Slack's HTTP mode (`/slack/events`) and
Teams (`/api/messages`) on one port, one ServiceOps client, one cache, one set of claims.
A `/ticket` in Slack and "Create ticket" on a Teams message each file their ticket for the
right person; the health endpoints speak for both surfaces.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx2
import pytest
from aiohttp import web

from bot.cache import build_cache
from bot.config import FormConfig
from bot.server import build_web_app
from bot.slack.app import create_app
from bot.teams.app import create_teams_app
from bot.wiring import Core, build_core
from tests.e2e.harness import CHANNEL, USER_EMAIL, Harness, make_settings, text_of
from tests.e2e.teams.harness import TeamsHarness, dialog_card, submit_data, texts
from tests.fakes import teams_requests as tr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack
from tests.fakes.teams_api import FakeTeams

TEAMS_EMAIL = "grace@example.com"


@dataclass
class BothSurfaces:
    """One server with both surfaces, and a harness for each (same URL, same core)."""

    url: str
    core: Core
    slack: Harness
    teams: TeamsHarness


@pytest.fixture
async def teams() -> AsyncIterator[FakeTeams]:
    async with FakeTeams() as fake:
        fake.add_user(
            tr.GRACE.id, name=tr.GRACE.name, email=TEAMS_EMAIL, aad_object_id=tr.GRACE.aad_object_id
        )
        yield fake


@pytest.fixture
async def server(
    slack: FakeSlack, teams: FakeTeams, desk: FakeServiceOps, form_config: FormConfig
) -> AsyncIterator[BothSurfaces]:
    settings = make_settings(
        slack,
        desk,
        teams_app_id=teams.app_id,
        teams_app_password=teams.app_password,
        teams_tenant_id=teams.tenant_id,
        teams_openid_metadata_url=teams.openid_metadata_url,
        teams_login_url=teams.login_url,
    )
    core = build_core(settings, form=form_config, cache=build_cache("memory://"))
    slack_app = await create_app(settings, core=core, view_settle_seconds=0.2)
    teams_app = await create_teams_app(settings, core=core)
    for intake in (slack_app, teams_app):
        await intake.warm_up()
    runner = web.AppRunner(build_web_app(core, [slack_app, teams_app]), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    url = f"http://{host}:{port}"
    http = httpx2.AsyncClient(timeout=10)
    yield BothSurfaces(
        url,
        core,
        Harness(url, slack, desk, slack_app, http),
        TeamsHarness(url, teams, desk, teams_app, http, runner),
    )
    await core.inflight.drain(10)
    await http.aclose()
    await runner.cleanup()
    await slack_app.aclose()
    await teams_app.aclose()
    await core.aclose()


async def slack_ticket(slack: Harness, subject: str) -> None:
    """`/ticket subject` in a channel, the modal submitted as shown."""
    assert (await slack.command(subject)).status_code == 200
    view = await slack.opened_view()
    answer = await slack.submit(view, subject=subject, description="Reported from Slack")
    assert answer.json()["response_action"] == "update"


async def teams_ticket(teams: TeamsHarness, text: str) -> str:
    """ "Create ticket" on a Teams channel message, the form submitted as shown; the answer."""
    fetch = tr.message_action_fetch(f"<p>{text}</p>", sender=tr.GRACE, bot=teams.bot)
    form = dialog_card(await teams.invoke(fetch))
    payload = fetch["value"]["messagePayload"]
    submit = tr.message_action_submit(
        submit_data(form), payload=payload, sender=tr.GRACE, bot=teams.bot
    )
    return texts(await teams.invoke(submit))


async def test_a_slack_and_a_teams_journey_both_file_their_ticket(server: BothSurfaces) -> None:
    slack, teams = server.slack, server.teams
    assert slack.bot.core is teams.app.core is server.core

    _, teams_answer = await asyncio.gather(
        slack_ticket(slack, "Printer on floor 2 is offline"),
        teams_ticket(teams, "Scanner on floor 5 is offline"),
    )
    slack_created = await submitted_ticket_of(slack, "Printer on floor 2 is offline")
    await server.core.inflight.drain(10)

    by_requester = {t["requesterEmail"]: t for t in server.slack.desk.created}
    assert set(by_requester) == {USER_EMAIL, TEAMS_EMAIL}
    assert by_requester[USER_EMAIL] is slack_created
    teams_created = by_requester[TEAMS_EMAIL]
    assert teams_created["subject"] == "Scanner on floor 5 is offline"
    assert teams_created["name"] in teams_answer
    # Each announced on its own platform, and only there.
    slack_posts = [c for c in slack.slack.calls_to("chat.postMessage") if c.ok]
    assert [c.args["channel"] for c in slack_posts] == [CHANNEL]
    assert slack_created["name"] in text_of(slack_posts[0].args)
    [teams_post] = teams.teams.posted()
    assert teams_created["name"] in teams_post.text
    assert server.slack.desk.token_requests == 1  # one core: one ServiceOps client and token


async def submitted_ticket_of(slack: Harness, subject: str) -> dict[str, object]:
    """The Slack ticket, once the modal shows it."""
    await slack.slack.wait_for(
        "views.update", where=lambda c: c.ok and "Ticket created" in text_of(c.args)
    )
    [created] = [t for t in slack.desk.created if t["subject"] == subject]
    return created


async def test_health_endpoints_speak_for_both_surfaces(server: BothSurfaces) -> None:
    async with httpx2.AsyncClient(timeout=10) as http:
        health = await http.get(server.url + "/healthz")
        ready = await http.get(server.url + "/readyz")

    assert health.status_code == 200
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ok",
        "checks": {"serviceops": "ok", "slack": "ok", "teams": "ok"},
    }


async def test_each_surface_refuses_what_the_other_would_accept(server: BothSurfaces) -> None:
    """A Teams activity posted to Slack's endpoint, or unsigned to Teams', does nothing."""
    activity = tr.personal_message("VPN down", sender=tr.GRACE, bot=server.teams.bot)
    body, headers = tr.signed(activity, server.teams.teams.sign())
    async with httpx2.AsyncClient(timeout=10) as http:
        to_slack = await http.post(server.url + "/slack/events", content=body, headers=headers)
        unsigned = await http.post(
            server.url + "/api/messages", content=body, headers={"Content-Type": "application/json"}
        )

    assert to_slack.status_code == 401
    assert unsigned.status_code == 401
    await server.core.inflight.drain(5)
    assert server.teams.teams.posted() == []
    assert server.slack.slack.calls_to("chat.postMessage") == []
