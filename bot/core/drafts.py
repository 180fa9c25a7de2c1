"""Stored drafts: what a form, a "Try again" or a "Back to the form" button needs later.

A `PendingTicket` is a draft with its origin and its filing attempt. It travels with the
interaction (a form's metadata, a button's value) when it fits, so it survives a restart of
an in-memory deployment and any replica can handle the next step; when it does not fit (a
long description), `StateStore` keeps it in the shared cache and the button carries the key.

An inline token is sealed (`SEAL_PREFIX`, then an HMAC of the JSON under a key the bot derives
from its own secrets): a card's data comes back from the person's client, where it can be
rewritten, and the origin inside names where the bot posts with its credentials (a Teams
`serviceUrl`). A token whose seal does not match is read as expired, never used.

A saved draft is cut to what the form can show (`fitted`: the subject to 250 characters, the
description to 3,000, …), exactly as the forms cut it when they open: a 35,000-character
message does not keep 35,000 characters in the cache for a week when the form would show
3,000 of them. And one person keeps at most `DRAFTS_PER_PERSON` drafts in the cache: saving
one more drops their oldest (its buttons then open an empty form and say why), so nobody can
fill the cache by writing to the bot over and over.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from bot.core.form import (
    CC_MAX,
    CC_TEXT_MAX,
    DEPARTMENT_MAX,
    DESCRIPTION_MAX,
    SUBJECT_MAX,
    TAGS_SCAN_MAX,
)
from bot.core.model import ChatFile, Origin, TicketDraft
from bot.core.text import clean, length, one_line, truncate

log = logging.getLogger("bot.drafts")

STATE_TTL = 7 * 24 * 3600
"""How long a stored draft can be brought back (a week)."""
DRAFTS_PER_PERSON = 50
"""Most drafts one person keeps in the cache (inline ones cost nothing and are not counted)."""
KEY_PREFIX = "k:"
SEAL_PREFIX = "s1:"
SEAL_CHARS = 22
"""Characters of a token's seal: HMAC-SHA256 in base64url, cut to 132 bits."""
INLINE_LIMIT = 2000
"""Longest token handed out by default (a Slack button's value; Teams card data allows more)."""


SHORTENED = "\n… (shortened to fit the form)"
"""Ends a description cut to fit (the forms end it the same way)."""
CC_SCAN_MAX = 100
"""Most CC addresses kept of a draft (the form shows what it accepts, and says so)."""
NAME_MAX = 250
"""Longest priority, urgency or impact name kept (the forms offer configured names only)."""


def new_attempt_id() -> str:
    """A fresh filing attempt id."""
    return secrets.token_urlsafe(12)


class PendingTicket(BaseModel):
    """A draft on its way to ServiceOps, with everything needed to file or edit it again.

    A form carries one with an empty draft (the form holds the fields) and, unless it
    continues a failed attempt, no attempt id; `filing` completes it when it is submitted.
    """

    origin: Origin
    draft: TicketDraft = Field(default_factory=TicketDraft)
    attempt_id: str | None = None
    """Set once a filing attempt exists; a resubmission continues it (never a duplicate)."""
    force_new: bool = False
    """The person asked for a separate ticket for an already-filed message."""
    author: str | None = None
    """Who wrote the source message, for the description's footer."""
    link: str | None = None
    """Link to the source message, for the description's footer."""
    requester_email: str | None = None
    """The requester's e-mail, once looked up (kept with the ticket's link)."""
    files: list[ChatFile] = Field(default_factory=list)
    """Chat files to attach (references: they are fetched only when the ticket is filed)."""

    def with_files(self, files: list[ChatFile]) -> PendingTicket:
        """This draft with `files` added (a file already here is not added twice)."""
        known = {file.id for file in self.files}
        added: list[ChatFile] = []
        for file in files:
            if file.id not in known:
                known.add(file.id)
                added.append(file)
        return self.model_copy(update={"files": [*self.files, *added]}) if added else self

    def filing(self, draft: TicketDraft, *, attempt_id: str) -> PendingTicket:
        """This form submitted with `draft`: its own attempt, or `attempt_id` for a new one."""
        return self.model_copy(update={"draft": draft, "attempt_id": self.attempt_id or attempt_id})

    def for_form(self, *, keep_attempt: bool = False) -> PendingTicket:
        """What a form opened for this draft carries (the draft itself is in the fields).

        `keep_attempt`: the form continues this attempt (reopened after a failure), so
        submitting it again cannot file a second ticket.
        """
        return self.model_copy(
            update={
                "draft": TicketDraft(),
                "attempt_id": self.attempt_id if keep_attempt else None,
            }
        )

    def separately(self) -> PendingTicket:
        """The same draft as a new attempt that files a ticket even if the message has one."""
        return self.model_copy(update={"force_new": True, "attempt_id": new_attempt_id()})

    def encode(self) -> str:
        """Compact JSON (defaults left out, and the e-mail, which is looked up again)."""
        return self.model_dump_json(exclude_defaults=True, exclude={"requester_email"})

    @classmethod
    def decode(cls, raw: str) -> PendingTicket | None:
        """The pending ticket encoded in `raw`; None when it is not one (expired shapes too)."""
        try:
            return cls.model_validate_json(raw)
        except ValidationError:
            return None


