"""The ticket modal: build it prefilled from a draft, and read it back when submitted.

Every input block holds one element whose `action_id` equals the block's `block_id`
(`ids.Block`), so Slack's inline errors (keyed by block id) land under the right field.
"""

from __future__ import annotations

from typing import Any

from bot.config import ChannelDefaults, FormConfig
from bot.core.drafts import Origin, TicketDraft
from bot.slack import ids
from bot.slack.text import (
    TagError,
    clean,
    length,
    one_line,
    parse_tags,
    truncate,
    truncate_escaped,
    visible,
)

SUBJECT_MAX = 250
"""Subject length limit: long enough for any real summary, short enough to read in the
portal's request list. The form enforces it as the person types."""
DESCRIPTION_MAX = 3000
"""Slack's largest `max_length` for a text input."""
DEPARTMENT_MAX = 100
"""Free-text department names (when no list is configured)."""
TAG_MAX = 50
"""Longest tag accepted."""
STATIC_DEPARTMENTS_MAX = 100
"""Up to this many departments are a plain select; more become a type-ahead select."""
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
PLACEHOLDER_MAX = 150
OPTIONS_MAX = 100
TRIMMED_MARKER = "\n… (shortened to fit the form)"

Json = dict[str, Any]


def build_option(text: str, value: str) -> Json:
    """A select option; `text` is shortened to Slack's 75 characters.

    Raises:
        ValueError: `value` is longer than 150 characters (it would not round-trip).
    """
    if len(value) > OPTION_VALUE_MAX:
        raise ValueError(f"option value longer than {OPTION_VALUE_MAX} characters")
    return {"text": _plain(truncate(text, OPTION_TEXT_MAX)), "value": value}


def result_notice(origin: Origin, *, reply_privately: bool = False) -> str:
    """One line telling the person where the ticket number will appear."""
    if origin.surface == "global" or origin.channel_id is None:
        return "I'll send you the ticket number in a direct message."
    if origin.surface == "command":
        if reply_privately:
            return "I'll send you the ticket number privately."
        return "I'll post the ticket number in this channel."
    return "I'll post the ticket number in this thread."


