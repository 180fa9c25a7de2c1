"""Qualification builders for a request's number and a conversation's type."""

from __future__ import annotations

import bot.serviceops
from bot.serviceops.searches import (
    CONVERSATION_TYPE_KEY,
    NAME_KEY,
    conversation_type_equals,
    enum_qual,
    name_equals,
    qual_details,
)

DOCUMENTED_CONVERSATION_SEARCH = {
    "qualDetails": {
        "type": "FlatQualificationRest",
        "quals": [
            {
                "type": "RelationalQualificationRest",
                "leftOperand": {
                    "type": "PropertyOperandRest",
                    "key": ".conversation.conversationType",
                },
                "operator": "equal",
                "rightOperand": {
                    "type": "ValueOperandRest",
                    "value": {"type": "EnumValueRest", "value": "note"},
                },
            }
        ],
    }
}


def test_conversation_type_qual_is_the_documented_body() -> None:
    assert CONVERSATION_TYPE_KEY == ".conversation.conversationType"
    assert qual_details(conversation_type_equals("note")) == DOCUMENTED_CONVERSATION_SEARCH


def test_enum_qual_takes_an_operator() -> None:
    qual = enum_qual("request.statusName", "Open", operator="not_equal")

    assert qual["operator"] == "not_equal"
    assert qual["rightOperand"]["value"] == {"type": "EnumValueRest", "value": "Open"}


def test_name_equals_is_a_string_qual_on_the_name_key() -> None:
    assert NAME_KEY == "request.name"
    assert name_equals("INC-12") == {
        "type": "RelationalQualificationRest",
        "leftOperand": {"type": "PropertyOperandRest", "key": "request.name"},
        "operator": "equal",
        "rightOperand": {
            "type": "ValueOperandRest",
            "value": {"type": "StringValueRest", "value": "INC-12"},
        },
    }


def test_keys_can_be_replaced() -> None:
    assert name_equals("INC-12", key="request.displayName")["leftOperand"]["key"] == (
        "request.displayName"
    )
    assert conversation_type_equals("note", key="conversation.conversationType")["leftOperand"][
        "key"
    ] == ("conversation.conversationType")


def test_builders_are_exported_by_the_package() -> None:
    assert bot.serviceops.conversation_type_equals is conversation_type_equals
    assert bot.serviceops.enum_qual is enum_qual
    assert bot.serviceops.name_equals is name_equals
