"""Builders of the vendor's search qualifications (the body of `…/request/search/byqual`).

Pure functions returning plain JSON-ready dicts; nothing here talks to the server.

Documented by the vendor (8.4 and later docs, sample with `not_in` and a list of ids):
- the body shape `{"qualDetails": {"type": "FlatQualificationRest", "quals": [...]}}`;
- a qual of type `RelationalQualificationRest` with a `leftOperand`
  (`{"type": "PropertyOperandRest", "key": "request.<field>"}`), an `operator` and a
  `rightOperand` (`{"type": "ValueOperandRest", "value": {...}}`).

Seen in vendor samples and public client code, not pinned to one documented `/api/v1` call:
the value type `StringValueRest` and the operators `equal`, `contains` and `start_with`.

Guesses (VERIFY against a real server):
- that the quals of a flat list are ANDed;
- the property keys on the public `/api/v1` path, e.g. `request.subject` (`SUBJECT_KEY`): it
  is seen only on the vendor's internal UI endpoint, so it is a parameter everywhere here;
- how `equal` compares strings (case, surrounding spaces): callers that need an exact match
  check the results themselves.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "SUBJECT_KEY",
    "qual_details",
    "string_qual",
    "subject_equals",
]

SUBJECT_KEY = "request.subject"
"""Property key of a request's subject. GUESS/VERIFY: seen on the internal UI endpoint only."""


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


def subject_equals(subject: str, *, key: str = SUBJECT_KEY) -> dict[str, Any]:
    """A qual for requests whose subject equals `subject` (key `SUBJECT_KEY`, a GUESS)."""
    return string_qual(key, subject, operator="equal")


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
