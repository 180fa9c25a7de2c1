"""What `Attacher` takes and leaves: the caps, the count, failures, and no second upload."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, BinaryIO

import pytest

from bot.cache import build_cache
from bot.core.attachments import MB, Attacher, FileLimits
from bot.core.model import ChatFile
from bot.serviceops import RequestNotFoundError


class Desk:
    """Stands in for `ServiceOpsClient.upload_file`: records what it read."""

    def __init__(self, *, refuse: set[str] | None = None) -> None:
        self.uploads: list[tuple[str, int]] = []
        self.refuse = refuse or set()

    async def upload_file(self, content: BinaryIO, *, name: str, media_type: str) -> str:
        if name in self.refuse:
            raise RequestNotFoundError("upload_file: HTTP 404", status=404, operation="upload")
        content.seek(0)
        self.uploads.append((name, len(content.read())))
        return f"ref-{len(self.uploads)}"


class Chat:
    """A `FileSource` whose files are `size` bytes of zeros, in 64 KiB chunks; `lying` files
    are larger than they claim; `broken` ones fail halfway."""

    def __init__(self, sizes: dict[str, int], *, broken: set[str] | None = None) -> None:
        self.sizes = sizes
        self.broken = broken or set()
        self.reads: list[str] = []

    async def read(self, file: ChatFile) -> AsyncGenerator[bytes, None]:
        self.reads.append(file.id)
        left = self.sizes[file.id]
        while left > 0:
            if file.id in self.broken:
                raise ConnectionError("reset")
            chunk = min(left, 64 * 1024)
            left -= chunk
            yield bytes(chunk)


def chat_file(file_id: str, size: int | None) -> ChatFile:
    return ChatFile(id=file_id, name=f"{file_id}.bin", size=size, link=f"https://chat/{file_id}")


@pytest.fixture
def cache() -> Any:
    return build_cache("memory://")


async def test_caps_per_file_per_ticket_and_count(cache: Any) -> None:
    limits = FileLimits(per_file=2 * MB, per_ticket=3 * MB, count=3)
    sizes = {"a": MB, "b": 3 * MB, "c": MB, "d": MB + 1, "e": 10}
    desk, chat = Desk(), Chat(sizes)
    files = [chat_file(name, size) for name, size in sizes.items()]

    result = await Attacher(desk, cache, limits).attach(files, chat, attempt_id="x")

    assert [a.real_name for a in result.attachments] == ["a.bin", "c.bin"]
    assert [(m.name, m.reason) for m in result.missed] == [
        ("b.bin", "larger than the 2 MB limit per file"),
        ("d.bin", "more than 3 files"),
        ("e.bin", "more than 3 files"),
    ]
    assert chat.reads == ["a", "c"]  # sizes said enough for the others


async def test_a_file_bigger_than_it_said_is_cut_off_while_read(cache: Any) -> None:
    limits = FileLimits(per_file=MB, per_ticket=MB, count=10)
    desk, chat = Desk(), Chat({"big": 5 * MB})

    result = await Attacher(desk, cache, limits).attach(
        [chat_file("big", None)], chat, attempt_id="x"
    )

    assert result.attachments == []
    assert [m.reason for m in result.missed] == ["larger than the 1 MB limit per file"]
    assert desk.uploads == []


async def test_failures_are_missed_files_and_a_retry_uploads_only_what_is_left(
    cache: Any,
) -> None:
    limits = FileLimits()
    chat = Chat({"ok": 100, "torn": 200_000, "refused": 100}, broken={"torn"})
    desk = Desk(refuse={"refused.bin"})
    files = [chat_file(name, None) for name in ("ok", "torn", "refused")]
    attacher = Attacher(desk, cache, limits)

    first = await attacher.attach(files, chat, attempt_id="same")

    assert [a.ref_file_name for a in first.attachments] == ["ref-1"]
    assert [(m.name, m.reason) for m in first.missed] == [
        ("torn.bin", "it could not be read from the chat"),
        ("refused.bin", "the service desk did not accept it"),
    ]
    assert first.missed[0].link == "https://chat/torn"

    desk.refuse.clear()
    chat.broken.clear()
    again = await attacher.attach(files, chat, attempt_id="same")

    assert [a.ref_file_name for a in again.attachments] == ["ref-1", "ref-2", "ref-3"]
    assert [name for name, _ in desk.uploads] == ["ok.bin", "torn.bin", "refused.bin"]
    assert again.missed == []


async def test_without_a_reader_files_are_only_linked(cache: Any) -> None:
    result = await Attacher(Desk(), cache, FileLimits()).attach(
        [chat_file("a", 10)], None, attempt_id="x"
    )

    assert result.attachments == []
    assert [m.reason for m in result.missed] == ["the bot cannot read files here"]
