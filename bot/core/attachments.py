"""Chat files become a request's attachments: read through the surface, uploaded to ServiceOps.

Core decides what is taken (at most `FileLimits.count` files, a size cap per file and per
ticket) and uploads each file; a surface only reads its files (`FileSource`). A file is
streamed into an anonymous temporary file (a bounded buffer in memory, never the whole file)
and uploaded from there. What cannot be attached never stops the ticket: it comes back as a
`MissedFile`, listed in the description with its chat link and told to the person.

Each upload's reference is remembered per filing attempt, so a "Try again" after a failed
create attaches the same uploads instead of uploading the files again.

File names come from people: the name sent with the upload is `safe_name` (no path, no
control characters); the name people see (`realName`) is `display_name`.
"""

from __future__ import annotations

import contextlib
import logging
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.model import ChatFile, MissedFile
from bot.core.ports import FileSource
from bot.serviceops import FileAttachment, ServiceOpsClient, ServiceOpsError

log = logging.getLogger("bot.attachments")

MB = 1024 * 1024
MAX_FILES = 10
"""Most files attached to one ticket."""
UPLOADS_TTL = 24 * 3600
"""How long an attempt remembers its uploads (as long as the attempt itself)."""
SAFE_NAME_MAX = 120
DISPLAY_NAME_MAX = 255
DEFAULT_MEDIA_TYPE = "application/octet-stream"
MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]{0,63}/[A-Za-z0-9][\w.+-]{0,126}$")
RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
"""Names Windows will not store, whatever their extension."""

COULD_NOT_READ = "it could not be read from the chat"
NOT_ACCEPTED = "the service desk did not accept it"
NO_ACCESS = "the bot cannot read files here"
NOT_ATTACHED = "the bot could not attach it"


@dataclass(frozen=True)
class FileLimits:
    """What one ticket takes: `per_file` and `per_ticket` in bytes, at most `count` files."""

    per_file: int = 20 * MB
    per_ticket: int = 50 * MB
    count: int = MAX_FILES


@dataclass
class Attached:
    """What became of a ticket's files."""

    attachments: list[FileAttachment] = field(default_factory=list)
    missed: list[MissedFile] = field(default_factory=list)


class TooLarge(Exception):
    """A file turned out larger than it may be while it was read."""


