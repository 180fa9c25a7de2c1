"""What a person asked for, where they asked, and what came of it.

These types are shared by every chat surface (Slack today, Teams later) and by the ticket
service; they carry no Slack or HTTP objects so they can travel in modal metadata or a cache.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Surface = Literal["command", "message", "global", "dm", "mention"]
"""How the person started: `/ticket`, message shortcut, global shortcut, DM, @mention."""


class Origin(BaseModel):
    """Where a ticket request came from and where its result should be announced."""

    model_config = ConfigDict(frozen=True)

    surface: Surface
    team_id: str | None = None
    user_id: str
    channel_id: str | None = None
    """Conversation to announce in; None for the global shortcut (answer by DM)."""
    thread_ts: str | None = None
    """Thread to reply in (the parent's ts when the source message was a reply)."""
    message_ts: str | None = None
    """The source message, when the ticket is about one; the de-duplication key."""
    response_url: str | None = None
    """Slack's per-invocation fallback URL (commands and message shortcuts only)."""

    def source_key(self) -> str | None:
        """Key naming the source message, so one message files at most one ticket."""
        if self.channel_id and self.message_ts:
            return f"{self.team_id or '-'}:{self.channel_id}:{self.message_ts}"
        return None


class TicketDraft(BaseModel):
    """The form as the person filled it in; every field is what they typed or picked."""

    subject: str = ""
    description: str = ""
    priority: str | None = None
    urgency: str | None = None
    impact: str | None = None
    department: str | None = None
    tags: list[str] = Field(default_factory=list)


class FiledTicket(BaseModel):
    """A request that exists in ServiceOps."""

    id: int
    number: str
    """Display name, e.g. INC-12 (not the same number as `id`)."""
    subject: str
    url: str
    """Link to the request in the ServiceOps portal."""
