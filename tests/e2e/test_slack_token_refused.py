"""A bot token Slack refuses stops start-up, and `/readyz` names Slack's own error.

The Slack surface asks `auth.test` at warm-up: a token Slack will never accept
(`invalid_auth`, `account_inactive`, `token_revoked`) is a `StartupError`, like a refused
app-level token; Slack out of reach is not (HTTP mode can start: Slack calls in, and the
first request asks again). The console script's side is in `test_start_failures.py`.
"""

from __future__ import annotations

import socket

import pytest

from bot.server import StartupError
from bot.slack.app import create_app
from tests.e2e.harness import Harness, make_settings
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack


@pytest.mark.parametrize("error", ["invalid_auth", "account_inactive", "token_revoked"])
async def test_warm_up_refuses_a_bot_token_slack_refuses(
    slack: FakeSlack, desk: FakeServiceOps, error: str
) -> None:
    slack.fail_next("auth.test", error)
    bot = await create_app(make_settings(slack, desk))
    try:
        with pytest.raises(StartupError, match=rf"^Slack refused SLACK_BOT_TOKEN \({error}\): "):
            await bot.warm_up()
    finally:
        await bot.aclose()


async def test_warm_up_with_slack_out_of_reach_lets_the_bot_start(desk: FakeServiceOps) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with FakeSlack() as slack:
        settings = make_settings(slack, desk, slack_api_url=f"http://127.0.0.1:{port}/api/")
    bot = await create_app(settings)
    try:
        await bot.warm_up()  # logged, not raised: the first request asks again
    finally:
        await bot.aclose()


async def test_other_slack_errors_at_warm_up_do_not_stop_start_up(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    slack.fail_next("auth.test", "ratelimited")
    bot = await create_app(make_settings(slack, desk))
    try:
        await bot.warm_up()
    finally:
        await bot.aclose()


async def test_readyz_names_slacks_error(app: Harness) -> None:
    app.slack.bot_token = "xoxb-revoked-since-start"  # every call with the old one: invalid_auth

    answer = await app.http.get(app.url + "/readyz")

    assert answer.status_code == 503
    assert answer.json()["checks"]["slack"] == "invalid_auth"
