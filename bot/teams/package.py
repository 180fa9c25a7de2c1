"""The Teams app package: `manifest.json` and two icons in a zip, for "Upload a custom app".

The bot's app id and its public host differ per install, so the package is generated
(`serviceops-bot teams-package`), never committed. The manifest declares the identifiers the
handlers match (`bot.teams.ids`). The icons are drawn here in pure Python (a ticket with a
perforation), so nothing needs an image library, and the zip's entries carry a fixed timestamp:
the same inputs give the same bytes.
"""

from __future__ import annotations

import io
import ipaddress
import json
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from bot.teams import ids

MANIFEST_VERSION: Final = "1.29"
SCHEMA_URL: Final = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}"
    "/MicrosoftTeams.schema.json"
)
DEFAULT_FILENAME: Final = "serviceops-bot-teams.zip"

MANIFEST: Final = "manifest.json"
COLOR_ICON: Final = "color.png"
"""Full colour, 192×192."""
OUTLINE_ICON: Final = "outline.png"
"""White on transparent, 32×32."""
COLOR_SIZE: Final = 192
OUTLINE_SIZE: Final = 32

SCOPES: Final = ("personal", "team", "groupChat")
"""Where the bot can be talked to: its 1:1 chat, channels (by @mention), group chats."""

NAME: Final = "ServiceOps"
FULL_NAME: Final = "ServiceOps: Motadata service-desk requests"
DESCRIPTION: Final = "File Motadata ServiceOps service-desk requests without leaving Teams."
FULL_DESCRIPTION: Final = (
    "ServiceOps turns a Teams conversation into a Motadata ServiceOps service-desk request in a "
    'few seconds. Pick "Create ticket" from any message\'s More actions menu (also on replies), '
    "or simply write to the bot in a 1:1 chat or @mention it in a channel. A form opens "
    "prefilled with what was said; pick the priority, urgency, impact and department, submit, "
    "and the bot files the request on your behalf (you are the requester, identified by your "
    "work e-mail address). The ticket number and a link to the request in the ServiceOps "
    "portal are posted back in the conversation, so everyone following it can see it. When the "
    "bot cannot post there, the form itself shows the result: nobody is left without the "
    "ticket number."
)
DEVELOPER_NAME: Final = "ServiceOps bot"
ACCENT_COLOR: Final = "#1d4f91"
"""The Slack app's background colour (`manifest.yml`): one brand on both platforms."""

HELP_COMMAND: Final = "help"
ACTION_TITLE: Final = "Create ticket"
ACTION_DESCRIPTION: Final = (
    "File a ServiceOps ticket from this message; the number is posted in its thread."
)

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_SEMVER = re.compile(r"(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_HOST_HINT = "pass the bot's public host name alone, like bot.example.com"

_ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)
"""The earliest time a zip entry can carry: fixed, so the package is reproducible."""


