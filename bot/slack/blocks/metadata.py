"""What the ticket modal carries in its `private_metadata`.

Slack echoes `private_metadata` back with every submission and button press in the modal, so
any replica can finish what another started. It holds at most 3000 characters: when the
model would not fit, optional parts are dropped (the `response_url` first, then the source
permalink, then the author) but never the origin's conversation, thread and message.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.core.drafts import Origin

MAX_METADATA = 3000
"""Slack's limit for a view's `private_metadata`."""


class MetadataError(ValueError):
    """`private_metadata` is not ours, is damaged, or cannot be made to fit."""


class FormMetadata(BaseModel):
    """Context the form needs after it is submitted."""

    model_config = ConfigDict(frozen=True)

    origin: Origin
    source_permalink: str | None = None
    """Link to the source message, added to the description."""
    author_id: str | None = None
    """Who wrote the source message (message shortcut)."""
    attempt_id: str | None = None
    """Identifies one filing attempt, so a double submit files once."""
    force_new: bool = False
    """The person chose "File a separate ticket" for a message that already has one."""


def encode(meta: FormMetadata, *, limit: int = MAX_METADATA) -> str:
    """Compact JSON for `private_metadata`, dropping optional parts until it fits `limit`.

    Raises:
        MetadataError: even the essentials are longer than `limit`.
    """
    for candidate in _shrinking(meta):
        raw = candidate.model_dump_json(exclude_defaults=True)
        if len(raw) <= limit:
            return raw
    raise MetadataError(f"form metadata does not fit in {limit} characters")


def decode(raw: str) -> FormMetadata:
    """Read what `encode` wrote.

    Raises:
        MetadataError: `raw` is empty, not JSON, or not form metadata.
    """
    if not raw:
        raise MetadataError("form metadata is empty")
    try:
        return FormMetadata.model_validate_json(raw)
    except ValidationError as exc:
        raise MetadataError(f"form metadata is not valid ({exc.error_count()} problems)") from None


def _shrinking(meta: FormMetadata) -> list[FormMetadata]:
    """`meta`, then versions of it with ever fewer optional parts."""
    origin = meta.origin.model_copy(update={"response_url": None})
    no_url = meta.model_copy(update={"origin": origin})
    no_link = no_url.model_copy(update={"source_permalink": None})
    return [meta, no_url, no_link, no_link.model_copy(update={"author_id": None})]
