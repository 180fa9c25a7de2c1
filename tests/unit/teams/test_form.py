"""The ticket form as an Adaptive Card: inputs, prefill, errors, submitted values, dialogs."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import ChannelDefaults, FormConfig
from bot.core.form import DEPARTMENT_MAX, DESCRIPTION_MAX, SUBJECT_MAX, Field, validate
from bot.core.model import TicketDraft
from bot.core.text import length
from bot.teams import ids
from bot.teams.cards.form import (
    PEOPLE_DATASET,
    TRIMMED_MARKER,
    dialog,
    dialog_message,
    form_card,
    parse_form,
    read_values,
)
from tests.data.hostile import CASES
from tests.unit.teams.adaptive import (
    MESSAGE_BUDGET,
    buttons,
    check_card,
    check_dialog,
    elements,
    inputs,
    size,
    texts,
)

STATE = "tok-123"
BASIC = (
    Field.SUBJECT,
    Field.DESCRIPTION,
    Field.PRIORITY,
    Field.URGENCY,
    Field.IMPACT,
    Field.DEPARTMENT,
    Field.TAGS,
)
"""The inputs of a form `BOT_CONFIG` adds nothing to."""
EVIL = "<at>Everyone</at> **bold** [x](https://evil) <script>"


def build(draft: TicketDraft | None = None, **options: Any) -> dict[str, Any]:
    config = options.pop("config", {})
    card = form_card(draft or TicketDraft(), FormConfig(**config), state=STATE, **options)
    check_card(card)
    return card


def initial_values(card: dict[str, Any]) -> dict[str, Any]:
    """What a submission of the untouched form holds: each input's value, "" when empty."""
    return {name: element.get("value", "") for name, element in inputs(card).items()}


def after(card: dict[str, Any], input_id: str) -> dict[str, Any]:
    """The element right after the input `input_id`."""
    body = card["body"]
    index = next(i for i, e in enumerate(body) if e.get("id") == input_id)
    following: dict[str, Any] = body[index + 1]
    return following


# --------------------------------------------------------------------------- building


def test_form_has_the_seven_inputs_in_order() -> None:
    card = build()
    assert list(inputs(card)) == list(BASIC)
    assert buttons(card) == {
        "Create ticket": {
            "type": "Action.Submit",
            "title": "Create ticket",
            "data": {"action": ids.SUBMIT, "state": STATE},
            "style": "positive",
        }
    }


def test_subject_is_required_with_core_limits() -> None:
    subject = inputs(build())[Field.SUBJECT]
    assert subject["type"] == "Input.Text"
    assert subject["label"] == "Subject"
    assert subject["isRequired"] is True
    assert subject["errorMessage"] == "Please enter a subject."
    assert subject["maxLength"] == SUBJECT_MAX
    assert "isMultiline" not in subject


def test_description_is_multiline() -> None:
    description = inputs(build())[Field.DESCRIPTION]
    assert description["isMultiline"] is True
    assert description["maxLength"] == DESCRIPTION_MAX
    assert not description.get("isRequired")


def test_choices_come_from_the_config() -> None:
    card = build(config={"priorities": ["P1", "P2"], "impacts": ["Low", "High"]})
    found = inputs(card)
    priority = found[Field.PRIORITY]
    assert priority["type"] == "Input.ChoiceSet"
    assert priority["style"] == "compact"
    assert priority["choices"] == [{"title": "P1", "value": "P1"}, {"title": "P2", "value": "P2"}]
    assert "value" not in priority
    assert [c["value"] for c in found[Field.URGENCY]["choices"]] == [
        "Low",
        "Medium",
        "High",
        "Urgent",
    ]
    assert [c["value"] for c in found[Field.IMPACT]["choices"]] == ["Low", "High"]


def test_a_choice_with_no_options_is_left_out() -> None:
    card = build(config={"urgencies": []})
    assert Field.URGENCY not in inputs(card)


def test_draft_values_are_preselected_when_among_the_choices() -> None:
    draft = TicketDraft(subject="x", priority="High", urgency="Nope", impact="On User")
    found = inputs(build(draft))
    assert found[Field.PRIORITY]["value"] == "High"
    assert "value" not in found[Field.URGENCY]
    assert found[Field.IMPACT]["value"] == "On User"


