"""The Teams surface: `POST /api/messages` on the bot's server, on core's services.

Every request is checked before anything else happens: its size and encoding, then its
bearer token (`auth.ActivityVerifier`), then, once the body is read, that the token was
issued for the `serviceUrl` the activity names. Anything else gets 401 (or 400/413/415) and
nothing happens.

Invokes (dialogs, card buttons) are answered in the HTTP response, within Teams' 5 seconds:
filing goes on in the background when ServiceOps is slower, and its result comes as a
message. Messages are answered with 200 at once; the reply is posted after.

Built on the Bot Framework protocol directly (with `pyjwt` for tokens and the bot's one
HTTP client for the Bot Connector and the login) rather than the Teams SDK's `App`: the SDK
reads the signing keys with blocking I/O on the event loop, loads `.env` files into the
environment when imported, and can switch authentication off through an environment
variable; none of that is acceptable for a server that also serves Slack. Its card models
still check every card the bot builds (tests).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

import httpx2
from aiohttp import web

from bot.config import Settings
from bot.teams import ids
from bot.teams.auth import ActivityVerifier, SigningKeys, Unauthorized
from bot.teams.cards.form import dialog_message
from bot.teams.connector import LIMITS, BotConnector, ConnectorError
from bot.teams.deps import TeamsDeps
from bot.teams.directory import TeamsDirectory
from bot.teams.files import TIMEOUT as FILES_TIMEOUT
from bot.teams.files import TeamsFiles
from bot.teams.handlers import dialogs, messages
from bot.teams.messenger import TeamsMessenger
from bot.wiring import Core, build_core

log = logging.getLogger("bot.teams")

MAX_BODY = 256 * 1024
"""Largest activity accepted (a message with a big card is a few tens of KB)."""
JSON_DEPTH_MAX = 64
UNEXPECTED = (
    "Sorry, something went wrong on my side (reference {ref}). Please try again; if it keeps "
    "happening, tell your IT admin the reference."
)

Activity = dict[str, Any]


@dataclass
class TeamsApp:
    """The running Teams surface, as the server runs it (see `bot.server.Intake`)."""

    deps: TeamsDeps
    verifier: ActivityVerifier
    core: Core
    _http: httpx2.AsyncClient
    _owns_core: bool
    _files_http: httpx2.AsyncClient | None = None
    """Downloads of chat files: a pool of their own, so a slow 20 MB file never holds a
    connection Bot Connector calls are waiting for."""

    async def warm_up(self) -> None:
        """Read the signing keys and get the bot's token before taking traffic (a failure
        is logged; readiness reports it and requests try again)."""
        try:
            await self.verifier.keys.refresh(force=True)
        except Unauthorized as exc:
            log.warning("teams_keys_not_read", extra={"reason": exc.reason})
        try:
            await self.deps.connector.token()
        except ConnectorError as exc:
            log.warning("teams_token_not_obtained", extra={"status": exc.status, "code": exc.code})

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post(ids.ENDPOINT, self.handle)

    async def start(self) -> None:
        """Nothing to start: Teams calls in."""

    async def stop(self) -> None:
        """Nothing to stop: the server stops taking requests."""

    async def readiness(self) -> dict[str, str]:
        """`{"teams": "ok"}` when the bot's token can be had (cached: no login per probe)."""
        try:
            await asyncio.wait_for(self.deps.connector.token(), 10)
        except TimeoutError:
            return {"teams": "timed out"}
        except ConnectorError as exc:
            return {"teams": f"login failed ({exc.code})"}
        return {"teams": "ok"}

    async def live_checks(self) -> dict[str, str]:
        return {}

    async def aclose(self) -> None:
        for task in list(self.deps.background):
            await asyncio.wait([task], timeout=1)
        await self._http.aclose()
        if self._files_http is not None:
            await self._files_http.aclose()
        if self._owns_core:
            await self.core.aclose()

    # ----------------------------------------------------------------------- requests

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """`POST /api/messages`: check, then dispatch to a handler."""
        if request.headers.get("Content-Encoding", "identity").lower() != "identity":
            return _status(415, "compressed bodies are not accepted")
        if (request.content_length or 0) > MAX_BODY:
            return _status(413, "too large")
        try:
            claims = await self.verifier.verify(request.headers.get("Authorization"))
        except Unauthorized as exc:
            log.info("teams_request_refused", extra={"reason": exc.reason})
            return _status(401, "unauthorized")
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return _status(413, "too large")
        activity = _parse(body)
        if activity is None:
            return _status(400, "the body is not an activity")
        try:
            self.verifier.check_service_url(claims, activity.get("serviceUrl"))
        except Unauthorized as exc:
            log.info("teams_request_refused", extra={"reason": exc.reason})
            return _status(401, "unauthorized")
        return await self._dispatch(activity)

    async def _dispatch(self, activity: Activity) -> web.StreamResponse:
        kind = activity.get("type")
        if kind == "message":
            self._in_background(messages.on_message(self.deps, activity))
            return web.Response(status=200)
        if kind != "invoke":
            return web.Response(status=200)  # conversation updates and the like: nothing to do
        name = str(activity.get("name") or "")
        try:
            answer = await self._invoke(name, activity)
        except Exception:  # the boundary of a request: log, tell the person, keep input
            ref = secrets.token_hex(4)
            log.exception("unhandled_error", extra={"ref": ref, "invoke": name})
            answer = dialog_message(UNEXPECTED.format(ref=ref))
        if answer is None:
            return _status(404, "unknown invoke")
        return web.json_response(answer)

    async def _invoke(self, name: str, activity: Activity) -> dict[str, Any] | None:
        command = str((activity.get("value") or {}).get("commandId") or "")
        if name == "composeExtension/fetchTask" and command == ids.MESSAGE_ACTION:
            return await dialogs.open_from_message(self.deps, activity)
        if name == "composeExtension/submitAction" and command == ids.MESSAGE_ACTION:
            return await dialogs.submit(self.deps, activity)
        if name == "task/fetch":
            return await dialogs.open_from_button(self.deps, activity)
        if name == "task/submit":
            return await dialogs.submit(self.deps, activity)
        if name == "adaptiveCard/action":
            return await dialogs.card_action(self.deps, activity)
        return None

    def _in_background(self, work: Any) -> None:
        async def tracked() -> None:
            async with self.deps.inflight.track():
                try:
                    await work
                except Exception:  # the boundary of background work: log it
                    log.exception("teams_message_failed")

        task = asyncio.create_task(tracked())
        self.deps.background.add(task)
        task.add_done_callback(self.deps.background.discard)


