"""The ticket form as an Adaptive Card, the dialog answers that carry it, and its values read
back when it is submitted.

The form's inputs have the ids `subject`, `description`, `priority`, `urgency`, `impact`,
`department` and `tags`, and, when `BOT_CONFIG` offers them, `category`, `location`, `cc`
and `cc_people` (`bot.core.form.Field`): a submission's data holds the values under
those names, next to the button's `action` and `state`. What the form offers follows the same
rules as the Slack modal: prefilled from the draft and the conversation's defaults, cut to the
limits `bot.core.form.validate` enforces, so it never offers what would be refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from bot.config import ChannelDefaults, FormConfig
from bot.core.form import (
    CC_MAX,
    CC_TEXT_MAX,
    DEPARTMENT_MAX,
    DESCRIPTION_MAX,
    SUBJECT_MAX,
    TAG_MAX,
    Errors,
    Field,
    prefill,
    tags_text,
    validate,
)
from bot.core.model import TicketDraft
from bot.core.text import clean, one_line, truncate
from bot.teams import ids
from bot.teams.cards import Json, as_attachment, card, submit, text_block
from bot.teams.markdown import card_text

STATIC_DEPARTMENTS_MAX = 100
"""Up to this many departments are a plain drop-down; more become one that filters as the
person types (`style: "filtered"`)."""
TRIMMED_MARKER = "\n… (shortened to fit the form)"
NOTICE_SHOWN = 500
ERROR_SHOWN = 300
"""Longest notice and field error shown (escaped characters)."""
DIALOG_MESSAGE_SHOWN = 500

DialogSize = Literal["small", "medium", "large"] | int
"""A dialog's width or height: Teams' named sizes, or pixels."""

_LABELS: Final = {
    Field.SUBJECT: "Subject",
    Field.DESCRIPTION: "Description",
    Field.PRIORITY: "Priority",
    Field.URGENCY: "Urgency",
    Field.IMPACT: "Impact",
    Field.DEPARTMENT: "Department",
    Field.TAGS: "Tags",
    Field.CATEGORY: "Category",
    Field.LOCATION: "Location",
    Field.CC: "CC",
    Field.CC_PEOPLE: "CC",
}
PEOPLE_DATASET: Final = "graph.microsoft.com/users"
"""Teams' people picker: an `Input.ChoiceSet` searching the organisation's directory."""


def form_card(
    draft: TicketDraft,
    form: FormConfig,
    *,
    state: str,
    notice: str | None = None,
    errors: Mapping[str, str] | None = None,
    defaults: ChannelDefaults | None = None,
    people: Mapping[str, str] | None = None,
) -> Json:
    """The ticket form, prefilled from `draft`.

    Args:
        draft: what to prefill; over-long values are shortened, unknown choices left out.
        form: the configured choices.
        state: opaque, carried by "Create ticket" as `{"action": "ticket_submit", "state"}`.
        notice: a line at the top, e.g. `bot.core.delivery.form_notice`.
        errors: `{field: message}` (`bot.core.form.validate`), each shown in red right under
            its field; one for a field the form does not show goes under the notice.
        defaults: preselected values where the draft has none (else `form`'s global ones).
        people: with CC on, offer Teams' people picker (where the bot can look the picked
            people up: a channel or group chat) next to the typed addresses; the names of
            the people already picked (`draft.cc_people`) by id.
    """
    draft = prefill(draft, defaults or form.defaults_for(None))
    errors = dict(errors or {})
    fields = _fields(draft, form, people)
    body: list[Json] = []
    if notice:
        body.append(text_block(card_text(one_line(notice), limit=NOTICE_SHOWN), subtle=True))
    shown = {name for name, _ in fields}
    body += [_error(message) for name, message in errors.items() if name not in shown]
    for name, elements in fields:
        body.append(elements[0])
        if name in errors:
            body.append(_error(errors[name]))
        body += elements[1:]
    create = submit("Create ticket", ids.SUBMIT, state, primary=True)
    return card(body, [create])


def read_values(data: Any) -> dict[str, str | None]:
    """A submitted form's data as `{field: string}`; None for a field left empty, missing,
    or not a string (anything else in the data is ignored)."""
    values = data if isinstance(data, Mapping) else {}
    return {name: _string(values.get(name)) for name in Field.ALL}


def parse_form(data: Any, form: FormConfig) -> TicketDraft | Errors:
    """A submitted form read and checked (`bot.core.form.validate`): the draft, or
    `{field: message}` to show with `form_card(…, errors=…)`."""
    return validate(read_values(data), form)


def dialog(
    adaptive_card: Json,
    *,
    title: str = "New ticket",
    width: DialogSize = "medium",
    height: DialogSize = "large",
) -> Json:
    """The answer to a task/fetch or submit invoke that shows `adaptive_card` in a dialog
    (opens it, or replaces what the dialog shows)."""
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": title,
                "width": width,
                "height": height,
                "card": as_attachment(adaptive_card),
            },
        }
    }


def dialog_message(text: str) -> Json:
    """The answer to a task/fetch or submit invoke that shows `text` (plain words, written by
    the bot) in a small message box instead of a dialog."""
    return {"task": {"type": "message", "value": truncate(clean(text), DIALOG_MESSAGE_SHOWN)}}


# --------------------------------------------------------------------------- building


def _fields(
    draft: TicketDraft, form: FormConfig, people: Mapping[str, str] | None
) -> list[tuple[str, list[Json]]]:
    """Each field the form shows, in order: its input, then anything shown below it."""
    choices = [
        (Field.PRIORITY, form.priorities, draft.priority),
        (Field.URGENCY, form.urgencies, draft.urgency),
        (Field.IMPACT, form.impacts, draft.impact),
    ]
    fields = [(Field.SUBJECT, [_subject(draft.subject)])]
    fields.append((Field.DESCRIPTION, [_description(draft.description)]))
    for name, names, initial in choices:
        if names:
            fields.append((name, [_choices(name, names, initial)]))
    fields.append((Field.DEPARTMENT, [_department(form, draft.department)]))
    fields += _place_fields(draft, form)
    if form.max_tags > 0:
        fields.append((Field.TAGS, _tags(draft.tags, form.max_tags)))
    fields += _cc_fields(draft, form, people)
    return fields


def _place_fields(draft: TicketDraft, form: FormConfig) -> list[tuple[str, list[Json]]]:
    """Category and Location, each only when `BOT_CONFIG` lists its choices."""
    choices = [
        (Field.CATEGORY, form.categories, draft.category),
        (Field.LOCATION, form.locations, draft.location),
    ]
    return [(name, [_choices(name, names, initial)]) for name, names, initial in choices if names]


def _cc_fields(
    draft: TicketDraft, form: FormConfig, people: Mapping[str, str] | None
) -> list[tuple[str, list[Json]]]:
    """CC, when `BOT_CONFIG` turns it on: typed e-mail addresses, and Teams' people picker
    where the picked can be looked up (`people` given). The picker gives directory object
    ids, which the bot turns into addresses through the conversation's members, so only
    people in the conversation can be picked: anyone else's address is typed."""
    if not form.cc_field:
        return []
    fields: list[tuple[str, list[Json]]] = []
    label = "CC"
    hint = (
        f"E-mail addresses, separated by commas (up to {CC_MAX} people). They get the service "
        "desk's e-mails about this ticket."
    )
    if people is not None:
        fields.append((Field.CC_PEOPLE, [_people_picker(draft.cc_people, people)]))
        label = "CC by e-mail"
        hint = "For anyone not in this conversation: e-mail addresses, separated by commas."
    initial = truncate(", ".join(draft.cc_emails), CC_TEXT_MAX)
    element = _text_input(Field.CC, initial, CC_TEXT_MAX, "e.g. ann@example.com, bob@example.com")
    element["label"] = label
    fields.append((Field.CC, [element, text_block(hint, subtle=True, small=True, tight=True)]))
    return fields


