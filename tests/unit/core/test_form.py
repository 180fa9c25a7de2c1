"""The ticket form's rules in core: every surface reads its form into a mapping and gets the
same draft, or the same messages, back. The Slack form parser's cases hold here."""

from __future__ import annotations

import pytest

from bot.config import ChannelDefaults, FormConfig
from bot.core.form import (
    DEPARTMENT_MAX,
    DESCRIPTION_MAX,
    SUBJECT_MAX,
    TAG_MAX,
    Field,
    Values,
    matching_departments,
    prefill,
    tags_text,
    validate,
)
from bot.core.model import TicketDraft
from bot.core.text import length

STALE = "That choice is no longer available. Please pick again."
NO_SUBJECT = "Please enter a subject."


def errors_of(values: Values, form: FormConfig | None = None) -> dict[str, str]:
    found = validate(values, form or FormConfig())
    assert isinstance(found, dict), f"expected errors, got {found!r}"
    return found


def draft_of(values: Values, form: FormConfig | None = None) -> TicketDraft:
    found = validate(values, form or FormConfig())
    assert isinstance(found, TicketDraft), f"expected a draft, got {found!r}"
    return found


# --------------------------------------------------------------------------- validate


def test_reads_and_cleans_every_field() -> None:
    draft = draft_of(
        {
            Field.SUBJECT: "  VPN   drops\n",
            Field.DESCRIPTION: "Since Monday\r\nevery hour\x00  ",
            Field.PRIORITY: "High",
            Field.URGENCY: None,
            Field.IMPACT: "On User",
            Field.DEPARTMENT: " Finance ",
            Field.TAGS: "vpn, #network VPN",
        }
    )
    assert draft == TicketDraft(
        subject="VPN drops",
        description="Since Monday\nevery hour",
        priority="High",
        impact="On User",
        department="Finance",
        tags=["vpn", "network"],
    )


def test_only_a_subject_is_needed() -> None:
    assert draft_of({Field.SUBJECT: "x"}) == TicketDraft(subject="x")
    empty = {name: "" for name in Field.ALL} | {Field.SUBJECT: "x"}
    assert draft_of(empty) == TicketDraft(subject="x")


@pytest.mark.parametrize(
    "subject",
    [None, "", "   \n\t ", "\u200b\u200d", "\u202e\u2066 \u00a0", "\x00\x1b"],
    ids=["missing", "empty", "whitespace", "zero-width", "direction-marks", "controls"],
)
def test_subject_is_required_and_must_show_something(subject: str | None) -> None:
    assert errors_of({Field.SUBJECT: subject}) == {Field.SUBJECT: NO_SUBJECT}


def test_subject_limit_counts_the_cleaned_subject() -> None:
    assert draft_of({Field.SUBJECT: "x" * SUBJECT_MAX}).subject == "x" * SUBJECT_MAX
    assert draft_of({Field.SUBJECT: "a" + " \n" * 300 + "b"}).subject == "a b"
    assert errors_of({Field.SUBJECT: "x" * (SUBJECT_MAX + 1)}) == {
        Field.SUBJECT: "Please keep the subject to 250 characters (it has 251)."
    }
    assert errors_of({Field.SUBJECT: "x" * 300}) == {
        Field.SUBJECT: "Please keep the subject to 250 characters (it has 300)."
    }


def test_description_limit_ignores_surrounding_whitespace() -> None:
    at_limit = "x" * DESCRIPTION_MAX
    assert draft_of({Field.SUBJECT: "s", Field.DESCRIPTION: f"\n {at_limit} \n"}).description == (
        at_limit
    )
    assert errors_of({Field.SUBJECT: "s", Field.DESCRIPTION: at_limit + "y"}) == {
        Field.DESCRIPTION: "Please keep the description to 3000 characters (it has 3001)."
    }


@pytest.mark.parametrize("name", [Field.PRIORITY, Field.URGENCY, Field.IMPACT])
def test_choices_no_longer_offered_are_stale(name: str) -> None:
    assert errors_of({Field.SUBJECT: "s", name: "P1"}) == {name: STALE}


