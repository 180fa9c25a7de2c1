"""`find_requests`: one documented search by subject, then exact matching in the client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.serviceops import RequestCreate, RequestRejectedError, ServiceOpsClient
from tests.fakes.serviceops_api import FakeServiceOps
from tests.integration.conftest import new_request

HOUR_MS = 3600 * 1000


async def file(client: ServiceOpsClient, subject: str, requester: str = "ada@example.com") -> int:
    created = await client.create_request(RequestCreate(subject=subject, requester_email=requester))
    return created.id


async def test_finds_the_request_with_that_subject_and_requester(
    client: ServiceOpsClient,
) -> None:
    wanted = await file(client, "VPN down")
    await file(client, "Printer jam")

    found = await client.find_requests(
        subject="VPN down",
        requester="Ada@Example.COM",
        since=datetime.now(UTC) - timedelta(minutes=5),
    )

    assert [request.id for request in found] == [wanted]
    assert found[0].subject == "VPN down"


async def test_sends_the_subject_qualification_sorted_by_creation(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    await client.find_requests(subject="VPN down", requester="ada@example.com")

    call = fake.calls_of("search")[0]
    assert call.path == "/api/v1/request/search/byqual"
    assert call.query == {"offset": "0", "size": "50", "sort_by": "createdTime"}
    assert call.json == {
        "qualDetails": {
            "type": "FlatQualificationRest",
            "quals": [
                {
                    "type": "RelationalQualificationRest",
                    "leftOperand": {"type": "PropertyOperandRest", "key": "request.subject"},
                    "operator": "equal",
                    "rightOperand": {
                        "type": "ValueOperandRest",
                        "value": {"type": "StringValueRest", "value": "VPN down"},
                    },
                }
            ],
        }
    }


async def test_size_is_passed_on(fake: FakeServiceOps, client: ServiceOpsClient) -> None:
    await client.find_requests(subject="VPN down", size=5)

    assert fake.calls_of("search")[0].query["size"] == "5"


async def test_another_requesters_request_is_left_out(client: ServiceOpsClient) -> None:
    await file(client, "VPN down", requester="bob@example.com")
    mine = await file(client, "VPN down")

    found = await client.find_requests(subject="VPN down", requester="ada@example.com")

    assert [request.id for request in found] == [mine]


async def test_without_requester_everyones_requests_are_kept(client: ServiceOpsClient) -> None:
    ids = [
        await file(client, "VPN down", requester="bob@example.com"),
        await file(client, "VPN down"),
    ]

    found = await client.find_requests(subject="VPN down")

    assert [request.id for request in found] == ids


async def test_a_request_older_than_since_is_left_out(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    await file(client, "VPN down")
    recent = await file(client, "VPN down")
    fake.created[0]["createdTime"] -= HOUR_MS

    found = await client.find_requests(
        subject="VPN down",
        requester="ada@example.com",
        since=datetime.now(UTC) - timedelta(minutes=30),
    )

    assert [request.id for request in found] == [recent]


async def test_a_request_without_created_time_is_kept(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    timeless = await file(client, "VPN down")
    del fake.created[0]["createdTime"]

    found = await client.find_requests(subject="VPN down", since=datetime.now(UTC))

    assert [request.id for request in found] == [timeless]
    assert found[0].created_at is None


async def test_the_subject_must_match_exactly(client: ServiceOpsClient) -> None:
    await file(client, "vpn DOWN")  # the fake's `equal`, like a lenient server, ignores case
    exact = await file(client, "VPN down")

    found = await client.find_requests(subject="VPN down")

    assert [request.id for request in found] == [exact]


async def test_nothing_found_is_an_empty_list(client: ServiceOpsClient) -> None:
    await client.create_request(new_request("Printer on fire"))

    assert await client.find_requests(subject="VPN down") == []


async def test_a_naive_since_is_refused_before_asking(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await client.find_requests(subject="VPN down", since=datetime(2025, 1, 1))

    assert fake.calls_of("search") == []


async def test_a_failed_search_raises_the_clients_error(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    fake.fail_next("search", 400)

    with pytest.raises(RequestRejectedError):
        await client.find_requests(subject="VPN down")
