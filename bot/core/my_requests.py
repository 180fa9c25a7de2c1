""" "My requests": a person's own requests, and what they may do with them from the chat.

- The list: the person's open requests first (most recently changed first), then the ones
  closed in the last 30 days; read from ServiceOps, kept per person for 30 seconds, paged.
- One request by its number (`INC-12`): status, who handles it, the last public entries.
- Actions: add a comment (a `requestor_to_technician` entry), close (the configured closed
  status). Every action reads the request from ServiceOps first and compares its requester
  with the person's e-mail: a button's data is never trusted. Afterwards the person's list
  is read again.

The person's requests come from a search whose requester key is a GUESS (the vendor
documents none), so how it searches is a setting (`SearchMethod`): with a qualification on
the requester, by filtering the most recent requests, or the first and, should the server
refuse or ignore the qualification, the second from then on. Whatever a search returns,
only requests whose requester is the person are kept: a wrong key never shows anyone
another's tickets.

Nothing here is shaped by one platform: surfaces render the results (`RequestsPage`,
`RequestDetail`, `Done`, `Refused`, `Unavailable`) in their own dialect.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from bot.core.follow import html_to_words
from bot.core.model import Origin
from bot.core.ports import Directory
from bot.core.text import clean, truncate
from bot.core.tickets import TicketError, to_html
from bot.serviceops import (
    Conversation,
    Request,
    RequestNotFoundError,
    RequestRejectedError,
    ServiceOpsClient,
    ServiceOpsError,
    qual_details,
    requester_equals,
)

log = logging.getLogger("bot.my_requests")

SearchMethod = Literal["auto", "qualified", "filtered"]

CACHE_TTL = 30
"""Seconds a person's list is reused before ServiceOps is asked again."""
RECENT_DAYS = 30
"""Closed requests changed within this many days are listed after the open ones."""
READ_PAGE = 100
"""Search results asked for per call while building a list."""
ENTRIES_SHOWN = 3
"""Public conversation entries shown with one request."""
ENTRY_SHOWN = 500
"""Characters of one entry shown."""
COMMENT_MAX = 3000
"""Longest comment accepted (characters)."""
PUBLIC_TYPES = ("technician_to_requester", "requestor_to_technician")
"""Conversation entries a requester may read (never internal notes)."""
COMMENT_TYPE = "requestor_to_technician"
NUMBER = re.compile(r"^[A-Za-z]{1,10}-\d{1,12}$")
"""A request's display number, as people type it (`INC-12`, `sr-7`)."""

NOT_YOURS = "Only the requester can do that."
UNAVAILABLE = "The service desk isn't answering just now."


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RequestRow:
    """One request as a list shows it (text exactly as ServiceOps sent it: escape it)."""

    id: int
    number: str
    subject: str
    status: str
    priority: str | None
    updated_ms: int | None
    """When it last changed (epoch milliseconds), if ServiceOps said."""
    url: str
    closed: bool

    @property
    def updated_at(self) -> datetime | None:
        if self.updated_ms is None:
            return None
        return datetime.fromtimestamp(self.updated_ms / 1000, tz=UTC)


@dataclass(frozen=True)
class RequestsPage:
    """A page of the person's list: `rows` from `offset` of `total`."""

    rows: list[RequestRow]
    offset: int
    total: int
    capped: bool
    """The search stopped at its limit: older requests may be missing from the list."""

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts, or None on the last page."""
        end = self.offset + len(self.rows)
        return end if end < self.total else None


@dataclass(frozen=True)
class Entry:
    """A public conversation entry, as plain words."""

    by: str | None
    when: datetime | None
    text: str
    from_desk: bool


@dataclass(frozen=True)
class RequestDetail:
    """One of the person's requests, with who handles it and its last public entries."""

    row: RequestRow
    handled_by: str | None
    entries: list[Entry]


@dataclass(frozen=True)
class Done:
    """The action happened; `message` says so (bot words)."""

    message: str
    number: str


@dataclass(frozen=True)
class Refused:
    """Not allowed or not found; nothing was changed."""

    message: str


@dataclass(frozen=True)
class Unavailable:
    """ServiceOps (or the person's e-mail) could not be had; `retryable`: worth a retry."""

    message: str
    retryable: bool = True


# --------------------------------------------------------------------------- the service