def test_choices_come_from_the_configured_lists() -> None:
    form = FormConfig(priorities=["P1", "P2"], urgencies=["Now"], impacts=[])
    draft = draft_of({Field.SUBJECT: "s", Field.PRIORITY: "P2", Field.URGENCY: "Now"}, form)
    assert (draft.priority, draft.urgency, draft.impact) == ("P2", "Now", None)
    assert errors_of({Field.SUBJECT: "s", Field.PRIORITY: "High"}, form) == {Field.PRIORITY: STALE}
    assert errors_of({Field.SUBJECT: "s", Field.IMPACT: "Low"}, form) == {Field.IMPACT: STALE}


def test_choices_match_exactly() -> None:
    assert errors_of({Field.SUBJECT: "s", Field.PRIORITY: "high"}) == {Field.PRIORITY: STALE}


def test_department_from_a_list_matches_case_insensitively_and_keeps_its_spelling() -> None:
    form = FormConfig(departments=["IT", "Finance"])
    assert draft_of({Field.SUBJECT: "s", Field.DEPARTMENT: "Finance"}, form).department == (
        "Finance"
    )
    assert draft_of({Field.SUBJECT: "s", Field.DEPARTMENT: " fINANCE\n"}, form).department == (
        "Finance"
    )


def test_department_not_in_the_list_is_named_in_the_error() -> None:
    form = FormConfig(departments=["IT", "Finance"])
    assert errors_of({Field.SUBJECT: "s", Field.DEPARTMENT: "Legal"}, form) == {
        Field.DEPARTMENT: "“Legal” isn't one of the departments. Please pick one from the list."
    }
    long = errors_of({Field.SUBJECT: "s", Field.DEPARTMENT: "L" * 80}, form)[Field.DEPARTMENT]
    assert long.startswith("“" + "L" * 39 + "…”")


def test_free_text_department_has_its_own_limit() -> None:
    assert draft_of({Field.SUBJECT: "s", Field.DEPARTMENT: "  IT\n Ops "}).department == "IT Ops"
    assert draft_of({Field.SUBJECT: "s", Field.DEPARTMENT: "d" * DEPARTMENT_MAX}).department
    assert errors_of({Field.SUBJECT: "s", Field.DEPARTMENT: "d" * (DEPARTMENT_MAX + 1)}) == {
        Field.DEPARTMENT: "Please keep the department to 100 characters."
    }


@pytest.mark.parametrize("typed", [None, "", "  \n "])
def test_empty_free_text_department_is_none(typed: str | None) -> None:
    assert draft_of({Field.SUBJECT: "s", Field.DEPARTMENT: typed}).department is None


@pytest.mark.parametrize("typed", [None, ""])
def test_no_department_picked_from_a_list_is_none(typed: str | None) -> None:
    form = FormConfig(departments=["IT"])
    assert draft_of({Field.SUBJECT: "s", Field.DEPARTMENT: typed}, form).department is None


def test_blank_department_typed_against_a_list_is_none() -> None:
    """A surface that reads the department as text (a form opened before departments were
    configured, a card's text input) treats blanks as no department."""
    form = FormConfig(departments=["IT"])
    assert draft_of({Field.SUBJECT: "s", Field.DEPARTMENT: "  \n "}, form).department is None


def test_tags_are_split_deduplicated_and_unhashed() -> None:
    draft = draft_of({Field.SUBJECT: "s", Field.TAGS: "#vpn,VPN  remote,,\nOffice #remote"})
    assert draft.tags == ["vpn", "remote", "Office"]


def test_too_many_tags_says_the_limit() -> None:
    tags = " ".join(f"t{i}" for i in range(200))
    assert errors_of({Field.SUBJECT: "s", Field.TAGS: tags}, FormConfig(max_tags=5)) == {
        Field.TAGS: "Please use at most 5 tags (you entered 200)."
    }
    five = draft_of({Field.SUBJECT: "s", Field.TAGS: "a b c d e"}, FormConfig(max_tags=5))
    assert five.tags == ["a", "b", "c", "d", "e"]


def test_a_long_tag_is_named() -> None:
    assert draft_of({Field.SUBJECT: "s", Field.TAGS: "y" * TAG_MAX}).tags == ["y" * TAG_MAX]
    assert errors_of({Field.SUBJECT: "s", Field.TAGS: "ok " + "y" * 51}) == {
        Field.TAGS: "Tags can be at most 50 characters; “" + "y" * 19 + "…” is 51."
    }


