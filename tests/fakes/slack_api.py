"""A fake Slack Web API: a real aiohttp server on loopback that behaves like Slack where we care.

Point the app's `AsyncWebClient(base_url=...)` (or `SLACK_API_URL`) at `FakeSlack.api_url`.
Every request is recorded (`calls`), and the rules that make a Slack bot hard to get right
are enforced the way Slack documents them:

- the response envelope: HTTP 200 with `{"ok": true, ...}` or `{"ok": false, "error": "..."}`;
  only rate limiting uses another status (429 + `Retry-After`);
- `Authorization: Bearer xoxb-...` must carry the configured bot token (`not_authed` /
  `invalid_auth`), and the granted scopes are listed in `x-oauth-scopes` on every response;
- trigger ids are single use and die after 3 seconds (`views.open`, `views.push`);
- views and messages are validated against Block Kit limits (`invalid_arguments` /
  `invalid_blocks` with `response_metadata.messages`, like Slack);
- where the bot may post: `channel_not_found`, `not_in_channel`, `chat:write.public`,
  `user_not_in_channel`;
- `users.info` hides `profile.email` without `users:read.email`;
- `conversations.history` lists a conversation's top-level messages, `conversations.replies`
  a thread (from its parent's or any reply's ts), each with the `…:history` scope of the
  conversation's kind, and only where the bot is a member;
- `response_url`s accept 5 posts within 30 minutes.

Requests are accepted as GET query strings, form-urlencoded bodies and JSON bodies, because
`slack_sdk` uses all three (e.g. `users.info` is a GET, `auth.test` a POST with a query string,
`chat.postMessage` and `views.open` JSON).

Usage::

    async with FakeSlack() as slack:
        slack.add_user("U1", email="ada@example.com", real_name="Ada")
        slack.add_channel("C1")
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        ...
        [call] = await slack.wait_for("chat.postMessage")
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import CIMultiDict

from bot.check import REQUIRED_SCOPES
from tests.fakes.chat_files import FileHost, HostedFile
from tests.fakes.loopback import LoopbackServer

JSON = dict[str, Any]
Handler = Callable[[JSON], Awaitable[JSON] | JSON]

DEFAULT_TOKEN = "xoxb-test-token"
DEFAULT_SCOPES: tuple[str, ...] = REQUIRED_SCOPES
"""What `manifest.yml` asks for (a test checks the two agree); a test can grant fewer."""

TRIGGER_TTL = 3.0
"""Seconds a trigger id lives (https://api.slack.com/docs/triggers)."""
RESPONSE_URL_USES = 5
RESPONSE_URL_TTL = 30 * 60
"""A `response_url` takes up to 5 posts within 30 minutes of the invocation."""
VIEW_STACK_LIMIT = 3
"""A modal holds its root view plus at most 2 pushed views (`push_limit_reached`)."""

# Fields that form-encoded callers send as JSON strings.
_JSON_FIELDS = ("view", "blocks", "attachments", "metadata")


@dataclass(frozen=True)
class Call:
    """One request the fake received.

    `method` is the Web API method (`"chat.postMessage"`) or `"response_url"` for posts to a
    response URL. `args` merges query string and form/JSON body (JSON-in-form fields such as
    `view` and `blocks` are decoded). `response` is what the fake answered.
    """

    method: str
    args: JSON
    headers: Mapping[str, str]
    time: float
    status: int = 200
    response: JSON = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return str(error) if error is not None else None


@dataclass
class User:
    id: str
    email: str | None = None
    real_name: str | None = None
    is_bot: bool = False
    deleted: bool = False
    team_id: str = "T1"
    name: str | None = None

    def to_json(self, *, with_email: bool) -> JSON:
        name = self.name or (self.real_name or self.id).split()[0].lower()
        profile: JSON = {
            "real_name": self.real_name or "",
            "display_name": name,
            "image_48": f"https://avatars.example.com/{self.id}_48.png",
        }
        if self.email and with_email:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": name,
            "deleted": self.deleted,
            "real_name": self.real_name or "",
            "is_bot": self.is_bot,
            "is_app_user": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "profile": profile,
        }


@dataclass
class Channel:
    """A conversation as the bot sees it.

    `member`: the bot is in it. `members`: people in it (None = everybody, for convenience).
    `is_im`: a direct message; only those the bot opened with `conversations.open` have
    `member=True` — a DM between two people is invisible to the bot.
    """

    id: str
    member: bool = True
    exists: bool = True
    is_private: bool = False
    is_im: bool = False
    name: str = ""
    members: set[str] | None = None

    def has_user(self, user_id: str) -> bool:
        return self.members is None or user_id in self.members


@dataclass
class Trigger:
    id: str
    created: float
    user_id: str | None = None
    view_id: str | None = None
    used: bool = False


@dataclass
class ResponseUrl:
    token: str
    created: float
    uses: int = 0
    posts: list[JSON] = field(default_factory=list)


