"""The ticket form's rules, the same on every platform.

A surface reads the submitted values (Block Kit state, Adaptive Card data) into a mapping
of field name to string, and `validate` turns it into a `TicketDraft` or into one message
per field that is wrong, worded for the person and shown next to that field. Builders use
the limits and `prefill` so a form never offers what `validate` would refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bot.config import ChannelDefaults, FormConfig
from bot.core.model import TicketDraft
from bot.core.text import TagError, clean, length, one_line, parse_tags, truncate, visible


class Field:
    """The form's field names: Slack block and action ids, Adaptive Card input ids."""

    SUBJECT: Final = "subject"
    DESCRIPTION: Final = "description"
    PRIORITY: Final = "priority"
    URGENCY: Final = "urgency"
    IMPACT: Final = "impact"
    DEPARTMENT: Final = "department"
    TAGS: Final = "tags"

    ALL: Final = (SUBJECT, DESCRIPTION, PRIORITY, URGENCY, IMPACT, DEPARTMENT, TAGS)


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
    )


def prefill(draft: TicketDraft, defaults: ChannelDefaults) -> TicketDraft:
    """`draft` with the conversation's defaults where the person has not said otherwise."""
    update: dict[str, object] = {}
    for name in (Field.PRIORITY, Field.URGENCY, Field.IMPACT, Field.DEPARTMENT):
        if not getattr(draft, name) and getattr(defaults, name):
            update[name] = getattr(defaults, name)
    if not draft.tags and defaults.tags:
        update[Field.TAGS] = list(defaults.tags)
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


def _tags(typed: str | None, form: FormConfig, errors: Errors) -> list[str]:
    try:
        return parse_tags(typed, max_tags=form.max_tags, max_length=TAG_MAX)
    except TagError as exc:
        errors[Field.TAGS] = exc.message
        return []