class StateStore:
    """Saves pending tickets inline or in the cache, and loads them back."""

    def __init__(
        self,
        cache: Any,
        *,
        seal_key: bytes,
        ttl: float = STATE_TTL,
        per_person: int = DRAFTS_PER_PERSON,
    ) -> None:
        self._cache = cache
        self._seal_key = seal_key
        self._ttl = ttl
        self._per_person = per_person

    def _seal(self, encoded: str) -> str:
        mac = hmac.digest(self._seal_key, encoded.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac).decode()[:SEAL_CHARS]

    def _unsealed(self, token: str) -> str | None:
        """The JSON of a sealed token; None when the seal is missing or does not match."""
        if not token.startswith(SEAL_PREFIX):
            return None
        body = token[len(SEAL_PREFIX) :]
        seal, encoded = body[:SEAL_CHARS], body[SEAL_CHARS:]
        return encoded if hmac.compare_digest(seal, self._seal(encoded)) else None

    async def save(self, pending: PendingTicket, *, limit: int = INLINE_LIMIT) -> str:
        """A token of at most `limit` characters from which `load` rebuilds `pending`, its
        draft cut to what the form can show (`fitted`).

        A draft with files is always kept in the cache: the bot fetches a file from where
        its reference says, with its own credentials, so references never travel through a
        person's client (a card's data can be rewritten there), and `load` ignores files
        in an inline token.

        Characters are counted in UTF-16 code units (`bot.core.text.length`), so a draft
        full of emoji does not make a token the platform refuses.
        """
        pending = pending.model_copy(update={"draft": fitted(pending.draft)})
        encoded = pending.encode()
        inline = f"{SEAL_PREFIX}{self._seal(encoded)}{encoded}"
        if length(inline) <= limit and not pending.files:
            return inline
        key = KEY_PREFIX + secrets.token_urlsafe(16)
        stored = pending.model_dump(mode="json", exclude={"requester_email"})
        await self._cache.set(f"state:{key}", stored, ttl=self._ttl)
        await self._keep_few(pending.origin, key)
        return key

    async def _keep_few(self, origin: Origin, key: str) -> None:
        """Give `key` the next of its person's `per_person` slots, dropping the draft that
        held it (their oldest). The slot number comes from an atomic counter, so saves at the
        same instant, on any replica, take different slots."""
        person = f"drafts-of:{origin.platform}:{origin.workspace or '-'}:{origin.user}"
        count = await self._cache.increment(person)
        await self._cache.expire(person, self._ttl)
        slot = f"{person}:{count % self._per_person}"
        oldest = await self._cache.get(slot)
        await self._cache.set(slot, key, ttl=self._ttl)
        if oldest and oldest != key:
            await self._cache.delete(f"state:{oldest}")
            log.info("draft_dropped", extra={"user": origin.user})

    async def load(self, token: str) -> PendingTicket | None:
        """The pending ticket behind `token`; None when it expired or is not ours."""
        try:
            if token.startswith(KEY_PREFIX):
                stored = await self._cache.get(f"state:{token}")
                return None if stored is None else PendingTicket.model_validate(stored)
            encoded = self._unsealed(token)
            if encoded is None:
                if token:
                    log.warning("draft_seal_mismatch")
                return None
            pending = PendingTicket.model_validate_json(encoded)
        except ValidationError:
            return None
        if pending.files:  # never handed out so (see `save`)
            log.warning("inline_draft_files_dropped", extra={"count": len(pending.files)})
            return pending.model_copy(update={"files": []})
        return pending


def fitted(draft: TicketDraft) -> TicketDraft:
    """`draft` cut to what the ticket form can show, the way the forms cut it on opening
    (so a form opened from the saved draft shows exactly what it would have shown)."""
    department = draft.department
    if department is not None and length(department) > NAME_MAX:
        department = truncate(one_line(clean(department)), DEPARTMENT_MAX)
    return TicketDraft(
        subject=truncate(one_line(clean(draft.subject)), SUBJECT_MAX),
        description=truncate(clean(draft.description).strip(), DESCRIPTION_MAX, marker=SHORTENED),
        priority=_name(draft.priority),
        urgency=_name(draft.urgency),
        impact=_name(draft.impact),
        department=department,
        tags=[tag for tag in draft.tags[:TAGS_SCAN_MAX] if length(tag) <= DESCRIPTION_MAX],
        category=_name(draft.category),
        location=_name(draft.location),
        cc_people=[person for person in draft.cc_people[:CC_MAX] if length(person) <= NAME_MAX],
        cc_emails=[
            email for email in draft.cc_emails[:CC_SCAN_MAX] if length(email) <= CC_TEXT_MAX
        ],
    )


def _name(value: str | None) -> str | None:
    """A chosen name; one too long to be any of the form's choices is dropped."""
    return value if value is None or length(value) <= NAME_MAX else None
