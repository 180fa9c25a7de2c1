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