def _people_picker(picked: list[str], names: Mapping[str, str]) -> Json:
    """Teams' people picker; people already picked are preselected by name (Teams shows a
    preselected person from the static choices)."""
    shown = picked[:CC_MAX]
    element: Json = {
        "type": "Input.ChoiceSet",
        "id": Field.CC_PEOPLE,
        "label": "CC",
        "isMultiSelect": True,
        "placeholder": "Type a name",
        "choices": [
            {"title": truncate(names.get(person) or "Someone you picked", 75), "value": person}
            for person in shown
        ],
        "choices.data": {"type": "Data.Query", "dataset": PEOPLE_DATASET},
    }
    if shown:
        element["value"] = ",".join(shown)
    return element


def _text_input(
    name: str, initial: str, max_length: int, placeholder: str, *, multiline: bool = False
) -> Json:
    element: Json = {
        "type": "Input.Text",
        "id": name,
        "label": _LABELS[name],
        "maxLength": max_length,
        "placeholder": placeholder,
    }
    if multiline:
        element["isMultiline"] = True
    if initial:
        element["value"] = initial
    return element


def _subject(subject: str) -> Json:
    initial = truncate(one_line(clean(subject)), SUBJECT_MAX)
    element = _text_input(Field.SUBJECT, initial, SUBJECT_MAX, "What's wrong, in a few words")
    element["isRequired"] = True
    element["errorMessage"] = "Please enter a subject."
    return element


def _description(description: str) -> Json:
    initial = truncate(clean(description).strip(), DESCRIPTION_MAX, marker=TRIMMED_MARKER)
    placeholder = "What happened, what you expected, and anything you already tried"
    return _text_input(Field.DESCRIPTION, initial, DESCRIPTION_MAX, placeholder, multiline=True)


def _choices(name: str, names: list[str], initial: str | None, *, filtered: bool = False) -> Json:
    label = _LABELS[name]
    placeholder = f"Type to search {label.lower()}s" if filtered else f"Choose {label.lower()}"
    element: Json = {
        "type": "Input.ChoiceSet",
        "id": name,
        "label": label,
        "style": "filtered" if filtered else "compact",
        "placeholder": placeholder,
        "choices": [{"title": choice, "value": choice} for choice in names],
    }
    if initial is not None and initial in names:
        element["value"] = initial
    return element


def _department(form: FormConfig, drafted: str | None) -> Json:
    names = form.departments
    if not names:
        initial = truncate(one_line(clean(drafted or "")), DEPARTMENT_MAX)
        return _text_input(Field.DEPARTMENT, initial, DEPARTMENT_MAX, "e.g. Finance")
    filtered = len(names) > STATIC_DEPARTMENTS_MAX
    return _choices(Field.DEPARTMENT, names, drafted, filtered=filtered)


def _tags(tags: list[str], max_tags: int) -> list[Json]:
    max_length = min(DESCRIPTION_MAX, max_tags * (TAG_MAX + 2))
    initial = tags_text(tags, max_tags=max_tags, max_length=max_length)
    element = _text_input(Field.TAGS, initial, max_length, "e.g. vpn, laptop")
    hint = f"Separate with commas or spaces (up to {max_tags})."
    return [element, text_block(hint, subtle=True, small=True, tight=True)]


def _error(message: str) -> Json:
    text = card_text(one_line(message), limit=ERROR_SHOWN)
    return text_block(text, color="Attention", small=True, tight=True)


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
