"""Files a fake chat platform serves for download, streamed from generated content.

A file of any size costs the fake no memory: its bytes are a pattern derived from its id,
produced chunk by chunk (the SHA-256 of the whole is kept, so tests compare what ServiceOps
received). Every download is recorded with the `Authorization` it carried and the host it
was asked of, so tests see where a token went.

    host = FileHost(authorized=lambda header: header == "Bearer xoxb-…")
    host.mount(app)                              # before the server starts
    host.base_url = server_url                   # once it listens
    file = host.add("shot.png", size=2_000, media_type="image/png")
    file.url                                     # needs the token
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from aiohttp import web

CHUNK = 64 * 1024


@dataclass
class HostedFile:
    id: str
    name: str
    size: int
    media_type: str
    url: str = ""
    sha256: str = ""
    redirect: bool = False
    """Served through a redirect to another host (`localhost` instead of `127.0.0.1`)."""
    html_instead: bool = False
    """Answered with a web page (as Slack does for a token without `files:read`)."""


@dataclass
class Download:
    file_id: str
    host: str
    authorization: str | None
    status: int


def chunks(file_id: str, size: int) -> Iterator[bytes]:
    """The content of a file: `size` bytes of a pattern derived from `file_id`."""
    block = (hashlib.sha256(file_id.encode()).digest() * (CHUNK // 32 + 1))[:CHUNK]
    left = size
    while left > 0:
        piece = block[: min(CHUNK, left)]
        left -= len(piece)
        yield piece


def digest(file_id: str, size: int) -> str:
    sha = hashlib.sha256()
    for piece in chunks(file_id, size):
        sha.update(piece)
    return sha.hexdigest()


@dataclass
class FileHost:
    """Serves files under `{prefix}/{id}/…`; `authorized(header)` says whether a request's
    `Authorization` header may download (None: anyone may, as with a pre-authorized link)."""

    authorized: Callable[[str | None], bool] | None = None
    prefix: str = "/files-pri"
    files: dict[str, HostedFile] = field(default_factory=dict)
    downloads: list[Download] = field(default_factory=list)
    base_url: str = ""

    def mount(self, app: web.Application) -> None:
        app.router.add_get(self.prefix + "/{id}/{tail:.*}", self._serve)
        app.router.add_get(self.prefix + "-edge/{id}", self._serve_edge)
        app.router.add_get(self.prefix + "-signin", self._signin)

    def add(
        self,
        name: str,
        *,
        size: int,
        media_type: str = "application/octet-stream",
        redirect: bool = False,
        html_instead: bool = False,
        file_id: str | None = None,
        tail: str = "download",
    ) -> HostedFile:
        file_id = file_id or "F" + secrets.token_hex(5).upper()
        hosted = HostedFile(
            file_id,
            name,
            size,
            media_type,
            url=f"{self.base_url}{self.prefix}/{file_id}/{tail}",
            sha256=digest(file_id, size),
            redirect=redirect,
            html_instead=html_instead,
        )
        self.files[file_id] = hosted
        return hosted

    def downloads_of(self, file_id: str) -> list[Download]:
        return [d for d in self.downloads if d.file_id == file_id]

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        file = self.files.get(request.match_info["id"])
        header = request.headers.get("Authorization")
        if file is None:
            return self._record(request, "?", header, web.Response(status=404))
        if self.authorized is not None and not self.authorized(header):
            # Slack answers a download without a valid token with its sign-in page.
            response = web.HTTPFound(f"{self.base_url}{self.prefix}-signin")
            return self._record(request, file.id, header, response)
        if file.html_instead:
            page = web.Response(text="<html>Sign in</html>", content_type="text/html")
            return self._record(request, file.id, header, page)
        if file.redirect:
            host = self.base_url.replace("127.0.0.1", "localhost")
            edge = f"{host}{self.prefix}-edge/{file.id}"
            return self._record(request, file.id, header, web.HTTPFound(edge))
        self._record(request, file.id, header, web.Response(status=200))
        return await self._stream(request, file)

    async def _serve_edge(self, request: web.Request) -> web.StreamResponse:
        """Another host (a CDN) serving the file by a signed link: no token needed."""
        file = self.files.get(request.match_info["id"])
        header = request.headers.get("Authorization")
        if file is None:
            return self._record(request, "?", header, web.Response(status=404))
        self._record(request, file.id, header, web.Response(status=200))
        return await self._stream(request, file)

    async def _signin(self, request: web.Request) -> web.Response:
        return web.Response(text="<html>Sign in to Slack</html>", content_type="text/html")

    async def _stream(self, request: web.Request, file: HostedFile) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": file.media_type, "Content-Length": str(file.size)}
        )
        await response.prepare(request)
        for piece in chunks(file.id, file.size):
            await response.write(piece)
        await response.write_eof()
        return response

    def _record(
        self, request: web.Request, file_id: str, header: str | None, response: web.StreamResponse
    ) -> web.StreamResponse:
        self.downloads.append(Download(file_id, request.host, header, response.status))
        return response