def test_defaults_fill_what_the_draft_leaves_empty() -> None:
    defaults = ChannelDefaults(priority="Low", urgency="High", department="Ops", tags=["vpn"])
    draft = TicketDraft(subject="x", priority="Urgent")
    found = inputs(build(draft, defaults=defaults))
    assert found[Field.PRIORITY]["value"] == "Urgent"
    assert found[Field.URGENCY]["value"] == "High"
    assert found[Field.DEPARTMENT]["value"] == "Ops"
    assert found[Field.TAGS]["value"] == "vpn"


def test_without_defaults_the_global_ones_apply() -> None:
    found = inputs(build(config={"default_priority": "Medium", "default_impact": "On User"}))
    assert found[Field.PRIORITY]["value"] == "Medium"
    assert found[Field.IMPACT]["value"] == "On User"


def test_department_is_text_without_a_list() -> None:
    department = inputs(build(TicketDraft(department="  Finance \n team ")))[Field.DEPARTMENT]
    assert department["type"] == "Input.Text"
    assert department["maxLength"] == DEPARTMENT_MAX
    assert department["value"] == "Finance team"


def test_department_is_a_compact_choice_up_to_a_hundred() -> None:
    names = [f"Dept {i}" for i in range(100)]
    department = inputs(build(TicketDraft(department="Dept 7"), config={"departments": names}))[
        Field.DEPARTMENT
    ]
    assert department["type"] == "Input.ChoiceSet"
    assert department["style"] == "compact"
    assert len(department["choices"]) == 100
    assert department["value"] == "Dept 7"


def test_department_filters_as_you_type_over_a_hundred() -> None:
    names = [f"Dept {i}" for i in range(101)]
    card = build(TicketDraft(department="Dept 100"), config={"departments": names})
    department = inputs(card)[Field.DEPARTMENT]
    assert department["type"] == "Input.ChoiceSet"
    assert department["style"] == "filtered"
    assert len(department["choices"]) == 101
    assert department["value"] == "Dept 100"


def test_unknown_department_is_not_preselected() -> None:
    department = inputs(build(TicketDraft(department="Nope"), config={"departments": ["A"]}))[
        Field.DEPARTMENT
    ]
    assert "value" not in department


def test_tags_have_the_slack_hint_right_below() -> None:
    card = build(TicketDraft(tags=["vpn", "#laptop", "VPN", "x" * 60]), config={"max_tags": 3})
    tags = inputs(card)[Field.TAGS]
    assert tags["value"] == "vpn, laptop"
    assert tags["maxLength"] == 3 * 52
    hint = after(card, Field.TAGS)
    assert hint["text"] == "Separate with commas or spaces (up to 3)."
    assert hint["isSubtle"] is True


def test_tags_are_left_out_when_not_used() -> None:
    card = build(config={"max_tags": 0})
    assert list(inputs(card)) == [f for f in BASIC if f != Field.TAGS]
    assert not any("Separate with commas" in text for text in texts(card))


def test_prefill_is_cut_to_the_limits() -> None:
    draft = TicketDraft(subject="s\n" * 400, description="d" * 5000)
    found = inputs(build(draft))
    assert length(found[Field.SUBJECT]["value"]) <= SUBJECT_MAX
    assert "\n" not in found[Field.SUBJECT]["value"]
    description = found[Field.DESCRIPTION]["value"]
    assert length(description) <= DESCRIPTION_MAX
    assert description.endswith(TRIMMED_MARKER)


def test_prefill_is_not_escaped() -> None:
    draft = TicketDraft(subject=EVIL, description=EVIL + "\nline 2", department="R&D <x>")
    found = inputs(build(draft))
    assert found[Field.SUBJECT]["value"] == EVIL
    assert found[Field.DESCRIPTION]["value"] == EVIL + "\nline 2"
    assert found[Field.DEPARTMENT]["value"] == "R&D <x>"


def test_notice_is_at_the_top_and_escaped() -> None:
    card = build(notice="I'll post the ticket number in *this* thread.")
    first = card["body"][0]
    assert first["type"] == "TextBlock"
    assert first["text"] == r"I'll post the ticket number in \*this\* thread."


