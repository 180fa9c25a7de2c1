"""Core's `FormUI` for Slack: the ticket modal shows how its attempt ended.

A submission is acknowledged with a progress view (`response_action: update`), which Slack
applies asynchronously; an update of ours that overtook it would be overwritten. So the
first update after such an ack waits until `settle_seconds` after it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.ports import AlreadyFiled, Failure, Filed, InProgress, Outcome
from bot.slack.api_errors import count_error
from bot.slack.blocks.results import (
    build_already_filed,
    build_failure_view,
    build_in_progress_view,
    build_success_view,
    where_delivered,
)

log = logging.getLogger("bot.slack.modal_ui")


async def update_view(client: AsyncWebClient, view_id: str, view: dict[str, Any]) -> None:
    """Replace a modal's content; a modal the person already closed is not an error."""
    try:
        await client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        error = count_error("views.update", exc)
        log.info("views_update_failed", extra={"view": view_id, "error": error})


def already_filed_view(outcome: AlreadyFiled) -> dict[str, Any]:
    """A small modal: "Already filed as INC-12", with a button to file a separate one.

    The outcome's token (at most 2000 characters) is carried by the button and the view, so
    the button opens the form with what the person had, like every button that reopens it.
    """
    ticket = outcome.ticket
    message = build_already_filed(ticket.number, ticket.url, metadata=outcome.token)
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Already filed"},
        "close": {"type": "plain_text", "text": "Close"},
        "private_metadata": outcome.token,
        "blocks": message["blocks"],
    }


def outcome_view(outcome: Outcome) -> dict[str, Any]:
    """The modal for how an attempt ended."""
    if isinstance(outcome, Filed):
        return build_success_view(outcome.ticket, where=where_delivered(outcome.delivery))
    if isinstance(outcome, Failure):
        return build_failure_view(
            message=outcome.message, state=outcome.token, retryable=outcome.retryable
        )
    if isinstance(outcome, AlreadyFiled):
        return already_filed_view(outcome)
    assert isinstance(outcome, InProgress)
    return build_in_progress_view(outcome.token)


class ModalUI:
    """One open modal (`view_id`) that shows outcomes in place of its content.

    Args:
        acked_at: monotonic time a submission was acked with a view update, if it was.
        settle_seconds: how long after such an ack Slack has surely applied it.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        view_id: str,
        *,
        acked_at: float | None = None,
        settle_seconds: float = 1.0,
    ) -> None:
        self._client = client
        self.view_id = view_id
        self._settle_until = None if acked_at is None else acked_at + settle_seconds

    async def show(self, outcome: Outcome) -> None:
        await self.show_view(outcome_view(outcome))

    async def show_view(self, view: dict[str, Any]) -> None:
        """Replace the modal's content with `view` (after the ack has settled)."""
        if self._settle_until is not None:
            await asyncio.sleep(max(0.0, self._settle_until - time.monotonic()))
            self._settle_until = None
        await update_view(self._client, self.view_id, view)
