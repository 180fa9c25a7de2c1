"""Listeners, one module per Slack surface; `register_all` wires them to their identifiers."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners import (
    actions,
    commands,
    events,
    my_requests,
    options,
    reactions,
    shortcuts,
    views,
)


def register_all(app: AsyncApp) -> None:
    """Attach every listener to `app` (the identifiers live in `bot.slack.ids`)."""
    for surface in (commands, shortcuts, events, reactions, actions, views, options, my_requests):
        surface.register(app)
