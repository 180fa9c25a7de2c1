"""`MyRequests` over the real ServiceOps client and the fake ServiceOps on loopback, with the
in-memory directory: ordering, caching, ownership, the search fallbacks, people without an
e-mail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.cache import build_cache
from bot.core.model import Origin
from bot.core.my_requests import (
    NOT_YOURS,
    Done,
    MyRequests,
    Refused,
    RequestsPage,
    Unavailable,
    ago,
)
from bot.serviceops import ApiKey, ServiceOpsClient
from tests.fakes.ports import FakeDirectory
from tests.fakes.serviceops_api import STATUSES, FakeServiceOps

ADA, GRACE = "ada@example.com", "grace@example.com"
WHO = Origin(platform="slack", entry="global", user="U1")
KEY = "k-123"
DAY = 86400.0


@pytest.fixture
async def desk() -> AsyncIterator[FakeServiceOps]:
    async with FakeServiceOps(api_keys={KEY}, statuses=(*STATUSES, "Done")) as fake:
        yield fake


@pytest.fixture
async def client(desk: FakeServiceOps) -> AsyncIterator[ServiceOpsClient]:
    async with ServiceOpsClient(desk.url, auth=ApiKey(KEY), retry_attempts=1) as built:
        yield built


def mine(client: ServiceOpsClient, **options: object) -> MyRequests:
    return MyRequests(
        client,
        build_cache("memory://"),
        FakeDirectory({"U1": ADA}),
        **options,  # type: ignore[arg-type]
    )


async def test_open_first_newest_first_then_closed_within_30_days(
    desk: FakeServiceOps, client: ServiceOpsClient
) -> None:
    a = desk.seed_request(ADA, "a", updated_ago=5 * DAY)
    b = desk.seed_request(ADA, "b", updated_ago=60)
    c = desk.seed_request(ADA, "c", status="closed", updated_ago=2 * DAY)
    desk.seed_request(ADA, "d", status="Closed", updated_ago=31 * DAY)
    desk.seed_request(GRACE, "e")

    page = await mine(client).page(WHO)

    assert isinstance(page, RequestsPage)
    assert [row.id for row in page.rows] == [b["id"], a["id"], c["id"]]
    assert [row.closed for row in page.rows] == [False, False, True]
    assert page.total == 3
    assert page.next_offset is None


async def test_pages_come_from_one_search_for_30_seconds(
    desk: FakeServiceOps, client: ServiceOpsClient
) -> None:
    for n in range(25):
        desk.seed_request(ADA, f"r{n}", updated_ago=60.0 * (n + 1))
    service = mine(client)

    first = await service.page(WHO, size=10)
    second = await service.page(WHO, offset=10, size=10)

    assert isinstance(first, RequestsPage)
    assert isinstance(second, RequestsPage)
    assert first.next_offset == 10
    assert second.next_offset == 20
    assert len(desk.calls_of("search")) == 1


async def test_a_search_limit_marks_the_list_capped(
    desk: FakeServiceOps, client: ServiceOpsClient
) -> None:
    for n in range(15):
        desk.seed_request(ADA, f"r{n}")

    page = await mine(client, limit=10).page(WHO)

    assert isinstance(page, RequestsPage)
    assert page.capped
    assert page.total == 10


async def test_close_checks_the_requester_in_serviceops(
    desk: FakeServiceOps, client: ServiceOpsClient
) -> None:
    own = desk.seed_request(ADA, "own")
    other = desk.seed_request(GRACE, "other")
    changed: list[int] = []
    service = mine(client, changed=changed.append, closed_status="Done")

    refused = await service.close(WHO, other["id"])
    closed = await service.close(WHO, own["id"])
    again = await service.close(WHO, own["id"])

    assert refused == Refused(NOT_YOURS)
    assert closed == Done(f"{own['name']} is closed.", own["name"])
    assert again == Done(f"{own['name']} is already closed.", own["name"])
    assert [(p.request_id, p.body) for p in desk.patches] == [(own["id"], {"statusName": "Done"})]
    assert changed == [own["id"]]


async def test_an_action_refreshes_the_cached_list(
    desk: FakeServiceOps, client: ServiceOpsClient
) -> None:
    own = desk.seed_request(ADA, "own")
    service = mine(client)
    await service.page(WHO)

    await service.comment(WHO, own["id"], "more detail")
    page = await service.page(WHO)

    assert len(desk.calls_of("search")) == 2
    assert isinstance(page, RequestsPage)


async def test_a_blank_comment_is_refused_before_any_call(
    desk: FakeServiceOps, client: ServiceOpsClient
) -> None:
    own = desk.seed_request(ADA, "own")

    result = await mine(client).comment(WHO, own["id"], " \n ")

    assert isinstance(result, Refused)
    assert desk.calls == []


async def test_an_ignored_requester_key_switches_auto_to_filtering(
    desk: FakeServiceOps, client: ServiceOpsClient
) -> None:
    own = desk.seed_request(ADA, "own")
    desk.seed_request(GRACE, "other")
    service = mine(client, requester_key="request.nobody")

    page = await service.page(WHO)

    assert isinstance(page, RequestsPage)
    assert [row.id for row in page.rows] == [own["id"]]
    assert service.method == "filtered"


async def test_qualified_never_falls_back_but_still_filters(
    desk: FakeServiceOps, client: ServiceOpsClient
) -> None:
    own = desk.seed_request(ADA, "own")
    desk.seed_request(GRACE, "other")
    service = mine(client, requester_key="request.nobody", method="qualified")

    page = await service.page(WHO)

    assert isinstance(page, RequestsPage)
    assert [row.id for row in page.rows] == [own["id"]]
    assert service.method == "qualified"


async def test_a_person_without_an_email_is_told_why(client: ServiceOpsClient) -> None:
    service = MyRequests(client, build_cache("memory://"), FakeDirectory({}))

    page = await service.page(WHO)

    assert isinstance(page, Unavailable)
    assert not page.retryable
    assert "e-mail" in page.message


async def test_an_outage_is_unavailable_and_retryable(
    desk: FakeServiceOps, client: ServiceOpsClient
) -> None:
    desk.fail_next("search", 503, retry_after=0)

    page = await mine(client).page(WHO)

    assert isinstance(page, Unavailable)
    assert page.retryable


def test_ago() -> None:
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert ago(now - timedelta(seconds=10), now) == "just now"
    assert ago(now - timedelta(minutes=5), now) == "5 min ago"
    assert ago(now - timedelta(hours=2, minutes=59), now) == "2 h ago"
    assert ago(now - timedelta(days=3), now) == "3 d ago"
    assert ago(now - timedelta(days=45), now) == "16 Jan 2026"
    assert ago(None, now) == ""
