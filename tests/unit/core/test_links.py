"""`TicketLink` (bot/core/links.py): what a store keeps about each filed ticket.

A link is immutable and JSON-safe, its times are aware UTC, and it knows the thread its
ticket lives in: the message's thread, or the announcement that starts one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from bot.core.links import CLOSED_STATUSES, LinkStore, ThreadKey, TicketLink
from bot.core.model import FiledTicket, Origin

NOW = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
TICKET = FiledTicket(id=42, number="INC-12", subject="Printer on fire", url="https://d/42")


def link(**changes: Any) -> TicketLink:
    values: dict[str, Any] = {
        "request_id": 42,
        "number": "INC-12",
        "url": "https://desk.example.com/t/request/view/42",
        "subject": "Printer on fire",
        "platform": "slack",
        "workspace": "T1",
        "conversation": "C1",
        "thread": "1700000000.000100",
        "requester": "U1",
        "requester_email": "ada@example.com",
        "announcement": "1700000000.000200",
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(changes)
    return TicketLink(**values)


def origin(**fields: Any) -> Origin:
    values: dict[str, Any] = {"platform": "slack", "entry": "command", "user": "U1"}
    values.update(fields)
    return Origin(**values)


def test_a_new_link_has_told_nothing_yet() -> None:
    made = link()

    assert made.last_status is None
    assert made.last_conversation_seen is None
    assert made.broken is False
    assert made.endpoint is None
    assert made.is_open()


def test_links_are_immutable() -> None:
    with pytest.raises(ValidationError):
        link().last_status = "Closed"  # type: ignore[misc]


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        link(colour="red")


def test_json_round_trip_keeps_everything() -> None:
    made = link(last_status="In Progress", last_conversation_seen=7, broken=True, endpoint="e")

    text = json.dumps(made.model_dump(mode="json"))

    assert TicketLink.model_validate(json.loads(text)) == made


def test_timestamps_are_iso_strings_with_microseconds_in_utc() -> None:
    at_midnight = datetime(2025, 1, 1, tzinfo=UTC)

    dumped = link(created_at=at_midnight, updated_at=NOW).model_dump(mode="json")

    assert dumped["created_at"] == "2025-01-01T00:00:00.000000+00:00"
    assert dumped["updated_at"] == "2025-03-04T05:06:07.123456+00:00"
    assert dumped["created_at"] < dumped["updated_at"]  # text order is time order


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        link(created_at=datetime(2025, 1, 1))  # naive: the point of the test


def test_other_zones_are_converted_to_utc() -> None:
    paris = timezone(timedelta(hours=1))

    made = link(created_at=datetime(2025, 1, 1, 13, 0, tzinfo=paris))

    assert made.created_at == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert made.created_at.utcoffset() == timedelta(0)


def test_times_default_to_now_in_utc() -> None:
    values = link().model_dump(exclude={"created_at", "updated_at"})
    before = datetime.now(UTC)

    made = TicketLink(**values)

    assert before <= made.created_at <= datetime.now(UTC)
    assert made.created_at.tzinfo is UTC


def test_last_conversation_seen_is_an_id_not_a_negative_number() -> None:
    with pytest.raises(ValidationError):
        link(last_conversation_seen=-1)


@pytest.mark.parametrize(
    ("status", "closed", "expected"),
    [
        (None, CLOSED_STATUSES, True),
        ("In Progress", CLOSED_STATUSES, True),
        ("Resolved", CLOSED_STATUSES, True),  # the requester may still reopen it
        ("Closed", CLOSED_STATUSES, False),
        ("Resolved", {"Closed", "Resolved"}, False),
        ("Closed", set(), True),
    ],
)
def test_open_means_no_closed_status_told(
    status: str | None, closed: set[str], expected: bool
) -> None:
    assert link(last_status=status).is_open(closed) is expected


# --------------------------------------------------------------------------- changes


def test_changed_applies_changes_and_moves_updated_at() -> None:
    later = NOW + timedelta(minutes=5)

    new = link().changed({"last_status": "Resolved", "broken": True}, now=later)

    assert (new.last_status, new.broken, new.updated_at) == ("Resolved", True, later)
    assert new.created_at == NOW
    assert new.model_dump(exclude={"last_status", "broken", "updated_at"}) == link().model_dump(
        exclude={"last_status", "broken", "updated_at"}
    )


def test_changed_may_set_updated_at_itself() -> None:
    earlier = NOW - timedelta(days=1)

    assert link().changed({"updated_at": earlier}).updated_at == earlier


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"request_id": 43}, "request_id cannot change"),
        ({"created_at": NOW}, "created_at cannot change"),
        ({"colour": "red"}, "no field colour"),
    ],
)
def test_changed_refuses_identity_and_unknown_fields(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        link().changed(changes)


def test_changed_validates_values() -> None:
    with pytest.raises(ValueError, match="last_conversation_seen"):
        link().changed({"last_conversation_seen": "many"})


# --------------------------------------------------------------------------- threads


def test_a_message_ticket_lives_in_the_message_thread() -> None:
    where = origin(entry="message", conversation="C1", thread="1.0", message="1.5", workspace="T")

    made = TicketLink.for_ticket(
        TICKET, where, requester_email="ada@example.com", announcement="1.9", now=NOW
    )

    assert made.thread == "1.0"
    assert made.thread_key == ThreadKey("slack", "C1", "1.0")
    assert (made.request_id, made.number, made.subject, made.url) == (
        42,
        "INC-12",
        "Printer on fire",
        "https://d/42",
    )
    assert (made.workspace, made.requester, made.requester_email) == ("T", "U1", "ada@example.com")
    assert made.created_at == made.updated_at == NOW


def test_a_command_in_a_channel_starts_its_thread_with_the_announcement() -> None:
    made = TicketLink.for_ticket(TICKET, origin(conversation="C1"), announcement="1.9")

    assert made.thread == "1.9"
    assert made.announcement == "1.9"


def test_an_explicit_thread_wins() -> None:
    made = TicketLink.for_ticket(
        TICKET, origin(conversation="C1", thread="1.0"), announcement="1.9", thread="2.0"
    )

    assert made.thread == "2.0"


def test_a_ticket_told_only_privately_has_no_thread() -> None:
    made = TicketLink.for_ticket(TICKET, origin(entry="global"), announcement=None)

    assert (made.conversation, made.thread, made.thread_key) == (None, None, None)


def test_teams_links_keep_the_service_url() -> None:
    where = origin(
        platform="teams",
        entry="message",
        user="29:1abc",
        conversation="19:abc@thread.tacv2",
        thread="1700000000000",
        endpoint="https://smba.trafficmanager.net/emea/",
    )

    made = TicketLink.for_ticket(TICKET, where, announcement="1700000000999")

    assert made.endpoint == "https://smba.trafficmanager.net/emea/"
    assert made.thread_key == ThreadKey("teams", "19:abc@thread.tacv2", "1700000000000")


def test_thread_key_of_an_event_needs_a_conversation_and_a_thread() -> None:
    assert ThreadKey.of(origin(conversation="C1", thread="1.0")) == ThreadKey("slack", "C1", "1.0")
    assert ThreadKey.of(origin(conversation="C1")) is None
    assert ThreadKey.of(origin(thread="1.0")) is None


def test_link_store_is_a_checkable_protocol() -> None:
    class Nothing:
        pass

    assert not isinstance(Nothing(), LinkStore)
