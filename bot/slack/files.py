"""Files on Slack messages: read as references (`ChatFile`), downloaded with the bot token.

Slack serves a file's `url_private_download` only with the bot token (scope `files:read`).
The token goes only to Slack's own hosts (the host of `SLACK_API_URL` and its subdomains,
e.g. `files.slack.com`): redirects are followed one by one, and one that leaves those hosts
is followed without the token. Nothing here logs a URL or a header.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import AsyncGenerator
from typing import Any

import aiohttp

from bot.core.model import ChatFile

log = logging.getLogger("bot.slack.files")

CHUNK = 64 * 1024
"""Bytes read at a time: what a download holds in memory."""
MAX_REDIRECTS = 3
REDIRECTS = frozenset({301, 302, 303, 307, 308})
TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=30)
"""No limit on a whole download (a big file on a slow link), but on each wait for data."""
UNREADABLE_MODES = frozenset({"tombstone", "hidden_by_limit", "external"})
"""Files Slack does not serve: deleted, beyond a free plan's history, stored elsewhere."""


class FileUnavailableError(Exception):
    """Slack did not hand the file over (what happened, without URL or token)."""


def files_of(message: dict[str, Any]) -> list[ChatFile]:
    """The files of a message, an event or a `file_input`'s value, as references."""
    found: list[ChatFile] = []
    for item in message.get("files") or []:
        if not isinstance(item, dict) or not item.get("id"):
            continue
        size = item.get("size")
        readable = item.get("mode") not in UNREADABLE_MODES
        url = item.get("url_private_download") or item.get("url_private")
        found.append(
            ChatFile(
                id=str(item["id"]),
                name=str(item.get("name") or item.get("title") or item["id"]),
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                url=str(url) if url and readable else None,
                link=str(item["permalink"]) if item.get("permalink") else None,
                media_type=str(item["mimetype"]) if item.get("mimetype") else None,
                credentials=True,
            )
        )
    return found


class SlackFiles:
    """Reads Slack files with the bot token (`bot.core.ports.FileSource`)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        api_url: str,
        proxy: str | None = None,
    ) -> None:
        self._session = session
        self._token = token
        self._proxy = proxy
        """The proxy Slack's own client uses (`HTTPS_PROXY`), for downloads too."""
        self._slack_host = (urllib.parse.urlsplit(api_url).hostname or "").lower()

    def trusted(self, url: str) -> bool:
        """Whether `url` is on Slack's own hosts, where the bot token may go."""
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("https", "http") or not host or not self._slack_host:
            return False
        return host == self._slack_host or host.endswith("." + self._slack_host)

    async def read(self, file: ChatFile) -> AsyncGenerator[bytes, None]:
        """The file's bytes in chunks of at most `CHUNK`.

        Raises:
            FileUnavailableError: no URL, an error status, an HTML page instead of the file
                (Slack's sign-in page: the token lacks `files:read`), too many redirects.
        """
        if not file.url:
            raise FileUnavailableError("Slack does not serve this file")
        url = file.url
        for _ in range(MAX_REDIRECTS + 1):
            if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
                raise FileUnavailableError("not a web address")
            headers = {"Authorization": f"Bearer {self._token}"} if self.trusted(url) else {}
            async with self._session.get(
                url, headers=headers, allow_redirects=False, timeout=TIMEOUT, proxy=self._proxy
            ) as response:
                if response.status in REDIRECTS and response.headers.get("Location"):
                    url = urllib.parse.urljoin(url, response.headers["Location"])
                    continue
                if response.status != 200:
                    raise FileUnavailableError(f"HTTP {response.status}")
                if response.content_type == "text/html" and file.media_type != "text/html":
                    raise FileUnavailableError("a web page instead of the file (files:read?)")
                async for chunk in response.content.iter_chunked(CHUNK):
                    yield chunk
                return
        raise FileUnavailableError("too many redirects")
