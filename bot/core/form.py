"""The ticket form's rules, the same on every platform.

A surface reads the submitted values (Block Kit state, Adaptive Card data) into a mapping
of field name to string, and `validate` turns it into a `TicketDraft` or into one message
per field that is wrong, worded for the person and shown next to that field. Builders use
the limits and `prefill` so a form never offers what `validate` would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from bot.config import ChannelDefaults, FormConfig
from bot.core.model import TicketDraft
from bot.core.text import TagError, clean, length, one_line, parse_tags, truncate, visible
from bot.serviceops.models import EMAIL

EMAIL_MAX = 254
_CC_SEPARATORS = re.compile(r"[\s,;]+")


class Field:
    """The form's field names: Slack block and action ids, Adaptive Card input ids."""

    SUBJECT: Final = "subject"
    DESCRIPTION: Final = "description"
    PRIORITY: Final = "priority"
    URGENCY: Final = "urgency"
    IMPACT: Final = "impact"
    DEPARTMENT: Final = "department"
    TAGS: Final = "tags"
    CATEGORY: Final = "category"
    LOCATION: Final = "location"
    CC_PEOPLE: Final = "cc_people"
    """People picked to copy (user ids, separated by spaces or commas)."""
    CC: Final = "cc"
    """E-mail addresses typed to copy (separated by commas, semicolons or spaces)."""

    ALL: Final = (
        SUBJECT,
        DESCRIPTION,
        PRIORITY,
        URGENCY,
        IMPACT,
        DEPARTMENT,
        TAGS,
        CATEGORY,
        LOCATION,
        CC_PEOPLE,
        CC,
    )


SUBJECT_MAX = 250
"""Subject length limit: long enough for any real summary, short enough to read in the
portal's request list. The form enforces it as the person types."""
DESCRIPTION_MAX = 3000
"""Description length limit (Slack's largest text input)."""
DEPARTMENT_MAX = 100
"""Free-text department names (when no list is configured)."""
TAG_MAX = 50
"""Longest tag accepted."""
TAGS_SCAN_MAX = 100
"""Most tags read out of one prefilled value before the form's own limit applies."""
CC_MAX = 10
"""Most people copied on one ticket."""
CC_TEXT_MAX = CC_MAX * 80
"""Length of the typed CC field (ten long addresses and their separators)."""

Values = Mapping[str, str | None]
"""Submitted values by field name; None or "" for a field left empty."""
Errors = dict[str, str]
"""One message per field that is wrong, keyed by field name."""


def validate(values: Values, form: FormConfig) -> TicketDraft | Errors:
    """The draft the person submitted, or what to fix, field by field."""
    errors: Errors = {}
    subject = one_line(clean(values.get(Field.SUBJECT) or ""))
    if not visible(subject):  # empty, or only invisible characters
        errors[Field.SUBJECT] = "Please enter a subject."
    elif len(subject) > SUBJECT_MAX:
        errors[Field.SUBJECT] = (
            f"Please keep the subject to {SUBJECT_MAX} characters (it has {len(subject)})."
        )
    description = clean(values.get(Field.DESCRIPTION) or "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors[Field.DESCRIPTION] = (
            f"Please keep the description to {DESCRIPTION_MAX} characters "
            f"(it has {len(description)})."
        )
    choices = {
        Field.PRIORITY: form.priorities,
        Field.URGENCY: form.urgencies,
        Field.IMPACT: form.impacts,
    }
    picked = {name: _choice(values, name, options, errors) for name, options in choices.items()}
    department = _department(values.get(Field.DEPARTMENT), form, errors)
    tags = _tags(values.get(Field.TAGS), form, errors)
    optional = _optional_fields(values, form, errors)
    if errors:
        return errors
    return TicketDraft(
        subject=subject,
        description=description,
        priority=picked[Field.PRIORITY],
        urgency=picked[Field.URGENCY],
        impact=picked[Field.IMPACT],
        department=department,
        tags=tags,
        **optional,
    )


def prefill(draft: TicketDraft, defaults: ChannelDefaults) -> TicketDraft:
    """`draft` with the conversation's defaults where the person has not said otherwise."""
    update: dict[str, object] = {}
    for name in (Field.PRIORITY, Field.URGENCY, Field.IMPACT, Field.DEPARTMENT):
        if not getattr(draft, name) and getattr(defaults, name):
            update[name] = getattr(defaults, name)
    if not draft.tags and defaults.tags:
        update[Field.TAGS] = list(defaults.tags)
    for name in (Field.CATEGORY, Field.LOCATION):
        if not getattr(draft, name) and getattr(defaults, name):
            update[name] = getattr(defaults, name)
    return draft.model_copy(update=update) if update else draft


