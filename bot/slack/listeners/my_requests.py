""" "My requests" in Slack: the App Home tab, `/ticket list|INC-12|help`, and the row buttons.

Everything is answered privately: the Home tab is the person's own (`views.publish`), and
command answers are ephemeral (`response_url`). Which request a button names is read from
ServiceOps again before anything is changed (core's `MyRequests`), so a forged button
changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.drafts import PendingTicket
from bot.core.model import Origin
from bot.core.my_requests import NUMBER, Done, MyRequests, Refused, Unavailable
from bot.core.ports import Text
from bot.slack import ids
from bot.slack import origin as origins
from bot.slack.acks import acks_first, let_ack_out
from bot.slack.api_errors import count_error
from bot.slack.blocks import my_requests as blocks
from bot.slack.deps import Deps, deps_of
from bot.slack.forms import open_form
from bot.slack.modal_ui import update_view

log = logging.getLogger("bot.slack.my_requests")

LOADING_AFTER = 1.5
"""Seconds the Home tab waits for the list before it shows "Loading…" first."""
LIST_WORDS = frozenset({"list", "mine", "my", "my tickets", "my requests", "ls"})
HELP_WORDS = frozenset({"help", "?", "-h", "--help"})


def service(deps: Deps) -> MyRequests:
    assert deps.my_requests is not None, "the Slack app is built with My requests"
    return deps.my_requests


def person(user: str, team: str | None) -> Origin:
    """Who looks at their requests (no conversation: answers go to them alone)."""
    return Origin(platform="slack", entry="global", workspace=team, user=user)


# --------------------------------------------------------------------------- the Home tab


async def publish_home(
    client: AsyncWebClient,
    deps: Deps,
    who: Origin,
    *,
    offset: int = 0,
    notice: str | None = None,
) -> None:
    """Publish the person's Home tab: the list, or "can't load" with Retry; "Loading…"
    first when ServiceOps is slow, so the tab is never blank."""
    reading = asyncio.ensure_future(service(deps).page(who, offset=offset, size=blocks.HOME_PAGE))
    done, _ = await asyncio.wait({reading}, timeout=LOADING_AFTER)
    if not done:
        await _publish(client, who.user, blocks.loading_view())
    page = await reading
    await _publish(client, who.user, blocks.home_view(page, notice=notice))


async def _publish(client: AsyncWebClient, user: str, view: dict[str, Any]) -> None:
    try:
        await client.views_publish(user_id=user, view=view)
    except SlackApiError as exc:
        error = count_error("views.publish", exc)
        log.warning("views_publish_failed", extra={"user": user, "error": error})


async def handle_home_opened(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
    if event.get("tab") != "home" or not event.get("user"):
        return
    deps = deps_of(context)
    client = context["client"]
    async with deps.inflight.track():
        await publish_home(client, deps, person(str(event["user"]), body.get("team_id")))


# --------------------------------------------------------------------------- /ticket …


def subcommand(text: str) -> str | None:
    """`list`, `help` or a ticket number when `/ticket`'s text is one; None: open the form."""
    words = re.sub(r"\s+", " ", text).strip()
    lowered = words.lower()
    if lowered in LIST_WORDS:
        return "list"
    if lowered in HELP_WORDS:
        return "help"
    if NUMBER.match(words):
        return words.upper()
    return None


async def answer_command(
    what: str, body: dict[str, Any], respond: AsyncRespond, deps: Deps
) -> None:
    """Answer `/ticket list|help|INC-12` privately."""
    who = person(str(body["user_id"]), body.get("team_id"))
    if what == "help":
        message = blocks.help_message()
    elif what == "list":
        message = blocks.list_message(await service(deps).page(who, size=blocks.MESSAGE_PAGE))
    else:
        detail = await service(deps).show(who, what)
        if isinstance(detail, Unavailable):
            message = blocks.unavailable_message(detail)
        elif isinstance(detail, Refused):
            message = blocks.refused_message(detail.message)
        else:
            message = blocks.detail_message(detail)
    await _respond(respond, message)


async def _respond(
    respond: AsyncRespond, message: dict[str, Any], *, replace: bool = False
) -> None:
    try:
        await respond(response_type="ephemeral", replace_original=replace, **message)
    except Exception as exc:  # noqa: BLE001 (a spent or expired response_url: nothing to do)
        log.warning("response_url_failed", extra={"error": type(exc).__name__})


