"""The environment that points a real `serviceops-bot` process at the fakes."""

from __future__ import annotations

from tests.fakes import slack_requests as sr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack


def bot_environment(slack: FakeSlack, desk: FakeServiceOps) -> dict[str, str]:
    """Settings (as environment variables) for a bot talking to `slack` and `desk`."""
    return {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": sr.SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "SERVICEOPS_URL": desk.url,
        "SERVICEOPS_CLIENT_ID": desk.client_id,
        "SERVICEOPS_CLIENT_SECRET": desk.client_secret,
        "SERVICEOPS_USERNAME": desk.username,
        "SERVICEOPS_PASSWORD": desk.password,
    }
