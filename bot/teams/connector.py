"""The Bot Connector: how the bot posts, edits and looks people up in Teams.

Calls go to the activity's `serviceUrl` (kept whole, path included: `…/amer/`), which the
inbound token vouched for. They carry the bot's own token: OAuth 2 client credentials at
`{login}/{tenant}/oauth2/v2.0/token`, cached in the shared cache like the ServiceOps token
(one fetch at a time, shared by replicas, renewed before it expires), so a burst of tickets
costs one login. A 401 drops the token and retries once with a new one.

Posts are never retried after they may have been delivered (a timeout): a duplicate ticket
announcement is worse than a late one, and the caller falls back to a private message.

At most `CONNECTIONS` calls run at once, each on a connection kept alive for the next (a
burst of 100 people used to open 100 connections, close 80 and open them again); calls beyond
wait their turn here, not in httpcore's pool, whose bookkeeping grows with every request
queued in it and every connection it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import httpx2

from bot.config import TeamsSettings
from bot.serviceops.auth import TokenCache, cache_key
from bot.serviceops.models import TokenResponse

log = logging.getLogger("bot.teams.connector")

CONNECTIONS = 50
"""Most Bot Connector calls at once (see the module's docstring)."""
LIMITS = httpx2.Limits(
    max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS, keepalive_expiry=30.0
)
"""The pool of the bot's HTTP client for Teams: every connection it opens is kept."""

_ID_SAFE = ":;=@,._-!$'()*+~"
"""Characters Teams ids contain that stay as they are in a URL path (`19:x@thread.tacv2;
messageid=1`); anything else (`/`, `?`, `#`, `%`, spaces) is percent-encoded."""


class ConnectorError(Exception):
    """Teams refused a call or could not be reached.

    `status` is the HTTP status (None when no answer came); `code` Teams' error code when it
    gave one (`BotNotInConversationRoster`, `ConversationNotFound`, …).
    """

    def __init__(self, status: int | None, code: str) -> None:
        super().__init__(f"{status or 'no answer'} {code}")
        self.status = status
        self.code = code

    @property
    def refused(self) -> bool:
        """Teams answered no (the bot is not in that conversation, it is gone, …)."""
        return self.status is not None and 400 <= self.status < 500


class LoginError(ConnectorError):
    """The login endpoint refused the bot's credentials (an admin must fix the settings)."""


class BotConnector:
    """Bot Connector calls with the bot's cached token."""

    def __init__(self, teams: TeamsSettings, http: httpx2.AsyncClient, cache: Any) -> None:
        self._teams = teams
        self._http = http
        self._slots = asyncio.Semaphore(CONNECTIONS)
        self._tokens = TokenCache(
            key=cache_key("teams-token", teams.login_url, teams.tenant_id, teams.app_id),
            cache=cache,
            fetch=self._fetch_token,
            label="teams",
        )

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """A turn to call Teams, waited for no longer than the client's pool timeout.

        Raises:
            httpx2.PoolTimeout: no turn in time (nothing was sent).
        """
        try:
            async with asyncio.timeout(self._http.timeout.pool):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx2.PoolTimeout("no free Teams connection in time") from None
        try:
            yield
        finally:
            self._slots.release()

    async def token(self) -> str:
        """The bot's token (cached; fetched when missing or about to expire)."""
        return await self._tokens.get()

    async def send(self, service_url: str, conversation: str, activity: dict[str, Any]) -> str:
        """Post `activity` in `conversation` (a thread: `…;messageid=<root>`); its id."""
        answer = await self._call("POST", service_url, _path(conversation, "activities"), activity)
        return str((answer or {}).get("id") or "")

    async def update(
        self, service_url: str, conversation: str, activity_id: str, activity: dict[str, Any]
    ) -> None:
        """Replace the content of an activity the bot posted."""
        path = _path(conversation, "activities", activity_id)
        await self._call("PUT", service_url, path, {**activity, "id": activity_id})

    async def member(self, service_url: str, conversation: str, user: str) -> dict[str, Any]:
        """The member `user` of `conversation` (`email`, `userPrincipalName`, `name`, …)."""
        answer = await self._call("GET", service_url, _path(conversation, "members", user))
        return answer or {}

    async def open_personal(self, service_url: str, *, tenant: str, user: str) -> str:
        """The 1:1 conversation between the bot and `user` (created if needed); its id."""
        body = {
            "isGroup": False,
            "bot": {"id": f"28:{self._teams.app_id}"},
            "members": [{"id": user}],
            "tenantId": tenant,
            "channelData": {"tenant": {"id": tenant}},
        }
        answer = await self._call("POST", service_url, "v3/conversations", body)
        conversation = (answer or {}).get("id")
        if not isinstance(conversation, str) or not conversation:
            raise ConnectorError(None, "no conversation id")
        return conversation

    async def _call(
        self, method: str, service_url: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        url = service_url.rstrip("/") + "/" + path
        for attempt in (1, 2):
            token = await self.token()
            try:
                async with self._slot():
                    response = await self._http.request(
                        method, url, json=body, headers={"Authorization": f"Bearer {token}"}
                    )
            except httpx2.HTTPError as exc:
                log.warning(
                    "teams_call_failed", extra={"method": method, "error": type(exc).__name__}
                )
                raise ConnectorError(None, type(exc).__name__) from exc
            if response.status_code == 401 and attempt == 1:
                await self._tokens.invalidate(token)  # refused: never delivered, safe to resend
                continue
            if response.status_code >= 400:
                code = _error_code(response)
                log.warning(
                    "teams_call_refused",
                    extra={"method": method, "status": response.status_code, "code": code},
                )
                raise ConnectorError(response.status_code, code)
            return _json_object(response)
        raise ConnectorError(401, "Unauthorized")  # pragma: no cover (the loop returns or raises)

    async def _fetch_token(self) -> TokenResponse:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._teams.app_id,
            "client_secret": self._teams.app_password.get_secret_value(),
            "scope": self._teams.bot_scope,
        }
        try:
            async with self._slot():
                response = await self._http.post(self._teams.token_url, data=form)
        except httpx2.HTTPError as exc:
            log.warning("teams_login_unreachable", extra={"error": type(exc).__name__})
            raise ConnectorError(None, type(exc).__name__) from exc
        if response.status_code in (400, 401):
            code = _error_code(response)
            log.error("teams_login_refused", extra={"status": response.status_code, "code": code})
            raise LoginError(response.status_code, code)
        if response.status_code >= 400:
            raise ConnectorError(response.status_code, _error_code(response))
        try:
            return TokenResponse.model_validate(response.json())
        except ValueError as exc:
            raise ConnectorError(response.status_code, "unreadable token answer") from exc


def _path(conversation: str, *parts: str) -> str:
    segments = [urllib.parse.quote(conversation, safe=_ID_SAFE)]
    segments += [urllib.parse.quote(part, safe=_ID_SAFE) for part in parts[1:]]
    return "/".join(["v3/conversations", segments[0], parts[0], *segments[1:]])


def _json_object(response: httpx2.Response) -> dict[str, Any] | None:
    if not response.content:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _error_code(response: httpx2.Response) -> str:
    """Teams' (`{"error": {"code"}}`) or the login's (`{"error": "invalid_client"}`) code."""
    data = _json_object(response) or {}
    error = data.get("error")
    if isinstance(error, dict):
        return str(error.get("code") or "unknown")
    if isinstance(error, str):
        return error
    return "unknown"