async def create_teams_app(
    settings: Settings,
    *,
    core: Core | None = None,
    answer_within: float = 3.5,
    http: httpx2.AsyncClient | None = None,
) -> TeamsApp:
    """Build the Teams surface on `core` (or on one of its own, closed with it)."""
    teams = settings.teams
    assert teams is not None, "the Teams surface needs TEAMS_APP_ID"
    owns_core = core is None
    core = core if core is not None else build_core(settings)
    http = http or httpx2.AsyncClient(timeout=httpx2.Timeout(10.0, connect=5.0), limits=LIMITS)
    _warn_if_plain_http(teams.login_url, "TEAMS_LOGIN_URL")
    _warn_if_plain_http(teams.openid_metadata_url, "TEAMS_OPENID_METADATA_URL")
    connector = BotConnector(teams, http, core.cache)
    files_http = httpx2.AsyncClient(timeout=FILES_TIMEOUT)
    directory = TeamsDirectory(connector, core.cache)
    messenger = TeamsMessenger(connector)
    deps = TeamsDeps(
        teams=teams,
        form=core.form,
        filing=core.filing(
            "teams",
            directory=directory,
            messenger=messenger,
            files=TeamsFiles(files_http, connector),
        ),
        claims=core.claims,
        connector=connector,
        directory=directory,
        messenger=messenger,
        follower=core.follower,
        my_requests=core.my_requests(directory),
        answer_within=answer_within,
    )
    verifier = ActivityVerifier(
        app_id=teams.app_id,
        issuer=teams.token_issuer,
        keys=SigningKeys(teams.openid_metadata_url, http),
    )
    return TeamsApp(
        deps=deps,
        verifier=verifier,
        core=core,
        _http=http,
        _owns_core=owns_core,
        _files_http=files_http,
    )


def _parse(body: bytes) -> Activity | None:
    try:
        activity = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(activity, dict) or _depth(activity) > JSON_DEPTH_MAX:
        return None
    return activity


def _depth(value: Any, level: int = 0) -> int:
    if level > JSON_DEPTH_MAX:
        return level
    if isinstance(value, dict):
        return max((_depth(item, level + 1) for item in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(item, level + 1) for item in value), default=level)
    return level


def _status(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def _warn_if_plain_http(url: str, setting: str) -> None:
    if url.startswith("http://") and not url.startswith(("http://127.", "http://localhost")):
        log.warning("plain_http_endpoint", extra={"setting": setting})
