"""Checks every Teams card and message must pass: the Teams SDK's models, strictly, and size.

The SDK's `AdaptiveCard` model reads its body as bare `CardElement`s that accept any property,
so a card is also walked: every object with a `type` (outside a button's free-form `data`)
must be a type the SDK knows and is validated against that type's model, with no property
the model does not declare (a misspelt property would otherwise pass and be ignored by Teams).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from typing import Any

import microsoft_teams.cards.core as cards_core
from microsoft_teams.api import MessageActivityInput
from microsoft_teams.cards import AdaptiveCard, Choice
from pydantic import BaseModel

MESSAGE_BUDGET = 28_000
"""Teams refuses a message over about 28 KB (its JSON, UTF-8)."""
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def _known_types() -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for model in vars(cards_core).values():
        if inspect.isclass(model) and issubclass(model, BaseModel) and "type" in model.model_fields:
            default = model.model_fields["type"].default
            if isinstance(default, str):
                found.setdefault(default, model)
    return found


TYPES = _known_types()


def size(obj: Any) -> int:
    """Bytes of `obj` as JSON the way httpx2 sends it (UTF-8, non-ASCII unescaped). Written
    with every non-ASCII character escaped (`\\uXXXX`), a card of non-Latin or emoji text
    can be two or three times as large."""
    return len(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def check_card(card: dict[str, Any]) -> None:
    """Valid Adaptive Card 1.5 by the SDK's models (strictly), within a message's size."""
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"
    AdaptiveCard.model_validate(card)
    _walk(card, "card")
    json.dumps(card, ensure_ascii=False).encode("utf-8")  # no lone surrogates
    assert size(card) <= MESSAGE_BUDGET


def check_message(message: dict[str, Any]) -> None:
    """A valid message activity by the SDK's model; its cards valid; within the size limit."""
    assert message["type"] == "message"
    MessageActivityInput.model_validate(message)
    for attachment in message.get("attachments", []):
        assert attachment["contentType"] == CONTENT_TYPE
        check_card(attachment["content"])
    assert size(message) <= MESSAGE_BUDGET


def check_dialog(answer: dict[str, Any]) -> dict[str, Any]:
    """A task module answer that shows a card; the card, checked."""
    task = answer["task"]
    assert task["type"] == "continue"
    attachment = task["value"]["card"]
    assert attachment["contentType"] == CONTENT_TYPE
    card: dict[str, Any] = attachment["content"]
    check_card(card)
    assert size(answer) <= MESSAGE_BUDGET
    return card


def _walk(node: Any, path: str) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _walk(item, f"{path}[{index}]")
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind is not None:
        assert kind in TYPES, f"{path}: unknown type {kind!r}"
        model = TYPES[kind].model_validate(node)
        extra = model.model_extra
        assert not extra, f"{path}: properties {kind} does not declare: {extra}"
    for key, value in node.items():
        if key == "data":
            continue  # a button's free-form data
        if key == "choices":
            for index, choice in enumerate(value):
                extra = Choice.model_validate(choice).model_extra
                assert not extra, f"{path}.choices[{index}]: {extra}"
        _walk(value, f"{path}.{key}")


# --------------------------------------------------------------------------- reading cards


def elements(card: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every element of the body, depth first (containers' items included)."""

    def visit(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for item in items:
            yield item
            yield from visit(item.get("items", []))

    yield from visit(card.get("body", []))


def texts(card: dict[str, Any]) -> list[str]:
    """The text of every TextBlock."""
    return [e["text"] for e in elements(card) if e["type"] == "TextBlock"]


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = [e for e in elements(card) if e["type"].startswith("Input.")]
    by_id = {e["id"]: e for e in found}
    assert len(by_id) == len(found), "input ids repeat"
    return by_id


def buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Card-level actions by title."""
    return {action["title"]: action for action in card.get("actions", [])}
