"""What a person asked for, where they asked, and what came of it.

These types are shared by every chat platform and by the ticket service. They carry no
platform or HTTP objects, so they can travel in a form's metadata, a button or the cache.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Platform = Literal["slack", "teams"]
"""The chat platform a ticket came from (a "surface" of the bot)."""

Entry = Literal["command", "message", "global", "dm", "mention"]
"""How the person started: a command, an action on a message, a global entry point (no
conversation), a direct (1:1) message to the bot, or a mention of the bot."""

PLATFORM_NAMES: dict[str, str] = {"slack": "Slack", "teams": "Microsoft Teams"}
"""How each platform is named in text people read (e.g. a description's footer)."""


class Origin(BaseModel):
    """Where a ticket request came from, and so where its result belongs.

    Ids are the platform's own, opaque to core. `reply_handle` is whatever the surface needs
    to answer this one interaction privately later (Slack's per-invocation response URL);
    only the surface that made it reads it.
    """

    model_config = ConfigDict(frozen=True)

    platform: Platform
    entry: Entry
    user: str
    """The person who acted: they file the ticket and are its requester."""
    workspace: str | None = None
    """The platform's tenant (a Slack workspace), when it scopes conversation ids."""
    conversation: str | None = None
    """Where to announce the result; None when there is no conversation (answer privately)."""
    thread: str | None = None
    """The thread to reply in (its root); None to post in the conversation itself."""
    message: str | None = None
    """The message the ticket is about, when there is one: one message, one ticket."""
    reply_handle: str | None = None
    endpoint: str | None = None
    """Where the platform's API for this conversation lives, when that varies (Teams' service
    URL); opaque to core, like the ids."""

    def by(self, user: str) -> Origin:
        """The same origin acted on by `user`; a reply handle is personal and is dropped."""
        if user == self.user:
            return self
        return self.model_copy(update={"user": user, "reply_handle": None})


class TicketDraft(BaseModel):
    """The form as the person filled it in; every field is what they typed or picked."""

    subject: str = ""
    description: str = ""
    priority: str | None = None
    urgency: str | None = None
    impact: str | None = None
    department: str | None = None
    tags: list[str] = Field(default_factory=list)
    category: str | None = None
    location: str | None = None
    cc_people: list[str] = Field(default_factory=list)
    """People picked to copy, as platform user ids (a people picker); their e-mails join
    `cc_emails` before filing (`bot.core.form.resolve_cc`)."""
    cc_emails: list[str] = Field(default_factory=list)
    """E-mail addresses to copy (`ccEmailSet`): typed, or looked up for `cc_people`."""


class ChatFile(BaseModel):
    """A file someone shared in the chat, by reference (never its content): what the surface
    needs to fetch it later. Names and types come from people: untrusted."""

    model_config = ConfigDict(frozen=True)

    id: str
    """The platform's id for the file (one file is attached once per ticket)."""
    name: str
    size: int | None = None
    """Bytes, when the platform says (checked again while the file is read)."""
    url: str | None = None
    """Where the surface downloads it; opaque to core."""
    link: str | None = None
    """Where a person opens it in the chat (listed in the ticket when it is not attached)."""
    media_type: str | None = None
    credentials: bool = False
    """Fetched with the bot's own credentials (its token); else `url` itself grants access."""


class MissedFile(BaseModel):
    """A chat file that is not attached to its ticket, and why (a sentence's end)."""

    name: str
    reason: str
    """E.g. "larger than the 20 MB limit per file"."""
    link: str | None = None


class FiledTicket(BaseModel):
    """A request that exists in ServiceOps."""

    id: int
    number: str
    """Display name, e.g. INC-12 (not the same number as `id`)."""
    subject: str
    url: str
    """Link to the request in the ServiceOps portal."""
    status: str | None = None
    """Its status when it was filed (what the bot has told so far)."""
    missed_files: list[MissedFile] = Field(default_factory=list)
    """Chat files that could not be attached (listed in its description)."""
