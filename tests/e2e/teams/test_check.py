"""`serviceops-bot check` with Microsoft Teams configured, against FakeTeams and FakeServiceOps.

Teams gets its own lines: the settings, the bot's token from the login endpoint, the signing
keys of the OpenID metadata, and where the Azure Bot must send activities. Each ✗ names the
setting to fix and where its value is found, and never prints a secret. The checks run
in-process (`run_checks` + `report`) and once through the installed console script.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from bot.check import report, run_checks
from tests.e2e.teams.harness import make_teams_settings
from tests.e2e.test_check import Outcome, check, closed_port, run_script
from tests.fakes import slack_requests as sr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack
from tests.fakes.teams_api import FakeTeams

OTHER_GUID = "5d2a9c47-1b3e-4f60-8a7d-c9e0f1b2a3d4"
ENDPOINT_LINE = (
    "Teams messaging endpoint (Azure Bot → Configuration): https://<your host>/api/messages"
)


async def check_teams(teams: FakeTeams, desk: FakeServiceOps, **overrides: Any) -> Outcome:
    results = await run_checks(make_teams_settings(teams, desk, **overrides))
    out = io.StringIO()
    ok = report(results, out)
    return Outcome(ok, results, out.getvalue())


def serviceops_environment(desk: FakeServiceOps) -> dict[str, str]:
    return {
        "SERVICEOPS_URL": desk.url,
        "SERVICEOPS_CLIENT_ID": desk.client_id,
        "SERVICEOPS_CLIENT_SECRET": desk.client_secret,
        "SERVICEOPS_USERNAME": desk.username,
        "SERVICEOPS_PASSWORD": desk.password,
    }


def only_failure(outcome: Outcome) -> Any:
    assert len(outcome.failed) == 1, outcome.text
    return outcome.failed[0]


# --------------------------------------------------------------------------- all green


async def test_teams_only_all_green(teams: FakeTeams, desk: FakeServiceOps) -> None:
    outcome = await check_teams(teams, desk)

    assert outcome.ok, outcome.text
    lines = outcome.text.splitlines()
    assert lines[-1] == "All checks passed."
    assert all(line.startswith("✓") for line in lines[:-1]), outcome.text
    assert outcome.line("Slack not configured (SLACK_BOT_TOKEN not set): skipped").ok
    assert outcome.line("Teams settings").what == (
        f"Teams settings: app id {teams.app_id}, tenant {teams.tenant_id}, public cloud "
        "(TEAMS_LOGIN_URL and TEAMS_OPENID_METADATA_URL override its endpoints)"
    )
    assert (
        outcome.line("Teams bot token").what == f"Teams bot token obtained from {teams.login_url}"
    )
    assert outcome.line("Teams signing keys").what == (
        f"Teams signing keys read from {teams.openid_metadata_url} (1 key)"
    )
    reminder = outcome.line(ENDPOINT_LINE).what
    assert "served on PORT 3000" in reminder
    assert "public HTTPS endpoint" in reminder
    assert outcome.line("ServiceOps token obtained").ok
    # Teams' lines come between the chat surface skipped and ServiceOps, in fixing order.
    order = [r.what.split(" ")[0] for r in outcome.results]
    assert order == ["Slack", *["Teams"] * 4, *["ServiceOps"] * 3, "Status", "Form"]
    # It really asked the fake, once each, as the bot does.
    assert teams.tokens_issued == 1
    assert teams.openid_fetches == 1
    assert teams.jwks_fetches == 1
    [login] = teams.calls_of("token")
    assert login.body["grant_type"] == "client_credentials"
    assert login.body["client_id"] == teams.app_id
    assert teams.app_password not in outcome.text


async def test_messaging_endpoint_names_the_port(teams: FakeTeams, desk: FakeServiceOps) -> None:
    outcome = await check_teams(teams, desk, port=8443)

    assert "served on PORT 8443" in outcome.line(ENDPOINT_LINE).what


# --------------------------------------------------------------------------- the bot's token


@pytest.mark.parametrize(
    ("password", "hint"),
    [
        ("Xq8~not-the-secret-value-at-all-0123456789", None),
        ("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "looks like a Secret ID"),
    ],
)
async def test_wrong_password_names_the_setting_and_hides_the_secret(
    teams: FakeTeams, desk: FakeServiceOps, password: str, hint: str | None
) -> None:
    outcome = await check_teams(teams, desk, teams_app_password=password)

    failed = only_failure(outcome)
    assert failed.what == "Teams bot token refused"
    assert "TEAMS_APP_PASSWORD" in failed.fix
    assert "Certificates & secrets" in failed.fix
    assert "not its Secret ID" in failed.fix
    if hint:
        assert hint in failed.fix
    assert "✗ Teams bot token refused\n    fix: TEAMS_APP_PASSWORD" in outcome.text
    assert password not in outcome.text
    assert teams.app_password not in outcome.text
    assert [call.error for call in teams.calls_of("token")] == ["invalid_client"]
    # The rest is still checked: the keys do not depend on the password.
    assert outcome.line("Teams signing keys read from").ok
    assert outcome.text.splitlines()[-1] == "Some checks failed."


async def test_wrong_tenant_names_the_tenant_setting(
    teams: FakeTeams, desk: FakeServiceOps
) -> None:
    outcome = await check_teams(teams, desk, teams_tenant_id=OTHER_GUID)

    failed = only_failure(outcome)
    assert failed.what == "Teams bot token refused"
    assert "TEAMS_TENANT_ID was not found" in failed.fix
    assert "Directory (tenant) ID" in failed.fix
    assert outcome.line(f"Teams settings: app id {teams.app_id}, tenant {OTHER_GUID}").ok
    assert [call.error for call in teams.calls_of("token")] == ["invalid_request"]


async def test_app_of_another_tenant_names_the_app_id(
    teams: FakeTeams, desk: FakeServiceOps
) -> None:
    outcome = await check_teams(teams, desk, teams_app_id=OTHER_GUID)

    failed = only_failure(outcome)
    assert failed.what == "Teams bot token refused"
    assert "TEAMS_APP_ID is not an app registration of tenant TEAMS_TENANT_ID" in failed.fix
    assert "Application (client) ID" in failed.fix


async def test_login_unreachable_is_not_a_refusal(teams: FakeTeams, desk: FakeServiceOps) -> None:
    url = f"http://127.0.0.1:{closed_port()}/login"

    outcome = await check_teams(teams, desk, teams_login_url=url)

    failed = only_failure(outcome)
    assert failed.what == f"Teams login endpoint reachable at {url}"
    assert failed.fix.startswith("Unreachable (ConnectError)")
    assert "proxy" in failed.fix
    assert "TEAMS_LOGIN_URL" in failed.fix
    assert "refused" not in outcome.text
    assert teams.token_requests == 0
    assert outcome.line("Teams signing keys read from").ok


async def test_login_answering_an_error_page(teams: FakeTeams, desk: FakeServiceOps) -> None:
    teams.fail_next(status=503, kind="token")

    outcome = await check_teams(teams, desk)

    failed = only_failure(outcome)
    assert failed.what == "Teams bot token"
    assert "HTTP 503" in failed.fix
    assert "TEAMS_LOGIN_URL" in failed.fix


# --------------------------------------------------------------------------- signing keys


async def test_metadata_url_wrong(teams: FakeTeams, desk: FakeServiceOps) -> None:
    url = f"{teams.url}/botframework/v2/.well-known/openidconfiguration"

    outcome = await check_teams(teams, desk, teams_openid_metadata_url=url)

    failed = only_failure(outcome)
    assert failed.what == "Teams signing keys"
    assert failed.fix.startswith(f"{url} answered HTTP 404: TEAMS_OPENID_METADATA_URL is")
    assert "TEAMS_CLOUD" in failed.fix
    assert outcome.line("Teams bot token obtained").ok


async def test_metadata_unreachable(teams: FakeTeams, desk: FakeServiceOps) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1/.well-known/openidconfiguration"

    outcome = await check_teams(teams, desk, teams_openid_metadata_url=url)

    failed = only_failure(outcome)
    assert failed.what == f"Teams OpenID metadata reachable at {url}"
    assert failed.fix.startswith("Unreachable (ConnectError)")
    assert "TEAMS_OPENID_METADATA_URL" in failed.fix


async def test_metadata_without_keys(teams: FakeTeams, desk: FakeServiceOps) -> None:
    for key in list(teams.keys):
        teams.retire_key(key.kid)

    outcome = await check_teams(teams, desk)

    failed = only_failure(outcome)
    assert failed.what == "Teams signing keys"
    assert failed.fix.startswith("The key set has no signing keys: TEAMS_OPENID_METADATA_URL")
    assert teams.jwks_fetches == 1


# --------------------------------------------------------------------------- settings


async def test_ids_that_are_not_guids_are_named_not_echoed(
    teams: FakeTeams, desk: FakeServiceOps
) -> None:
    outcome = await check_teams(
        teams, desk, teams_app_id="my-teams-bot", teams_tenant_id="contoso-tenant"
    )

    settings = outcome.line("Teams settings")
    assert not settings.ok
    assert settings.what == "Teams settings"
    assert "TEAMS_APP_ID is not a GUID" in settings.fix
    assert "Application (client) ID" in settings.fix
    assert "TEAMS_TENANT_ID is not a GUID" in settings.fix
    assert "Directory (tenant) ID" in settings.fix
    assert "my-teams-bot" not in outcome.text
    assert "contoso-tenant" not in outcome.text


async def test_app_id_pasted_as_tenant(teams: FakeTeams, desk: FakeServiceOps) -> None:
    outcome = await check_teams(teams, desk, teams_tenant_id=teams.app_id)

    assert "are the same GUID" in outcome.line("Teams settings").fix


async def test_plain_http_to_another_machine_sends_no_secret(
    teams: FakeTeams, desk: FakeServiceOps
) -> None:
    outcome = await check_teams(teams, desk, teams_login_url="http://login.example.com")

    assert [r.what for r in outcome.failed] == ["Teams settings", "Teams bot token (not requested)"]
    assert "TEAMS_LOGIN_URL uses plain http:// to another machine" in outcome.failed[0].fix
    assert "https://" in outcome.failed[1].fix
    assert teams.token_requests == 0
    # The fake's own plain-http loopback URLs (every other test) are not warned about.
    assert outcome.line("Teams signing keys read from").ok


async def test_login_url_with_the_token_path(teams: FakeTeams, desk: FakeServiceOps) -> None:
    outcome = await check_teams(teams, desk, teams_login_url=teams.token_url)

    assert "TEAMS_LOGIN_URL is the login authority alone" in outcome.line("Teams settings").fix


# --------------------------------------------------------------------------- surfaces


async def test_teams_and_slack_are_both_checked(
    teams: FakeTeams, slack: FakeSlack, desk: FakeServiceOps
) -> None:
    teams.rotate_key()  # Microsoft publishes several keys

    outcome = await check_teams(
        teams,
        desk,
        slack_bot_token=slack.bot_token,
        slack_signing_secret=sr.SIGNING_SECRET,
        slack_api_url=slack.api_url,
    )

    assert outcome.ok, outcome.text
    assert outcome.line("Run mode: HTTP mode (PORT 3000)").ok
    assert outcome.line("Slack bot token valid").ok
    assert outcome.line("Slack scopes granted").ok
    assert outcome.line("Teams bot token obtained").ok
    assert outcome.line("Teams signing keys read").what.endswith("(2 keys)")
    assert "skipped" not in outcome.text
    assert slack.count("auth.test") == 1
    assert teams.tokens_issued == 1


async def test_slack_only_says_teams_is_skipped(slack: FakeSlack, desk: FakeServiceOps) -> None:
    outcome = await check(slack, desk)

    assert outcome.ok, outcome.text
    assert outcome.line("Teams not configured (TEAMS_APP_ID not set): skipped").ok
    assert [r.what for r in outcome.results if r.what.startswith("Teams")] == [
        "Teams not configured (TEAMS_APP_ID not set): skipped"
    ]


# --------------------------------------------------------------------------- console script


async def test_console_script_teams_only(
    teams: FakeTeams, desk: FakeServiceOps, tmp_path: Path
) -> None:
    env = {**teams.environment(), **serviceops_environment(desk)}

    code, out, err = await run_script(tmp_path, env)

    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[-1] == "All checks passed."
    assert "✓ Slack not configured (SLACK_BOT_TOKEN not set): skipped" in lines
    assert f"✓ Teams bot token obtained from {teams.login_url}" in lines
    assert f"✓ Teams signing keys read from {teams.openid_metadata_url} (1 key)" in lines
    assert any(line.startswith(f"✓ {ENDPOINT_LINE}") for line in lines), out
    assert "Traceback" not in err
    assert teams.tokens_issued == 1

    wrong = "Xq8~typed-from-memory-not-copied-0123456"
    code, out, err = await run_script(tmp_path, {**env, "TEAMS_APP_PASSWORD": wrong})

    assert code == 1, out + err
    assert "✗ Teams bot token refused" in out.splitlines()
    assert "TEAMS_APP_PASSWORD" in out
    assert out.splitlines()[-1] == "Some checks failed."
    assert "Traceback" not in err
    assert wrong not in out + err
    assert teams.app_password not in out + err
