"""Follow-through: after filing, the ticket's thread and its request stay in step.

- A status change is posted in the ticket's thread once, whichever replica hears of it and
  however often ("INC-12 is now In Progress (Sam Lee)"). "Resolved" carries the resolution
  and asks the requester whether it is fixed ("Yes, close it" / "No, reopen").
- What technicians write to the requester (`technician_to_requester`) since the last look is
  posted in the thread too, marked as from the service desk.
- A person's reply in the thread becomes a conversation entry on the request: the
  requester's own reply as theirs, anyone else's as a note naming them.

The request is always read back from ServiceOps: a webhook's payload only says which one
changed. Calls for one request that come close together cost one read. What was told lives
in the durable link (`TicketLink.last_status`, `last_conversation_seen`), and each post is
claimed first, so replicas and retries never post twice.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bot.core.claims import Claims
from bot.core.delivery import InConversation, InThread
from bot.core.links import LinkStore, ThreadKey, TicketLink
from bot.core.model import PLATFORM_NAMES, Origin
from bot.core.ports import DeskReply, Messenger, StatusChanged, Text
from bot.core.text import clean, truncate
from bot.core.tickets import to_html
from bot.serviceops import (
    Request,
    RequestRejectedError,
    ServiceOpsClient,
    ServiceOpsError,
)

log = logging.getLogger("bot.follow")

TOLD_TTL = 30 * 24 * 3600
"""How long a claim remembers that a status or a reply was told (a month)."""
REPLY_TTL = 24 * 3600
RETRY_DELAYS = (2, 5, 10, 30, 60, 120, 300)
"""Seconds between tries of work ServiceOps could not take (it was down)."""
DEBOUNCE = 0.5
"""Seconds without another call about a request before it is read (one read for a burst)."""
DEBOUNCE_MAX = 5.0
"""Longest a noted change waits for calls to stop (calls that never stop still get reads)."""
DESK_REPLY_TYPE = "technician_to_requester"
REQUESTER_REPLY_TYPE = "requestor_to_technician"
NOTE_TYPE = "note"
REPLY_SHOWN = 3000
_TAGS = re.compile(r"<[^>]*>")
_BREAKS = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)


# --------------------------------------------------------------------------- the flow


class PostFailed(Exception):
    """The platform could not take a post now (down, rate limited, unreachable): unlike a
    refusal, it says nothing about the thread, so the post is tried again later."""


@dataclass
class Statuses:
    """Status names as the tenant spells them (settings)."""

    resolved: str = "Resolved"
    closed: str = "Closed"
    reopened: str = "Open"
    finished: frozenset[str] = frozenset({"Closed"})
    """After these nothing is followed any more."""


@dataclass
class Follower:
    """Keeps filed tickets and their threads in step, for every platform registered."""

    client: ServiceOpsClient
    links: LinkStore
    claims: Claims
    statuses: Statuses = field(default_factory=Statuses)
    sync_replies: Callable[[str, str], bool] = lambda platform, conversation: True
    """Whether replies in a conversation become entries (`BOT_CONFIG`'s `sync_replies`)."""
    debounce: float = DEBOUNCE
    debounce_max: float = DEBOUNCE_MAX
    messengers: dict[str, Messenger] = field(default_factory=dict)
    _scheduled: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    _last_call: dict[int, float] = field(default_factory=dict)
    _retrying: set[asyncio.Task[None]] = field(default_factory=set)
    _again: set[int] = field(default_factory=set)

    def register(self, platform: str, messenger: Messenger) -> None:
        """A surface's messenger posts in its platform's threads."""
        self.messengers[platform] = messenger

    # ----------------------------------------------------------------------- changes

    def changed(self, request_id: int) -> None:
        """Note that a request changed; it is read back shortly (calls close together cost
        one read; a call during the read makes one more read after it)."""
        self._last_call[request_id] = asyncio.get_running_loop().time()
        running = self._scheduled.get(request_id)
        if running is not None and not running.done():
            self._again.add(request_id)
            return
        task = asyncio.create_task(self._after_debounce(request_id))
        self._scheduled[request_id] = task

    async def idle(self) -> None:
        """Wait until every noted change has been handled (tests, shutdown)."""
        while pending := [task for task in self._scheduled.values() if not task.done()]:
            await asyncio.wait(pending)

    async def aclose(self, wait: float = 5.0) -> None:
        """Let changes about to be read finish (up to `wait` seconds), cancel the rest
        (retries of a down ServiceOps: polling or the next webhook call covers them)."""
        pending = [t for t in [*self._scheduled.values(), *self._retrying] if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=wait)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _after_debounce(self, request_id: int) -> None:
        failures = 0
        try:
            while True:
                if failures == 0:
                    await self._quiet(request_id)
                else:
                    await asyncio.sleep(RETRY_DELAYS[failures - 1])
                self._again.discard(request_id)
                try:
                    await self.sync(request_id)
                    failures = 0
                except (ServiceOpsError, PostFailed) as exc:
                    failures += 1
                    log.warning(
                        "follow_post_failed"
                        if isinstance(exc, PostFailed)
                        else "follow_read_failed",
                        extra={"request_id": request_id, "error": type(exc).__name__},
                    )
                    if failures > len(RETRY_DELAYS):
                        log.error("follow_gave_up", extra={"request_id": request_id})
                        return
                    continue  # ServiceOps or the platform is down: try again later
                except Exception:  # the boundary of background work: log it
                    log.exception("follow_failed", extra={"request_id": request_id})
                if request_id not in self._again:
                    return
        finally:
            self._scheduled.pop(request_id, None)
            self._last_call.pop(request_id, None)

    async def _quiet(self, request_id: int) -> None:
        """Wait until no call about the request came for `debounce` seconds (at most
        `debounce_max`): a burst longer than `debounce` still costs one read."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.debounce_max
        while True:
            wake = min(self._last_call.get(request_id, 0.0) + self.debounce, deadline)
            if wake <= loop.time():
                return
            await asyncio.sleep(wake - loop.time())

    async def sync(self, request_id: int) -> bool:
        """Read the request and tell its thread what changed since the last time.

        Returns whether the request is linked. Raises `ServiceOpsError` when ServiceOps
        cannot be read, `PostFailed` when the platform cannot take a post now (the caller
        tries again later: nothing is lost).
        """
        link = await self.links.get(request_id)
        if link is None or link.broken:
            return link is not None
        request = await self.client.get_request(request_id)
        link = await self._tell_status(link, request)
        await self._tell_desk_replies(link)
        return True

    async def _tell_status(self, link: TicketLink, request: Request) -> TicketLink:
        status = request.status_name
        if not status or status == link.last_status:
            return link
        marker = request.updated_time or 0
        key = f"told:status:{link.request_id}:{status}:{marker}"
        if await self.claims.claim(key, ttl=TOLD_TTL) is not None:
            return link  # another replica or delivery is telling it
        ask = link.requester if status == self.statuses.resolved else None
        notice = StatusChanged(
            link,
            status,
            by=_who_handles(request),
            resolution=_resolution(request) if ask else None,
            ask=ask,
        )
        try:
            posted = await self._post(link, notice)
        except BaseException:
            await self.claims.release(key)  # not told: the next try tells it
            raise
        if posted:
            await self.claims.complete(key, {"status": status}, ttl=TOLD_TTL)
        updated = await self.links.update(link.request_id, last_status=status)
        log.info("status_told", extra={"ticket": link.number, "status": status})
        return updated or link

    async def _tell_desk_replies(self, link: TicketLink) -> None:
        entries = await self.client.conversations(link.request_id, types=[DESK_REPLY_TYPE])
        seen = link.last_conversation_seen or 0
        try:
            for entry in sorted(entries, key=lambda e: e.id):
                if entry.id <= seen or entry.conversation_type != DESK_REPLY_TYPE:
                    continue
                key = f"told:reply:{link.request_id}:{entry.id}"
                if await self.claims.claim(key, ttl=TOLD_TTL) is None:
                    text = html_to_words(entry.details or "")
                    try:
                        await self._post(link, DeskReply(link, text, by=entry.created_by_name))
                    except BaseException:
                        await self.claims.release(key)  # not told: the next try tells it
                        raise
                    await self.claims.complete(key, {}, ttl=TOLD_TTL)
                seen = max(seen, entry.id)
        finally:  # what was told stays told, even when a later post failed
            if seen != (link.last_conversation_seen or 0):
                await self.links.update(link.request_id, last_conversation_seen=seen)

    async def _post(self, link: TicketLink, notice: StatusChanged | DeskReply) -> bool:
        """Post in the ticket's thread; when refused, mark the link and tell the requester.

        Raises:
            PostFailed: the platform could not take it now (try again later).
        """
        messenger = self.messengers.get(link.platform)
        if messenger is None or link.conversation is None:
            return False
        where: InThread | InConversation = (
            InThread(link.conversation, link.thread, link.endpoint)
            if link.thread
            else InConversation(link.conversation, link.endpoint)
        )
        try:
            posted = await messenger.post_public(where, notice)
        except Exception as exc:  # the platform is down or unreachable, not refusing
            raise PostFailed(f"{link.platform}: {type(exc).__name__}") from exc
        if posted is not None:
            return True
        updated = await self.links.update(link.request_id, broken=True)
        if updated is not None and not link.broken:
            log.warning("ticket_thread_unavailable", extra={"ticket": link.number})
            await messenger.post_private(_requester_origin(link), Text(_broken_text(link)))
        return False

    # ----------------------------------------------------------------------- the requester

    async def confirm(self, request_id: int, user: str, *, fixed: bool) -> str:
        """The requester answers "Fixed?": close it, or reopen it. The sentence to show the
        person who pressed (privately)."""
        link = await self.links.get(request_id)
        if link is None:
            return "I can't find that ticket any more."
        if link.requester != user:
            return f"Only the person who filed {link.number} can do that."
        status = self.statuses.closed if fixed else self.statuses.reopened
        try:
            await self.client.update_request(request_id, status_name=status)
        except RequestRejectedError as exc:
            return f"The service desk didn't accept that: {exc.user_message}"
        except ServiceOpsError as exc:
            return exc.user_message
        self.changed(request_id)
        if fixed:
            return f"Thanks! {link.number} is closed."
        return f"{link.number} is reopened; the service desk will have another look."

    # ----------------------------------------------------------------------- replies

    async def thread_reply(
        self,
        key: ThreadKey,
        *,
        author: str,
        author_name: str,
        text: str,
        message_id: str,
        link_to_message: str | None = None,
    ) -> bool:
        """A person wrote in a thread: when it is a ticket's, the request gets the entry.
        Returns whether it did (False: not a ticket's thread, opted out, or already done)."""
        link = await self.links.by_thread(key.platform, key.conversation, key.thread)
        if link is None or not self.sync_replies(key.platform, key.conversation):
            return False
        words = clean(text).strip()
        if not words:
            return False
        claim = f"reply:{key.platform}:{key.conversation}:{message_id}"
        if await self.claims.claim(claim, ttl=REPLY_TTL) is not None:
            return False  # a retried delivery, or another replica
        platform = PLATFORM_NAMES.get(key.platform, key.platform)
        if author == link.requester:
            kind, body = REQUESTER_REPLY_TYPE, words
        else:
            kind, body = NOTE_TYPE, f"From {author_name} in {platform}: {words}"
        footer = f"\n\n{link_to_message}" if link_to_message else ""
        details = to_html(body + footer)
        try:
            await self._add_entry(link, kind, details, claim)
        except ServiceOpsError as exc:  # ServiceOps is down: keep trying in the background
            log.warning("reply_not_synced_yet", extra={"error": type(exc).__name__})
            self._retry(self._add_entry_eventually(link, kind, details, claim))
        return True

    async def _add_entry(self, link: TicketLink, kind: str, details: str, claim: str) -> None:
        await self.client.add_conversation(
            link.request_id, conversation_type=kind, details_html=details
        )
        await self.claims.complete(claim, {"type": kind}, ttl=REPLY_TTL)
        log.info("reply_synced", extra={"ticket": link.number, "type": kind})

    async def _add_entry_eventually(
        self, link: TicketLink, kind: str, details: str, claim: str
    ) -> None:
        for delay in RETRY_DELAYS:
            await asyncio.sleep(delay)
            try:
                await self._add_entry(link, kind, details, claim)
            except ServiceOpsError:
                continue
            return
        await self.claims.release(claim)
        log.error("reply_never_synced", extra={"ticket": link.number})

    def _retry(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._retrying.add(task)
        task.add_done_callback(self._retrying.discard)

    # ----------------------------------------------------------------------- polling

    async def poll_once(self, *, page: int = 50, budget: int = 200) -> int:
        """Read every linked request still open (up to `budget` reads); how many were read."""
        read = 0
        after: int | None = None
        while read < budget:
            links = await self.links.open_links(
                min(page, budget - read), after, closed=self.statuses.finished
            )
            if not links:
                break
            for link in links:
                try:
                    await self.sync(link.request_id)
                except (ServiceOpsError, PostFailed) as exc:
                    log.warning("poll_read_failed", extra={"error": type(exc).__name__})
                    return read  # ServiceOps or the platform is down: the next round tries
                read += 1
            after = links[-1].request_id
        return read


def html_to_words(details: str) -> str:
    """A conversation entry's HTML as plain words for a chat message."""
    text = _BREAKS.sub("\n", details)
    text = html.unescape(_TAGS.sub("", text))
    return truncate(clean(text).strip(), REPLY_SHOWN)


def _who_handles(request: Request) -> str | None:
    """The technician on the request, else its group (the names ServiceOps gives)."""
    extra = request.model_extra or {}
    for value in (extra.get("technicianName"), request.group_name):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _resolution(request: Request) -> str | None:
    extra = request.model_extra or {}
    value = extra.get("resolution")
    if isinstance(value, str) and value.strip():
        return html_to_words(value)
    return None


def _requester_origin(link: TicketLink) -> Origin:
    return Origin(
        platform=link.platform,
        entry="global",
        user=link.requester,
        workspace=link.workspace,
        endpoint=link.endpoint,
    )


def _broken_text(link: TicketLink) -> str:
    return (
        f"I can't post updates about {link.number} in the conversation it came from any more "
        "(I was removed, or it was archived). You'll find the ticket in the service desk portal: "
        f"{link.url}"
    )
