"""The fake's PATCH and conversation endpoints keep to the documented contract."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx2
import pytest

from tests.fakes.serviceops_api import FakeServiceOps, display_time

KEY = "k"
AUTH = {"Authorization": f"Apikey {KEY}"}
DOCUMENTED_TIME = re.compile(r"^[A-Z][a-z]{2}, [A-Z][a-z]{2} \d{2}, \d{4} \d{2}:\d{2} [ap]m$")


@pytest.fixture
async def desk() -> AsyncIterator[tuple[FakeServiceOps, httpx2.AsyncClient, int]]:
    async with FakeServiceOps(api_keys={KEY}) as fake, httpx2.AsyncClient() as http:
        created = await http.post(
            fake.url + "/api/v1/request",
            json={"subject": "Printer", "requesterEmail": "ada@example.com"},
            headers=AUTH,
        )
        yield fake, http, created.json()["id"]


def test_display_time_matches_the_documented_samples() -> None:
    assert display_time(datetime(2025, 7, 16, 16, 33, tzinfo=UTC)) == ("Wed, Jul 16, 2025 04:33 pm")
    assert display_time(datetime(2025, 7, 17, 0, 5, tzinfo=UTC)) == "Thu, Jul 17, 2025 12:05 am"


async def test_patch_needs_authorization(
    desk: tuple[FakeServiceOps, httpx2.AsyncClient, int],
) -> None:
    fake, http, request_id = desk

    answer = await http.patch(
        fake.url + f"/api/v1/request/{request_id}", json={"statusName": "Closed"}
    )

    assert answer.status_code == 401
    assert fake.patches == []
    assert fake.stored_request(request_id)["statusName"] == "Open"


async def test_patch_of_an_unknown_request_is_the_servers_404(
    desk: tuple[FakeServiceOps, httpx2.AsyncClient, int],
) -> None:
    fake, http, _ = desk

    answer = await http.patch(
        fake.url + "/api/v1/request/999", json={"statusName": "Closed"}, headers=AUTH
    )

    assert answer.status_code == 404
    assert answer.json() == {"code": "404", "userMessage": "Request 999 not found.", "cause": None}


async def test_patch_applies_known_fields_and_ignores_others(
    desk: tuple[FakeServiceOps, httpx2.AsyncClient, int],
) -> None:
    fake, http, request_id = desk
    before = fake.stored_request(request_id)["updatedTime"]

    answer = await http.patch(
        fake.url + f"/api/v1/request/{request_id}",
        json={"statusName": "Pending", "customField": {"Floor": 2}, "id": 1, "bogus": True},
        headers=AUTH,
    )

    body = answer.json()
    assert (body["id"], body["statusName"], body["customField"]) == (
        request_id,
        "Pending",
        {"Floor": 2},
    )
    assert "bogus" not in body
    assert body["updatedTime"] > before
    assert fake.patches[0].body["bogus"] is True


async def test_a_custom_rule_refuses_with_its_message(
    desk: tuple[FakeServiceOps, httpx2.AsyncClient, int],
) -> None:
    fake, http, request_id = desk
    fake.add_rule(lambda request, body: "Closed tickets are final." if "tags" in body else None)

    answer = await http.patch(
        fake.url + f"/api/v1/request/{request_id}", json={"tags": ["x"]}, headers=AUTH
    )

    assert answer.status_code == 400
    assert answer.json()["userMessage"] == "Closed tickets are final."


async def test_resolution_in_the_same_patch_satisfies_the_rule(
    desk: tuple[FakeServiceOps, httpx2.AsyncClient, int],
) -> None:
    fake, http, request_id = desk
    fake.require_resolution_for("Resolved", "Closed")

    answer = await http.patch(
        fake.url + f"/api/v1/request/{request_id}",
        json={"statusName": "Closed", "resolution": "<p>Done</p>"},
        headers=AUTH,
    )

    assert answer.status_code == 200
    assert answer.json()["resolution"] == "<p>Done</p>"


async def test_set_status_moves_updated_time_and_shows_on_get(
    desk: tuple[FakeServiceOps, httpx2.AsyncClient, int],
) -> None:
    fake, http, request_id = desk
    before = fake.stored_request(request_id)["updatedTime"]

    fake.set_status(request_id, "Resolved", technician="Sam Lee", resolution="<p>Toner</p>")
    body = (await http.get(fake.url + f"/api/v1/request/{request_id}", headers=AUTH)).json()

    assert body["statusName"] == "Resolved"
    assert (body["technicianName"], body["resolution"]) == ("Sam Lee", "<p>Toner</p>")
    assert body["updatedTime"] > before


async def test_conversations_have_the_documented_shape(
    desk: tuple[FakeServiceOps, httpx2.AsyncClient, int],
) -> None:
    fake, http, request_id = desk
    fake.reply_to_requester(request_id, "<p>Hello</p>")

    answer = await http.post(
        fake.url + f"/api/v1/request/{request_id}/conversation/search/byqual",
        json={},
        headers=AUTH,
    )

    body = answer.json()
    assert body["totalCount"] == 1
    (entry,) = body["objectList"]
    assert {
        "id",
        "conversationType",
        "details",
        "createdByName",
        "createdByEmail",
        "createdTime",
        "updatedTime",
        "subject",
        "conversationState",
        "emailIds",
        "ccEmailIds",
        "updatable",
        "deletable",
        "fileAttachments",
    } <= set(entry)
    assert entry["details"] == "<p>Hello</p>"
    assert entry["subject"] == "[INC-40]: Printer"
    assert DOCUMENTED_TIME.match(entry["createdTime"])


async def test_conversation_search_honours_in_with_a_list_too(
    desk: tuple[FakeServiceOps, httpx2.AsyncClient, int],
) -> None:
    fake, http, request_id = desk
    fake.reply_to_requester(request_id, "reply")
    await http.post(
        fake.url + f"/api/v1/request/{request_id}/conversation",
        json={"conversationType": "note", "details": "<p>n</p>"},
        headers=AUTH,
    )
    qual = {
        "type": "RelationalQualificationRest",
        "leftOperand": {"type": "PropertyOperandRest", "key": ".conversation.conversationType"},
        "operator": "in",
        "rightOperand": {"type": "ValueOperandRest", "value": {"value": ["NOTE", "collaborate"]}},
    }

    answer = await http.post(
        fake.url + f"/api/v1/request/{request_id}/conversation/search/byqual",
        json={"qualDetails": {"type": "FlatQualificationRest", "quals": [qual]}},
        headers=AUTH,
    )

    assert [e["conversationType"] for e in answer.json()["objectList"]] == ["note"]


async def test_an_unknown_conversation_type_is_refused(
    desk: tuple[FakeServiceOps, httpx2.AsyncClient, int],
) -> None:
    fake, http, request_id = desk

    answer = await http.post(
        fake.url + f"/api/v1/request/{request_id}/conversation",
        json={"conversationType": "gossip", "details": "<p>x</p>"},
        headers=AUTH,
    )

    assert answer.status_code == 400
    assert fake.conversations(request_id) == []
