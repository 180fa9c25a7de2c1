"""`serviceops-bot check`: a pre-flight an admin runs after filling `.env`.

Each check prints one line, ✓ or ✗, and for a ✗ the fix. The exit status is 0 only when every
check passes. Nothing here prints a secret: errors are described, never echoed.
"""

from __future__ import annotations

import io
import ipaddress
import json
import re
import ssl
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import aiohttp
import httpx2
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cache import build_cache
from bot.config import (
    TEAMS_CLOUDS,
    ConfigError,
    Settings,
    SlackSettings,
    TeamsSettings,
    describe_proxy,
    load_form_config,
    load_settings,
    proxy_for,
)
from bot.server import StartupError
from bot.serviceops import (
    AuthenticationError,
    RequestRejectedError,
    ServiceOpsClient,
    ServiceOpsError,
    qual_details,
    requester_equals,
)
from bot.slack.api_errors import slack_error
from bot.slack.socket_mode import verify_app_token
from bot.teams.auth import SigningKeys, Unauthorized
from bot.teams.connector import BotConnector, ConnectorError, LoginError
from bot.teams.ids import ENDPOINT
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
    "channels:history",
    "groups:history",
    "mpim:history",
    "reactions:read",
    "files:read",
)

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_APP_REGISTRATION = (
    "the Overview page of the bot's Entra app registration (Azure portal → App registrations)"
)
_SECRET_HELP = (
    "a client secret's Value from Certificates & secrets of the bot's Entra app registration "
    "(shown once, when the secret is created), not its Secret ID"
)


@dataclass
class Check:
    """One line of the report."""

    ok: bool
    what: str
    fix: str = ""
    skipped: bool = False
    """Not made, because a check it depends on failed (`what` says which): neither a pass nor
    a failure of its own."""


def _skipped(what: str) -> Check:
    return Check(True, what, skipped=True)


async def run_checks(
    settings: Settings, *, mode: str | None = None, try_upload: bool = False
) -> list[Check]:
    """Every check, in the order an admin would fix them. `try_upload`: also upload a tiny
    file to ServiceOps (the upload endpoint is a guess until tried)."""
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
    teams = settings.teams
    if teams is not None:
        results += await _teams_checks(settings, teams)
    elif slack is not None:
        # (Settings never load without a surface: with none, there is nothing to skip.)
        results.append(Check(True, "Teams not configured (TEAMS_APP_ID not set): skipped"))
    serviceops = await _serviceops_checks(settings)
    results += serviceops
    if try_upload:
        if all(check.ok for check in serviceops):
            results.append(await _upload_check(settings))
        else:
            results.append(_skipped("ServiceOps upload not tried: fix the ServiceOps lines above"))
    results.append(_status_updates_check(settings))
    results.append(_form_check(settings))
    return results


