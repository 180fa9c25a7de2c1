"""Builders of the vendor's search qualifications (the body of `…/request/search/byqual`).

Pure functions returning plain JSON-ready dicts; nothing here talks to the server.

Documented by the vendor (8.4 and later docs, sample with `not_in` and a list of ids):
- the body shape `{"qualDetails": {"type": "FlatQualificationRest", "quals": [...]}}`;
- a qual of type `RelationalQualificationRest` with a `leftOperand`
  (`{"type": "PropertyOperandRest", "key": "request.<field>"}`), an `operator` and a
  `rightOperand` (`{"type": "ValueOperandRest", "value": {...}}`).

Seen in vendor samples and public client code, not pinned to one documented `/api/v1` call:
the value type `StringValueRest` and the operators `equal`, `contains` and `start_with`.

Documented for a request's conversations (`…/request/{id}/conversation/search/byqual`, latest
docs): the key `.conversation.conversationType` (leading dot as written), the operator `equal`
and the value type `EnumValueRest` holding one type name. No sample asks for several types in
one qual, so callers ask once per type (`conversation_type_equals`).

Guesses (VERIFY against a real server):
- that the quals of a flat list are ANDed;
- the property keys on the public `/api/v1` path, e.g. `request.subject` (`SUBJECT_KEY`): it
  is seen only on the vendor's internal UI endpoint, so it is a parameter everywhere here;
- `request.name` (`NAME_KEY`) for a request's display number (`INC-12`): seen nowhere;
- `request.requesterEmail` (`REQUESTER_KEY`) for a request's requester e-mail: seen nowhere
  (the vendor's UI filters on `request.requesterId`, a numeric id the bot does not know), so
  callers keep it a setting and check every result's requester themselves;
- how `equal` compares strings (case, surrounding spaces): callers that need an exact match
  check the results themselves.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CONVERSATION_TYPE_KEY",
    "NAME_KEY",
    "REQUESTER_KEY",
    "SUBJECT_KEY",
    "conversation_type_equals",
    "enum_qual",
    "name_equals",
    "qual_details",
    "requester_equals",
    "string_qual",
    "subject_equals",
]

SUBJECT_KEY = "request.subject"
"""Property key of a request's subject. GUESS/VERIFY: seen on the internal UI endpoint only."""
NAME_KEY = "request.name"
"""Property key of a request's display number (`INC-12`). GUESS/VERIFY: no source shows one."""
REQUESTER_KEY = "request.requesterEmail"
"""Property key of a request's requester e-mail. GUESS/VERIFY: no source shows one."""
CONVERSATION_TYPE_KEY = ".conversation.conversationType"
"""Property key of a conversation's type, leading dot as the vendor's docs write it.
VERIFY: documented, but no live call with it has been seen."""


def string_qual(key: str, value: str, *, operator: str = "equal") -> dict[str, Any]:
    """A relational qualification: property `key` compared with the string `value`.

    The qual's shape is documented and `StringValueRest` is seen in samples; whether `key`
    exists on `/api/v1` is up to the caller (most keys are GUESS/VERIFY).

    Args:
        key: property key, e.g. `request.subject`.
        value: the string to compare with.
        operator: e.g. `equal` (the default), `contains` or `start_with`.
    """
    return {
        "type": "RelationalQualificationRest",
        "leftOperand": {"type": "PropertyOperandRest", "key": key},
        "operator": operator,
        "rightOperand": {
            "type": "ValueOperandRest",
            "value": {"type": "StringValueRest", "value": value},
        },
    }


def enum_qual(key: str, value: str, *, operator: str = "equal") -> dict[str, Any]:
    """A relational qualification: property `key` compared with the enum constant `value`.

    Same shape as `string_qual` with the value type `EnumValueRest`, as the vendor documents
    for a conversation's type.
    """
    return {
        "type": "RelationalQualificationRest",
        "leftOperand": {"type": "PropertyOperandRest", "key": key},
        "operator": operator,
        "rightOperand": {
            "type": "ValueOperandRest",
            "value": {"type": "EnumValueRest", "value": value},
        },
    }


def name_equals(name: str, *, key: str = NAME_KEY) -> dict[str, Any]:
    """A qual for the request whose display number is `name` (key `NAME_KEY`, a GUESS)."""
    return string_qual(key, name, operator="equal")


def conversation_type_equals(
    conversation_type: str, *, key: str = CONVERSATION_TYPE_KEY
) -> dict[str, Any]:
    """A qual for conversations of one type (`note`, `technician_to_requester`, …).

    The documented shape: `equal` with an `EnumValueRest` value on `CONVERSATION_TYPE_KEY`.
    """
    return enum_qual(key, conversation_type, operator="equal")


def subject_equals(subject: str, *, key: str = SUBJECT_KEY) -> dict[str, Any]:
    """A qual for requests whose subject equals `subject` (key `SUBJECT_KEY`, a GUESS)."""
    return string_qual(key, subject, operator="equal")


def requester_equals(email: str, *, key: str = REQUESTER_KEY) -> dict[str, Any]:
    """A qual for requests whose requester e-mail is `email` (key `REQUESTER_KEY`, a GUESS)."""
    return string_qual(key, email, operator="equal")


def qual_details(*quals: dict[str, Any]) -> dict[str, Any]:
    """The search body combining `quals` into one flat qualification.

    The flat shape is documented; that its quals are ANDed is a GUESS/VERIFY.
    To ask for every request, send an empty body instead (`search_requests(None)`).

    Raises:
        ValueError: no qual given.
    """
    if not quals:
        raise ValueError("qual_details needs at least one qual; search with no body for all")
    return {"qualDetails": {"type": "FlatQualificationRest", "quals": list(quals)}}
