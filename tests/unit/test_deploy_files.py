"""`compose.yaml` and `deploy/serviceops-bot.service` say what the README says they do.

compose.yaml: two replicas of the bot built from this repository, sharing one Redis for the
cache and the ticket links (different databases), Redis keeping them on disk. The systemd
unit: `serviceops-bot run` in its state directory, restarted on failure but not for a
settings problem (exit status 2), given the time the drain takes.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import load_settings
from bot.server import DRAIN_SECONDS

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "serviceops-bot.service"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_compose_runs_two_replicas_of_the_bot_built_here(compose: dict[str, Any]) -> None:
    bot = compose["services"]["bot"]

    assert bot["build"] == "."
    assert (ROOT / "Dockerfile").is_file()
    assert bot["deploy"]["replicas"] == 2
    assert bot["env_file"] == ".env"
    assert bot["command"] == ["run"]
    assert "ports" not in bot  # Socket Mode: nothing to publish, replicas do not collide
    assert bot["depends_on"] == ["redis"]
    assert bot["restart"] == "unless-stopped"


def test_compose_shares_redis_for_cache_and_links(compose: dict[str, Any]) -> None:
    env = compose["services"]["bot"]["environment"]

    assert env["CACHE_URL"] == "redis://redis:6379/0"
    assert env["STATE_URL"] == "redis://redis:6379/1"  # links apart from the cache
    settings = load_settings(
        _env_file=None,
        slack_bot_token="xoxb-1",
        slack_app_token="xapp-1",
        serviceops_url="https://desk.example.com",
        serviceops_api_key="k",
        cache_url=env["CACHE_URL"],
        state_url=env["STATE_URL"],
    )
    assert settings.state.url.startswith("redis://")


def test_compose_redis_keeps_the_links_on_disk(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]

    command = redis["command"]
    assert command[0] == "redis-server"
    assert command[command.index("--appendonly") + 1] == "yes"
    [volume] = redis["volumes"]
    name, path = volume.split(":")
    assert path == "/data"
    assert name in compose["volumes"]


def test_compose_stops_after_the_drain(compose: dict[str, Any]) -> None:
    grace = compose["services"]["bot"]["stop_grace_period"]

    assert grace.endswith("s")
    assert int(grace.removesuffix("s")) > DRAIN_SECONDS


@pytest.fixture(scope="module")
def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def test_unit_runs_the_bot_in_its_state_directory(unit: configparser.ConfigParser) -> None:
    service = unit["Service"]

    assert service["ExecStart"].endswith("/serviceops-bot run")
    assert service["WorkingDirectory"] == f"/var/lib/{service['StateDirectory']}"
    assert service["EnvironmentFile"].startswith("/etc/")
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    assert "network-online.target" in unit["Unit"]["After"]


def test_unit_restarts_on_failure_but_not_for_settings(unit: configparser.ConfigParser) -> None:
    service = unit["Service"]

    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == "2"  # what the CLI exits with for settings
    assert int(service["TimeoutStopSec"]) > DRAIN_SECONDS


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is missing")
def test_systemd_finds_nothing_wrong_but_the_missing_install() -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "/opt/serviceops-bot/.venv/bin/serviceops-bot" not in line
    ]
    assert problems == []
