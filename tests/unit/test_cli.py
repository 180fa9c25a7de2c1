"""The command line, run as a person would: a fresh process with nothing configured.

Each run gets only PATH and HOME and a temporary working directory (so no `.env` is found).
A misconfiguration must end in a message naming every problem, never in a traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bot

NO_SURFACE = (
    "No chat surface is configured: set SLACK_BOT_TOKEN to the Slack app's Bot User OAuth Token "
    "(xoxb-…) to run in Slack, or set TEAMS_APP_ID to the bot's Entra app registration id "
    "(with TEAMS_APP_PASSWORD and TEAMS_TENANT_ID) to run in Microsoft Teams "
    "(see the README's Configuration section)."
)

BIN = Path(sys.executable).parent
SCRIPT = shutil.which("serviceops-bot", path=str(BIN))

ENTRY_POINTS = {
    "python -m bot": [sys.executable, "-m", "bot"],
    "serviceops-bot": [SCRIPT or "serviceops-bot"],
}


def run(
    command: list[str], cwd: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(cwd)}
    env.update(extra_env or {})
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture(params=sorted(ENTRY_POINTS))
def entry(request: pytest.FixtureRequest) -> list[str]:
    if request.param == "serviceops-bot" and SCRIPT is None:
        pytest.fail("the serviceops-bot console script is not installed (pip install -e .)")
    return ENTRY_POINTS[request.param]


def test_console_script_is_installed() -> None:
    assert SCRIPT is not None


@pytest.mark.parametrize("args", [[], ["run"], ["run", "--mode", "socket"]])
def test_missing_settings_exit_2_listing_every_one(
    entry: list[str], args: list[str], tmp_path: Path
) -> None:
    result = run([*entry, *args], tmp_path)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"  - {NO_SURFACE}" in result.stderr.splitlines()
    assert "SERVICEOPS_URL is not set" in result.stderr
    assert "the README's Configuration section" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("args", [[], ["run", "--mode", "socket"]])
def test_no_chat_surface_exits_2_naming_slack_and_its_leftovers(
    entry: list[str], args: list[str], tmp_path: Path
) -> None:
    settings = {
        "SERVICEOPS_URL": "https://desk.example.com",
        "SERVICEOPS_API_KEY": "api-key-secretpart",
        "SLACK_APP_TOKEN": "xapp-1-A1-1-secretpart",
    }

    result = run([*entry, *args], tmp_path, settings)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[1:3] == [
        f"  - {NO_SURFACE}",
        "  - SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not, so Slack is not configured and "
        "it would be ignored: set SLACK_BOT_TOKEN too, or remove it (see the README's "
        "Configuration section).",
    ]
    assert "secretpart" not in result.stderr + result.stdout


def test_http_mode_without_signing_secret_exits_2(entry: list[str], tmp_path: Path) -> None:
    settings = {
        "SLACK_BOT_TOKEN": "xoxb-1-2-secretpart",
        "SERVICEOPS_URL": "https://desk.example.com",
        "SERVICEOPS_API_KEY": "api-key-secretpart",
    }

    result = run([*entry, "run", "--mode", "http"], tmp_path, settings)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "SLACK_SIGNING_SECRET is required in HTTP mode" in result.stderr
    assert "the README's Configuration section" in result.stderr
    assert "secretpart" not in result.stderr + result.stdout


def test_bad_form_configuration_exits_2(entry: list[str], tmp_path: Path) -> None:
    (tmp_path / "bot-config.toml").write_text("default_priority = 'Critical'\n", encoding="utf-8")
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-1\nSLACK_APP_TOKEN=xapp-1\n"
        "SERVICEOPS_URL=https://desk.example.com\nSERVICEOPS_API_KEY=k\n"
        "BOT_CONFIG=bot-config.toml\n",
        encoding="utf-8",
    )

    result = run(entry, tmp_path)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "default_priority = 'Critical' is not one of" in result.stderr


def test_version(entry: list[str], tmp_path: Path) -> None:
    result = run([*entry, "--version"], tmp_path)

    assert result.returncode == 0
    assert result.stdout.strip() == f"serviceops-bot {bot.__version__}"


def test_unknown_mode_is_a_usage_error(entry: list[str], tmp_path: Path) -> None:
    result = run([*entry, "run", "--mode", "carrier-pigeon"], tmp_path)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "invalid choice" in result.stderr


def test_check_with_missing_settings_exits_1_with_cross_lines(
    entry: list[str], tmp_path: Path
) -> None:
    # Unroutable proxies: were `check` to reach for the network, it would fail, not hang.
    no_network = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}

    result = run([*entry, "check"], tmp_path, no_network)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert f"✗ {NO_SURFACE}" in lines
    assert "✗ SERVICEOPS_URL is not set (see the README's Configuration section)." in lines
    assert lines[-1] == "Some checks failed."
    assert not any(line.startswith("✓") for line in lines)


async def test_check_skips_slack_when_it_is_not_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot import check
    from bot.config import Settings

    async def serviceops_ok(settings: Settings) -> list[check.Check]:
        return [check.Check(True, "ServiceOps (not called here)")]

    monkeypatch.setattr(check, "_serviceops_checks", serviceops_ok)
    settings = Settings(
        _env_file=None,
        slack_bot_token="xoxb-1",
        slack_api_url="http://127.0.0.1:9/",  # were it asked, Slack would fail, not answer
        serviceops_url="https://desk.example.com",
        serviceops_api_key="k",
    ).model_copy(update={"slack_bot_token": None})

    results = await check.run_checks(settings, mode="socket")

    assert [(r.ok, r.what) for r in results] == [
        (True, "Slack not configured (SLACK_BOT_TOKEN not set): skipped"),
        (True, "ServiceOps (not called here)"),
        (True, check._status_updates_check(settings).what),
        (True, "Form configuration: defaults (BOT_CONFIG not set)"),
    ]


TEAMS_APP_ID = "9f6b2c1e-8d4a-4f3b-a2c5-1e7d9b0a6c34"
TEAMS_SETTINGS = {
    "TEAMS_APP_ID": TEAMS_APP_ID,
    "TEAMS_APP_PASSWORD": "teams-password-secretpart",
    "TEAMS_TENANT_ID": "0b8c5a2e-3f1d-4c6b-9e7a-2d4f6a8c0e13",
    "SERVICEOPS_URL": "https://desk.example.com",
    "SERVICEOPS_API_KEY": "api-key-secretpart",
}
TEAMS_PACKAGE = "serviceops-bot teams-package"


def test_teams_package_writes_the_zip_and_says_what_next(entry: list[str], tmp_path: Path) -> None:
    import json
    import zipfile

    (tmp_path / "out").mkdir()

    result = run(
        [*entry, "teams-package", "--host", "bot.example.com", "-o", "out/teams.zip"],
        tmp_path,
        TEAMS_SETTINGS,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    zip_path = tmp_path / "out" / "teams.zip"
    assert result.stdout.splitlines() == [
        f"Wrote the Teams app package {zip_path.resolve()}",
        "Upload it in Teams: Apps → Manage your apps → Upload an app → Upload a custom app.",
        "The Azure Bot's messaging endpoint must be https://bot.example.com/api/messages",
    ]
    with zipfile.ZipFile(zip_path) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["id"] == TEAMS_APP_ID
    assert manifest["version"] == bot.__version__
    assert manifest["validDomains"] == ["bot.example.com"]
    assert "secretpart" not in zip_path.read_bytes().decode("latin-1")


def test_teams_package_defaults_to_a_zip_in_the_working_directory(tmp_path: Path) -> None:
    result = run(
        [*ENTRY_POINTS["python -m bot"], "teams-package", "--host", "bot.example.com"],
        tmp_path,
        TEAMS_SETTINGS,
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "serviceops-bot-teams.zip").is_file()


def test_teams_package_without_teams_app_id_exits_2(entry: list[str], tmp_path: Path) -> None:
    settings = {
        "SLACK_BOT_TOKEN": "xoxb-1-2-secretpart",
        "SLACK_APP_TOKEN": "xapp-1-A1-1-secretpart",
        "SERVICEOPS_URL": "https://desk.example.com",
        "SERVICEOPS_API_KEY": "api-key-secretpart",
    }

    result = run([*entry, "teams-package", "--host", "bot.example.com"], tmp_path, settings)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"{TEAMS_PACKAGE}: set TEAMS_APP_ID to the bot's Entra app registration id (with "
        "TEAMS_APP_PASSWORD and TEAMS_TENANT_ID): the package is made for that app "
        "(see the README's Configuration section)."
    ]
    assert result.stdout == ""
    assert list(tmp_path.glob("*.zip")) == []


def test_teams_package_with_nothing_configured_lists_the_settings(
    entry: list[str], tmp_path: Path
) -> None:
    result = run([*entry, "teams-package", "--host", "bot.example.com"], tmp_path)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == f"{TEAMS_PACKAGE} reads the bot's settings; fix these:"
    assert f"  - {NO_SURFACE}" in result.stderr.splitlines()
    assert "set TEAMS_APP_ID" in result.stderr
    assert list(tmp_path.glob("*.zip")) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [],
            f"{TEAMS_PACKAGE}: pass --host with the bot's public HTTPS host name, like "
            "--host bot.example.com",
        ),
        (
            ["--host", "https://bot.example.com/api/messages"],
            f"{TEAMS_PACKAGE}: --host: 'https://bot.example.com/api/messages' is a URL, not a "
            "host name: pass the bot's public host name alone, like bot.example.com "
            "(no https://, no path)",
        ),
    ],
)
def test_teams_package_without_a_usable_host_exits_2(
    entry: list[str], tmp_path: Path, args: list[str], message: str
) -> None:
    result = run([*entry, "teams-package", *args], tmp_path, TEAMS_SETTINGS)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [message]
    assert list(tmp_path.glob("*.zip")) == []


def test_teams_package_refuses_an_app_id_that_is_not_a_guid(
    entry: list[str], tmp_path: Path
) -> None:
    settings = {**TEAMS_SETTINGS, "TEAMS_APP_ID": "my-bot"}

    result = run([*entry, "teams-package", "--host", "bot.example.com"], tmp_path, settings)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{TEAMS_PACKAGE}: TEAMS_APP_ID: the app id must be a GUID")
    assert "secretpart" not in result.stderr + result.stdout


def test_teams_package_into_a_missing_directory_exits_1(tmp_path: Path) -> None:
    result = run(
        [*ENTRY_POINTS["python -m bot"], "teams-package", "--host", "bot.example.com", "-o", "x/y"],
        tmp_path,
        TEAMS_SETTINGS,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"{TEAMS_PACKAGE}: cannot write x/y: No such file or directory"
    ]
