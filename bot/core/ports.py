"""What core needs from a chat platform, and the messages it hands over.

Core decides what happens to a ticket and what to tell whom; a surface (Slack, Teams)
implements these few protocols and renders the typed notices and outcomes in its own dialect
(Block Kit, Adaptive Cards). Nothing here is shaped by one platform: user and conversation
ids are the platform's own and opaque to core.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Protocol

from bot.core.delivery import Delivery, InConversation, InThread, Privately
from bot.core.links import TicketLink
from bot.core.model import ChatFile, FiledTicket, MissedFile, Origin

# --------------------------------------------------------------------------- what is said


@dataclass(frozen=True)
class TicketAnnouncement:
    """The public message naming a new ticket and who filed it."""

    ticket: FiledTicket
    requester: str
    """The platform's id of the person who filed it."""
    requester_name: str | None = None
    """Their display name, for platforms whose mentions spell it out."""


@dataclass(frozen=True)
class PrivateResult:
    """The ticket number sent only to the person, with why it came privately."""

    ticket: FiledTicket
    why: Privately


@dataclass(frozen=True)
class Failure:
    """The ticket was not created. `message` says what happened and what to do; `token`
    brings the draft back (`StateStore`) for "Try again" (when `retryable`) and "Back to
    the form"."""

    message: str
    retryable: bool
    token: str


@dataclass(frozen=True)
class AlreadyFiled:
    """The message already has a ticket; `token` brings the draft back for "File a
    separate ticket"."""

    ticket: FiledTicket
    token: str


@dataclass(frozen=True)
class TicketOffer:
    """An offer to file a ticket about a message, made to one person: the message's words
    quoted, and "Create ticket", whose `token` (a `StateStore` token) brings back the draft
    prefilled from it."""

    quote: str
    """The message's words (plain text, written by a person)."""
    token: str
    link: str | None = None
    """The message's link, when known."""


CANNOT_TAKE = (
    "Sorry, I can't take requests right now: a part I need is down. "
    "Please try again in a few minutes."
)
"""What `CannotTakeRequests` says, on every platform."""


@dataclass(frozen=True)
class CannotTakeRequests:
    """The bot cannot take a request now (a part it needs is down): try again in a few
    minutes (`CANNOT_TAKE`). `quote` gives back what the person wrote (plain text), so
    nothing is lost."""

    quote: str = ""


@dataclass(frozen=True)
class Text:
    """A plain sentence for the person (written by the bot, never by a person)."""

    text: str


@dataclass(frozen=True)
class StatusChanged:
    """A ticket's status changed; `ask` names the requester asked "Fixed?" (Resolved)."""

    link: TicketLink
    status: str
    by: str | None = None
    """Who handles it (the technician, else the group), when ServiceOps says."""
    resolution: str | None = None
    """The resolution's text (plain words), for a resolved request."""
    ask: str | None = None


@dataclass(frozen=True)
class DeskReply:
    """What a technician wrote to the requester, shown in the ticket's thread."""

    link: TicketLink
    text: str
    """Plain words (the entry's HTML turned into text)."""
    by: str | None = None


@dataclass(frozen=True)
class FilesNotAttached:
    """The ticket was filed, but some of the person's chat files are not attached to it."""

    ticket: FiledTicket
    missed: list[MissedFile]

    def text(self) -> str:
        """The sentences to show, plain (file names are people's: a surface escapes them)."""
        listed = "; ".join(f"{file.name} ({file.reason})" for file in self.missed)
        count = "1 file is" if len(self.missed) == 1 else f"{len(self.missed)} files are"
        return (
            f"{self.ticket.number} is filed, but {count} not attached to it: {listed}. "
            "The ticket's description links to them in the chat; add them in ServiceOps "
            "if the service desk needs them."
        )


Notice = (
    TicketAnnouncement
    | PrivateResult
    | Failure
    | AlreadyFiled
    | TicketOffer
    | CannotTakeRequests
    | Text
    | StatusChanged
    | DeskReply
    | FilesNotAttached
)
"""What a `Messenger` posts."""


@dataclass(frozen=True)
class Filed:
    """The ticket exists; `delivery` says where it was announced besides the form."""

    ticket: FiledTicket
    delivery: Delivery


@dataclass(frozen=True)
class InProgress:
    """The same attempt is being filed elsewhere (a double click, another replica).

    `token` (a `StateStore` token) offers "Try again" when the other filing may have died:
    once its deadline passes, trying again looks for its ticket before filing.
    """

    token: str | None = None


Outcome = Filed | Failure | AlreadyFiled | InProgress
"""What a `FormUI` shows in place of the submitted form."""

# --------------------------------------------------------------------------- the ports


class Directory(Protocol):
    """Who a person is, as ServiceOps needs it. `origin` says where the person acted (some
    platforms look people up per conversation)."""

    async def email(self, origin: Origin) -> str:
        """The e-mail of `origin.user` for `requesterEmail`.

        Raises:
            MissingRequesterError: no e-mail is visible; its message says what to ask for.
            TicketError: the platform could not be asked (retryable).
        """
        ...

    async def name(self, user: str, origin: Origin) -> str:
        """A display name for descriptions; never fails (falls back to the id)."""
        ...


class Messenger(Protocol):
    """Posts notices in conversations and to people."""

    async def post_public(self, where: InThread | InConversation, notice: Notice) -> str | None:
        """Post where everyone in the conversation sees it: the posted message's id (its
        Slack `ts`, its Teams activity id), or None when the platform refused."""
        ...

    async def post_private(
        self,
        origin: Origin,
        notice: Notice,
        *,
        prefer_direct: bool = False,
        in_place: bool = False,
    ) -> Delivery:
        """Reach `origin.user` privately by every route the platform has, a direct message
        first when `prefer_direct`, a message only they see in `origin`'s conversation (and
        thread) first when `in_place` (an answer about something there); where it went
        (`NOWHERE` when every route failed)."""
        ...


class FileSource(Protocol):
    """The chat files of one platform, read with the bot's own credentials."""

    def read(self, file: ChatFile) -> AsyncGenerator[bytes, None]:
        """The file's bytes, in chunks of bounded size, as they arrive (an async generator:
        closing it early stops the download).

        Raises:
            Exception: any failure to fetch it (core records the file as not attached).
        """
        ...


class FormUI(Protocol):
    """The form the person submitted (a modal, a dialog), showing how it ended."""

    async def show(self, outcome: Outcome) -> None:
        """Replace the form's content with `outcome`; a form already closed is no error."""
        ...
