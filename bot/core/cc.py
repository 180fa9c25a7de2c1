"""CC by picking people: their e-mails, looked up before the form closes.

A people picker gives platform user ids; ServiceOps wants addresses (`ccEmailSet`). Each
picked person is looked up through the platform's `Directory` (cached there) while the form
is still open, so someone without a visible e-mail is named under the CC field and nothing
typed is lost, instead of the filing failing later.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.form import Errors, Field, is_email, unique_addresses
from bot.core.model import Origin, TicketDraft
from bot.core.ports import Directory
from bot.core.tickets import MissingRequesterError, TicketError

log = logging.getLogger("bot.cc")

LOOKUP_SECONDS = 2.0
"""How long the lookups may take: the form is answered while the platform waits."""
NAMES_SHOWN = 3

REMOVE = "Please remove them from CC."
_NO_EMAIL = "I can't see an e-mail address for {names}, so the service desk can't copy them."
_LOOKUP_FAILED = "I couldn't look up {names} just now. Please press Create ticket again."


async def resolve_cc(
    draft: TicketDraft,
    directory: Directory,
    origin: Origin,
    *,
    remedy: str = REMOVE,
    within: float = LOOKUP_SECONDS,
) -> TicketDraft | Errors:
    """`draft` with the picked people's e-mails in `cc_emails`, or a message for the CC field
    naming who cannot be copied, ending with `remedy` (what the person can do about it)."""
    if not draft.cc_people:
        return draft
    try:
        async with asyncio.timeout(within):
            found = await asyncio.gather(
                *(_email(directory, origin.by(person)) for person in draft.cc_people)
            )
    except TimeoutError:
        log.warning("cc_lookup_timed_out", extra={"people": len(draft.cc_people)})
        return {Field.CC_PEOPLE: _LOOKUP_FAILED.format(names="the people to copy")}
    picked = list(zip(draft.cc_people, found, strict=True))
    no_email = [person for person, email in picked if email is None]
    if no_email:
        names = await _names(directory, origin, no_email)
        return {Field.CC_PEOPLE: _NO_EMAIL.format(names=names) + " " + remedy}
    failed = [person for person, email in picked if email == ""]
    if failed:
        names = await _names(directory, origin, failed)
        return {Field.CC_PEOPLE: _LOOKUP_FAILED.format(names=names)}
    emails = [email for email in found if email]
    return draft.model_copy(update={"cc_emails": unique_addresses([*draft.cc_emails, *emails])})


async def _email(directory: Directory, origin: Origin) -> str | None:
    """The person's address; None when they have none usable, "" when the lookup failed."""
    try:
        email = await directory.email(origin)
    except MissingRequesterError:
        return None
    except TicketError:
        return ""
    return email if is_email(email.strip()) else None


async def _names(directory: Directory, origin: Origin, people: list[str]) -> str:
    """The people's names, as far as the directory knows them (it gives an id back for
    someone it cannot find: those are counted, not shown)."""
    found = [await directory.name(person, origin) for person in people]
    known = [name for person, name in zip(people, found, strict=True) if name != person]
    unknown = len(people) - len(known)
    names = known[:NAMES_SHOWN]
    others = unknown + len(known) - len(names)
    if others and names:
        names.append("1 other person" if others == 1 else f"{others} other people")
    elif others:
        names.append("1 person you picked" if others == 1 else f"{others} people you picked")
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
