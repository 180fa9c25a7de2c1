"""Command line: `serviceops-bot [run [--mode socket|http]]`, `serviceops-bot check` and
`serviceops-bot teams-package [--host HOST] [-o FILE]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence

from bot import __version__
from bot.config import ConfigError, FormConfig, Settings, load_form_config, load_settings
from bot.logs import setup_logging
from bot.teams.package import DEFAULT_FILENAME

README = "README.md"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="serviceops-bot",
        description="Slack bot that files Motadata ServiceOps requests.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="run the bot (the default)")
    run.add_argument(
        "--mode",
        choices=["socket", "http"],
        help="Socket Mode or HTTP mode (default: socket when SLACK_APP_TOKEN is set)",
    )
    commands.add_parser("check", help="check the configuration and both connections")
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
        default=DEFAULT_FILENAME,
        help="where to write the zip (default: %(default)s in the working directory)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        from bot.check import run_check

        return asyncio.run(run_check())
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
        print(f"Settings are described in {README} (section Configuration).", file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.log_format, secrets=_secrets(settings))
    from bot.server import StartupError

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_run(settings, form, mode))
    except StartupError as exc:
        print(f"serviceops-bot cannot start: {exc}", file=sys.stderr)
        return 2
    return 0


async def _run(settings: Settings, form: FormConfig, mode: str) -> None:
    """Build core and each configured surface (imported only when configured), then serve.

    HTTP listens on PORT when a surface is called over HTTP (Slack's HTTP mode, Teams);
    with Slack's Socket Mode alone, only the health endpoints listen, on HEALTH_PORT if set.
    """
    from bot.server import Intake, serve
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
    port = settings.port if over_http else settings.health_port
    await serve(core, intakes, port=port, host=settings.host)


def _teams_package(host: str | None, output: str) -> int:
    """`teams-package`: the app package of the configured Teams bot, served at `host`."""
    from bot.teams.ids import ENDPOINT
    from bot.teams.package import validate_app_id, validate_host, write_package

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
        print(f"Settings are described in {README} (section Configuration).", file=sys.stderr)
        return 2
    if settings.teams is None:
        print(
            f"{prog}: set TEAMS_APP_ID to the bot's Entra app registration id (with "
            "TEAMS_APP_PASSWORD and TEAMS_TENANT_ID): the package is made for that app "
            "(see README.md#configuration).",
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
