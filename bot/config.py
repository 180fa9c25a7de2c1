"""Settings from the environment (or `.env`) and the optional form configuration file.

Everything the bot can be told lives here, so no other module reads `os.environ`.
`Settings` holds connections and secrets; `FormConfig` (from the `BOT_CONFIG` TOML file)
holds the choices the modal offers and per-channel defaults.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

README_SETTINGS = "README.md#configuration"

DEFAULT_PRIORITIES = ("Low", "Medium", "High", "Urgent")
DEFAULT_URGENCIES = ("Low", "Medium", "High", "Urgent")
DEFAULT_IMPACTS = ("Low", "On User", "On Department", "On Business")

CHANNEL_ID = re.compile(r"^[CDG][A-Z0-9]{2,}$")


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists each issue as a sentence to act on."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class Settings(BaseSettings):
    """Process settings. Field names map to the upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        # `NAME=` (a blank line of a copied `.env.example`) means unset, not "".
        env_ignore_empty=True,
    )

    slack_bot_token: SecretStr
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    port: int = Field(default=3000, ge=1, le=65535)
    host: str = "0.0.0.0"  # noqa: S104 (a server in a container listens on every interface)
    """Address the HTTP and health endpoints listen on (127.0.0.1 behind a local proxy)."""
    health_port: int | None = Field(default=None, ge=0, le=65535)

    serviceops_url: str
    serviceops_client_id: str | None = None
    serviceops_client_secret: SecretStr | None = None
    serviceops_username: str | None = None
    serviceops_password: SecretStr | None = None
    serviceops_api_key: SecretStr | None = None
    serviceops_ca_bundle: Path | None = None
    serviceops_connect_timeout: float = Field(default=5.0, gt=0)
    serviceops_read_timeout: float = Field(default=30.0, gt=0)
    serviceops_portal_url_template: str = "{base}/t/request/view/{id}"
    serviceops_token_path: str = "/api/oauth/token"
    serviceops_api_path: str = "/api/v1"
    serviceops_source: str | None = None
    """Value sent as the request's `source`; empty lets ServiceOps use its default."""

    cache_url: str = "memory://"
    bot_config: Path | None = None
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    reply_privately: bool = False
    """Announce `/ticket` results only to the person instead of in the channel."""

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value()
        if not token.startswith("xoxb-") or token == "xoxb-":
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value() in ("", "xapp-"):
            return None  # empty, or `.env.example`'s placeholder left as is: HTTP mode
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("serviceops_url", "slack_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL, e.g. https://desk.example.com")
        return value

    @field_validator("serviceops_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("cache_url")
    @classmethod
    def _cache_scheme(cls, value: str) -> str:
        if not (value.startswith("memory://") or re.match(r"^rediss?://", value)):
            raise ValueError("must be memory:// or redis://host:6379/0")
        return value

    @field_validator("serviceops_ca_bundle", "bot_config")
    @classmethod
    def _file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"file {value} does not exist")
        return value

    @model_validator(mode="after")
    def _one_serviceops_auth(self) -> Self:
        problem = _credentials_problem(self)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def uses_api_key(self) -> bool:
        return self.serviceops_api_key is not None

    def mode(self, forced: str | None = None) -> Literal["socket", "http"]:
        """The run mode: forced by `--mode`, else Socket Mode when an app token is set."""
        if forced in ("socket", "http"):
            return forced  # type: ignore[return-value]
        return "socket" if self.slack_app_token else "http"

    def check_mode(self, mode: str) -> list[str]:
        """Problems that prevent running in `mode`, as sentences."""
        if mode == "http" and not self.slack_signing_secret:
            return [
                "SLACK_SIGNING_SECRET is required in HTTP mode: copy it from your Slack app's "
                "Basic Information page (or set SLACK_APP_TOKEN to use Socket Mode)."
            ]
        if mode == "socket" and not self.slack_app_token:
            return [
                "SLACK_APP_TOKEN is required in Socket Mode: create an app-level token with the "
                "connections:write scope on your Slack app's Basic Information page."
            ]
        return []


class _Credentials(BaseSettings):
    """Only the ServiceOps credentials, read leniently, to report them alongside other errors
    (pydantic runs `Settings`' cross-field check only once every field is valid)."""

    model_config = Settings.model_config

    serviceops_client_id: str | None = None
    serviceops_client_secret: str | None = None
    serviceops_username: str | None = None
    serviceops_password: str | None = None
    serviceops_api_key: str | None = None


