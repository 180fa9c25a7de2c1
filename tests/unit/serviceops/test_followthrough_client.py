"""The follow-through calls against httpx2.MockTransport: bodies, retries, paging, filtering."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx2
import pytest

from bot.serviceops import (
    ApiKey,
    OutcomeUnknownError,
    RequestNotFoundError,
    ServiceOpsClient,
    UnexpectedResponseError,
)

REQUEST = {"id": 65, "name": "INC-46", "subject": "Printer", "statusName": "Resolved"}
IST = timezone(timedelta(hours=5, minutes=30))

Handler = Callable[[httpx2.Request], httpx2.Response]


class Recorder:
    """Answers with a queue of responses (or exceptions), remembering what it was sent."""

    def __init__(self, *answers: httpx2.Response | Exception) -> None:
        self.answers = list(answers)
        self.seen: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.seen.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def bodies(self) -> list[Any]:
        return [json.loads(request.content) if request.content else None for request in self.seen]


@pytest.fixture
async def make() -> AsyncIterator[Callable[..., ServiceOpsClient]]:
    made: list[ServiceOpsClient] = []

    def build(handler: Handler, **kw: Any) -> ServiceOpsClient:
        client = ServiceOpsClient(
            "https://desk.example.com",
            auth=ApiKey("key"),
            transport=httpx2.MockTransport(handler),
            retry_wait_initial=0.001,
            retry_wait_max=0.01,
            **kw,
        )
        made.append(client)
        return client

    yield build
    for client in made:
        await client.aclose()


def conversation(id_: int, kind: str, when: str = "Wed, Jul 16, 2025 04:33 pm") -> dict[str, Any]:
    return {"id": id_, "conversationType": kind, "details": f"<p>{id_}</p>", "createdTime": when}


def page(items: list[dict[str, Any]], total: int | None = None) -> httpx2.Response:
    return httpx2.Response(
        200, json={"objectList": items, "totalCount": len(items) if total is None else total}
    )


# ---------------------------------------------------------------- update_request


async def test_update_patches_only_the_given_fields(make: Any) -> None:
    server = Recorder(httpx2.Response(200, json=REQUEST))

    updated = await make(server).update_request(65, status_name="Resolved", priority_name="High")

    (sent,) = server.seen
    assert (sent.method, sent.url.path) == ("PATCH", "/api/v1/request/65")
    assert server.bodies() == [{"statusName": "Resolved", "priorityName": "High"}]
    assert updated.status_name == "Resolved"


async def test_update_accepts_wire_names_and_leaves_out_none(make: Any) -> None:
    server = Recorder(httpx2.Response(200, json=REQUEST))

    await make(server).update_request(65, groupName="Hardware", priority_name=None)

    assert server.bodies() == [{"groupName": "Hardware"}]


async def test_update_with_nothing_to_change_sends_nothing(make: Any) -> None:
    server = Recorder(httpx2.Response(200, json=REQUEST))

    with pytest.raises(ValueError, match="no field"):
        await make(server).update_request(65)

    assert server.seen == []


async def test_update_with_an_unknown_field_sends_nothing(make: Any) -> None:
    server = Recorder(httpx2.Response(200, json=REQUEST))

    with pytest.raises(ValueError, match="status"):
        await make(server).update_request(65, status="Resolved")

    assert server.seen == []


@pytest.mark.parametrize(
    "exc", [httpx2.ReadTimeout("slow"), httpx2.RemoteProtocolError("gone"), httpx2.ReadError("x")]
)
async def test_update_is_not_retried_once_sent(make: Any, exc: Exception) -> None:
    server = Recorder(exc, httpx2.Response(200, json=REQUEST))

    with pytest.raises(OutcomeUnknownError) as caught:
        await make(server).update_request(65, status_name="Resolved")

    assert len(server.seen) == 1
    assert caught.value.operation == "update_request"
    assert "the change may or may not have been made" in caught.value.user_message


async def test_update_is_retried_when_the_connection_could_not_be_made(make: Any) -> None:
    server = Recorder(httpx2.ConnectError("refused"), httpx2.Response(200, json=REQUEST))

    updated = await make(server).update_request(65, status_name="Resolved")

    assert updated.name == "INC-46"
    assert len(server.seen) == 2


async def test_gateway_timeout_on_update_means_outcome_unknown(make: Any) -> None:
    server = Recorder(httpx2.Response(504, text="<html>"))

    with pytest.raises(OutcomeUnknownError) as caught:
        await make(server).update_request(65, status_name="Resolved")

    assert caught.value.status == 504
    assert "change may or may not" in caught.value.user_message
    assert len(server.seen) == 1


@pytest.mark.parametrize(
    "answer",
    [
        httpx2.Response(200),
        httpx2.Response(204),
        httpx2.Response(200, json={"result": "ok"}),
        httpx2.Response(200, text="done"),
    ],
)
async def test_update_without_a_request_in_the_answer_reads_it_back(
    make: Any, answer: httpx2.Response
) -> None:
    server = Recorder(answer, httpx2.Response(200, json=REQUEST))

    updated = await make(server).update_request(65, status_name="Resolved")

    assert [(r.method, r.url.path) for r in server.seen] == [
        ("PATCH", "/api/v1/request/65"),
        ("GET", "/api/v1/request/65"),
    ]
    assert updated.status_name == "Resolved"


async def test_update_of_an_unknown_request_is_not_found(make: Any) -> None:
    body = {"code": "404", "userMessage": "Request 9 not found.", "cause": None}
    server = Recorder(httpx2.Response(404, json=body))

    with pytest.raises(RequestNotFoundError):
        await make(server).update_request(9, status_name="Resolved")


# ---------------------------------------------------------------- conversations


async def test_conversations_of_one_type_send_the_documented_search(make: Any) -> None:
    server = Recorder(page([conversation(1, "technician_to_requester")]))

    found = await make(server).conversations(65, types=["technician_to_requester"])

    (sent,) = server.seen
    assert (sent.method, sent.url.path) == ("POST", "/api/v1/request/65/conversation/search/byqual")
    assert dict(sent.url.params) == {"offset": "0", "size": "50", "sort_by": "createdTime"}
    qual = server.bodies()[0]["qualDetails"]["quals"][0]
    assert qual["leftOperand"]["key"] == ".conversation.conversationType"
    assert qual["operator"] == "equal"
    assert qual["rightOperand"]["value"] == {
        "type": "EnumValueRest",
        "value": "technician_to_requester",
    }
    assert [c.id for c in found] == [1]


async def test_conversations_without_types_send_an_empty_body(make: Any) -> None:
    server = Recorder(page([conversation(1, "note"), conversation(2, "collaborate")]))

    found = await make(server).conversations(65)

    assert server.bodies() == [{}]
    assert [c.id for c in found] == [1, 2]


async def test_several_types_are_asked_one_by_one_and_merged_oldest_first(make: Any) -> None:
    server = Recorder(
        page([conversation(7, "technician_to_requester", "Wed, Jul 16, 2025 05:00 pm")]),
        page([conversation(3, "requestor_to_technician", "Wed, Jul 16, 2025 04:00 pm")]),
    )

    found = await make(server).conversations(
        65, types=["technician_to_requester", "requestor_to_technician"]
    )

    sent = [
        body["qualDetails"]["quals"][0]["rightOperand"]["value"]["value"]
        for body in server.bodies()
    ]
    assert sent == ["technician_to_requester", "requestor_to_technician"]
    assert [c.id for c in found] == [3, 7]


async def test_a_type_asked_twice_is_searched_once(make: Any) -> None:
    server = Recorder(page([conversation(1, "note")]))

    await make(server).conversations(65, types=["note", "note"])

    assert len(server.seen) == 1


async def test_conversations_of_other_types_are_dropped_whatever_the_server_does(
    make: Any,
) -> None:
    server = Recorder(
        page(
            [
                conversation(1, "note"),
                conversation(2, "technician_to_requester"),
                conversation(3, "Technician_To_Requester"),
                {"id": 4, "details": "no type"},
            ]
        )
    )

    found = await make(server).conversations(65, types=["technician_to_requester"])

    assert [c.id for c in found] == [2, 3]


async def test_conversations_are_sorted_oldest_first_ties_by_id(make: Any) -> None:
    server = Recorder(
        page(
            [
                conversation(9, "note", "Thu, Jul 17, 2025 09:00 am"),
                conversation(5, "note", "unreadable"),
                conversation(8, "note", "Wed, Jul 16, 2025 04:33 pm"),
                conversation(4, "note", "Wed, Jul 16, 2025 04:33 pm"),
                conversation(2, "note", "Tue, Jul 15, 2025 11:59 pm"),
            ]
        )
    )

    found = await make(server).conversations(65)

    assert [c.id for c in found] == [2, 4, 8, 9, 5]


async def test_pages_are_read_until_the_total_count(make: Any) -> None:
    items = [conversation(i, "note") for i in range(1, 6)]
    server = Recorder(page(items[0:2], 5), page(items[2:4], 5), page(items[4:5], 5))

    found = await make(server).conversations(65, size=2)

    assert [request.url.params["offset"] for request in server.seen] == ["0", "2", "4"]
    assert all(request.url.params["size"] == "2" for request in server.seen)
    assert [c.id for c in found] == [1, 2, 3, 4, 5]


async def test_a_server_that_ignores_the_offset_does_not_loop(make: Any) -> None:
    server = Recorder(page([conversation(1, "note"), conversation(2, "note")], 10))

    found = await make(server).conversations(65, size=2)

    assert len(server.seen) == 2
    assert [c.id for c in found] == [1, 2]


async def test_an_empty_page_ends_paging(make: Any) -> None:
    server = Recorder(page([conversation(1, "note")], 10), page([], 10))

    found = await make(server).conversations(65, size=1)

    assert len(server.seen) == 2
    assert [c.id for c in found] == [1]


async def test_conversation_times_are_read_in_the_configured_zone(make: Any) -> None:
    server = Recorder(page([conversation(1, "note", "Wed, Jul 16, 2025 04:33 pm")]))

    (found,) = await make(server, display_time_zone=IST).conversations(65)

    assert found.created_time == datetime(2025, 7, 16, 11, 3, tzinfo=UTC)
    assert found.created_time_raw == "Wed, Jul 16, 2025 04:33 pm"


async def test_a_single_string_of_types_is_refused(make: Any) -> None:
    server = Recorder(page([]))

    with pytest.raises(TypeError, match="not a str"):
        await make(server).conversations(65, types="note")

    assert server.seen == []


@pytest.mark.parametrize(("kwargs", "match"), [({"types": []}, "empty"), ({"size": 0}, "size")])
async def test_bad_arguments_send_nothing(make: Any, kwargs: dict[str, Any], match: str) -> None:
    server = Recorder(page([]))

    with pytest.raises(ValueError, match=match):
        await make(server).conversations(65, **kwargs)

    assert server.seen == []


async def test_a_page_of_the_wrong_shape_is_unexpected(make: Any) -> None:
    server = Recorder(httpx2.Response(200, json={"objectList": [{"details": "no id"}]}))

    with pytest.raises(UnexpectedResponseError, match="search_conversations"):
        await make(server).conversations(65)


# ---------------------------------------------------------------- add_conversation / add_note


async def test_add_conversation_posts_a_published_entry(make: Any) -> None:
    answer = {**conversation(12, "requestor_to_technician"), "createdByName": "Automation"}
    server = Recorder(httpx2.Response(200, json=answer))

    added = await make(server).add_conversation(
        65, conversation_type="requestor_to_technician", details_html="<p>Still broken</p>"
    )

    (sent,) = server.seen
    assert (sent.method, sent.url.path) == ("POST", "/api/v1/request/65/conversation")
    assert server.bodies() == [
        {
            "conversationType": "requestor_to_technician",
            "details": "<p>Still broken</p>",
            "conversationState": "published",
        }
    ]
    assert (added.id, added.created_by_name) == (12, "Automation")
    assert added.created_time == datetime(2025, 7, 16, 16, 33, tzinfo=UTC)


async def test_add_conversation_sends_a_subject_when_given(make: Any) -> None:
    server = Recorder(httpx2.Response(200, json=conversation(12, "note")))

    await make(server).add_conversation(
        65, conversation_type="note", details_html="<p>x</p>", subject="From chat"
    )

    assert server.bodies()[0]["subject"] == "From chat"


@pytest.mark.parametrize("exc", [httpx2.ReadTimeout("slow"), httpx2.RemoteProtocolError("gone")])
async def test_add_conversation_is_not_retried_once_sent(make: Any, exc: Exception) -> None:
    server = Recorder(exc, httpx2.Response(200, json=conversation(12, "note")))

    with pytest.raises(OutcomeUnknownError) as caught:
        await make(server).add_conversation(65, conversation_type="note", details_html="<p>x</p>")

    assert len(server.seen) == 1
    assert "message may or may not have been added" in caught.value.user_message


@pytest.mark.parametrize(
    "answer",
    [httpx2.Response(200), httpx2.Response(200, json={"ok": True}), httpx2.Response(200, json=[])],
)
async def test_add_conversation_with_an_unreadable_answer_says_to_check(
    make: Any, answer: httpx2.Response
) -> None:
    server = Recorder(answer)

    with pytest.raises(UnexpectedResponseError) as caught:
        await make(server).add_conversation(65, conversation_type="note", details_html="<p>x</p>")

    assert "Please check the ticket before sending it again" in caught.value.user_message
    assert len(server.seen) == 1


async def test_add_note_keeps_its_dict_answer_on_the_shared_path(make: Any) -> None:
    server = Recorder(httpx2.Response(200, json=conversation(12, "note")), httpx2.Response(200))
    client = make(server)

    note = await client.add_note(65, "<p>Filed from chat</p>")
    empty = await client.add_note(65, "again", conversation_type="collaborate")

    assert note == conversation(12, "note")
    assert empty == {}
    assert server.bodies() == [
        {
            "conversationType": "note",
            "details": "<p>Filed from chat</p>",
            "conversationState": "published",
        },
        {"conversationType": "collaborate", "details": "again", "conversationState": "published"},
    ]


# ---------------------------------------------------------------- find_by_number


async def test_find_by_number_keeps_only_the_exact_name(make: Any) -> None:
    items = [
        {**REQUEST, "id": 70, "name": "INC-460"},
        {**REQUEST, "id": 65, "name": "INC-46"},
        {**REQUEST, "id": 71, "name": "SR-46"},
    ]
    server = Recorder(page(items))

    found = await make(server).find_by_number(" inc-46 ")

    assert found is not None
    assert found.id == 65
    (sent,) = server.seen
    assert sent.url.path == "/api/v1/request/search/byqual"
    assert dict(sent.url.params) == {"offset": "0", "size": "50"}
    qual = server.bodies()[0]["qualDetails"]["quals"][0]
    assert qual["leftOperand"]["key"] == "request.name"
    assert qual["rightOperand"]["value"] == {"type": "StringValueRest", "value": "inc-46"}


async def test_find_by_number_without_an_exact_match_is_none(make: Any) -> None:
    server = Recorder(page([{**REQUEST, "name": "INC-460"}]))

    assert await make(server).find_by_number("INC-46") is None


async def test_find_by_number_needs_a_number(make: Any) -> None:
    server = Recorder(page([]))

    with pytest.raises(ValueError, match="blank"):
        await make(server).find_by_number("  ")

    assert server.seen == []


async def test_a_redirect_on_add_conversation_is_not_called_accepted(make: Any) -> None:
    server = Recorder(httpx2.Response(302, headers={"Location": "/login"}))

    with pytest.raises(UnexpectedResponseError) as caught:
        await make(server).add_conversation(65, conversation_type="note", details_html="<p>x</p>")

    assert "accepted" not in caught.value.user_message
    assert caught.value.status == 302


async def test_update_takes_the_status_under_its_wire_name_too(make: Any) -> None:
    server = Recorder(httpx2.Response(200, json=REQUEST))

    await make(server).update_request(65, statusName="Pending")

    assert server.bodies() == [{"statusName": "Pending"}]
