"""Command line: `serviceops-bot [run [--mode socket|http]]`, `serviceops-bot check
[--mode socket|http]`, `serviceops-bot demo` and `serviceops-bot teams-package [--host HOST]
[-o FILE]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import socket
import sys
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp

from bot import __version__
from bot.config import ConfigError, FormConfig, Settings, load_form_config, load_settings
from bot.logs import setup_logging

if TYPE_CHECKING:
    from bot.server import Intake
    from bot.wiring import Core

SETTINGS_HELP = "Settings are described in the README's Configuration section."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="serviceops-bot",
        description="Slack and Microsoft Teams bot that files Motadata ServiceOps requests.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="run the bot (the default)")
    run.add_argument(
        "--mode",
        choices=["socket", "http"],
        help="Socket Mode or HTTP mode (default: socket when SLACK_APP_TOKEN is set)",
    )
    check = commands.add_parser(
        "check", help="check the settings and every connection, one line each"
    )
    check.add_argument(
        "--mode",
        choices=["socket", "http"],
        help="check Slack for this mode (default: the mode `run` would use)",
    )
    check.add_argument(
        "--try-upload",
        action="store_true",
        help="also upload a tiny text file to ServiceOps (SERVICEOPS_UPLOAD_PATH), to prove "
        "that chat files can be attached; it is attached to no request",
    )
    commands.add_parser(
        "demo",
        help="see it work: the bot files one ticket between built-in stand-ins for Slack and "
        "ServiceOps on this machine (no credentials, no settings)",
    )
    teams_package = commands.add_parser(
        "teams-package",
        help="write the Microsoft Teams app package (manifest and icons) for TEAMS_APP_ID",
    )
    teams_package.add_argument(
        "--host",
        help="the bot's public HTTPS host name, like bot.example.com (required: no setting "
        "holds it)",
    )
    teams_package.add_argument(
        "-o",
        dest="output",
        metavar="FILE",
        help="where to write the zip (default: serviceops-bot-teams.zip in the working directory)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        from bot.check import run_check

        # The report says everything; the modules' own warnings would repeat it.
        setup_logging("ERROR")
        return asyncio.run(run_check(mode=args.mode, try_upload=args.try_upload))
    if args.command == "demo":
        from bot.demo import run_demo

        setup_logging("WARNING")
        return asyncio.run(run_demo(sys.stdout))
    if args.command == "teams-package":
        return _teams_package(args.host, args.output)
    try:
        settings = load_settings()
        mode = settings.mode(getattr(args, "mode", None))
        problems = settings.check_mode(mode)
        if problems:
            raise ConfigError(problems)
        form = load_form_config(settings.bot_config)
    except ConfigError as exc:
        print("serviceops-bot cannot start; fix these settings:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        print(SETTINGS_HELP, file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.log_format, secrets=_secrets(settings))
    from bot.server import StartupError

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_run(settings, form, mode))
    except StartupError as exc:
        print(f"serviceops-bot cannot start: {exc}", file=sys.stderr)
        return 2
    except CannotServe as exc:
        print(f"serviceops-bot cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


class CannotServe(Exception):
    """Start-up failed for a reason outside the settings' shape (the network, a port taken);
    the message names it and the fix. Exit status 1, where a settings problem is 2, so a
    supervisor can retry this one and not that one."""


@dataclass
class Bot:
    """Everything `run` serves, built from the settings."""

    core: Core
    intakes: list[Intake]
    port: int | None
    port_setting: str
    """The setting `port` comes from: PORT or HEALTH_PORT."""


async def build_bot(settings: Settings, form: FormConfig, mode: str) -> Bot:
    """Build core and each configured surface (imported only when configured).

    HTTP listens on PORT when a surface is called over HTTP (Slack's HTTP mode, Teams);
    with Slack's Socket Mode alone, only the health endpoints listen, on HEALTH_PORT if set.
    """
    from bot.wiring import build_core

    core = build_core(settings, form=form)
    intakes: list[Intake] = []
    over_http = False
    if settings.slack is not None:
        from bot.slack.app import create_app

        slack_app = await create_app(settings, core=core)
        if mode == "socket":
            from bot.slack.socket_mode import SocketModeIntake

            assert settings.slack.app_token is not None
            intakes.append(SocketModeIntake(slack_app, settings.slack.app_token.get_secret_value()))
        else:
            intakes.append(slack_app)
            over_http = True
    if settings.teams is not None:
        from bot.teams.app import create_teams_app

        intakes.append(await create_teams_app(settings, core=core))
        over_http = True
    from bot.webhook import build_follow_intake

    intakes.append(build_follow_intake(core, settings))
    over_http = over_http or settings.serviceops.webhook_secret is not None
    if over_http:
        return Bot(core, intakes, settings.port, "PORT")
    return Bot(core, intakes, settings.health_port, "HEALTH_PORT")


async def _run(settings: Settings, form: FormConfig, mode: str) -> None:
    """Serve until stopped.

    Raises:
        StartupError: a surface refused to start (e.g. Slack refused a token).
        CannotServe: Slack unreachable at start-up, or the port cannot be listened on.
    """
    from bot.server import serve

    bot = await build_bot(settings, form, mode)
    try:
        await serve(bot.core, bot.intakes, port=bot.port, host=settings.host)
    except Exception as exc:
        await _release(bot.intakes)
        problem = _start_failure(exc, settings, bot)
        if problem is None:
            raise
        raise CannotServe(problem) from None


async def _release(intakes: Sequence[Intake]) -> None:
    """What a failed start leaves open: the server closes each intake, but Socket Mode's
    client (its own HTTP session and message task) is only let go by `stop()`."""
    from bot.slack.socket_mode import SocketModeIntake

    for intake in intakes:
        if isinstance(intake, SocketModeIntake):
            # Its client logs "The current session () has been abandoned" at INFO on the way:
            # nothing was connected, so that would only confuse.
            client_log = intake.handler.client.logger
            level = client_log.level
            client_log.setLevel(max(level, logging.WARNING))
            try:
                with contextlib.suppress(Exception):
                    await intake.stop()
            finally:
                client_log.setLevel(level)


def _start_failure(exc: Exception, settings: Settings, bot: Bot) -> str | None:
    """One sentence for a start-up failure an admin can fix, or None for anything else."""
    if isinstance(exc, OSError) and not isinstance(exc, aiohttp.ClientError):
        return _bind_failure(exc, settings.host, bot)
    slack = settings.slack
    if slack is not None and isinstance(exc, aiohttp.ClientError | TimeoutError):
        return _slack_unreachable(exc, slack.api_url)
    return None


def _bind_failure(exc: OSError, host: str, bot: Bot) -> str | None:
    where = f"port {bot.port} ({bot.port_setting}) on {host}"
    fix = f"set {bot.port_setting} to a free port"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{where} is already in use: stop the program listening there (another "
            f"serviceops-bot?), or {fix}."
        )
    if exc.errno == errno.EACCES:
        return f"{where} may not be listened on by this user: {fix} above 1023."
    if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT) or isinstance(exc, socket.gaierror):
        return (
            f"HOST {host} is not an address of this machine: set HOST to 0.0.0.0 (every "
            "interface), 127.0.0.1 (behind a local proxy) or one of this machine's addresses."
        )
    return None


def _slack_unreachable(exc: BaseException, api_url: str) -> str:
    """Slack could not be reached at start-up (Socket Mode needs it to connect at all)."""
    host = urllib.parse.urlsplit(api_url).hostname or api_url
    network = f"check DNS, the firewall and the proxy (HTTPS_PROXY) between this host and {host}"
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        return (
            f"the proxy (HTTPS_PROXY) refused the connection to Slack at {api_url} (HTTP "
            f"{exc.status}): let the proxy allow {host}, or fix HTTPS_PROXY."
        )
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return (
            f"the proxy (HTTPS_PROXY) cannot be reached, so neither can Slack at {api_url}: "
            "fix HTTPS_PROXY, or unset it if this host reaches Slack directly."
        )
    if isinstance(exc, aiohttp.ClientConnectorError) and isinstance(exc.os_error, socket.gaierror):
        return (
            f"Slack is unreachable: the name {host} cannot be resolved (DNS): {network}, "
            "and SLACK_API_URL."
        )
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return (
            f"the TLS certificate of {host} is not trusted: a proxy that inspects TLS needs "
            "its CA trusted on this host (SSL_CERT_FILE); check SLACK_API_URL."
        )
    if isinstance(exc, TimeoutError):
        return f"Slack did not answer in time at {api_url}: {network}, and SLACK_API_URL."
    if isinstance(exc, aiohttp.ClientConnectorError):
        refused = exc.os_error.errno == errno.ECONNREFUSED
        reason = "connection refused" if refused else (exc.os_error.strerror or "no connection")
    else:
        reason = type(exc).__name__
    return f"Slack is unreachable at {api_url} ({reason}): {network}, and SLACK_API_URL."


def _teams_package(host: str | None, output: str | None) -> int:
    """`teams-package`: the app package of the configured Teams bot, served at `host`."""
    # Imported here, as every surface's modules are: a bot that runs only loads what it serves.
    from bot.teams.ids import ENDPOINT
    from bot.teams.package import DEFAULT_FILENAME, validate_app_id, validate_host, write_package

    output = output or DEFAULT_FILENAME
    prog = "serviceops-bot teams-package"
    if not host:
        print(
            f"{prog}: pass --host with the bot's public HTTPS host name, like "
            "--host bot.example.com",
            file=sys.stderr,
        )
        return 2
    try:
        host = validate_host(host)
    except ValueError as exc:
        print(f"{prog}: --host: {exc}", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"{prog} reads the bot's settings; fix these:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        print(SETTINGS_HELP, file=sys.stderr)
        return 2
    if settings.teams is None:
        print(
            f"{prog}: set TEAMS_APP_ID to the bot's Entra app registration id (with "
            "TEAMS_APP_PASSWORD and TEAMS_TENANT_ID): the package is made for that app "
            "(see the README's Configuration section).",
            file=sys.stderr,
        )
        return 2
    try:
        app_id = validate_app_id(settings.teams.app_id)
    except ValueError as exc:
        print(f"{prog}: TEAMS_APP_ID: {exc}", file=sys.stderr)
        return 2
    try:
        path = write_package(output, app_id=app_id, host=host, version=__version__)
    except OSError as exc:
        print(f"{prog}: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"Wrote the Teams app package {path.resolve()}")
    print("Upload it in Teams: Apps → Manage your apps → Upload an app → Upload a custom app.")
    print(f"The Azure Bot's messaging endpoint must be https://{host}{ENDPOINT}")
    return 0


def _secrets(settings: Settings) -> list[str]:
    values = [
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        settings.teams_app_password,
        settings.serviceops_webhook_secret,
        settings.serviceops_client_secret,
        settings.serviceops_password,
        settings.serviceops_api_key,
    ]
    return [value.get_secret_value() for value in values if value is not None]


if __name__ == "__main__":
    sys.exit(main())
