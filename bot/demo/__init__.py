"""`serviceops-bot demo`: the real bot filing one ticket between stand-ins, on this machine.

The bot is built and served exactly as `serviceops-bot run --mode http` does (the same
surfaces, core and server), but its settings point at `StandInSlack` and
`StandInServiceOps`, small servers on 127.0.0.1 (`bot.demo.standins`). The demo then plays
Slack: it sends the signed `/ticket` command, submits the form the bot opened, and prints
what the person sees at each step (drawn as text, `bot.demo.screens`) and what ServiceOps
received. No credentials, no `.env`, nothing leaves this machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from typing import Any, TextIO

import aiohttp
from pydantic import SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bot.config import ChannelDefaults, FormConfig, Settings, proxies_unset
from bot.demo.screens import render
from bot.demo.standins import (
    API_KEY,
    BOT_TOKEN,
    HOST,
    SIGNING_SECRET,
    Call,
    StandInServiceOps,
    StandInSlack,
)

Json = dict[str, Any]

PERSON = "U0ADA"
EMAIL = "ada@example.com"
NAME = "Ada Lovelace"
CHANNEL = "C0ITHELP"
CHANNEL_NAME = "it-help"
NAMES = {f"@{PERSON}": f"@{NAME}", f"#{CHANNEL}": f"#{CHANNEL_NAME}"}
"""Slack shows mentions by name: so does the demo."""
SUBJECT = "VPN drops every 5 minutes"
DESCRIPTION = (
    "Since this morning the VPN client disconnects every 5 minutes and I have to log in "
    "again. Restarting the laptop did not help."
)
FORM = FormConfig(
    departments=["IT", "Facilities", "HR", "Finance"],
    default_priority="Medium",
    channels={CHANNEL: ChannelDefaults(department="IT", urgency="High")},
)
"""A `BOT_CONFIG` as an admin would write it: the tenant's departments, a default priority,
and defaults for the help channel."""
STEP_TIMEOUT = 8.0


class DemoFailed(Exception):
    """The journey did not end as it should; the message says where it stopped."""


class _DemoSettings(Settings):
    """Settings from the demo alone: neither the environment nor a `.env` may change them."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def demo_settings(slack: StandInSlack, desk: StandInServiceOps, port: int) -> Settings:
    return _DemoSettings(
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=slack.api_url,
        serviceops_url=desk.url,
        serviceops_api_key=SecretStr(API_KEY),
        port=port,
        host=HOST,
        cache_url="memory://",
        state_url="sqlite:///:memory:",
    )


async def run_demo(out: TextIO) -> int:
    """The whole demo: 0 when the ticket was filed and announced, 1 otherwise."""
    started = time.monotonic()
    try:
        with proxies_unset():  # every call stays on 127.0.0.1: no proxy applies
            await _demo(out)
    except DemoFailed as exc:
        print(f"\nThe demo stopped: {exc}", file=out)
        return 1
    print(f"\nDone in {time.monotonic() - started:.1f} s.", file=out)
    print(
        "To run it for real: `serviceops-bot check`, then `serviceops-bot` (see the README's "
        "Quickstart).",
        file=out,
    )
    return 0


async def _demo(out: TextIO) -> None:
    from bot.cli import build_bot
    from bot.server import serve

    async with (
        StandInSlack(user=PERSON, email=EMAIL, real_name=NAME) as slack,
        StandInServiceOps() as desk,
    ):
        port = _free_port()
        bot = await build_bot(demo_settings(slack, desk, port), FORM, "http")
        stop = asyncio.Event()
        server = asyncio.create_task(serve(bot.core, bot.intakes, port=port, host=HOST, stop=stop))
        try:
            async with aiohttp.ClientSession() as http:
                await _until_serving(http, f"http://{HOST}:{port}", server)
                _intro(out, slack, desk, port)
                await _journey(out, http, f"http://{HOST}:{port}/slack/events", slack, desk)
        finally:
            stop.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server, 30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port


async def _until_serving(http: aiohttp.ClientSession, url: str, server: asyncio.Task[None]) -> None:
    deadline = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < deadline:
        if server.done():
            server.result()  # its exception, if it failed to start
            raise DemoFailed("the bot stopped before serving")
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(url + "/healthz") as answer:
                if answer.status == 200:
                    return
        await asyncio.sleep(0.05)
    raise DemoFailed("the bot did not start serving in time")


