"""`serviceops-bot check`: a pre-flight an admin runs after filling `.env`.

Each check prints one line, ✓ or ✗, and for a ✗ the fix. The exit status is 0 only when every
check passes. Nothing here prints a secret: errors are described, never echoed.
"""

from __future__ import annotations

import ssl
import sys
from dataclasses import dataclass
from typing import TextIO

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import ConfigError, Settings, SlackSettings, load_form_config, load_settings
from bot.server import StartupError
from bot.serviceops import AuthenticationError, ServiceOpsError
from bot.slack.api_errors import slack_error
from bot.slack.socket_mode import verify_app_token
from bot.wiring import build_serviceops_client

REQUIRED_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "users:read.email",
    "im:history",
    "im:write",
    "app_mentions:read",
)


@dataclass
class Check:
    """One line of the report."""

    ok: bool
    what: str
    fix: str = ""


async def run_checks(settings: Settings, *, mode: str | None = None) -> list[Check]:
    """Every check, in the order an admin would fix them."""
    results: list[Check] = []
    slack = settings.slack
    if slack is None:
        results.append(Check(True, "Slack not configured (SLACK_BOT_TOKEN not set): skipped"))
    else:
        chosen = settings.mode(mode)
        problems = settings.check_mode(chosen)
        label = (
            "Socket Mode (SLACK_APP_TOKEN)"
            if chosen == "socket"
            else f"HTTP mode (PORT {settings.port})"
        )
        results.append(Check(not problems, f"Run mode: {label}", " ".join(problems)))
        results += await _slack_checks(slack)
        if chosen == "socket" and slack.app_token is not None:
            results.append(await _app_token_check(slack))
    results += await _serviceops_checks(settings)
    results.append(_form_check(settings))
    return results


async def _slack_checks(slack: SlackSettings) -> list[Check]:
    client = AsyncWebClient(token=slack.bot_token.get_secret_value(), base_url=slack.api_url)
    try:
        response = await client.auth_test()
    except SlackApiError as exc:
        error = slack_error(exc)
        fix = {
            "invalid_auth": "SLACK_BOT_TOKEN is not valid: copy the Bot User OAuth Token "
            "(xoxb-…) from your Slack app's OAuth & Permissions page.",
            "token_revoked": "SLACK_BOT_TOKEN was revoked: reinstall the app to your workspace "
            "and copy the new token.",
            "account_inactive": "The app was uninstalled or its bot deactivated: reinstall it.",
        }.get(error, f"Slack answered {error!r}; check SLACK_BOT_TOKEN and SLACK_API_URL.")
        return [Check(False, "Slack bot token", fix)]
    except Exception as exc:  # noqa: BLE001 (network trouble of any kind is one ✗ line)
        return [
            Check(
                False,
                f"Slack reachable at {slack.api_url}",
                f"{type(exc).__name__}: check the network, proxy and SLACK_API_URL.",
            )
        ]
    team = response.get("team", "?")
    checks = [Check(True, f"Slack bot token valid (workspace {team}, bot {response.get('user')})")]
    header = response.headers.get("x-oauth-scopes") or response.headers.get("X-OAuth-Scopes")
    granted = {scope.strip() for scope in (header or "").split(",") if scope.strip()}
    missing = [scope for scope in REQUIRED_SCOPES if scope not in granted]
    if header is None:
        checks.append(Check(False, "Slack scopes", "Slack did not report the token's scopes."))
    elif missing:
        checks.append(
            Check(
                False,
                f"Slack scopes: missing {', '.join(missing)}",
                "Add them under OAuth & Permissions (or recreate the app from manifest.yml), "
                "then reinstall the app to the workspace.",
            )
        )
    else:
        checks.append(Check(True, "Slack scopes granted"))
    return checks


