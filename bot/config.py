"""Settings from the environment (or `.env`) and the optional form configuration file.

Everything the bot can be told lives here, so no other module reads `os.environ`.
`Settings` holds connections and secrets; `FormConfig` (from the `BOT_CONFIG` TOML file)
holds the choices the modal offers and per-channel (per-conversation) defaults.

The environment stays flat (`SLACK_BOT_TOKEN`, `SERVICEOPS_URL`, ...: a public contract), and so
do `Settings`' fields. Code reads it by part through typed, read-only sections:
`settings.slack` (None when Slack is not configured), `settings.serviceops`, `settings.server`,
`settings.cache` and `settings.state`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

README_SETTINGS = "the README's Configuration section"
"""Where settings are described, as a sentence names it: the README (shipped as the package's
description) has a section "Configuration"; a `README.md#…` path means nothing to someone who
installed the package."""

MB = 1024 * 1024
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

DEFAULT_PRIORITIES = ("Low", "Medium", "High", "Urgent")
DEFAULT_URGENCIES = ("Low", "Medium", "High", "Urgent")
DEFAULT_IMPACTS = ("Low", "On User", "On Department", "On Business")

CHOICES_MAX = 100
"""Most categories or locations the form offers (a Slack drop-down's limit)."""
PLACE_CHOICES_BYTES = 4800
"""What categories and locations may add to the Teams form together: each choice carries its
name twice (title and value) and about 24 bytes of JSON; the rest of the worst-case form
(every field at its longest, an error under each) leaves this much of the card's 28 KB."""

CHANNEL_ID = re.compile(r"^[CDG][A-Z0-9]{2,}$")
EMOJI_NAME = re.compile(r"^[a-z0-9_+'-]{1,100}$")
"""A Slack emoji's name as a reaction event spells it (`ticket`, `white_check_mark`)."""

Platform = Literal["slack", "teams"]
"""Chat platforms a `[channels."<platform>:<id>"]` key of `BOT_CONFIG` can name."""


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists each issue as a sentence to act on."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class SlackSettings(BaseModel):
    """The Slack surface: present only when `SLACK_BOT_TOKEN` is set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bot_token: SecretStr
    app_token: SecretStr | None
    """Set: Socket Mode by default."""
    signing_secret: SecretStr | None
    """Required in HTTP mode."""
    api_url: str
    reply_privately: bool
    """Announce `/ticket` results only to the person instead of in the channel."""


TeamsCloud = Literal["public", "usgov", "usgovdod", "china"]


@dataclass(frozen=True)
class _TeamsEndpoints:
    login_url: str
    openid_metadata_url: str
    bot_scope: str
    token_issuer: str


TEAMS_CLOUDS: dict[str, _TeamsEndpoints] = {
    "public": _TeamsEndpoints(
        "https://login.microsoftonline.com",
        "https://login.botframework.com/v1/.well-known/openidconfiguration",
        "https://api.botframework.com/.default",
        "https://api.botframework.com",
    ),
    "usgov": _TeamsEndpoints(
        "https://login.microsoftonline.us",
        "https://login.botframework.azure.us/v1/.well-known/openidconfiguration",
        "https://api.botframework.us/.default",
        "https://api.botframework.us",
    ),
    "usgovdod": _TeamsEndpoints(
        "https://login.microsoftonline.us",
        "https://login.botframework.azure.us/v1/.well-known/openidconfiguration",
        "https://api.botframework.us/.default",
        "https://api.botframework.us",
    ),
    "china": _TeamsEndpoints(
        "https://login.partner.microsoftonline.cn",
        "https://login.botframework.azure.cn/v1/.well-known/openidconfiguration",
        "https://api.botframework.azure.cn/.default",
        "https://api.botframework.azure.cn",
    ),
}
"""Each Microsoft cloud's endpoints for a bot (Microsoft's Bot Framework documentation)."""


class TeamsSettings(BaseModel):
    """The Microsoft Teams surface: present only when `TEAMS_APP_ID` is set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    app_id: str
    """The bot's Entra app registration (client) id: inbound tokens' audience."""
    app_password: SecretStr
    tenant_id: str
    """The Entra tenant of the single-tenant app registration."""
    cloud: TeamsCloud
    login_url: str
    """Where the bot's own token comes from: `{login_url}/{tenant_id}/oauth2/v2.0/token`."""
    openid_metadata_url: str
    """OpenID metadata inbound tokens are checked against (its `jwks_uri` has the keys)."""
    bot_scope: str
    token_issuer: str

    @property
    def token_url(self) -> str:
        return f"{self.login_url.rstrip('/')}/{self.tenant_id}/oauth2/v2.0/token"


