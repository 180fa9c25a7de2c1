"""After the platform has its answer: file the pending ticket, then tell the person.

This runs once the platform has been answered, so it may take as long as ServiceOps needs.
Every way it can end leaves the person with either the ticket number or a message saying
what went wrong, with what they need to bring back what they typed:

- filed: announced once per attempt (`destination`), privately when the public post is
  refused, and shown in the form;
- already filed (the message has a ticket): said in the form, or privately;
- being filed elsewhere (a double click, another replica): said in a form of its own;
- failed: said in the form and privately, with "Try again" when retrying can help.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time

from bot.core.claims import Claim, ClaimKey, Claims
from bot.core.delivery import (
    NOWHERE,
    Delivery,
    InConversation,
    InThread,
    Privately,
    destination,
)
from bot.core.drafts import PendingTicket, StateStore
from bot.core.inflight import InFlight
from bot.core.links import LinkStore, TicketLink
from bot.core.model import PLATFORM_NAMES, FiledTicket, Origin
from bot.core.ports import (
    AlreadyFiled,
    Directory,
    Failure,
    Filed,
    FilesNotAttached,
    FileSource,
    FormUI,
    InProgress,
    Messenger,
    Notice,
    Outcome,
    PrivateResult,
    TicketAnnouncement,
)
from bot.core.tickets import AlreadyFiledError, InProgressError, TicketError, TicketService
from bot.metrics import TICKETS_FAILED

log = logging.getLogger("bot.filing")

ANNOUNCED_TTL = 24 * 3600
"""How long an attempt remembers that its ticket was announced (as long as the attempt)."""
ANNOUNCE_WAIT = 5.0
"""How long a second delivery of an attempt waits to learn where the first announced it."""
ANNOUNCE_POLL = 0.1
STUCK_AFTER = 8.0
"""Seconds a shared form waits for another delivery's filing before saying it is stuck."""
UNEXPECTED = (
    "Something went wrong on my side while creating your ticket (reference {ref}). "
    "Nothing you typed is lost: press Try again, or tell your IT admin the reference."
)


