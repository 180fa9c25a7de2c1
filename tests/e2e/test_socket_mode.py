"""Socket Mode: the real server (`serve`, `SocketModeIntake`) connected to a fake Socket Mode.

Envelopes are pushed over the WebSocket the app opened; the app's acknowledgements come
back over it, and what it then does is read from FakeSlack and FakeServiceOps, as in HTTP
mode. The health endpoints listen on HEALTH_PORT meanwhile.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest

from bot.cache import build_cache
from bot.config import FormConfig
from bot.core.claims import Claim
from bot.server import StartupError, serve
from bot.slack.app import BotApp, create_app
from bot.slack.socket_mode import SocketModeIntake
from tests.e2e.harness import CHANNEL, USER, USER_EMAIL, make_settings, text_of
from tests.fakes import slack_requests as sr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class SocketApp:
    bot: BotApp
    slack: FakeSlack
    desk: FakeServiceOps
    socket_mode: FakeSocketMode
    health_url: str
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def command(self, text: str) -> str:
        request = sr.slash_command(
            text,
            user_id=USER,
            channel_id=CHANNEL,
            trigger_id=self.slack.new_trigger_id(),
            response_url=self.slack.response_url(),
        )
        return await self.socket_mode.push("slash_commands", request.payload())


@pytest.fixture
async def socket_mode(slack: FakeSlack) -> AsyncIterator[FakeSocketMode]:
    async with FakeSocketMode(slack) as fake:
        yield fake


@pytest.fixture
async def socket_app(
    slack: FakeSlack,
    desk: FakeServiceOps,
    socket_mode: FakeSocketMode,
    form_config: FormConfig,
) -> AsyncIterator[SocketApp]:
    health_port = free_port()
    settings = make_settings(
        slack,
        desk,
        slack_app_token=socket_mode.app_token,
        slack_signing_secret=None,  # Socket Mode needs none
        health_port=health_port,
    )
    bot = await create_app(
        settings, form=form_config, cache=build_cache("memory://"), view_settle_seconds=0.2
    )
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve(bot.core, [SocketModeIntake(bot, socket_mode.app_token)], port=health_port, stop=stop)
    )
    await socket_mode.wait_connected()
    yield SocketApp(bot, slack, desk, socket_mode, f"http://127.0.0.1:{health_port}", stop, task)
    stop.set()
    await asyncio.wait_for(task, 10)  # serve drains, closes the socket and the bot


async def test_connects_with_the_app_token(socket_app: SocketApp) -> None:
    # One call verifies the token at start-up, the next opens the connection.
    verified, opened = socket_app.slack.calls_to("apps.connections.open")

    for call in (verified, opened):
        assert call.ok
        assert call.headers["Authorization"] == f"Bearer {socket_app.socket_mode.app_token}"
    assert socket_app.socket_mode.open_connections == 1


async def test_slash_command_then_submission_files_and_announces(socket_app: SocketApp) -> None:
    slack, desk, socket_mode = socket_app.slack, socket_app.desk, socket_app.socket_mode

    envelope_id = await socket_app.command("VPN drops every ten minutes")

    assert await socket_mode.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}
    [opened] = await slack.wait_for("views.open", where=lambda c: c.ok)
    view = slack.views[opened.response["view"]["id"]]
    assert view["callback_id"] == "ticket_form"
    assert "VPN drops every ten minutes" in text_of(view)

    values = sr.form_values(
        view=view,
        subject="VPN drops every ten minutes",
        description="Since the client update on Monday",
        priority="High",
        department="IT",
    )
    submission = sr.view_submission(view, values, user_id=USER).payload()
    envelope_id = await socket_mode.push("interactive", submission)

    ack = await socket_mode.wait_for_ack(envelope_id)
    assert ack["payload"]["response_action"] == "update"
    assert "Creating" in text_of(ack["payload"]["view"])

    [post] = await slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    [created] = desk.created
    assert created["subject"] == "VPN drops every ten minutes"
    assert created["requesterEmail"] == USER_EMAIL
    assert created["priorityName"] == "High"
    assert post.args["channel"] == CHANNEL
    assert created["name"] in text_of(post.args)
    await slack.wait_for("views.update", where=lambda c: c.ok)
    assert created["name"] in text_of(slack.views[view["id"]])


async def test_retried_dm_event_is_processed_once(
    socket_app: SocketApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    slack, socket_mode = socket_app.slack, socket_app.socket_mode
    dm = slack.dm_channel(USER)
    event = sr.dm_event("The projector in room 4 shows no picture", user_id=USER, channel_id=dm)
    delivery = sr.event_callback(event, event_id="Ev0SOCKET1").payload()
    decided: list[Claim | None] = []
    retry_seen = asyncio.Event()
    claim = socket_app.bot.deps.claims.claim

    async def spy(key: str, **options: Any) -> Claim | None:
        result = await claim(key, **options)
        if key == "event:Ev0SOCKET1":
            decided.append(result)
            if len(decided) == 2:
                retry_seen.set()
        return result

    monkeypatch.setattr(socket_app.bot.deps.claims, "claim", spy)

    first = await socket_mode.push("events_api", delivery, retry_attempt=0)
    await socket_mode.wait_for_ack(first)
    [prompt] = await slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    retry = await socket_mode.push("events_api", delivery, retry_attempt=1, retry_reason="timeout")

    assert await socket_mode.wait_for_ack(retry) == {"envelope_id": retry}
    await asyncio.wait_for(retry_seen.wait(), 5)
    assert decided[0] is None  # the first delivery took the event
    assert decided[1] is not None  # the retry found it taken
    assert [c.args["channel"] for c in slack.calls_to("chat.postMessage")] == [dm]
    assert prompt.args["thread_ts"] == event["ts"]
    assert "Create ticket" in text_of(prompt.args)


async def test_reconnects_when_slack_refreshes_the_connection(socket_app: SocketApp) -> None:
    socket_mode = socket_app.socket_mode

    await socket_mode.refresh()
    await socket_mode.wait_connected(2)

    assert socket_app.slack.count("apps.connections.open") == 3  # verify, connect, reconnect
    envelope_id = await socket_app.command("still there?")
    assert await socket_mode.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}
    await socket_app.slack.wait_for("views.open", where=lambda c: c.ok)


async def test_health_endpoints_on_health_port(socket_app: SocketApp) -> None:
    async with httpx2.AsyncClient(timeout=10) as http:
        health = await http.get(socket_app.health_url + "/healthz")
        ready = await http.get(socket_app.health_url + "/readyz")
        metrics = await http.get(socket_app.health_url + "/metrics")
        slack_endpoint = await http.post(socket_app.health_url + "/slack/events", content=b"{}")

    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"serviceops": "ok", "slack": "ok", "socket_mode": "ok"}
    assert "serviceops_bot_tickets_created_total" in metrics.text
    assert slack_endpoint.status_code in (404, 405)  # Slack's requests come over the socket


async def test_stop_closes_the_socket_and_the_health_port(socket_app: SocketApp) -> None:
    socket_app.stop.set()
    await asyncio.wait_for(socket_app.task, 10)

    await socket_app.socket_mode.wait_disconnected()
    async with httpx2.AsyncClient(timeout=10) as http:
        with pytest.raises(httpx2.ConnectError):
            await http.get(socket_app.health_url + "/healthz")


async def test_a_refused_app_token_stops_start_up_with_a_clear_error(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    async with FakeSocketMode(slack, app_token="xapp-1-A1-1-right"):
        settings = make_settings(slack, desk, slack_app_token="xapp-1-A1-1-wrong")
        bot = await create_app(settings, form=FormConfig(), cache=build_cache("memory://"))
        with pytest.raises(StartupError, match="SLACK_APP_TOKEN") as caught:
            await serve(
                bot.core,
                [SocketModeIntake(bot, "xapp-1-A1-1-wrong")],
                port=None,
                stop=asyncio.Event(),
            )
        await bot.aclose()

    assert "connections:write" in str(caught.value)
    assert "xapp-1-A1-1-wrong" not in str(caught.value)
