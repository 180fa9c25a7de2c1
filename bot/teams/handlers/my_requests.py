""" "My requests" in Teams: "my tickets" and "INC-12" in the 1:1 chat, and the card's buttons.

The list and a request come as cards in the 1:1 chat only (a channel would show them to
everyone). The buttons are `Action.Execute` invokes: "Show more" and a successful "Close" or
comment answer with the refreshed card, which replaces the one pressed; a refusal or a
failure answers with a message for the person alone and leaves the card (and what they
typed in it) as it was. Which request a button names is read from ServiceOps again before
anything changes (core's `MyRequests`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.core.drafts import PendingTicket
from bot.core.model import Origin
from bot.core.my_requests import NUMBER, Done, MyRequests, Refused, Unavailable
from bot.teams import ids, payloads
from bot.teams.cards import CONTENT_TYPE
from bot.teams.cards import my_requests as cards
from bot.teams.cards.messages import card_message
from bot.teams.deps import TeamsDeps
from bot.teams.messenger import in_thread

log = logging.getLogger("bot.teams.my_requests")

Activity = dict[str, Any]
Json = dict[str, Any]

LIST_WORDS = frozenset(
    {"my tickets", "my ticket", "my requests", "my request", "tickets", "requests", "list"}
)


def service(deps: TeamsDeps) -> MyRequests:
    assert deps.my_requests is not None, "the Teams app is built with My requests"
    return deps.my_requests


def asks_for(text: str) -> str | None:
    """ "list" or a ticket number when a 1:1 message asks for one; None otherwise."""
    words = re.sub(r"\s+", " ", text).strip().strip(" !.?")
    if words.lower() in LIST_WORDS:
        return "list"
    if NUMBER.match(words):
        return words.upper()
    return None


async def answer_message(deps: TeamsDeps, origin: Origin, text: str) -> bool:
    """Answer "my tickets" / "INC-12" in the 1:1 chat; whether the message was one."""
    if origin.entry != "dm":
        return False
    what = asks_for(text)
    if what is None:
        return False
    if what == "list":
        page = await service(deps).page(origin, size=cards.PAGE)
        card = cards.list_card(page, new_ticket_state=await _new_ticket_state(deps, origin))
        summary = "Your requests"
    else:
        detail = await service(deps).show(origin, what)
        if isinstance(detail, Unavailable | Refused):
            card = cards.message_card(detail.message, attention=True)
            summary = detail.message
        else:
            card = cards.detail_card(detail)
            summary = f"{detail.row.number}: {detail.row.status}"
    if origin.endpoint and origin.conversation:
        target = in_thread(origin.conversation, None)
        await deps.messenger.post(origin.endpoint, target, card_message(card, summary=summary))
    return True


async def card_action(deps: TeamsDeps, activity: Activity, verb: str, data: Json) -> Json:
    """An `Action.Execute` of "My requests": the invoke's answer."""
    origin = payloads.from_message(activity)
    if verb == ids.MY_MORE:
        offset = data.get("offset")
        start = offset if isinstance(offset, int) and not isinstance(offset, bool) else 0
        return await _refreshed(deps, origin, offset=max(start, 0))
    request = cards.read_request(data)
    if request is None:
        return _error(400)
    if verb == ids.MY_CLOSE:
        result = await service(deps).close(origin, request)
    else:
        text = data.get(cards.COMMENT_INPUT)
        result = await service(deps).comment(origin, request, text if isinstance(text, str) else "")
    if isinstance(result, Done):
        return await _refreshed(deps, origin, notice=result.message)
    return _message(result.message)


async def _refreshed(
    deps: TeamsDeps, origin: Origin, *, offset: int = 0, notice: str | None = None
) -> Json:
    page = await service(deps).page(origin, offset=offset, size=cards.PAGE)
    state = await _new_ticket_state(deps, origin)
    card = cards.list_card(page, new_ticket_state=state, notice=notice)
    return {"statusCode": 200, "type": CONTENT_TYPE, "value": card}


async def _new_ticket_state(deps: TeamsDeps, origin: Origin) -> str:
    """The token "New ticket" carries: an empty draft whose number comes to this chat."""
    return await deps.save(PendingTicket(origin=origin))


def _message(text: str) -> Json:
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}


def _error(status: int) -> Json:
    return {"statusCode": status, "type": "application/vnd.microsoft.error", "value": {}}
