"""Settings and the form configuration file: every misconfiguration gives a sentence to act on.

Settings are built with keyword arguments and `_env_file=None`; an autouse fixture removes
every variable the bot reads from the environment, so the developer's shell cannot leak in.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from bot.config import (
    DEFAULT_IMPACTS,
    DEFAULT_PRIORITIES,
    DEFAULT_URGENCIES,
    CacheSettings,
    ChannelDefaults,
    ConfigError,
    FormConfig,
    ServerSettings,
    ServiceOpsSettings,
    Settings,
    SlackSettings,
    load_form_config,
    load_settings,
)

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SEE = "(see the README's Configuration section)."

_PREFIXES = ("SLACK_", "SERVICEOPS_", "LOG_", "TEAMS_")
_NAMES = {"CACHE_URL", "BOT_CONFIG", "PORT"} | {name.upper() for name in Settings.model_fields}

OAUTH = {
    "serviceops_client_id": "client-1",
    "serviceops_client_secret": "client-secret-value",
    "serviceops_username": "bot@example.com",
    "serviceops_password": "password-value",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting comes from the environment of whoever runs the tests."""
    for name in list(os.environ):
        if name.upper().startswith(_PREFIXES) or name.upper() in _NAMES:
            monkeypatch.delenv(name)


@pytest.fixture
def reads_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test is about `.env` itself: the bot reads it from the working directory again
    (tests otherwise run without it, see `tests/conftest.py`)."""
    monkeypatch.setitem(Settings.model_config, "env_file", ".env")


def settings(**overrides: Any) -> Settings:
    """Valid settings (API key auth, Socket Mode) with `overrides` applied."""
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-1111-2222-abcdef",
        "slack_app_token": "xapp-1-A111-222-abcdef",
        "serviceops_url": "https://desk.example.com",
        "serviceops_api_key": "api-key-value",
    }
    values.update(overrides)
    return load_settings(_env_file=None, **values)


def problems(**overrides: Any) -> list[str]:
    """The sentences `load_settings` raises for these keyword arguments."""
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None, **overrides)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


# --------------------------------------------------------------------------- settings


def test_valid_settings_have_documented_defaults() -> None:
    built = settings()

    assert built.slack_api_url == "https://slack.com/api/"
    assert built.port == 3000
    assert built.cache_url == "memory://"
    assert built.bot_config is None
    assert built.uses_api_key


ALL_CREDENTIALS_MISSING = (
    "ServiceOps credentials are incomplete: set SERVICEOPS_API_KEY, or all of "
    "SERVICEOPS_CLIENT_ID, SERVICEOPS_CLIENT_SECRET, SERVICEOPS_USERNAME and "
    "SERVICEOPS_PASSWORD (missing: SERVICEOPS_CLIENT_ID, SERVICEOPS_CLIENT_SECRET, "
    f"SERVICEOPS_USERNAME, SERVICEOPS_PASSWORD) {SEE}"
)


NO_SURFACE = (
    "No chat surface is configured: set SLACK_BOT_TOKEN to the Slack app's Bot User OAuth Token "
    "(xoxb-…) to run in Slack, or set TEAMS_APP_ID to the bot's Entra app registration id "
    f"(with TEAMS_APP_PASSWORD and TEAMS_TENANT_ID) to run in Microsoft Teams {SEE}"
)


def test_missing_token_url_and_credentials_are_listed_together() -> None:
    assert problems() == [NO_SURFACE, f"SERVICEOPS_URL is not set {SEE}", ALL_CREDENTIALS_MISSING]


def test_incomplete_credentials_are_listed_with_other_problems() -> None:
    found = problems(serviceops_client_id="Bot-client", serviceops_api_key=None)
    assert NO_SURFACE in found
    assert any("missing: SERVICEOPS_CLIENT_SECRET" in p for p in found)
    assert not any("missing: SERVICEOPS_CLIENT_ID" in p for p in found)


def test_api_key_alone_satisfies_credentials_even_when_other_settings_fail() -> None:
    assert not any("credentials" in p for p in problems(serviceops_api_key="k"))


def test_token_without_xoxb_prefix_is_refused() -> None:
    assert problems(
        slack_bot_token="xoxp-user-token",
        serviceops_url="https://desk.example.com",
        serviceops_api_key="k",
    ) == [f"SLACK_BOT_TOKEN must be a bot token starting with xoxb- {SEE}"]


def test_bare_xoxb_placeholder_is_refused() -> None:
    """`.env.example` ships `SLACK_BOT_TOKEN=xoxb-`; left unfilled it is not a token."""
    assert problems(
        slack_bot_token="xoxb-", serviceops_url="https://desk.example.com", serviceops_api_key="k"
    ) == [
        "SLACK_BOT_TOKEN is still the placeholder xoxb- from .env.example: paste the Bot User "
        "OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page, or leave it empty "
        f"to run without Slack {SEE}"
    ]


def test_app_token_without_xapp_prefix_is_refused() -> None:
    assert problems(
        slack_bot_token="xoxb-1",
        slack_app_token="xoxb-2",
        serviceops_url="https://desk.example.com",
        serviceops_api_key="k",
    ) == [f"SLACK_APP_TOKEN must be an app-level token starting with xapp- {SEE}"]


@pytest.mark.parametrize("placeholder", ["", "xapp-"])
def test_empty_app_token_means_http_mode(placeholder: str) -> None:
    assert settings(slack_app_token=placeholder).slack_app_token is None
    assert settings(slack_app_token=placeholder).mode() == "http"


def test_serviceops_url_must_be_http() -> None:
    assert problems(
        slack_bot_token="xoxb-1", serviceops_url="desk.example.com", serviceops_api_key="k"
    ) == ["SERVICEOPS_URL must be an http:// or https:// URL, e.g. https://desk.example.com " + SEE]


def test_urls_are_normalised() -> None:
    built = settings(serviceops_url="https://desk.example.com/", slack_api_url="http://127.0.0.1:9")

    assert built.serviceops_url == "https://desk.example.com"
    assert built.slack_api_url == "http://127.0.0.1:9/"


def test_incomplete_oauth_credentials_name_the_missing_ones() -> None:
    found = problems(
        slack_bot_token="xoxb-1",
        serviceops_url="https://desk.example.com",
        serviceops_client_id="client-1",
        serviceops_password="password-value",
    )

    assert found == [
        "ServiceOps credentials are incomplete: set SERVICEOPS_API_KEY, or all of "
        "SERVICEOPS_CLIENT_ID, SERVICEOPS_CLIENT_SECRET, SERVICEOPS_USERNAME and "
        "SERVICEOPS_PASSWORD (missing: SERVICEOPS_CLIENT_SECRET, SERVICEOPS_USERNAME) " + SEE
    ]


def test_no_credentials_at_all_names_all_four() -> None:
    (found,) = problems(slack_bot_token="xoxb-1", serviceops_url="https://desk.example.com")

    assert (
        "(missing: SERVICEOPS_CLIENT_ID, SERVICEOPS_CLIENT_SECRET, SERVICEOPS_USERNAME, "
        "SERVICEOPS_PASSWORD)" in found
    )


def test_api_key_alone_is_enough() -> None:
    built = settings()

    assert built.uses_api_key
    assert built.serviceops_client_id is None


def test_complete_oauth_credentials_are_enough() -> None:
    built = settings(serviceops_api_key=None, **OAUTH)

    assert not built.uses_api_key
    assert built.serviceops_username == "bot@example.com"


@pytest.mark.parametrize("url", ["memcached://cache:11211", "redis:/nohost", "memory"])
def test_bad_cache_url_is_refused(url: str) -> None:
    assert problems(
        slack_bot_token="xoxb-1",
        serviceops_url="https://desk.example.com",
        serviceops_api_key="k",
        cache_url=url,
    ) == [f"CACHE_URL must be memory:// or redis://host:6379/0 {SEE}"]


@pytest.mark.parametrize("url", ["memory://", "redis://cache:6379/0", "rediss://:pw@cache:6380/1"])
def test_supported_cache_urls_are_accepted(url: str) -> None:
    assert settings(cache_url=url).cache_url == url


def test_missing_ca_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "desk-ca.pem"

    assert problems(
        slack_bot_token="xoxb-1",
        serviceops_url="https://desk.example.com",
        serviceops_api_key="k",
        serviceops_ca_bundle=str(missing),
    ) == [f"SERVICEOPS_CA_BUNDLE file {missing} does not exist {SEE}"]


def test_existing_ca_file_is_accepted(tmp_path: Path) -> None:
    ca = tmp_path / "desk-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")

    assert settings(serviceops_ca_bundle=str(ca)).serviceops_ca_bundle == ca


def test_every_problem_is_reported_at_once() -> None:
    found = problems(
        slack_bot_token="nope", serviceops_url="desk", serviceops_api_key="k", cache_url="x://"
    )

    assert [sentence.split()[0] for sentence in found] == [
        "SLACK_BOT_TOKEN",
        "SERVICEOPS_URL",
        "CACHE_URL",
    ]
    assert all(sentence.endswith(SEE) for sentence in found)


def test_mode_is_socket_with_an_app_token_and_http_without() -> None:
    assert settings().mode() == "socket"
    assert settings(slack_app_token=None).mode() == "http"


def test_forced_mode_wins() -> None:
    assert settings().mode("http") == "http"
    assert settings(slack_app_token=None).mode("socket") == "socket"
    assert settings().mode("carrier-pigeon") == "socket"


def test_http_mode_needs_the_signing_secret() -> None:
    built = settings(slack_app_token=None)

    (problem,) = built.check_mode("http")
    assert problem.startswith("SLACK_SIGNING_SECRET is required in HTTP mode")
    assert settings(slack_signing_secret="signing-secret-value").check_mode("http") == []


def test_socket_mode_needs_the_app_token() -> None:
    built = settings(slack_app_token=None, slack_signing_secret="signing-secret-value")

    (problem,) = built.check_mode("socket")
    assert problem.startswith("SLACK_APP_TOKEN is required in Socket Mode")
    assert "connections:write" in problem
    assert settings().check_mode("socket") == []


@pytest.mark.usefixtures("reads_dotenv")
def test_settings_are_read_from_dotenv_in_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(
        "# copied from .env.example\n"
        "SLACK_BOT_TOKEN=xoxb-from-dotenv\n"
        "SLACK_SIGNING_SECRET=signing-from-dotenv\n"
        "SERVICEOPS_URL=https://desk.example.com/\n"
        "SERVICEOPS_API_KEY=key-from-dotenv\n"
        "PORT=8081\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)

    built = load_settings()

    assert built.slack_bot_token.get_secret_value() == "xoxb-from-dotenv"
    assert built.serviceops_url == "https://desk.example.com"
    assert built.port == 8081
    assert built.mode() == "http"
    assert built.check_mode("http") == []


@pytest.mark.usefixtures("reads_dotenv")
def test_environment_overrides_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-from-dotenv\nSERVICEOPS_URL=https://a.example.com\n"
        "SERVICEOPS_API_KEY=k\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SERVICEOPS_URL", "https://b.example.com")

    assert load_settings().serviceops_url == "https://b.example.com"


@pytest.mark.usefixtures("reads_dotenv")
def test_empty_values_in_dotenv_count_as_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines left blank in a copied `.env.example` must not count as configured."""
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-1\nSERVICEOPS_URL=https://desk.example.com\n"
        "SERVICEOPS_API_KEY=\nSERVICEOPS_CA_BUNDLE=\nSLACK_SIGNING_SECRET=\nBOT_CONFIG=\n"
        + "".join(f"{name.upper()}={value}\n" for name, value in OAUTH.items()),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)

    built = load_settings()

    assert not built.uses_api_key
    assert built.serviceops_ca_bundle is None
    assert built.bot_config is None
    assert built.check_mode("http") != []


