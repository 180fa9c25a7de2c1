"""ServiceOps tells the bot a request changed: `POST /serviceops/events`, and polling.

A ServiceOps workflow ("Status is changed" → "Run Webhook") calls the endpoint with
`Authorization: Bearer <SERVICEOPS_WEBHOOK_SECRET>` and a small JSON body naming the request:
`{"requestId": 42}` or `{"request": "INC-12"}` (other fields are ignored). The secret is
compared in constant time; anything else is 401 and nothing happens. The bot answers 202 at
once and reads the request back from ServiceOps: the payload is never trusted for status.

Sites that cannot add a workflow set `SERVICEOPS_POLL_SECONDS`: linked requests still open
are read in pages, by one replica at a time (a lease in the shared cache), with a bounded
number of ServiceOps calls per round.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.core.claims import Claims
from bot.core.follow import Follower
from bot.core.links import LinkStoreError
from bot.server import StartupError
from bot.serviceops import ServiceOpsClient, ServiceOpsError
from bot.wiring import Core

log = logging.getLogger("bot.webhook")

PATH = "/serviceops/events"
MAX_BODY = 16 * 1024
POLL_LEASE_KEY = "follow:poll-lease"
POLL_BUDGET = 200
"""Most ServiceOps reads in one polling round."""


class FollowIntake:
    """The webhook route and the polling loop, as the server runs them (`bot.server.Intake`)."""

    def __init__(
        self,
        follower: Follower,
        client: ServiceOpsClient,
        claims: Claims,
        *,
        secret: str | None,
        poll_seconds: int = 0,
    ) -> None:
        self.follower = follower
        self._client = client
        self._claims = claims
        self._secret = secret.encode() if secret else None
        self._poll_seconds = poll_seconds
        self._poller: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    async def warm_up(self) -> None:
        """Open the link store (and migrate its schema) before taking traffic.

        Raises:
            StartupError: the store cannot be used (unreachable, or a newer schema).
        """
        try:
            await self.follower.links.migrate()
        except LinkStoreError as exc:
            raise StartupError(str(exc)) from None

    def mount(self, web_app: web.Application) -> None:
        if self._secret is not None:
            web_app.router.add_post(PATH, self.handle)

    async def start(self) -> None:
        if self._poll_seconds > 0:
            self._poller = asyncio.create_task(self._poll_forever())

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        # Changes being read finish while the platforms' connections are still open; retries
        # of a down ServiceOps (seconds to minutes away) are not waited for: the next webhook
        # call or polling round covers them.
        await self.follower.aclose()

    async def readiness(self) -> dict[str, str]:
        return {}

    async def live_checks(self) -> dict[str, str]:
        return {}

    async def aclose(self) -> None:
        for task in list(self._pending):
            task.cancel()

    # ----------------------------------------------------------------------- webhook

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request.headers.get("Authorization", "")):
            log.info("webhook_refused")
            return web.json_response({"error": "unauthorized"}, status=401)
        if (request.content_length or 0) > MAX_BODY:
            return web.json_response({"error": "too large"}, status=413)
        body = await request.content.read(MAX_BODY + 1)
        named, problem = _named_request(body)
        if problem is not None:
            log.info("webhook_bad_request", extra={"reason": problem})
            return web.json_response({"error": problem}, status=400)
        if isinstance(named, int):
            self.follower.changed(named)
        else:
            task = asyncio.create_task(self._by_number(str(named)))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        return web.json_response({"accepted": True}, status=202)

    def _authorized(self, header: str) -> bool:
        if self._secret is None or not header.startswith("Bearer "):
            return False
        given = header.removeprefix("Bearer ").strip().encode()
        return hmac.compare_digest(given, self._secret)

    async def _by_number(self, number: str) -> None:
        try:
            request = await self._client.find_by_number(number)
        except ServiceOpsError as exc:
            log.warning("webhook_lookup_failed", extra={"error": type(exc).__name__})
            return
        if request is None:
            log.info("webhook_unknown_request", extra={"request": number[:40]})
            return
        self.follower.changed(request.id)

    # ----------------------------------------------------------------------- polling

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(self._poll_seconds)
            try:
                if await self._claims.claim(POLL_LEASE_KEY, ttl=self._poll_seconds) is not None:
                    continue  # another replica polls this round
                read = await self.follower.poll_once(budget=POLL_BUDGET)
                log.info("poll_round", extra={"read": read})
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop must survive a bad round
                log.exception("poll_round_failed")


def build_follow_intake(core: Core, settings: Settings) -> FollowIntake:
    """The webhook route (when `SERVICEOPS_WEBHOOK_SECRET` is set) and polling (when
    `SERVICEOPS_POLL_SECONDS` is), on `core`'s follower."""
    desk = settings.serviceops
    secret = desk.webhook_secret.get_secret_value() if desk.webhook_secret else None
    return FollowIntake(
        core.follower, core.serviceops, core.claims, secret=secret, poll_seconds=desk.poll_seconds
    )


def _named_request(body: bytes) -> tuple[int | str | None, str | None]:
    """The request a webhook body names (an id or a display number), or why it names none."""
    try:
        data: Any = json.loads(body or b"null")
    except (ValueError, RecursionError):
        return None, "the body is not JSON"
    if not isinstance(data, dict):
        return None, 'expected a JSON object like {"requestId": 42} or {"request": "INC-12"}'
    request_id = data.get("requestId")
    if isinstance(request_id, str) and request_id.strip().isdigit():
        request_id = int(request_id.strip())
    if isinstance(request_id, int) and not isinstance(request_id, bool) and request_id > 0:
        return request_id, None
    number = data.get("request")
    if isinstance(number, str) and 0 < len(number.strip()) <= 40:
        return number.strip(), None
    return None, 'name the request: {"requestId": 42} or {"request": "INC-12"}'
