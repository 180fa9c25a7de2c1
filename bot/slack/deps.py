"""The services listeners use, handed to them through Bolt's `context` (never imported)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import FormConfig, Settings
from bot.core.claims import Claims
from bot.core.drafts import StateStore
from bot.core.filing import Filing
from bot.core.follow import Follower
from bot.core.inflight import InFlight
from bot.core.my_requests import MyRequests
from bot.core.tickets import TicketService
from bot.slack.directory import SlackDirectory
from bot.slack.messenger import SlackMessenger


@dataclass
class Deps:
    """Everything a listener needs beyond the Slack payload."""

    settings: Settings
    form: FormConfig
    filing: Filing
    """Core's filing flow, wired to `directory` and `messenger`."""
    directory: SlackDirectory
    messenger: SlackMessenger
    claims: Claims
    cache: Any
    follower: Follower
    """Keeps filed tickets and their threads in step (status changes, replies)."""
    my_requests: MyRequests | None = None
    """The person's own requests (App Home, `/ticket list`)."""
    view_settle_seconds: float = 1.0
    """After acking a submission with a view update, wait this long before our own
    `views.update`: Slack applies the ack asynchronously, and an update that overtook it
    would be overwritten by the progress view."""

    @property
    def tickets(self) -> TicketService:
        return self.filing.tickets

    @property
    def drafts(self) -> StateStore:
        return self.filing.drafts

    @property
    def inflight(self) -> InFlight:
        return self.filing.inflight


def deps_of(context: Any) -> Deps:
    """The `Deps` the app's middleware put into a request's context."""
    deps = context["deps"]
    assert isinstance(deps, Deps)
    return deps
