"""Requests not signed by Slack with the app's secret, or signed too long ago, are refused
with 401 before anything happens."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.harness import CHANNEL, USER, Harness, ListenerRuns
from tests.fakes import slack_requests as sr


def command(app: Harness, **signing: Any) -> sr.SlackRequest:
    return sr.slash_command(
        "printer jammed",
        user_id=USER,
        channel_id=CHANNEL,
        trigger_id=app.slack.new_trigger_id(),
        response_url=app.slack.response_url(),
        **signing,
    )


def dm(app: Harness, **signing: Any) -> sr.SlackRequest:
    event = sr.dm_event("VPN down", user_id=USER, channel_id=app.slack.dm_channel(USER))
    return sr.event_callback(event, **signing)


Build = Callable[..., sr.SlackRequest]
Forge = Callable[[Harness, Build], sr.SlackRequest]


def tampered(request: sr.SlackRequest) -> sr.SlackRequest:
    """Signed correctly, then the body was changed on the way."""
    body, headers = request
    return sr.SlackRequest(body.replace(b"printer", b"PRINTER").replace(b"VPN", b"NPV"), headers)


def unsigned(request: sr.SlackRequest) -> sr.SlackRequest:
    body, headers = request
    kept = {k: v for k, v in headers.items() if not k.startswith("X-Slack")}
    return sr.SlackRequest(body, kept)


STALE = int(time.time()) - 10 * 60
FUTURE = int(time.time()) + 10 * 60

CASES: list[Any] = [
    pytest.param(lambda app, build: build(app, secret="not-the-secret"), id="wrong-secret"),
    pytest.param(lambda app, build: tampered(build(app)), id="tampered-body"),
    pytest.param(lambda app, build: unsigned(build(app)), id="no-signature"),
    pytest.param(lambda app, build: build(app, timestamp=STALE), id="stale-timestamp"),
    pytest.param(lambda app, build: build(app, timestamp=FUTURE), id="future-timestamp"),
]


@pytest.mark.parametrize("build", [command, dm], ids=["command", "dm-event"])
@pytest.mark.parametrize("forge", CASES)
async def test_badly_signed_request_is_refused_and_nothing_happens(
    app: Harness, listener_runs: ListenerRuns, build: Build, forge: Forge
) -> None:
    response = await app.send(forge(app, build))

    assert response.status_code == 401
    assert await listener_runs.settle() == 0
    assert app.slack.calls == []  # not even auth.test
    assert app.desk.calls == []

    # The same request, signed properly, is served: the refusal was the signature's doing.
    assert (await app.send(build(app))).status_code == 200
    assert await listener_runs.settle() == 1
    assert app.slack.count("views.open") + app.slack.count("chat.postMessage") == 1


# --------------------------------------------------------------------------- before anything


def with_timestamp(request: sr.SlackRequest, timestamp: str) -> sr.SlackRequest:
    body, headers = request
    return sr.SlackRequest(body, {**headers, "X-Slack-Request-Timestamp": timestamp})


class Recorder:
    """A loopback server that records whatever reaches it (a response URL's target)."""

    def __init__(self) -> None:
        self.hits: list[str] = []

    async def __aenter__(self) -> str:
        from aiohttp import web

        async def record(request: web.Request) -> web.Response:
            self.hits.append(request.path)
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", record)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}/hook"

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()


@pytest.mark.parametrize("timestamp", ["abc", "", "1e10", "-", "99999999999999999999999"])
async def test_a_malformed_timestamp_is_401_and_nothing_is_sent_anywhere(
    app: Harness, listener_runs: ListenerRuns, timestamp: str
) -> None:
    recorder = Recorder()
    async with recorder as hook:
        request = sr.slash_command(
            "x", user_id=USER, channel_id=CHANNEL, trigger_id="1.2.3", response_url=hook
        )
        response = await app.send(with_timestamp(unsigned(request), timestamp))
        await listener_runs.settle()

        assert response.status_code == 401
        assert recorder.hits == []  # no apology posted to an address the sender chose
    assert app.slack.calls == []


async def test_unsigned_deeply_nested_payloads_are_refused_without_parsing(app: Harness) -> None:
    body = b"payload=" + b"%5B" * 200_000  # "[[[[..." URL-encoded, ~600 KB
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    response = await app.http.post(app.url + "/slack/events", content=body, headers=headers)

    assert response.status_code == 401  # refused on the signature, before any parsing
    assert "Traceback" not in response.text
    assert app.slack.calls == []


async def test_compressed_bodies_are_refused(app: Harness) -> None:
    body, headers = command(app)
    response = await app.http.post(
        app.url + "/slack/events", content=body, headers={**headers, "Content-Encoding": "gzip"}
    )

    assert response.status_code == 415
    assert app.slack.calls == []
