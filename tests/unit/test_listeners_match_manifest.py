"""Every entry point `manifest.yml` declares, and every button the bot sends, has a listener.

The real app is built with `create_app` and asked, listener by listener, whether it would
take a synthetic payload of each kind. Nothing is dispatched: no handler runs, and building
the app must not touch the network (a local server counts connection attempts).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.config import Settings, load_settings
from bot.slack import ids
from bot.slack.app import BotApp, create_app
from bot.slack.listeners import (
    actions,
    commands,
    events,
    my_requests,
    options,
    reactions,
    shortcuts,
    views,
)

ROOT = Path(__file__).resolve().parents[2]
MANIFEST: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))

Handler = Callable[..., Any]


class ConnectionCounter:
    """A local TCP server that only counts who connects to it."""

    def __init__(self) -> None:
        self.connections = 0
        self.url = ""
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_connect, "127.0.0.1", 0)
        host, port = self._server.sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"

    async def _on_connect(
        self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        writer.close()

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def network() -> AsyncIterator[ConnectionCounter]:
    counter = ConnectionCounter()
    await counter.start()
    yield counter
    await counter.stop()


def fake_settings(url: str) -> Settings:
    return load_settings(
        _env_file=None,
        slack_bot_token="xoxb-0000-0000-fake",
        slack_signing_secret="fake-signing-secret",
        slack_api_url=url + "/api/",
        serviceops_url=url,
        serviceops_api_key="fake-api-key",
        cache_url="memory://",
        state_url="sqlite:///:memory:",
    )


@pytest.fixture
async def bot(network: ConnectionCounter) -> AsyncIterator[BotApp]:
    built = await create_app(fake_settings(network.url))
    yield built
    await built.aclose()


async def takers(app: AsyncApp, body: dict[str, Any]) -> list[Handler]:
    """The handlers of the listeners whose matchers accept `body`.

    Bolt keeps listeners in the private `_async_listeners` list; each one's public
    `async_matches` runs its matchers (the `app.command(...)`, `app.action(...)` constraints)
    against a request, which is sturdier than reading the matcher closures' captured values.
    """
    request = AsyncBoltRequest(body=body, mode="socket_mode")
    found: list[Handler] = []
    for listener in app._async_listeners:
        if await listener.async_matches(req=request, resp=BoltResponse(status=200)):
            found.append(listener.ack_function)
    return found


def command(name: str) -> dict[str, Any]:
    return {"command": name, "text": "", "trigger_id": "1.2.3", "user_id": "U1"}


def shortcut(kind: str, callback_id: str) -> dict[str, Any]:
    payload_type = {"message": "message_action", "global": "shortcut"}[kind]
    return {"type": payload_type, "callback_id": callback_id, "trigger_id": "1.2.3"}


def block_action(action_id: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": "v"}],
        "trigger_id": "1.2.3",
    }


def event(event_type: str, **fields: Any) -> dict[str, Any]:
    return {"type": "event_callback", "event": {"type": event_type, **fields}, "event_id": "Ev1"}


async def test_connection_counter_sees_a_connection(network: ConnectionCounter) -> None:
    host, port = network.url.removeprefix("http://").split(":")
    _reader, writer = await asyncio.open_connection(host, int(port))
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.05)

    assert network.connections == 1


async def test_building_the_app_does_not_touch_the_network(
    bot: BotApp, network: ConnectionCounter
) -> None:
    await takers(bot.app, command(ids.COMMAND))
    await asyncio.sleep(0.05)

    assert network.connections == 0


async def test_matching_helper_refuses_unknown_payloads(bot: BotApp) -> None:
    assert await takers(bot.app, command("/not-ours")) == []
    assert await takers(bot.app, shortcut("global", "not_ours")) == []
    assert await takers(bot.app, block_action("not_ours")) == []


async def test_manifest_slash_commands_have_listeners(bot: BotApp) -> None:
    declared = [entry["command"] for entry in MANIFEST["features"]["slash_commands"]]

    assert declared == [ids.COMMAND]
    for name in declared:
        assert await takers(bot.app, command(name)) == [commands.handle_ticket_command]


async def test_manifest_shortcuts_have_listeners(bot: BotApp) -> None:
    expected = {
        ids.MESSAGE_SHORTCUT: shortcuts.handle_ticket_from_message,
        ids.GLOBAL_SHORTCUT: shortcuts.handle_ticket_global,
    }
    declared = MANIFEST["features"]["shortcuts"]

    assert {entry["callback_id"] for entry in declared} == set(expected)
    for entry in declared:
        found = await takers(bot.app, shortcut(entry["type"], entry["callback_id"]))
        assert found == [expected[entry["callback_id"]]], entry["callback_id"]


async def test_message_shortcut_is_not_taken_as_a_global_one(bot: BotApp) -> None:
    assert await takers(bot.app, shortcut("global", ids.MESSAGE_SHORTCUT)) == [
        shortcuts.handle_ticket_from_message
    ]
    assert await takers(bot.app, shortcut("message", ids.GLOBAL_SHORTCUT)) == [
        shortcuts.handle_ticket_global
    ]


async def test_modal_submission_has_a_listener(bot: BotApp) -> None:
    body = {
        "type": "view_submission",
        "view": {"id": "V1", "type": "modal", "callback_id": ids.FORM_CALLBACK},
    }

    assert await takers(bot.app, body) == [views.handle_ticket_form]


@pytest.mark.parametrize(
    ("action_id", "handler"),
    [
        (ids.OPEN_FORM_ACTION, actions.handle_open_form),
        (ids.RETRY_ACTION, actions.handle_retry),
        (ids.EDIT_ACTION, actions.handle_edit),
        (ids.FILE_ANYWAY_ACTION, actions.handle_file_anyway),
    ],
)
async def test_every_button_has_an_action_listener(
    bot: BotApp, action_id: str, handler: Handler
) -> None:
    assert await takers(bot.app, block_action(action_id)) == [handler]


async def test_department_type_ahead_has_an_options_listener(bot: BotApp) -> None:
    body = {
        "type": "block_suggestion",
        "action_id": ids.DEPARTMENT_OPTIONS,
        "block_id": ids.Block.DEPARTMENT,
        "value": "fin",
    }

    assert await takers(bot.app, body) == [options.handle_department_options]


async def test_manifest_bot_events_have_listeners(bot: BotApp) -> None:
    expected = {
        "message.im": (
            event("message", channel_type="im", user="U1", text="hi"),
            events.handle_message,
        ),
        "app_mention": (
            event("app_mention", user="U1", text="<@UBOT> hi"),
            events.handle_app_mention,
        ),
        "message.channels": (
            event("message", channel_type="channel", user="U1", text="reply"),
            events.handle_message,
        ),
        "message.groups": (
            event("message", channel_type="group", user="U1", text="reply"),
            events.handle_message,
        ),
        "message.mpim": (
            event("message", channel_type="mpim", user="U1", text="reply"),
            events.handle_message,
        ),
        "reaction_added": (
            event(
                "reaction_added",
                user="U1",
                reaction="ticket",
                item={"type": "message", "channel": "C1", "ts": "1.2"},
            ),
            reactions.handle_reaction_added,
        ),
        "app_home_opened": (
            event("app_home_opened", user="U1", tab="home"),
            my_requests.handle_home_opened,
        ),
    }
    declared = MANIFEST["settings"]["event_subscriptions"]["bot_events"]

    assert set(declared) == set(expected)
    for name in declared:
        body, handler = expected[name]
        assert await takers(bot.app, body) == [handler], name
