"""Block Kit views and messages drawn as text, the way a person sees them in Slack.

The same notation as `docs/screens.md` (the minimum of `docs/render_screens.py`, which is not
part of the installed package): a box per modal or message, text inputs as `[value]`,
selects as `[value ▾]`, buttons as `[ Label ]`, mrkdwn links `<url|label>` as
`label (url)`.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

WIDTH = 72
"""Inner width of every box, in characters."""
LABEL_WIDTH = 14

Json = dict[str, Any]

_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>")
_BARE = re.compile(r"<([@#!]?)([^<>|]+)>")


def mrkdwn(text: str, names: dict[str, str] | None = None) -> str:
    """Slack mrkdwn as a reader would see it (links spelled out, entities decoded, and
    `<@U…>`, `<#C…>` by the names in `names`, as Slack shows them)."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _BARE.sub(
        lambda m: (names or {}).get(m.group(1) + m.group(2), m.group(1) + m.group(2)), text
    )
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class _Drawing:
    """One view or message being drawn: what was typed into it, the names to show."""

    def __init__(self, typed: dict[str, str], names: dict[str, str]) -> None:
        self.typed = typed
        self.names = names

    def plain(self, obj: Json | None) -> str:
        if not obj:
            return ""
        text = str(obj.get("text", ""))
        return mrkdwn(text, self.names) if obj.get("type") == "mrkdwn" else text


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        prefix = "> " if paragraph.startswith(">") else ""
        body = paragraph[1:] if prefix else paragraph
        hanging = "  " if body.startswith("• ") else ""
        wrapped = textwrap.wrap(
            body,
            width=width - len(indent) - len(prefix),
            subsequent_indent=hanging,
            break_on_hyphens=False,
            break_long_words=True,
        )
        lines += [indent + prefix + line for line in wrapped] or [indent + prefix.rstrip()]
    return lines


def _field(value: str, width: int) -> str:
    inner = width - 2
    if len(value) > inner:
        value = value[: inner - 1] + "…"
    return f"[{value.ljust(inner)}]"


def _element(draw: _Drawing, element: Json, width: int, value: str | None = None) -> list[str]:
    kind = element.get("type")
    placeholder = (
        f"({draw.plain(element.get('placeholder'))})" if element.get("placeholder") else ""
    )
    if kind == "plain_text_input":
        shown = value if value is not None else str(element.get("initial_value") or placeholder)
        if not element.get("multiline"):
            return [_field(shown, width)]
        rows = _wrap(shown, width - 2) or [""]
        rows += [""] * max(0, 3 - len(rows))
        return [f"[{row.ljust(width - 2)}]" for row in rows]
    if kind in ("static_select", "external_select"):
        initial = element.get("initial_option")
        shown = (
            value if value is not None else draw.plain(initial["text"]) if initial else placeholder
        )
        lines = [f"[{shown} ▾]"]
        choices = [draw.plain(option["text"]) for option in element.get("options", [])]
        if choices:
            lines += _wrap("choices: " + " · ".join(choices), width, "  ")
        return lines
    if kind == "multi_users_select":
        users = element.get("initial_users", [])
        picked = " ".join(draw.names.get(f"@{user}", f"@{user}") for user in users)
        shown = value if value is not None else picked or placeholder
        return [f"[{shown} ▾]", "  (people picker: anyone in the workspace)"]
    if kind == "button":
        return [f"[ {draw.plain(element['text'])} ]"]
    return [f"[{kind}]"]


def _block(draw: _Drawing, block: Json, width: int) -> list[str]:
    kind = block["type"]
    if kind == "section":
        return _wrap(draw.plain(block.get("text")), width)
    if kind == "context":
        return _wrap("  ".join(draw.plain(element) for element in block["elements"]), width, "  ")
    if kind == "actions":
        return _wrap("  ".join(_element(draw, e, width)[0] for e in block["elements"]), width)
    if kind == "divider":
        return ["─" * width]
    if kind == "header":
        return _wrap(draw.plain(block["text"]).upper(), width)
    if kind == "input":
        label = draw.plain(block["label"]) + ("" if block.get("optional") else " *")
        value = draw.typed.get(str(block.get("block_id")))
        inner = _element(draw, block["element"], width - LABEL_WIDTH, value)
        lines = [label.ljust(LABEL_WIDTH) + inner[0]]
        lines += [" " * LABEL_WIDTH + line for line in inner[1:]]
        if block.get("hint"):
            lines += _wrap(draw.plain(block["hint"]), width, " " * LABEL_WIDTH)
        return lines
    return [f"({kind} block)"]


def _box(title: str, lines: list[str], footer: str = "") -> str:
    top = f"┌─ {title} " + "─" * max(0, WIDTH - len(title) - 2) + "┐"
    body = [f"│ {line[: WIDTH - 1].ljust(WIDTH - 1)} │" for line in lines]
    if footer:
        body.append(f"│ {footer.rjust(WIDTH - 1)} │")
    return "\n".join([top, *body, "└" + "─" * (WIDTH + 1) + "┘"])


def render(
    payload: Json, typed: dict[str, str] | None = None, *, names: dict[str, str] | None = None
) -> str:
    """A modal view, a Home tab or a message (`{"text", "blocks"}`) as a text mock-up; `typed` shows
    what a person typed or picked in the form's inputs (by block id) instead of the view's
    initial values; `names` spells out mentions (`{"@U0ADA": "@Ada Lovelace"}`)."""
    draw = _Drawing(typed or {}, names or {})
    lines: list[str] = []
    for index, block in enumerate(payload.get("blocks") or []):
        if index:
            lines.append("")
        lines += _block(draw, block, WIDTH - 2)
    if payload.get("type") == "modal":
        buttons = [payload.get("close"), payload.get("submit")]
        footer = "  ".join(f"[ {draw.plain(button)} ]" for button in buttons if button)
        return _box(draw.plain(payload.get("title")), lines, footer)
    if payload.get("type") == "home":
        return _box("Home tab", lines)
    drawn = _box("message", lines)
    text = mrkdwn(str(payload.get("text") or ""), names)
    return drawn + "\n" + "\n".join(_wrap(f"notification text: {text}", WIDTH))
