"""The use case: a draft typed in a chat becomes one ServiceOps request.

`TicketService.file` is the only way the chat surfaces create requests. It guarantees:

- one filing attempt (a modal submission, a "Try again" click) creates at most one request,
  even when delivered twice or to two replicas (attempt claim);
- one source message creates at most one ticket unless the person asks for another on
  purpose (source claim);
- after a create whose outcome is unknown (timeout once the request was sent), the next try
  looks for the request before filing again.

Failures come out as `TicketError` with a sentence for the person; nothing here knows a
chat platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from bot.config import ChannelDefaults, FormConfig
from bot.core.attachments import Attached, Attacher
from bot.core.claims import ClaimKey, Claims
from bot.core.model import ChatFile, FiledTicket, MissedFile, Origin, TicketDraft
from bot.core.ports import FileSource
from bot.metrics import TICKETS_CREATED
from bot.serviceops import (
    AssetLink,
    AuthenticationError,
    OutcomeUnknownError,
    Request,
    RequestCreate,
    RequestRejectedError,
    ServiceOpsClient,
    ServiceOpsError,
    ServiceUnavailableError,
    TLSError,
    UnexpectedResponseError,
)

log = logging.getLogger("bot.tickets")

SOURCE_TTL = 30 * 24 * 3600
"""How long a source message remembers its ticket (a month of "Already filed as …")."""
ATTEMPT_TTL = 24 * 3600
UNKNOWN_LOOKBACK = timedelta(minutes=30)
CONFIRMED_KEPT = 1000
"""Confirmed tickets this process remembers by attempt (a cache outage's worth)."""
HOLD_EVERY = 30.0
"""Seconds between renewals of a filing's claims while its files upload (a long upload must
not look like a filing whose holder died)."""
RECORD_RETRY_DELAYS = (1, 2, 5, 10, 30, 60, 120, 300)
"""Seconds between tries to record a created ticket's claims while the cache is down."""
MAYBE_CREATED = (
    "The service desk did not confirm your ticket in time, so it may or may not have been "
    "created. Press Try again: I'll check for it first and won't file it twice."
)


NUMBER_UNKNOWN = "(number not known yet)"
"""Shown where the ticket number goes when ServiceOps' answer has none (its link is still
given): never the internal id, which looks like a number but is not the ticket's."""

BAD_EMAIL = (
    "The e-mail address on your chat account isn't one ServiceOps accepts, so I can't name "
    "you as the requester. Please ask your IT admin to check the address on your account."
)


BAD_CC = (
    "One of the addresses to copy isn't one ServiceOps accepts. Press Back to the form and "
    "check the CC field."
)


class TicketError(Exception):
    """Filing failed; `user_message` says what happened and what to do."""

    reason = "error"
    """Short label for metrics and logs."""

    def __init__(self, user_message: str, *, retryable: bool = False) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.retryable = retryable


class AlreadyFiledError(TicketError):
    """The source message already has a ticket."""

    reason = "already_filed"

    def __init__(self, ticket: FiledTicket) -> None:
        super().__init__(f"This message is already filed as {ticket.number}.")
        self.ticket = ticket


class InProgressError(TicketError):
    """The same attempt is being filed right now (double click, second replica)."""

    reason = "in_progress"

    def __init__(self) -> None:
        super().__init__("This ticket is already being created. One moment…")


class MissingRequesterError(TicketError):
    """The person has no e-mail the bot can see, so ServiceOps cannot name the requester."""

    reason = "no_email"


class TicketService:
    """Files drafts as ServiceOps requests, at most once per attempt and per source.

    Args:
        client: the ServiceOps client.
        claims: the shared first-wins claims.
        form: `BOT_CONFIG`, whose defaults for the place a draft came from fill in what the
            person did not pick (category, location) and what the form does not ask
            (source, support level, group, status, custom fields, linked assets).
        source: `source` for requests whose place names none (`SERVICEOPS_SOURCE`).
    """

    def __init__(
        self,
        client: ServiceOpsClient,
        claims: Claims,
        *,
        form: FormConfig | None = None,
        source: str | None = None,
        attacher: Attacher | None = None,
    ) -> None:
        self._client = client
        self._claims = claims
        self._form = form or FormConfig()
        self.attacher = attacher
        """Uploads chat files; None: files are only linked in the description."""
        self._source = source
        self._confirmed: OrderedDict[str, FiledTicket] = OrderedDict()
        """Tickets ServiceOps confirmed, by attempt, in case the shared cache lost them."""
        self._recording: set[asyncio.Task[None]] = set()

    @property
    def client(self) -> ServiceOpsClient:
        """The ServiceOps client (readiness checks use it)."""
        return self._client

    async def already_filed(self, origin: Origin) -> FiledTicket | None:
        """The ticket filed from this origin's source message, if there is one (cheap)."""
        key = ClaimKey.source(origin)
        if key is None:
            return None
        claim = await self._claims.peek(key)
        if claim is None or claim.state != "done":
            return None
        return FiledTicket.model_validate(claim.value)

    async def file(
        self,
        draft: TicketDraft,
        *,
        requester_email: str,
        origin: Origin,
        attempt_id: str,
        force_new: bool = False,
        footer: str | None = None,
        files: Sequence[ChatFile] = (),
        file_source: FileSource | None = None,
    ) -> FiledTicket:
        """Create the request for `draft`, or return the one this attempt already created.

        Args:
            draft: what the person typed and picked.
            requester_email: the person's e-mail, sent as `requesterEmail`.
            origin: where the draft came from; its source message is claimed unless `force_new`.
            attempt_id: stable id of this filing attempt (same id on a replay or double click).
            force_new: the person asked for a separate ticket for an already-filed message.
            footer: plain text appended to the description (link to the chat message).
            files: chat files to attach, read through `file_source`, uploaded once the
                claims are held (so a replay uploads nothing); those that cannot be attached
                are listed in the description and in the ticket's `missed_files`.
            file_source: the surface's reader of `files`.

        Raises:
            TicketError: with a sentence for the person (subclasses say why).
        """
        confirmed = self._confirmed.get(attempt_id)
        if confirmed is not None:  # created here while the cache could not record it
            return confirmed
        defaults = self._form.defaults_for(origin.conversation, platform=origin.platform)
        body = self._request_body(draft, requester_email, footer, defaults)
        # Kept with the claim: if this attempt dies mid-create, the next try searches for it.
        marker = {"subject": body.subject, "since": datetime.now(UTC).isoformat()}
        attempt_key = ClaimKey.attempt(attempt_id)
        previous = await self._claims.claim(attempt_key, value=marker, ttl=ATTEMPT_TTL)
        if previous is not None and previous.state == "done":
            return FiledTicket.model_validate(previous.value)
        if previous is not None and previous.state == "pending":
            raise InProgressError()
        if previous is not None and previous.state == "unknown":
            found = await self._find_earlier(previous.value, requester_email)
            if found is not None:  # created by a try that never learned it: count it now
                TICKETS_CREATED.labels(platform=origin.platform, entry=origin.entry).inc()
                await self._finish(attempt_key, origin, found, force_new=force_new)
                return found
            await self._claims.hold(attempt_key, value=marker, ttl=ATTEMPT_TTL)

        source_key = None if force_new else ClaimKey.source(origin)
        if source_key is not None:
            held = await self._claims.claim(source_key, ttl=ATTEMPT_TTL)
            if held is not None and held.state == "done":
                await self._claims.release(attempt_key)
                raise AlreadyFiledError(FiledTicket.model_validate(held.value))
            if held is not None and held.state == "pending":  # another attempt is in flight
                await self._claims.release(attempt_key)
                raise InProgressError()
            if held is not None:  # its holder died; its own attempt record covers duplicates
                await self._claims.hold(source_key, ttl=ATTEMPT_TTL)

        attached = Attached()
        if files:
            async with self._held((attempt_key, marker), (source_key, None)):
                attached = await self._attach(files, file_source, attempt_id)
            body = self._request_body(
                draft, requester_email, footer, defaults, missed=attached.missed
            ).model_copy(update={"file_attachments": attached.attachments or None})
        started = time.monotonic()
        try:
            created = await self._client.create_request(body)
        except (OutcomeUnknownError, UnexpectedResponseError, asyncio.CancelledError) as exc:
            # The request may exist (sent but unanswered, answered unreadably, or we were
            # stopped while waiting): the next try of this attempt looks for it first.
            await self._claims.mark_unknown(attempt_key, marker, ttl=ATTEMPT_TTL)
            if source_key is not None:
                await self._claims.release(source_key)
            if isinstance(exc, asyncio.CancelledError):
                raise
            error = TicketError(MAYBE_CREATED, retryable=True)
            error.reason = "outcome_unknown"
            raise error from exc
        except ServiceOpsError as exc:
            await self._claims.release(attempt_key)
            if source_key is not None:
                await self._claims.release(source_key)
            raise _as_ticket_error(exc) from exc
        ticket = self._filed(created, fallback_subject=body.subject)
        ticket.missed_files = attached.missed
        TICKETS_CREATED.labels(platform=origin.platform, entry=origin.entry).inc()
        log.info(
            "ticket_created",
            extra={
                "ticket": ticket.number,
                "request_id": ticket.id,
                "platform": origin.platform,
                "entry": origin.entry,
                "conversation": origin.conversation,
                "user": origin.user,
                "serviceops_seconds": round(time.monotonic() - started, 3),
            },
        )
        self._remember(attempt_id, ticket)
        try:
            await self._finish(attempt_key, origin, ticket, force_new=force_new)
        except Exception:  # noqa: BLE001 (the ticket exists: say so, record it when possible)
            log.warning("ticket_not_recorded", extra={"ticket": ticket.number})
            self._record_later(attempt_key, origin, ticket, force_new=force_new)
        return ticket

    async def _attach(
        self, files: Sequence[ChatFile], source: FileSource | None, attempt_id: str
    ) -> Attached:
        if self.attacher is None:
            return Attached(missed=[_linked_only(file) for file in files])
        return await self.attacher.attach(files, source, attempt_id=attempt_id)

    @contextlib.asynccontextmanager
    async def _held(self, *claims: tuple[str | None, dict[str, Any] | None]) -> AsyncIterator[None]:
        """Renew `claims` (key and value; no key: nothing) every `HOLD_EVERY` seconds while
        the block runs."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(HOLD_EVERY)
                for key, value in claims:
                    if key is not None:
                        with contextlib.suppress(Exception):  # the next renewal may work
                            await self._claims.hold(key, value=value, ttl=ATTEMPT_TTL)

        task = asyncio.create_task(renew())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _remember(self, attempt_id: str, ticket: FiledTicket) -> None:
        self._confirmed[attempt_id] = ticket
        while len(self._confirmed) > CONFIRMED_KEPT:
            self._confirmed.popitem(last=False)

    def _record_later(
        self, attempt_key: str, origin: Origin, ticket: FiledTicket, *, force_new: bool
    ) -> None:
        """Write the claims of a created ticket once the cache answers again (in the
        meantime this process knows the ticket, so its "Try again" cannot file twice)."""

        async def record() -> None:
            for delay in RECORD_RETRY_DELAYS:
                await asyncio.sleep(delay)
                try:
                    await self._finish(attempt_key, origin, ticket, force_new=force_new)
                except Exception:  # noqa: BLE001,S112 (the cache is still down: try again later)
                    continue
                log.info("ticket_recorded_late", extra={"ticket": ticket.number})
                return
            log.error("ticket_never_recorded", extra={"ticket": ticket.number})

        task = asyncio.create_task(record())
        self._recording.add(task)
        task.add_done_callback(self._recording.discard)

    def _request_body(
        self,
        draft: TicketDraft,
        requester_email: str,
        footer: str | None,
        defaults: ChannelDefaults,
        *,
        missed: Sequence[MissedFile] = (),
    ) -> RequestCreate:
        text = draft.description.strip()
        if missed:
            listed = missed_files_text(missed)
            text = f"{text}\n\n{listed}" if text else listed
        if footer:
            text = f"{text}\n\n{footer}" if text else footer
        try:
            return RequestCreate(
                subject=draft.subject,
                requester_email=requester_email,
                description=to_html(text) if text else None,
                priority_name=draft.priority or None,
                urgency_name=draft.urgency or None,
                impact_name=draft.impact or None,
                department_name=draft.department or None,
                tags=list(draft.tags) or None,
                category_name=draft.category or defaults.category,
                location_name=draft.location or defaults.location,
                cc_email_set=list(draft.cc_emails) or None,
                source=defaults.source or self._source,
                support_level=defaults.support_level,
                group_name=defaults.group,
                status_name=defaults.status,
                custom_field=dict(defaults.custom_fields) or None,
                link_asset_ids=[
                    AssetLink(asset_model=asset.asset_model, asset_id=asset.asset_id)
                    for asset in defaults.link_assets
                ]
                or None,
            )
        except ValidationError as exc:  # pydantic: blank subject, malformed e-mail
            fields = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
            if fields & {"requester_email", "requesterEmail"}:
                raise TicketError(BAD_EMAIL) from exc
            if fields & {"cc_email_set", "ccEmailSet"}:
                raise TicketError(BAD_CC) from exc
            raise TicketError(
                "Some of the ticket's fields are not valid. Please check the subject and try again."
            ) from exc

    def _filed(self, created: Request, *, fallback_subject: str) -> FiledTicket:
        number = created.name.strip()
        if not number:
            log.warning("ticket_number_unknown", extra={"request_id": created.id})
        return FiledTicket(
            status=created.status_name,
            id=created.id,
            number=number or NUMBER_UNKNOWN,
            subject=created.subject or fallback_subject,
            url=self._client.portal_url(created.id),
        )

    async def _finish(
        self, attempt_key: str, origin: Origin, ticket: FiledTicket, *, force_new: bool
    ) -> None:
        value = ticket.model_dump()
        await self._claims.complete(attempt_key, value, ttl=ATTEMPT_TTL)
        key = ClaimKey.source(origin)
        if key is not None and not force_new:
            await self._claims.complete(key, value, ttl=SOURCE_TTL)

    async def _find_earlier(
        self, unknown: dict[str, Any], requester_email: str
    ) -> FiledTicket | None:
        """Look for the request an earlier, timed-out create may have made."""
        subject: str = unknown.get("subject") or ""
        since = datetime.fromisoformat(unknown["since"]) - UNKNOWN_LOOKBACK
        try:
            found = await self._client.find_requests(
                subject=subject, requester=requester_email, since=since
            )
        except ServiceOpsError as exc:
            raise _as_ticket_error(exc) from exc
        if not found:
            return None
        request = found[0]
        log.info("ticket_found_after_timeout", extra={"ticket": request.name})
        return self._filed(request, fallback_subject=subject or "")


def missed_files_text(missed: Sequence[MissedFile]) -> str:
    """The description's paragraph naming the chat files that are not attached."""
    lines = ["Files not attached (open them in the chat):"]
    for file in missed:
        where = f": {file.link}" if file.link else ""
        lines.append(f"- {file.name} ({file.reason}){where}")
    return "\n".join(lines)


def _linked_only(file: ChatFile) -> MissedFile:
    return MissedFile(name=file.name, reason="files are not uploaded", link=file.link)


def to_html(text: str) -> str:
    """Plain text as the HTML ServiceOps stores in `description`: escaped, lines kept."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return "".join(
        "<p>" + html.escape(p.strip("\n")).replace("\n", "<br>") + "</p>" for p in paragraphs
    )


def _as_ticket_error(exc: ServiceOpsError) -> TicketError:
    error = TicketError(exc.user_message, retryable=exc.retryable)
    if isinstance(exc, AuthenticationError):
        error.reason = "auth"
    elif isinstance(exc, RequestRejectedError):
        error.reason = "rejected"
    elif isinstance(exc, ServiceUnavailableError):
        error.reason = "unavailable"
    elif isinstance(exc, TLSError):
        error.reason = "tls"
    else:
        error.reason = "unexpected"
    return error
