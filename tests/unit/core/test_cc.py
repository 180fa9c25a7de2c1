"""CC people are looked up through the platform's directory before the form closes."""

from __future__ import annotations

import asyncio

from bot.core.cc import resolve_cc
from bot.core.form import Field
from bot.core.model import Origin, TicketDraft
from bot.core.tickets import MissingRequesterError, TicketError

ORIGIN = Origin(platform="slack", entry="command", user="UREQ", conversation="C1")


class People:
    """A directory of a few people: an address, none, or a lookup that fails or hangs."""

    def __init__(self, emails: dict[str, str | None], *, failing: set[str] | None = None) -> None:
        self.emails = emails
        self.failing = failing or set()
        self.hanging: set[str] = set()
        self.asked: list[str] = []

    async def email(self, origin: Origin) -> str:
        self.asked.append(origin.user)
        if origin.user in self.hanging:
            await asyncio.sleep(60)
        if origin.user in self.failing:
            raise TicketError("try later", retryable=True)
        email = self.emails.get(origin.user)
        if email is None:
            raise MissingRequesterError("none")
        return email

    async def name(self, user: str, origin: Origin) -> str:
        return {"U1": "Ann Lee", "U2": "Bob Roe", "U3": "Cy Dee"}.get(user, user)


async def test_picked_people_become_addresses_after_the_typed_ones() -> None:
    people = People({"U1": "ann@example.com", "U2": "bob@example.com"})
    draft = TicketDraft(subject="s", cc_people=["U1", "U2"], cc_emails=["Ann@example.com"])

    resolved = await resolve_cc(draft, people, ORIGIN)

    assert isinstance(resolved, TicketDraft)
    assert resolved.cc_emails == ["Ann@example.com", "bob@example.com"]
    assert resolved.cc_people == ["U1", "U2"]  # kept, so the form shows them again


async def test_nobody_picked_asks_nobody() -> None:
    people = People({})
    draft = TicketDraft(subject="s")

    assert await resolve_cc(draft, people, ORIGIN) is draft
    assert people.asked == []


async def test_people_without_an_address_are_named_on_the_cc_field() -> None:
    people = People({"U1": "ann@example.com", "U2": None, "U3": "not an address"})
    draft = TicketDraft(subject="s", cc_people=["U1", "U2", "U3"])

    assert await resolve_cc(draft, people, ORIGIN) == {
        Field.CC_PEOPLE: "I can't see an e-mail address for Bob Roe and Cy Dee, so the service "
        "desk can't copy them. Please remove them from CC."
    }


async def test_a_failed_lookup_asks_to_submit_again() -> None:
    people = People({"U1": "ann@example.com"}, failing={"U2"})
    draft = TicketDraft(subject="s", cc_people=["U1", "U2"])

    assert await resolve_cc(draft, people, ORIGIN) == {
        Field.CC_PEOPLE: "I couldn't look up Bob Roe just now. Please press Create ticket again."
    }


async def test_lookups_that_take_too_long_do_not_hold_the_form() -> None:
    people = People({"U1": "ann@example.com"})
    people.hanging.add("U1")
    draft = TicketDraft(subject="s", cc_people=["U1"])

    found = await resolve_cc(draft, people, ORIGIN, within=0.05)

    assert found == {
        Field.CC_PEOPLE: "I couldn't look up the people to copy just now. Please press Create "
        "ticket again."
    }


async def test_people_the_directory_cannot_name_are_counted_not_shown() -> None:
    people = People({"U1": None, "X9": None, "X8": None})
    draft = TicketDraft(subject="s", cc_people=["U1", "X9", "X8"])

    found = await resolve_cc(draft, people, ORIGIN, remedy="Type their addresses instead.")

    assert found == {
        Field.CC_PEOPLE: "I can't see an e-mail address for Ann Lee and 2 other people, so the "
        "service desk can't copy them. Type their addresses instead."
    }
    only_unknown = TicketDraft(subject="s", cc_people=["X9"])
    assert await resolve_cc(only_unknown, people, ORIGIN) == {
        Field.CC_PEOPLE: "I can't see an e-mail address for 1 person you picked, so the "
        "service desk can't copy them. Please remove them from CC."
    }