class SlackError(Exception):
    """Raised inside handlers to answer `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, *, messages: Iterable[str] = (), **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)
        self.extra = extra

    def to_json(self) -> JSON:
        body: JSON = {"ok": False, "error": self.error, **self.extra}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


# --------------------------------------------------------------------------------------------
# Block Kit validation (limits from https://docs.slack.dev/reference/block-kit and slack_sdk's
# model constants). Each check returns Slack-style messages: "[ERROR] ... [json-pointer:/x/y]".
# --------------------------------------------------------------------------------------------

_BLOCK_TYPES = {
    "section",
    "divider",
    "image",
    "actions",
    "context",
    "input",
    "header",
    "rich_text",
    "file",
    "video",
    "markdown",
}
_SELECTS_WITH_OPTIONS = {"static_select", "multi_static_select", "radio_buttons", "checkboxes"}


def _err(message: str, pointer: str) -> str:
    return f"[ERROR] {message} [json-pointer:{pointer}]"


def _text_len(obj: Any) -> int:
    return len(obj.get("text", "")) if isinstance(obj, dict) else 0


def _check_text(
    obj: Any, pointer: str, max_len: int, *, plain_only: bool = False, required: bool = False
) -> list[str]:
    if obj is None:
        return [_err("must provide an object", pointer)] if required else []
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [_err("must be a text object (plain_text or mrkdwn)", pointer)]
    errors = []
    if plain_only and obj["type"] != "plain_text":
        errors.append(_err("must be a plain_text object", pointer + "/type"))
    if not isinstance(obj.get("text"), str) or not obj["text"]:
        errors.append(_err("must be more than 0 characters", pointer + "/text"))
    elif len(obj["text"]) > max_len:
        errors.append(_err(f"must be less than {max_len + 1} characters", pointer + "/text"))
    return errors


def _check_max(value: Any, max_len: int, pointer: str) -> list[str]:
    if value is not None and len(str(value)) > max_len:
        return [_err(f"must be less than {max_len + 1} characters", pointer)]
    return []


def _check_option(option: Any, pointer: str) -> list[str]:
    if not isinstance(option, dict):
        return [_err("must be an option object", pointer)]
    errors = _check_text(option.get("text"), pointer + "/text", 75, required=True)
    if "value" not in option:
        errors.append(_err("must provide a value", pointer + "/value"))
    errors += _check_max(option.get("value"), 150, pointer + "/value")
    return errors


def _same_option(a: Any, b: Any) -> bool:
    return (
        isinstance(a, dict)
        and isinstance(b, dict)
        and a.get("value") == b.get("value")
        and _text_len(a.get("text")) == _text_len(b.get("text"))
        and (a.get("text") or {}).get("text") == (b.get("text") or {}).get("text")
    )


def check_element(element: Any, pointer: str) -> list[str]:
    """Limits of the interactive elements the bot uses (others only get the action_id check)."""
    if not isinstance(element, dict) or "type" not in element:
        return [_err("must provide an element object with a type", pointer)]
    kind = element["type"]
    errors = _check_max(element.get("action_id"), 255, pointer + "/action_id")
    if "placeholder" in element:
        errors += _check_text(
            element["placeholder"], pointer + "/placeholder", 150, plain_only=True
        )
    if kind == "plain_text_input":
        max_length = element.get("max_length")
        if max_length is not None and not 1 <= int(max_length) <= 3000:
            errors.append(_err("must be between 1 and 3000", pointer + "/max_length"))
        min_length = element.get("min_length")
        if min_length is not None and not 0 <= int(min_length) <= 3000:
            errors.append(_err("must be between 0 and 3000", pointer + "/min_length"))
        initial = element.get("initial_value")
        if initial is not None:
            limit = min(int(max_length), 3000) if max_length is not None else 3000
            errors += _check_max(initial, limit, pointer + "/initial_value")
    elif kind in _SELECTS_WITH_OPTIONS:
        options = element.get("options")
        groups = element.get("option_groups")
        all_options: list[Any] = []
        if groups is not None:
            if not 1 <= len(groups) <= 100:
                errors.append(
                    _err("must provide between 1 and 100 items", pointer + "/option_groups")
                )
            for g, group in enumerate(groups):
                gp = f"{pointer}/option_groups/{g}"
                errors += _check_text(group.get("label"), gp + "/label", 75, plain_only=True)
                group_options = group.get("options") or []
                if not 1 <= len(group_options) <= 100:
                    errors.append(_err("must provide between 1 and 100 items", gp + "/options"))
                for i, option in enumerate(group_options):
                    errors += _check_option(option, f"{gp}/options/{i}")
                all_options += group_options
        elif options is None or not 1 <= len(options) <= 100:
            errors.append(_err("must provide between 1 and 100 items", pointer + "/options"))
        else:
            for i, option in enumerate(options):
                errors += _check_option(option, f"{pointer}/options/{i}")
            all_options = options
        initial_option = element.get("initial_option")
        if initial_option is not None and not any(
            _same_option(initial_option, o) for o in all_options
        ):
            errors.append(
                _err("must match one of the provided options", pointer + "/initial_option")
            )
        for i, chosen in enumerate(element.get("initial_options") or []):
            if not any(_same_option(chosen, o) for o in all_options):
                errors.append(
                    _err("must match one of the provided options", f"{pointer}/initial_options/{i}")
                )
    elif kind == "multi_users_select":
        chosen = element.get("initial_users")
        if chosen is not None and (
            not isinstance(chosen, list) or not all(isinstance(u, str) for u in chosen)
        ):
            errors.append(_err("must be a list of user ids", pointer + "/initial_users"))
        most = element.get("max_selected_items")
        if most is not None and int(most) < 1:
            errors.append(_err("must be 1 or more", pointer + "/max_selected_items"))
        elif most is not None and chosen and len(chosen) > int(most):
            errors.append(_err("must not exceed max_selected_items", pointer + "/initial_users"))
    elif kind in ("external_select", "multi_external_select"):
        min_query_length = element.get("min_query_length")
        if min_query_length is not None and int(min_query_length) < 0:
            errors.append(_err("must be 0 or more", pointer + "/min_query_length"))
        if element.get("initial_option") is not None:
            errors += _check_option(element["initial_option"], pointer + "/initial_option")
    elif kind == "button":
        errors += _check_text(
            element.get("text"), pointer + "/text", 75, plain_only=True, required=True
        )
        errors += _check_max(element.get("value"), 2000, pointer + "/value")
        errors += _check_max(element.get("url"), 3000, pointer + "/url")
        if element.get("style") not in (None, "primary", "danger"):
            errors.append(_err("must be primary or danger", pointer + "/style"))
    return errors


def check_blocks(blocks: Any, pointer: str, max_blocks: int) -> list[str]:
    """Block-level limits: count, unique block_ids, and each block type's own limits."""
    if not isinstance(blocks, list):
        return [_err("must be an array", pointer)]
    errors = []
    if len(blocks) > max_blocks:
        errors.append(_err(f"must provide no more than {max_blocks} items", pointer))
    seen: set[str] = set()
    for b, block in enumerate(blocks):
        bp = f"{pointer}/{b}"
        if not isinstance(block, dict) or block.get("type") not in _BLOCK_TYPES:
            errors.append(_err("unsupported type or not a block", bp + "/type"))
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            errors += _check_max(block_id, 255, bp + "/block_id")
            if block_id in seen:
                errors.append(_err(f"duplicate block_id '{block_id}'", bp + "/block_id"))
            seen.add(block_id)
        kind = block["type"]
        if kind == "section":
            if "text" not in block and "fields" not in block:
                errors.append(_err("must provide either text or fields", bp))
            errors += _check_text(block.get("text"), bp + "/text", 3000)
            fields = block.get("fields")
            if fields is not None:
                if len(fields) > 10:
                    errors.append(_err("must provide no more than 10 items", bp + "/fields"))
                for f, text in enumerate(fields):
                    errors += _check_text(text, f"{bp}/fields/{f}", 2000)
            if "accessory" in block:
                errors += check_element(block["accessory"], bp + "/accessory")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 25:
                errors.append(_err("must provide between 1 and 25 items", bp + "/elements"))
            for e, element in enumerate(elements):
                errors += check_element(element, f"{bp}/elements/{e}")
        elif kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 10:
                errors.append(_err("must provide between 1 and 10 items", bp + "/elements"))
            for e, element in enumerate(elements):
                if isinstance(element, dict) and element.get("type") in ("plain_text", "mrkdwn"):
                    errors += _check_text(element, f"{bp}/elements/{e}", 3000)
        elif kind == "header":
            errors += _check_text(
                block.get("text"), bp + "/text", 150, plain_only=True, required=True
            )
        elif kind == "input":
            errors += _check_text(
                block.get("label"), bp + "/label", 2000, plain_only=True, required=True
            )
            errors += _check_text(block.get("hint"), bp + "/hint", 2000, plain_only=True)
            if "element" not in block:
                errors.append(_err("must provide an element", bp + "/element"))
            else:
                errors += check_element(block["element"], bp + "/element")
    return errors