def _credentials_problem(values: Settings | _Credentials) -> str | None:
    if values.serviceops_api_key is not None:
        return None
    oauth = {
        "SERVICEOPS_CLIENT_ID": values.serviceops_client_id,
        "SERVICEOPS_CLIENT_SECRET": values.serviceops_client_secret,
        "SERVICEOPS_USERNAME": values.serviceops_username,
        "SERVICEOPS_PASSWORD": values.serviceops_password,
    }
    missing = [name for name, value in oauth.items() if not value]
    if not missing:
        return None
    return (
        "ServiceOps credentials are incomplete: set SERVICEOPS_API_KEY, or all of "
        "SERVICEOPS_CLIENT_ID, SERVICEOPS_CLIENT_SECRET, SERVICEOPS_USERNAME and "
        f"SERVICEOPS_PASSWORD (missing: {', '.join(missing)})"
    )


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one `ConfigError` with every problem."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = _describe(exc)
    if not any("ServiceOps credentials" in problem for problem in problems):
        names = set(_Credentials.model_fields) | {"_env_file"}
        credentials = _Credentials(**{k: v for k, v in overrides.items() if k in names})  # type: ignore[arg-type]
        problem = _credentials_problem(credentials)
        if problem:
            problems.append(f"{problem} (see {README_SETTINGS}).")
    raise ConfigError(problems)


def _describe(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        name = "_".join(str(part) for part in error["loc"]).upper()
        if error["type"] == "missing":
            problems.append(f"{name} is not set (see {README_SETTINGS}).")
        elif not name:
            problems.append(
                f"{error['msg'].removeprefix('Value error, ')} (see {README_SETTINGS})."
            )
        else:
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{name} {message} (see {README_SETTINGS}).")
    return problems


# --------------------------------------------------------------------------- form config


class ChannelDefaults(BaseModel):
    """Values preselected in the modal when it is opened from one channel."""

    model_config = ConfigDict(extra="forbid")

    department: str | None = None
    priority: str | None = None
    urgency: str | None = None
    impact: str | None = None
    tags: list[str] = Field(default_factory=list)


class FormConfig(BaseModel):
    """Choices the modal offers. Names must match ServiceOps exactly (tenants rename them)."""

    model_config = ConfigDict(extra="forbid")

    priorities: list[str] = Field(default_factory=lambda: list(DEFAULT_PRIORITIES))
    urgencies: list[str] = Field(default_factory=lambda: list(DEFAULT_URGENCIES))
    impacts: list[str] = Field(default_factory=lambda: list(DEFAULT_IMPACTS))
    departments: list[str] = Field(default_factory=list)
    """Empty: department is free text. Over 100: a type-ahead select."""
    default_priority: str | None = None
    default_urgency: str | None = None
    default_impact: str | None = None
    category: str | None = None
    """Sent as `categoryName` on every request when set."""
    max_tags: int = Field(default=10, ge=0, le=50)
    channels: dict[str, ChannelDefaults] = Field(default_factory=dict)

    @field_validator("priorities", "urgencies", "impacts", "departments")
    @classmethod
    def _clean_names(cls, values: list[str]) -> list[str]:
        cleaned = [value.strip() for value in values if value.strip()]
        too_long = [value for value in cleaned if len(value) > 75]
        if too_long:
            raise ValueError(f"choice names must be at most 75 characters: {too_long[0][:40]}…")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("choices must not repeat")
        return cleaned

    @model_validator(mode="after")
    def _defaults_are_choices(self) -> Self:
        problems = []
        checks = [
            ("default_priority", self.default_priority, self.priorities),
            ("default_urgency", self.default_urgency, self.urgencies),
            ("default_impact", self.default_impact, self.impacts),
        ]
        for channel_id, defaults in self.channels.items():
            if not CHANNEL_ID.match(channel_id):
                problems.append(
                    f"[channels.{channel_id}] is not a Slack channel id (like C0123ABCD)"
                )
            checks += [
                (f"channels.{channel_id}.priority", defaults.priority, self.priorities),
                (f"channels.{channel_id}.urgency", defaults.urgency, self.urgencies),
                (f"channels.{channel_id}.impact", defaults.impact, self.impacts),
            ]
            if self.departments:
                checks.append(
                    (f"channels.{channel_id}.department", defaults.department, self.departments)
                )
        for name, value, choices in checks:
            if value is not None and value not in choices:
                problems.append(f"{name} = {value!r} is not one of {choices}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def defaults_for(self, channel_id: str | None) -> ChannelDefaults:
        """Preselected values for a channel, falling back to the global defaults."""
        specific = self.channels.get(channel_id or "", ChannelDefaults())
        return ChannelDefaults(
            department=specific.department,
            priority=specific.priority or self.default_priority,
            urgency=specific.urgency or self.default_urgency,
            impact=specific.impact or self.default_impact,
            tags=list(specific.tags),
        )


def load_form_config(path: Path | None) -> FormConfig:
    """Read the `BOT_CONFIG` TOML file; no file means the vendor's default choices."""
    if path is None:
        return FormConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([f"BOT_CONFIG {path} cannot be read: {exc.strerror}."]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"BOT_CONFIG {path} is not valid TOML: {exc}."]) from None
    try:
        return FormConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False, include_input=False):
            where = ".".join(str(part) for part in error["loc"]) or "file"
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"BOT_CONFIG {path}: {where}: {message}.")
        raise ConfigError(problems) from None
