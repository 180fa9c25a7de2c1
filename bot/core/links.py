"""The durable link between a filed request and the conversation it was announced in.

Every filed ticket gets one `TicketLink`: which ServiceOps request it is, where it lives in
chat (platform, conversation, thread), who asked for it, the bot's own message, and what the
bot last told there. Core keeps the conversation and the request in step through it: a status
change is posted once, a reply in the thread finds its request, and nothing is lost to a
restart, a replica's death or weeks of silence.

Links live in a `LinkStore`, not in the cache: the cache may forget, a store may not. This
module is the data model and the protocol only; `bot.state` builds the stores (SQLite or
Redis, chosen by `STATE_URL`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol, runtime_checkable

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_serializer

from bot.core.model import FiledTicket, Origin, Platform

CLOSED_STATUSES: frozenset[str] = frozenset({"Closed"})
"""Status names after which a request needs no more watching, as ServiceOps spells them
(tenants may rename statuses: callers pass their own set to `LinkStore.open_links`)."""


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware datetime, normalised to UTC (a naive one is refused: its zone is a guess)."""


@dataclass(frozen=True)
class ThreadKey:
    """Where a ticket's conversation happens: a thread of one conversation on one platform.

    Conversation and thread ids are the platform's own and opaque to core.
    """

    platform: Platform
    conversation: str
    thread: str

    @classmethod
    def of(cls, origin: Origin) -> ThreadKey | None:
        """The thread an event happened in (a reply in a thread names its root), or None when
        the event was not in a thread of a conversation."""
        if origin.conversation is None or origin.thread is None:
            return None
        return cls(origin.platform, origin.conversation, origin.thread)


class TicketLink(BaseModel):
    """One filed request and where it lives in chat. Immutable: stores hand out new copies.

    Values are JSON-safe (`model_dump(mode="json")`): timestamps become ISO 8601 strings in
    UTC with microseconds, so their text sorts in time order.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: int
    """ServiceOps' id of the request (not the display number)."""
    number: str
    """Display name, e.g. INC-12."""
    url: str
    """Link to the request in the ServiceOps portal."""
    subject: str

    platform: Platform
    workspace: str | None = None
    """The platform's tenant, when it scopes conversation ids."""
    conversation: str | None = None
    """Where the ticket was announced; None when it was only told privately."""
    thread: str | None = None
    """The thread the ticket lives in (its root). For a ticket filed from a message it is that
    message's thread; for a command in a channel it is the announcement itself, which starts
    the thread. None when the conversation has no thread to follow."""
    endpoint: str | None = None
    """Where the platform's API for this conversation lives, when that varies (Teams' service
    URL); opaque to core."""
    requester: str
    """The platform's id of the person who filed it."""
    requester_email: str | None = None
    """The requester as ServiceOps knows them."""
    announcement: str | None = None
    """The id of the bot's message naming the ticket, if it posted one."""

    last_status: str | None = None
    """The last status the bot told in the thread (None: none told yet)."""
    last_conversation_seen: int | None = Field(default=None, ge=0)
    """The highest id of a technician's conversation entry already posted in the thread."""
    broken: bool = False
    """The platform refused posting in the thread; the requester was told once, and the bot
    stops trying."""

    created_at: UtcDatetime = Field(default_factory=utcnow)
    updated_at: UtcDatetime = Field(default_factory=utcnow)

    @field_serializer("created_at", "updated_at", when_used="json")
    def _iso(self, value: datetime) -> str:
        return value.isoformat(timespec="microseconds")

    @classmethod
    def for_ticket(
        cls,
        ticket: FiledTicket,
        origin: Origin,
        *,
        requester_email: str | None = None,
        announcement: str | None = None,
        thread: str | None = None,
        now: datetime | None = None,
    ) -> TicketLink:
        """The link of a ticket just filed from `origin` and announced as `announcement`.

        The thread is `thread` when given, else the origin's thread, else the announcement
        (a message posted in a conversation starts its own thread).
        """
        when = now or utcnow()
        return cls(
            request_id=ticket.id,
            number=ticket.number,
            url=ticket.url,
            subject=ticket.subject,
            platform=origin.platform,
            workspace=origin.workspace,
            conversation=origin.conversation,
            thread=thread or origin.thread or (announcement if origin.conversation else None),
            endpoint=origin.endpoint,
            requester=origin.user,
            requester_email=requester_email,
            announcement=announcement,
            created_at=when,
            updated_at=when,
        )

    @property
    def thread_key(self) -> ThreadKey | None:
        """The thread replies to this ticket arrive in, or None when it has none."""
        if self.conversation is None or self.thread is None:
            return None
        return ThreadKey(self.platform, self.conversation, self.thread)

    def is_open(self, closed: Collection[str] = CLOSED_STATUSES) -> bool:
        """True until the bot has told a status in `closed` (no status told yet is open)."""
        return self.last_status is None or self.last_status not in closed

    def changed(self, changes: dict[str, Any], *, now: datetime | None = None) -> TicketLink:
        """A validated copy with `changes` applied and `updated_at` set to `now` (default: the
        current time) unless `changes` sets it.

        Raises:
            ValueError: a change names an unknown field, the request id or the creation time,
                or a value is invalid (pydantic's `ValidationError` is a `ValueError`).
        """
        self.check_changes(changes)
        values = {**self.model_dump(), "updated_at": now or utcnow(), **changes}
        return type(self).model_validate(values)

    @classmethod
    def check_changes(cls, changes: Mapping[str, object]) -> None:
        """Refuse changes to unknown fields, the request id or the creation time (a store
        calls it before any I/O; values are checked when the change is applied).

        Raises:
            ValueError: naming the fields.
        """
        fixed = sorted(IMMUTABLE_FIELDS & changes.keys())
        if fixed:
            raise ValueError(f"a link's {', '.join(fixed)} cannot change")
        unknown = sorted(changes.keys() - cls.model_fields.keys())
        if unknown:
            raise ValueError(f"a link has no field {', '.join(unknown)}")