def test_errors_are_red_right_under_their_field() -> None:
    errors = {
        Field.SUBJECT: "Please enter a subject.",
        Field.DEPARTMENT: f"“{EVIL}” isn't one of the departments.",
        Field.TAGS: "Please use at most 10 tags (you entered 11).",
    }
    card = build(errors=errors)
    for field, message in errors.items():
        shown = after(card, field)
        assert shown["type"] == "TextBlock"
        assert shown["color"] == "Attention"
        assert shown["text"].replace("\\", "") == message
    department_error = after(card, Field.DEPARTMENT)["text"]
    assert "<at>" not in department_error
    assert "**" not in department_error
    assert "[x](" not in department_error
    hint = card["body"][card["body"].index(after(card, Field.TAGS)) + 1]
    assert hint["text"].startswith("Separate with commas")


def test_an_error_for_a_field_not_shown_goes_to_the_top() -> None:
    card = build(
        notice="Notice.", errors={Field.TAGS: "Tags aren't used here."}, config={"max_tags": 0}
    )
    assert [e.get("text") for e in card["body"][:2]] == ["Notice.", "Tags aren't used here."]
    assert card["body"][1]["color"] == "Attention"


def test_no_errors_no_red() -> None:
    card = build()
    assert not [e for e in elements(card) if e.get("color") == "Attention"]


# --------------------------------------------------------------------------- reading


def test_read_values_round_trips_the_initial_values() -> None:
    draft = TicketDraft(
        subject="Printer jams",
        description="On floor 3\nsince Monday",
        priority="High",
        urgency="Low",
        impact="On User",
        department="Ops",
        tags=["printer", "floor3"],
    )
    card = build(draft)
    data = {"action": ids.SUBMIT, "state": STATE, **initial_values(card)}
    values = read_values(data)
    assert values == {
        "subject": "Printer jams",
        "description": "On floor 3\nsince Monday",
        "priority": "High",
        "urgency": "Low",
        "impact": "On User",
        "department": "Ops",
        "tags": "printer, floor3",
        "category": None,
        "location": None,
        "cc_people": None,
        "cc": None,
    }
    assert validate(values, FormConfig()) == draft
    assert parse_form(data, FormConfig()) == draft


def test_read_values_of_an_empty_form() -> None:
    card = build()
    values = read_values(initial_values(card))
    assert values == dict.fromkeys(Field.ALL)
    assert parse_form(initial_values(card), FormConfig()) == {
        Field.SUBJECT: "Please enter a subject."
    }


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"subject": None, "priority": 3, "tags": ["a"], "description": {"x": 1}},
        {"subject": "", "description": ""},
        None,
        "subject",
        ["subject"],
    ],
)
def test_read_values_ignores_what_is_not_a_string(data: Any) -> None:
    assert read_values(data) == dict.fromkeys(Field.ALL)


def test_read_values_ignores_other_keys() -> None:
    values = read_values({"subject": "x", "msteams": {"type": "task/fetch"}, "action": "a"})
    assert values == {**dict.fromkeys(Field.ALL), "subject": "x"}


# --------------------------------------------------------------------------- dialogs


def test_dialog_shape() -> None:
    card = build()
    answer = dialog(card)
    assert answer == {
        "task": {
            "type": "continue",
            "value": {
                "title": "New ticket",
                "width": "medium",
                "height": "large",
                "card": {"contentType": "application/vnd.microsoft.card.adaptive", "content": card},
            },
        }
    }
    assert check_dialog(answer) is card
    assert dialog(card, title="Ticket created")["task"]["value"]["title"] == "Ticket created"


def test_dialog_message_shape() -> None:
    assert dialog_message("Your ticket INC-12 has been created.") == {
        "task": {"type": "message", "value": "Your ticket INC-12 has been created."}
    }
    assert length(dialog_message("x" * 5000)["task"]["value"]) <= 500


# --------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_hostile_draft_stays_valid_and_within_budget(case: Any) -> None:
    text = case.text * 3
    draft = TicketDraft(
        subject=text,
        description=text,
        priority=text,
        department=text,
        tags=[text, *text.split()[:60]],
    )
    errors = {name: f"“{text[:40]}” is wrong: {text}" for name in Field.ALL}
    card = build(draft, notice=text, errors=errors)
    answer = dialog(card)
    check_dialog(answer)
    assert size(answer) <= MESSAGE_BUDGET
    for element in inputs(card).values():
        if "maxLength" in element and "value" in element:
            assert length(element["value"]) <= element["maxLength"]


