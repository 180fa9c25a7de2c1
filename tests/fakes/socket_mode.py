"""A fake of Slack's Socket Mode: `apps.connections.open` on FakeSlack, and the WebSocket.

Socket Mode (https://docs.slack.dev/apis/events-api/using-socket-mode/) works like this:
the app calls `apps.connections.open` with its app-level token (`xapp-…`) and gets a
single-use `wss://…/link/?ticket=…` URL; Slack greets the new connection with a `hello`
message, then pushes envelopes::

    {"envelope_id": "…", "type": "slash_commands" | "interactive" | "events_api",
     "payload": {…}, "accepts_response_payload": true|false,
     "retry_attempt": 0, "retry_reason": ""}          # the last two: events_api only

and the app acknowledges each one within 3 seconds with `{"envelope_id": "…"}`, plus a
`payload` where Slack accepts one (a view_submission's `response_action`). Slack refreshes
connections now and then with a `disconnect` message; the app then opens a new one.

`FakeSocketMode` serves the WebSocket on loopback (`ws://127.0.0.1:PORT/link/?ticket=…`),
records every connection and acknowledgement, and applies a view_submission's
`response_action: update` to FakeSlack's stored view, as Slack would::

    async with FakeSlack() as slack, FakeSocketMode(slack) as socket_mode:
        ...  # run the app with SLACK_APP_TOKEN=socket_mode.app_token
        await socket_mode.wait_connected()
        envelope_id = await socket_mode.push("slash_commands", {...})
        ack = await socket_mode.wait_for_ack(envelope_id)

Payloads are the same JSON an app receives over HTTP, so `tests.fakes.slack_requests`
builds them: `slash_command(...).payload()`, `view_submission(...).payload()`,
`event_callback(...).payload()`.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any, Self

from aiohttp import WSMsgType, web

from tests.fakes.loopback import LoopbackServer
from tests.fakes.slack_api import FakeSlack, SlackError

JSON = dict[str, Any]

DEFAULT_APP_TOKEN = "xapp-1-A1-1-fakesocketmodetoken"


class FakeSocketMode:
    """The Socket Mode side of the fake Slack; see the module docstring.

    Starting it teaches `slack` the method `apps.connections.open`. That method, unlike
    every other one, takes the app-level token, so the fake also makes `slack` accept
    `app_token` for it, refuse a bot token there (`not_allowed_token_type`, as Slack does),
    and refuse the app token for every other method.
    """

    def __init__(self, slack: FakeSlack, *, app_token: str = DEFAULT_APP_TOKEN) -> None:
        self.slack = slack
        self.app_token = app_token
        self.connections_opened = 0
        """WebSocket connections accepted so far (a reconnect adds one)."""
        self.envelopes: dict[str, JSON] = {}
        """Every envelope pushed, by envelope id."""
        self.acks: list[JSON] = []
        """Every message the app sent back, in order (normally `{"envelope_id", "payload"?}`)."""
        self._acked: dict[str, asyncio.Future[JSON]] = {}
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._condition: asyncio.Condition | None = None
        self._server = LoopbackServer(shutdown_timeout=0.5)

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._link)
        self._condition = asyncio.Condition()
        await self._server.start(app)
        self.slack.handle("apps.connections.open", self._connections_open)
        self._accept_app_token()

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        await self._server.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- apps.connections.open

    def _connections_open(self, args: JSON) -> JSON:
        """A fresh single-use URL for one WebSocket connection."""
        ticket = secrets.token_hex(16)
        self._tickets.add(ticket)
        return {"url": f"ws://127.0.0.1:{self._server.port}/link/?ticket={ticket}"}

    def _accept_app_token(self) -> None:
        # FakeSlack checks every call against its bot token before any handler runs, and a
        # handler does not see the headers; so the token check of this one method is
        # wrapped around FakeSlack's own.
        bot_authorize = self.slack._authorize

        def authorize(request: web.Request, args: JSON) -> None:
            header = request.headers.get("Authorization", "")
            token = header.removeprefix("Bearer ").strip() if header else args.get("token", "")
            if request.match_info["method"] != "apps.connections.open":
                if token == self.app_token:
                    raise SlackError("not_allowed_token_type")
                bot_authorize(request, args)
                return
            args.pop("token", None)
            if not token:
                raise SlackError("not_authed")
            if not token.startswith("xapp-"):
                raise SlackError("not_allowed_token_type")
            if token != self.app_token:
                raise SlackError("invalid_auth")

        self.slack._authorize = authorize  # type: ignore[method-assign]

    # ---------------------------------------------------------------- the WebSocket

    async def _link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid or used ticket")
        self._tickets.discard(ticket)
        socket = web.WebSocketResponse()  # answers the client's pings by itself
        await socket.prepare(request)
        self._sockets.append(socket)
        self.connections_opened += 1
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets),
                "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.slack.app_id},
            }
        )
        await self._notify()
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    await self._acknowledged(json.loads(message.data))
        finally:
            self._sockets.remove(socket)
            await self._notify()
        return socket

    async def _acknowledged(self, ack: JSON) -> None:
        envelope = self.envelopes.get(str(ack.get("envelope_id")))
        answer = ack.get("payload") or {}
        payload = (envelope or {}).get("payload") or {}
        if (
            payload.get("type") == "view_submission"
            and answer.get("response_action") == "update"
            and payload.get("view", {}).get("id") in self.slack.views
        ):
            self.slack.replace_view(payload["view"]["id"], answer["view"])
        self.acks.append(ack)
        waiting = self._acked.pop(str(ack.get("envelope_id")), None)
        if waiting is not None and not waiting.done():
            waiting.set_result(ack)
        await self._notify()

    async def _notify(self) -> None:
        if self._condition is not None:
            async with self._condition:
                self._condition.notify_all()

    # ---------------------------------------------------------------- for tests

    @property
    def open_connections(self) -> int:
        return len(self._sockets)

    async def push(
        self,
        kind: str,
        payload: JSON,
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str = "",
    ) -> str:
        """Send an envelope on the newest connection; returns its envelope id.

        `accepts_response_payload` defaults as Slack sets it: true for slash commands and
        view submissions, false otherwise. `retry_attempt` (events_api): 0 for the first
        delivery, 1, 2, 3 for Slack's retries of the same event.
        """
        if not self._sockets:
            raise AssertionError("no Socket Mode connection is open")
        if accepts_response_payload is None:
            accepts_response_payload = kind == "slash_commands" or (
                kind == "interactive" and payload.get("type") == "view_submission"
            )
        envelope: JSON = {
            "envelope_id": secrets.token_hex(18),
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason
        self.envelopes[envelope["envelope_id"]] = envelope
        self._acked[envelope["envelope_id"]] = asyncio.get_running_loop().create_future()
        await self._sockets[-1].send_json(envelope)
        return str(envelope["envelope_id"])

    async def refresh(self, reason: str = "refresh_requested") -> None:
        """Ask the app to reconnect, as Slack does regularly (`disconnect` message)."""
        if not self._sockets:
            raise AssertionError("no Socket Mode connection is open")
        await self._sockets[-1].send_json(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        )

    async def wait_connected(self, count: int = 1, *, timeout: float = 5) -> None:
        """Until `count` connections were accepted in all and one is open."""
        await self._wait(
            lambda: self.connections_opened >= count and bool(self._sockets),
            timeout,
            f"{count} connection(s)",
        )

    async def wait_disconnected(self, *, timeout: float = 5) -> None:
        """Until no connection is open (the app closed it)."""
        await self._wait(lambda: not self._sockets, timeout, "disconnection")

    async def wait_for_ack(self, envelope_id: str, *, timeout: float = 5) -> JSON:
        """The app's acknowledgement of `envelope_id` (AssertionError if none comes)."""

        def found() -> JSON | None:
            return next((a for a in self.acks if a.get("envelope_id") == envelope_id), None)

        await self._wait(lambda: found() is not None, timeout, f"the ack of {envelope_id}")
        ack = found()
        assert ack is not None
        return ack

    async def acknowledged(self, envelope_id: str) -> JSON:
        """The app's acknowledgement of `envelope_id`, as soon as it arrives (no timeout,
        no scan of the others: for many envelopes in flight at once, as in a benchmark)."""
        waiting = self._acked.get(envelope_id)
        if waiting is None:
            return await self.wait_for_ack(envelope_id)
        return await waiting

    async def _wait(self, done: Any, timeout: float, what: str) -> None:
        assert self._condition is not None, "FakeSocketMode is not started"
        try:
            async with asyncio.timeout(timeout), self._condition:
                await self._condition.wait_for(done)
        except TimeoutError:
            raise AssertionError(
                f"no {what} within {timeout}s; connections: {self.connections_opened}, "
                f"acks: {self.acks}"
            ) from None
