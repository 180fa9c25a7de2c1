"""What a "Try again" or "Back to the form" button needs: the draft, its origin, its attempt.

Slack gives us small places to carry state (button values ≤ 2000 characters, modal metadata
≤ 3000). A pending ticket is carried inline as JSON when it fits, so it survives a restart of
an in-memory deployment; when it does not fit (a long description) it goes to the shared cache
and the button carries the key.
"""

from __future__ import annotations

import secrets
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.core.drafts import Origin, TicketDraft
from bot.slack.text import length

STATE_TTL = 7 * 24 * 3600
KEY_PREFIX = "k:"


class PendingTicket(BaseModel):
    """A draft on its way to ServiceOps, with everything needed to file or edit it again."""

    origin: Origin
    draft: TicketDraft
    attempt_id: str
    force_new: bool = False
    author_id: str | None = None
    """Who wrote the source message (shortcut), for the description's footer."""
    permalink: str | None = None
    """Link to the source message, for the description's footer."""


class StateStore:
    """Saves pending tickets inline or in the cache, and loads them back."""

    def __init__(self, cache: Any, *, ttl: float = STATE_TTL) -> None:
        self._cache = cache
        self._ttl = ttl

    async def save(self, pending: PendingTicket, *, limit: int = 2000) -> str:
        """A token of at most `limit` characters from which `load` rebuilds `pending`.

        Characters are counted as `bot.slack.text.length` counts them (UTF-16 code units),
        so a draft full of emoji does not make a button value Slack refuses.
        """
        inline = pending.model_dump_json(exclude_defaults=True)
        if length(inline) <= limit:
            return inline
        key = KEY_PREFIX + secrets.token_urlsafe(16)
        await self._cache.set(f"state:{key}", pending.model_dump(mode="json"), ttl=self._ttl)
        return key

    async def load(self, token: str) -> PendingTicket | None:
        """The pending ticket behind `token`; None when it expired or is not ours."""
        try:
            if token.startswith(KEY_PREFIX):
                stored = await self._cache.get(f"state:{token}")
                return None if stored is None else PendingTicket.model_validate(stored)
            return PendingTicket.model_validate_json(token)
        except ValidationError:
            return None


class FormContext(BaseModel):
    """What the ticket modal carries in `private_metadata` (≤ 3000 characters)."""

    origin: Origin
    force_new: bool = False
    author_id: str | None = None
    permalink: str | None = None
    attempt_id: str | None = None
    """Set when the form is reopened after a failed attempt, so a resubmission continues it."""

    def encode(self) -> str:
        return self.model_dump_json(exclude_defaults=True)

    @classmethod
    def decode(cls, raw: str) -> FormContext | None:
        try:
            return cls.model_validate_json(raw)
        except ValidationError:
            return None

    def pending(self, draft: TicketDraft, attempt_id: str) -> PendingTicket:
        return PendingTicket(
            origin=self.origin,
            draft=draft,
            attempt_id=self.attempt_id or attempt_id,
            force_new=self.force_new,
            author_id=self.author_id,
            permalink=self.permalink,
        )

    @classmethod
    def of(cls, pending: PendingTicket) -> FormContext:
        return cls(
            origin=pending.origin,
            force_new=pending.force_new,
            author_id=pending.author_id,
            permalink=pending.permalink,
        )