class ServiceOpsSettings(BaseModel):
    """The ServiceOps server and how the bot signs in to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    """Base URL, without a trailing slash."""
    client_id: str | None
    client_secret: SecretStr | None
    username: str | None
    password: SecretStr | None
    api_key: SecretStr | None
    ca_bundle: Path | None
    connect_timeout: float
    read_timeout: float
    portal_url_template: str
    token_path: str
    api_path: str
    source: str | None
    webhook_secret: SecretStr | None = None
    poll_seconds: int = 0
    resolved_status: str = "Resolved"
    closed_status: str = "Closed"
    reopened_status: str = "Open"
    upload_path: str = "/api/v1/attachment/upload"
    upload_field: str = "file"
    requester_key: str = "request.requesterEmail"
    my_requests_search: Literal["auto", "qualified", "filtered"] = "auto"
    my_requests_limit: int = 200

    @property
    def uses_api_key(self) -> bool:
        return self.api_key is not None


class FileSettings(BaseModel):
    """Files from the chat that become a request's attachments: how much is taken."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_file_bytes: int
    """Largest file attached; a larger one is left in the chat (and linked)."""
    max_ticket_bytes: int
    """Most bytes attached to one ticket, all files together."""


class ServerSettings(BaseModel):
    """The process: where its HTTP and health endpoints listen, and how it logs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    port: int
    host: str
    health_port: int | None
    log_level: str
    log_format: Literal["text", "json"]


class CacheSettings(BaseModel):
    """The cache shared by replicas (tokens, e-mail cache, de-duplication)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str


