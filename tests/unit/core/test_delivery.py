"""Where a ticket's result goes (`destination`), what the form says about it, and the
`Delivery` record a replay reads back."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from bot.core.delivery import (
    NOWHERE,
    Delivery,
    Destination,
    InConversation,
    InThread,
    Privately,
    destination,
    form_notice,
)
from bot.core.model import Entry, Origin

CHANNEL, DM, ROOT = "C0HELP1", "D0ADA1", "1700000000.000100"

THREAD = "I'll post the ticket number in this thread."
CONVERSATION = "I'll post the ticket number in this channel."
PRIVATELY = "I'll send you the ticket number privately."
DIRECT = "I'll send you the ticket number in a direct message."

ORIGINS: dict[Entry, Origin] = {
    "command": Origin(platform="slack", entry="command", user="U1", conversation=CHANNEL),
    "message": Origin(
        platform="slack",
        entry="message",
        user="U1",
        conversation=CHANNEL,
        thread=ROOT,
        message=ROOT,
    ),
    "global": Origin(platform="slack", entry="global", user="U1"),
    "dm": Origin(
        platform="slack", entry="dm", user="U1", conversation=DM, thread=ROOT, message=ROOT
    ),
    "mention": Origin(
        platform="slack",
        entry="mention",
        user="U1",
        conversation=CHANNEL,
        thread=ROOT,
        message=ROOT,
    ),
}
"""Each entry point as a surface builds it."""

EXPECTED: list[tuple[Entry, bool, Destination, str]] = [
    ("command", False, InConversation(CHANNEL), CONVERSATION),
    ("command", True, Privately("configured"), PRIVATELY),
    ("message", False, InThread(CHANNEL, ROOT), THREAD),
    ("message", True, InThread(CHANNEL, ROOT), THREAD),
    ("global", False, Privately("no_conversation"), DIRECT),
    ("global", True, Privately("no_conversation"), DIRECT),
    ("dm", False, InThread(DM, ROOT), THREAD),
    ("dm", True, InThread(DM, ROOT), THREAD),
    ("mention", False, InThread(CHANNEL, ROOT), THREAD),
    ("mention", True, InThread(CHANNEL, ROOT), THREAD),
]


def test_every_entry_is_covered() -> None:
    assert {entry for entry, *_ in EXPECTED} == set(ORIGINS) == set(get_args(Entry))


@pytest.mark.parametrize(
    ("entry", "reply_privately", "where", "notice"),
    EXPECTED,
    ids=[f"{entry}-{'private' if private else 'default'}" for entry, private, *_ in EXPECTED],
)
def test_destination_and_form_notice(
    entry: Entry, reply_privately: bool, where: Destination, notice: str
) -> None:
    found = destination(ORIGINS[entry], reply_privately=reply_privately)
    assert found == where
    assert form_notice(found) == notice


def test_reply_privately_is_off_by_default() -> None:
    assert destination(ORIGINS["command"]) == InConversation(CHANNEL)


def test_command_typed_in_a_thread_answers_in_that_thread() -> None:
    origin = ORIGINS["command"].model_copy(update={"thread": ROOT})
    assert destination(origin) == InThread(CHANNEL, ROOT)
    assert destination(origin, reply_privately=True) == Privately("configured")


@pytest.mark.parametrize("entry", ["command", "message", "dm", "mention"])
def test_no_conversation_means_privately_whatever_the_entry(entry: Entry) -> None:
    origin = ORIGINS[entry].model_copy(update={"conversation": None})
    assert destination(origin) == Privately("no_conversation")


def test_global_entry_is_private_even_when_a_conversation_is_known() -> None:
    origin = ORIGINS["global"].model_copy(update={"conversation": CHANNEL, "thread": ROOT})
    assert destination(origin) == Privately("no_conversation")


@pytest.mark.parametrize(
    ("reason", "prefer_direct"),
    [("no_conversation", True), ("configured", False), ("refused", False)],
)
def test_only_a_missing_conversation_prefers_a_direct_message(
    reason: Any, prefer_direct: bool
) -> None:
    assert Privately(reason).prefer_direct is prefer_direct


# --------------------------------------------------------------------------- Delivery


@pytest.mark.parametrize(
    "delivery",
    [
        Delivery("public", CHANNEL),
        Delivery("public", CHANNEL, message="1700000000.000200"),
        Delivery("direct"),
        Delivery("private"),
        Delivery("none"),
    ],
)
def test_delivery_record_round_trips(delivery: Delivery) -> None:
    record = delivery.as_record()
    assert record == {
        "kind": delivery.kind,
        "conversation": delivery.conversation,
        "message": delivery.message,
    }
    again = Delivery.from_record(record)
    assert again == delivery
    assert again.message == delivery.message


@pytest.mark.parametrize(
    "record",
    [{}, {"kind": None}, {"kind": "email"}, {"kind": "PUBLIC"}, {"conversation": CHANNEL}],
)
def test_unknown_delivery_records_read_as_nowhere(record: dict[str, Any]) -> None:
    assert Delivery.from_record(record) == NOWHERE
    assert Delivery("none") == NOWHERE
