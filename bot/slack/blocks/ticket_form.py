"""The ticket modal: build it prefilled from a draft, and read it back when submitted.

Every input block holds one element whose `action_id` equals the block's `block_id`
(`ids.Block`), so Slack's inline errors (keyed by block id) land under the right field.
"""

from __future__ import annotations

from typing import Any

from bot.config import ChannelDefaults, FormConfig
from bot.core.form import (
    CC_MAX,
    DEPARTMENT_MAX,
    DESCRIPTION_MAX,
    SUBJECT_MAX,
    TAG_MAX,
    Errors,
    Field,
    matching_departments,
    prefill,
    tags_text,
    validate,
)
from bot.core.model import TicketDraft
from bot.core.text import clean, one_line, truncate, truncate_escaped
from bot.slack import ids
from bot.slack.blocks.kit import (
    OPTION_TEXT_MAX,
    OPTION_VALUE_MAX,
    OPTIONS_MAX,
    PLACEHOLDER_MAX,
    Json,
    check_metadata,
    context,
    plain,
    section,
)

__all__ = ["DESCRIPTION_MAX", "SUBJECT_MAX", "TAG_MAX"]

STATIC_DEPARTMENTS_MAX = 100
"""Up to this many departments are a plain select; more become a type-ahead select."""
TRIMMED_MARKER = "\n… (shortened to fit the form)"


def build_option(text: str, value: str) -> Json:
    """A select option; `text` is shortened to Slack's 75 characters.

    Raises:
        ValueError: `value` is longer than 150 characters (it would not round-trip).
    """
    if len(value) > OPTION_VALUE_MAX:
        raise ValueError(f"option value longer than {OPTION_VALUE_MAX} characters")
    return {"text": plain(truncate(text, OPTION_TEXT_MAX)), "value": value}


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
        notice: a line shown at the top, e.g. `bot.core.delivery.form_notice`.

    Raises:
        ValueError: `metadata` is longer than 3000 characters.
    """
    check_metadata(metadata)
    draft = prefill(draft, channel_defaults or form.defaults_for(None))
    blocks = _top_blocks(errors_hint, notice) + _input_blocks(draft, form)
    view: Json = {
        "type": "modal",
        "callback_id": ids.FORM_CALLBACK,
        "title": plain("New ticket"),
        "submit": plain("Create ticket"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }
    if metadata:
        view["private_metadata"] = metadata
    return view


def department_options(query: str, form: FormConfig) -> list[Json]:
    """Options for the type-ahead department select: names containing `query`.

    Case-insensitive; names starting with the query come first; at most 100.
    """
    names = matching_departments(query, form, limit=OPTIONS_MAX)
    return [build_option(name, name) for name in names]


def read_values(values: dict[str, Any]) -> dict[str, str | None]:
    """A submitted modal's `view.state.values` as `{field: string}`: a text input's value
    or a selected option's value; None for a field left empty or missing."""
    return {name: _read(values, name) for name in Field.ALL}


def parse_ticket_form(values: dict[str, Any], *, form: FormConfig) -> TicketDraft | Errors:
    """Read a submitted form and apply the form's rules (`bot.core.form.validate`).

    Returns:
        The draft, or `{block_id: message}` inline errors to show with `response_action=errors`
        (block ids are the field names).
    """
    return validate(read_values(values), form)


# --------------------------------------------------------------------------- building


def _top_blocks(errors_hint: str | None, notice: str | None) -> list[Json]:
    blocks: list[Json] = []
    if errors_hint:
        text = ":warning: " + truncate_escaped(clean(errors_hint), 2900)
        blocks.append(section(text))
    if notice:
        text = truncate_escaped(one_line(clean(notice)), 2000)
        blocks.append(context(text))
    return blocks


def _input_blocks(draft: TicketDraft, form: FormConfig) -> list[Json]:
    selects = [
        (ids.Block.PRIORITY, "Priority", form.priorities, draft.priority),
        (ids.Block.URGENCY, "Urgency", form.urgencies, draft.urgency),
        (ids.Block.IMPACT, "Impact", form.impacts, draft.impact),
    ]
    blocks = [_subject_block(draft.subject), _description_block(draft.description)]
    for block_id, label, options, initial in selects:
        if options:
            blocks.append(_select_block(block_id, label, options, initial))
    blocks.append(_department_block(form, draft.department))
    blocks += _place_blocks(draft, form)
    if form.max_tags > 0:
        blocks.append(_tags_block(draft.tags, form.max_tags))
    blocks += _cc_blocks(draft, form)
    return blocks


def _place_blocks(draft: TicketDraft, form: FormConfig) -> list[Json]:
    """Category and Location, each only when `BOT_CONFIG` lists its choices."""
    selects = [
        (ids.Block.CATEGORY, "Category", form.categories, draft.category),
        (ids.Block.LOCATION, "Location", form.locations, draft.location),
    ]
    return [
        _select_block(block_id, label, names, initial)
        for block_id, label, names, initial in selects
        if names
    ]


def _cc_blocks(draft: TicketDraft, form: FormConfig) -> list[Json]:
    """CC: people picked from the workspace (their e-mails are looked up on submit), when
    `BOT_CONFIG` turns it on."""
    if not form.cc_field:
        return []
    element: Json = {
        "type": "multi_users_select",
        "placeholder": plain("Choose people"),
        "max_selected_items": CC_MAX,
    }
    if draft.cc_people:
        element["initial_users"] = draft.cc_people[:CC_MAX]
    hint = "They get the service desk's e-mails about this ticket."
    return [_input(ids.Block.CC_PEOPLE, "CC", element, optional=True, hint=hint)]


def _input(
    block_id: str, label: str, element: Json, *, optional: bool, hint: str | None = None
) -> Json:
    block: Json = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "optional": optional,
        "element": {**element, "action_id": block_id},
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def _text_input(
    initial: str, max_length: int, placeholder: str, *, multiline: bool = False
) -> Json:
    element: Json = {
        "type": "plain_text_input",
        "max_length": max_length,
        "placeholder": plain(truncate(placeholder, PLACEHOLDER_MAX)),
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
        "placeholder": plain(f"Choose {label.lower()}"),
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
        "placeholder": plain("Type to search departments"),
        "min_query_length": 1,
    }
    if drafted is not None and drafted in names:
        element["initial_option"] = build_option(drafted, drafted)
    return _input(ids.DEPARTMENT_OPTIONS, "Department", element, optional=True)


def _tags_block(tags: list[str], max_tags: int) -> Json:
    max_length = min(DESCRIPTION_MAX, max_tags * (TAG_MAX + 2))
    initial = tags_text(tags, max_tags=max_tags, max_length=max_length)
    element = _text_input(initial, max_length, "e.g. vpn, laptop")
    hint = f"Separate with commas or spaces (up to {max_tags})."
    return _input(ids.Block.TAGS, "Tags", element, optional=True, hint=hint)


# --------------------------------------------------------------------------- parsing


def _read(values: dict[str, Any], block_id: str) -> str | None:
    """The submitted string of a block's element: a text value or a selected option's value."""
    element = (values.get(block_id) or {}).get(block_id) or {}
    if "selected_users" in element:
        users = element.get("selected_users") or []
        return " ".join(user for user in users if isinstance(user, str)) or None
    if "selected_option" in element:
        option = element.get("selected_option") or {}
        value = option.get("value")
    else:
        value = element.get("value")
    return value if isinstance(value, str) and value else None
