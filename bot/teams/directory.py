"""Who a Teams user is, as ServiceOps needs it: core's `Directory` over the members API.

`GET {serviceUrl}/v3/conversations/{id}/members/{userId}` gives the person's `email`, else
their `userPrincipalName`, which is used only when it is a real address (a guest's
`…#EXT#@tenant.onmicrosoft.com` is not). Profiles are cached in the shared cache for an hour
(failures for a minute), as on Slack: a busy person costs one lookup an hour.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.core.model import Origin
from bot.core.tickets import MissingRequesterError, TicketError
from bot.teams.connector import BotConnector, ConnectorError

log = logging.getLogger("bot.teams.directory")

PROFILE_TTL = 3600
MISSING_TTL = 60
EMAIL = re.compile(r"^[^@\s#]+@[^@\s#]+\.[^@\s#]+$")

NO_EMAIL = (
    "I couldn't see an e-mail address on your Microsoft Teams account, and ServiceOps needs "
    "one to know who you are. Guests and some accounts have none: please ask your IT admin "
    "to file the ticket for you, or to add an e-mail address to your account."
)
NOT_FOUND = (
    "I can only file tickets for people I can look up in this conversation, and I couldn't "
    "find you. Please try again from a chat with me."
)
LOOKUP_FAILED = "I couldn't look up your Teams account just now. Please try again in a moment."


class TeamsDirectory:
    """Teams user id → e-mail and display name, cached."""

    def __init__(self, connector: BotConnector, cache: Any, *, ttl: float = PROFILE_TTL) -> None:
        self._connector = connector
        self._cache = cache
        self._ttl = ttl

    async def profile(self, user: str, origin: Origin) -> dict[str, Any]:
        """`{"email": str | None, "name": str, "problem": str | None}` for a user."""
        key = f"teams-user:{origin.workspace or '-'}:{user}"
        cached = await self._cache.get(key)
        if cached is not None:
            return dict(cached)
        if not origin.endpoint or not origin.conversation:
            raise TicketError(LOOKUP_FAILED, retryable=True)
        try:
            member = await self._connector.member(origin.endpoint, origin.conversation, user)
        except ConnectorError as exc:
            log.warning(
                "teams_member_lookup_failed", extra={"status": exc.status, "code": exc.code}
            )
            if exc.status == 404:
                profile = {"email": None, "name": user, "problem": "not_found"}
                await self._cache.set(key, profile, ttl=MISSING_TTL)
                return profile
            raise TicketError(LOOKUP_FAILED, retryable=True) from exc
        email = _address(member.get("email")) or _address(member.get("userPrincipalName"))
        name = str(member.get("name") or member.get("givenName") or user).strip() or user
        profile = {"email": email, "name": name, "problem": None if email else "no_email"}
        await self._cache.set(key, profile, ttl=self._ttl if email else MISSING_TTL)
        return profile

    async def email(self, origin: Origin) -> str:
        profile = await self.profile(origin.user, origin)
        if profile["email"]:
            return str(profile["email"])
        raise MissingRequesterError(NOT_FOUND if profile["problem"] == "not_found" else NO_EMAIL)

    async def name(self, user: str, origin: Origin) -> str:
        known = await self._cache.get(_name_key(user, origin))
        if isinstance(known, str) and known:
            return known
        try:
            return str((await self.profile(user, origin))["name"])
        except TicketError:
            return user

    async def remember_name(self, user: str, name: str, origin: Origin) -> None:
        """Keep a display name an activity gave (a message's author), sparing a lookup."""
        if name.strip():
            await self._cache.set(_name_key(user, origin), name.strip(), ttl=self._ttl)


def _name_key(user: str, origin: Origin) -> str:
    return f"teams-name:{origin.workspace or '-'}:{user}"


def _address(value: Any) -> str | None:
    """`value` when it is a plain e-mail address (not a guest's `#EXT#` principal name)."""
    if isinstance(value, str) and EMAIL.match(value.strip()):
        return value.strip()
    return None