# --------------------------------------------------------------------------- buttons


def _on_home(body: dict[str, Any]) -> bool:
    view = body.get("view")
    return isinstance(view, dict) and view.get("type") == "home"


def _who(body: dict[str, Any]) -> Origin:
    team = body.get("team")
    return person(str(body["user"]["id"]), team.get("id") if isinstance(team, dict) else None)


def _action_value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")


@acks_first
async def handle_more(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, context: Any
) -> None:
    """ "Show more" / "Back to the start" / "Retry" under a list."""
    deps = deps_of(context)
    value = _action_value(body)
    offset = int(value) if value.isdigit() else 0
    who = _who(body)
    if _on_home(body):
        await publish_home(client, deps, who, offset=offset)
        return
    page = await service(deps).page(who, offset=offset, size=blocks.MESSAGE_PAGE)
    await _respond(respond, blocks.list_message(page), replace=True)


@acks_first
async def handle_refresh(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    """ "Refresh" / "Retry" on the Home tab."""
    await publish_home(client, deps_of(context), _who(body))


@acks_first
async def handle_new_ticket(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    """ "New ticket" on the Home tab: the empty form; the number comes by DM."""
    pending = PendingTicket(origin=_who(body))
    await open_form(client, deps_of(context), trigger_id=body["trigger_id"], pending=pending)


@acks_first
async def handle_comment(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    """ "Add comment": the comment modal (whose request is checked when it is sent)."""
    target = blocks.read_button(_action_value(body))
    if target is None:
        return
    view = blocks.comment_modal(*target, home=_on_home(body))
    try:
        await client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as exc:
        count_error("views.open", exc)
        await deps_of(context).messenger.post_private(
            origins.from_button(body),
            Text("Sorry, Slack didn't let me open the comment form in time. Please try again."),
        )


async def handle_close(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    """ "Close" (confirmed in Slack's dialog): only the requester's request is closed."""
    deps = deps_of(context)
    async with deps.inflight.track():
        await ack()
        await let_ack_out()
        target = blocks.read_button(_action_value(body))
        if target is None:
            return
        result = await service(deps).close(_who(body), target[0])
        if _on_home(body):
            await publish_home(client, deps, _who(body), notice=result.message)
        else:
            await deps.messenger.post_private(origins.from_button(body), Text(result.message))


async def handle_comment_submit(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    """The comment modal sent: checked, acked with progress, added, and the outcome shown
    in the modal (the text kept when it failed)."""
    deps = deps_of(context)
    values = view.get("state", {}).get("values", {})
    text = str(values.get(ids.COMMENT_BLOCK, {}).get(ids.COMMENT_BLOCK, {}).get("value") or "")
    try:
        meta = json.loads(view.get("private_metadata") or "")
        request_id, number, home = int(meta["id"]), str(meta["number"]), bool(meta["home"])
    except (ValueError, KeyError, TypeError):
        await ack(response_action="errors", errors={ids.COMMENT_BLOCK: "This form has expired."})
        return
    if not text.strip():
        await ack(response_action="errors", errors={ids.COMMENT_BLOCK: "Please write a comment."})
        return
    async with deps.inflight.track():
        await ack(response_action="update", view=blocks.comment_progress(number))
        acked = time.monotonic()
        who = _who(body)
        result = await service(deps).comment(who, request_id, text)
        wait = deps.view_settle_seconds - (time.monotonic() - acked)
        if wait > 0:
            await asyncio.sleep(wait)
        if isinstance(result, Done):
            await update_view(client, view["id"], blocks.comment_done(result.message))
            if home:
                await publish_home(client, deps, who)
        else:
            again = blocks.comment_modal(
                request_id, number, text=text, error=result.message, home=home
            )
            await update_view(client, view["id"], again)


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(handle_home_opened)
    app.action(ids.MY_MORE_ACTION)(handle_more)
    app.action(ids.MY_REFRESH_ACTION)(handle_refresh)
    app.action(ids.NEW_TICKET_ACTION)(handle_new_ticket)
    app.action(ids.MY_COMMENT_ACTION)(handle_comment)
    app.action(ids.MY_CLOSE_ACTION)(handle_close)
    app.view_submission(ids.COMMENT_CALLBACK)(handle_comment_submit)