def build_ticket_form(
    *,
    draft: TicketDraft,
    form: FormConfig,
    metadata: str,
    channel_defaults: ChannelDefaults | None = None,
    errors_hint: str | None = None,
    notice: str | None = None,
) -> Json:
    """The modal view, prefilled from `draft`.

    Args:
        draft: what to prefill; over-long or unknown values are shortened or left out.
        form: the configured choices.
        metadata: opaque `private_metadata` (at most 3000 characters), e.g. `metadata.encode`.
        channel_defaults: preselected values where the draft has none (else `form`'s).
        errors_hint: a line shown at the top, e.g. why the previous attempt failed.
        notice: a line shown at the top, e.g. `result_notice(origin)`.

    Raises:
        ValueError: `metadata` is longer than 3000 characters.
    """
    if len(metadata) > 3000:
        raise ValueError("private_metadata longer than 3000 characters")
    defaults = channel_defaults or form.defaults_for(None)
    blocks = _top_blocks(errors_hint, notice) + _input_blocks(draft, form, defaults)
    view: Json = {
        "type": "modal",
        "callback_id": ids.FORM_CALLBACK,
        "title": _plain("New ticket"),
        "submit": _plain("Create ticket"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }
    if metadata:
        view["private_metadata"] = metadata
    return view


def department_options(query: str, form: FormConfig) -> list[Json]:
    """Options for the type-ahead department select: names containing `query`.

    Case-insensitive; names starting with the query come first; at most 100.
    """
    needle = one_line(clean(query)).casefold()
    starts = [name for name in form.departments if name.casefold().startswith(needle)]
    contains = [
        name
        for name in form.departments
        if needle in name.casefold() and not name.casefold().startswith(needle)
    ]
    return [build_option(name, name) for name in (starts + contains)[:OPTIONS_MAX]]


def parse_ticket_form(values: dict[str, Any], *, form: FormConfig) -> TicketDraft | dict[str, str]:
    """Read a submitted form (`view.state.values`).

    Returns:
        The draft, or `{block_id: message}` inline errors to show with `response_action=errors`.
    """
    errors: dict[str, str] = {}
    subject = one_line(clean(_read(values, ids.Block.SUBJECT) or ""))
    if not visible(subject):  # empty, or only invisible characters
        errors[ids.Block.SUBJECT] = "Please enter a subject."
    elif len(subject) > SUBJECT_MAX:
        errors[ids.Block.SUBJECT] = (
            f"Please keep the subject to {SUBJECT_MAX} characters (it has {len(subject)})."
        )
    description = clean(_read(values, ids.Block.DESCRIPTION) or "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors[ids.Block.DESCRIPTION] = (
            f"Please keep the description to {DESCRIPTION_MAX} characters "
            f"(it has {len(description)})."
        )
    choices = {
        ids.Block.PRIORITY: form.priorities,
        ids.Block.URGENCY: form.urgencies,
        ids.Block.IMPACT: form.impacts,
    }
    picked = {block: _choice(values, block, options, errors) for block, options in choices.items()}
    department = _department(values, form, errors)
    tags = _tags(values, form, errors)
    if errors:
        return errors
    return TicketDraft(
        subject=subject,
        description=description,
        priority=picked[ids.Block.PRIORITY],
        urgency=picked[ids.Block.URGENCY],
        impact=picked[ids.Block.IMPACT],
        department=department,
        tags=tags,
    )


# --------------------------------------------------------------------------- building


def _plain(text: str) -> Json:
    return {"type": "plain_text", "text": text, "emoji": True}


def _top_blocks(errors_hint: str | None, notice: str | None) -> list[Json]:
    blocks: list[Json] = []
    if errors_hint:
        text = ":warning: " + truncate_escaped(clean(errors_hint), 2900)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    if notice:
        text = truncate_escaped(one_line(clean(notice)), 2000)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
    return blocks


def _input_blocks(draft: TicketDraft, form: FormConfig, defaults: ChannelDefaults) -> list[Json]:
    selects = [
        (ids.Block.PRIORITY, "Priority", form.priorities, draft.priority, defaults.priority),
        (ids.Block.URGENCY, "Urgency", form.urgencies, draft.urgency, defaults.urgency),
        (ids.Block.IMPACT, "Impact", form.impacts, draft.impact, defaults.impact),
    ]
    blocks = [_subject_block(draft.subject), _description_block(draft.description)]
    for block_id, label, options, drafted, default in selects:
        if options:
            blocks.append(_select_block(block_id, label, options, drafted or default))
    blocks.append(_department_block(form, draft.department or defaults.department))
    if form.max_tags > 0:
        blocks.append(_tags_block(draft.tags or defaults.tags, form.max_tags))
    return blocks


def _input(
    block_id: str, label: str, element: Json, *, optional: bool, hint: str | None = None
) -> Json:
    block: Json = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "optional": optional,
        "element": {**element, "action_id": block_id},
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _text_input(
    initial: str, max_length: int, placeholder: str, *, multiline: bool = False
) -> Json:
    element: Json = {
        "type": "plain_text_input",
        "max_length": max_length,
        "placeholder": _plain(truncate(placeholder, PLACEHOLDER_MAX)),
    }
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = initial
    return element


def _subject_block(subject: str) -> Json:
    initial = truncate(one_line(clean(subject)), SUBJECT_MAX)
    element = _text_input(initial, SUBJECT_MAX, "What's wrong, in a few words")
    return _input(ids.Block.SUBJECT, "Subject", element, optional=False)


def _description_block(description: str) -> Json:
    initial = truncate(clean(description).strip(), DESCRIPTION_MAX, marker=TRIMMED_MARKER)
    placeholder = "What happened, what you expected, and anything you already tried"
    element = _text_input(initial, DESCRIPTION_MAX, placeholder, multiline=True)
    return _input(ids.Block.DESCRIPTION, "Description", element, optional=True)


def _select_block(block_id: str, label: str, names: list[str], initial: str | None) -> Json:
    shown = names[:OPTIONS_MAX]
    element: Json = {
        "type": "static_select",
        "placeholder": _plain(f"Choose {label.lower()}"),
        "options": [build_option(name, name) for name in shown],
    }
    if initial is not None and initial in shown:
        element["initial_option"] = build_option(initial, initial)
    return _input(block_id, label, element, optional=True)


def _department_block(form: FormConfig, drafted: str | None) -> Json:
    names = form.departments
    if not names:
        initial = truncate(one_line(clean(drafted or "")), DEPARTMENT_MAX)
        element = _text_input(initial, DEPARTMENT_MAX, "e.g. Finance")
        return _input(ids.Block.DEPARTMENT, "Department", element, optional=True)
    if len(names) <= STATIC_DEPARTMENTS_MAX:
        return _select_block(ids.Block.DEPARTMENT, "Department", names, drafted)
    element = {
        "type": "external_select",
        "placeholder": _plain("Type to search departments"),
        "min_query_length": 1,
    }
    if drafted is not None and drafted in names:
        element["initial_option"] = build_option(drafted, drafted)
    return _input(ids.DEPARTMENT_OPTIONS, "Department", element, optional=True)


def _tags_block(tags: list[str], max_tags: int) -> Json:
    max_length = min(DESCRIPTION_MAX, max_tags * (TAG_MAX + 2))
    element = _text_input(_joined_tags(tags, max_tags, max_length), max_length, "e.g. vpn, laptop")
    hint = f"Separate with commas or spaces (up to {max_tags})."
    return _input(ids.Block.TAGS, "Tags", element, optional=True, hint=hint)


def _joined_tags(tags: list[str], max_tags: int, max_length: int) -> str:
    """Valid tags joined by ", ", leaving out any that would be refused or not fit."""
    kept: list[str] = []
    for tag in tags:
        try:
            parts = parse_tags(tag, max_tags=OPTIONS_MAX, max_length=TAG_MAX)
        except TagError:
            continue
        for part in parts:
            seen = {known.casefold() for known in kept}
            fits = length(", ".join([*kept, part])) <= max_length
            if len(kept) < max_tags and fits and part.casefold() not in seen:
                kept.append(part)
    return ", ".join(kept)


# --------------------------------------------------------------------------- parsing


def _read(values: dict[str, Any], block_id: str) -> str | None:
    """The submitted string of a block's element: a text value or a selected option's value."""
    element = (values.get(block_id) or {}).get(block_id) or {}
    if "selected_option" in element:
        option = element.get("selected_option") or {}
        value = option.get("value")
    else:
        value = element.get("value")
    return value if isinstance(value, str) and value else None


def _choice(
    values: dict[str, Any], block_id: str, options: list[str], errors: dict[str, str]
) -> str | None:
    picked = _read(values, block_id)
    if picked is not None and picked not in options:
        errors[block_id] = "That choice is no longer available. Please pick again."
        return None
    return picked


def _department(values: dict[str, Any], form: FormConfig, errors: dict[str, str]) -> str | None:
    typed = _read(values, ids.Block.DEPARTMENT)
    if typed is None:
        return None
    name = one_line(clean(typed))
    if not form.departments:
        if len(name) > DEPARTMENT_MAX:
            errors[ids.Block.DEPARTMENT] = (
                f"Please keep the department to {DEPARTMENT_MAX} characters."
            )
        return name or None
    known = {known.casefold(): known for known in form.departments}
    if name.casefold() not in known:
        errors[ids.Block.DEPARTMENT] = (
            f"“{truncate(name, 40)}” isn't one of the departments. Please pick one from the list."
        )
        return None
    return known[name.casefold()]


def _tags(values: dict[str, Any], form: FormConfig, errors: dict[str, str]) -> list[str]:
    try:
        return parse_tags(_read(values, ids.Block.TAGS), max_tags=form.max_tags, max_length=TAG_MAX)
    except TagError as exc:
        errors[ids.Block.TAGS] = exc.message
        return []
