"""`Filing`: what core tells whom for every way a filing ends, with no chat platform at all.

The ports are the in-memory fakes (`tests.fakes.ports`); the ticket service is the real
`TicketService` over the real ServiceOps client, talking HTTP to `FakeServiceOps` on loopback,
so "rejected" and "unavailable" are the client's own mapping of real answers. Whatever is
asserted here about the fakes is what a surface (Slack, Teams) gets from core.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.cache import build_cache
from bot.core.claims import ClaimKey, Claims
from bot.core.delivery import NOWHERE, Delivery, InConversation, InThread, Privately
from bot.core.drafts import PendingTicket, StateStore
from bot.core.filing import Filing
from bot.core.inflight import InFlight
from bot.core.model import FiledTicket, Origin, TicketDraft
from bot.core.ports import (
    AlreadyFiled,
    Failure,
    Filed,
    InProgress,
    PrivateResult,
    TicketAnnouncement,
)
from bot.core.tickets import TicketService
from bot.metrics import REGISTRY
from bot.serviceops import ApiKey, ServiceOpsClient, ServiceUnavailableError
from tests.fakes.ports import (
    LOOKUP_FAILED,
    NO_EMAIL,
    FakeDirectory,
    FakeFormUI,
    FakeMessenger,
    Post,
)
from tests.fakes.serviceops_api import FakeServiceOps

API_KEY = "unit-core-key"
ADA, GRACE = "U0ADA1", "U0GRACE"
EMAIL = "ada@example.com"
CHANNEL, ROOT = "C0HELP1", "1700000000.000100"
LINK = "https://example.slack.com/archives/C0HELP1/p1700000000000100"

MESSAGE = Origin(
    platform="slack",
    entry="message",
    workspace="T1",
    user=ADA,
    conversation=CHANNEL,
    thread=ROOT,
    message=ROOT,
    reply_handle="https://hooks.example.com/actions/r1",
)
COMMAND = Origin(
    platform="slack",
    entry="command",
    workspace="T1",
    user=ADA,
    conversation=CHANNEL,
    reply_handle="https://hooks.example.com/commands/r2",
)
GLOBAL = Origin(platform="slack", entry="global", workspace="T1", user=ADA)
TEAMS_MESSAGE = Origin(
    platform="teams",
    entry="message",
    workspace="tenant-1",
    user="29:ada",
    conversation="19:help@thread.tacv2",
    thread="1700000000100",
    message="1700000000100",
)


def pending(
    origin: Origin = MESSAGE,
    *,
    attempt: str = "a1",
    subject: str = "VPN drops every hour",
    **fields: Any,
) -> PendingTicket:
    return PendingTicket(
        origin=origin, draft=TicketDraft(subject=subject), attempt_id=attempt, **fields
    )


def created_count(platform: str, entry: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "serviceops_bot_tickets_created_total", {"platform": platform, "entry": entry}
        )
        or 0.0
    )


def failed_count(platform: str, reason: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "serviceops_bot_tickets_failed_total", {"platform": platform, "reason": reason}
        )
        or 0.0
    )


@dataclass
class World:
    """Core wired to in-memory ports and a real ticket service over FakeServiceOps."""

    serviceops: FakeServiceOps
    client: ServiceOpsClient
    cache: Any = field(default_factory=build_cache)
    directory: FakeDirectory = field(
        default_factory=lambda: FakeDirectory(
            emails={ADA: EMAIL, "29:ada": EMAIL}, names={ADA: "Ada", GRACE: "Grace Hopper"}
        )
    )
    messenger: FakeMessenger = field(default_factory=FakeMessenger)
    inflight: InFlight = field(default_factory=InFlight)

    def __post_init__(self) -> None:
        self.claims = Claims(self.cache)
        self.drafts = StateStore(self.cache, seal_key=b"test seal")

    def filing(self, *, reply_privately: bool = False) -> Filing:
        return Filing(
            TicketService(self.client, self.claims),
            self.claims,
            self.drafts,
            directory=self.directory,
            messenger=self.messenger,
            inflight=self.inflight,
            reply_privately=reply_privately,
        )

    @property
    def created(self) -> list[dict[str, Any]]:
        """Requests that exist in ServiceOps."""
        return self.serviceops.created


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with FakeServiceOps(api_keys={API_KEY}, departments=["IT", "Finance"]) as fake:
        client = ServiceOpsClient(
            fake.url,
            auth=ApiKey(API_KEY),
            connect_timeout=1.0,
            read_timeout=2.0,
            retry_attempts=1,  # one answer per call: a fault injected once is seen once
        )
        try:
            yield World(fake, client)
        finally:
            await client.aclose()


# --------------------------------------------------------------------------- filed


async def test_filed_from_a_message_is_announced_once_in_its_thread(world: World) -> None:
    ui = FakeFormUI()
    ticket = await world.filing().file_and_report(pending(), ui=ui)

    assert ticket is not None
    [body] = world.created
    assert (ticket.id, ticket.number) == (body["id"], body["name"])
    assert body["requesterEmail"] == EMAIL
    assert world.directory.email_lookups == [MESSAGE]
    assert body["subject"] == "VPN drops every hour"
    assert world.messenger.posts == [
        Post(
            TicketAnnouncement(ticket, requester=ADA, requester_name="Ada"),
            public=True,
            where=InThread(CHANNEL, ROOT),
        )
    ]
    assert ui.shown == [Filed(ticket, Delivery("public", CHANNEL))]
    assert world.inflight.running == 0


async def test_command_is_announced_in_its_conversation(world: World) -> None:
    ui = FakeFormUI()
    ticket = await world.filing().file_and_report(pending(COMMAND), ui=ui)

    assert ticket is not None
    assert world.messenger.posts == [
        Post(
            TicketAnnouncement(ticket, requester=ADA, requester_name="Ada"),
            public=True,
            where=InConversation(CHANNEL),
        )
    ]
    assert ui.shown == [Filed(ticket, Delivery("public", CHANNEL))]


async def test_command_with_reply_privately_answers_privately(world: World) -> None:
    ui = FakeFormUI()
    ticket = await world.filing(reply_privately=True).file_and_report(pending(COMMAND), ui=ui)

    assert ticket is not None
    assert world.messenger.public == []
    assert world.messenger.posts == [
        Post(
            PrivateResult(ticket, Privately("configured")),
            public=False,
            origin=COMMAND,
            prefer_direct=False,
            delivery=Delivery("private"),
        )
    ]
    assert ui.shown == [Filed(ticket, Delivery("private"))]


async def test_reply_privately_leaves_message_actions_in_their_thread(world: World) -> None:
    ticket = await world.filing(reply_privately=True).file_and_report(pending(), ui=None)

    assert ticket is not None
    [post] = world.messenger.posts
    assert post.public
    assert post.where == InThread(CHANNEL, ROOT)


async def test_global_entry_is_answered_by_direct_message(world: World) -> None:
    ui = FakeFormUI()
    ticket = await world.filing().file_and_report(pending(GLOBAL), ui=ui)

    assert ticket is not None
    [post] = world.messenger.posts
    assert post == Post(
        PrivateResult(ticket, Privately("no_conversation")),
        public=False,
        origin=GLOBAL,
        prefer_direct=True,
        delivery=Delivery("direct"),
    )
    assert ui.shown == [Filed(ticket, Delivery("direct"))]


async def test_refused_public_post_goes_privately_naming_the_conversation(world: World) -> None:
    world.messenger.public_ok = False
    ui = FakeFormUI()
    ticket = await world.filing().file_and_report(pending(), ui=ui)

    assert ticket is not None
    public, private = world.messenger.posts
    assert public.public
    assert not public.delivered
    assert private == Post(
        PrivateResult(ticket, Privately("refused", CHANNEL)),
        public=False,
        origin=MESSAGE,
        prefer_direct=False,
        delivery=Delivery("private"),
    )
    assert ui.shown == [Filed(ticket, Delivery("private"))]


async def test_refused_public_post_falls_back_to_a_direct_message(world: World) -> None:
    world.messenger.public_ok = False
    world.messenger.private_routes = {"direct"}
    ui = FakeFormUI()
    ticket = await world.filing().file_and_report(pending(), ui=ui)

    assert ticket is not None
    assert world.messenger.posts[-1].delivery == Delivery("direct")
    assert ui.shown == [Filed(ticket, Delivery("direct"))]


@pytest.mark.parametrize(
    ("origin", "reply_privately"),
    [(MESSAGE, False), (COMMAND, True), (GLOBAL, False)],
    ids=["refused", "configured", "no_conversation"],
)
async def test_no_private_route_left_is_shown_as_nowhere(
    world: World, origin: Origin, reply_privately: bool
) -> None:
    world.messenger.public_ok = False
    world.messenger.private_routes = set()
    ui = FakeFormUI()
    ticket = await world.filing(reply_privately=reply_privately).file_and_report(
        pending(origin), ui=ui
    )

    assert ticket is not None, "the ticket exists even if nobody could be told"
    assert [post.delivery for post in world.messenger.private] == [NOWHERE]
    assert ui.shown == [Filed(ticket, Delivery("none"))]


async def test_global_entry_without_direct_messages_reaches_nobody(world: World) -> None:
    """No conversation and no reply handle: only a direct message can reach the person."""
    world.messenger.private_routes = {"private"}
    ui = FakeFormUI()
    ticket = await world.filing().file_and_report(pending(GLOBAL), ui=ui)

    assert ticket is not None
    assert ui.shown == [Filed(ticket, NOWHERE)]


async def test_same_attempt_twice_creates_and_announces_once(world: World) -> None:
    filing = world.filing()
    first_ui, second_ui = FakeFormUI(), FakeFormUI()
    first = await filing.file_and_report(pending(), ui=first_ui)
    again = await filing.file_and_report(pending(), ui=second_ui)

    assert first is not None
    assert again == first
    assert len(world.created) == 1
    assert len(world.messenger.posts) == 1
    assert first_ui.shown == second_ui.shown == [Filed(first, Delivery("public", CHANNEL))]


async def test_replayed_attempt_shows_where_the_first_delivery_went(world: World) -> None:
    world.messenger.public_ok = False
    world.messenger.private_routes = {"direct"}
    filing = world.filing()
    ticket = await filing.file_and_report(pending(), ui=FakeFormUI())
    world.messenger.public_ok = True  # the bot was invited meanwhile: no second announcement

    ui = FakeFormUI()
    assert await filing.file_and_report(pending(), ui=ui) == ticket
    assert ticket is not None
    assert ui.shown == [Filed(ticket, Delivery("direct"))]
    assert len(world.messenger.posts) == 2, "one refused public post, one direct message"


async def test_double_submission_in_one_shared_form_files_and_reports_once(
    world: World,
) -> None:
    world.serviceops.latency = 0.2
    filing = world.filing()
    ui = FakeFormUI()
    results = await asyncio.gather(
        filing.file_and_report(pending(), ui=ui, ui_shared=True),
        filing.file_and_report(pending(), ui=ui, ui_shared=True),
    )

    filed = [result for result in results if result is not None]
    assert len(filed) == 1
    assert len(world.created) == 1
    assert len(world.messenger.posts) == 1
    assert ui.shown == [Filed(filed[0], Delivery("public", CHANNEL))], "nothing overwrote it"


# --------------------------------------------------------------------------- already filed


async def test_second_attempt_on_a_message_is_already_filed_with_its_draft_kept(
    world: World,
) -> None:
    filing = world.filing()
    first = await filing.file_and_report(pending(), ui=FakeFormUI())
    assert first is not None

    second = pending(attempt="a2", subject="Still broken", author=GRACE, link=LINK)
    ui = FakeFormUI()
    assert await filing.file_and_report(second, ui=ui) is None

    [notice] = ui.shown
    assert isinstance(notice, AlreadyFiled)
    assert notice.ticket == first
    assert await world.drafts.load(notice.token) == second
    assert len(world.created) == 1
    assert len(world.messenger.posts) == 1, "only the first ticket's announcement"


async def test_already_filed_without_a_form_is_said_privately(world: World) -> None:
    filing = world.filing()
    first = await filing.file_and_report(pending(), ui=None)
    assert first is not None

    assert await filing.file_and_report(pending(attempt="a2"), ui=None) is None
    post = world.messenger.posts[-1]
    assert not post.public
    assert not post.prefer_direct
    assert post.delivery == Delivery("private")
    assert isinstance(post.notice, AlreadyFiled)
    assert post.notice.ticket == first


async def test_file_a_separate_ticket_from_the_already_filed_token(world: World) -> None:
    filing = world.filing()
    first = await filing.file_and_report(pending(), ui=None)
    ui = FakeFormUI()
    await filing.file_and_report(pending(attempt="a2", subject="Another issue"), ui=ui)
    [notice] = ui.shown
    assert isinstance(notice, AlreadyFiled)
    loaded = await world.drafts.load(notice.token)
    assert loaded is not None

    separate_ui = FakeFormUI()
    second = await filing.file_and_report(loaded.separately(), ui=separate_ui)

    assert second is not None
    assert first is not None
    assert second.number != first.number
    assert [c["subject"] for c in world.created] == ["VPN drops every hour", "Another issue"]
    assert separate_ui.shown == [Filed(second, Delivery("public", CHANNEL))]
    assert await world.filing().tickets.already_filed(MESSAGE) == first, "the message keeps it"


# --------------------------------------------------------------------------- in progress


async def hold_attempt(world: World, attempt: str, subject: str) -> None:
    """Another replica has just claimed `attempt` and is filing it."""
    marker = {"subject": subject, "since": datetime.now(UTC).isoformat()}
    assert await world.claims.claim(ClaimKey.attempt(attempt), value=marker, ttl=3600) is None


async def test_attempt_in_flight_elsewhere_is_said_in_a_form_of_its_own(world: World) -> None:
    await hold_attempt(world, "a1", "VPN drops every hour")
    ui = FakeFormUI()

    assert await world.filing().file_and_report(pending(), ui=ui, ui_shared=False) is None
    assert ui.shown == [InProgress()]
    assert world.messenger.posts == []
    assert world.created == []


async def test_attempt_in_flight_elsewhere_leaves_a_shared_form_to_its_filer(
    world: World,
) -> None:
    await hold_attempt(world, "a1", "VPN drops every hour")
    ui = FakeFormUI()
    filing = world.filing()
    filing.stuck_after = 5.0
    ticket = FiledTicket(id=7, number="INC-7", subject="s", url="https://desk.example.com/7")

    async def the_filer_finishes() -> None:
        await asyncio.sleep(0.3)
        await world.claims.complete(ClaimKey.attempt("a1"), ticket.model_dump(), ttl=60)

    finisher = asyncio.create_task(the_filer_finishes())
    assert await filing.file_and_report(pending(), ui=ui, ui_shared=True) is None
    await finisher

    assert ui.shown == []  # the filer reports there itself
    assert world.messenger.posts == []


async def test_a_stuck_filing_elsewhere_is_said_in_a_shared_form_with_a_way_out(
    world: World,
) -> None:
    await hold_attempt(world, "a1", "VPN drops every hour")
    ui = FakeFormUI()
    filing = world.filing()
    filing.stuck_after = 0.3

    assert await filing.file_and_report(pending(), ui=ui, ui_shared=True) is None

    [shown] = ui.shown
    assert isinstance(shown, InProgress)
    assert shown.token is not None
    again = await world.drafts.load(shown.token)
    assert again is not None
    assert again.attempt_id == "a1"  # Try again continues the same attempt: never twice
    assert world.created == []


async def test_attempt_in_flight_without_a_form_says_nothing(world: World) -> None:
    await hold_attempt(world, "a1", "VPN drops every hour")

    assert await world.filing().file_and_report(pending(), ui=None) is None
    assert world.messenger.posts == []


async def test_other_attempt_in_flight_on_the_message_does_not_block_a_later_try(
    world: World,
) -> None:
    source = ClaimKey.source(MESSAGE)
    assert source is not None
    assert await world.claims.claim(source, ttl=3600) is None  # attempt a0 is filing it
    filing = world.filing()
    ui = FakeFormUI()

    assert await filing.file_and_report(pending(attempt="a1"), ui=ui) is None
    assert ui.shown == [InProgress()]

    await world.claims.release(source)  # a0 failed
    ticket = await filing.file_and_report(pending(attempt="a1"), ui=ui)
    assert ticket is not None, "a1 was not left claimed by the refusal"
    assert ui.last == Filed(ticket, Delivery("public", CHANNEL))


# --------------------------------------------------------------------------- failures


async def test_serviceops_unavailable_fails_retryably_and_try_again_files_once(
    world: World,
) -> None:
    world.serviceops.fail_next("create", 503, html=True)
    failed_before = failed_count("slack", "unavailable")
    filing = world.filing()
    original = pending(subject="Printer on fire", author=GRACE, link=LINK)
    ui = FakeFormUI()

    assert await filing.file_and_report(original, ui=ui) is None

    [failure] = ui.shown
    assert isinstance(failure, Failure)
    assert failure.message == ServiceUnavailableError.default_user_message
    assert failure.retryable
    assert world.messenger.posts == [
        Post(
            failure,
            public=False,
            origin=MESSAGE,
            prefer_direct=True,
            delivery=Delivery("direct"),
        )
    ]
    loaded = await world.drafts.load(failure.token)
    assert loaded == original
    assert loaded is not None
    assert loaded.attempt_id == "a1"
    assert failed_count("slack", "unavailable") == failed_before + 1
    assert world.created == []

    retry_ui = FakeFormUI()
    ticket = await filing.file_and_report(loaded, ui=retry_ui)
    assert ticket is not None
    assert [c["subject"] for c in world.created] == ["Printer on fire"]
    assert retry_ui.shown == [Filed(ticket, Delivery("public", CHANNEL))]


async def test_serviceops_unreachable_fails_retryably(world: World) -> None:
    await world.serviceops.stop()
    ui = FakeFormUI()

    assert await world.filing().file_and_report(pending(), ui=ui) is None
    [failure] = ui.shown
    assert isinstance(failure, Failure)
    assert failure.retryable
    assert failure.message == ServiceUnavailableError.default_user_message


async def test_rejected_request_shows_the_servers_message_not_retryable(world: World) -> None:
    failed_before = failed_count("slack", "rejected")
    draft = TicketDraft(subject="New laptop", department="Legal")
    rejected = PendingTicket(origin=COMMAND, draft=draft, attempt_id="a1")
    ui = FakeFormUI()

    assert await world.filing().file_and_report(rejected, ui=ui) is None

    [failure] = ui.shown
    assert isinstance(failure, Failure)
    assert failure.message == "ServiceOps rejected the request: Department 'Legal' does not exist."
    assert not failure.retryable
    assert await world.drafts.load(failure.token) == rejected, "Back to the form keeps it"
    [post] = world.messenger.posts
    assert post.notice == failure
    assert failed_count("slack", "rejected") == failed_before + 1


async def test_missing_email_says_what_to_ask_for_and_is_not_retryable(world: World) -> None:
    failed_before = failed_count("slack", "no_email")
    del world.directory.emails[ADA]
    ui = FakeFormUI()

    assert await world.filing().file_and_report(pending(), ui=ui) is None

    [failure] = ui.shown
    assert isinstance(failure, Failure)
    assert (failure.message, failure.retryable) == (NO_EMAIL, False)
    assert await world.drafts.load(failure.token) == pending()
    assert world.messenger.posts[0].notice == failure
    assert world.messenger.posts[0].prefer_direct
    assert world.serviceops.calls_of("create") == []
    assert failed_count("slack", "no_email") == failed_before + 1


async def test_directory_that_cannot_be_asked_fails_retryably(world: World) -> None:
    world.directory.fail_lookups()
    ui = FakeFormUI()

    assert await world.filing().file_and_report(pending(), ui=ui) is None

    [failure] = ui.shown
    assert isinstance(failure, Failure)
    assert (failure.message, failure.retryable) == (LOOKUP_FAILED, True)
    assert world.serviceops.calls_of("create") == []


async def test_unexpected_exception_becomes_a_failure_with_a_reference(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    failed_before = failed_count("slack", "unexpected")
    world.directory.break_with(KeyError("profile"))
    ui = FakeFormUI()

    with caplog.at_level(logging.ERROR, logger="bot.filing"):
        assert await world.filing().file_and_report(pending(), ui=ui) is None

    [failure] = ui.shown
    assert isinstance(failure, Failure)
    assert failure.retryable
    found = re.search(r"\(reference ([0-9a-f]{8})\)", failure.message)
    assert found is not None, failure.message
    [record] = [r for r in caplog.records if r.getMessage() == "ticket_failed_unexpectedly"]
    assert record.__dict__["ref"] == found.group(1), "the person's reference is in the log"
    assert record.exc_info is not None
    assert await world.drafts.load(failure.token) == pending()
    assert [post.notice for post in world.messenger.posts] == [failure]
    assert failed_count("slack", "unexpected") == failed_before + 1
    assert world.inflight.running == 0


async def test_failure_without_a_form_is_still_said_privately(world: World) -> None:
    del world.directory.emails[ADA]

    assert await world.filing().file_and_report(pending(), ui=None) is None
    [post] = world.messenger.posts
    assert isinstance(post.notice, Failure)
    assert post.delivery == Delivery("direct")


async def test_long_draft_in_a_failure_comes_back_from_the_cache(world: World) -> None:
    del world.directory.emails[ADA]
    long = PendingTicket(
        origin=MESSAGE,
        draft=TicketDraft(subject="Long one", description="🙂" * 1500),
        attempt_id="a1",
    )
    ui = FakeFormUI()
    await world.filing().file_and_report(long, ui=ui)

    [failure] = ui.shown
    assert isinstance(failure, Failure)
    assert failure.token.startswith("k:")
    assert await world.drafts.load(failure.token) == long


# --------------------------------------------------------------------------- description


async def test_footer_names_the_platform_message_and_its_author(world: World) -> None:
    draft = TicketDraft(subject="VPN", description="It drops.")
    source = PendingTicket(origin=MESSAGE, draft=draft, attempt_id="a1", author=GRACE, link=LINK)
    await world.filing().file_and_report(source, ui=None)

    [body] = world.created
    assert body["description"] == (
        f"<p>It drops.</p><p>From a Slack message by Grace Hopper: {LINK}</p>"
    )
    assert world.directory.name_lookups[0] == GRACE  # the author, for the footer (then the
    # requester, whose name the announcement spells out on platforms that need it)


async def test_footer_without_an_author_names_only_the_platform(world: World) -> None:
    source = pending(COMMAND, link=LINK)
    await world.filing().file_and_report(source, ui=None)

    [body] = world.created
    assert body["description"] == f"<p>From Slack: {LINK}</p>"


async def test_no_link_no_footer(world: World) -> None:
    draft = TicketDraft(subject="VPN", description="It drops.")
    source = PendingTicket(origin=COMMAND, draft=draft, attempt_id="a1", author=GRACE)
    await world.filing().file_and_report(source, ui=None)

    [body] = world.created
    assert body["description"] == "<p>It drops.</p>"
    assert GRACE not in world.directory.name_lookups  # no footer: the author is not looked up


async def test_teams_message_is_filed_with_its_own_name_keys_and_metrics(
    world: World,
) -> None:
    before = created_count("teams", "message")
    link = "https://teams.microsoft.com/l/message/19:help@thread.tacv2/1700000000100"
    source = pending(TEAMS_MESSAGE, author="29:grace", link=link)
    ui = FakeFormUI()
    ticket = await world.filing().file_and_report(source, ui=ui)

    assert ticket is not None
    [body] = world.created
    assert body["description"] == f"<p>From a Microsoft Teams message by 29:grace: {link}</p>"
    assert world.messenger.posts[0].where == InThread("19:help@thread.tacv2", "1700000000100")
    assert ui.shown == [Filed(ticket, Delivery("public", "19:help@thread.tacv2"))]
    assert created_count("teams", "message") == before + 1
    stored = await world.claims.peek("source:teams:tenant-1:19:help@thread.tacv2:1700000000100")
    assert stored is not None
    assert FiledTicket.model_validate(stored.value) == ticket


# --------------------------------------------------------------------------- metrics


async def test_created_tickets_are_counted_by_platform_and_entry(world: World) -> None:
    filing = world.filing()
    message_before = created_count("slack", "message")
    global_before = created_count("slack", "global")

    await filing.file_and_report(pending(), ui=None)
    await filing.file_and_report(pending(GLOBAL, attempt="a2"), ui=None)

    assert created_count("slack", "message") == message_before + 1
    assert created_count("slack", "global") == global_before + 1


async def test_failures_are_not_counted_as_created(world: World) -> None:
    world.serviceops.fail_next("create", 503, html=True)
    before = created_count("slack", "message")

    await world.filing().file_and_report(pending(), ui=None)

    assert created_count("slack", "message") == before


async def test_a_replayed_attempt_is_not_counted_as_created_again(world: World) -> None:
    filing = world.filing()
    before = created_count("slack", "message")

    await filing.file_and_report(pending(), ui=None)
    await filing.file_and_report(pending(), ui=None)

    assert len(world.created) == 1
    assert created_count("slack", "message") == before + 1


# --------------------------------------------------------------------------- robustness


class ExplodingMessenger(FakeMessenger):
    """A messenger with a bug: public posts raise instead of returning False."""

    async def post_public(self, where: InThread | InConversation, notice: Any) -> str | None:
        await super().post_public(where, notice)
        raise RuntimeError("messenger bug")


async def test_a_messenger_that_raises_still_gets_the_number_to_the_person(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.messenger = ExplodingMessenger()
    ui = FakeFormUI()

    ticket = await world.filing().file_and_report(pending(), ui=ui)

    assert ticket is not None
    [private] = world.messenger.private
    assert isinstance(private.notice, PrivateResult)
    assert private.notice.why == Privately("refused", MESSAGE.conversation)
    assert ui.shown == [Filed(ticket, private.delivery or NOWHERE)]
    assert any(record.message == "post_public_failed" for record in caplog.records)


async def test_a_second_delivery_waits_for_where_the_first_announced(world: World) -> None:
    filing = world.filing()
    ticket = FiledTicket(id=1, number="INC-1", subject="s", url="https://desk.example.com/1")
    key = ClaimKey.announced("a1")
    await world.claims.claim(key)  # the first delivery is announcing right now

    async def first_finishes() -> None:
        await asyncio.sleep(0.3)
        await world.claims.complete(
            key, {"delivery": Delivery("public", "C0HELP1").as_record()}, ttl=60
        )

    ui = FakeFormUI()
    finisher = asyncio.create_task(first_finishes())
    delivery = await filing.announce(pending(), ticket, ui=ui)
    await finisher

    assert delivery == Delivery("public", "C0HELP1")
    assert ui.shown == [Filed(ticket, delivery)]
    assert world.messenger.posts == []  # announced once, by the first


async def test_an_announcement_whose_holder_died_is_made_again(world: World) -> None:
    filing = world.filing()
    ticket = FiledTicket(id=1, number="INC-1", subject="s", url="https://desk.example.com/1")
    dead = Claims(world.cache, pending_ttl=0.01)
    await dead.claim(ClaimKey.announced("a1"))  # taken by a replica that then died
    await asyncio.sleep(0.05)

    delivery = await filing.announce(pending(), ticket, ui=None)

    assert delivery == Delivery("public", MESSAGE.conversation)
    assert len(world.messenger.public) == 1


async def test_an_e_mail_serviceops_would_refuse_is_named_as_the_problem(world: World) -> None:
    world.directory.emails[ADA] = "not-an-address"
    ui = FakeFormUI()

    await world.filing().file_and_report(pending(), ui=ui)

    [failure] = ui.shown
    assert isinstance(failure, Failure)
    assert "e-mail address on your chat account" in failure.message
    assert not failure.retryable
    assert world.created == []


# --------------------------------------------------------------------------- cache outage


class BreakableCache:
    """The in-memory cache, except that every call raises while `broken` (Redis down)."""

    def __init__(self) -> None:
        self._cache = build_cache()
        self.broken = False

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._cache, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.broken:
                raise ConnectionError("cache down")
            return await method(*args, **kwargs)

        return call


async def test_a_ticket_confirmed_while_the_cache_dies_is_reported_and_never_filed_twice(
    world: World,
) -> None:
    cache = BreakableCache()
    world.cache = cache
    world.claims = Claims(cache)
    world.drafts = StateStore(cache, seal_key=b"test seal")
    filing = world.filing()
    create = world.client.create_request

    async def create_then_cache_dies(body: Any) -> Any:
        created = await create(body)
        cache.broken = True  # Redis goes down while ServiceOps answers
        return created

    world.client.create_request = create_then_cache_dies  # type: ignore[method-assign]
    ui = FakeFormUI()

    ticket = await filing.file_and_report(pending(), ui=ui)

    assert ticket is not None
    [created] = world.created
    assert ticket.number == created["name"]
    assert ui.shown == [Filed(ticket, Delivery("public", MESSAGE.conversation))]
    [announcement] = world.messenger.public
    assert isinstance(announcement.notice, TicketAnnouncement)

    # "Try again" on the same attempt while the cache is still down: the same ticket.
    again = FakeFormUI()
    assert await filing.file_and_report(pending(), ui=again) == ticket
    assert len(world.created) == 1

    # Once the cache is back, the claims are written and any replica knows the ticket.
    cache.broken = False
    world.client.create_request = create  # type: ignore[method-assign]
    for _ in range(50):
        if await filing.tickets.already_filed(MESSAGE) is not None:
            break
        await asyncio.sleep(0.1)
    assert await filing.tickets.already_filed(MESSAGE) == ticket
