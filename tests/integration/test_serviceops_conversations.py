"""A request's conversation, read and added to, against the fake desk over loopback HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.serviceops import (
    OutcomeUnknownError,
    RequestNotFoundError,
    RequestRejectedError,
    ServiceOpsClient,
)
from tests.fakes.serviceops_api import FakeServiceOps
from tests.integration.conftest import MakeClient, grant, new_request

DISPLAY_TIME = re.compile(r"^[A-Z][a-z]{2}, [A-Z][a-z]{2} \d{2}, \d{4} \d{2}:\d{2} [ap]m$")
REPLY = "technician_to_requester"


async def filed(client: ServiceOpsClient) -> int:
    return (await client.create_request(new_request())).id


def close_to_now(when: datetime | None) -> bool:
    return when is not None and abs(datetime.now(UTC) - when) < timedelta(minutes=2)


async def test_technician_replies_are_found_by_type(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    request_id = await filed(client)
    await client.add_note(request_id, "<p>Filed from chat</p>")
    fake.reply_to_requester(request_id, "Looking into it")
    fake.reply_to_requester(request_id, "Fixed <b>now</b>?", by="Kim Park")

    replies = await client.conversations(request_id, types=[REPLY])

    assert [c.details for c in replies] == [
        "<p>Looking into it</p>",
        "<p>Fixed &lt;b&gt;now&lt;/b&gt;?</p>",
    ]
    assert [(c.created_by_name, c.created_by_email) for c in replies] == [
        ("Sam Lee", "sam.lee@example.com"),
        ("Kim Park", "kim.park@example.com"),
    ]
    assert all(c.conversation_type == REPLY for c in replies)
    assert all(close_to_now(c.created_time) for c in replies)
    assert all(DISPLAY_TIME.match(c.created_time_raw or "") for c in replies)
    call = fake.calls_of("conversations")[0]
    assert call.path == f"/api/v1/request/{request_id}/conversation/search/byqual"
    assert call.query == {"offset": "0", "size": "50", "sort_by": "createdTime"}
    assert call.json["qualDetails"]["quals"][0]["rightOperand"]["value"] == {
        "type": "EnumValueRest",
        "value": REPLY,
    }


async def test_without_types_every_entry_comes_back(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    request_id = await filed(client)
    await client.add_note(request_id, "<p>Filed from chat</p>")
    fake.reply_to_requester(request_id, "On it")

    everything = await client.conversations(request_id)

    assert [c.conversation_type for c in everything] == ["note", REPLY]
    assert fake.calls_of("conversations")[0].json == {}


async def test_several_types_in_one_call(fake: FakeServiceOps, client: ServiceOpsClient) -> None:
    request_id = await filed(client)
    fake.reply_to_requester(request_id, "Which printer?")
    await client.add_conversation(
        request_id, conversation_type="requestor_to_technician", details_html="<p>B2</p>"
    )
    await client.add_note(request_id, "<p>internal</p>")
    fake.reply_to_requester(request_id, "Done")

    thread = await client.conversations(request_id, types=[REPLY, "requestor_to_technician"])

    assert [c.details for c in thread] == ["<p>Which printer?</p>", "<p>B2</p>", "<p>Done</p>"]
    assert len(fake.calls_of("conversations")) == 2


async def test_every_page_is_read(fake: FakeServiceOps, client: ServiceOpsClient) -> None:
    request_id = await filed(client)
    for number in range(7):
        fake.reply_to_requester(request_id, f"Reply {number}")

    replies = await client.conversations(request_id, types=[REPLY], size=3)

    assert [c.details for c in replies] == [f"<p>Reply {n}</p>" for n in range(7)]
    assert [call.query["offset"] for call in fake.calls_of("conversations")] == ["0", "3", "6"]


async def test_newest_first_from_the_server_comes_out_oldest_first(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    request_id = await filed(client)
    for number in range(3):
        fake.reply_to_requester(request_id, f"Reply {number}")
    stored = fake.conversations(request_id)
    for entry, stamp in zip(
        stored,
        ["Mon, Jul 14, 2025 09:00 am", "Mon, Jul 14, 2025 01:15 pm", "Tue, Jul 15, 2025 08:05 am"],
        strict=True,
    ):
        entry["createdTime"] = stamp
    stored.reverse()

    replies = await client.conversations(request_id, types=[REPLY])

    assert [c.details for c in replies] == [f"<p>Reply {n}</p>" for n in range(3)]
    assert replies[1].created_time == datetime(2025, 7, 14, 13, 15, tzinfo=UTC)


async def test_entries_of_other_types_are_dropped_even_if_the_server_sends_them(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    request_id = await filed(client)
    await client.add_note(request_id, "<p>internal</p>")
    fake.reply_to_requester(request_id, "On it")
    fake.fail_next(
        "conversations",
        200,
        body={"objectList": fake.conversations(request_id), "totalCount": 2},
    )

    replies = await client.conversations(request_id, types=[REPLY])

    assert [c.details for c in replies] == ["<p>On it</p>"]


async def test_conversations_of_an_unknown_request_are_not_found(
    client: ServiceOpsClient,
) -> None:
    with pytest.raises(RequestNotFoundError):
        await client.conversations(999)


async def test_times_are_read_in_the_desks_zone() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    async with FakeServiceOps(time_zone=ist) as desk:
        client = ServiceOpsClient(desk.url, auth=grant(), display_time_zone=ist)
        async with client:
            request_id = (await client.create_request(new_request())).id
            desk.reply_to_requester(request_id, "On it")

            (reply,) = await client.conversations(request_id, types=[REPLY])

    assert close_to_now(reply.created_time)


async def test_added_reply_is_published_and_typed(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    request_id = await filed(client)

    added = await client.add_conversation(
        request_id,
        conversation_type="requestor_to_technician",
        details_html="<p>It is on fire again</p>",
    )

    assert fake.calls_of("note")[0].json == {
        "conversationType": "requestor_to_technician",
        "details": "<p>It is on fire again</p>",
        "conversationState": "published",
    }
    assert added.id == fake.notes[0]["id"]
    assert added.conversation_type == "requestor_to_technician"
    assert (added.created_by_name, added.created_by_email) == (
        "Automation",
        "automation@example.com",
    )
    assert added.subject == "[INC-40]: Printer on fire"
    assert close_to_now(added.created_time)
    assert fake.conversations(request_id) == fake.notes


async def test_added_note_with_a_subject(fake: FakeServiceOps, client: ServiceOpsClient) -> None:
    request_id = await filed(client)

    added = await client.add_conversation(
        request_id, conversation_type="note", details_html="<p>x</p>", subject="From chat"
    )

    assert added.subject == "From chat"
    assert fake.calls_of("note")[0].json["subject"] == "From chat"


async def test_an_empty_message_is_rejected_with_the_servers_reason(
    client: ServiceOpsClient,
) -> None:
    request_id = await filed(client)

    with pytest.raises(RequestRejectedError) as caught:
        await client.add_conversation(request_id, conversation_type="note", details_html=" ")

    assert caught.value.server_message == "Details is required."


async def test_a_reply_answered_too_late_is_not_sent_again(
    fake: FakeServiceOps, make_client: MakeClient
) -> None:
    client = make_client(read_timeout=0.3)
    request_id = await filed(client)
    fake.delay_reply("note", 1.0)

    with pytest.raises(OutcomeUnknownError) as caught:
        await client.add_conversation(
            request_id, conversation_type="requestor_to_technician", details_html="<p>x</p>"
        )

    assert "may or may not have been added" in caught.value.user_message
    assert len(fake.calls_of("note")) == 1
    assert len(fake.notes) == 1