def check_view(view: Any, pointer: str = "/view") -> list[str]:
    """Modal limits (https://docs.slack.dev/reference/views/modal-views)."""
    if not isinstance(view, dict):
        return [_err("must provide an object", pointer)]
    if view.get("type") != "modal":
        return [_err("must be 'modal'", pointer + "/type")]
    errors = _check_text(view.get("title"), pointer + "/title", 24, plain_only=True, required=True)
    errors += _check_text(view.get("submit"), pointer + "/submit", 24, plain_only=True)
    errors += _check_text(view.get("close"), pointer + "/close", 24, plain_only=True)
    blocks = view.get("blocks")
    if blocks is None:
        errors.append(_err("must provide blocks", pointer + "/blocks"))
        blocks = []
    errors += check_blocks(blocks, pointer + "/blocks", 100)
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if has_input and "submit" not in view:
        errors.append(_err("must define `submit` to use input block", pointer))
    errors += _check_max(view.get("private_metadata"), 3000, pointer + "/private_metadata")
    errors += _check_max(view.get("callback_id"), 255, pointer + "/callback_id")
    errors += _check_max(view.get("external_id"), 255, pointer + "/external_id")
    return errors


def check_home_view(view: Any, pointer: str = "/view") -> list[str]:
    """Home tab limits (https://docs.slack.dev/surfaces/app-home): type `home`, ≤ 100 blocks."""
    if not isinstance(view, dict):
        return [_err("must provide an object", pointer)]
    if view.get("type") != "home":
        return [_err("must be 'home'", pointer + "/type")]
    blocks = view.get("blocks")
    if blocks is None:
        return [_err("must provide blocks", pointer + "/blocks")]
    errors = check_blocks(blocks, pointer + "/blocks", 100)
    errors += _check_max(view.get("private_metadata"), 3000, pointer + "/private_metadata")
    return errors


