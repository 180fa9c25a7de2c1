"""Socket Mode readiness follows the ping deadline: a connection on which Slack stops
answering pings (a hung edge, a proxy holding the TCP connection open) is reported not ready
within `PING_INTERVAL + PONG_WAIT` of the last answered ping, not only when the socket is
finally torn down."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx2
import pytest
from aiohttp import web

from bot.cache import build_cache
from bot.config import FormConfig
from bot.server import serve
from bot.slack.app import create_app
from bot.slack.socket_mode import PING_INTERVAL, PONG_WAIT, SocketModeIntake
from tests.e2e.harness import make_settings
from tests.e2e.test_socket_mode import free_port
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode


class StallingSocketMode(FakeSocketMode):
    """Socket Mode whose open connections can stop reading: pings go unanswered while the
    TCP connection stays up."""

    def __init__(self, slack: FakeSlack) -> None:
        super().__init__(slack)
        self._transports: list[web.Request] = []

    async def _link(self, request: web.Request) -> web.StreamResponse:
        self._transports.append(request)
        return await super()._link(request)

    def stall(self) -> None:
        for request in self._transports:
            if request.transport is not None:
                request.transport.pause_reading()


@pytest.fixture
async def stalling(slack: FakeSlack) -> AsyncIterator[StallingSocketMode]:
    async with StallingSocketMode(slack) as fake:
        yield fake


async def test_a_socket_that_stops_answering_pings_is_not_ready_by_the_deadline(
    slack: FakeSlack, desk: FakeServiceOps, form_config: FormConfig, stalling: StallingSocketMode
) -> None:
    health_port = free_port()
    settings = make_settings(
        slack,
        desk,
        slack_app_token=stalling.app_token,
        slack_signing_secret=None,
        health_port=health_port,
    )
    bot = await create_app(settings, form=form_config, cache=build_cache("memory://"))
    intake = SocketModeIntake(bot, stalling.app_token)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(bot.core, [intake], port=health_port, stop=stop))
    url = f"http://127.0.0.1:{health_port}/readyz"
    try:
        await stalling.wait_connected()
        async with httpx2.AsyncClient(timeout=10) as http:
            # Healthy for a while: pings are answered.
            for _ in range(3):
                assert (await http.get(url)).status_code == 200
                await asyncio.sleep(PING_INTERVAL / 2)
            client = intake.handler.client
            answered = client.last_ping_pong_time
            assert answered is not None
            assert time.time() - answered <= PING_INTERVAL + PONG_WAIT

            # Stop answering just after a pong came: the worst case for noticing.
            async with asyncio.timeout(PING_INTERVAL + 1):
                while client.last_ping_pong_time == answered:
                    await asyncio.sleep(0.01)
            stalling.stall()
            stalled = time.time()
            async with asyncio.timeout(PING_INTERVAL + PONG_WAIT + 2):
                while (answer := await http.get(url)).status_code == 200:
                    await asyncio.sleep(0.1)

        noticed = time.time()
        assert answer.json()["checks"]["socket_mode"] != "ok"
        assert noticed - stalled <= PING_INTERVAL + PONG_WAIT + 1
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
