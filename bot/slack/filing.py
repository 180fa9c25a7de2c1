"""After the ack: file the pending ticket, then tell the person in the modal and in Slack.

This runs once Slack has its acknowledgement, so it may take as long as ServiceOps needs.
Every way it can end leaves the person with either the ticket number or a message saying
what went wrong, with buttons that bring back what they typed.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.drafts import FiledTicket
from bot.core.tickets import AlreadyFiledError, InProgressError, TicketError
from bot.metrics import SLACK_API_ERRORS, TICKETS_CREATED, TICKETS_FAILED
from bot.slack.blocks.results import (
    build_already_filed,
    build_failure_message,
    build_failure_view,
    build_in_progress_view,
    build_private_result,
    build_success_view,
    build_ticket_message,
)
from bot.slack.deps import Deps
from bot.slack.forms import already_filed_view
from bot.slack.states import PendingTicket

log = logging.getLogger("bot.slack.filing")

ANNOUNCED_TTL = 24 * 3600
"""How long an attempt remembers that its ticket was announced (as long as the attempt)."""
UNEXPECTED = (
    "Something went wrong on my side while creating your ticket (reference {ref}). "
    "Nothing you typed is lost: press Try again, or tell your IT admin the reference."
)


async def update_view(client: AsyncWebClient, view_id: str, view: dict[str, Any]) -> None:
    """Replace a modal's content; a modal the person already closed is not an error."""
    try:
        await client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown") if exc.response is not None else "unknown"
        SLACK_API_ERRORS.labels(method="views.update", error=error).inc()
        log.info("views_update_failed", extra={"view": view_id, "error": error})


async def file_and_report(
    client: AsyncWebClient,
    deps: Deps,
    pending: PendingTicket,
    *,
    view_id: str | None,
    acked_at: float | None = None,
    view_shared: bool = False,
) -> FiledTicket | None:
    """File `pending` and report the outcome; the modal `view_id` shows progress meanwhile.

    `acked_at` (monotonic time) is when a submission was acked with the progress view; the
    first `views.update` waits until Slack has surely applied that ack. `view_shared`: the
    modal came with the payload (a submission, a click inside it), so another delivery of
    the same attempt (a double click, another replica) may be reporting in it too.
    """
    async with deps.inflight.track():
        outcome = await _file(deps, pending)
        if acked_at is not None:
            await asyncio.sleep(max(0.0, acked_at + deps.view_settle_seconds - time.monotonic()))
        await _report(client, deps, pending, outcome, view_id=view_id, view_shared=view_shared)
        return outcome if isinstance(outcome, FiledTicket) else None


@dataclass(frozen=True)
class _Failed:
    message: str
    retryable: bool


_Outcome = FiledTicket | AlreadyFiledError | InProgressError | _Failed


async def _file(deps: Deps, pending: PendingTicket) -> _Outcome:
    """File the ticket; every way it can end is returned, none raised."""
    origin = pending.origin
    try:
        email = await deps.identity.email(origin.user_id)
        footer = await _footer(deps, pending)
        ticket = await deps.tickets.file(
            pending.draft,
            requester_email=email,
            origin=origin,
            attempt_id=pending.attempt_id,
            force_new=pending.force_new,
            footer=footer,
        )
    except (InProgressError, AlreadyFiledError) as exc:
        log.info("ticket_not_filed", extra={"reason": exc.reason, "attempt": pending.attempt_id})
        return exc
    except TicketError as exc:
        TICKETS_FAILED.labels(reason=exc.reason).inc()
        log.info(
            "ticket_failed",
            extra={"reason": exc.reason, "user": origin.user_id, "channel": origin.channel_id},
        )
        return _Failed(exc.user_message, exc.retryable)
    except Exception:  # the boundary of background work: log it, tell the person, keep input
        ref = secrets.token_hex(4)
        TICKETS_FAILED.labels(reason="unexpected").inc()
        log.exception("ticket_failed_unexpectedly", extra={"ref": ref, "user": origin.user_id})
        return _Failed(UNEXPECTED.format(ref=ref), retryable=True)
    TICKETS_CREATED.labels(surface=origin.surface).inc()
    return ticket