def test_tags_turned_off_refuse_any_tag() -> None:
    form = FormConfig(max_tags=0)
    assert draft_of({Field.SUBJECT: "s", Field.TAGS: " , "}, form).tags == []
    assert errors_of({Field.SUBJECT: "s", Field.TAGS: "vpn"}, form) == {
        Field.TAGS: "Tags aren't used here; please leave this empty."
    }


def test_every_error_is_reported_at_once() -> None:
    form = FormConfig(
        departments=["IT"], max_tags=1, categories=["Network"], locations=["HQ"], cc_field=True
    )
    errors = errors_of(
        {
            Field.SUBJECT: "",
            Field.DESCRIPTION: "d" * (DESCRIPTION_MAX + 1),
            Field.PRIORITY: "P1",
            Field.URGENCY: "Whenever",
            Field.IMPACT: "Global",
            Field.DEPARTMENT: "Legal",
            Field.TAGS: "a b",
            Field.CATEGORY: "Printers",
            Field.LOCATION: "Moon",
            Field.CC_PEOPLE: " ".join(f"U{n}" for n in range(11)),
            Field.CC: "ann@example.com, not-an-address",
        },
        form,
    )
    assert set(errors) == set(Field.ALL)
    assert errors[Field.SUBJECT] == NO_SUBJECT
    assert errors[Field.PRIORITY] == errors[Field.URGENCY] == errors[Field.IMPACT] == STALE


# --------------------------------------------------------------------------- prefill


DEFAULTS = ChannelDefaults(
    department="IT", priority="Urgent", urgency="High", impact="On Business", tags=["ops"]
)


def test_prefill_fills_an_empty_draft_from_the_channel() -> None:
    draft = prefill(TicketDraft(subject="s", description="d"), DEFAULTS)
    assert draft == TicketDraft(
        subject="s",
        description="d",
        department="IT",
        priority="Urgent",
        urgency="High",
        impact="On Business",
        tags=["ops"],
    )
    assert draft.tags is not DEFAULTS.tags, "the channel's list is not shared"


def test_prefill_never_overrides_what_the_draft_has() -> None:
    mine = TicketDraft(
        subject="s",
        priority="Low",
        urgency="Medium",
        impact="On User",
        department="Finance",
        tags=["mine"],
    )
    assert prefill(mine, DEFAULTS) == mine


def test_prefill_fills_only_the_gaps() -> None:
    draft = prefill(TicketDraft(subject="s", urgency="Medium"), DEFAULTS)
    assert (draft.priority, draft.urgency, draft.impact) == ("Urgent", "Medium", "On Business")
    assert (draft.department, draft.tags) == ("IT", ["ops"])


def test_prefill_without_defaults_leaves_the_draft_alone() -> None:
    draft = TicketDraft(subject="s")
    assert prefill(draft, ChannelDefaults()) is draft
    partial = prefill(draft, ChannelDefaults(priority="Low"))
    assert partial == TicketDraft(subject="s", priority="Low")


# --------------------------------------------------------------------------- tags_text


def test_tags_text_joins_valid_tags_without_repeats() -> None:
    assert tags_text(["vpn", "#net", "VPN", "a b"], max_tags=10, max_length=100) == (
        "vpn, net, a, b"
    )


def test_tags_text_leaves_out_what_validate_would_refuse() -> None:
    tags = ["ok", "x" * (TAG_MAX + 1), "", ", ,", "fine"]
    assert tags_text(tags, max_tags=10, max_length=100) == "ok, fine"


def test_tags_text_keeps_at_most_max_tags() -> None:
    assert tags_text([f"t{i}" for i in range(20)], max_tags=3, max_length=100) == "t0, t1, t2"
    assert tags_text(["a", "b"], max_tags=0, max_length=100) == ""


def test_tags_text_leaves_out_tags_that_do_not_fit() -> None:
    assert tags_text(["alpha", "beta"], max_tags=10, max_length=11) == "alpha, beta"
    assert tags_text(["alpha", "beta"], max_tags=10, max_length=10) == "alpha"
    # a later, shorter tag still fits where a longer one did not
    assert tags_text(["alpha", "gamma-ray", "b"], max_tags=10, max_length=12) == "alpha, b"


def test_tags_text_counts_emoji_as_two() -> None:
    assert tags_text(["🙂🙂"], max_tags=10, max_length=3) == ""
    assert tags_text(["🙂🙂"], max_tags=10, max_length=4) == "🙂🙂"