# --------------------------------------------------------------------------- optional fields

OPTIONAL = {"categories": ["Network", "Hardware"], "locations": ["HQ"], "cc_field": True}


def test_category_location_and_cc_are_offered_when_configured() -> None:
    card = build(config=OPTIONAL)

    found = inputs(card)
    assert list(found) == [*BASIC[:6], Field.CATEGORY, Field.LOCATION, Field.TAGS, Field.CC]
    assert [c["value"] for c in found[Field.CATEGORY]["choices"]] == ["Network", "Hardware"]
    assert found[Field.CC]["type"] == "Input.Text"
    assert found[Field.CC]["label"] == "CC"
    assert after(card, Field.CC)["text"].startswith("E-mail addresses, separated by commas")


def test_optional_fields_round_trip() -> None:
    draft = TicketDraft(
        subject="s",
        category="Hardware",
        location="HQ",
        cc_emails=["ann@example.com", "bob@example.com"],
    )
    card = build(draft, config=OPTIONAL)
    data = {"action": ids.SUBMIT, "state": STATE, **initial_values(card)}

    assert inputs(card)[Field.CC]["value"] == "ann@example.com, bob@example.com"
    assert parse_form(data, FormConfig(**OPTIONAL)) == draft


def test_channel_category_and_location_are_preselected() -> None:
    defaults = ChannelDefaults(category="Network", location="HQ")
    found = inputs(build(config=OPTIONAL, defaults=defaults))

    assert found[Field.CATEGORY]["value"] == "Network"
    assert found[Field.LOCATION]["value"] == "HQ"


def test_a_wrong_address_is_shown_under_cc() -> None:
    errors = parse_form({"subject": "s", "cc": "ann@"}, FormConfig(**OPTIONAL))
    assert isinstance(errors, dict)

    card = build(TicketDraft(subject="s", cc_emails=["ann@"]), config=OPTIONAL, errors=errors)

    assert inputs(card)[Field.CC]["value"] == "ann@"
    assert "isn't an e-mail address" in after(card, Field.CC)["text"]


def test_the_people_picker_is_offered_where_people_can_be_looked_up() -> None:
    draft = TicketDraft(subject="s", cc_people=["aad-1", "aad-2"], cc_emails=["x@example.com"])
    card = build(draft, config=OPTIONAL, people={"aad-1": "Grace Hopper"})

    found = inputs(card)
    assert list(found)[-2:] == [Field.CC_PEOPLE, Field.CC]
    picker = found[Field.CC_PEOPLE]
    assert picker["isMultiSelect"] is True
    assert picker["choices.data"] == {"type": "Data.Query", "dataset": PEOPLE_DATASET}
    assert picker["value"] == "aad-1,aad-2"
    assert picker["choices"] == [
        {"title": "Grace Hopper", "value": "aad-1"},
        {"title": "Someone you picked", "value": "aad-2"},
    ]
    assert found[Field.CC]["label"] == "CC by e-mail"
    assert after(card, Field.CC)["text"].startswith("For anyone not in this conversation")


def test_picked_people_are_read_from_a_submission() -> None:
    data = {"subject": "s", "cc_people": "aad-1,aad-2"}

    assert read_values(data)[Field.CC_PEOPLE] == "aad-1,aad-2"
    assert parse_form(data, FormConfig(**OPTIONAL)) == TicketDraft(
        subject="s", cc_people=["aad-1", "aad-2"]
    )


def test_the_longest_optional_fields_stay_within_budget() -> None:
    text = "é" * 5000
    # As many category and location names as the configuration accepts.
    names = [f"{n:02d}" + "é" * 28 for n in range(34)]  # 34 × (2 × 58 + 24) = 4760 bytes
    config = FormConfig(categories=names[:20], locations=names[20:], cc_field=True)
    people = {f"2f1c9d1e-0000-4000-8000-0000000000{n:02d}": "é" * 75 for n in range(10)}
    draft = TicketDraft(
        subject=text,
        description=text,
        tags=[text],
        category=text,
        location=text,
        cc_people=list(people),
        cc_emails=["a" * 800],
    )
    errors = {name: text for name in Field.ALL}

    card = form_card(draft, config, state="s" * 2000, notice=text, errors=errors, people=people)

    check_card(card)
    assert size(dialog(card)) <= MESSAGE_BUDGET