class MyRequests:
    """A person's requests on one platform (whose `Directory` gives their e-mail).

    Args:
        client: the ServiceOps client.
        cache: the shared aiocache backend (per-person lists live there `cache_ttl` seconds).
        directory: the platform's people → e-mail.
        closed_status: the tenant's closed status name (set by "Close"; such requests are
            listed as closed).
        requester_key: the search key of a request's requester e-mail (a GUESS).
        method: how to search (see the module docstring).
        limit: most search results read for one list.
        changed: told the id of a request an action changed (follow-through).
    """

    def __init__(
        self,
        client: ServiceOpsClient,
        cache: Any,
        directory: Directory,
        *,
        closed_status: str = "Closed",
        requester_key: str = "request.requesterEmail",
        method: SearchMethod = "auto",
        limit: int = 200,
        cache_ttl: float = CACHE_TTL,
        changed: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.cache = cache
        self.directory = directory
        self.closed_status = closed_status
        self.requester_key = requester_key
        self.method: SearchMethod = method
        self.limit = limit
        self.cache_ttl = cache_ttl
        self._changed = changed
        self._clock = clock
        self.searches = 0
        """Searches made to build lists (tests, benchmarks)."""

    # ----------------------------------------------------------------------- reading

    async def page(
        self, who: Origin, *, offset: int = 0, size: int = 20
    ) -> RequestsPage | Unavailable:
        """Rows `offset`… of the person's list (at most `size`)."""
        email = await self._email(who)
        if isinstance(email, Unavailable):
            return email
        listed = await self._listed(email)
        if isinstance(listed, Unavailable):
            return listed
        rows, capped = listed
        offset = max(0, min(offset, max(len(rows) - 1, 0)))
        return RequestsPage(rows[offset : offset + size], offset, len(rows), capped)

    async def show(self, who: Origin, number: str) -> RequestDetail | Refused | Unavailable:
        """The request numbered `number` (`INC-12`), if it is the person's."""
        wanted = number.strip()
        if not NUMBER.match(wanted):
            return Refused(f"“{truncate(clean(wanted), 40)}” doesn't look like a ticket number.")
        email = await self._email(who)
        if isinstance(email, Unavailable):
            return email
        try:
            request = await self.client.find_by_number(wanted)
            if request is None:
                return Refused(f"I can't find {wanted.upper()} in the service desk.")
            if not _is_requester(request, email):
                return Refused(f"{request.name or wanted.upper()} isn't one of your requests.")
            entries = await self.client.conversations(request.id, types=list(PUBLIC_TYPES))
        except ServiceOpsError as exc:
            return _unavailable(exc)
        return RequestDetail(
            row=self._row(request),
            handled_by=_who_handles(request),
            entries=[_entry(item) for item in entries[-ENTRIES_SHOWN:]],
        )

    # ----------------------------------------------------------------------- actions

    async def comment(
        self, who: Origin, request_id: int, text: str
    ) -> Done | Refused | Unavailable:
        """Add `text` to the person's request as their reply to the service desk."""
        words = clean(text).strip()
        if not words:
            return Refused("Please write a comment first.")
        if len(words) > COMMENT_MAX:
            return Refused(f"Please keep the comment under {COMMENT_MAX} characters.")
        owned = await self._owned(who, request_id)
        if not isinstance(owned, tuple):
            return owned
        email, request = owned
        try:
            await self.client.add_conversation(
                request.id, conversation_type=COMMENT_TYPE, details_html=to_html(words)
            )
        except ServiceOpsError as exc:
            return _unavailable(exc, retryable=False)
        await self._forget(email)
        log.info("my_request_commented", extra={"ticket": request.name})
        return Done(f"Your comment was added to {request.name}.", request.name)

    async def close(self, who: Origin, request_id: int) -> Done | Refused | Unavailable:
        """Set the person's request to the closed status."""
        owned = await self._owned(who, request_id)
        if not isinstance(owned, tuple):
            return owned
        email, request = owned
        if _same(request.status_name, self.closed_status):
            return Done(f"{request.name} is already closed.", request.name)
        try:
            await self.client.update_request(request.id, status_name=self.closed_status)
        except RequestRejectedError as exc:
            return Refused(f"The service desk didn't accept that: {exc.user_message}")
        except ServiceOpsError as exc:
            return _unavailable(exc, retryable=False)
        await self._forget(email)
        if self._changed is not None:
            self._changed(request.id)
        log.info("my_request_closed", extra={"ticket": request.name})
        return Done(f"{request.name} is closed.", request.name)

    # ----------------------------------------------------------------------- internals

    async def _email(self, who: Origin) -> str | Unavailable:
        try:
            return await self.directory.email(who)
        except TicketError as exc:
            return Unavailable(str(exc), retryable=exc.retryable)

    async def _owned(
        self, who: Origin, request_id: int
    ) -> tuple[str, Request] | Refused | Unavailable:
        """The request, read from ServiceOps, when the person is its requester."""
        email = await self._email(who)
        if isinstance(email, Unavailable):
            return email
        try:
            request = await self.client.get_request(request_id)
        except RequestNotFoundError:
            return Refused("I can't find that request in the service desk any more.")
        except ServiceOpsError as exc:
            return _unavailable(exc)
        if not _is_requester(request, email):
            log.warning("my_request_not_owned", extra={"request": request_id, "user": who.user})
            return Refused(NOT_YOURS)
        return email, request

    async def _listed(self, email: str) -> tuple[list[RequestRow], bool] | Unavailable:
        key = _cache_key(email)
        cached = await self._cached(key)
        if cached is not None:
            return cached
        try:
            requests, complete = await self._search(email)
        except ServiceOpsError as exc:
            return _unavailable(exc)
        rows = self._ordered([self._row(r) for r in requests if _is_requester(r, email)])
        try:
            await self.cache.set(
                key,
                {"rows": [asdict(row) for row in rows], "capped": not complete},
                ttl=self.cache_ttl,
            )
        except Exception as exc:  # noqa: BLE001 (a cache down costs a search, nothing more)
            log.warning("my_requests_not_cached", extra={"error": type(exc).__name__})
        return rows, not complete

    async def _cached(self, key: str) -> tuple[list[RequestRow], bool] | None:
        try:
            value = await self.cache.get(key)
        except Exception as exc:  # noqa: BLE001 (read ServiceOps instead)
            log.warning("my_requests_cache_unreadable", extra={"error": type(exc).__name__})
            return None
        if not isinstance(value, dict):
            return None
        try:
            rows = [RequestRow(**row) for row in value["rows"]]
        except (KeyError, TypeError):
            return None
        return rows, bool(value.get("capped"))

    async def _forget(self, email: str) -> None:
        try:
            await self.cache.delete(_cache_key(email))
        except Exception as exc:  # noqa: BLE001 (the entry expires on its own)
            log.warning("my_requests_not_forgotten", extra={"error": type(exc).__name__})

    async def _search(self, email: str) -> tuple[list[Request], bool]:
        """The search results to pick the person's requests from; whether they are all."""
        self.searches += 1
        if self.method == "filtered":
            return await self.client.scan_requests(None, limit=self.limit, page_size=READ_PAGE)
        qual = qual_details(requester_equals(email, key=self.requester_key))
        try:
            found, complete = await self.client.scan_requests(
                qual, limit=self.limit, page_size=READ_PAGE
            )
        except RequestRejectedError as exc:
            if self.method != "auto" or isinstance(exc, RequestNotFoundError):
                raise
            self._fall_back("refused", exc.status)
            return await self.client.scan_requests(None, limit=self.limit, page_size=READ_PAGE)
        if self.method == "auto" and any(not _is_requester(r, email) for r in found):
            # The server ignored the qualification: these are everyone's requests (filtered
            # here all the same); from now on say so by searching without it.
            self._fall_back("ignored", None)
        return found, complete

    def _fall_back(self, why: str, status: int | None) -> None:
        if self.method == "filtered":
            return
        self.method = "filtered"
        log.warning(
            "my_requests_search_filtered",
            extra={"why": why, "status": status, "requester_key": self.requester_key},
        )

    def _row(self, request: Request) -> RequestRow:
        return RequestRow(
            id=request.id,
            number=request.name or f"#{request.id}",
            subject=request.subject or "",
            status=request.status_name or "",
            priority=request.priority_name,
            updated_ms=request.updated_time or request.created_time,
            url=self.client.portal_url(request.id, name=request.name),
            closed=_same(request.status_name, self.closed_status),
        )

    def _ordered(self, rows: list[RequestRow]) -> list[RequestRow]:
        """Open ones first, then those closed within `RECENT_DAYS`; newest change first."""
        since = (self._clock() - RECENT_DAYS * 86400) * 1000
        newest_first = sorted(rows, key=lambda row: (row.updated_ms or 0, row.id), reverse=True)
        open_rows = [row for row in newest_first if not row.closed]
        closed = [row for row in newest_first if row.closed and (row.updated_ms or 0) >= since]
        return open_rows + closed


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """ "just now", "5 min ago", "2 h ago", "3 d ago", or the date for older ones."""
    if when is None:
        return ""
    now = now or datetime.now(UTC)
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 30 * 86400:
        return f"{int(seconds // 86400)} d ago"
    return when.strftime("%d %b %Y")


def _cache_key(email: str) -> str:
    return f"mine:{email.strip().lower()}"


def _same(a: str | None, b: str) -> bool:
    return (a or "").strip().lower() == b.strip().lower()


def _is_requester(request: Request, email: str) -> bool:
    return _same(request.requester_email, email) and bool(email.strip())


def _who_handles(request: Request) -> str | None:
    extra = request.model_extra or {}
    for value in (extra.get("technicianName"), request.group_name):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _entry(conversation: Conversation) -> Entry:
    return Entry(
        by=conversation.created_by_name,
        when=conversation.created_time,
        text=truncate(html_to_words(conversation.details or ""), ENTRY_SHOWN),
        from_desk=(conversation.conversation_type or "").lower() == PUBLIC_TYPES[0],
    )


def _unavailable(exc: ServiceOpsError, *, retryable: bool = True) -> Unavailable:
    log.warning("my_requests_unavailable", extra={"error": type(exc).__name__})
    if isinstance(exc, RequestRejectedError):
        return Unavailable(exc.user_message, retryable=False)
    message = exc.user_message if not retryable else UNAVAILABLE
    return Unavailable(message, retryable=retryable and exc.retryable)