class StateSettings(BaseModel):
    """The durable store of ticket links (request ↔ conversation): unlike the cache, it must
    not forget."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    """`sqlite:///path` (one host) or `redis://…` (replicas share it)."""


@dataclass(frozen=True)
class _Surface:
    """A chat surface, as far as settings go: the variable that turns it on and its others."""

    name: str
    enabled_by: str
    how: str
    """What to set `enabled_by` to, completing "set SLACK_BOT_TOKEN to …"."""
    only_with: tuple[str, ...]
    """Its other variables, which mean nothing without `enabled_by`."""


# At least one must be configured. A surface is one line here (and its fields in `Settings`).
SURFACES = (
    _Surface(
        "Slack",
        "SLACK_BOT_TOKEN",
        "the Slack app's Bot User OAuth Token (xoxb-…)",
        ("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"),
    ),
    _Surface(
        "Microsoft Teams",
        "TEAMS_APP_ID",
        "the bot's Entra app registration id (with TEAMS_APP_PASSWORD and TEAMS_TENANT_ID)",
        (
            "TEAMS_APP_PASSWORD",
            "TEAMS_TENANT_ID",
            "TEAMS_OPENID_METADATA_URL",
            "TEAMS_LOGIN_URL",
        ),
    ),
)


class Settings(BaseSettings):
    """Process settings. Field names map to the upper-case environment variables.

    The fields are flat like the environment; read them by part through the sections
    `slack`, `serviceops`, `server`, `cache` and `state`.
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        # `NAME=` (a blank line of a copied `.env.example`) means unset, not "".
        env_ignore_empty=True,
    )

    slack_bot_token: SecretStr | None = None
    """None when Slack is not configured; code reads `settings.slack`."""
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
    state_url: str = "sqlite:///serviceops-bot.sqlite3"
    """Where ticket links live: a SQLite file (relative to the working directory; four slashes
    for an absolute path) or Redis shared by replicas."""
    bot_config: Path | None = None
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    reply_privately: bool = False
    """Announce `/ticket` results only to the person instead of in the channel."""

    serviceops_webhook_secret: SecretStr | None = None
    """Enables `POST /serviceops/events` (a ServiceOps workflow's "Run Webhook")."""
    serviceops_poll_seconds: int = Field(default=0, ge=0, le=86400)
    """Read linked open requests every this many seconds (0: off; the webhook is better)."""
    serviceops_resolved_status: str = "Resolved"
    serviceops_closed_status: str = "Closed"
    serviceops_reopened_status: str = "Open"
    """Status names as the tenant spells them: "Resolved" asks the requester "Fixed?", whose
    answer sets the closed or the reopened one."""
    serviceops_upload_path: str = "/api/v1/attachment/upload"
    """Where chat files are uploaded (multipart POST, from the server root). The vendor does
    not document it: a GUESS to verify on your server (`serviceops-bot check --try-upload`)."""
    serviceops_upload_field: str = Field(default="file", min_length=1)
    """The multipart field that carries the file."""
    attachment_max_file_mb: float = Field(default=20, ge=0, le=1024)
    """Largest chat file attached to a ticket, in MB (0: files are only linked)."""
    attachment_max_ticket_mb: float = Field(default=50, ge=0, le=4096)
    """Most MB of files attached to one ticket."""
    serviceops_requester_key: str = Field(default="request.requesterEmail", min_length=1)
    """Search key of a request's requester e-mail for "My requests" (a GUESS: see README)."""
    serviceops_my_requests_search: Literal["auto", "qualified", "filtered"] = "auto"
    """How "My requests" searches: with a requester qualification, by filtering the most
    recent requests, or the first and then the second if the server refuses or ignores it."""
    serviceops_my_requests_limit: int = Field(default=200, ge=10, le=5000)
    """Most search results read to build one person's list."""

    teams_app_id: str | None = None
    teams_app_password: SecretStr | None = None
    teams_tenant_id: str | None = None
    teams_cloud: TeamsCloud = "public"
    teams_openid_metadata_url: str | None = None
    teams_login_url: str | None = None

    @field_validator("serviceops_webhook_secret")
    @classmethod
    def _long_enough_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError(
                "must be at least 16 characters (it is all that stands between the internet "
                "and your tickets' threads): generate one, e.g. with `openssl rand -hex 24`"
            )
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        token = value.get_secret_value()
        if token == "xoxb-":
            raise ValueError(
                "is still the placeholder xoxb- from .env.example: paste the Bot User OAuth "
                "Token (xoxb-…) from your Slack app's OAuth & Permissions page, or leave it "
                "empty to run without Slack"
            )
        if not token.startswith("xoxb-"):
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

    @field_validator(
        "serviceops_url", "slack_api_url", "teams_openid_metadata_url", "teams_login_url"
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL, e.g. https://desk.example.com")
        return value

    @field_validator("serviceops_upload_path")
    @classmethod
    def _server_path(cls, value: str) -> str:
        if not value.startswith("/") or "://" in value:
            raise ValueError("must be a path on the ServiceOps server, e.g. /api/v1/upload")
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

    @field_validator("state_url")
    @classmethod
    def _state_scheme(cls, value: str) -> str:
        if not re.match(r"^(sqlite:///.|rediss?://)", value):
            raise ValueError(
                "must be sqlite:///path/to/file.sqlite3 (a file on this host) or "
                "redis://host:6379/0 (shared by replicas)"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        level = "WARNING" if level == "WARN" else level
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("serviceops_ca_bundle", "bot_config")
    @classmethod
    def _file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"file {value} does not exist")
        return value

    @model_validator(mode="after")
    def _surfaces_and_serviceops_auth(self) -> Self:
        problems = _cross_field_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def uses_api_key(self) -> bool:
        return self.serviceops_api_key is not None

    # ----------------------------------------------------------------------- sections

    @property
    def slack(self) -> SlackSettings | None:
        """The Slack section, or None when Slack is not configured (`SLACK_BOT_TOKEN` unset)."""
        token: SecretStr | None = self.slack_bot_token
        if token is None:
            return None
        return SlackSettings(
            bot_token=token,
            app_token=self.slack_app_token,
            signing_secret=self.slack_signing_secret,
            api_url=self.slack_api_url,
            reply_privately=self.reply_privately,
        )

    @property
    def teams(self) -> TeamsSettings | None:
        """The Teams section, or None when Teams is not configured (`TEAMS_APP_ID` unset)."""
        if not self.teams_app_id:
            return None
        # Settings validation guarantees both when the app id is set.
        assert self.teams_app_password is not None
        assert self.teams_tenant_id is not None
        cloud = TEAMS_CLOUDS[self.teams_cloud]
        return TeamsSettings(
            app_id=self.teams_app_id,
            app_password=self.teams_app_password,
            tenant_id=self.teams_tenant_id,
            cloud=self.teams_cloud,
            login_url=self.teams_login_url or cloud.login_url,
            openid_metadata_url=self.teams_openid_metadata_url or cloud.openid_metadata_url,
            bot_scope=cloud.bot_scope,
            token_issuer=cloud.token_issuer,
        )

    @property
    def serviceops(self) -> ServiceOpsSettings:
        return ServiceOpsSettings(
            url=self.serviceops_url,
            client_id=self.serviceops_client_id,
            client_secret=self.serviceops_client_secret,
            username=self.serviceops_username,
            password=self.serviceops_password,
            api_key=self.serviceops_api_key,
            ca_bundle=self.serviceops_ca_bundle,
            connect_timeout=self.serviceops_connect_timeout,
            read_timeout=self.serviceops_read_timeout,
            portal_url_template=self.serviceops_portal_url_template,
            token_path=self.serviceops_token_path,
            api_path=self.serviceops_api_path,
            source=self.serviceops_source,
            webhook_secret=self.serviceops_webhook_secret,
            poll_seconds=self.serviceops_poll_seconds,
            resolved_status=self.serviceops_resolved_status,
            closed_status=self.serviceops_closed_status,
            reopened_status=self.serviceops_reopened_status,
            upload_path=self.serviceops_upload_path,
            upload_field=self.serviceops_upload_field,
            requester_key=self.serviceops_requester_key,
            my_requests_search=self.serviceops_my_requests_search,
            my_requests_limit=self.serviceops_my_requests_limit,
        )

    @property
    def files(self) -> FileSettings:
        return FileSettings(
            max_file_bytes=int(self.attachment_max_file_mb * MB),
            max_ticket_bytes=int(self.attachment_max_ticket_mb * MB),
        )

    @property
    def server(self) -> ServerSettings:
        return ServerSettings(
            port=self.port,
            host=self.host,
            health_port=self.health_port,
            log_level=self.log_level,
            log_format=self.log_format,
        )

    @property
    def cache(self) -> CacheSettings:
        return CacheSettings(url=self.cache_url)

    @property
    def state(self) -> StateSettings:
        return StateSettings(url=self.state_url)

    # ----------------------------------------------------------------------- Slack run mode

    def mode(self, forced: str | None = None) -> Literal["socket", "http"]:
        """Slack's run mode: forced by `--mode`, else Socket Mode when an app token is set.

        Without Slack there is no Socket Mode to choose: "http" unless forced.
        """
        if forced in ("socket", "http"):
            return forced  # type: ignore[return-value]
        return "socket" if self.slack_app_token else "http"

    def check_mode(self, mode: str) -> list[str]:
        """Problems that prevent Slack from running in `mode`, as sentences.

        None when Slack is not configured: its mode then has nothing to check.
        """
        if self.slack is None:
            return []
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


class _CrossField(BaseSettings):
    """Only what `Settings`' cross-field checks read, leniently, to report those problems
    alongside other errors (pydantic runs them only once every field is valid)."""

    model_config = Settings.model_config

    slack_bot_token: Any = None
    slack_app_token: Any = None
    slack_signing_secret: Any = None
    teams_app_id: Any = None
    teams_app_password: Any = None
    teams_tenant_id: Any = None
    teams_openid_metadata_url: Any = None
    teams_login_url: Any = None
    serviceops_client_id: Any = None
    serviceops_client_secret: Any = None
    serviceops_username: Any = None
    serviceops_password: Any = None
    serviceops_api_key: Any = None


def _cross_field_problems(values: Settings | _CrossField) -> list[str]:
    """Problems between settings: no chat surface, a surface's leftovers, ServiceOps sign-in."""
    problems = _surface_problems(values)
    teams = _teams_problem(values)
    if teams:
        problems.append(teams)
    credentials = _credentials_problem(values)
    if credentials:
        problems.append(credentials)
    return problems


def _is_set(values: Settings | _CrossField, name: str) -> bool:
    value = getattr(values, name.lower())
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    # `xapp-` alone is `.env.example`'s placeholder: Settings reads it as unset too.
    return value is not None and value not in ("", "xapp-")


def _surface_problems(values: Settings | _CrossField) -> list[str]:
    problems = []
    if not any(_is_set(values, surface.enabled_by) for surface in SURFACES):
        ways = ", or ".join(
            f"set {surface.enabled_by} to {surface.how} to run in {surface.name}"
            for surface in SURFACES
        )
        problems.append(f"No chat surface is configured: {ways}")
    for surface in SURFACES:
        if _is_set(values, surface.enabled_by):
            continue
        leftovers = [name for name in surface.only_with if _is_set(values, name)]
        if leftovers:
            one = len(leftovers) == 1
            problems.append(
                f"{' and '.join(leftovers)} {'is' if one else 'are'} set but "
                f"{surface.enabled_by} is not, so {surface.name} is not configured and "
                f"{'it' if one else 'they'} would be ignored: set {surface.enabled_by} too, "
                f"or remove {'it' if one else 'them'}"
            )
    return problems


def _teams_problem(values: Settings | _CrossField) -> str | None:
    if not _is_set(values, "TEAMS_APP_ID"):
        return None
    missing = [
        name for name in ("TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID") if not _is_set(values, name)
    ]
    if not missing:
        return None
    return (
        f"Microsoft Teams needs {' and '.join(missing)} with TEAMS_APP_ID: the client secret and "
        "the tenant id of the bot's Entra app registration (Azure portal → App registrations)"
    )


def _credentials_problem(values: Settings | _CrossField) -> str | None:
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


def proxy_for(url: str, *, slack: bool = False) -> str | None:
    """The proxy outbound calls to `url` go through, or None when they go direct.

    The bot honours the usual variables on purpose, as its HTTP clients read them. ServiceOps
    and Teams calls (httpx2): `HTTPS_PROXY` (`HTTP_PROXY` for http:// URLs, else `ALL_PROXY`),
    except for the hosts in `NO_PROXY`. Slack calls (`slack=True`; slack_sdk, Web API and
    Socket Mode): `HTTPS_PROXY`, else `HTTP_PROXY`, for every URL (slack_sdk does not read
    `NO_PROXY`). The proxy is returned without any user name or password in it, so it can be
    shown.
    """
    parts = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    if slack:
        proxy = proxies.get("https") or proxies.get("http")
    else:
        proxy = proxies.get(parts.scheme) or proxies.get("all")
        if proxy and _no_proxy(parts.hostname or "", proxies.get("no", "")):
            return None
    return _proxy_shown(proxy) if proxy else None


def _proxy_shown(proxy: str) -> str:
    """A proxy URL without its user name and password."""
    parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    with contextlib.suppress(ValueError):  # a port that is not a number is left out
        if parts.port is not None:
            netloc += f":{parts.port}"
    return f"{parts.scheme}://{netloc}"


def describe_proxy() -> str:
    """The proxy settings in effect, as `check` reports them (without credentials)."""
    proxies = urllib.request.getproxies_environment()
    shown = [
        f"{name} {_proxy_shown(proxies[key])}"
        for name, key in (("HTTPS_PROXY", "https"), ("HTTP_PROXY", "http"), ("ALL_PROXY", "all"))
        if proxies.get(key)
    ]
    if not shown:
        return "no proxy (HTTPS_PROXY not set)"
    if proxies.get("no"):
        shown.append(f"NO_PROXY {proxies['no']}")
    return "proxy: " + ", ".join(shown)


PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY")


@contextlib.contextmanager
def proxies_unset() -> Iterator[None]:
    """For the duration, outbound calls take no proxy (restored after): for the demo, whose
    every call stays on this machine, where a proxy would only be in the way (slack_sdk sends
    even loopback calls through HTTPS_PROXY)."""
    names = [name for base in PROXY_VARIABLES for name in (base, base.lower())]
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _no_proxy(host: str, no_proxy: str) -> bool:
    """`host` is listed in `NO_PROXY` (`*`, the host, or a domain it is in)."""
    host = host.lower()
    for entry in no_proxy.split(","):
        name = entry.strip().lower().lstrip(".")
        if name == "*" or (name and (host == name or host.endswith("." + name))):
            return True
    return False


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one `ConfigError` with every problem:
    chat surfaces first, then each setting, then ServiceOps credentials."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        field_problems = _describe(exc)
    # Cross-field problems are read again leniently: pydantic skipped them if a field failed.
    names = set(_CrossField.model_fields) | {"_env_file"}
    lenient = _CrossField(**{k: v for k, v in overrides.items() if k in names})
    see = f" (see {README_SETTINGS})."
    surfaces = [problem + see for problem in _surface_problems(lenient)]
    teams = _teams_problem(lenient)
    if teams:
        surfaces.append(teams + see)
    credentials = _credentials_problem(lenient)
    raise ConfigError([*surfaces, *field_problems, *([credentials + see] if credentials else [])])


def _describe(exc: ValidationError) -> list[str]:
    """One sentence per invalid or missing setting (cross-field problems are left to the caller)."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        name = "_".join(str(part) for part in error["loc"]).upper()
        if not name:
            continue
        if error["type"] == "missing":
            problems.append(f"{name} is not set (see {README_SETTINGS}).")
        else:
            problems.append(f"{name} {_wording(name, error)} (see {README_SETTINGS}).")
    return problems


_PORTS = {"PORT": (1, 65535), "HEALTH_PORT": (0, 65535)}
_NUMBER_BOUNDS = {
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
}
_PARSING = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false",
}


def _wording(name: str, error: Any) -> str:
    """The project's own sentence for pydantic's common errors ("Input should be less than or
    equal to 65535" → "must be a port number from 1 to 65535"); a validator's own message as
    it is."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if name in _PORTS and (kind in _NUMBER_BOUNDS or kind in _PARSING):
        low, high = _PORTS[name]
        return f"must be a port number from {low} to {high}"
    if kind in _NUMBER_BOUNDS:
        key, words = _NUMBER_BOUNDS[kind]
        bound = ctx.get(key)
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return f"must be {words} {bound}"
    if kind in _PARSING:
        return _PARSING[kind]
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        if choices:
            return f"must be one of {', '.join(choices)}"
    return str(error["msg"]).removeprefix("Value error, ")


# --------------------------------------------------------------------------- form config


NAME_MAX = 100
"""Longest name a default may give (a category, a status, a group...)."""
CUSTOM_FIELD_EXAMPLE = '{ "Asset tag" = "A-1", "Floor" = 3, "VIP" = true }'
ASSET_EXAMPLE = '{ asset_model = "asset_hardware", asset_id = 12 }'

CustomValue = StrictStr | StrictInt | StrictFloat | StrictBool | list[StrictStr]
"""A custom field's value as TOML gives it: text (a drop-down's choice too), a whole number,
a number, true/false, or a list of texts (a multi-select's or checkboxes' choices)."""


class AssetRef(BaseModel):
    """An asset every request from a place is linked to (`linkAssetIds`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    asset_model: str
    """The asset's kind as ServiceOps names it, e.g. `asset_hardware`."""
    asset_id: int


class RequestDefaults(BaseModel):
    """What every request filed from a place carries without anyone picking it: the create
    API's fields the form does not ask for. Shared by the whole file, `[platforms.…]` and
    `[channels.…]`; the most specific one that sets a key wins (custom fields merge)."""

    model_config = ConfigDict(extra="forbid")

    category: str | None = None
    """`categoryName`; preselected when the form offers `categories`."""
    location: str | None = None
    """`locationName`; preselected when the form offers `locations`."""
    source: str | None = None
    """`source`, e.g. "Slack" (else `SERVICEOPS_SOURCE`, else ServiceOps' "External")."""
    support_level: str | None = None
    """`supportLevel`, e.g. "tier2"."""
    group: str | None = None
    """`groupName`: the technician group the request starts with."""
    status: str | None = None
    """`statusName` on create (else ServiceOps' default, Open)."""
    custom_fields: dict[str, CustomValue] = Field(default_factory=dict)
    """`customField`, keyed by the custom field's name as the portal shows it."""
    link_assets: list[AssetRef] = Field(default_factory=list)
    """`linkAssetIds`."""

    @field_validator(
        "category", "location", "source", "support_level", "group", "status", mode="before"
    )
    @classmethod
    def _name(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value  # pydantic says it must be text
        name = value.strip()
        if not name:
            raise ValueError("must not be empty: leave the key out to let ServiceOps decide")
        if len(name) > NAME_MAX:
            raise ValueError(f"must be at most {NAME_MAX} characters")
        return name

    @field_validator("custom_fields", mode="before")
    @classmethod
    def _custom_fields(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError(f"must be a table of names and values, like {CUSTOM_FIELD_EXAMPLE}")
        for name, item in value.items():
            if not str(name).strip():
                raise ValueError("a custom field's name must not be empty")
            if not _is_custom_value(item):
                shown = json.dumps(str(name), ensure_ascii=False)
                raise ValueError(
                    f"{shown} must be text, a number, true/false or a list of texts (a date "
                    "as epoch milliseconds, e.g. 1767225600000)"
                )
        return {str(name).strip(): item for name, item in value.items()}

    @field_validator("link_assets", mode="before")
    @classmethod
    def _link_assets(cls, value: Any) -> Any:
        if not isinstance(value, list):
            raise ValueError(f"must be a list of assets, like [{ASSET_EXAMPLE}]")
        for number, item in enumerate(value, start=1):
            if not _is_asset(item):
                raise ValueError(
                    f"asset {number} must be {ASSET_EXAMPLE}: the asset's kind as ServiceOps "
                    "names it, and its id (a whole number from 1)"
                )
        return value


def _is_custom_value(item: Any) -> bool:
    """`item` is a value the create API takes for a custom field (JSON has no NaN)."""
    if isinstance(item, float):
        return math.isfinite(item)
    if isinstance(item, list):
        return all(isinstance(choice, str) for choice in item)
    return isinstance(item, str | int | bool)


def _is_asset(item: Any) -> bool:
    """`item` is an `AssetRef`, or a table that makes one (exactly its two keys, well typed)."""
    if isinstance(item, AssetRef):
        return True
    if not isinstance(item, dict) or set(item) != {"asset_model", "asset_id"}:
        return False
    model, asset_id = item["asset_model"], item["asset_id"]
    return (
        isinstance(model, str)
        and bool(model.strip())
        and isinstance(asset_id, int)
        and not isinstance(asset_id, bool)
        and asset_id >= 1
    )


class ChannelDefaults(RequestDefaults):
    """Values preselected in the form opened from one place, and what its requests carry."""

    department: str | None = None
    priority: str | None = None
    urgency: str | None = None
    impact: str | None = None
    tags: list[str] = Field(default_factory=list)
    sync_replies: bool = True
    """Replies in a ticket's thread become conversation entries on the request."""
    reaction_emoji: str | None = None
    """This channel's emoji that offers a ticket (Slack); None: the file's `reaction_emoji`;
    empty: no offer in this channel."""

    @field_validator("reaction_emoji")
    @classmethod
    def _emoji_name(cls, value: str | None) -> str | None:
        return None if value is None else _emoji_name(value)


class FormConfig(RequestDefaults):
    """Choices the form offers, and the defaults of every request (`RequestDefaults`, here
    for the whole file). Names must match ServiceOps exactly (tenants rename them)."""

    priorities: list[str] = Field(default_factory=lambda: list(DEFAULT_PRIORITIES))
    urgencies: list[str] = Field(default_factory=lambda: list(DEFAULT_URGENCIES))
    impacts: list[str] = Field(default_factory=lambda: list(DEFAULT_IMPACTS))
    departments: list[str] = Field(default_factory=list)
    """Empty: department is free text. Over 100: a type-ahead select."""
    categories: list[str] = Field(default_factory=list)
    """Listed: the form offers Category (else `category` is sent as it is)."""
    locations: list[str] = Field(default_factory=list)
    """Listed: the form offers Location (else `location` is sent as it is)."""
    cc_field: bool = False
    """The form offers CC: people to keep informed (`ccEmailSet`)."""
    default_priority: str | None = None
    default_urgency: str | None = None
    default_impact: str | None = None
    max_tags: int = Field(default=10, ge=0, le=50)
    platforms: dict[Platform, ChannelDefaults] = Field(default_factory=dict)
    """Defaults for every conversation of one platform (`[platforms.teams]`)."""
    reaction_emoji: str = "ticket"
    """The emoji whose reaction on a message offers its reactor a ticket (Slack); empty: off."""
    channels: dict[str, ChannelDefaults] = Field(default_factory=dict)
    """Keyed by a Slack channel id (`C0123ABCD`, or `slack:C0123ABCD`) or by another platform's
    conversation id after its name (`teams:19:…@thread.tacv2`)."""

    @field_validator("priorities", "urgencies", "impacts", "departments", "categories", "locations")
    @classmethod
    def _clean_names(cls, values: list[str]) -> list[str]:
        cleaned = [value.strip() for value in values if value.strip()]
        too_long = [value for value in cleaned if len(value) > 75]
        if too_long:
            raise ValueError(f"choice names must be at most 75 characters: {too_long[0][:40]}…")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("choices must not repeat")
        return cleaned

    @field_validator("categories", "locations")
    @classmethod
    def _fit_a_drop_down(cls, values: list[str]) -> list[str]:
        if len(values) > CHOICES_MAX:
            raise ValueError(
                f"at most {CHOICES_MAX} choices fit a chat drop-down (this has {len(values)}): "
                "list the ones people pick, or leave the key out and set one as a default"
            )
        return values

    @field_validator("reaction_emoji")
    @classmethod
    def _emoji_name(cls, value: str) -> str:
        return _emoji_name(value)

    @model_validator(mode="after")
    def _defaults_are_choices(self) -> Self:
        problems = []
        checks = [
            ("default_priority", self.default_priority, self.priorities),
            ("default_urgency", self.default_urgency, self.urgencies),
            ("default_impact", self.default_impact, self.impacts),
            *self._listed_checks("", self),
        ]
        for platform, defaults in self.platforms.items():
            checks += self._place_checks(f"platforms.{platform}", defaults)
        for key, defaults in self.channels.items():
            where = f"channels.{_toml_key(key)}"
            problem = _channel_key_problem(key)
            if problem:
                problems.append(f"[{where}] {problem}")
            elif key.startswith("slack:") and key.removeprefix("slack:") in self.channels:
                plain = key.removeprefix("slack:")
                problems.append(
                    f"[channels.{plain}] and [{where}] name the same Slack channel: keep one"
                )
            checks += self._place_checks(where, defaults)
        for name, value, choices in checks:
            if value is not None and value not in choices:
                problems.append(f"{name} = {value!r} is not one of {choices}")
        weight = sum(2 * len(name.encode()) + 24 for name in self.categories + self.locations)
        if weight > PLACE_CHOICES_BYTES:
            problems.append(
                "categories and locations together are too long to fit a Microsoft Teams form "
                f"({weight} bytes of at most {PLACE_CHOICES_BYTES}, counting each name twice "
                "and 24 bytes a choice): list fewer or shorter names"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _place_checks(
        self, where: str, defaults: ChannelDefaults
    ) -> list[tuple[str, str | None, list[str]]]:
        checks = [
            (f"{where}.priority", defaults.priority, self.priorities),
            (f"{where}.urgency", defaults.urgency, self.urgencies),
            (f"{where}.impact", defaults.impact, self.impacts),
            *self._listed_checks(f"{where}.", defaults),
        ]
        if self.departments:
            checks.append((f"{where}.department", defaults.department, self.departments))
        return checks

    def _listed_checks(
        self, prefix: str, defaults: RequestDefaults
    ) -> list[tuple[str, str | None, list[str]]]:
        """A default category or location must be one of the form's, when it offers some."""
        checks = []
        if self.categories:
            checks.append((f"{prefix}category", defaults.category, self.categories))
        if self.locations:
            checks.append((f"{prefix}location", defaults.location, self.locations))
        return checks

    def defaults_for(
        self, conversation: str | None, *, platform: Platform = "slack"
    ) -> ChannelDefaults:
        """Preselected values and request defaults for a conversation: its channel's entry,
        else its platform's (`[platforms.…]`), else the whole file's.

        Slack looks up the plain channel id (or its `slack:` key); another platform looks up
        `"{platform}:{conversation}"`.
        """
        layers = self._layers(conversation, platform=platform)

        def pick(name: str, fallback: Any = None) -> Any:
            for layer in layers:
                value = getattr(layer, name)
                if name in layer.model_fields_set and value is not None:
                    return value
            return fallback

        custom_fields = dict(self.custom_fields)
        for layer in reversed(layers):
            custom_fields.update(layer.custom_fields)
        return ChannelDefaults(
            department=pick("department"),
            priority=pick("priority") or self.default_priority,
            urgency=pick("urgency") or self.default_urgency,
            impact=pick("impact") or self.default_impact,
            tags=list(pick("tags", [])),
            sync_replies=pick("sync_replies", True),
            category=pick("category", self.category),
            location=pick("location", self.location),
            source=pick("source", self.source),
            support_level=pick("support_level", self.support_level),
            group=pick("group", self.group),
            status=pick("status", self.status),
            custom_fields=custom_fields,
            link_assets=list(pick("link_assets", self.link_assets)),
        )

    def reaction_emoji_for(self, conversation: str, *, platform: Platform = "slack") -> str:
        """The emoji whose reaction offers a ticket in `conversation` (empty: none there):
        the conversation's, else its platform's, else the file's."""
        for layer in self._layers(conversation, platform=platform):
            if layer.reaction_emoji is not None:
                return layer.reaction_emoji
        return self.reaction_emoji

    def _layers(self, conversation: str | None, *, platform: Platform) -> list[ChannelDefaults]:
        """The entries that apply to a conversation, the most specific first: its
        `[channels.…]`, then its `[platforms.…]`."""
        keys = []
        if conversation:
            # A Slack id has no colon: `teams:…` passed as a Slack id must not find Teams' entry.
            if platform == "slack" and ":" not in conversation:
                keys.append(conversation)
            keys.append(f"{platform}:{conversation}")
        found = (self.channels[key] for key in keys if key in self.channels)
        return [
            layer
            for layer in (next(found, None), self.platforms.get(platform))
            if layer is not None
        ]


def _emoji_name(value: str) -> str:
    """An emoji's name as reaction events spell it: `:ticket:` and `ticket` are the same;
    empty turns reactions off."""
    name = value.strip().removeprefix(":").removesuffix(":")
    if name and not EMOJI_NAME.match(name):
        raise ValueError(
            f'{value!r} is not an emoji\'s name: write it as Slack shows it, like "ticket" '
            'or ":ticket:" (lower-case letters, digits, _ + - \'), or "" for none'
        )
    return name


def _channel_key_problem(key: str) -> str | None:
    """What is wrong with a `[channels.…]` key, or None when it names a conversation."""
    platform, colon, conversation = key.partition(":")
    if not colon:
        if CHANNEL_ID.match(key):
            return None
    elif platform == "slack":
        if CHANNEL_ID.match(conversation):
            return None
        return "is not a Slack channel id after slack: (like slack:C0123ABCD)"
    elif platform == "teams":
        if conversation and not re.search(r"\s", conversation):
            return None
        return "needs a Teams conversation id after teams: (like teams:19:…@thread.tacv2)"
    return (
        "is not a Slack channel id (like C0123ABCD) or a prefixed key like "
        '"teams:19:…@thread.tacv2"'
    )


def _toml_key(key: str) -> str:
    """`key` as written in a TOML table header: bare when it can be, else quoted."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


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
