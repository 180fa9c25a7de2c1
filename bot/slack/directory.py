"""Who a Slack user is, as ServiceOps needs it: core's `Directory` over `users.info`.

The requester is an e-mail (and a name goes into descriptions).

`users.info` is Tier 4 and the answer rarely changes, so profiles are cached in the shared
cache (an hour by default): a busy person costs one lookup per hour, whatever replica serves
them. Lookups that fail (no e-mail visible) are cached briefly, so a retry storm does not
hammer Slack, yet an admin's fix shows up within a minute.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.model import Origin
from bot.core.tickets import MissingRequesterError, TicketError
from bot.slack.api_errors import slack_error

log = logging.getLogger("bot.slack.directory")

PROFILE_TTL = 3600
MISSING_TTL = 60


class SlackDirectory:
    """Slack user id → e-mail and display name, cached."""

    def __init__(self, client: AsyncWebClient, cache: Any, *, ttl: float = PROFILE_TTL) -> None:
        self._client = client
        self._cache = cache
        self._ttl = ttl

    async def profile(self, user_id: str) -> dict[str, Any]:
        """`{"email": str | None, "name": str, "problem": str | None}` for a user."""
        key = f"user:{user_id}"
        cached = await self._cache.get(key)
        if cached is not None:
            return dict(cached)
        try:
            response = await self._client.users_info(user=user_id)
        except SlackApiError as exc:
            error = slack_error(exc)
            log.warning("users_info_failed", extra={"user": user_id, "error": error})
            if error == "user_not_found":
                profile = {"email": None, "name": user_id, "problem": "not_found"}
                await self._cache.set(key, profile, ttl=MISSING_TTL)
                return profile
            raise TicketError(
                "I couldn't look up your Slack profile just now. Please try again in a moment.",
                retryable=True,
            ) from exc
        user = response.get("user") or {}
        raw = user.get("profile") or {}
        email = (raw.get("email") or "").strip() or None
        name = (
            raw.get("display_name") or raw.get("real_name") or user.get("real_name") or user_id
        ).strip() or user_id
        problem = None
        if user.get("is_bot") or user_id == "USLACKBOT":
            problem = "bot"
        elif user.get("deleted"):
            problem = "deleted"
        elif email is None:
            problem = "no_email"
        profile = {"email": email, "name": name, "problem": problem}
        await self._cache.set(key, profile, ttl=self._ttl if problem is None else MISSING_TTL)
        return profile

    async def email(self, origin: Origin) -> str:
        """The e-mail of `origin.user` for `requesterEmail`.

        Raises:
            MissingRequesterError: no e-mail is visible; the message says what to ask an admin.
        """
        profile = await self.profile(origin.user)
        if profile["email"] and profile["problem"] is None:
            return str(profile["email"])
        raise MissingRequesterError(_missing_email_message(profile["problem"]))

    async def name(self, user_id: str, origin: Origin | None = None) -> str:
        """Display name for descriptions; the id itself when the lookup fails."""
        try:
            return str((await self.profile(user_id))["name"])
        except TicketError:
            return user_id


def _missing_email_message(problem: str | None) -> str:
    if problem in ("bot", "not_found", "deleted"):
        return (
            "I can only file tickets for people with an active Slack account, and I couldn't "
            "find yours."
        )
    return (
        "I couldn't see an e-mail address on your Slack profile, and ServiceOps needs one to "
        "know who you are. Please ask your Slack admin to make e-mail addresses visible to "
        "apps (the bot needs the users:read.email scope), or add an e-mail to your profile."
    )
