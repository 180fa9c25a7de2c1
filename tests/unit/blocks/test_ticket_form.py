"""The ticket modal: what it offers and prefills, and how a submission is read back."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import ChannelDefaults, FormConfig
from bot.core.model import TicketDraft
from bot.slack import ids
from bot.slack.blocks.ticket_form import (
    DESCRIPTION_MAX,
    SUBJECT_MAX,
    build_option,
    build_ticket_form,
    department_options,
    parse_ticket_form,
)
from tests.unit.blocks.slack_limits import check_view, texts, units

B = ids.Block
BASIC = (B.SUBJECT, B.DESCRIPTION, B.PRIORITY, B.URGENCY, B.IMPACT, B.DEPARTMENT, B.TAGS)
"""The blocks of a form `BOT_CONFIG` adds nothing to."""
HOSTILE = "<!channel> <script>alert(1)</script> שלום مرحبا 👨‍👩‍👧 \x00\x1b\r\n" * 200


def form_view(draft: TicketDraft | None = None, **config: Any) -> dict[str, Any]:
    view = build_ticket_form(
        draft=draft or TicketDraft(), form=FormConfig(**config), metadata='{"m":1}'
    )
    check_view(view)
    return view


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    matches = [b for b in view["blocks"] if b.get("block_id") == block_id]
    assert len(matches) == 1, block_id
    return matches[0]


def element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    found: dict[str, Any] = block(view, block_id)["element"]
    return found


def initial(view: dict[str, Any], block_id: str) -> str | None:
    option = element(view, block_id).get("initial_option")
    return None if option is None else str(option["value"])


# --------------------------------------------------------------------------- building


def test_form_has_every_field_in_order() -> None:
    view = form_view()
    assert view["type"] == "modal"
    assert view["callback_id"] == ids.FORM_CALLBACK
    assert view["title"]["text"] == "New ticket"
    assert view["submit"]["text"] == "Create ticket"
    assert view["close"]["text"] == "Cancel"
    assert view["private_metadata"] == '{"m":1}'
    assert [b["block_id"] for b in view["blocks"]] == list(BASIC)
    assert all(b["element"]["action_id"] == b["block_id"] for b in view["blocks"])
    assert block(view, B.SUBJECT)["optional"] is False
    assert all(block(view, b)["optional"] for b in BASIC if b != B.SUBJECT)
    assert element(view, B.SUBJECT)["max_length"] == SUBJECT_MAX
    assert element(view, B.DESCRIPTION)["multiline"] is True
    assert block(view, B.TAGS)["hint"]["text"].startswith("Separate with commas or spaces")


def test_prefills_from_the_draft() -> None:
    draft = TicketDraft(
        subject="Printer jammed",
        description="Floor 3\nsince 9am",
        priority="High",
        urgency="Low",
        impact="On User",
        department="Finance",
        tags=["printer", "floor3"],
    )
    view = form_view(draft)
    assert element(view, B.SUBJECT)["initial_value"] == "Printer jammed"
    assert element(view, B.DESCRIPTION)["initial_value"] == "Floor 3\nsince 9am"
    assert (initial(view, B.PRIORITY), initial(view, B.URGENCY)) == ("High", "Low")
    assert initial(view, B.IMPACT) == "On User"
    assert element(view, B.DEPARTMENT)["initial_value"] == "Finance"
    assert element(view, B.TAGS)["initial_value"] == "printer, floor3"


def test_empty_draft_has_no_initial_values() -> None:
    view = form_view()
    assert all("initial_value" not in b["element"] for b in view["blocks"])
    assert all("initial_option" not in b["element"] for b in view["blocks"])


def test_select_defaults_come_from_channel_then_form() -> None:
    form = FormConfig(default_priority="Low", default_urgency="High")
    defaults = ChannelDefaults(priority="Urgent", impact="On Business", tags=["ops"])
    view = build_ticket_form(
        draft=TicketDraft(urgency="Medium"), form=form, metadata="", channel_defaults=defaults
    )
    check_view(view)
    assert initial(view, B.PRIORITY) == "Urgent"
    assert initial(view, B.URGENCY) == "Medium"
    assert initial(view, B.IMPACT) == "On Business"
    assert element(view, B.TAGS)["initial_value"] == "ops"
    view = build_ticket_form(draft=TicketDraft(), form=form, metadata="")
    assert initial(view, B.PRIORITY) == "Low"


def test_values_not_among_the_options_are_not_preselected() -> None:
    view = form_view(
        TicketDraft(priority="P1", impact="everything", department="Nowhere"),
        departments=["IT", "HR"],
    )
    assert initial(view, B.PRIORITY) is None
    assert initial(view, B.IMPACT) is None
    assert initial(view, B.DEPARTMENT) is None


def test_hostile_draft_stays_within_limits() -> None:
    draft = TicketDraft(
        subject=HOSTILE,
        description=HOSTILE,
        department=HOSTILE,
        tags=[f"tag{i}" for i in range(200)] + ["x" * 80, "<!here>"],
    )
    view = build_ticket_form(
        draft=draft,
        form=FormConfig(),
        metadata="m" * 3000,
        errors_hint=HOSTILE,
        notice=HOSTILE,
    )
    check_view(view)
    subject = element(view, B.SUBJECT)["initial_value"]
    assert "\n" not in subject
    assert "\x00" not in subject
    assert subject.endswith("…")
    description = element(view, B.DESCRIPTION)["initial_value"]
    assert units(description) <= DESCRIPTION_MAX
    assert description.endswith("(shortened to fit the form)")
    assert element(view, B.TAGS)["initial_value"].split(", ") == [f"tag{i}" for i in range(10)]


def test_echoed_hint_and_notice_are_escaped() -> None:
    view = build_ticket_form(
        draft=TicketDraft(),
        form=FormConfig(),
        metadata="",
        errors_hint="<!channel> failed",
        notice="<@U1> here",
    )
    check_view(view)
    shown = " ".join(texts(view))
    assert "&lt;!channel&gt; failed" in shown
    assert "&lt;@U1&gt; here" in shown
    assert "<!" not in shown
    assert "<@" not in shown


def test_too_many_choices_are_capped_and_long_metadata_refused() -> None:
    view = form_view(priorities=[f"P{i}" for i in range(150)])
    assert len(element(view, B.PRIORITY)["options"]) == 100
    with pytest.raises(ValueError, match="3000"):
        build_ticket_form(draft=TicketDraft(), form=FormConfig(), metadata="m" * 3001)


def test_empty_choice_list_hides_the_select() -> None:
    view = form_view(impacts=[])
    assert B.IMPACT not in [b["block_id"] for b in view["blocks"]]


def test_no_tags_block_when_tags_are_off() -> None:
    view = form_view(max_tags=0)
    assert B.TAGS not in [b["block_id"] for b in view["blocks"]]


@pytest.mark.parametrize(
    ("count", "kind"),
    [
        (0, "plain_text_input"),
        (1, "static_select"),
        (100, "static_select"),
        (101, "external_select"),
    ],
)
def test_department_field_depends_on_how_many_there_are(count: int, kind: str) -> None:
    departments = [f"Dept {i}" for i in range(count)]
    view = form_view(TicketDraft(department="Dept 0"), departments=departments)
    found = element(view, B.DEPARTMENT)
    assert found["type"] == kind
    if kind == "plain_text_input":
        assert found["initial_value"] == "Dept 0"
    else:
        assert found["initial_option"] == {
            "text": {"type": "plain_text", "text": "Dept 0", "emoji": True},
            "value": "Dept 0",
        }
    if kind == "static_select":
        assert len(found["options"]) == count
    if kind == "external_select":
        assert found["action_id"] == ids.DEPARTMENT_OPTIONS
        assert 1 <= found["min_query_length"] <= 2
        assert "options" not in found


def test_build_option_respects_limits() -> None:
    option = build_option("x" * 100, "v")
    assert units(option["text"]["text"]) == 75
    with pytest.raises(ValueError, match="150"):
        build_option("ok", "v" * 151)


# --------------------------------------------------------------------------- department_options


DEPARTMENTS = FormConfig(departments=[f"Team {i:03}" for i in range(150)] + ["IT Ops", "Fin-IT"])


def test_department_options_filter_case_insensitively_prefix_first() -> None:
    values = [option["value"] for option in department_options("it", DEPARTMENTS)]
    assert values == ["IT Ops", "Fin-IT"]


def test_department_options_are_capped_at_100() -> None:
    options = department_options("team", DEPARTMENTS)
    assert len(options) == 100
    assert options[0]["value"] == "Team 000"
    assert len(department_options("", DEPARTMENTS)) == 100
    assert department_options("nothing like it", DEPARTMENTS) == []


# --------------------------------------------------------------------------- parsing


SELECTS = {B.PRIORITY, B.URGENCY, B.IMPACT}


def state(**fields: str | None) -> dict[str, Any]:
    """`view.state.values` as Slack sends it for the default form."""
    values: dict[str, Any] = {}
    for block_id, value in fields.items():
        if block_id in SELECTS:
            option = (
                None
                if value is None
                else {"text": {"type": "plain_text", "text": value}, "value": value}
            )
            values[block_id] = {block_id: {"type": "static_select", "selected_option": option}}
        else:
            values[block_id] = {block_id: {"type": "plain_text_input", "value": value}}
    return values


def test_parse_reads_every_field() -> None:
    values = state(
        subject="  VPN   drops\n",
        description="Since Monday\r\nevery hour\x00  ",
        priority="High",
        urgency=None,
        impact="On User",
        department=" Finance ",
        tags="vpn, #network vpn",
    )
    draft = parse_ticket_form(values, form=FormConfig())
    assert draft == TicketDraft(
        subject="VPN drops",
        description="Since Monday\nevery hour",
        priority="High",
        impact="On User",
        department="Finance",
        tags=["vpn", "network"],
    )


def test_parse_empty_optional_fields_and_missing_blocks() -> None:
    draft = parse_ticket_form(
        state(subject="x", description=None, department=None, tags=None), form=FormConfig()
    )
    assert draft == TicketDraft(subject="x")


@pytest.mark.parametrize("subject", [None, "", "   \n\t "])
def test_parse_requires_a_subject(subject: str | None) -> None:
    assert parse_ticket_form(state(subject=subject), form=FormConfig()) == {
        B.SUBJECT: "Please enter a subject."
    }


def test_parse_refuses_a_long_subject() -> None:
    errors = parse_ticket_form(state(subject="x" * 300), form=FormConfig())
    assert errors == {B.SUBJECT: "Please keep the subject to 250 characters (it has 300)."}


def test_parse_refuses_too_many_tags_saying_the_limit() -> None:
    tags = " ".join(f"t{i}" for i in range(200))
    errors = parse_ticket_form(state(subject="x", tags=tags), form=FormConfig(max_tags=5))
    assert errors == {B.TAGS: "Please use at most 5 tags (you entered 200)."}


def test_parse_refuses_a_long_tag_naming_it() -> None:
    errors = parse_ticket_form(state(subject="x", tags="ok " + "y" * 51), form=FormConfig())
    assert isinstance(errors, dict)
    assert "at most 50 characters" in errors[B.TAGS]
    assert "yyyy" in errors[B.TAGS]


def test_parse_reports_stale_choices_and_every_error_at_once() -> None:
    errors = parse_ticket_form(state(subject="", priority="P1", impact="Global"), form=FormConfig())
    assert isinstance(errors, dict)
    assert set(errors) == {B.SUBJECT, B.PRIORITY, B.IMPACT}
    assert "no longer available" in errors[B.PRIORITY]


def test_parse_department_select_and_stale_values() -> None:
    form = FormConfig(departments=["IT", "Finance"])
    values = state(subject="x")
    values[B.DEPARTMENT] = {
        B.DEPARTMENT: {"type": "static_select", "selected_option": {"value": "Finance"}}
    }
    draft = parse_ticket_form(values, form=form)
    assert isinstance(draft, TicketDraft)
    assert draft.department == "Finance"
    values[B.DEPARTMENT][B.DEPARTMENT]["selected_option"] = {"value": "Legal"}
    errors = parse_ticket_form(values, form=form)
    assert isinstance(errors, dict)
    assert "Legal" in errors[B.DEPARTMENT]


def test_parse_free_text_department_matches_the_list_when_one_exists() -> None:
    form = FormConfig(departments=["Finance"])
    draft = parse_ticket_form(state(subject="x", department="finance"), form=form)
    assert isinstance(draft, TicketDraft)
    assert draft.department == "Finance"


def test_parse_then_build_round_trips() -> None:
    draft = TicketDraft(subject="A & B <ok>", description="d", priority="Low", tags=["a", "b"])
    view = form_view(draft)
    values = state(
        subject=element(view, B.SUBJECT)["initial_value"],
        description=element(view, B.DESCRIPTION)["initial_value"],
        priority=initial(view, B.PRIORITY),
        tags=element(view, B.TAGS)["initial_value"],
    )
    assert parse_ticket_form(values, form=FormConfig()) == draft


# --------------------------------------------------------------------------- optional fields

OPTIONAL = {"categories": ["Network", "Hardware"], "locations": ["HQ"], "cc_field": True}


def test_category_location_and_cc_are_offered_when_configured() -> None:
    view = form_view(**OPTIONAL)

    shown = [b["block_id"] for b in view["blocks"]]
    assert shown == [*BASIC[:6], B.CATEGORY, B.LOCATION, B.TAGS, B.CC_PEOPLE]
    assert [o["value"] for o in element(view, B.CATEGORY)["options"]] == ["Network", "Hardware"]
    assert [o["value"] for o in element(view, B.LOCATION)["options"]] == ["HQ"]
    cc = element(view, B.CC_PEOPLE)
    assert cc["type"] == "multi_users_select"
    assert cc["max_selected_items"] == 10
    assert "initial_users" not in cc
    assert all(block(view, b)["optional"] for b in (B.CATEGORY, B.LOCATION, B.CC_PEOPLE))


def test_optional_fields_keep_what_was_picked() -> None:
    draft = TicketDraft(category="Hardware", location="HQ", cc_people=["U1", "U2"])
    view = form_view(draft, **OPTIONAL)

    assert initial(view, B.CATEGORY) == "Hardware"
    assert initial(view, B.LOCATION) == "HQ"
    assert element(view, B.CC_PEOPLE)["initial_users"] == ["U1", "U2"]


def test_channel_category_and_location_are_preselected() -> None:
    view = build_ticket_form(
        draft=TicketDraft(),
        form=FormConfig(**OPTIONAL),
        metadata="",
        channel_defaults=ChannelDefaults(category="Network", location="HQ"),
    )

    assert initial(view, B.CATEGORY) == "Network"
    assert initial(view, B.LOCATION) == "HQ"


def test_picked_people_are_read_back() -> None:
    values = {
        B.SUBJECT: {B.SUBJECT: {"type": "plain_text_input", "value": "s"}},
        B.CATEGORY: {
            B.CATEGORY: {"type": "static_select", "selected_option": {"value": "Network"}}
        },
        B.CC_PEOPLE: {B.CC_PEOPLE: {"type": "multi_users_select", "selected_users": ["U1", "U2"]}},
    }

    draft = parse_ticket_form(values, form=FormConfig(**OPTIONAL))

    assert isinstance(draft, TicketDraft)
    assert draft.category == "Network"
    assert draft.cc_people == ["U1", "U2"]
