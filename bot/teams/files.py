"""Files on Teams messages: read as references (`ChatFile`), downloaded as Teams allows.

Two kinds can be read:

- a file sent to the bot in its 1:1 chat arrives as an attachment of type
  `application/vnd.microsoft.teams.file.download.info` whose `content.downloadUrl` is a
  short-lived, pre-authorized link (OneDrive/SharePoint): fetched without any token (the app
  package declares `supportsFiles`);
- an image pasted into a message arrives with a `contentUrl` on the Bot Connector, fetched
  with the bot's token.

Files shared in channels and group chats arrive as links to SharePoint (`reference`), which
only Microsoft Graph could read: they are kept as links and listed in the ticket, not
attached. A redirect is followed one hop at a time, and one to another host never carries the
bot's token. Nothing here logs a URL (a download link is a credential) or a header.
"""

from __future__ import annotations

import hashlib
import mimetypes
import urllib.parse
from collections.abc import AsyncGenerator
from typing import Any

import httpx2

from bot.core.model import ChatFile
from bot.teams.connector import BotConnector

DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
REFERENCE_TYPES = frozenset({"reference", "application/vnd.microsoft.teams.file.reference"})
CHUNK = 64 * 1024
"""Bytes read at a time: what a download holds in memory."""
MAX_REDIRECTS = 3
TIMEOUT = httpx2.Timeout(30.0, connect=10.0)
"""Per wait for data, not for a whole download."""


class FileUnavailableError(Exception):
    """Teams did not hand the file over (what happened, without URL or token)."""


def files_of(attachments: Any) -> list[ChatFile]:
    """The files among an activity's (or a message payload's) attachments, as references."""
    found: list[ChatFile] = []
    for index, item in enumerate(attachments if isinstance(attachments, list) else []):
        if not isinstance(item, dict):
            continue
        kind = str(item.get("contentType") or "")
        name = str(item.get("name") or "").strip()
        raw = item.get("content")
        content: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if kind == DOWNLOAD_INFO:
            url = content.get("downloadUrl")
            found.append(
                ChatFile(
                    id=str(content.get("uniqueId") or _id_of(url, index)),
                    name=name or "file",
                    url=str(url) if isinstance(url, str) and url else None,
                    media_type=_guess(name, content.get("fileType")),
                )
            )
        elif kind.startswith("image/") and isinstance(item.get("contentUrl"), str):
            url = str(item["contentUrl"])
            extension = mimetypes.guess_extension(kind) or ""
            found.append(
                ChatFile(
                    id=_id_of(url, index),
                    name=name or f"image-{index + 1}{extension}",
                    url=url,
                    media_type=kind,
                    credentials=True,
                )
            )
        elif kind in REFERENCE_TYPES and isinstance(item.get("contentUrl"), str):
            link = str(item["contentUrl"])
            found.append(
                ChatFile(
                    id=_id_of(link, index),
                    name=name or "file",
                    link=link if link.startswith("https://") else None,
                )
            )
    return found


def _id_of(url: Any, index: int) -> str:
    """A stable id for an attachment that names none (the same URL, the same id)."""
    return hashlib.sha256(str(url or index).encode()).hexdigest()[:24]


def _guess(name: str, file_type: Any) -> str | None:
    guessed, _ = mimetypes.guess_type(name or f"file.{file_type or 'bin'}")
    return guessed


class TeamsFiles:
    """Reads Teams files (`bot.core.ports.FileSource`)."""

    def __init__(self, http: httpx2.AsyncClient, connector: BotConnector) -> None:
        self._http = http
        self._connector = connector

    async def read(self, file: ChatFile) -> AsyncGenerator[bytes, None]:
        """The file's bytes in chunks of at most `CHUNK`.

        Raises:
            FileUnavailableError: no URL (a SharePoint link), an error status, too many
                redirects.
        """
        if not file.url:
            raise FileUnavailableError("Teams gives no download for this file")
        url = file.url
        origin = _host(url)
        for _ in range(MAX_REDIRECTS + 1):
            if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
                raise FileUnavailableError("not a web address")
            headers = {}
            if file.credentials and _host(url) == origin:
                headers["Authorization"] = f"Bearer {await self._connector.token()}"
            request = self._http.build_request("GET", url, headers=headers, timeout=TIMEOUT)
            response = await self._http.send(request, stream=True, follow_redirects=False)
            try:
                if response.is_redirect and response.headers.get("Location"):
                    url = urllib.parse.urljoin(url, response.headers["Location"])
                    continue
                if response.status_code != 200:
                    raise FileUnavailableError(f"HTTP {response.status_code}")
                async for chunk in response.aiter_bytes(CHUNK):
                    yield chunk
                return
            finally:
                await response.aclose()
        raise FileUnavailableError("too many redirects")


def _host(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or ''}"
