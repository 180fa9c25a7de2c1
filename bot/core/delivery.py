"""Where a ticket's result goes, decided once for every platform, and the words for it.

- An action on a message, a direct message, a mention: a reply in the originating thread.
- A command typed in a conversation: a message there (its thread becomes the ticket's
  conversation), unless the site configured results to go privately.
- No conversation (a global entry point): privately.
- The platform refuses the public post (the bot is not a member, …): privately, saying why.

Nobody is left without the ticket number: a surface's `Messenger` tries every private route
it has before giving up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.core.model import Origin

PrivateReason = Literal["no_conversation", "configured", "refused"]
"""Why a result goes privately: there is no conversation to post in, the site asked for
private results, or the platform refused the public post."""


@dataclass(frozen=True)
class InThread:
    """A reply in a thread of a conversation."""

    conversation: str
    thread: str
    endpoint: str | None = None
    """The origin's `endpoint` (where the platform's API for the conversation lives)."""


@dataclass(frozen=True)
class InConversation:
    """A new message in a conversation (its thread becomes the ticket's conversation)."""

    conversation: str
    endpoint: str | None = None


@dataclass(frozen=True)
class Privately:
    """Only the person sees it (a direct message, or a message only they can see)."""

    reason: PrivateReason
    conversation: str | None = None
    """The conversation the result was meant for, when the post there was refused."""

    @property
    def prefer_direct(self) -> bool:
        """A direct message first: there is no conversation to show a private note in."""
        return self.reason == "no_conversation"


Destination = InThread | InConversation | Privately


def destination(origin: Origin, *, reply_privately: bool = False) -> Destination:
    """Where the result of a ticket filed from `origin` is announced."""
    if origin.conversation is None or origin.entry == "global":
        return Privately("no_conversation")
    if origin.entry == "command" and reply_privately:
        return Privately("configured")
    if origin.thread is not None:
        return InThread(origin.conversation, origin.thread, origin.endpoint)
    return InConversation(origin.conversation, origin.endpoint)


def form_notice(where: Destination) -> str:
    """One line for the form: where the ticket number will appear."""
    if isinstance(where, InThread):
        return "I'll post the ticket number in this thread."
    if isinstance(where, InConversation):
        return "I'll post the ticket number in this channel."
    if where.reason == "configured":
        return "I'll send you the ticket number privately."
    return "I'll send you the ticket number in a direct message."


DeliveryKind = Literal["public", "direct", "private", "none"]


@dataclass(frozen=True)
class Delivery:
    """Where a message actually went: posted in a conversation, a direct message, another
    private route, or nowhere (every route failed)."""

    kind: DeliveryKind
    conversation: str | None = None
    """For `public`: the conversation it was posted in."""
    message: str | None = field(default=None, compare=False)
    """For `public`: the posted message's id (where a thread can start)."""

    def as_record(self) -> dict[str, Any]:
        return {"kind": self.kind, "conversation": self.conversation, "message": self.message}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Delivery:
        kind = record.get("kind")
        if kind not in ("public", "direct", "private", "none"):
            return cls("none")
        return cls(kind, record.get("conversation"), message=record.get("message"))


NOWHERE = Delivery("none")

PRIVATE_PLACES: dict[str, str] = {
    "direct": "a direct message from me",
    "private": "a private message",
}
"""How a private delivery is named in "You'll also find it in …"."""
