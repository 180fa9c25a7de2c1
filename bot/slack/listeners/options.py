"""Type-ahead for the department select when more than 100 departments are configured."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack import ids
from bot.slack.blocks.ticket_form import department_options
from bot.slack.deps import deps_of


async def handle_department_options(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    query = str(body.get("value") or "")
    await ack(options=department_options(query, deps_of(context).form))


def register(app: AsyncApp) -> None:
    app.options(ids.DEPARTMENT_OPTIONS)(handle_department_options)