class Filing:
    """Files pending tickets for one platform and reports how each attempt ended.

    Args:
        tickets: files drafts at most once per attempt and per source message.
        claims: the shared first-wins claims (announce once).
        drafts: stores drafts for the buttons that bring them back.
        directory: the platform's people (e-mail, name).
        messenger: the platform's conversations and private routes.
        inflight: work a shutdown waits for.
        reply_privately: commands answer privately instead of in their conversation.
        links: where each announced ticket's link to its conversation is kept (follow-through).
        files: reads the platform's chat files (a ticket's attachments); None: not at all.
    """

    def __init__(
        self,
        tickets: TicketService,
        claims: Claims,
        drafts: StateStore,
        *,
        directory: Directory,
        messenger: Messenger,
        inflight: InFlight,
        reply_privately: bool = False,
        links: LinkStore | None = None,
        files: FileSource | None = None,
    ) -> None:
        self.tickets = tickets
        self.files = files
        self.drafts = drafts
        self.directory = directory
        self.messenger = messenger
        self.inflight = inflight
        self.reply_privately = reply_privately
        self.links = links
        self.stuck_after = STUCK_AFTER
        self._claims = claims

    async def file_and_report(
        self,
        pending: PendingTicket,
        *,
        ui: FormUI | None,
        ui_shared: bool = False,
    ) -> FiledTicket | None:
        """File `pending` and report the outcome in `ui` (the form, if any) and in the chat.

        `ui_shared`: the form came with the request (a submission, a click inside it), so
        another delivery of the same attempt may be reporting in it too.
        """
        async with self.inflight.track():
            outcome, email = await self._file(pending)
            if email is not None:
                pending = pending.model_copy(update={"requester_email": email})
            return await self._report(pending, outcome, ui=ui, ui_shared=ui_shared)

    async def announce(
        self, pending: PendingTicket, ticket: FiledTicket, *, ui: FormUI | None
    ) -> Delivery:
        """Post the ticket where it belongs, privately when that fails, and in the form.

        Once per attempt: a replay of an attempt that was already announced (a late second
        click, a submission delivered again) only shows the ticket in its form.
        """
        assert pending.attempt_id is not None
        key = ClaimKey.announced(pending.attempt_id)
        try:
            earlier = await self._claims.claim(key)
        except Exception:  # noqa: BLE001 (cache down: telling the person beats telling them once)
            log.warning("announcement_not_claimed", extra={"ticket": ticket.number})
            delivery = await self._announce_once(pending, ticket)
            await self._show(ui, Filed(ticket, delivery))
            return delivery
        if earlier is None or earlier.state == "unknown":  # ours, or its holder died mid-way
            if earlier is not None:
                await self._claims.hold(key)
            delivery = await self._announce_once(pending, ticket)
            await self._link(pending, ticket, delivery)
            if ticket.missed_files:
                notice = FilesNotAttached(ticket, ticket.missed_files)
                await self._post_private(pending.origin, notice, prefer_direct=False)
            try:
                await self._claims.complete(
                    key, {"delivery": delivery.as_record()}, ttl=ANNOUNCED_TTL
                )
            except Exception:  # noqa: BLE001 (announced; a replay may announce again)
                log.warning("announcement_not_recorded", extra={"ticket": ticket.number})
        else:
            delivery = await self._announced_by_other(key, earlier)
        await self._show(ui, Filed(ticket, delivery))
        return delivery

    async def report_failure(
        self, pending: PendingTicket, message: str, *, retryable: bool, ui: FormUI | None
    ) -> None:
        """Tell the person in the form and privately; their draft comes back with a button."""
        failure = Failure(message, retryable, await self.drafts.save(pending))
        await self._show(ui, failure)
        await self._post_private(pending.origin, failure, prefer_direct=True)

    async def already_filed(
        self, pending: PendingTicket, ticket: FiledTicket, *, ui: FormUI | None
    ) -> None:
        """Say the message has a ticket; the draft is kept for "File a separate ticket"."""
        notice = AlreadyFiled(ticket, await self.drafts.save(pending))
        if ui is not None:
            await self._show(ui, notice)
        else:
            await self._post_private(pending.origin, notice, prefer_direct=False)

    # ----------------------------------------------------------------------- steps

    async def _file(self, pending: PendingTicket) -> tuple[FiledTicket | Exception, str | None]:
        """File the ticket; every way it can end is returned (with the requester's e-mail,
        once known), none raised."""
        origin = pending.origin
        assert pending.attempt_id is not None
        email: str | None = None
        try:
            email = await self.directory.email(origin)
            ticket = await self.tickets.file(
                pending.draft,
                requester_email=email,
                origin=origin,
                attempt_id=pending.attempt_id,
                force_new=pending.force_new,
                footer=await self._footer(pending),
                files=pending.files,
                file_source=self.files,
            )
        except (InProgressError, AlreadyFiledError) as exc:
            log.info(
                "ticket_not_filed", extra={"reason": exc.reason, "attempt": pending.attempt_id}
            )
            return exc, email
        except TicketError as exc:
            TICKETS_FAILED.labels(platform=origin.platform, reason=exc.reason).inc()
            log.info(
                "ticket_failed",
                extra={
                    "reason": exc.reason,
                    "platform": origin.platform,
                    "user": origin.user,
                    "conversation": origin.conversation,
                },
            )
            return exc, email
        except Exception:  # the boundary of background work: log it, tell the person, keep input
            ref = secrets.token_hex(4)
            TICKETS_FAILED.labels(platform=origin.platform, reason="unexpected").inc()
            log.exception(
                "ticket_failed_unexpectedly",
                extra={"ref": ref, "platform": origin.platform, "user": origin.user},
            )
            return TicketError(UNEXPECTED.format(ref=ref), retryable=True), email
        return ticket, email

    async def _report(
        self,
        pending: PendingTicket,
        outcome: FiledTicket | Exception,
        *,
        ui: FormUI | None,
        ui_shared: bool,
    ) -> FiledTicket | None:
        if isinstance(outcome, FiledTicket):
            await self.announce(pending, outcome, ui=ui)
            return outcome
        if isinstance(outcome, AlreadyFiledError):
            await self.already_filed(pending, outcome.ticket, ui=ui)
        elif isinstance(outcome, InProgressError):
            # Whoever files the attempt reports in a shared form; writing there could replace
            # its result. Only a form opened for this click must say why nothing new happens
            # at once; a shared one says so if that filing seems stuck (its holder died).
            if not ui_shared:
                await self._show(ui, InProgress())
            elif ui is not None:
                await self._when_stuck(pending, ui)
        elif isinstance(outcome, TicketError):
            await self.report_failure(
                pending, outcome.user_message, retryable=outcome.retryable, ui=ui
            )
        return None

    async def _announce_once(self, pending: PendingTicket, ticket: FiledTicket) -> Delivery:
        """Post the ticket publicly, or privately when it belongs there or the post fails."""
        origin = pending.origin
        where = destination(origin, reply_privately=self.reply_privately)
        if isinstance(where, InThread | InConversation):
            name = await self.directory.name(origin.user, origin)
            notice = TicketAnnouncement(ticket, requester=origin.user, requester_name=name)
            try:
                posted = await self.messenger.post_public(where, notice)
            except Exception:  # a messenger bug must not lose the number: go private
                log.exception("post_public_failed", extra={"platform": origin.platform})
                posted = None
            if posted is not None:
                return Delivery("public", where.conversation, message=posted)
            where = Privately("refused", where.conversation)
        return await self._post_private(
            origin, PrivateResult(ticket, where), prefer_direct=where.prefer_direct
        )

    async def _link(self, pending: PendingTicket, ticket: FiledTicket, delivery: Delivery) -> None:
        """Keep where the ticket lives, so its thread and the request stay in step."""
        if self.links is None:
            return
        announcement = delivery.message if delivery.kind == "public" else None
        link = TicketLink.for_ticket(
            ticket,
            pending.origin,
            requester_email=pending.requester_email,
            announcement=announcement,
        ).model_copy(update={"last_status": ticket.status})
        try:
            await self.links.save(link)
        except Exception:
            log.exception("link_not_saved", extra={"ticket": ticket.number})

    async def _when_stuck(self, pending: PendingTicket, ui: FormUI) -> None:
        """Wait a while for the delivery filing this attempt to finish; if it has not, tell
        the person it is still being created and offer "Try again" (which, once that
        filing's deadline has passed, looks for its ticket before filing)."""
        assert pending.attempt_id is not None
        key = ClaimKey.attempt(pending.attempt_id)
        deadline = time.monotonic() + self.stuck_after
        while time.monotonic() < deadline:
            await asyncio.sleep(ANNOUNCE_POLL)
            claim = await self._claims.peek(key)
            if claim is None or claim.state == "done":
                return  # it finished (and reports) or gave up (and said so)
        await self._show(ui, InProgress(token=await self.drafts.save(pending)))

    async def _announced_by_other(self, key: str, earlier: Claim) -> Delivery:
        """Where another delivery of this attempt announced the ticket, waiting a little
        while it is still at it; `NOWHERE` (the form names no place) when it does not say."""
        deadline = time.monotonic() + ANNOUNCE_WAIT
        while earlier.state == "pending" and time.monotonic() < deadline:
            await asyncio.sleep(ANNOUNCE_POLL)
            earlier = await self._claims.peek(key) or earlier
        return Delivery.from_record(earlier.value.get("delivery") or {})

    async def _post_private(
        self, origin: Origin, notice: Notice, *, prefer_direct: bool
    ) -> Delivery:
        try:
            return await self.messenger.post_private(origin, notice, prefer_direct=prefer_direct)
        except Exception:  # a messenger bug: say so in the log, keep going
            log.exception("post_private_failed", extra={"platform": origin.platform})
            return NOWHERE

    @staticmethod
    async def _show(ui: FormUI | None, outcome: Outcome) -> None:
        if ui is None:
            return
        try:
            await ui.show(outcome)
        except Exception:  # the chat has the outcome too; a form that cannot show it is no loss
            log.exception("form_update_failed", extra={"outcome": type(outcome).__name__})

    async def _footer(self, pending: PendingTicket) -> str | None:
        """The description's last line: which chat message it came from, and who wrote it."""
        if not pending.link:
            return None
        platform = PLATFORM_NAMES[pending.origin.platform]
        if pending.author:
            author = await self.directory.name(pending.author, pending.origin)
            return f"From a {platform} message by {author}: {pending.link}"
        return f"From {platform}: {pending.link}"