@pytest.mark.usefixtures("reads_dotenv")
def test_dotenv_problems_use_the_same_sentences(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert caught.value.problems == [
        NO_SURFACE,
        f"SERVICEOPS_URL is not set {SEE}",
        ALL_CREDENTIALS_MISSING,
    ]


# --------------------------------------------------------------------------- chat surfaces

SERVICEOPS_ONLY = {"serviceops_url": "https://desk.example.com", "serviceops_api_key": "k"}


def test_no_chat_surface_is_the_only_problem_when_serviceops_is_complete() -> None:
    assert problems(**SERVICEOPS_ONLY) == [NO_SURFACE]


def test_no_chat_surface_is_refused_by_settings_itself() -> None:
    with pytest.raises(ValidationError, match="No chat surface is configured"):
        Settings(_env_file=None, **SERVICEOPS_ONLY)


def test_slack_only_settings_without_the_bot_token_are_named() -> None:
    found = problems(
        slack_app_token="xapp-1-A111-222-abcdef",
        slack_signing_secret="signing-secret-value",
        **SERVICEOPS_ONLY,
    )

    assert found == [
        NO_SURFACE,
        "SLACK_APP_TOKEN and SLACK_SIGNING_SECRET are set but SLACK_BOT_TOKEN is not, so Slack "
        "is not configured and they would be ignored: set SLACK_BOT_TOKEN too, or remove them "
        + SEE,
    ]


def test_one_slack_leftover_is_named_alongside_field_problems() -> None:
    found = problems(
        slack_signing_secret="signing-secret-value", serviceops_url="desk", serviceops_api_key="k"
    )

    assert found == [
        NO_SURFACE,
        "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not, so Slack is not configured and "
        f"it would be ignored: set SLACK_BOT_TOKEN too, or remove it {SEE}",
        "SERVICEOPS_URL must be an http:// or https:// URL, e.g. https://desk.example.com " + SEE,
    ]
    assert "signing-secret-value" not in "\n".join(found)


def test_app_token_placeholder_alone_is_not_a_leftover() -> None:
    """`.env.example` ships `SLACK_APP_TOKEN=xapp-`: unfilled, it is not a setting to report."""
    assert problems(slack_app_token="xapp-", **SERVICEOPS_ONLY) == [NO_SURFACE]


def test_invalid_bot_token_is_not_reported_as_no_surface() -> None:
    assert problems(slack_bot_token="xoxp-user-token", **SERVICEOPS_ONLY) == [
        f"SLACK_BOT_TOKEN must be a bot token starting with xoxb- {SEE}"
    ]


def test_without_slack_the_run_mode_has_nothing_to_check() -> None:
    # Not reachable through `load_settings` until another surface exists; the code must not crash.
    without_slack = settings(slack_signing_secret=None).model_copy(
        update={"slack_bot_token": None, "slack_app_token": None}
    )

    assert without_slack.slack is None
    assert without_slack.mode() == "http"
    assert without_slack.check_mode("http") == []
    assert without_slack.check_mode("socket") == []


# --------------------------------------------------------------------------- sections


def test_slack_section_holds_the_slack_settings_without_prefix() -> None:
    built = settings(
        slack_signing_secret="signing-secret-value",
        slack_api_url="https://slack-gov.com/api",
        reply_privately=True,
    )

    assert built.slack == SlackSettings(
        bot_token=SecretStr("xoxb-1111-2222-abcdef"),
        app_token=SecretStr("xapp-1-A111-222-abcdef"),
        signing_secret=SecretStr("signing-secret-value"),
        api_url="https://slack-gov.com/api/",
        reply_privately=True,
    )
    assert built.slack.bot_token.get_secret_value() == "xoxb-1111-2222-abcdef"


def test_slack_section_is_none_when_slack_is_not_configured() -> None:
    assert settings().model_copy(update={"slack_bot_token": None}).slack is None


def test_serviceops_section_holds_url_credentials_and_connection(tmp_path: Path) -> None:
    ca = tmp_path / "desk-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    built = settings(
        serviceops_url="https://desk.example.com/",
        serviceops_api_key=None,
        serviceops_ca_bundle=str(ca),
        serviceops_read_timeout=12,
        serviceops_source="Chat",
        **OAUTH,
    )

    assert built.serviceops == ServiceOpsSettings(
        url="https://desk.example.com",
        client_id="client-1",
        client_secret=SecretStr("client-secret-value"),
        username="bot@example.com",
        password=SecretStr("password-value"),
        api_key=None,
        ca_bundle=ca,
        connect_timeout=5.0,
        read_timeout=12.0,
        portal_url_template="{base}/t/request/view/{id}",
        token_path="/api/oauth/token",
        api_path="/api/v1",
        source="Chat",
    )
    assert not built.serviceops.uses_api_key
    assert settings().serviceops.uses_api_key


