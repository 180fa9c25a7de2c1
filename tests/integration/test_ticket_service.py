"""TicketService over the real client and FakeServiceOps: at most once, and honest failures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.cache import build_cache
from bot.config import FormConfig
from bot.core.claims import Claims
from bot.core.model import Origin, TicketDraft
from bot.core.tickets import (
    AlreadyFiledError,
    InProgressError,
    TicketError,
    TicketService,
    to_html,
)
from bot.serviceops import RequestCreate, ServiceOpsClient
from tests.fakes.serviceops_api import FakeServiceOps
from tests.integration.conftest import MakeClient

EMAIL = "ada@example.com"
MESSAGE = Origin(
    platform="slack",
    entry="message",
    workspace="T1",
    user="U0ADA1",
    conversation="C0HELP1",
    thread="1.2",
    message="1.2",
)
COMMAND = Origin(
    platform="slack", entry="command", workspace="T1", user="U0ADA1", conversation="C0HELP1"
)


@pytest.fixture
def service(client: ServiceOpsClient) -> TicketService:
    return TicketService(
        client, Claims(build_cache("memory://")), form=FormConfig(category="Incident Category")
    )


def draft(subject: str = "VPN drops", **fields: Any) -> TicketDraft:
    return TicketDraft(subject=subject, **fields)


async def test_files_the_draft_with_every_field(
    service: TicketService, fake: FakeServiceOps
) -> None:
    ticket = await service.file(
        draft(
            description="Since 9:00\n\nEvery <5> minutes & more",
            priority="High",
            urgency="Low",
            impact="On User",
            department="IT",
            tags=["vpn", "remote"],
        ),
        requester_email=EMAIL,
        origin=COMMAND,
        attempt_id="a1",
        footer="From Slack: https://example.slack.com/archives/C0HELP1/p12",
    )
    [body] = fake.created
    assert ticket.number == body["name"]
    assert ticket.id == body["id"]
    assert ticket.url.endswith(f"/t/request/view/{body['id']}")
    assert body["requesterEmail"] == EMAIL
    assert body["priorityName"] == "High"
    assert body["impactName"] == "On User"
    assert body["departmentName"] == "IT"
    assert body["tags"] == ["vpn", "remote"]
    assert body["categoryName"] == "Incident Category"
    assert "Every &lt;5&gt; minutes &amp; more" in body["description"]
    assert "From Slack: https://example.slack.com" in body["description"]


async def test_same_attempt_twice_creates_once(
    service: TicketService, fake: FakeServiceOps
) -> None:
    first = await service.file(draft(), requester_email=EMAIL, origin=COMMAND, attempt_id="a1")
    again = await service.file(draft(), requester_email=EMAIL, origin=COMMAND, attempt_id="a1")
    assert again == first
    assert len(fake.created) == 1


async def test_concurrent_same_attempt_creates_once(
    service: TicketService, fake: FakeServiceOps
) -> None:
    fake.latency = 0.2
    results = await asyncio.gather(
        *(
            service.file(draft(), requester_email=EMAIL, origin=COMMAND, attempt_id="a1")
            for _ in range(5)
        ),
        return_exceptions=True,
    )
    assert len(fake.created) == 1
    assert sum(isinstance(r, InProgressError) for r in results) == 4


async def test_one_message_one_ticket_unless_forced(
    service: TicketService, fake: FakeServiceOps
) -> None:
    first = await service.file(draft(), requester_email=EMAIL, origin=MESSAGE, attempt_id="a1")
    assert await service.already_filed(MESSAGE) == first
    with pytest.raises(AlreadyFiledError) as caught:
        await service.file(draft(), requester_email=EMAIL, origin=MESSAGE, attempt_id="a2")
    assert caught.value.ticket == first
    assert first.number in caught.value.user_message
    second = await service.file(
        draft(), requester_email=EMAIL, origin=MESSAGE, attempt_id="a3", force_new=True
    )
    assert second.number != first.number
    assert len(fake.created) == 2
    assert await service.already_filed(MESSAGE) == first  # the original stays the message's


async def test_failure_releases_claims_so_try_again_works(
    service: TicketService, fake: FakeServiceOps
) -> None:
    fake.fail_next("create", 400, body={"code": "400", "userMessage": "Nope.", "cause": None})
    with pytest.raises(TicketError) as caught:
        await service.file(draft(), requester_email=EMAIL, origin=MESSAGE, attempt_id="a1")
    assert "Nope." in caught.value.user_message
    assert caught.value.reason == "rejected"
    assert not caught.value.retryable
    assert await service.already_filed(MESSAGE) is None
    ticket = await service.file(draft(), requester_email=EMAIL, origin=MESSAGE, attempt_id="a1")
    assert ticket.number == fake.created[-1]["name"]


async def test_unknown_outcome_then_retry_finds_the_request_instead_of_refiling(
    make_client: MakeClient, fake: FakeServiceOps
) -> None:
    service = TicketService(make_client(read_timeout=0.3), Claims(build_cache("memory://")))
    fake.delay_reply("create", 1.0)  # processed at once, answered after the client gave up
    with pytest.raises(TicketError) as caught:
        await service.file(draft(), requester_email=EMAIL, origin=MESSAGE, attempt_id="a1")
    assert caught.value.retryable
    assert caught.value.reason == "outcome_unknown"
    assert "won't file it twice" in caught.value.user_message
    assert len(fake.created) == 1

    fake.delay_reply("create", 0)
    ticket = await service.file(draft(), requester_email=EMAIL, origin=MESSAGE, attempt_id="a1")
    assert len(fake.created) == 1, "the retry found the earlier request"
    assert ticket.number == fake.created[0]["name"]
    assert fake.calls_of("search"), "it looked before filing"


async def test_unknown_outcome_then_retry_files_when_nothing_was_created(
    make_client: MakeClient, fake: FakeServiceOps
) -> None:
    service = TicketService(make_client(), Claims(build_cache("memory://")))
    fake.drop_next("create")  # connection closed before the request was processed
    with pytest.raises(TicketError):
        await service.file(draft(), requester_email=EMAIL, origin=COMMAND, attempt_id="a1")
    assert fake.created == []
    ticket = await service.file(draft(), requester_email=EMAIL, origin=COMMAND, attempt_id="a1")
    assert [c["name"] for c in fake.created] == [ticket.number]


def test_to_html_escapes_and_keeps_paragraphs() -> None:
    html = to_html("<script>alert(1)</script>\nline two\n\nsecond & last")
    assert html == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;<br>line two</p><p>second &amp; last</p>"
    )


async def test_attempt_whose_filer_died_is_taken_over_after_checking(
    client: ServiceOpsClient, fake: FakeServiceOps
) -> None:
    """A replica claimed the attempt, created the request, then died before recording it."""
    claims = Claims(build_cache("memory://"), pending_ttl=0.2)
    service = TicketService(client, claims)
    await claims.claim(
        "attempt:a1",
        value={"subject": "VPN drops", "since": datetime.now(UTC).isoformat()},
        ttl=3600,
    )
    with pytest.raises(InProgressError):  # the holder is still within its deadline
        await service.file(draft(), requester_email=EMAIL, origin=COMMAND, attempt_id="a1")
    await client.create_request(RequestCreate(subject="VPN drops", requester_email=EMAIL))

    await asyncio.sleep(0.3)  # the dead holder's deadline passes
    ticket = await service.file(draft(), requester_email=EMAIL, origin=COMMAND, attempt_id="a1")

    assert [c["name"] for c in fake.created] == [ticket.number], "found, not filed again"


async def test_cancelled_create_leaves_the_attempt_unknown(
    client: ServiceOpsClient, fake: FakeServiceOps
) -> None:
    claims = Claims(build_cache("memory://"))
    service = TicketService(client, claims)
    fake.latency = 5
    task = asyncio.create_task(
        service.file(draft(), requester_email=EMAIL, origin=MESSAGE, attempt_id="a1")
    )
    while not fake.calls_of("create"):
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    record = await claims.peek("attempt:a1")
    assert record is not None
    assert record.state == "unknown"
    assert await service.already_filed(MESSAGE) is None  # the message is free again
