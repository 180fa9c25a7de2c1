"""Settings problems in the project's own words, pointing at a place that exists.

pydantic's wording ("Input should be less than or equal to 65535") is replaced for the common
cases; every message points at the README's Configuration section (a heading the README has),
not at a `README.md#…` path that means nothing once the package is installed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import ConfigError, describe_proxy, load_settings, proxy_for

ROOT = Path(__file__).resolve().parents[2]
SEE = "(see the README's Configuration section)."
BASE = {
    "_env_file": None,
    "slack_bot_token": "xoxb-1",
    "serviceops_url": "https://desk.example.com",
    "serviceops_api_key": "k",
}


def problems(**overrides: object) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_settings(**{**BASE, **overrides})
    return raised.value.problems


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("port", "70000", "PORT must be a port number from 1 to 65535"),
        ("port", "0", "PORT must be a port number from 1 to 65535"),
        ("port", "web", "PORT must be a port number from 1 to 65535"),
        ("health_port", "-1", "HEALTH_PORT must be a port number from 0 to 65535"),
        ("log_format", "xml", "LOG_FORMAT must be one of text, json"),
        ("teams_cloud", "mars", "TEAMS_CLOUD must be one of public, usgov, usgovdod, china"),
        ("log_level", "LOUD", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("serviceops_connect_timeout", "0", "SERVICEOPS_CONNECT_TIMEOUT must be more than 0"),
        ("serviceops_read_timeout", "soon", "SERVICEOPS_READ_TIMEOUT must be a number"),
        ("serviceops_poll_seconds", "100000", "SERVICEOPS_POLL_SECONDS must be at most 86400"),
        ("serviceops_poll_seconds", "1.5", "SERVICEOPS_POLL_SECONDS must be a whole number"),
        ("reply_privately", "maybe", "REPLY_PRIVATELY must be true or false"),
    ],
)
def test_common_mistakes_in_the_projects_words(setting: str, value: str, message: str) -> None:
    assert problems(**{setting: value}) == [f"{message} {SEE}"]


def test_log_level_is_read_in_any_case() -> None:
    assert load_settings(**BASE, log_level="debug").log_level == "DEBUG"
    assert load_settings(**BASE, log_level="warn").log_level == "WARNING"


def test_the_unedited_bot_token_placeholder_is_named_as_such() -> None:
    [problem] = problems(slack_bot_token="xoxb-")

    assert problem.startswith("SLACK_BOT_TOKEN is still the placeholder xoxb- from .env.example")
    assert "OAuth & Permissions" in problem
    assert "leave it empty to run without Slack" in problem


def test_no_message_speaks_pydantic_or_points_at_a_file_path() -> None:
    found = problems(
        port="70000",
        log_format="xml",
        log_level="LOUD",
        teams_cloud="mars",
        serviceops_url="desk",
        cache_url="memcached://x",
    )

    assert len(found) == 6
    for problem in found:
        assert "Input should" not in problem
        assert "README.md" not in problem
        assert problem.endswith(SEE)


def test_the_section_named_exists_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert re.search(r"^## Configuration$", readme, re.M)


# --------------------------------------------------------------------------- proxies


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def test_without_a_proxy_calls_go_direct(no_proxy_env: pytest.MonkeyPatch) -> None:
    assert proxy_for("https://desk.example.com") is None
    assert proxy_for("https://slack.com/api/", slack=True) is None
    assert describe_proxy() == "no proxy (HTTPS_PROXY not set)"


def test_the_proxy_is_shown_without_its_password(no_proxy_env: pytest.MonkeyPatch) -> None:
    no_proxy_env.setenv("HTTPS_PROXY", "http://bot:s3cret@proxy.example.com:3128")
    no_proxy_env.setenv("NO_PROXY", ".corp.example.com,localhost")

    assert proxy_for("https://slack.com/api/", slack=True) == "http://proxy.example.com:3128"
    assert proxy_for("https://desk.example.com") == "http://proxy.example.com:3128"
    assert proxy_for("https://desk.corp.example.com") is None  # NO_PROXY
    assert proxy_for("http://desk.example.com") is None  # HTTP_PROXY not set
    assert describe_proxy() == (
        "proxy: HTTPS_PROXY http://proxy.example.com:3128, NO_PROXY .corp.example.com,localhost"
    )
    assert "s3cret" not in describe_proxy()


def test_slack_calls_take_the_proxy_whatever_no_proxy_says(
    no_proxy_env: pytest.MonkeyPatch,
) -> None:
    """slack_sdk reads HTTPS_PROXY (else HTTP_PROXY) for every Slack URL and not NO_PROXY;
    the report must say what it does."""
    no_proxy_env.setenv("HTTP_PROXY", "http://proxy.example.com:3128")
    no_proxy_env.setenv("NO_PROXY", "*")

    assert proxy_for("https://slack.com/api/", slack=True) == "http://proxy.example.com:3128"
    assert proxy_for("http://desk.example.com") is None
