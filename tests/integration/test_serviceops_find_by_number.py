"""`find_by_number`: a search on the display number, then an exact match in the client."""

from __future__ import annotations

import pytest

from bot.serviceops import RequestRejectedError, ServiceOpsClient
from tests.fakes.serviceops_api import FakeServiceOps
from tests.integration.conftest import new_request


async def test_finds_the_request_with_that_number(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    first = await client.create_request(new_request("VPN down"))
    second = await client.create_request(new_request("Printer jam"))

    found = await client.find_by_number(second.name)

    assert found is not None
    assert (found.id, found.name, found.subject) == (second.id, "INC-41", "Printer jam")
    assert found.id != first.id
    qual = fake.calls_of("search")[0].json["qualDetails"]["quals"][0]
    assert qual["leftOperand"]["key"] == "request.name"
    assert (qual["operator"], qual["rightOperand"]["value"]["value"]) == ("equal", "INC-41")


async def test_the_number_is_matched_case_insensitively(client: ServiceOpsClient) -> None:
    created = await client.create_request(new_request())

    found = await client.find_by_number(f"  {created.name.lower()} ")

    assert found is not None
    assert found.id == created.id


async def test_an_unknown_number_is_none(client: ServiceOpsClient) -> None:
    await client.create_request(new_request())

    assert await client.find_by_number("INC-99") is None


async def test_a_lenient_server_answer_is_filtered_to_the_exact_number(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    for _ in range(3):
        await client.create_request(new_request())
    near_misses = [dict(item, name=f"{item['name']}0") for item in fake.created[:2]]
    exact = fake.created[2]
    fake.fail_next("search", 200, body={"objectList": [*near_misses, exact], "totalCount": 3})

    found = await client.find_by_number(exact["name"])

    assert found is not None
    assert found.id == exact["id"]


async def test_a_server_ignoring_the_qual_never_yields_another_request(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    await client.create_request(new_request())
    fake.fail_next(
        "search", 200, body={"objectList": fake.created, "totalCount": len(fake.created)}
    )

    assert await client.find_by_number("INC-4") is None


async def test_a_refused_search_raises_the_clients_error(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    fake.fail_next("search", 400)

    with pytest.raises(RequestRejectedError):
        await client.find_by_number("INC-40")