def test_tags_text_reads_back_as_the_same_tags() -> None:
    form = FormConfig(max_tags=4)
    tags = ["#vpn", "Remote", "remote", "x" * 60, "office", "floor3", "late", "🙂"]
    text = tags_text(tags, max_tags=form.max_tags, max_length=40)
    assert length(text) <= 40
    assert draft_of({Field.SUBJECT: "s", Field.TAGS: text}, form).tags == [
        "vpn",
        "Remote",
        "office",
        "floor3",
    ]


# --------------------------------------------------------------------------- departments


def test_matching_departments_puts_prefixes_first_in_configured_order() -> None:
    form = FormConfig(departments=["Finance IT", "IT", "Audit", "itemised", "HR"])
    assert matching_departments("it", form, limit=10) == ["IT", "itemised", "Finance IT", "Audit"]
    assert matching_departments("  IT\n", form, limit=10) == matching_departments(
        "it", form, limit=10
    )


def test_matching_departments_is_capped() -> None:
    form = FormConfig(departments=[f"Team {i:03}" for i in range(150)] + ["IT Ops", "Fin-IT"])
    found = matching_departments("team", form, limit=100)
    assert found == [f"Team {i:03}" for i in range(100)]
    assert matching_departments("it", form, limit=100) == ["IT Ops", "Fin-IT"]
    assert matching_departments("it", form, limit=1) == ["IT Ops"]
    assert matching_departments("", form, limit=5) == [f"Team {i:03}" for i in range(5)]
    assert matching_departments("nothing like it", form, limit=100) == []


# --------------------------------------------------------------------------- optional fields

OPTIONAL = FormConfig(categories=["Network", "Hardware"], locations=["HQ", "Plant"], cc_field=True)


def test_category_location_and_cc_are_read_when_configured() -> None:
    draft = draft_of(
        {
            Field.SUBJECT: "s",
            Field.CATEGORY: "Hardware",
            Field.LOCATION: "Plant",
            Field.CC_PEOPLE: "U1 U2,U1",
            Field.CC: " ann@example.com; Bob@Example.com ,bob@example.com\n",
        },
        OPTIONAL,
    )
    assert draft.category == "Hardware"
    assert draft.location == "Plant"
    assert draft.cc_people == ["U1", "U2"]
    assert draft.cc_emails == ["ann@example.com", "Bob@Example.com"]


def test_optional_fields_are_ignored_when_not_configured() -> None:
    values = {
        Field.SUBJECT: "s",
        Field.CATEGORY: "Anything",
        Field.LOCATION: "Anywhere",
        Field.CC_PEOPLE: "U1",
        Field.CC: "not an address",
    }
    assert draft_of(values) == TicketDraft(subject="s")


def test_a_typed_cc_that_is_not_an_address_is_named() -> None:
    assert errors_of({Field.SUBJECT: "s", Field.CC: "ann@example.com, ann"}, OPTIONAL) == {
        Field.CC: "“ann” isn't an e-mail address. Please type addresses like ann@example.com, "
        "separated by commas."
    }


def test_at_most_ten_people_are_copied() -> None:
    many = ", ".join(f"p{n}@example.com" for n in range(11))
    assert errors_of({Field.SUBJECT: "s", Field.CC: many}, OPTIONAL) == {
        Field.CC: "Please copy at most 10 people (you typed 11)."
    }
    picked = " ".join(f"U{n}" for n in range(12))
    assert errors_of({Field.SUBJECT: "s", Field.CC_PEOPLE: picked}, OPTIONAL) == {
        Field.CC_PEOPLE: "Please pick at most 10 people (you picked 12)."
    }


def test_category_and_location_defaults_are_prefilled() -> None:
    defaults = ChannelDefaults(category="Network", location="HQ")
    assert prefill(TicketDraft(subject="s"), defaults).category == "Network"
    assert prefill(TicketDraft(subject="s"), defaults).location == "HQ"
    assert prefill(TicketDraft(subject="s", location="Plant"), defaults).location == "Plant"


def test_picked_and_typed_people_count_together() -> None:
    values = {
        Field.SUBJECT: "s",
        Field.CC_PEOPLE: " ".join(f"U{n}" for n in range(6)),
        Field.CC: ", ".join(f"p{n}@example.com" for n in range(5)),
    }
    assert errors_of(values, OPTIONAL) == {
        Field.CC: "Please copy at most 10 people in all (you picked and typed 11)."
    }