def _status_updates_check(settings: Settings) -> Check:
    """How status changes and desk replies come back to the chat: they are optional, so off is
    not a failure, but an admin should know, and what to set."""
    desk = settings.serviceops
    ways = []
    if desk.webhook_secret is not None:
        ways.append(f"ServiceOps' workflow calls POST /serviceops/events on PORT {settings.port}")
    if desk.poll_seconds:
        ways.append(f"the bot asks ServiceOps every {desk.poll_seconds} s")
    if ways:
        return Check(True, "Status updates: " + "; ".join(ways))
    return Check(
        True,
        "Status updates: off (tickets are filed, but status changes and the desk's replies do "
        "not come back to the chat; set SERVICEOPS_WEBHOOK_SECRET and add the workflow, or "
        "SERVICEOPS_POLL_SECONDS: see the README's After filing)",
    )


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
        return [
            Check(False, "Slack bot token", fix),
            _skipped("Slack scopes not checked: they are the bot token's (fix the line above)"),
        ]
    except Exception as exc:  # noqa: BLE001 (network trouble of any kind is one ✗ line)
        return [
            Check(False, f"Slack reachable at {slack.api_url}", _slack_unreachable(exc, slack)),
            _skipped(
                "Slack bot token and scopes not checked: Slack could not be asked (fix the "
                "line above)"
            ),
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
        return Check(False, "Slack app-level token (Socket Mode)", _slack_unreachable(exc, slack))
    return Check(True, "Slack app-level token accepted (Socket Mode)")


def _slack_unreachable(exc: BaseException, slack: SlackSettings) -> str:
    """Why Slack could not be asked, and what to fix. Slack's client takes HTTPS_PROXY for
    every Slack call (it does not read NO_PROXY)."""
    host = urllib.parse.urlsplit(slack.api_url).hostname or slack.api_url
    proxy = proxy_for(slack.api_url, slack=True)
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        answer = f"HTTP {exc.status} {exc.message}".strip()
        return _proxy_refused(proxy, host, answer, no_proxy=False)
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return _proxy_unreachable(proxy, host)
    return f"{type(exc).__name__}: check the network, proxy (HTTPS_PROXY) and SLACK_API_URL."


def _proxy_refused(proxy: str | None, host: str, answer: str, *, no_proxy: bool = True) -> str:
    """A proxy answered instead of the server: it would not (or could not) reach `host`."""
    via = f"the proxy {proxy} (HTTPS_PROXY)" if proxy else "the proxy (HTTPS_PROXY)"
    fix = f"Proxy refused: {via} answered {answer} when asked for {host}: allow {host} on it"
    if no_proxy:
        return fix + ", or add the host to NO_PROXY if this machine reaches it directly."
    return fix + ", or fix HTTPS_PROXY."


def _proxy_answer(exc: httpx2.ProxyError) -> str:
    """httpx2 says "502 Bad Gateway" for a proxy's answer to CONNECT."""
    text = str(exc)
    return f"HTTP {text}" if text[:3].isdigit() else (text or "an error")


def _proxy_unreachable(proxy: str | None, host: str) -> str:
    via = f"the proxy {proxy} (HTTPS_PROXY)" if proxy else "the proxy (HTTPS_PROXY)"
    return (
        f"Cannot connect to {via}, through which {host} is reached: fix HTTPS_PROXY, or unset "
        "it if this machine needs no proxy."
    )


# --------------------------------------------------------------------------- Teams


async def _teams_checks(settings: Settings, teams: TeamsSettings) -> list[Check]:
    """Teams: its settings, the bot's own token, the signing keys, where Teams must call."""
    checks = [_teams_settings_check(settings, teams)]
    cache = build_cache("memory://")  # never the shared cache: a check leaves no token behind
    try:
        # trust_env: HTTPS_PROXY and NO_PROXY apply, as they do to the bot's own client.
        async with httpx2.AsyncClient(
            timeout=httpx2.Timeout(10.0, connect=5.0), trust_env=True
        ) as http:
            checks.append(await _teams_token_check(teams, http, cache))
            checks.append(await _teams_keys_check(teams, http))
    finally:
        await cache.close()
    checks.append(
        Check(
            True,
            f"Teams messaging endpoint (Azure Bot → Configuration): https://<your host>{ENDPOINT}, "
            f"served on PORT {settings.port}; Teams needs a public HTTPS endpoint (a reverse "
            "proxy or tunnel in front of this port)",
        )
    )
    return checks


def _teams_settings_check(settings: Settings, teams: TeamsSettings) -> Check:
    """What can be told without the network. Ids are GUIDs, so naming them is safe; a value
    that is not one may be a misplaced secret, so it is never echoed."""
    problems = []
    if not _GUID.fullmatch(teams.app_id):
        problems.append(
            "TEAMS_APP_ID is not a GUID (like 00000000-0000-0000-0000-000000000000): copy the "
            f"Application (client) ID from {_APP_REGISTRATION}."
        )
    if not _GUID.fullmatch(teams.tenant_id):
        problems.append(
            "TEAMS_TENANT_ID is not a GUID: copy the Directory (tenant) ID from "
            f"{_APP_REGISTRATION}."
        )
    elif teams.tenant_id.lower() == teams.app_id.lower():
        problems.append(
            "TEAMS_APP_ID and TEAMS_TENANT_ID are the same GUID: one of them is copied from the "
            f"wrong line of {_APP_REGISTRATION} (Application (client) ID, Directory (tenant) ID)."
        )
    if teams.cloud not in TEAMS_CLOUDS:
        problems.append(f"TEAMS_CLOUD must be one of {', '.join(TEAMS_CLOUDS)}.")
    if "/oauth2" in teams.login_url:
        problems.append(
            "TEAMS_LOGIN_URL is the login authority alone (like https://login.microsoftonline.com):"
            " the bot adds /<tenant>/oauth2/v2.0/token itself."
        )
    for setting, url, what in (
        ("TEAMS_LOGIN_URL", teams.login_url, "the bot's client secret and tokens"),
        ("TEAMS_OPENID_METADATA_URL", teams.openid_metadata_url, "the keys that vouch for Teams"),
    ):
        if _plain_http_elsewhere(url):
            problems.append(
                f"{setting} uses plain http:// to another machine: {what} would cross the "
                "network unencrypted and could be altered; use https://."
            )
    overrides = [
        name
        for name, value in (
            ("TEAMS_LOGIN_URL", settings.teams_login_url),
            ("TEAMS_OPENID_METADATA_URL", settings.teams_openid_metadata_url),
        )
        if value
    ]
    if problems:
        return Check(False, "Teams settings", " ".join(problems))
    what = f"Teams settings: app id {teams.app_id}, tenant {teams.tenant_id}, {teams.cloud} cloud"
    if overrides:
        verb = "overrides" if len(overrides) == 1 else "override"
        what += f" ({' and '.join(overrides)} {verb} its endpoints)"
    return Check(True, what)


async def _teams_token_check(
    teams: TeamsSettings, http: httpx2.AsyncClient, cache: object
) -> Check:
    """The bot's own token, by client credentials at the login endpoint (as the bot gets it)."""
    if _plain_http_elsewhere(teams.login_url):
        return Check(
            False,
            "Teams bot token (not requested)",
            "The client secret is not sent over plain http: set TEAMS_LOGIN_URL to an https:// "
            "URL (or leave it unset to use TEAMS_CLOUD's).",
        )
    try:
        await BotConnector(teams, http, cache).token()
    except LoginError as exc:
        return Check(False, "Teams bot token refused", _login_refused_fix(teams, exc))
    except ConnectorError as exc:
        if exc.status is None:
            return Check(
                False,
                f"Teams login endpoint reachable at {teams.login_url}",
                _unreachable_fix(exc.__cause__, teams.login_url, "TEAMS_LOGIN_URL"),
            )
        return Check(
            False,
            "Teams bot token",
            f"The login endpoint answered HTTP {exc.status} ({exc.code}): check TEAMS_LOGIN_URL "
            "(the authority alone, like https://login.microsoftonline.com) and TEAMS_CLOUD; "
            "a 5xx answer is the login service's own trouble: try again later.",
        )
    except Exception as exc:  # noqa: BLE001 (network trouble of any kind is one ✗ line)
        return Check(
            False,
            f"Teams login endpoint reachable at {teams.login_url}",
            _unreachable_fix(exc, teams.login_url, "TEAMS_LOGIN_URL"),
        )
    return Check(True, f"Teams bot token obtained from {teams.login_url}")


def _login_refused_fix(teams: TeamsSettings, exc: LoginError) -> str:
    """Which setting to fix for each answer of the Entra login (its OAuth `error` code)."""
    if exc.code == "invalid_client":
        fix = f"TEAMS_APP_PASSWORD is not accepted for TEAMS_APP_ID: set it to {_SECRET_HELP}."
        if _GUID.fullmatch(teams.app_password.get_secret_value()):
            fix += " The one set looks like a Secret ID (a GUID), not a secret's Value."
        return fix + " An expired secret needs a new one."
    if exc.code == "unauthorized_client":
        return (
            "TEAMS_APP_ID is not an app registration of tenant TEAMS_TENANT_ID: copy both the "
            f"Application (client) ID and the Directory (tenant) ID from {_APP_REGISTRATION}."
        )
    if exc.code == "invalid_request":
        return (
            "TEAMS_TENANT_ID was not found: copy the Directory (tenant) ID from "
            f"{_APP_REGISTRATION}, and check TEAMS_CLOUD (a government or China tenant signs in "
            "at its own cloud)."
        )
    if exc.code == "invalid_scope":
        return (
            "The login refused the Bot Framework scope: check TEAMS_CLOUD (and TEAMS_LOGIN_URL "
            "when set): they must name the same Microsoft cloud."
        )
    return (
        f"The login answered {exc.code!r}: check TEAMS_APP_ID (the Application (client) ID), "
        f"TEAMS_TENANT_ID (the Directory (tenant) ID) and TEAMS_APP_PASSWORD ({_SECRET_HELP})."
    )


async def _teams_keys_check(teams: TeamsSettings, http: httpx2.AsyncClient) -> Check:
    """The OpenID metadata and the signing keys it names: without them no activity is accepted."""
    url = teams.openid_metadata_url
    keys = SigningKeys(url, http)
    wrong_url = (
        "TEAMS_OPENID_METADATA_URL is probably wrong: it must be the Bot Framework's OpenID "
        "metadata (…/v1/.well-known/openidconfiguration) of the cloud TEAMS_CLOUD names; "
        "leave it unset to use that cloud's own."
    )
    try:
        await keys.refresh(force=True)
    except Unauthorized as exc:
        cause = exc.__cause__
        if isinstance(cause, httpx2.HTTPStatusError):
            return Check(
                False,
                "Teams signing keys",
                f"{cause.request.url} answered HTTP {cause.response.status_code}: {wrong_url}",
            )
        if isinstance(cause, httpx2.HTTPError):
            return Check(
                False,
                f"Teams OpenID metadata reachable at {url}",
                _unreachable_fix(cause, url, "TEAMS_OPENID_METADATA_URL"),
            )
        if isinstance(cause, json.JSONDecodeError):
            return Check(False, "Teams signing keys", f"The answer is not JSON: {wrong_url}")
        return Check(False, "Teams signing keys", f"{exc.reason}: {wrong_url}")
    count = keys.count  # how many keys the bot can check tokens with
    if count == 0:
        return Check(False, "Teams signing keys", f"The key set has no signing keys: {wrong_url}")
    return Check(
        True, f"Teams signing keys read from {url} ({count} key{'' if count == 1 else 's'})"
    )


def _unreachable_fix(exc: BaseException | None, url: str, setting: str) -> str:
    """An unreachable endpoint: TLS, timeout or the network, and the setting that names it."""
    host = urllib.parse.urlsplit(url).netloc
    name = type(exc).__name__ if exc is not None else "no answer"
    proxy = proxy_for(url)
    if isinstance(exc, httpx2.ProxyError):
        return _proxy_refused(proxy, host, _proxy_answer(exc))
    if isinstance(exc, httpx2.ConnectError) and proxy is not None:
        return _proxy_unreachable(proxy, host)
    if isinstance(exc, httpx2.ConnectError) and (
        isinstance(exc.__cause__, ssl.SSLError) or "CERTIFICATE" in str(exc).upper()
    ):
        return (
            f"Unreachable ({name}): the TLS certificate of {host} is not trusted; a proxy that "
            f"inspects TLS needs its CA trusted on this host. {setting} (or TEAMS_CLOUD) names it."
        )
    if isinstance(exc, httpx2.TimeoutException):
        return (
            f"Unreachable ({name}): no answer in time from {host}; check the network, proxy "
            f"(HTTPS_PROXY) and firewall, and {setting} (or TEAMS_CLOUD)."
        )
    return (
        f"Unreachable ({name}): check the network, proxy (HTTPS_PROXY) and firewall between this "
        f"host and {host}, and {setting} (or TEAMS_CLOUD)."
    )


def _plain_http_elsewhere(url: str) -> bool:
    """`url` is plain http to a host other than this machine."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http":
        return False
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


# --------------------------------------------------------------------------- ServiceOps


async def _serviceops_checks(settings: Settings) -> list[Check]:
    """Reachable (and its certificate trusted), then the credentials: only tried once the
    connection works, and when they are not, the report says so and why."""
    checks = await _serviceops_connection(settings)
    if not all(check.ok for check in checks):
        if not any(check.skipped for check in checks):
            checks.append(
                _skipped(
                    "ServiceOps credentials not checked: ServiceOps could not be reached, so "
                    "they could not be tried (fix the line above, then check again)"
                )
            )
        return checks
    client = build_serviceops_client(settings)
    what = "ServiceOps API key accepted" if settings.uses_api_key else "ServiceOps token obtained"
    try:
        await client.check_auth()
        checks.append(Check(True, what))
        checks.append(await _my_requests_search_check(client, settings))
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


UPLOAD_PROBE = b"serviceops-bot check: this file proves that uploads work; it can be deleted.\n"


async def _upload_check(settings: Settings) -> Check:
    """Upload a tiny text file where tickets' files go; it is attached to no request (the
    server keeps or discards it as it does any unused upload)."""
    desk = settings.serviceops
    what = f"ServiceOps upload ({desk.upload_path}, field {desk.upload_field!r})"
    client = build_serviceops_client(settings)
    try:
        ref = await client.upload_file(
            io.BytesIO(UPLOAD_PROBE), name="serviceops-bot-check.txt", media_type="text/plain"
        )
    except ServiceOpsError as exc:
        status = f"HTTP {exc.status}" if exc.status else type(exc).__name__
        return Check(
            False,
            f"{what}: {status}",
            "Find the upload endpoint of your ServiceOps version (its API documentation, or the "
            "web portal's network traffic when you attach a file) and set "
            "SERVICEOPS_UPLOAD_PATH and SERVICEOPS_UPLOAD_FIELD. Until then tickets are filed "
            "with their files linked, not attached.",
        )
    finally:
        await client.aclose()
    return Check(True, f"{what} works: refFileName {ref}")


async def _my_requests_search_check(client: ServiceOpsClient, settings: Settings) -> Check:
    """How "My requests" will find people's requests on this server: the requester of one
    request is searched for with `SERVICEOPS_REQUESTER_KEY`, and the answer tells whether the
    server applies the key, refuses it, ignores it or matches nothing with it."""
    desk = settings.serviceops
    key, method = desk.requester_key, desk.my_requests_search
    what = "ServiceOps search for My requests"
    if method == "filtered":
        return Check(
            True,
            f"{what}: filtering the {desk.my_requests_limit} most recent requests "
            "(SERVICEOPS_MY_REQUESTS_SEARCH=filtered)",
        )
    try:
        sample = await client.search_requests(size=1)
        email = next((r.requester_email for r in sample.items if r.requester_email), None)
        if email is None:
            return Check(True, f"{what}: not tried (no request with a requester to look for)")
        found = await client.search_requests(
            qual_details(requester_equals(email, key=key)), size=25
        )
    except RequestRejectedError as exc:
        return _search_fallback(what, method, key, f"ServiceOps refused the key ({exc.status})")
    except ServiceOpsError as exc:
        return Check(False, what, exc.user_message)
    if any((r.requester_email or "").lower() != email.lower() for r in found.items):
        return _search_fallback(what, method, key, "ServiceOps ignored the key")
    if not found.items:
        return Check(
            False,
            f"{what}: {key} matches nothing",
            "A request's own requester was not found with SERVICEOPS_REQUESTER_KEY, so lists "
            "would be empty: set the key your server uses, or SERVICEOPS_MY_REQUESTS_SEARCH="
            "filtered.",
        )
    return Check(True, f"{what}: qualified on {key} (ServiceOps applies it)")


def _search_fallback(what: str, method: str, key: str, why: str) -> Check:
    if method == "auto":
        return Check(
            True,
            f"{what}: {why} ({key}); the bot filters the most recent requests instead "
            "(SERVICEOPS_MY_REQUESTS_SEARCH=auto)",
        )
    return Check(
        False,
        f"{what}: {why} ({key})",
        "Set SERVICEOPS_REQUESTER_KEY to the key your server uses, or "
        "SERVICEOPS_MY_REQUESTS_SEARCH to auto or filtered.",
    )


async def _serviceops_connection(settings: Settings) -> list[Check]:
    """ServiceOps answers at SERVICEOPS_URL, over TLS it trusts (through the proxy, if any)."""
    url = settings.serviceops_url
    host = urllib.parse.urlsplit(url).hostname or url
    reachable = f"ServiceOps reachable at {url}"
    verify: ssl.SSLContext | bool = True
    if settings.serviceops_ca_bundle is not None:
        verify = ssl.create_default_context(cafile=str(settings.serviceops_ca_bundle))
    try:
        # trust_env: HTTPS_PROXY and NO_PROXY apply, as they do to the bot's own client.
        async with httpx2.AsyncClient(
            verify=verify, timeout=settings.serviceops_connect_timeout, trust_env=True
        ) as http:
            await http.get(url + "/")
    except httpx2.ConnectError as exc:
        if isinstance(exc.__cause__, ssl.SSLError) or "CERTIFICATE" in str(exc).upper():
            return [
                Check(True, reachable),
                Check(
                    False,
                    "ServiceOps TLS certificate",
                    "The certificate is not trusted. For a self-signed or internal CA, set "
                    "SERVICEOPS_CA_BUNDLE to the CA file (PEM).",
                ),
                _skipped(
                    "ServiceOps credentials not checked: they are not sent over a connection "
                    "whose certificate is not trusted (fix the line above, then check again)"
                ),
            ]
        proxy = proxy_for(url)
        if proxy is not None:
            return [Check(False, reachable, _proxy_unreachable(proxy, host))]
        return [
            Check(
                False,
                reachable,
                "Cannot connect: check SERVICEOPS_URL (scheme, host, port) and the firewall.",
            )
        ]
    except httpx2.TimeoutException:
        return [Check(False, reachable, "No answer in time: check SERVICEOPS_URL and the network.")]
    except httpx2.ProxyError as exc:
        return [Check(False, reachable, _proxy_refused(proxy_for(url), host, _proxy_answer(exc)))]
    except httpx2.HTTPError as exc:
        return [
            Check(
                False,
                reachable,
                f"{type(exc).__name__}: check SERVICEOPS_URL, the network and the proxy "
                "(HTTPS_PROXY, NO_PROXY).",
            )
        ]
    checks = [Check(True, reachable)]
    if url.startswith("https://"):
        checks.append(Check(True, "ServiceOps TLS certificate verified"))
    return checks


def _form_check(settings: Settings) -> Check:
    if settings.bot_config is None:
        return Check(True, "Form configuration: defaults (BOT_CONFIG not set)")
    try:
        form = load_form_config(settings.bot_config)
    except ConfigError as exc:
        return Check(False, f"Form configuration {settings.bot_config}", " ".join(exc.problems))
    offered = [
        name
        for name, shown in (
            ("Category", bool(form.categories)),
            ("Location", bool(form.locations)),
            ("CC", form.cc_field),
        )
        if shown
    ]
    platforms = f", defaults for {' and '.join(form.platforms)}" if form.platforms else ""
    fields = f"; the form also offers {', '.join(offered)}" if offered else ""
    return Check(
        True,
        f"Form configuration {settings.bot_config}: {len(form.departments)} departments, "
        f"{len(form.channels)} channel defaults{platforms}{fields}",
    )


def report(results: list[Check], out: TextIO) -> bool:
    for result in results:
        mark = "–" if result.skipped else "✓" if result.ok else "✗"
        print(f"{mark} {result.what}", file=out)
        if not result.ok and result.fix:
            print(f"    fix: {result.fix}", file=out)
    ok = all(result.ok for result in results)
    print("All checks passed." if ok else "Some checks failed.", file=out)
    return ok


async def run_check(
    out: TextIO = sys.stdout, *, mode: str | None = None, try_upload: bool = False
) -> int:
    """Entry point of `serviceops-bot check`: 0 when everything passes, 1 otherwise."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"✗ {problem}", file=out)
        print("Some checks failed.", file=out)
        return 1
    checks = await run_checks(settings, mode=mode, try_upload=try_upload)
    results = [settings_check(settings, mode), *checks]
    return 0 if report(results, out) else 1


def settings_check(settings: Settings, mode: str | None = None) -> Check:
    """What was read, in one line: where from, the surfaces, ServiceOps, state, the proxy."""
    env_file = Path(str(Settings.model_config.get("env_file") or ".env"))
    source = f"{env_file} and the environment" if env_file.is_file() else "the environment"
    surfaces = []
    if settings.slack is not None:
        chosen = settings.mode(mode)
        surfaces.append("Slack in " + ("Socket Mode" if chosen == "socket" else "HTTP mode"))
    if settings.teams is not None:
        surfaces.append("Microsoft Teams")
    auth = "an API key" if settings.uses_api_key else "a REST client and user (OAuth)"
    parts = [
        " and ".join(surfaces),
        f"ServiceOps {settings.serviceops_url} with {auth}",
        f"cache {_without_password(settings.cache_url)}",
        f"links in {_without_password(settings.state_url)}",
        describe_proxy(),
    ]
    return Check(True, f"Settings read from {source}: {'; '.join(parts)}")


def _without_password(url: str) -> str:
    """`redis://:secret@host:6379/0` as `redis://***@host:6379/0`: shown, never echoed."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]))