def check_message(args: JSON) -> None:
    """`chat.*` message rules: `no_text`, `msg_too_long`, `invalid_blocks` (≤ 50 blocks)."""
    text = args.get("text")
    blocks = args.get("blocks")
    attachments = args.get("attachments")
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    if text is not None and len(str(text)) > 40000:
        raise SlackError("msg_too_long")
    if blocks is not None:
        errors = check_blocks(blocks, "/blocks", 50)
        if errors:
            raise SlackError("invalid_blocks", messages=errors)


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeSlack:
    """The fake Web API server. See the module docstring; every public attribute is for tests.

    Parameters:
        bot_token: the one valid token (`invalid_auth` otherwise).
        scopes: scopes granted to that token (default: all the manifest asks for).
        team_id, team, bot_user_id, bot_id: what `auth.test` reports.
        clock: monotonic time source; pass your own to expire trigger ids without sleeping.
    """

    def __init__(
        self,
        *,
        bot_token: str = DEFAULT_TOKEN,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        team_id: str = "T1",
        team: str = "Example",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        app_id: str = "A1",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot_token = bot_token
        self.scopes: set[str] = set(scopes)
        self.team_id = team_id
        self.team = team
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.clock = clock

        self.calls: list[Call] = []
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.views: dict[str, JSON] = {}
        """Every view opened/pushed/updated, by id, as Slack would return it."""
        self.messages: list[JSON] = []
        """Messages posted by the bot (`chat.postMessage`), each with its `channel`."""
        self.ephemerals: list[JSON] = []
        self.written: list[JSON] = []
        """Messages people wrote (`write`), each with its `channel`: what the history
        methods return besides the bot's own."""
        self.home_views: dict[str, JSON] = {}
        """The Home tab last published for each user (`views.publish`)."""
        self.response_urls: dict[str, ResponseUrl] = {}
        self.connections_opened = 0
        """New TCP connections accepted by the server (to measure connection reuse)."""

        self.add_user(bot_user_id, real_name="ServiceOps", is_bot=True, name="serviceops")
        self._triggers: dict[str, Trigger] = {}
        self._stacks: dict[str, list[str]] = {}  # root view id -> view ids, bottom first
        self._dms: dict[str, str] = {}  # user id -> D… id
        self._ts = 0
        self._ids = 0
        self._rate_limits: dict[str, list[int]] = {}
        self._failures: dict[str, list[SlackError]] = {}
        self._handlers: dict[str, Handler] = {}
        self._condition: asyncio.Condition | None = None
        self._server = LoopbackServer(on_connection=self._connection_made)
        self.file_host = FileHost(authorized=self._file_token_ok)
        """Serves `url_private_download` of the files added with `add_file`."""

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{token}", self._handle_response_url)
        self.file_host.mount(app)
        self._condition = asyncio.Condition()
        await self._server.start(app)
        self.file_host.base_url = self.base_url

    async def stop(self) -> None:
        await self._server.stop()

    def _connection_made(self) -> None:
        self.connections_opened += 1

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return self._server.url

    @property
    def api_url(self) -> str:
        """Web API base with the trailing slash, e.g. `http://127.0.0.1:PORT/api/`."""
        return f"{self.base_url}/api/"

    # ---------------------------------------------------------------- configuration

    def add_user(
        self,
        user_id: str,
        *,
        email: str | None = None,
        real_name: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        name: str | None = None,
    ) -> User:
        """A workspace member for `users.info`; without `email` the profile has no `email`."""
        user = User(user_id, email, real_name, is_bot, deleted, self.team_id, name)
        self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        *,
        member: bool = True,
        exists: bool = True,
        is_private: bool | None = None,
        name: str | None = None,
        members: Iterable[str] | None = None,
    ) -> Channel:
        """A conversation. `member`: the bot is in it. `is_private` defaults from the id
        (`G…` private, `D…` a DM, otherwise public). `members`: the people in it, for
        `chat.postEphemeral` (None = everybody). A DM between people: `add_channel("D…",
        member=False)`.
        """
        is_im = channel_id.startswith("D")
        private = is_private if is_private is not None else channel_id[:1] in ("G", "D")
        channel = Channel(
            id=channel_id,
            member=member,
            exists=exists,
            is_private=private,
            is_im=is_im,
            name=name or channel_id.lower(),
            members=set(members) if members is not None else None,
        )
        self.channels[channel_id] = channel
        return channel

    def add_file(
        self,
        name: str,
        *,
        size: int = 1000,
        mimetype: str = "application/octet-stream",
        user: str = "U2",
        redirect: bool = False,
        html_instead: bool = False,
        mode: str = "hosted",
    ) -> JSON:
        """A file shared in Slack, as a message's `files` entry (or a `file_input`'s value)
        shows it. Its `url_private_download` needs the bot token (`file_host` records each
        download); `redirect`: served through another host."""
        hosted: HostedFile = self.file_host.add(
            name, size=size, media_type=mimetype, redirect=redirect, html_instead=html_instead
        )
        return {
            "id": hosted.id,
            "created": 1700000000,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": name.rpartition(".")[2] or "binary",
            "user": user,
            "mode": mode,
            "size": size,
            "url_private": hosted.url,
            "url_private_download": hosted.url,
            "permalink": f"https://example.slack.com/files/{user}/{hosted.id}/{name}",
        }

    def _file_token_ok(self, header: str | None) -> bool:
        return header == f"Bearer {self.bot_token}" and "files:read" in self.scopes

    def new_trigger_id(self, *, user_id: str | None = None, view_id: str | None = None) -> str:
        """A trigger id as Slack puts in a command/shortcut/action payload.

        Single use, valid for 3 s (by `clock`). `view_id`: the modal the interaction came
        from, so `views.push` knows which stack to push on (default: the latest modal).
        """
        self._ids += 1
        trigger_id = f"{self._ids}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = Trigger(trigger_id, self.clock(), user_id, view_id)
        return trigger_id

    def response_url(self) -> str:
        """A fresh `response_url` served by this fake (5 uses within 30 minutes)."""
        token = secrets.token_urlsafe(12)
        self.response_urls[token] = ResponseUrl(token, self.clock())
        return f"{self.base_url}/response/{token}"

    def rate_limit_next(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls of `method` get HTTP 429, `Retry-After: <seconds>` (an
        integer, as Slack sends and slack_sdk's retry handler parses) and `ratelimited`."""
        self._rate_limits.setdefault(method, []).extend([retry_after] * times)

    def fail_next(self, method: str, error: str = "not_in_channel", *, times: int = 1) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}`."""
        self._failures.setdefault(method, []).extend(SlackError(error) for _ in range(times))

    def handle(self, method: str, handler: Handler) -> None:
        """Serve `method` with `handler(args) -> body` (sync or async), e.g. for a method
        this fake does not implement. Raise `SlackError` in it to answer an error."""
        self._handlers[method] = handler

    # ---------------------------------------------------------------- inspection

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def count(self, method: str) -> int:
        return len(self.calls_to(method))

    def messages_in(self, channel: str, thread_ts: str | None = None) -> list[JSON]:
        """Messages the bot posted in `channel` (only the replies to `thread_ts` if given)."""
        return [
            m
            for m in self.messages
            if m["channel"] == channel and (thread_ts is None or m.get("thread_ts") == thread_ts)
        ]

    def write(
        self, channel: str, text: str, *, user: str, thread_ts: str | None = None, **extra: Any
    ) -> JSON:
        """A person writes `text` in `channel` (a reply in `thread_ts`): the message as
        `conversations.history`/`replies` will return it (its `ts` is new)."""
        message: JSON = {"type": "message", "user": user, "text": text, "ts": self._next_ts()}
        if thread_ts is not None:
            message["thread_ts"] = thread_ts
        message.update(extra)
        self.written.append({**message, "channel": channel})
        return message

    def dm_channel(self, user_id: str) -> str:
        """The `D…` id `conversations.open` returns for `user_id` (stable per user)."""
        if user_id not in self._dms:
            self._ids += 1
            channel_id = f"D{self._ids:08d}"
            self._dms[user_id] = channel_id
            self.add_channel(channel_id, member=True, members={user_id, self.bot_user_id})
        return self._dms[user_id]

    def replace_view(self, view_id: str, view: JSON) -> JSON:
        """Apply an app's `response_action: update` (the ack of a view_submission): validates
        and replaces the view in place, keeping its id, with a new hash."""
        old = self.views[view_id]
        view = self._checked_view({"view": view}, replacing=view_id)
        return self._store_view(
            view,
            view_id=view_id,
            root_view_id=old["root_view_id"],
            previous_view_id=old["previous_view_id"],
        )

    async def new_calls(self, seen: int, *, timeout: float) -> list[Call]:
        """The calls answered after the first `seen`, once there is one (for following every
        call as it comes: unlike `wait_for`, nothing already seen is looked at again)."""
        assert self._condition is not None, "FakeSlack is not started"
        async with asyncio.timeout(timeout), self._condition:
            await self._condition.wait_for(lambda: len(self.calls) > seen)
        return self.calls[seen:]

    async def wait_for(
        self,
        method: str,
        *,
        count: int = 1,
        timeout: float = 5,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Wait until at least `count` calls of `method` (matching `where`) were answered;
        return all matching calls so far. Raises AssertionError on timeout, listing what came."""
        assert self._condition is not None, "FakeSlack is not started"

        def matching() -> list[Call]:
            return [c for c in self.calls_to(method) if where is None or where(c)]

        try:
            async with asyncio.timeout(timeout), self._condition:
                await self._condition.wait_for(lambda: len(matching()) >= count)
        except TimeoutError:
            seen = [f"{c.method} -> {c.response.get('error') or 'ok'}" for c in self.calls]
            raise AssertionError(
                f"expected {count} call(s) to {method} within {timeout}s, got "
                f"{len(matching())}; calls so far: {seen}"
            ) from None
        return matching()

    # ---------------------------------------------------------------- HTTP plumbing

    async def _read_args(self, request: web.Request) -> JSON:
        args: JSON = dict(request.query)
        body = await request.read()
        if body:
            if request.content_type == "application/json":
                args.update(json.loads(body))
            else:
                args.update(parse_qsl(body.decode(), keep_blank_values=True))
        for key in _JSON_FIELDS:
            if isinstance(args.get(key), str) and args[key]:
                # Not JSON: left as a string, which the view/block checks then reject.
                with contextlib.suppress(json.JSONDecodeError):
                    args[key] = json.loads(args[key])
        return args

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        if self._condition is not None:
            async with self._condition:
                self._condition.notify_all()

    def _authorize(self, request: web.Request, args: JSON) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header else args.pop("token", "")
        if not token:
            raise SlackError("not_authed")
        if token != self.bot_token:
            raise SlackError("invalid_auth")

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._read_args(request)
        status = 200
        headers = {"x-oauth-scopes": ",".join(sorted(self.scopes))}
        try:
            self._authorize(request, args)
            if self._rate_limits.get(method):
                retry_after = self._rate_limits[method].pop(0)
                status = 429
                headers["Retry-After"] = str(retry_after)
                raise SlackError("ratelimited")
            if self._failures.get(method):
                raise self._failures[method].pop(0)
            body = await self._dispatch(method, args)
        except SlackError as exc:
            body = exc.to_json()
        await self._record(
            Call(method, args, CIMultiDict(request.headers), self.clock(), status, body)
        )
        return web.json_response(body, status=status, headers=headers)

    async def _dispatch(self, method: str, args: JSON) -> JSON:
        if method in self._handlers:
            result = self._handlers[method](args)
            body = await result if asyncio.iscoroutine(result) else result
            return {"ok": True, **body}  # type: ignore[dict-item]
        handler = self._METHODS.get(method)
        if handler is None:
            raise SlackError("unknown_method")
        return {"ok": True, **handler(self, args)}

    def _need_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise SlackError("missing_scope", needed=scope, provided=",".join(sorted(self.scopes)))

    def _next_ts(self) -> str:
        self._ts += 100
        return f"{1700000000 + self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids:08d}{secrets.token_hex(2).upper()}"

    # ---------------------------------------------------------------- auth / users

    def _auth_test(self, args: JSON) -> JSON:
        """`auth.test`: who the token is; granted scopes are in the `x-oauth-scopes` header."""
        return {
            "url": f"https://{self.team.lower()}.slack.com/",
            "team": self.team,
            "user": self.users[self.bot_user_id].name or "serviceops",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: JSON) -> JSON:
        """`users.info`: needs `users:read`; `profile.email` only with `users:read.email`
        (and only if the user has one: bots, Slack Connect guests... have none)."""
        self._need_scope("users:read")
        user = self.users.get(str(args.get("user", "")))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user.to_json(with_email="users:read.email" in self.scopes)}

    # ---------------------------------------------------------------- views

    def _take_trigger(self, args: JSON) -> Trigger:
        """Trigger ids are single use (`exchanged_trigger_id`) and live 3 s
        (`expired_trigger_id`); anything else is `invalid_trigger_id`."""
        trigger = self._triggers.get(str(args.get("trigger_id", "")))
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if self.clock() - trigger.created > TRIGGER_TTL:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def _checked_view(self, args: JSON, *, replacing: str | None = None) -> JSON:
        """The `view` argument, validated; its `external_id` must be unique in the team."""
        view = args.get("view")
        errors = check_view(view)
        if errors:
            raise SlackError("invalid_arguments", messages=errors)
        assert isinstance(view, dict)
        external_id = view.get("external_id")
        if external_id and any(
            v.get("external_id") == external_id and v["id"] != replacing
            for v in self.views.values()
        ):
            raise SlackError("duplicate_external_id")
        return view

    def _store_view(
        self,
        view: JSON,
        *,
        view_id: str | None = None,
        root_view_id: str | None = None,
        previous_view_id: str | None = None,
    ) -> JSON:
        view_id = view_id or self._new_id("V")
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            "submit_disabled": False,
            **view,
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "root_view_id": root_view_id or view_id,
            "previous_view_id": previous_view_id,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        stored.setdefault("close", None)
        stored.setdefault("submit", None)
        self.views[view_id] = stored
        return stored

    def _views_open(self, args: JSON) -> JSON:
        """`views.open`: a new modal from a fresh trigger id."""
        view = self._checked_view(args)
        self._take_trigger(args)
        stored = self._store_view(view)
        self._stacks[stored["id"]] = [stored["id"]]
        return {"view": stored}

    def _views_push(self, args: JSON) -> JSON:
        """`views.push`: on top of the modal the trigger came from; a stack holds 3 views."""
        view = self._checked_view(args)
        trigger = self._take_trigger(args)
        if trigger.view_id is not None and trigger.view_id in self.views:
            root = self.views[trigger.view_id]["root_view_id"]
        elif self._stacks:
            root = next(reversed(self._stacks))
        else:
            raise SlackError("not_found")
        stack = self._stacks[root]
        if len(stack) >= VIEW_STACK_LIMIT:
            raise SlackError("push_limit_reached")
        stored = self._store_view(view, root_view_id=root, previous_view_id=stack[-1])
        stack.append(stored["id"])
        return {"view": stored}

    def _views_update(self, args: JSON) -> JSON:
        """`views.update` by `view_id` or `external_id`; a stale `hash` is `hash_conflict`."""
        if args.get("view_id"):
            old = self.views.get(str(args["view_id"]))
        elif args.get("external_id"):
            old = next(
                (v for v in self.views.values() if v.get("external_id") == args["external_id"]),
                None,
            )
        else:
            raise SlackError(
                "invalid_arguments", messages=["[ERROR] view_id or external_id required"]
            )
        if old is None:
            raise SlackError("not_found")
        view = self._checked_view(args, replacing=old["id"])
        if args.get("hash") and args["hash"] != old["hash"]:
            raise SlackError("hash_conflict")
        stored = self._store_view(
            view,
            view_id=old["id"],
            root_view_id=old["root_view_id"],
            previous_view_id=old["previous_view_id"],
        )
        return {"view": stored}

    def _views_publish(self, args: JSON) -> JSON:
        """`views.publish`: a user's Home tab (a known user; a valid `home` view)."""
        user_id = str(args.get("user_id", ""))
        if user_id not in self.users:
            raise SlackError("user_not_found")
        view = args.get("view")
        errors = check_home_view(view)
        if errors:
            raise SlackError("invalid_arguments", messages=errors)
        assert isinstance(view, dict)
        self._ids += 1
        stored = {"id": f"VH{self._ids:08d}", "team_id": self.team_id, **view}
        stored["state"] = {"values": {}}
        self.home_views[user_id] = stored
        return {"view": stored}

    # ---------------------------------------------------------------- conversations / chat

    def _resolve_channel(self, channel_id: str) -> str:
        """A bare user id as `channel` means the app's DM with that user."""
        if channel_id.startswith(("U", "W")) and channel_id in self.users:
            return self.dm_channel(channel_id)
        return channel_id

    def _check_can_post(self, channel_id: str) -> Channel:
        """Where the bot may write (https://docs.slack.dev/reference/scopes/chat:write.public):

        - unknown, deleted, private without the bot, or a DM between people: `channel_not_found`
          (the bot cannot see it at all);
        - public without the bot: `not_in_channel`, unless `chat:write.public` is granted.
        """
        self._need_scope("chat:write")
        channel = self.channels.get(channel_id)
        if channel is None or not channel.exists:
            raise SlackError("channel_not_found")
        if channel.member:
            return channel
        if channel.is_private or channel.is_im:
            raise SlackError("channel_not_found")
        if "chat:write.public" not in self.scopes:
            raise SlackError("not_in_channel")
        return channel

    def _message(self, args: JSON, ts: str) -> JSON:
        message: JSON = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": ts,
            "text": args.get("text", ""),
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if args.get(key):
                message[key] = args[key]
        return message

    def _chat_post_message(self, args: JSON) -> JSON:
        """`chat.postMessage`: see `_check_can_post`; `thread_ts` makes it a reply."""
        channel_id = self._resolve_channel(str(args.get("channel", "")))
        self._check_can_post(channel_id)
        check_message(args)
        ts = self._next_ts()
        message = self._message(args, ts)
        self.messages.append({**message, "channel": channel_id})
        return {"channel": channel_id, "ts": ts, "message": message}

    def _chat_post_ephemeral(self, args: JSON) -> JSON:
        """`chat.postEphemeral`: the bot must be able to post there and the recipient must be
        in the conversation (`user_not_in_channel`)."""
        channel_id = self._resolve_channel(str(args.get("channel", "")))
        channel = self._check_can_post(channel_id)
        user_id = str(args.get("user", ""))
        if user_id not in self.users or not channel.has_user(user_id):
            raise SlackError("user_not_in_channel")
        check_message(args)
        ts = self._next_ts()
        self.ephemerals.append({**self._message(args, ts), "channel": channel_id, "to": user_id})
        return {"message_ts": ts}

    def _chat_update(self, args: JSON) -> JSON:
        """`chat.update`: only a message the bot posted (`message_not_found` otherwise)."""
        channel_id = str(args.get("channel", ""))
        self._check_can_post(channel_id)
        check_message(args)
        for stored in self.messages:
            if stored["channel"] == channel_id and stored["ts"] == args.get("ts"):
                stored["text"] = args.get("text", "")
                for key in ("blocks", "attachments"):
                    if key in args:
                        stored[key] = args[key]
                stored["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
                message = {k: v for k, v in stored.items() if k != "channel"}
                return {
                    "channel": channel_id,
                    "ts": stored["ts"],
                    "text": stored["text"],
                    "message": message,
                }
        raise SlackError("message_not_found")

    def _chat_get_permalink(self, args: JSON) -> JSON:
        """`chat.getPermalink`: needs a conversation the bot can see."""
        channel_id = str(args.get("channel", ""))
        channel = self.channels.get(channel_id)
        if (
            channel is None
            or not channel.exists
            or (not channel.member and (channel.is_private or channel.is_im))
        ):
            raise SlackError("channel_not_found")
        ts = str(args.get("message_ts", ""))
        if not ts:
            raise SlackError("invalid_arguments")
        return {
            "channel": channel_id,
            "permalink": f"https://example.slack.com/archives/{channel_id}/p{ts.replace('.', '')}",
        }

    def _conversations_open(self, args: JSON) -> JSON:
        """`conversations.open(users=U…)`: the app's DM with that person (needs `im:write`);
        the same `D…` id every time, and the bot can post there."""
        self._need_scope("im:write")
        if args.get("channel"):
            channel = self.channels.get(str(args["channel"]))
            if channel is None or not channel.member:
                raise SlackError("channel_not_found")
            return {"channel": {"id": channel.id}, "already_open": True}
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if len(users) != 1:
            raise SlackError("not_enough_users" if not users else "too_many_users")
        if users[0] not in self.users:
            raise SlackError("user_not_found")
        already = users[0] in self._dms
        return {"channel": {"id": self.dm_channel(users[0])}, "already_open": already}

    def _readable(self, channel_id: str) -> Channel:
        """A conversation the bot may read: the scope of its kind, and membership."""
        channel = self.channels.get(channel_id)
        if channel is None or not channel.exists:
            raise SlackError("channel_not_found")
        if channel.is_im:
            self._need_scope("im:history")
        elif channel.is_private:
            self._need_scope("groups:history")
        else:
            self._need_scope("channels:history")
        if not channel.member:
            raise SlackError("channel_not_found" if channel.is_private else "not_in_channel")
        return channel

    def _stored_in(self, channel_id: str) -> list[JSON]:
        """Every message in a conversation (people's and the bot's), oldest first."""
        found = [
            {k: v for k, v in m.items() if k != "channel"}
            for m in [*self.written, *self.messages]
            if m["channel"] == channel_id
        ]
        return sorted(found, key=lambda m: float(m["ts"]))

    @staticmethod
    def _in_range(messages: list[JSON], args: JSON) -> list[JSON]:
        """`oldest`/`latest` bound the messages (`inclusive` keeps the bounds themselves)."""
        inclusive = str(args.get("inclusive", "")).lower() in ("1", "true")
        oldest, latest = args.get("oldest"), args.get("latest")

        def keep(ts: float) -> bool:
            if oldest and (ts < float(oldest) or (ts == float(oldest) and not inclusive)):
                return False
            return not (latest and (ts > float(latest) or (ts == float(latest) and not inclusive)))

        return [m for m in messages if keep(float(m["ts"]))]

    def _conversations_history(self, args: JSON) -> JSON:
        """`conversations.history`: top-level messages (and replies also sent to the
        channel), newest first, within `oldest`/`latest`, at most `limit`."""
        channel = self._readable(str(args.get("channel", "")))
        top = [
            m
            for m in self._stored_in(channel.id)
            if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
        ]
        found = list(reversed(self._in_range(top, args)))
        limit = int(args.get("limit") or 100)
        return {"messages": found[:limit], "has_more": len(found) > limit}

    def _conversations_replies(self, args: JSON) -> JSON:
        """`conversations.replies`: the thread of `ts` (a parent or any reply), oldest first:
        the parent, then the replies within `oldest`/`latest`, at most `limit` in all."""
        channel = self._readable(str(args.get("channel", "")))
        stored = self._stored_in(channel.id)
        ts = str(args.get("ts", ""))
        message = next((m for m in stored if m["ts"] == ts), None)
        if message is None:
            raise SlackError("thread_not_found")
        root = message.get("thread_ts") or ts
        parent = [m for m in stored if m["ts"] == root]
        replies = [m for m in stored if m.get("thread_ts") == root and m["ts"] != root]
        found = parent + self._in_range(replies, args)
        limit = int(args.get("limit") or 100)
        return {"messages": found[:limit], "has_more": len(found) > limit}

    _METHODS: ClassVar[dict[str, Callable[[FakeSlack, JSON], JSON]]] = {
        "auth.test": _auth_test,
        "users.info": _users_info,
        "views.open": _views_open,
        "views.push": _views_push,
        "views.update": _views_update,
        "views.publish": _views_publish,
        "chat.postMessage": _chat_post_message,
        "chat.postEphemeral": _chat_post_ephemeral,
        "chat.update": _chat_update,
        "chat.getPermalink": _chat_get_permalink,
        "conversations.open": _conversations_open,
        "conversations.history": _conversations_history,
        "conversations.replies": _conversations_replies,
    }

    # ---------------------------------------------------------------- response_url

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        """Posts to a `response_url`: JSON like `{"text": ..., "response_type": "ephemeral"}`.

        Unknown or older than 30 minutes: 404 `no_active_hooks`; the 6th post: 404 `used_up`.
        Recorded as calls of method `"response_url"` (args include `response_url`).
        """
        token = request.match_info["token"]
        raw = await request.read()
        try:
            payload = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            payload = dict(parse_qsl(raw.decode()))
        status = 200
        hook = self.response_urls.get(token)
        try:
            if hook is None or self.clock() - hook.created > RESPONSE_URL_TTL:
                status = 404
                raise SlackError("no_active_hooks")
            if hook.uses >= RESPONSE_URL_USES:
                status = 404
                raise SlackError("used_up")
            if not payload.get("delete_original"):
                try:
                    check_message(payload)
                except SlackError:
                    status = 400
                    raise
            hook.uses += 1
            hook.posts.append(payload)
            body: JSON = {"ok": True}
        except SlackError as exc:
            body = exc.to_json()
        args = {**payload, "response_url": str(request.url)}
        await self._record(
            Call("response_url", args, CIMultiDict(request.headers), self.clock(), status, body)
        )
        return web.json_response(body, status=status)
