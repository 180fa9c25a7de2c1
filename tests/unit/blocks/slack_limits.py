"""Checks that built views and messages respect Slack's documented limits.

Two layers: slack_sdk's model classes (they raise on the limits they know, and drop keys they
don't, so a round trip that changes the dict reveals a typo) and explicit checks for limits
the SDK leaves out. Lengths are counted in UTF-16 code units, the stricter count.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_view(view: dict[str, Any]) -> None:
    assert View(**view).to_dict() == view
    assert units(view["title"]["text"]) <= 24
    for key in ("submit", "close"):
        if key in view:
            assert units(view[key]["text"]) <= 24
    assert units(view.get("private_metadata", "")) <= 3000
    assert 0 < len(view["blocks"]) <= 100
    check_blocks(view["blocks"])


def check_message(message: dict[str, Any]) -> None:
    assert set(message) == {"text", "blocks"}
    assert message["text"].strip()
    assert units(message["text"]) <= 4000
    assert 0 < len(message["blocks"]) <= 50
    for block in message["blocks"]:
        assert Block.parse(block).to_dict() == block
    check_blocks(message["blocks"])


def check_blocks(blocks: list[dict[str, Any]]) -> None:
    for node in _walk(blocks):
        _check_node(node)


def texts(obj: Any) -> Iterator[str]:
    """Every string a person will read: text objects and a message's fallback text."""
    for node in _walk(obj):
        if node.get("type") in ("mrkdwn", "plain_text"):
            yield node["text"]
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        yield obj["text"]


def _walk(obj: Any) -> Iterator[dict[str, Any]]:
    if isinstance(obj, dict):
        yield obj
        for value in obj.values():
            yield from _walk(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from _walk(item)


def _check_node(node: dict[str, Any]) -> None:
    kind = node.get("type")
    for key in ("block_id", "action_id"):
        if key in node:
            assert units(node[key]) <= 255
    if "placeholder" in node:
        assert units(node["placeholder"]["text"]) <= 150
    if kind == "section":
        assert units(node["text"]["text"]) <= 3000
    if kind == "context":
        assert 0 < len(node["elements"]) <= 10
        assert all(units(element["text"]) <= 3000 for element in node["elements"])
    if kind == "input":
        assert units(node["label"]["text"]) <= 2000
        assert "hint" not in node or units(node["hint"]["text"]) <= 2000
        assert node["element"]["action_id"] == node["block_id"]
    if kind == "plain_text_input":
        assert 1 <= node["max_length"] <= 3000
        assert units(node.get("initial_value", "")) <= node["max_length"]
    if kind == "button":
        assert units(node["text"]["text"]) <= 75
        assert units(node.get("value", "")) <= 2000
    if "options" in node:
        assert 0 < len(node["options"]) <= 100
    if "options" in node and "initial_option" in node:
        assert node["initial_option"] in node["options"]
    if "value" in node and "text" in node and kind is None:  # an option object
        assert units(node["text"]["text"]) <= 75
        assert units(node["value"]) <= 150
