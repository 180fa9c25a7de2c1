"""In-memory implementations of core's ports (`bot.core.ports`): no chat platform needed.

Core's filing flow talks to a platform only through `Directory`, `Messenger` and `FormUI`.
These fakes keep what they are told in lists, so a test can check what core decided (what
was said, to whom, by which route) without Slack or Teams. A new surface can be held to the
same expectations: whatever these fakes promise in their docstrings, the surface's real
implementation must do too.

    directory = FakeDirectory(emails={"U1": "ada@example.com"}, names={"U1": "Ada"})
    messenger = FakeMessenger(public_ok=False, private_routes=("direct",))
    ui = FakeFormUI()
    ...
    assert messenger.private[0].delivery == Delivery("direct")
    assert ui.shown == [Filed(ticket, Delivery("direct"))]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.core.delivery import NOWHERE, Delivery, InConversation, InThread
from bot.core.model import Origin
from bot.core.ports import Directory, FormUI, Messenger, Notice, Outcome
from bot.core.tickets import MissingRequesterError, TicketError

PrivateRoute = Literal["direct", "private"]
"""A private way to reach a person: a direct message from the bot, or a message only they
can see (Slack: an ephemeral message or the interaction's response URL)."""

NO_EMAIL = (
    "I couldn't see an e-mail address on your profile, and ServiceOps needs one to know who "
    "you are. Please ask your admin to make it visible to the bot."
)
"""What `FakeDirectory` says for a person without an e-mail."""
LOOKUP_FAILED = "I couldn't look up your profile just now. Please try again in a moment."
"""What `FakeDirectory` says when it was told the platform cannot be asked."""


class FakeDirectory:
    """People by platform user id, as core's `Directory` needs them.

    A surface's real directory must:

    - return the e-mail of `origin.user` (the rest of the origin, e.g. the conversation, is
      there for platforms that look people up per conversation), or raise
      `MissingRequesterError` whose message tells the person what is missing and whom to ask
      (retrying will not help);
    - raise a retryable `TicketError` when the platform could not be asked right now;
    - give a display name for any id and never fail doing so (the id itself as fallback).

    Args:
        emails: e-mail by user id; a user not listed has no e-mail visible.
        names: display name by user id; a user not listed is named by their id.
    """

    def __init__(
        self,
        emails: dict[str, str] | None = None,
        names: dict[str, str] | None = None,
    ) -> None:
        self.emails = dict(emails or {})
        self.names = dict(names or {})
        self.error: Exception | None = None
        """Raised by every `email` lookup while set (see `fail_lookups`, `break_with`)."""
        self.email_lookups: list[Origin] = []
        """The origin of every `email` lookup (whose person is `origin.user`)."""
        self.name_lookups: list[str] = []
        """The user id of every `name` lookup."""

    def fail_lookups(self, message: str = LOOKUP_FAILED) -> None:
        """From now on the platform cannot be asked: `email` raises a retryable error."""
        self.error = TicketError(message, retryable=True)

    def break_with(self, error: Exception) -> None:
        """From now on `email` raises `error` (a bug or an unexpected platform answer)."""
        self.error = error

    async def email(self, origin: Origin) -> str:
        self.email_lookups.append(origin)
        if self.error is not None:
            raise self.error
        found = self.emails.get(origin.user)
        if found is None:
            raise MissingRequesterError(NO_EMAIL)
        return found

    async def name(self, user: str, origin: Origin) -> str:
        self.name_lookups.append(user)
        return self.names.get(user, user)


@dataclass(frozen=True)
class Post:
    """One message `FakeMessenger` was asked to deliver, and what came of it."""

    notice: Notice
    public: bool
    where: InThread | InConversation | None = None
    """For a public post: where it was meant to appear."""
    origin: Origin | None = None
    """For a private post: whose interaction it answers (`origin.user` is the recipient)."""
    prefer_direct: bool = False
    delivered: bool = True
    """For a public post: whether the platform accepted it."""
    delivery: Delivery | None = None
    """For a private post: where it went (`NOWHERE` when every route failed)."""


class FakeMessenger:
    """Conversations and private routes, as core's `Messenger` needs them.

    A surface's real messenger must:

    - post publicly in the thread or conversation it is given, and return False (never
      raise) when the platform refuses (the bot is not a member, the conversation is gone);
    - reach the person privately by every route the platform has, a direct message first
      when `prefer_direct` and the other private routes first otherwise (always when
      `in_place`: a message only they see where they are), and say which route worked:
      `Delivery("direct")`, `Delivery("private")`, or `NOWHERE` when none did.

    The "private" route, like Slack's ephemeral message or response URL, needs something to
    answer in: the interaction's reply handle or its conversation. A global entry point has
    neither, so only a direct message can reach its person.

    Args:
        public_ok: whether public posts are accepted.
        private_routes: the private routes that work.
    """

    def __init__(
        self,
        *,
        public_ok: bool = True,
        private_routes: Iterable[PrivateRoute] = ("direct", "private"),
    ) -> None:
        self.public_ok = public_ok
        self.private_routes: set[PrivateRoute] = set(private_routes)
        self.posts: list[Post] = []
        """Every post asked for, public and private, in order."""

    @property
    def public(self) -> list[Post]:
        """Public posts asked for (accepted or not)."""
        return [post for post in self.posts if post.public]

    @property
    def private(self) -> list[Post]:
        """Private posts asked for (delivered or not)."""
        return [post for post in self.posts if not post.public]

    async def post_public(self, where: InThread | InConversation, notice: Notice) -> str | None:
        self.posts.append(Post(notice, public=True, where=where, delivered=self.public_ok))
        return f"m{len(self.posts)}" if self.public_ok else None

    async def post_private(
        self,
        origin: Origin,
        notice: Notice,
        *,
        prefer_direct: bool = False,
        in_place: bool = False,
    ) -> Delivery:
        order: tuple[PrivateRoute, ...] = (
            ("direct", "private") if prefer_direct and not in_place else ("private", "direct")
        )
        delivery = NOWHERE
        for route in order:
            if self._works(route, origin):
                delivery = Delivery(route)
                break
        self.posts.append(
            Post(
                notice,
                public=False,
                origin=origin,
                prefer_direct=prefer_direct,
                delivery=delivery,
            )
        )
        return delivery

    def _works(self, route: PrivateRoute, origin: Origin) -> bool:
        if route not in self.private_routes:
            return False
        if route == "private":
            return origin.reply_handle is not None or origin.conversation is not None
        return True


class FakeFormUI:
    """One open form (a Slack modal, a Teams dialog), as core's `FormUI` needs it.

    A surface's real form must replace its content with each outcome it is shown, in order
    (the last one is what the person sees), and treat a form the person already closed as no
    error: `show` never raises for that.

    Args:
        closed: the person closed the form; outcomes are accepted and not displayed.
    """

    def __init__(self, *, closed: bool = False) -> None:
        self.closed = closed
        self.shown: list[Outcome] = []
        """Every outcome displayed, in order (none while closed)."""

    @property
    def last(self) -> Outcome | None:
        """What the person sees now."""
        return self.shown[-1] if self.shown else None

    async def show(self, outcome: Outcome) -> None:
        if not self.closed:
            self.shown.append(outcome)


def _conforms(
    directory: FakeDirectory, messenger: FakeMessenger, ui: FakeFormUI
) -> tuple[Directory, Messenger, FormUI]:
    """Never called: mypy checks here that each fake implements its port."""
    return directory, messenger, ui