def test_server_and_cache_sections() -> None:
    built = settings(
        port=8081,
        host="127.0.0.1",
        health_port=8080,
        log_level="DEBUG",
        log_format="json",
        cache_url="redis://cache:6379/0",
    )

    assert built.server == ServerSettings(
        port=8081, host="127.0.0.1", health_port=8080, log_level="DEBUG", log_format="json"
    )
    assert built.cache == CacheSettings(url="redis://cache:6379/0")


def test_sections_are_read_only() -> None:
    built = settings()
    assert built.slack is not None

    with pytest.raises(ValidationError):
        built.slack.bot_token = SecretStr("xoxb-other")  # type: ignore[misc]
    with pytest.raises(ValidationError):
        built.serviceops.url = "https://other.example.com"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        built.server.port = 1  # type: ignore[misc]
    with pytest.raises(ValidationError):
        built.cache.url = "memory://"  # type: ignore[misc]


def test_sections_follow_the_flat_fields(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment stays flat: the same variables fill the sections."""
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-env",
        "SLACK_SIGNING_SECRET": "signing-env",
        "SERVICEOPS_URL": "https://desk.example.com",
        "SERVICEOPS_API_KEY": "key-env",
        "PORT": "8082",
        "CACHE_URL": "redis://cache:6379/1",
    }.items():
        monkeypatch.setenv(name, value)

    built = load_settings()

    assert built.slack is not None
    assert built.slack.bot_token.get_secret_value() == "xoxb-env"
    assert built.slack.app_token is None
    assert built.serviceops.url == built.serviceops_url == "https://desk.example.com"
    assert built.server.port == built.port == 8082
    assert built.cache.url == "redis://cache:6379/1"


def test_secrets_never_appear_in_repr_or_str() -> None:
    secret_values = {
        "slack_bot_token": "xoxb-9999-secret-bot",
        "slack_app_token": "xapp-9999-secret-app",
        "slack_signing_secret": "signing-secret-9999",
        "serviceops_client_secret": "client-secret-9999",
        "serviceops_password": "password-9999",
        "serviceops_api_key": "api-key-9999",
    }
    built = settings(
        **secret_values, serviceops_client_id="client-1", serviceops_username="bot@example.com"
    )

    shown = repr(built) + str(built) + repr(built.model_dump())
    shown += repr(built.slack) + repr(built.serviceops)
    for value in secret_values.values():
        assert value not in shown
    assert built.serviceops_password is not None
    assert built.serviceops_password.get_secret_value() == "password-9999"


def test_config_errors_do_not_echo_bad_secret_values() -> None:
    found = problems(
        slack_bot_token="not-a-token-but-secret-123",
        slack_app_token="also-secret-456",
        serviceops_url="https://desk.example.com",
        serviceops_api_key="k",
    )

    joined = "\n".join(found)
    assert "secret-123" not in joined
    assert "secret-456" not in joined


# --------------------------------------------------------------------------- form config


def readme_form_example() -> str:
    """The TOML block in README's "The form configuration file" section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## The form configuration file", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    assert match, "README's form configuration section has no ```toml example"
    return match.group(1)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot-config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def form_problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_form_config(path)
    return caught.value.problems


def test_no_file_gives_vendor_defaults() -> None:
    form = load_form_config(None)

    assert form.priorities == list(DEFAULT_PRIORITIES) == ["Low", "Medium", "High", "Urgent"]
    assert form.urgencies == list(DEFAULT_URGENCIES)
    assert (
        form.impacts
        == list(DEFAULT_IMPACTS)
        == [
            "Low",
            "On User",
            "On Department",
            "On Business",
        ]
    )
    assert form.departments == []
    assert form.category is None
    assert form.max_tags == 10
    assert form.channels == {}


def test_readme_example_parses(tmp_path: Path) -> None:
    form = load_form_config(write(tmp_path, readme_form_example()))

    assert form.departments == ["IT", "Facilities", "HR", "Finance"]
    assert form.default_priority == "Medium"
    assert form.category == "Incident Category"
    assert set(form.channels) == {"C0123ABCD"}
    assert form.channels["C0123ABCD"].tags == ["building", "floor-3"]
    assert form.cc_field is True
    assert form.defaults_for(None, platform="teams").source == "Teams"
    here = form.defaults_for("C0123ABCD")
    assert (here.source, here.location, here.category) == ("Slack", "Plant", "Incident Category")
    assert here.custom_fields == {"Contact by": "Chat", "Floor": 3}
    assert here.link_assets[0].asset_id == 12


def test_full_example_with_every_key(tmp_path: Path) -> None:
    form = load_form_config(
        write(
            tmp_path,
            """
            priorities = ["P4", "P3", "P2", "P1"]
            urgencies = ["Low", "High"]
            impacts = ["Single user", "Whole site"]
            departments = ["IT", "HR"]
            default_priority = "P3"
            default_urgency = "Low"
            default_impact = "Single user"
            category = "Network"
            max_tags = 3

            [channels.C0123ABCD]
            department = "HR"
            priority = "P1"
            urgency = "High"
            impact = "Whole site"
            tags = ["payroll"]

            [channels.G0PRIVATE1]
            department = "IT"
            """,
        )
    )

    assert form.priorities == ["P4", "P3", "P2", "P1"]
    assert form.max_tags == 3
    assert form.channels["G0PRIVATE1"].department == "IT"


def test_choice_names_are_trimmed_and_blanks_dropped(tmp_path: Path) -> None:
    form = load_form_config(write(tmp_path, 'departments = [" IT ", "", "HR"]\n'))

    assert form.departments == ["IT", "HR"]


def test_bad_channel_id_is_refused(tmp_path: Path) -> None:
    found = form_problems(tmp_path, '[channels.general]\npriority = "High"\n')

    assert found == [
        f"BOT_CONFIG {tmp_path / 'bot-config.toml'}: file: [channels.general] is not a Slack "
        'channel id (like C0123ABCD) or a prefixed key like "teams:19:…@thread.tacv2".'
    ]


TEAMS_CHANNEL = "19:abc123@thread.tacv2"


def test_teams_and_slack_prefixed_keys_are_accepted(tmp_path: Path) -> None:
    form = load_form_config(
        write(
            tmp_path,
            f"""
            departments = ["IT", "HR"]

            [channels.C0123ABCD]
            department = "IT"

            [channels."slack:G0PRIVATE1"]
            department = "HR"

            [channels."teams:{TEAMS_CHANNEL}"]
            department = "HR"
            priority = "High"

            [channels."teams:a:1AbC-personal-chat"]
            tags = ["personal"]
            """,
        )
    )

    assert set(form.channels) == {
        "C0123ABCD",
        "slack:G0PRIVATE1",
        f"teams:{TEAMS_CHANNEL}",
        "teams:a:1AbC-personal-chat",
    }


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        # An unprefixed key is a Slack channel id or nothing: a pasted Teams id needs `teams:`.
        (
            TEAMS_CHANNEL,
            'is not a Slack channel id (like C0123ABCD) or a prefixed key like "teams:',
        ),
        ("c0123abcd", "is not a Slack channel id (like C0123ABCD) or a prefixed key"),
        ("U0123ABCD", "is not a Slack channel id (like C0123ABCD) or a prefixed key"),
        (f"msteams:{TEAMS_CHANNEL}", "is not a Slack channel id (like C0123ABCD) or a prefixed"),
        ("slack:general", "is not a Slack channel id after slack: (like slack:C0123ABCD)"),
        ("teams:", "needs a Teams conversation id after teams: (like teams:19:…@thread.tacv2)"),
        ("teams:19:a b@thread.tacv2", "needs a Teams conversation id after teams:"),
    ],
)
def test_bad_channel_keys_are_refused_one_sentence_each(
    tmp_path: Path, key: str, problem: str
) -> None:
    (found,) = form_problems(tmp_path, f'[channels."{key}"]\npriority = "High"\n')

    shown = key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'"{key}"'
    assert found.startswith(
        f"BOT_CONFIG {tmp_path / 'bot-config.toml'}: file: [channels.{shown}] {problem}"
    )


def test_same_slack_channel_with_and_without_prefix_is_refused(tmp_path: Path) -> None:
    found = form_problems(
        tmp_path, '[channels.C0123ABCD]\ntags = ["a"]\n[channels."slack:C0123ABCD"]\ntags = ["b"]\n'
    )

    assert found == [
        f"BOT_CONFIG {tmp_path / 'bot-config.toml'}: file: [channels.C0123ABCD] and "
        '[channels."slack:C0123ABCD"] name the same Slack channel: keep one.'
    ]


def test_prefixed_key_problems_quote_the_key_as_toml_does(tmp_path: Path) -> None:
    (found,) = form_problems(
        tmp_path, f'[channels."teams:{TEAMS_CHANNEL}"]\npriority = "Critical"\n'
    )

    assert f"""channels."teams:{TEAMS_CHANNEL}".priority = 'Critical' is not one of""" in found


def test_default_not_among_choices_is_refused(tmp_path: Path) -> None:
    (found,) = form_problems(tmp_path, 'default_priority = "Critical"\n')

    assert "default_priority = 'Critical' is not one of ['Low', 'Medium', 'High', 'Urgent']" in (
        found
    )
    assert found.startswith(f"BOT_CONFIG {tmp_path / 'bot-config.toml'}:")


def test_channel_default_not_among_departments_is_refused(tmp_path: Path) -> None:
    (found,) = form_problems(
        tmp_path, 'departments = ["IT"]\n[channels.C0123ABCD]\ndepartment = "HR"\n'
    )

    assert "channels.C0123ABCD.department = 'HR' is not one of ['IT']" in found


def test_duplicate_choices_are_refused(tmp_path: Path) -> None:
    found = form_problems(tmp_path, 'priorities = ["Low", "High", "Low"]\n')

    assert found == [
        f"BOT_CONFIG {tmp_path / 'bot-config.toml'}: priorities: choices must not repeat."
    ]


def test_invalid_toml_is_refused(tmp_path: Path) -> None:
    (found,) = form_problems(tmp_path, 'priorities = ["Low"\n')

    assert found.startswith(f"BOT_CONFIG {tmp_path / 'bot-config.toml'} is not valid TOML: ")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('colour = "red"\n', "colour"),
        ("[channels.C0123ABCD]\nassignee = 'dana'\n", "channels.C0123ABCD.assignee"),
    ],
)
def test_unknown_key_is_refused(tmp_path: Path, text: str, where: str) -> None:
    found = form_problems(tmp_path, text)

    assert found == [
        f"BOT_CONFIG {tmp_path / 'bot-config.toml'}: {where}: Extra inputs are not permitted."
    ]


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"

    with pytest.raises(ConfigError) as caught:
        load_form_config(missing)

    assert caught.value.problems == [
        f"BOT_CONFIG {missing} cannot be read: No such file or directory."
    ]


def test_defaults_for_channel_falls_back_to_global_defaults() -> None:
    form = FormConfig(
        departments=["IT", "Facilities"],
        default_priority="Medium",
        default_urgency="High",
        channels={
            "C0123ABCD": ChannelDefaults(department="Facilities", priority="High", tags=["b"])
        },
    )

    specific = form.defaults_for("C0123ABCD")
    assert specific == ChannelDefaults(
        department="Facilities", priority="High", urgency="High", impact=None, tags=["b"]
    )
    elsewhere = form.defaults_for("C9999ZZZZ")
    assert elsewhere == ChannelDefaults(priority="Medium", urgency="High")
    assert form.defaults_for(None) == elsewhere


def test_defaults_for_looks_up_each_platform_under_its_own_key() -> None:
    form = FormConfig(
        default_priority="Medium",
        channels={
            "C0123ABCD": ChannelDefaults(priority="High"),
            "slack:G0PRIVATE1": ChannelDefaults(department="HR"),
            f"teams:{TEAMS_CHANNEL}": ChannelDefaults(priority="Urgent", tags=["teams"]),
        },
    )
    fallback = ChannelDefaults(priority="Medium")

    assert form.defaults_for(TEAMS_CHANNEL, platform="teams") == ChannelDefaults(
        priority="Urgent", tags=["teams"]
    )
    assert form.defaults_for("C0123ABCD", platform="slack").priority == "High"
    assert form.defaults_for("G0PRIVATE1").department == "HR"
    assert form.defaults_for("G0PRIVATE1", platform="slack").department == "HR"
    # A platform never sees another's entries.
    assert form.defaults_for("C0123ABCD", platform="teams") == fallback
    assert form.defaults_for(TEAMS_CHANNEL) == fallback
    assert form.defaults_for(f"teams:{TEAMS_CHANNEL}") == fallback
    assert form.defaults_for(None, platform="teams") == fallback


def test_defaults_for_returns_a_copy() -> None:
    form = FormConfig(channels={"C0123ABCD": ChannelDefaults(tags=["b"])})

    form.defaults_for("C0123ABCD").tags.append("changed")

    assert form.channels["C0123ABCD"].tags == ["b"]


# --------------------------------------------------------------------------- Teams

TEAMS = {
    "teams_app_id": "00000000-0000-0000-0000-0000000000b1",
    "teams_app_password": "teams-secret-value",
    "teams_tenant_id": "00000000-0000-0000-0000-00000000000a",
}


def test_teams_alone_is_a_configured_surface_with_the_public_cloud() -> None:
    built = settings(slack_bot_token=None, slack_app_token=None, **TEAMS)

    assert built.slack is None
    teams = built.teams
    assert teams is not None
    assert teams.app_id == TEAMS["teams_app_id"]
    assert teams.app_password.get_secret_value() == "teams-secret-value"
    assert teams.cloud == "public"
    assert teams.openid_metadata_url == (
        "https://login.botframework.com/v1/.well-known/openidconfiguration"
    )
    assert teams.token_url == (
        f"https://login.microsoftonline.com/{TEAMS['teams_tenant_id']}/oauth2/v2.0/token"
    )
    assert teams.token_issuer == "https://api.botframework.com"
    assert teams.bot_scope == "https://api.botframework.com/.default"


def test_teams_cloud_and_overrides_choose_the_endpoints() -> None:
    gov = settings(teams_cloud="usgov", **TEAMS).teams
    assert gov is not None
    assert gov.login_url == "https://login.microsoftonline.us"
    assert gov.token_issuer == "https://api.botframework.us"

    local = settings(
        teams_openid_metadata_url="http://127.0.0.1:9/v1/.well-known/openidconfiguration",
        teams_login_url="http://127.0.0.1:9",
        **TEAMS,
    ).teams
    assert local is not None
    assert local.openid_metadata_url.startswith("http://127.0.0.1:9/")
    assert local.token_url == f"http://127.0.0.1:9/{TEAMS['teams_tenant_id']}/oauth2/v2.0/token"


def test_without_teams_app_id_there_is_no_teams_section() -> None:
    assert settings().teams is None


def test_teams_app_id_needs_the_password_and_the_tenant() -> None:
    found = problems(
        serviceops_url="https://desk.example.com",
        serviceops_api_key="k",
        teams_app_id=TEAMS["teams_app_id"],
    )

    assert found == [
        "Microsoft Teams needs TEAMS_APP_PASSWORD and TEAMS_TENANT_ID with TEAMS_APP_ID: the "
        "client secret and the tenant id of the bot's Entra app registration (Azure portal → "
        f"App registrations) {SEE}"
    ]


def test_teams_leftovers_without_the_app_id_are_reported() -> None:
    found = problems(
        slack_bot_token="xoxb-1111-2222-abcdef",
        serviceops_url="https://desk.example.com",
        serviceops_api_key="k",
        teams_tenant_id=TEAMS["teams_tenant_id"],
    )

    assert len(found) == 1
    assert found[0].startswith("TEAMS_TENANT_ID is set but TEAMS_APP_ID is not")


def test_unknown_teams_cloud_is_refused() -> None:
    found = problems(
        serviceops_url="https://desk.example.com",
        serviceops_api_key="k",
        teams_cloud="mars",
        **TEAMS,
    )

    assert len(found) == 1
    assert found[0].startswith("TEAMS_CLOUD ")


# --------------------------------------------------------------------------- durable state


def test_state_defaults_to_a_sqlite_file_in_the_working_directory() -> None:
    built = settings()

    assert built.state_url == "sqlite:///serviceops-bot.sqlite3"
    assert built.state.url == "sqlite:///serviceops-bot.sqlite3"


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///serviceops-bot.sqlite3",
        "sqlite:////var/lib/serviceops-bot/links.sqlite3",
        "sqlite:///:memory:",
        "redis://cache:6379/1",
        "rediss://:pw@cache:6380/2",
    ],
)
def test_supported_state_urls_are_accepted(url: str) -> None:
    assert settings(state_url=url).state.url == url


@pytest.mark.parametrize(
    "url", ["memory://", "sqlite://links.sqlite3", "sqlite:///", "postgres://db/links", "links"]
)
def test_bad_state_url_is_refused(url: str) -> None:
    assert problems(
        slack_bot_token="xoxb-1",
        serviceops_url="https://desk.example.com",
        serviceops_api_key="k",
        state_url=url,
    ) == [
        "STATE_URL must be sqlite:///path/to/file.sqlite3 (a file on this host) or "
        f"redis://host:6379/0 (shared by replicas) {SEE}"
    ]


def test_state_section_follows_the_environment_and_is_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-env",
        "SLACK_SIGNING_SECRET": "signing-env",
        "SERVICEOPS_URL": "https://desk.example.com",
        "SERVICEOPS_API_KEY": "key-env",
        "STATE_URL": "redis://state:6379/3",
    }.items():
        monkeypatch.setenv(name, value)

    built = load_settings()

    assert built.state.url == built.state_url == "redis://state:6379/3"
    with pytest.raises(ValidationError):
        built.state.url = "sqlite:///other.sqlite3"  # type: ignore[misc]


# --------------------------------------------------------------------------- request defaults


def test_request_defaults_and_optional_fields_parse(tmp_path: Path) -> None:
    form = load_form_config(
        write(
            tmp_path,
            f"""
            categories = ["Network", "Hardware"]
            locations = ["Head office", "Plant"]
            cc_field = true
            category = "Network"
            location = "Plant"
            source = "Chat"
            support_level = "tier1"
            group = "Service desk"
            status = "Open"
            custom_fields = {{ Floor = 3, VIP = true, Budget = 1.5, Tag = "x", Days = ["Mo"] }}
            link_assets = [{{ asset_model = "asset_hardware", asset_id = 1 }}]

            [platforms.teams]
            source = "Teams"

            [channels."teams:{TEAMS_CHANNEL}"]
            category = "Hardware"
            """,
        )
    )

    assert form.cc_field is True
    assert form.custom_fields == {
        "Floor": 3,
        "VIP": True,
        "Budget": 1.5,
        "Tag": "x",
        "Days": ["Mo"],
    }
    assert form.link_assets[0].asset_id == 1
    assert form.platforms["teams"].source == "Teams"


def test_defaults_layer_channel_over_platform_over_file() -> None:
    form = FormConfig(
        source="Chat",
        group="Desk",
        custom_fields={"Floor": 1, "VIP": False},
        platforms={
            "teams": ChannelDefaults(source="Teams", custom_fields={"VIP": True}, priority="High")
        },
        channels={
            f"teams:{TEAMS_CHANNEL}": ChannelDefaults(group="Network", custom_fields={"Floor": 9})
        },
    )

    channel = form.defaults_for(TEAMS_CHANNEL, platform="teams")
    assert (channel.source, channel.group, channel.priority) == ("Teams", "Network", "High")
    assert channel.custom_fields == {"Floor": 9, "VIP": True}
    chat = form.defaults_for("a:1", platform="teams")
    assert (chat.source, chat.group, chat.custom_fields) == (
        "Teams",
        "Desk",
        {"Floor": 1, "VIP": True},
    )
    slack = form.defaults_for("C0123ABCD")
    assert (slack.source, slack.group, slack.priority) == ("Chat", "Desk", None)
    assert slack.custom_fields == {"Floor": 1, "VIP": False}


def test_a_platform_can_turn_thread_sync_off() -> None:
    form = FormConfig(
        platforms={"slack": ChannelDefaults(sync_replies=False)},
        channels={"C0123ABCD": ChannelDefaults(sync_replies=True)},
    )

    assert form.defaults_for("C9999ZZZZ").sync_replies is False
    assert form.defaults_for("C0123ABCD").sync_replies is True
    assert form.defaults_for("19:x", platform="teams").sync_replies is True


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            'source = "  "\n',
            "source: must not be empty: leave the key out to let ServiceOps decide",
        ),
        ("status = 3\n", "status: Input should be a valid string"),
        (f'group = "{"g" * 101}"\n', "group: must be at most 100 characters"),
        (
            "custom_fields = { Due = 2026-01-31 }\n",
            'custom_fields: "Due" must be text, a number, true/false or a list of texts (a date '
            "as epoch milliseconds, e.g. 1767225600000)",
        ),
        (
            "custom_fields = { Ratio = nan }\n",
            'custom_fields: "Ratio" must be text, a number, true/false or a list of texts',
        ),
        (
            "custom_fields = { Rooms = [1, 2] }\n",
            'custom_fields: "Rooms" must be text, a number, true/false or a list of texts',
        ),
        (
            'custom_fields = "Floor=3"\n',
            'custom_fields: must be a table of names and values, like { "Asset tag" = "A-1"',
        ),
        (
            'link_assets = [{ asset_model = "asset_hardware" }]\n',
            'link_assets: asset 1 must be { asset_model = "asset_hardware", asset_id = 12 }: '
            "the asset's kind as ServiceOps names it, and its id (a whole number from 1)",
        ),
        (
            'link_assets = [{ asset_model = "asset_hardware", asset_id = 1 }, '
            '{ asset_model = "asset_hardware", asset_id = "7" }]\n',
            "link_assets: asset 2 must be",
        ),
        (
            '[channels.C0123ABCD]\nlink_assets = { asset_model = "x", asset_id = 1 }\n',
            "channels.C0123ABCD.link_assets: must be a list of assets, like [{ asset_model",
        ),
        (
            '[platforms.skype]\nsource = "Skype"\n',
            "platforms.skype.[key]: Input should be 'slack' or 'teams'",
        ),
        (
            '[platforms.teams]\ncolour = "red"\n',
            "platforms.teams.colour: Extra inputs are not permitted",
        ),
        (
            "categories = [" + ", ".join(f'"C{n}"' for n in range(101)) + "]\n",
            "categories: at most 100 choices fit a chat drop-down (this has 101): list the ones "
            "people pick, or leave the key out and set one as a default",
        ),
        ('locations = ["HQ", "HQ"]\n', "locations: choices must not repeat"),
        (
            "categories = [" + ", ".join(f'"Category {n:02d}"' for n in range(70)) + "]\n"
            "locations = [" + ", ".join(f'"Location {n:02d}"' for n in range(40)) + "]\n",
            "file: categories and locations together are too long to fit a Microsoft Teams "
            "form (5060 bytes of at most 4800, counting each name twice and 24 bytes a "
            "choice): list fewer or shorter names",
        ),
        (
            'categories = ["Network"]\ncategory = "Printers"\n',
            "file: category = 'Printers' is not one of ['Network']",
        ),
        (
            'locations = ["HQ"]\n[platforms.slack]\nlocation = "Plant"\n',
            "file: platforms.slack.location = 'Plant' is not one of ['HQ']",
        ),
        (
            'categories = ["Network"]\n[channels.C0123ABCD]\ncategory = "Printers"\n',
            "file: channels.C0123ABCD.category = 'Printers' is not one of ['Network']",
        ),
        (
            '[platforms.teams]\npriority = "Critical"\n',
            "file: platforms.teams.priority = 'Critical' is not one of",
        ),
    ],
)
def test_each_request_default_mistake_gets_its_sentence(
    tmp_path: Path, text: str, problem: str
) -> None:
    (found,) = form_problems(tmp_path, text)

    assert found.startswith(f"BOT_CONFIG {tmp_path / 'bot-config.toml'}: {problem}"), found


def test_a_category_is_sent_as_it_is_when_the_form_offers_none(tmp_path: Path) -> None:
    form = load_form_config(write(tmp_path, 'category = "Anything"\nlocation = "Anywhere"\n'))

    assert (form.category, form.location) == ("Anything", "Anywhere")


# --------------------------------------------------------------------------- reaction emoji


def test_reaction_emoji_defaults_to_ticket_and_is_set_per_channel(tmp_path: Path) -> None:
    text = """
reaction_emoji = ":bug:"
[channels.C0123ABCD]
reaction_emoji = "ticket"
[channels.C0QUIET11]
reaction_emoji = ""
[channels.C0OTHER11]
department = "IT"
"""
    form = load_form_config(write(tmp_path, text))

    assert load_form_config(None).reaction_emoji_for("C0ANY1") == "ticket"
    assert form.reaction_emoji_for("C0123ABCD") == "ticket"
    assert form.reaction_emoji_for("C0QUIET11") == ""  # no offers in that channel
    assert form.reaction_emoji_for("C0OTHER11") == "bug"
    assert form.reaction_emoji_for("C0UNLISTED") == "bug"


def test_a_platform_entry_sets_the_reaction_emoji_under_its_channels() -> None:
    form = FormConfig(
        platforms={"slack": ChannelDefaults(reaction_emoji="sos")},
        channels={"C0123ABCD": ChannelDefaults(reaction_emoji="ticket")},
    )

    assert form.reaction_emoji_for("C0UNLISTED") == "sos"
    assert form.reaction_emoji_for("C0123ABCD") == "ticket"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('reaction_emoji = "Ticket Please"', "reaction_emoji"),
        ('reaction_emoji = "🎫"', "reaction_emoji"),
        ('[channels.C0123ABCD]\nreaction_emoji = "a b"', "channels.C0123ABCD.reaction_emoji"),
    ],
)
def test_a_reaction_emoji_that_is_not_a_name_is_refused_with_the_fix(
    tmp_path: Path, text: str, where: str
) -> None:
    [problem] = form_problems(tmp_path, text)

    assert problem.startswith(f"BOT_CONFIG {tmp_path / 'bot-config.toml'}: {where}: ")
    assert "is not an emoji's name" in problem
    assert 'like "ticket" or ":ticket:"' in problem