async def _app_token_check(slack: SlackSettings) -> Check:
    """Socket Mode: Slack accepts the app-level token (`apps.connections.open`)."""
    assert slack.app_token is not None
    client = AsyncWebClient(base_url=slack.api_url)
    try:
        await verify_app_token(client, slack.app_token.get_secret_value())
    except StartupError as exc:
        return Check(False, "Slack app-level token (Socket Mode)", str(exc))
    except Exception as exc:  # noqa: BLE001 (network trouble of any kind is one ✗ line)
        return Check(
            False,
            "Slack app-level token (Socket Mode)",
            f"{type(exc).__name__}: check the network, proxy and SLACK_API_URL.",
        )
    return Check(True, "Slack app-level token accepted (Socket Mode)")


async def _serviceops_checks(settings: Settings) -> list[Check]:
    url = settings.serviceops_url
    verify: ssl.SSLContext | bool = True
    if settings.serviceops_ca_bundle is not None:
        verify = ssl.create_default_context(cafile=str(settings.serviceops_ca_bundle))
    checks: list[Check] = []
    try:
        async with httpx.AsyncClient(
            verify=verify, timeout=settings.serviceops_connect_timeout
        ) as http:
            await http.get(url + "/")
    except httpx.ConnectError as exc:
        if isinstance(exc.__cause__, ssl.SSLError) or "CERTIFICATE" in str(exc).upper():
            return [
                Check(True, f"ServiceOps reachable at {url}"),
                Check(
                    False,
                    "ServiceOps TLS certificate",
                    "The certificate is not trusted. For a self-signed or internal CA, set "
                    "SERVICEOPS_CA_BUNDLE to the CA file (PEM).",
                ),
            ]
        return [
            Check(
                False,
                f"ServiceOps reachable at {url}",
                "Cannot connect: check SERVICEOPS_URL (scheme, host, port) and the firewall.",
            )
        ]
    except httpx.TimeoutException:
        return [
            Check(
                False,
                f"ServiceOps reachable at {url}",
                "No answer in time: check SERVICEOPS_URL and the network.",
            )
        ]
    checks.append(Check(True, f"ServiceOps reachable at {url}"))
    if url.startswith("https://"):
        checks.append(Check(True, "ServiceOps TLS certificate verified"))
    client = build_serviceops_client(settings)
    what = "ServiceOps API key accepted" if settings.uses_api_key else "ServiceOps token obtained"
    try:
        await client.check_auth()
        checks.append(Check(True, what))
    except AuthenticationError as exc:
        checks.append(
            Check(
                False,
                what.replace("accepted", "refused").replace("obtained", "refused"),
                exc.admin_hint,
            )
        )
    except ServiceOpsError as exc:
        checks.append(Check(False, what, exc.user_message))
    finally:
        await client.aclose()
    return checks


def _form_check(settings: Settings) -> Check:
    if settings.bot_config is None:
        return Check(True, "Form configuration: defaults (BOT_CONFIG not set)")
    try:
        form = load_form_config(settings.bot_config)
    except ConfigError as exc:
        return Check(False, f"Form configuration {settings.bot_config}", " ".join(exc.problems))
    return Check(
        True,
        f"Form configuration {settings.bot_config}: {len(form.departments)} departments, "
        f"{len(form.channels)} channel defaults",
    )


def report(results: list[Check], out: TextIO) -> bool:
    for result in results:
        print(f"{'✓' if result.ok else '✗'} {result.what}", file=out)
        if not result.ok and result.fix:
            print(f"    fix: {result.fix}", file=out)
    ok = all(result.ok for result in results)
    print("All checks passed." if ok else "Some checks failed.", file=out)
    return ok


async def run_check(out: TextIO = sys.stdout, *, mode: str | None = None) -> int:
    """Entry point of `serviceops-bot check`: 0 when everything passes, 1 otherwise."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"✗ {problem}", file=out)
        print("Some checks failed.", file=out)
        return 1
    return 0 if report(await run_checks(settings, mode=mode), out) else 1