IMMUTABLE_FIELDS: frozenset[str] = frozenset({"request_id", "created_at"})
"""Fields `LinkStore.update` refuses to change: they identify and date the link."""


class LinkStoreError(Exception):
    """A store could not do what was asked (unreachable, refused, unusable schema). Stores
    raise it, or a subclass, instead of their backend's own errors; its message names the
    store and what to do."""


@runtime_checkable
class LinkStore(Protocol):
    """Where links live. What core expects of every store:

    - durable: a link saved survives the process, a restart of the store's server and weeks
      without use (nothing expires);
    - one link per request id; `save` inserts or replaces it whole;
    - `update` is an atomic read-modify-write of one link, safe when several replicas update
      the same link at once: each caller's changes land, none overwrites another's fields
      with stale values;
    - safe to share between tasks of one process, and never blocks the event loop;
    - refuses to start on a schema newer than it knows, rather than misreading it.
    """

    async def migrate(self) -> int:
        """Create or upgrade the store's schema (idempotent) and return its version.

        Every other method does it on first use; calling it at start-up fails early.
        """
        ...

    async def save(self, link: TicketLink) -> None:
        """Insert `link`, or replace the link with its request id."""
        ...

    async def get(self, request_id: int) -> TicketLink | None:
        """The link of one request, or None."""
        ...

    async def by_thread(self, platform: str, conversation: str, thread: str) -> TicketLink | None:
        """The link whose ticket lives in this thread; the newest one when several do (two
        tickets filed from one thread), or None."""
        ...

    async def update(self, request_id: int, /, **changes: Any) -> TicketLink | None:
        """Apply `changes` to one link atomically and return the new link (None when there is
        no link). `updated_at` becomes the current time unless `changes` sets it.

        Raises:
            ValueError: as `TicketLink.changed`.
        """
        ...

    async def open_links(
        self,
        limit: int,
        after_request_id: int | None = None,
        *,
        closed: Collection[str] = CLOSED_STATUSES,
    ) -> list[TicketLink]:
        """Up to `limit` links whose last status told is not in `closed`, by ascending request
        id, after `after_request_id` when given.

        Page with the last request id of a page; a page may come back short when links close
        meanwhile, so the end is an empty page.
        """
        ...

    async def count(self) -> int:
        """How many links the store holds."""
        ...

    async def close(self) -> None:
        """Release connections and threads; the store cannot be used afterwards."""
        ...