async def _report(
    client: AsyncWebClient,
    deps: Deps,
    pending: PendingTicket,
    outcome: _Outcome,
    *,
    view_id: str | None,
    view_shared: bool = False,
) -> None:
    if isinstance(outcome, FiledTicket):
        await announce(deps, pending, outcome, view_id=view_id, client=client)
    elif isinstance(outcome, AlreadyFiledError):
        await _report_already_filed(client, deps, pending, outcome.ticket, view_id=view_id)
    elif isinstance(outcome, InProgressError):
        # Whoever files the attempt reports in a shared modal; writing there could replace
        # its result. Only a modal opened for this click must say why nothing new happens.
        if view_id is not None and not view_shared:
            await update_view(client, view_id, build_in_progress_view())
    else:
        await report_failure(
            client, deps, pending, outcome.message, retryable=outcome.retryable, view_id=view_id
        )


async def announce(
    deps: Deps,
    pending: PendingTicket,
    ticket: FiledTicket,
    *,
    view_id: str | None,
    client: AsyncWebClient,
) -> None:
    """Post the ticket where it belongs, privately when that fails, and in the modal.

    Once per attempt: a replay of an attempt that was already announced (a late second
    click, a submission delivered again) only shows the ticket in its modal.
    """
    announced_key = f"announced:{pending.attempt_id}"
    earlier = await deps.claims.claim(announced_key)
    where: str | None
    if earlier is not None:
        where = earlier.value.get("where")
    else:
        where = await _announce_once(deps, pending, ticket)
        await deps.claims.complete(announced_key, {"where": where}, ttl=ANNOUNCED_TTL)
    if view_id is not None:
        await update_view(client, view_id, build_success_view(ticket, where=where))


async def _announce_once(deps: Deps, pending: PendingTicket, ticket: FiledTicket) -> str | None:
    """Post the ticket publicly or privately; mrkdwn naming where it went (None: nowhere)."""
    origin = pending.origin
    message = build_ticket_message(ticket, requester_user_id=origin.user_id)
    posted_in = await deps.announcer.public(origin, message)
    if posted_in is not None:
        return f"<#{posted_in}>"
    reason = _private_reason(deps, pending)
    how = await deps.announcer.private(
        origin,
        build_private_result(ticket, reason=reason),
        prefer_dm=origin.surface == "global" or origin.channel_id is None,
    )
    return {"dm": "a direct message from me", "none": None}.get(how, "a private message")


async def report_failure(
    client: AsyncWebClient,
    deps: Deps,
    pending: PendingTicket,
    message: str,
    *,
    retryable: bool,
    view_id: str | None,
) -> None:
    """Tell the person in the modal and privately, with Try again / Back to the form."""
    state = await deps.states.save(pending, limit=2000)
    if view_id is not None:
        await update_view(
            client,
            view_id,
            build_failure_view(message=message, state=state, retryable=retryable),
        )
    await deps.announcer.private(
        pending.origin,
        build_failure_message(message=message, state=state, retryable=retryable),
        prefer_dm=True,
    )


async def _report_already_filed(
    client: AsyncWebClient,
    deps: Deps,
    pending: PendingTicket,
    ticket: FiledTicket,
    *,
    view_id: str | None,
) -> None:
    state = await deps.states.save(pending, limit=2000)  # "File a separate ticket" keeps it
    if view_id is not None:
        await update_view(client, view_id, already_filed_view(ticket, state))
        return
    await deps.announcer.private(
        pending.origin, build_already_filed(ticket.number, ticket.url, metadata=state)
    )


def _private_reason(deps: Deps, pending: PendingTicket) -> str:
    origin = pending.origin
    if origin.surface == "global" or origin.channel_id is None:
        return ""
    if origin.surface == "command" and deps.settings.reply_privately:
        return ""
    return (
        f"I couldn't post in <#{origin.channel_id}>. To get the ticket number in the "
        "conversation next time, invite me there: type `/invite` in it and pick me."
    )


async def _footer(deps: Deps, pending: PendingTicket) -> str | None:
    """ "From Slack" line for the description: who wrote the message, and its link."""
    if not pending.permalink:
        return None
    if pending.author_id:
        author = await deps.identity.name(pending.author_id)
        return f"From a Slack message by {author}: {pending.permalink}"
    return f"From Slack: {pending.permalink}"