class Attacher:
    """Uploads a ticket's chat files to ServiceOps within the limits.

    Args:
        client: the ServiceOps client (`upload_file`).
        cache: the shared cache, where each attempt's uploads are remembered.
        limits: the caps.
    """

    def __init__(self, client: ServiceOpsClient, cache: Any, limits: FileLimits) -> None:
        self._client = client
        self._cache = cache
        self.limits = limits

    async def attach(
        self, files: Sequence[ChatFile], source: FileSource | None, *, attempt_id: str
    ) -> Attached:
        """Upload `files` (read through `source`) for one filing attempt; never raises for a
        file: each is attached or missed."""
        result = Attached()
        if not files:
            return result
        key = f"uploads:{attempt_id}"
        uploaded = await self._uploads(key)
        budget = self.limits.per_ticket
        for index, file in enumerate(_unique(files)):
            name = display_name(file.name)
            if index >= self.limits.count:
                result.missed.append(self._missed(file, f"more than {self.limits.count} files"))
                continue
            earlier = uploaded.get(file.id)
            if isinstance(earlier, dict) and earlier.get("ref"):
                result.attachments.append(
                    FileAttachment(ref_file_name=str(earlier["ref"]), real_name=name)
                )
                budget -= int(earlier.get("size") or 0)
                continue
            reason = self._over_limit(file.size, budget)
            if reason is None and source is None:
                reason = NO_ACCESS
            if reason is not None:
                result.missed.append(self._missed(file, reason))
                continue
            assert source is not None
            try:
                outcome = await self._upload(file, source, budget)
            except Exception:  # e.g. no room for the temporary file: the ticket goes on
                log.exception("file_not_attached", extra={"file": file.id})
                outcome = self._missed(file, NOT_ATTACHED)
            if isinstance(outcome, MissedFile):
                result.missed.append(outcome)
                continue
            ref, size = outcome
            budget -= size
            result.attachments.append(FileAttachment(ref_file_name=ref, real_name=name))
            uploaded[file.id] = {"ref": ref, "size": size}
            await self._remember(key, uploaded)
        if result.missed:
            log.info(
                "files_not_attached",
                extra={"attempt": attempt_id, "count": len(result.missed)},
            )
        return result

    async def _upload(
        self, file: ChatFile, source: FileSource, budget: int
    ) -> tuple[str, int] | MissedFile:
        """Read `file` into a temporary file (stopping at the caps), then upload it."""
        cap = min(self.limits.per_file, budget)
        with tempfile.TemporaryFile() as buffer:
            size = 0
            try:
                async with contextlib.aclosing(source.read(file)) as chunks:
                    async for chunk in chunks:
                        size += len(chunk)
                        if size > cap:
                            raise TooLarge
                        buffer.write(chunk)
            except TooLarge:
                return self._missed(file, self._over_limit(size, budget) or COULD_NOT_READ)
            except Exception as exc:  # noqa: BLE001 (any failure: the ticket goes on without it)
                log.warning("file_not_read", extra={"file": file.id, "error": type(exc).__name__})
                return self._missed(file, COULD_NOT_READ)
            buffer.flush()  # the upload's length is the file's size on disk
            try:
                ref = await self._client.upload_file(
                    buffer, name=safe_name(file.name), media_type=media_type(file.media_type)
                )
            except ServiceOpsError as exc:
                log.warning(
                    "file_not_uploaded",
                    extra={"file": file.id, "error": type(exc).__name__, "status": exc.status},
                )
                return self._missed(file, NOT_ACCEPTED)
        log.info("file_uploaded", extra={"file": file.id, "bytes": size})
        return ref, size

    def _over_limit(self, size: int | None, budget: int) -> str | None:
        if size is None:
            return None
        if size > self.limits.per_file:
            return f"larger than the {megabytes(self.limits.per_file)} limit per file"
        if size > budget:
            return f"over the {megabytes(self.limits.per_ticket)} limit per ticket"
        return None

    @staticmethod
    def _missed(file: ChatFile, reason: str) -> MissedFile:
        return MissedFile(name=display_name(file.name), reason=reason, link=file.link)

    async def _uploads(self, key: str) -> dict[str, Any]:
        try:
            stored = await self._cache.get(key)
        except Exception:  # noqa: BLE001 (without the record the files are uploaded again)
            log.warning("uploads_not_read", extra={"key": key})
            return {}
        return dict(stored) if isinstance(stored, dict) else {}

    async def _remember(self, key: str, uploaded: dict[str, Any]) -> None:
        try:
            await self._cache.set(key, uploaded, ttl=UPLOADS_TTL)
        except Exception:  # noqa: BLE001 (a retry would upload again: harmless, wasteful)
            log.warning("uploads_not_recorded", extra={"key": key})


def _unique(files: Sequence[ChatFile]) -> list[ChatFile]:
    seen: set[str] = set()
    unique: list[ChatFile] = []
    for file in files:
        if file.id not in seen:
            seen.add(file.id)
            unique.append(file)
    return unique


def megabytes(size: int) -> str:
    """`20 MB`, `0.5 MB`."""
    return f"{size / MB:.3g} MB"


def _printable(name: str) -> str:
    """`name` without control, format (bidi overrides) or unassigned characters, its runs
    of white space as one space."""
    spaced = "".join(" " if ch.isspace() else ch for ch in unicodedata.normalize("NFC", name))
    kept = "".join(ch for ch in spaced if unicodedata.category(ch)[0] != "C")
    return " ".join(kept.split())


def display_name(name: str) -> str:
    """The name people see (`realName`): as they named the file, without control characters,
    at most 255 characters."""
    return _printable(name)[:DISPLAY_NAME_MAX].strip() or "file"


def safe_name(name: str) -> str:
    """A name safe wherever a server may store the file: the last part of any path, only
    letters, digits and `._-()+` (others become `_`), no leading dot, not a reserved device
    name, at most 120 characters (the extension kept)."""
    base = re.split(r"[/\\]", _printable(name))[-1]
    base = "".join(ch if ch.isalnum() or ch in "._-()+" else "_" for ch in base)
    base = re.sub(r"_{2,}", "_", base).strip("._ ")
    if not base:
        return "file"
    if RESERVED.match(base):
        base = "_" + base
    if len(base) > SAFE_NAME_MAX:
        stem, dot, extension = base.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            base = stem[: SAFE_NAME_MAX - len(extension) - 1] + "." + extension
        else:
            base = base[:SAFE_NAME_MAX]
    return base


def media_type(declared: str | None) -> str:
    """The platform's media type when it is well formed, else `application/octet-stream`."""
    if declared and MEDIA_TYPE.match(declared.strip()):
        return declared.strip().lower()
    return DEFAULT_MEDIA_TYPE