def validate_host(host: str) -> str:
    """`host` as a bare, lower-case public host name; ValueError says what to pass instead."""
    value = host.strip().lower()
    if not value:
        raise ValueError(f"the host is empty: {_HOST_HINT}")
    if any(mark in value for mark in ("://", "/", "?", "#", "@")):
        raise ValueError(f"{host!r} is a URL, not a host name: {_HOST_HINT} (no https://, no path)")
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        pass
    else:
        raise ValueError(
            f"{host!r} is an IP address: Teams needs the public host name the bot's HTTPS "
            f"certificate is for: {_HOST_HINT}"
        )
    if ":" in value:
        raise ValueError(f"{host!r} has a port: {_HOST_HINT}, without a port")
    if value == "localhost" or value.endswith(".localhost"):
        raise ValueError(
            f"{host!r} is this machine, which Teams cannot reach: {_HOST_HINT} "
            "(a tunnel's public host name works for a trial)"
        )
    labels = value.split(".")
    if (
        len(value) > 253
        or not all(_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValueError(f"{host!r} is not a valid host name: {_HOST_HINT}")
    if len(labels) < 2:
        raise ValueError(f"{host!r} is not a public host name (it has no domain): {_HOST_HINT}")
    return value


def validate_app_id(app_id: str) -> str:
    """`app_id` if it is a GUID, as Teams requires of an app's and a bot's id; else ValueError."""
    if not _GUID.fullmatch(app_id):
        raise ValueError(
            f"the app id must be a GUID like 00000000-0000-0000-0000-000000000000 (the Entra "
            f"app registration's Application (client) ID): got {app_id!r}"
        )
    return app_id


def build_manifest(
    *,
    app_id: str,
    host: str,
    version: str,
    name: str = NAME,
    full_name: str = FULL_NAME,
    description: str = DESCRIPTION,
    full_description: str = FULL_DESCRIPTION,
    developer_name: str = DEVELOPER_NAME,
    website_url: str | None = None,
    privacy_url: str | None = None,
    terms_of_use_url: str | None = None,
    accent_color: str = ACCENT_COLOR,
) -> dict[str, Any]:
    """The app manifest (schema v1.29) for the bot registered as `app_id`, served at `host`.

    `app_id` (the Entra app registration's client id, a GUID) is both the Teams app's id and
    its bot's. `version` is the package's, `MAJOR.MINOR.PATCH`: Teams offers an update of an
    uploaded app only for a higher one. The developer's pages default to `https://{host}/`,
    `/privacy` and `/terms`; Teams shows them in the app's details but does not fetch them.
    Raises ValueError, naming what to change, for an input Teams would refuse.
    """
    validate_app_id(app_id)
    if not _SEMVER.fullmatch(version):
        raise ValueError(f"the version must be MAJOR.MINOR.PATCH, like 1.2.3: got {version!r}")
    host = validate_host(host)
    urls = {
        "websiteUrl": website_url or f"https://{host}/",
        "privacyUrl": privacy_url or f"https://{host}/privacy",
        "termsOfUseUrl": terms_of_use_url or f"https://{host}/terms",
    }
    for key, url in urls.items():
        if not url.startswith("https://"):
            raise ValueError(f"developer {key} must be an https:// URL: got {url!r}")
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", accent_color):
        raise ValueError(f"the accent colour must be like #1d4f91: got {accent_color!r}")
    for what, text, limit in [
        ("name", name, 30),
        ("full name", full_name, 100),
        ("description", description, 80),
        ("full description", full_description, 4000),
        ("developer name", developer_name, 32),
    ]:
        if not text.strip() or len(text) > limit:
            raise ValueError(f"the {what} must be 1 to {limit} characters: got {len(text)}")
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {"name": developer_name, **urls},
        "name": {"short": name, "full": full_name},
        "description": {"short": description, "full": full_description},
        "icons": {"color": COLOR_ICON, "outline": OUTLINE_ICON},
        "accentColor": accent_color,
        "bots": [
            {
                "botId": app_id,
                "scopes": list(SCOPES),
                "supportsFiles": True,  # files sent in the 1:1 chat become attachments
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": list(SCOPES),
                        "commands": [
                            {
                                "title": HELP_COMMAND,
                                "description": "What the bot does and how to file a ticket",
                            }
                        ],
                    }
                ],
            }
        ],
        "composeExtensions": [
            {
                "botId": app_id,
                "commands": [
                    {
                        "id": ids.MESSAGE_ACTION,
                        "type": "action",
                        "context": ["message"],
                        "fetchTask": True,
                        "title": ACTION_TITLE,
                        "description": ACTION_DESCRIPTION,
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host],
    }


def package_bytes(*, app_id: str, host: str, version: str) -> bytes:
    """The zip: `manifest.json` and the two icons at its root, with fixed timestamps."""
    manifest = build_manifest(app_id=app_id, host=host, version=version)
    files = [
        (MANIFEST, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")),
        (COLOR_ICON, color_icon()),
        (OUTLINE_ICON, outline_icon()),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files:
            entry = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, whatever system builds it, for identical bytes
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data, compresslevel=9)
    return buffer.getvalue()


def write_package(path: str | os.PathLike[str], *, app_id: str, host: str, version: str) -> Path:
    """Write the package to `path` (replacing a file there) and return that path.

    Raises ValueError for inputs Teams would refuse (see `build_manifest`) before writing
    anything, and OSError when the file cannot be written.
    """
    data = package_bytes(app_id=app_id, host=host, version=version)
    target = Path(path)
    target.write_bytes(data)
    return target


# ----------------------------------------------------------------------------------- icons


@dataclass(frozen=True)
class _Ticket:
    """A ticket in unit coordinates (0..1 across the icon, y downwards): a rounded card with a
    semicircular notch in each side and a perforation between the stub and the body."""

    left: float
    top: float
    right: float
    bottom: float
    corner: float
    notch: float
    perforation: float
    """x of the perforation's holes."""
    hole: float
    """Width of a hole; each is `hole * 2` tall, one hole apart."""

    def covers(self, x: float, y: float) -> bool:
        if not (self.left <= x <= self.right and self.top <= y <= self.bottom):
            return False
        cx = min(max(x, self.left + self.corner), self.right - self.corner)
        cy = min(max(y, self.top + self.corner), self.bottom - self.corner)
        if (x - cx) ** 2 + (y - cy) ** 2 > self.corner**2:
            return False  # a rounded corner
        middle = (self.top + self.bottom) / 2
        for side in (self.left, self.right):
            if (x - side) ** 2 + (y - middle) ** 2 < self.notch**2:
                return False
        if abs(x - self.perforation) < self.hole / 2:
            # As many holes as fit between margins of one hole width, centred.
            room = self.bottom - self.top - 2 * self.hole
            count = int((room + self.hole) // (3 * self.hole))
            used = count * 3 * self.hole - self.hole
            inner = y - self.top - self.hole - (room - used) / 2
            if 0 <= inner <= used and inner % (3 * self.hole) < 2 * self.hole:
                return False
        return True


_COLOR_TICKET = _Ticket(0.17, 0.30, 0.83, 0.70, 0.05, 0.07, 0.64, 0.025)
_OUTLINE_TICKET = _Ticket(*(edge / OUTLINE_SIZE for edge in (1, 6, 31, 26, 2.5, 4, 22, 2)))
"""On the 32-pixel grid, so its straight edges and holes are crisp."""
_COLOR_LINES = ((0.27, 0.42, 0.55, 0.465), (0.27, 0.535, 0.47, 0.58))
"""Two lines of "text" on the ticket's body, in the accent colour: (left, top, right, bottom)."""
_SAMPLES = 4
"""Sub-samples per pixel edge: the shapes' edges are anti-aliased."""


def _coverage(size: int, inside: Callable[[float, float], bool]) -> list[list[float]]:
    """The share (0..1) of each pixel of a `size`×`size` icon that `inside` covers."""
    steps = [(k + 0.5) / _SAMPLES for k in range(_SAMPLES)]
    total = _SAMPLES * _SAMPLES
    return [
        [
            sum(inside((px + dx) / size, (py + dy) / size) for dy in steps for dx in steps) / total
            for px in range(size)
        ]
        for py in range(size)
    ]


def _on_lines(x: float, y: float) -> bool:
    return any(
        left <= x <= right and top <= y <= bottom for left, top, right, bottom in _COLOR_LINES
    )


@cache
def color_icon() -> bytes:
    """192×192 RGB: a white ticket on the accent colour."""
    accent = bytes.fromhex(ACCENT_COLOR[1:])
    white = _coverage(COLOR_SIZE, lambda x, y: _COLOR_TICKET.covers(x, y) and not _on_lines(x, y))
    rows = []
    for row in white:
        line = bytearray()
        for share in row:
            line += bytes(round(c + (255 - c) * share) for c in accent)
        rows.append(bytes(line))
    return _png(COLOR_SIZE, COLOR_SIZE, rows, alpha=False)


@cache
def outline_icon() -> bytes:
    """32×32 RGBA: a white ticket on transparent (every pixel white; only alpha varies)."""
    cover = _coverage(OUTLINE_SIZE, _OUTLINE_TICKET.covers)
    rows = [b"".join(bytes((255, 255, 255, round(255 * share))) for share in row) for row in cover]
    return _png(OUTLINE_SIZE, OUTLINE_SIZE, rows, alpha=True)


def _png(width: int, height: int, rows: list[bytes], *, alpha: bool) -> bytes:
    """A PNG of 8-bit RGB (or RGBA) `rows`, unfiltered, one IDAT."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6 if alpha else 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + row for row in rows), 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
