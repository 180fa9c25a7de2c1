"""The ticket modal's files: the ones it will attach, and a file input to add more."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.attachments import MAX_FILES, megabytes
from bot.core.model import ChatFile
from bot.core.text import clean, one_line, truncate_escaped
from bot.slack import ids
from bot.slack.blocks.kit import Json, context, plain

SHOWN_MAX = 1500
"""Characters of file names listed in the form."""


def file_blocks(files: Sequence[ChatFile], *, per_file: int) -> list[Json]:
    """A line naming the files already with the draft (the message's, those added before),
    and an optional `file_input` for more (up to `MAX_FILES` in all; `per_file` bytes each)."""
    blocks: list[Json] = []
    if files:
        names = ", ".join(one_line(clean(file.name)) for file in files)
        blocks.append(context(truncate_escaped(f"Files to attach: {names}", SHOWN_MAX)))
    room = MAX_FILES - len(files)
    if room > 0 and per_file > 0:
        blocks.append(
            {
                "type": "input",
                "block_id": ids.FILES_BLOCK,
                "optional": True,
                "label": plain("Files"),
                "hint": plain(
                    f"Screenshots or logs for the service desk, up to {megabytes(per_file)} each."
                ),
                "element": {
                    "type": "file_input",
                    "action_id": ids.FILES_BLOCK,
                    "max_files": room,
                },
            }
        )
    return blocks


def submitted_files(values: dict[str, Any]) -> dict[str, Any]:
    """The file input's submitted state (`{"files": [...]}`), empty when there is none."""
    state = (values.get(ids.FILES_BLOCK) or {}).get(ids.FILES_BLOCK)
    return state if isinstance(state, dict) else {}
