"""Stand-ins for Slack and ServiceOps on loopback: just enough of each for one `/ticket`.

They are small HTTP servers on 127.0.0.1 that answer the calls the bot makes on that journey
the way the real services do, and remember what they were sent, so the demo can show it:

- `StandInSlack`: the Web API methods `auth.test`, `users.info`, `views.open`, `views.update`,
  `chat.postMessage` (and a few it may use, answered plainly), under `/api/`, for one bot
  token; and the requests Slack itself sends to an app, signed with the signing secret.
- `StandInServiceOps`: `POST /api/v1/request` for one API key, numbering requests INC-1, …

The test suite has fuller fakes (`tests/fakes/`); the product does not import tests.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

Json = dict[str, Any]

HOST = "127.0.0.1"
BOT_TOKEN = "xoxb-demo-0000-stand-in"
SIGNING_SECRET = "demo-signing-secret"
API_KEY = "demo-api-key"
TEAM_ID = "T0DEMO"
BOT_USER = "U0BOT"


class _Loopback:
    """An aiohttp application served on 127.0.0.1, on a port the system picks."""

    def __init__(self) -> None:
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, HOST, 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@dataclass(frozen=True)
class Call:
    """One Web API call the bot made."""

    method: str
    args: Json
    answer: Json


class StandInSlack(_Loopback):
    """Slack, for one workspace, one person and one channel."""

    def __init__(self, *, user: str, email: str, real_name: str) -> None:
        super().__init__()
        self.user = user
        self.email = email
        self.real_name = real_name
        self.calls: list[Call] = []
        self.views: dict[str, Json] = {}
        self._changed = asyncio.Condition()
        self._ids = itertools.count(1)

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/hooks/{id}", self._response_url)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def wait_for(self, method: str, count: int = 1) -> list[Call]:
        """The first `count` calls to `method`, once made (bound the wait by the caller)."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.calls_to(method)) >= count)
        return self.calls_to(method)[:count]

    # ------------------------------------------------------------------ what Slack sends

    def response_url(self) -> str:
        return f"{self.url}/hooks/{secrets.token_hex(8)}"

    def signed(self, body: bytes, content_type: str) -> dict[str, str]:
        """Headers Slack sends with `body`: its signature over the timestamp and the bytes."""
        timestamp = str(int(time.time()))
        signature = SignatureVerifier(SIGNING_SECRET).generate_signature(
            timestamp=timestamp, body=body
        )
        assert signature is not None
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        }

    def slash_command(self, text: str, *, channel: str, channel_name: str) -> tuple[bytes, Json]:
        """`/ticket text` typed in `channel`, form-encoded as Slack posts it."""
        body = urlencode(
            {
                "team_id": TEAM_ID,
                "team_domain": "example",
                "channel_id": channel,
                "channel_name": channel_name,
                "user_id": self.user,
                "user_name": self.real_name.split()[0].lower(),
                "command": "/ticket",
                "text": text,
                "api_app_id": "A0DEMO",
                "is_enterprise_install": "false",
                "response_url": self.response_url(),
                "trigger_id": f"{secrets.randbelow(10**12)}.{secrets.token_hex(8)}",
            }
        ).encode()
        return body, self.signed(body, "application/x-www-form-urlencoded")

    def view_submission(self, view: Json, values: Json) -> tuple[bytes, Json]:
        """The modal submitted with `values` (`{block_id: {action_id: element state}}`)."""
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "example"},
            "user": {"id": self.user, "username": self.real_name, "team_id": TEAM_ID},
            "api_app_id": "A0DEMO",
            "trigger_id": f"{secrets.randbelow(10**12)}.{secrets.token_hex(8)}",
            "view": {**view, "state": {"values": values}},
            "response_urls": [],
            "is_enterprise_install": False,
        }
        body = urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode()
        return body, self.signed(body, "application/x-www-form-urlencoded")

    # ------------------------------------------------------------------ the Web API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: Json = dict(request.query)
        raw = await request.read()
        if raw and request.content_type == "application/json":
            args.update(json.loads(raw))
        elif raw:
            args.update(parse_qsl(raw.decode(), keep_blank_values=True))
        for key in ("view", "blocks"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if token != BOT_TOKEN:
            answer: Json = {"ok": False, "error": "invalid_auth"}
        else:
            answer = {"ok": True, **self._answer(method, args)}
        async with self._changed:
            self.calls.append(Call(method, args, answer))
            self._changed.notify_all()
        return web.json_response(answer)

    def _answer(self, method: str, args: Json) -> Json:
        if method == "auth.test":
            return {
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "serviceops",
                "team_id": TEAM_ID,
                "user_id": BOT_USER,
                "bot_id": "B0BOT",
                "is_enterprise_install": False,
            }
        if method == "users.info":
            return {"user": self._user(str(args.get("user", "")))}
        if method in ("views.open", "views.push", "views.update"):
            view_id = str(args.get("view_id") or f"V0DEMO{next(self._ids)}")
            stored = {
                "id": view_id,
                "team_id": TEAM_ID,
                "private_metadata": "",
                "callback_id": "",
                **args["view"],
                "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
                "root_view_id": view_id,
                "app_id": "A0DEMO",
                "bot_id": "B0BOT",
            }
            self.views[view_id] = stored
            return {"view": stored}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            ts = f"{int(time.time())}.{next(self._ids):06d}"
            return {"channel": args.get("channel"), "ts": ts, "message_ts": ts}
        if method == "conversations.open":
            return {"channel": {"id": "D0DEMO"}}
        if method == "chat.getPermalink":
            return {"permalink": "https://example.slack.com/archives/C0DEMO/p1"}
        return {}

    def _user(self, user_id: str) -> Json:
        name = self.real_name if user_id == self.user else user_id
        return {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name.split()[0].lower(),
            "real_name": name,
            "deleted": False,
            "is_bot": user_id == BOT_USER,
            "profile": {
                "real_name": name,
                "display_name": name.split()[0],
                "email": self.email if user_id == self.user else None,
            },
        }

    async def _response_url(self, request: web.Request) -> web.Response:
        async with self._changed:
            self.calls.append(Call("response_url", await request.json(), {}))
            self._changed.notify_all()
        return web.Response(text="ok")


class StandInServiceOps(_Loopback):
    """ServiceOps' request API, for one API key: creates requests and remembers them."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[Json] = []
        """The body of each create, as the bot sent it."""
        self._numbers = itertools.count(1)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/v1/request", self._create)

    async def _create(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Apikey {API_KEY}":
            return web.json_response(
                {"code": "401", "userMessage": "Session has timed out."}, status=401
            )
        body = await request.json()
        self.received.append(body)
        number = next(self._numbers)
        now = int(time.time() * 1000)
        return web.json_response(
            {
                "statusName": "Open",
                "source": "External",
                "createdByName": "Automation",
                **body,
                "id": number,
                "name": f"INC-{number}",
                "requesterName": str(body.get("requesterEmail", "")).split("@")[0].title(),
                "createdTime": now,
                "updatedTime": now,
            }
        )