def tags_text(tags: list[str], *, max_tags: int, max_length: int) -> str:
    """Valid tags joined by ", " for a text field, leaving out any that `validate` would
    refuse or that would not fit in `max_length` characters."""
    kept: list[str] = []
    for tag in tags:
        try:
            parts = parse_tags(tag, max_tags=TAGS_SCAN_MAX, max_length=TAG_MAX)
        except TagError:
            continue
        for part in parts:
            seen = {known.casefold() for known in kept}
            fits = length(", ".join([*kept, part])) <= max_length
            if len(kept) < max_tags and fits and part.casefold() not in seen:
                kept.append(part)
    return ", ".join(kept)


def matching_departments(query: str, form: FormConfig, *, limit: int) -> list[str]:
    """Department names containing `query` (case-insensitive), those starting with it first."""
    needle = one_line(clean(query)).casefold()
    starts = [name for name in form.departments if name.casefold().startswith(needle)]
    contains = [
        name
        for name in form.departments
        if needle in name.casefold() and not name.casefold().startswith(needle)
    ]
    return (starts + contains)[:limit]


# --------------------------------------------------------------------------- rules


def _choice(values: Values, name: str, options: list[str], errors: Errors) -> str | None:
    picked = values.get(name) or None
    if picked is not None and picked not in options:
        errors[name] = "That choice is no longer available. Please pick again."
        return None
    return picked


def _department(typed: str | None, form: FormConfig, errors: Errors) -> str | None:
    name = one_line(clean(typed or ""))
    if not name:
        return None
    if not form.departments:
        if len(name) > DEPARTMENT_MAX:
            errors[Field.DEPARTMENT] = f"Please keep the department to {DEPARTMENT_MAX} characters."
        return name or None
    known = {known.casefold(): known for known in form.departments}
    if name.casefold() not in known:
        errors[Field.DEPARTMENT] = (
            f"“{truncate(name, 40)}” isn't one of the departments. Please pick one from the list."
        )
        return None
    return known[name.casefold()]


def _optional_fields(values: Values, form: FormConfig, errors: Errors) -> dict[str, Any]:
    """Category, location and CC: read only when `BOT_CONFIG` has the form offer them."""
    found: dict[str, Any] = {}
    if form.categories:
        found[Field.CATEGORY] = _choice(values, Field.CATEGORY, form.categories, errors)
    if form.locations:
        found[Field.LOCATION] = _choice(values, Field.LOCATION, form.locations, errors)
    if form.cc_field:
        found["cc_people"] = _cc_people(values.get(Field.CC_PEOPLE), errors)
        found["cc_emails"] = _cc_emails(values.get(Field.CC), errors)
        total = len(found["cc_people"]) + len(found["cc_emails"])
        if total > CC_MAX and not errors.keys() & {Field.CC, Field.CC_PEOPLE}:
            errors[Field.CC] = (
                f"Please copy at most {CC_MAX} people in all (you picked and typed {total})."
            )
    return found


def _cc_people(picked: str | None, errors: Errors) -> list[str]:
    people = [person for person in dict.fromkeys(_CC_SEPARATORS.split(picked or "")) if person]
    if len(people) > CC_MAX:
        errors[Field.CC_PEOPLE] = f"Please pick at most {CC_MAX} people (you picked {len(people)})."
    return people


def _cc_emails(typed: str | None, errors: Errors) -> list[str]:
    parts = [part for part in _CC_SEPARATORS.split(one_line(clean(typed or ""))) if part]
    wrong = next((part for part in parts if not is_email(part)), None)
    if wrong is not None:
        errors[Field.CC] = (
            f"“{truncate(wrong, 40)}” isn't an e-mail address. Please type addresses like "
            "ann@example.com, separated by commas."
        )
        return []
    addresses = unique_addresses(parts)
    if len(addresses) > CC_MAX:
        errors[Field.CC] = f"Please copy at most {CC_MAX} people (you typed {len(addresses)})."
    return addresses


def unique_addresses(addresses: list[str]) -> list[str]:
    """`addresses` without repeats (case-insensitive; the first spelling is kept)."""
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.casefold(), address)
    return list(seen.values())


def is_email(text: str) -> bool:
    """`text` is an address ServiceOps accepts in `ccEmailSet` (the create body's rule)."""
    return len(text) <= EMAIL_MAX and EMAIL.match(text) is not None


def _tags(typed: str | None, form: FormConfig, errors: Errors) -> list[str]:
    try:
        return parse_tags(typed, max_tags=form.max_tags, max_length=TAG_MAX)
    except TagError as exc:
        errors[Field.TAGS] = exc.message
        return []
