"""The services listeners use, handed to them through Bolt's `context` (never imported)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import FormConfig, Settings
from bot.core.dedupe import Claims
from bot.core.inflight import InFlight
from bot.core.tickets import TicketService
from bot.slack.announce import Announcer
from bot.slack.identity import SlackIdentity
from bot.slack.states import StateStore


@dataclass
class Deps:
    """Everything a listener needs beyond the Slack payload."""

    settings: Settings
    form: FormConfig
    tickets: TicketService
    claims: Claims
    identity: SlackIdentity
    states: StateStore
    announcer: Announcer
    cache: Any
    inflight: InFlight
    view_settle_seconds: float = 1.0
    """After acking a submission with a view update, wait this long before our own
    `views.update`: Slack applies the ack asynchronously, and an update that overtook it
    would be overwritten by the progress view."""


def deps_of(context: Any) -> Deps:
    """The `Deps` the app's middleware put into a request's context."""
    deps = context["deps"]
    assert isinstance(deps, Deps)
    return deps
