"""Qualification builders: the vendor's documented `qualDetails` shape, built from parts."""

from __future__ import annotations

import json

import pytest

import bot.serviceops
from bot.serviceops.searches import SUBJECT_KEY, qual_details, string_qual, subject_equals

DOCUMENTED_SUBJECT_QUAL = {
    "type": "RelationalQualificationRest",
    "leftOperand": {"type": "PropertyOperandRest", "key": "request.subject"},
    "operator": "equal",
    "rightOperand": {
        "type": "ValueOperandRest",
        "value": {"type": "StringValueRest", "value": "VPN down"},
    },
}


def test_string_qual_is_a_relational_qual_with_a_string_value() -> None:
    qual = string_qual("request.requesterEmail", "ada@example.com", operator="contains")

    assert qual == {
        "type": "RelationalQualificationRest",
        "leftOperand": {"type": "PropertyOperandRest", "key": "request.requesterEmail"},
        "operator": "contains",
        "rightOperand": {
            "type": "ValueOperandRest",
            "value": {"type": "StringValueRest", "value": "ada@example.com"},
        },
    }


def test_string_qual_defaults_to_equal() -> None:
    assert string_qual("request.subject", "x")["operator"] == "equal"


def test_subject_equals_uses_the_subject_key() -> None:
    assert SUBJECT_KEY == "request.subject"
    assert subject_equals("VPN down") == DOCUMENTED_SUBJECT_QUAL


def test_subject_equals_accepts_another_key() -> None:
    qual = subject_equals("VPN down", key="request.title")

    assert qual["leftOperand"] == {"type": "PropertyOperandRest", "key": "request.title"}


def test_subject_is_sent_verbatim() -> None:
    subject = '  Printer "B" <on fire> ünïcode  '

    assert subject_equals(subject)["rightOperand"]["value"]["value"] == subject


def test_qual_details_wraps_quals_in_one_flat_qualification() -> None:
    first = subject_equals("VPN down")
    second = string_qual("request.requesterEmail", "ada@example.com")

    body = qual_details(first, second)

    assert body == {
        "qualDetails": {"type": "FlatQualificationRest", "quals": [first, second]},
    }
    assert json.loads(json.dumps(body)) == body


def test_qual_details_needs_a_qual() -> None:
    with pytest.raises(ValueError, match="at least one qual"):
        qual_details()


def test_builders_return_fresh_dicts() -> None:
    first = subject_equals("VPN down")
    first["operator"] = "contains"

    assert subject_equals("VPN down")["operator"] == "equal"


def test_builders_are_exported_by_the_package() -> None:
    assert bot.serviceops.subject_equals is subject_equals
    assert bot.serviceops.qual_details is qual_details
    assert bot.serviceops.string_qual is string_qual
