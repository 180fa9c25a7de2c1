"""`serviceops-bot check` against the fakes: one ✓/✗ line per check, a fix for every ✗.

The checks run in-process (`run_checks` + `report`) against FakeSlack and FakeServiceOps, and
once through the installed console script, as an admin would run it after filling `.env`.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import socket
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import stamina

from bot.check import REQUIRED_SCOPES, Check, report, run_check, run_checks
from tests.e2e.harness import make_settings
from tests.fakes.environment import bot_environment
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode

BIN = Path(sys.executable).parent
SCRIPT = shutil.which("serviceops-bot", path=str(BIN))


@dataclass
class Outcome:
    ok: bool
    results: list[Check]
    text: str

    def line(self, starting: str) -> Check:
        """The one check whose line starts with `starting`."""
        found = [r for r in self.results if r.what.startswith(starting)]
        assert len(found) == 1, f"no single line {starting!r} in:\n{self.text}"
        return found[0]

    @property
    def failed(self) -> list[Check]:
        return [r for r in self.results if not r.ok]


async def check(
    slack: FakeSlack, desk: FakeServiceOps, *, mode: str | None = None, **overrides: Any
) -> Outcome:
    results = await run_checks(make_settings(slack, desk, **overrides), mode=mode)
    out = io.StringIO()
    ok = report(results, out)
    return Outcome(ok, results, out.getvalue())


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --------------------------------------------------------------------------- all green


async def test_all_green_prints_only_ticks_and_passes(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    outcome = await check(slack, desk)

    assert outcome.ok, outcome.text
    lines = outcome.text.splitlines()
    assert lines[-1] == "All checks passed."
    assert all(line.startswith("✓") for line in lines[:-1]), outcome.text
    assert outcome.line("Run mode: HTTP mode").ok
    assert outcome.line("Slack bot token valid (workspace Example").ok
    assert outcome.line("Slack scopes granted").ok
    assert outcome.line(f"ServiceOps reachable at {desk.url}").ok
    assert outcome.line("ServiceOps token obtained").ok
    assert outcome.line("Form configuration: defaults").ok
    assert outcome.line("Status updates: off").ok  # optional: said, not a failure
    # It really asked both services.
    assert slack.count("auth.test") == 1
    assert desk.token_requests == 1


async def test_run_check_reads_the_environment_and_returns_0(
    slack: FakeSlack,
    desk: FakeServiceOps,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name, value in bot_environment(slack, desk).items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()

    assert await run_check(out) == 0
    assert out.getvalue().splitlines()[-1] == "All checks passed."

    monkeypatch.setenv("SERVICEOPS_PASSWORD", "not-the-password")
    out = io.StringIO()
    assert await run_check(out) == 1
    assert "✗ ServiceOps token refused" in out.getvalue()
    assert "not-the-password" not in out.getvalue()


# --------------------------------------------------------------------------- Slack


async def test_bad_slack_token_says_where_to_copy_the_right_one(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    outcome = await check(slack, desk, slack_bot_token="xoxb-revoked-or-mistyped")

    assert not outcome.ok
    failed = outcome.line("Slack bot token")
    assert not failed.ok
    assert "SLACK_BOT_TOKEN is not valid" in failed.fix
    assert "Bot User OAuth Token" in failed.fix
    assert "✗ Slack bot token\n    fix: SLACK_BOT_TOKEN is not valid" in outcome.text
    assert "xoxb-revoked-or-mistyped" not in outcome.text
    assert slack.calls_to("auth.test")[0].error == "invalid_auth"
    assert outcome.text.splitlines()[-1] == "Some checks failed."


async def test_missing_scope_is_named_with_the_reinstall_fix(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    slack.scopes.discard("users:read.email")

    outcome = await check(slack, desk)

    assert not outcome.ok
    assert [r.what for r in outcome.failed] == ["Slack scopes: missing users:read.email"]
    assert "reinstall the app" in outcome.failed[0].fix
    assert "✗ Slack scopes: missing users:read.email" in outcome.text.splitlines()


async def test_every_required_scope_missing_is_listed(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    slack.scopes = {"commands"}

    outcome = await check(slack, desk)

    expected = ", ".join(s for s in REQUIRED_SCOPES if s != "commands")
    assert outcome.line("Slack scopes: missing").what == f"Slack scopes: missing {expected}"


async def test_slack_unreachable_names_slack_api_url(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/api/"

    outcome = await check(slack, desk, slack_api_url=url)

    failed = outcome.line("Slack reachable at")
    assert not failed.ok
    assert failed.what == f"Slack reachable at {url}"
    assert "SLACK_API_URL" in failed.fix


# --------------------------------------------------------------------------- run mode


async def test_http_mode_without_signing_secret(slack: FakeSlack, desk: FakeServiceOps) -> None:
    outcome = await check(slack, desk, mode="http", slack_signing_secret=None)

    assert [r.what for r in outcome.failed] == ["Run mode: HTTP mode (PORT 3000)"]
    assert "SLACK_SIGNING_SECRET is required in HTTP mode" in outcome.failed[0].fix
    assert "Basic Information" in outcome.failed[0].fix


async def test_socket_mode_without_app_token(slack: FakeSlack, desk: FakeServiceOps) -> None:
    outcome = await check(slack, desk, mode="socket")

    assert [r.what for r in outcome.failed] == ["Run mode: Socket Mode (SLACK_APP_TOKEN)"]
    assert "SLACK_APP_TOKEN is required in Socket Mode" in outcome.failed[0].fix
    assert "connections:write" in outcome.failed[0].fix


async def test_socket_mode_needs_no_signing_secret(slack: FakeSlack, desk: FakeServiceOps) -> None:
    async with FakeSocketMode(slack, app_token="xapp-1-A1-1-abc"):
        outcome = await check(
            slack, desk, slack_app_token="xapp-1-A1-1-abc", slack_signing_secret=None
        )

    assert outcome.line("Run mode: Socket Mode (SLACK_APP_TOKEN)").ok
    assert outcome.line("Slack app-level token accepted (Socket Mode)").ok
    assert outcome.failed == []


async def test_socket_mode_with_a_refused_app_token(slack: FakeSlack, desk: FakeServiceOps) -> None:
    async with FakeSocketMode(slack, app_token="xapp-1-A1-1-right"):
        outcome = await check(slack, desk, slack_app_token="xapp-1-A1-1-wrong")

    assert [r.what for r in outcome.failed] == ["Slack app-level token (Socket Mode)"]
    assert "invalid_auth" in outcome.failed[0].fix
    assert "connections:write" in outcome.failed[0].fix
    assert "xapp-1-A1-1-wrong" not in outcome.text


# --------------------------------------------------------------------------- ServiceOps


async def test_serviceops_unreachable(slack: FakeSlack, desk: FakeServiceOps) -> None:
    url = f"http://127.0.0.1:{closed_port()}"

    outcome = await check(slack, desk, serviceops_url=url)

    assert [r.what for r in outcome.failed] == [f"ServiceOps reachable at {url}"]
    assert "SERVICEOPS_URL" in outcome.failed[0].fix
    # Credentials are not tried against a server that is not there.
    assert not any(r.what.startswith("ServiceOps token") for r in outcome.results)


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("serviceops_client_secret", "wrong-client-secret", "SERVICEOPS_CLIENT_SECRET"),
        ("serviceops_client_id", "Other-client", "SERVICEOPS_CLIENT_ID"),
        ("serviceops_password", "wrong-password", "SERVICEOPS_PASSWORD"),
        ("serviceops_username", "nobody", "SERVICEOPS_USERNAME"),
    ],
)
async def test_refused_credentials_name_the_setting(
    slack: FakeSlack, desk: FakeServiceOps, setting: str, value: str, named: str
) -> None:
    outcome = await check(slack, desk, **{setting: value})

    assert [r.what for r in outcome.failed] == ["ServiceOps token refused"]
    assert named in outcome.failed[0].fix
    assert outcome.line(f"ServiceOps reachable at {desk.url}").ok
    assert value not in outcome.text


async def test_api_key_accepted_and_refused(slack: FakeSlack, desk: FakeServiceOps) -> None:
    desk.api_keys.add("good-api-key")

    accepted = await check(slack, desk, serviceops_api_key="good-api-key")
    refused = await check(slack, desk, serviceops_api_key="revoked-api-key")

    assert accepted.ok, accepted.text
    assert accepted.line("ServiceOps API key accepted").ok
    assert [r.what for r in refused.failed] == ["ServiceOps API key refused"]
    assert "SERVICEOPS_API_KEY" in refused.failed[0].fix
    assert "revoked-api-key" not in refused.text
    assert desk.token_requests == 0  # an API key never asks for a token


async def test_serviceops_answering_errors_is_not_a_pass(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    desk.fail_next("token", 503, html=True, times=10)

    with stamina.set_testing(True):  # no backoff between the client's attempts
        outcome = await check(slack, desk)

    failed = outcome.line("ServiceOps token obtained")
    assert [r.what for r in outcome.failed] == [failed.what]
    assert "unreachable" in failed.fix


# --------------------------------------------------------------------------- TLS


@dataclass
class TlsFront:
    """HTTPS on loopback with a self-signed certificate, forwarding bytes to a plain server."""

    url: str
    cert: Path


def _self_signed(directory: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a self-signed certificate")
    cert, key = directory / "desk-cert.pem", directory / "desk-key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
async def tls_desk(desk: FakeServiceOps, tmp_path: Path) -> AsyncIterator[TlsFront]:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    host, port = desk.url.removeprefix("http://").split(":")
    writers: set[asyncio.StreamWriter] = set()

    async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        writers.update((writer, upstream_writer))
        await asyncio.gather(pump(reader, upstream_writer), pump(upstream_reader, writer))

    server = await asyncio.start_server(forward, "127.0.0.1", 0, ssl=context)
    front_port = server.sockets[0].getsockname()[1]
    yield TlsFront(f"https://127.0.0.1:{front_port}", cert)
    server.close()
    for writer in writers:
        writer.close()
    await server.wait_closed()


async def test_untrusted_certificate_then_trusted_with_ca_bundle(
    slack: FakeSlack, desk: FakeServiceOps, tls_desk: TlsFront
) -> None:
    untrusted = await check(slack, desk, serviceops_url=tls_desk.url)

    assert untrusted.line(f"ServiceOps reachable at {tls_desk.url}").ok
    assert [r.what for r in untrusted.failed] == ["ServiceOps TLS certificate"]
    assert "SERVICEOPS_CA_BUNDLE" in untrusted.failed[0].fix
    assert desk.token_requests == 0  # nothing went through the untrusted connection

    trusted = await check(
        slack, desk, serviceops_url=tls_desk.url, serviceops_ca_bundle=tls_desk.cert
    )

    assert trusted.ok, trusted.text
    assert trusted.line("ServiceOps TLS certificate verified").ok
    # The client behind the check trusts the bundle too: the token came over TLS.
    assert trusted.line("ServiceOps token obtained").ok
    assert desk.token_requests == 1


# --------------------------------------------------------------------------- BOT_CONFIG


async def test_status_updates_say_how_they_come_back(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    webhook = await check(slack, desk, serviceops_webhook_secret="a-webhook-secret-of-24-chars")
    both = await check(
        slack,
        desk,
        serviceops_webhook_secret="a-webhook-secret-of-24-chars",
        serviceops_poll_seconds=300,
    )

    assert webhook.ok, webhook.text
    line = webhook.line("Status updates: ").what
    assert "POST /serviceops/events" in line
    assert "a-webhook-secret" not in webhook.text
    assert both.line("Status updates: ").what.endswith("the bot asks ServiceOps every 300 s")


async def test_bad_form_configuration_lists_each_problem(
    slack: FakeSlack, desk: FakeServiceOps, tmp_path: Path
) -> None:
    config = tmp_path / "bot-config.toml"
    config.write_text(
        'default_priority = "Critical"\n\n[channels.general]\npriority = "High"\n',
        encoding="utf-8",
    )

    outcome = await check(slack, desk, bot_config=config)

    assert [r.what for r in outcome.failed] == [f"Form configuration {config}"]
    fix = outcome.failed[0].fix
    assert "default_priority = 'Critical' is not one of" in fix
    assert "[channels.general] is not a Slack channel id" in fix


async def test_good_form_configuration_is_summarised(
    slack: FakeSlack, desk: FakeServiceOps, tmp_path: Path
) -> None:
    config = tmp_path / "bot-config.toml"
    config.write_text(
        'departments = ["IT", "HR"]\n\n[channels.C0HELP1]\ndepartment = "IT"\n', encoding="utf-8"
    )

    outcome = await check(slack, desk, bot_config=config)

    assert outcome.ok, outcome.text
    assert outcome.line(f"Form configuration {config}").what.endswith(
        ": 2 departments, 1 channel defaults"
    )


async def test_optional_fields_and_platform_defaults_are_summarised(
    slack: FakeSlack, desk: FakeServiceOps, tmp_path: Path
) -> None:
    config = tmp_path / "bot-config.toml"
    config.write_text(
        'categories = ["Network"]\ncc_field = true\n[platforms.slack]\nsource = "Slack"\n',
        encoding="utf-8",
    )

    outcome = await check(slack, desk, bot_config=config)

    assert outcome.ok, outcome.text
    assert outcome.line(f"Form configuration {config}").what.endswith(
        ": 0 departments, 0 channel defaults, defaults for slack; the form also offers Category, CC"
    )


async def test_bad_request_defaults_are_named_by_check(
    slack: FakeSlack, desk: FakeServiceOps, tmp_path: Path
) -> None:
    config = tmp_path / "bot-config.toml"
    config.write_text(
        'custom_fields = { Due = 2026-01-31 }\nlink_assets = [{ asset_model = "pc" }]\n',
        encoding="utf-8",
    )

    outcome = await check(slack, desk, bot_config=config)

    assert [r.what for r in outcome.failed] == [f"Form configuration {config}"]
    fix = outcome.failed[0].fix
    assert 'custom_fields: "Due" must be text, a number, true/false or a list' in fix
    assert "link_assets: asset 1 must be" in fix


# --------------------------------------------------------------------------- console script


async def run_script(cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """`serviceops-bot check` in a clean environment; the fakes keep serving meanwhile."""
    assert SCRIPT is not None, "the serviceops-bot console script is not installed"
    process = await asyncio.create_subprocess_exec(
        SCRIPT,
        "check",
        cwd=cwd,
        env={"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(cwd), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_console_script_all_green_then_one_broken_setting(
    slack: FakeSlack, desk: FakeServiceOps, tmp_path: Path
) -> None:
    env = bot_environment(slack, desk)

    code, out, err = await run_script(tmp_path, env)

    assert code == 0, out + err
    assert out.splitlines()[-1] == "All checks passed."
    assert "Traceback" not in err
    assert slack.count("auth.test") == 1
    assert desk.token_requests == 1

    code, out, err = await run_script(tmp_path, {**env, "SERVICEOPS_CLIENT_SECRET": "typo"})

    assert code == 1, out + err
    assert "✗ ServiceOps token refused" in out.splitlines()
    assert "SERVICEOPS_CLIENT_SECRET" in out
    assert out.splitlines()[-1] == "Some checks failed."
    assert "Traceback" not in err
    assert desk.client_secret not in out + err
    assert slack.bot_token not in out + err
