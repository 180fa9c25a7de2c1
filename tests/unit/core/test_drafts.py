"""Stored drafts (`PendingTicket`, `StateStore`) and the origin they carry."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.cache import build_cache
from bot.core.drafts import (
    DRAFTS_PER_PERSON,
    INLINE_LIMIT,
    KEY_PREFIX,
    SEAL_CHARS,
    SEAL_PREFIX,
    PendingTicket,
    StateStore,
)
from bot.core.model import Origin, TicketDraft
from bot.core.text import length

SEAL_KEY = b"a key only the bot knows"
SEALED = len(SEAL_PREFIX) + SEAL_CHARS
"""What a seal adds to an inline token."""
ORIGIN = Origin(
    platform="slack",
    entry="message",
    workspace="T1",
    user="U0ADA1",
    conversation="C0HELP1",
    thread="1700000000.000100",
    message="1700000000.000100",
    reply_handle="https://hooks.example.com/actions/r1",
)
DRAFT = TicketDraft(
    subject="VPN drops",
    description="Since Monday",
    priority="High",
    department="IT",
    tags=["vpn"],
)


def ticket(description: str = "Since Monday", **fields: Any) -> PendingTicket:
    draft = DRAFT.model_copy(update={"description": description})
    return PendingTicket(origin=ORIGIN, draft=draft, **fields)


@pytest.fixture
def cache() -> Any:
    return build_cache("memory://")


@pytest.fixture
def store(cache: Any) -> StateStore:
    return StateStore(cache, seal_key=SEAL_KEY)


# --------------------------------------------------------------------------- StateStore


async def test_short_draft_travels_inline(store: StateStore, cache: Any) -> None:
    pending = ticket(attempt_id="a1", author="U0GRACE", link="https://x.example/p1")
    token = await store.save(pending)

    assert token.startswith(SEAL_PREFIX)
    assert token.endswith(pending.encode())
    assert await store.load(token) == pending


async def test_an_inline_draft_rewritten_in_the_client_is_refused(store: StateStore) -> None:
    """A card's data comes back from the person's client: changing where the bot would post
    (or anything else in the draft) breaks the seal, and the draft reads as expired."""
    teams = ORIGIN.model_copy(update={"platform": "teams", "endpoint": "https://smba.example/"})
    token = await store.save(PendingTicket(origin=teams, draft=DRAFT, attempt_id="a1"))
    assert (await store.load(token)) is not None

    forged = token.replace("https://smba.example/", "https://attacker.example/")
    assert forged != token
    assert await store.load(forged) is None
    assert await store.load(token[len(SEAL_PREFIX) + SEAL_CHARS :]) is None, "seal taken off"
    other_key = StateStore(build_cache("memory://"), seal_key=b"another deployment")
    assert await other_key.load(token) is None


async def test_long_draft_is_kept_in_the_cache(store: StateStore, cache: Any) -> None:
    pending = ticket("x" * 3000, attempt_id="a1")
    token = await store.save(pending)

    assert token.startswith(KEY_PREFIX)
    assert len(token) < 50
    assert await cache.get(f"state:{token}") is not None
    assert await store.load(token) == pending


async def test_inline_limit_counts_utf16_units(store: StateStore) -> None:
    pending = ticket("🙂" * 990, attempt_id="a1")
    inline = pending.encode()
    assert len(inline) + SEALED <= INLINE_LIMIT < length(inline) + SEALED, "characters, not units"

    token = await store.save(pending)
    assert token.startswith(KEY_PREFIX)
    assert await store.load(token) == pending


async def test_limit_is_inclusive(store: StateStore) -> None:
    pending = ticket("🙂 é", attempt_id="a1")
    units = length(pending.encode()) + SEALED

    assert (await store.save(pending, limit=units)).endswith(pending.encode())
    assert (await store.save(pending, limit=units - 1)).startswith(KEY_PREFIX)


async def test_each_cached_draft_gets_its_own_key(store: StateStore) -> None:
    first = await store.save(ticket("a" * 3000))
    second = await store.save(ticket("b" * 3000))

    assert first != second
    loaded = [await store.load(first), await store.load(second)]
    assert [p.draft.description[0] for p in loaded if p is not None] == ["a", "b"]


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not json",
        "{",
        "null",
        "[1, 2]",
        '"a string"',
        "{}",
        '{"origin": 1}',
        '{"origin": {"platform": "irc", "entry": "message", "user": "U1"}}',
        "k:",
        "k:never-saved",
        '{"origin": {"platform": "teams", "entry": "global", "user": "29:ada"}}',
        "s1:",
        "s1:AAAAAAAAAAAAAAAAAAAAAA{}",
    ],
)
async def test_anything_else_loads_as_none(store: StateStore, token: str) -> None:
    assert await store.load(token) is None


async def test_a_cached_value_that_is_not_a_draft_loads_as_none(
    store: StateStore, cache: Any
) -> None:
    await cache.set("state:k:odd", {"subject": "no origin"})
    assert await store.load("k:odd") is None


async def test_cached_drafts_expire(cache: Any) -> None:
    store = StateStore(cache, seal_key=SEAL_KEY, ttl=0.05)
    token = await store.save(ticket("x" * 3000))
    assert await store.load(token) is not None

    await asyncio.sleep(0.15)
    assert await store.load(token) is None


async def test_a_person_keeps_their_most_recent_drafts_and_the_oldest_go(cache: Any) -> None:
    store = StateStore(cache, seal_key=SEAL_KEY, per_person=3)
    tokens = [await store.save(ticket(f"{n} " + "x" * 3000)) for n in range(5)]

    kept = [await store.load(token) for token in tokens]
    assert kept[:2] == [None, None]  # dropped when the 4th and the 5th were saved
    assert [p.draft.description.split()[0] for p in kept[2:] if p] == ["2", "3", "4"]
    cached = [key for key in await cache.raw("keys") if "state:" in str(key)]
    assert len(cached) == 3


async def test_the_cap_is_per_person_and_inline_drafts_do_not_count(cache: Any) -> None:
    store = StateStore(cache, seal_key=SEAL_KEY, per_person=2)
    grace = ORIGIN.by("U0GRACE")
    ada_first = await store.save(ticket("a" * 3000))
    grace_tokens = [
        await store.save(PendingTicket(origin=grace, draft=TicketDraft(description="g" * 3000)))
        for _ in range(3)
    ]
    for _ in range(5):
        await store.save(ticket("short"))  # inline: nothing stored, nothing dropped
    other_team = ORIGIN.model_copy(update={"workspace": "T2"})
    await store.save(PendingTicket(origin=other_team, draft=TicketDraft(description="t" * 3000)))
    await store.save(PendingTicket(origin=other_team, draft=TicketDraft(description="t" * 3000)))

    assert await store.load(ada_first) is not None
    assert [await store.load(t) is not None for t in grace_tokens] == [False, True, True]


def test_the_default_cap_leaves_room_for_a_busy_week() -> None:
    assert 20 <= DRAFTS_PER_PERSON <= 200


def test_encode_leaves_defaults_out_and_decodes_back() -> None:
    pending = PendingTicket(origin=Origin(platform="teams", entry="global", user="29:ada"))
    encoded = pending.encode()

    assert encoded == '{"origin":{"platform":"teams","entry":"global","user":"29:ada"}}'
    assert PendingTicket.decode(encoded) == pending
    assert PendingTicket.decode("garbage") is None
    assert PendingTicket.decode('{"origin": {}}') is None


# --------------------------------------------------------------------------- PendingTicket


def test_filing_gives_a_new_form_the_new_attempt() -> None:
    form = ticket(author="U0GRACE").for_form()
    submitted = form.filing(DRAFT, attempt_id="fresh")

    assert submitted.draft == DRAFT
    assert submitted.attempt_id == "fresh"
    assert (submitted.origin, submitted.author) == (ORIGIN, "U0GRACE")
    assert form.draft == TicketDraft(), "the form's own copy is unchanged"
    assert form.attempt_id is None


def test_filing_a_form_that_continues_an_attempt_keeps_it() -> None:
    form = ticket(attempt_id="a1").for_form(keep_attempt=True)
    submitted = form.filing(DRAFT, attempt_id="fresh")

    assert submitted.attempt_id == "a1", "a resubmission never files a second ticket"


def test_for_form_empties_the_draft_and_drops_the_attempt_unless_kept() -> None:
    pending = ticket(attempt_id="a1", force_new=True, author="U0GRACE", link="https://x/p")

    fresh = pending.for_form()
    assert fresh.draft == TicketDraft()
    assert fresh.attempt_id is None
    assert (fresh.origin, fresh.force_new, fresh.author, fresh.link) == (
        ORIGIN,
        True,
        "U0GRACE",
        "https://x/p",
    )
    assert pending.for_form(keep_attempt=True).attempt_id == "a1"
    assert pending.draft == DRAFT


def test_separately_is_a_new_forced_attempt_with_the_same_draft() -> None:
    pending = ticket(attempt_id="a1")

    first, second = pending.separately(), pending.separately()
    assert first.force_new
    assert first.draft == pending.draft
    assert first.origin == pending.origin
    assert len({pending.attempt_id, first.attempt_id, second.attempt_id}) == 3
    assert first.attempt_id
    assert not pending.force_new


# --------------------------------------------------------------------------- Origin


def test_origin_by_the_same_user_is_the_same_origin() -> None:
    assert ORIGIN.by("U0ADA1") is ORIGIN


def test_origin_by_another_user_drops_the_reply_handle() -> None:
    other = ORIGIN.by("U0GRACE")

    assert other.user == "U0GRACE"
    assert other.reply_handle is None
    assert other.model_dump(exclude={"user", "reply_handle"}) == ORIGIN.model_dump(
        exclude={"user", "reply_handle"}
    )
    assert ORIGIN.reply_handle is not None, "the original keeps its handle"


async def test_optional_fields_come_back_with_the_draft(store: StateStore) -> None:
    draft = DRAFT.model_copy(
        update={
            "category": "Network",
            "location": "Plant",
            "cc_people": ["U0GRACE"],
            "cc_emails": ["grace@example.com"],
        }
    )
    pending = PendingTicket(origin=ORIGIN, draft=draft, attempt_id="a1")

    loaded = await store.load(await store.save(pending))

    assert loaded is not None
    assert loaded.draft == draft  # "Try again" files the same CC, "Back to the form" shows it