def _intro(out: TextIO, slack: StandInSlack, desk: StandInServiceOps, port: int) -> None:
    print(
        "serviceops-bot demo: the real bot, in HTTP mode, between stand-ins for Slack and\n"
        "ServiceOps. Everything runs on this machine (127.0.0.1); no credentials are used.\n"
        f"  the bot          http://{HOST}:{port}/slack/events\n"
        f"  Slack's Web API  {slack.api_url}\n"
        f"  ServiceOps       {desk.url}  (so the ticket's link points there)",
        file=out,
    )


async def _journey(
    out: TextIO,
    http: aiohttp.ClientSession,
    events_url: str,
    slack: StandInSlack,
    desk: StandInServiceOps,
) -> None:
    _step(out, 1, f"{NAME} types in #{CHANNEL_NAME}:  /ticket {SUBJECT}")
    body, headers = slack.slash_command(SUBJECT, channel=CHANNEL, channel_name=CHANNEL_NAME)
    status, _, took = await _post(http, events_url, body, headers)
    if status != 200:
        raise DemoFailed(f"the bot answered the signed command with HTTP {status}")
    print(
        f"Slack sends the command, signed, to the bot: answered {status} in {took:.0f} ms.\n"
        "The bot opens the form (views.open), prefilled from the command and the channel's\n"
        "defaults in BOT_CONFIG:\n",
        file=out,
    )
    opened = await _called(slack, "views.open")
    view = slack.views[opened.answer["view"]["id"]]
    print(render(view, names=NAMES), file=out)

    _step(out, 2, f"{NAME.split()[0]} describes the problem and presses Create ticket:")
    typed = {"description": DESCRIPTION}
    print(render(view, typed, names=NAMES), file=out)
    body, headers = slack.view_submission(view, _state(view, typed))
    status, answer, took = await _post(http, events_url, body, headers)
    if status != 200 or not isinstance(answer, dict) or "view" not in answer:
        raise DemoFailed(f"the submission was answered with HTTP {status}: {answer!r}")
    print(
        f"\nThe bot answers the submission at once ({took:.0f} ms), and the form shows:\n",
        file=out,
    )
    print(render(answer["view"], names=NAMES), file=out)

    _step(out, 3, "The bot files the request in ServiceOps, which received:")
    await _called(slack, "chat.postMessage")
    if not desk.received:
        raise DemoFailed("ServiceOps received no request")
    print("POST /api/v1/request   (Authorization: Apikey …, the bot's own credentials)", file=out)
    print(json.dumps(desk.received[0], indent=2, ensure_ascii=False), file=out)

    _step(out, 4, f"The ticket number goes back to {NAME.split()[0]}. The form now shows:")
    updated = await _called(slack, "views.update")
    print(render(updated.args["view"], names=NAMES), file=out)
    posted = slack.calls_to("chat.postMessage")[0].args
    print(f"\nand the bot posts in #{CHANNEL_NAME} (chat.postMessage):\n", file=out)
    message = {"text": posted.get("text", ""), "blocks": posted.get("blocks") or []}
    print(render(message, names=NAMES), file=out)

    made = [call.method for call in slack.calls if call.method != "response_url"]
    counts = ", ".join(f"{method} {made.count(method)}" for method in dict.fromkeys(made))
    print(f"\nSlack Web API calls the bot made: {counts}.", file=out)


def _step(out: TextIO, number: int, what: str) -> None:
    print(f"\n{number}. {what}\n", file=out)


async def _post(
    http: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> tuple[int, Any, float]:
    """POST as Slack does; the status, the JSON answer (None when empty) and the time taken."""
    started = time.monotonic()
    async with http.post(url, data=body, headers=headers) as answer:
        raw = await answer.read()
        took = (time.monotonic() - started) * 1000
        return answer.status, json.loads(raw) if raw else None, took


async def _called(slack: StandInSlack, method: str) -> Call:
    """The bot's first call to `method`, once made."""
    try:
        async with asyncio.timeout(STEP_TIMEOUT):
            [call] = await slack.wait_for(method)
    except TimeoutError:
        raise DemoFailed(f"the bot did not call {method} in time") from None
    return call


def _state(view: Json, typed: dict[str, str]) -> Json:
    """`view.state.values` as Slack submits the form: every input, typed or as shown."""
    values: Json = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        block_id, action_id, kind = block["block_id"], element["action_id"], element["type"]
        if kind == "plain_text_input":
            state: Json = {"type": kind, "value": typed.get(block_id, element.get("initial_value"))}
        else:
            state = {"type": kind, "selected_option": element.get("initial_option")}
        values[block_id] = {action_id: state}
    return values
