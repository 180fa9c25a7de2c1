"""What the Teams handlers need beyond the activity."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.config import FormConfig, TeamsSettings
from bot.core.claims import Claims
from bot.core.drafts import PendingTicket, StateStore
from bot.core.filing import Filing
from bot.core.follow import Follower
from bot.core.inflight import InFlight
from bot.core.my_requests import MyRequests
from bot.core.tickets import TicketService
from bot.teams.connector import BotConnector
from bot.teams.directory import TeamsDirectory
from bot.teams.messenger import TeamsMessenger

STATE_LIMIT = 8000
"""Longest draft token carried inline by a card's data (Teams allows far more than Slack)."""


@dataclass
class TeamsDeps:
    """Core's services wired to Teams' directory and messenger."""

    teams: TeamsSettings
    form: FormConfig
    filing: Filing
    claims: Claims
    connector: BotConnector
    directory: TeamsDirectory
    messenger: TeamsMessenger
    follower: Follower
    """Keeps filed tickets and their threads in step (status changes, replies)."""
    my_requests: MyRequests | None = None
    """The person's own requests ("my tickets", "INC-12" in the 1:1 chat)."""
    answer_within: float = 3.5
    """Seconds an invoke waits for filing before it answers "Creating…" (Teams allows 5)."""
    background: set[asyncio.Task[object]] = field(default_factory=set)
    """Filing that outlives the invoke that started it (kept referenced until done)."""

    @property
    def tickets(self) -> TicketService:
        return self.filing.tickets

    @property
    def drafts(self) -> StateStore:
        return self.filing.drafts

    @property
    def inflight(self) -> InFlight:
        return self.filing.inflight

    async def save(self, pending: PendingTicket) -> str:
        """A token for a button's data (inline when it fits a card, else a cache key)."""
        return await self.drafts.save(pending, limit=STATE_LIMIT)
