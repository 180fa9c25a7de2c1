"""The request calls the bot makes, as seen by the server."""

from __future__ import annotations

from datetime import UTC

from bot.serviceops import RequestCreate, ServiceOpsClient
from tests.fakes.serviceops_api import FakeServiceOps
from tests.integration.conftest import MakeClient, new_request


async def test_create_sends_camel_case_json_without_empty_fields(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    body = RequestCreate(
        subject="  VPN down  ",
        requester_email="ada@example.com",
        priority_name="High",
        department_name="IT",
        tags=["vpn"],
        custom_field={"Floor": 3},
    )

    created = await client.create_request(body)

    assert fake.calls_of("create")[0].json == {
        "subject": "VPN down",
        "requesterEmail": "ada@example.com",
        "priorityName": "High",
        "departmentName": "IT",
        "tags": ["vpn"],
        "customField": {"Floor": 3},
    }
    assert (created.id, created.name) == (60, "INC-40")
    assert created.priority_name == "High"
    assert created.created_at is not None
    assert created.created_at.tzinfo is UTC


async def test_get_returns_the_created_request(client: ServiceOpsClient) -> None:
    created = await client.create_request(new_request())

    fetched = await client.get_request(created.id)

    assert fetched == created


async def test_search_sends_paging_sort_and_qual(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    for subject in ("Printer jam", "VPN down", "Printer toner"):
        await client.create_request(new_request(subject))
    qual = {
        "qualDetails": {
            "type": "FlatQualificationRest",
            "quals": [
                {
                    "type": "RelationalQualificationRest",
                    "leftOperand": {"type": "PropertyOperandRest", "key": "request.subject"},
                    "operator": "contains",
                    "rightOperand": {
                        "type": "ValueOperandRest",
                        "value": {"type": "StringValueRest", "value": "printer"},
                    },
                }
            ],
        }
    }

    result = await client.search_requests(qual, offset=1, size=5, sort_by="createdTime")

    call = fake.calls_of("search")[0]
    assert call.query == {"offset": "1", "size": "5", "sort_by": "createdTime"}
    assert call.json == qual
    assert result.total_count == 2
    assert [item.subject for item in result.items] == ["Printer toner"]


async def test_search_without_qual_sends_an_empty_body(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    await client.search_requests()

    call = fake.calls_of("search")[0]
    assert call.json == {}
    assert call.query == {"offset": "0", "size": "25"}


async def test_add_note_posts_a_published_conversation(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    created = await client.create_request(new_request())

    note = await client.add_note(created.id, "<p>Filed from Slack</p>")

    assert fake.calls_of("note")[0].path == f"/api/v1/request/{created.id}/conversation"
    assert fake.calls_of("note")[0].json == {
        "conversationType": "note",
        "details": "<p>Filed from Slack</p>",
        "conversationState": "published",
    }
    assert note["details"] == "<p>Filed from Slack</p>"


async def test_connections_are_reused(fake: FakeServiceOps, client: ServiceOpsClient) -> None:
    for _ in range(5):
        await client.search_requests()

    assert fake.connections_opened == 1


async def test_observer_sees_every_attempt(fake: FakeServiceOps, make_client: MakeClient) -> None:
    seen: list[tuple[str, str]] = []
    client = make_client(observer=lambda op, outcome, seconds: seen.append((op, outcome)))
    fake.fail_next("search", 503)

    await client.search_requests()

    assert seen == [("token", "ok"), ("search_requests", "503"), ("search_requests", "ok")]


async def test_a_failing_observer_does_not_break_calls(make_client: MakeClient) -> None:
    def broken(operation: str, outcome: str, seconds: float) -> None:
        raise RuntimeError("metrics backend down")

    client = make_client(observer=broken)

    result = await client.search_requests()

    assert result.items == []
