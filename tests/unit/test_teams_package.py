"""The Teams app package: a manifest Teams accepts, declaring what the handlers match, and icons.

The manifest is validated against Microsoft's JSON Schema v1.29 (vendored in
`tests/data/teams-manifest-schema/`). That schema is draft-04 and self-contained: its `$ref`s
point inside the file, and the validator gets a registry that fails the test rather than fetch
anything. Draft-04 ignores the schema's `const`, so `manifestVersion` is checked here directly.
The icons are read back with a small PNG reader (chunks, CRCs, pixels): no image library.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

import bot
from bot.teams import ids
from bot.teams import package as teams_package

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "tests" / "data" / "teams-manifest-schema"
SCHEMA = SCHEMA_DIR / "MicrosoftTeams.schema.json"

APP_ID = "9f6b2c1e-8d4a-4f3b-a2c5-1e7d9b0a6c34"
HOST = "bot.example.com"
VERSION = "1.2.3"


def _no_network(uri: str) -> Resource[Any]:
    raise AssertionError(f"the Teams schema tried to fetch {uri}")


def manifest_errors(manifest: dict[str, Any]) -> list[str]:
    """Every schema violation as `path: message` (empty when valid)."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    # The schema's shape, without the meta-schema's `format: regex`: one pattern (Office
    # add-in function names, `\p{L}`) is ECMA-262 that Python's `re` cannot compile. It only
    # applies inside `extensions`, which this manifest has none of.
    jsonschema.Draft4Validator(jsonschema.Draft4Validator.META_SCHEMA).validate(schema)
    validator = jsonschema.Draft4Validator(schema, registry=Registry(retrieve=_no_network))
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator.iter_errors(manifest)
    ]


@pytest.fixture
def manifest() -> dict[str, Any]:
    return teams_package.build_manifest(app_id=APP_ID, host=HOST, version=VERSION)


# ---------------------------------------------------------------------------- the schema


def test_manifest_is_valid_against_the_teams_schema(manifest: dict[str, Any]) -> None:
    assert manifest_errors(manifest) == []


def test_manifest_names_schema_version_1_29(manifest: dict[str, Any]) -> None:
    assert manifest["manifestVersion"] == "1.29"
    assert manifest["$schema"] == (
        "https://developer.microsoft.com/json-schemas/teams/v1.29/MicrosoftTeams.schema.json"
    )
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["properties"]["manifestVersion"]["const"] == manifest["manifestVersion"]


def test_vendored_schema_resolves_offline_and_keeps_its_license() -> None:
    text = SCHEMA.read_text(encoding="utf-8")
    schema = json.loads(text)
    refs = set(re.findall(r'"\$ref":\s*"([^"]*)"', text))

    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"  # shipped by jsonschema
    assert refs, "the checker found no $ref at all"
    assert {ref for ref in refs if not ref.startswith("#/")} == set()
    license_text = (SCHEMA_DIR / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in license_text
    assert "Microsoft Corporation" in license_text


@pytest.mark.parametrize(
    ("mutation", "why"),
    [
        (lambda m: m.update(id="not-a-guid"), "id must be a GUID"),
        (lambda m: m["bots"][0].update(botId="bot"), "botId must be a GUID"),
        (lambda m: m["name"].update(short="S" * 31), "short name > 30"),
        (lambda m: m["composeExtensions"][0]["commands"][0].update(title="T" * 33), "title > 32"),
        (lambda m: m["bots"][0]["scopes"].append("channel"), "unknown scope"),
        (lambda m: m["developer"].pop("privacyUrl"), "privacyUrl required"),
        (lambda m: m["developer"].update(websiteUrl="bot.example.com"), "URL needs a scheme"),
        (lambda m: m.update(accentColor="blue"), "accent colour is #rrggbb"),
        (lambda m: m.update(unknown=True), "no additional properties"),
    ],
)
def test_schema_rejects_a_broken_manifest(
    manifest: dict[str, Any], mutation: Any, why: str
) -> None:
    broken = copy.deepcopy(manifest)
    mutation(broken)
    assert manifest_errors(broken), f"schema accepted a manifest with: {why}"


# ------------------------------------------------------------- what the handlers rely on


def test_message_action_is_the_handlers_command(manifest: dict[str, Any]) -> None:
    (extension,) = manifest["composeExtensions"]

    assert extension["commands"] == [
        {
            "id": ids.MESSAGE_ACTION,
            "type": "action",
            "context": ["message"],
            "fetchTask": True,
            "title": "Create ticket",
            "description": teams_package.ACTION_DESCRIPTION,
        }
    ]


def test_the_app_id_is_the_app_and_its_bot_everywhere(manifest: dict[str, Any]) -> None:
    (bot_entry,) = manifest["bots"]
    (extension,) = manifest["composeExtensions"]

    assert manifest["id"] == bot_entry["botId"] == extension["botId"] == APP_ID
    assert bot_entry["scopes"] == ["personal", "team", "groupChat"]
    assert bot_entry["supportsFiles"] is True
    assert bot_entry["isNotificationOnly"] is False
    assert [c["title"] for c in bot_entry["commandLists"][0]["commands"]] == ["help"]
    assert bot_entry["commandLists"][0]["scopes"] == bot_entry["scopes"]
    assert manifest["validDomains"] == [HOST]
    assert manifest["permissions"] == ["identity", "messageTeamMembers"]
    assert "webApplicationInfo" not in manifest  # no single sign-on: the bot needs none


def test_developer_pages_are_https_on_the_host(manifest: dict[str, Any]) -> None:
    assert manifest["developer"] == {
        "name": "ServiceOps bot",
        "websiteUrl": f"https://{HOST}/",
        "privacyUrl": f"https://{HOST}/privacy",
        "termsOfUseUrl": f"https://{HOST}/terms",
    }
    custom = teams_package.build_manifest(
        app_id=APP_ID,
        host=HOST,
        version=VERSION,
        privacy_url="https://example.com/privacy",
    )
    assert custom["developer"]["privacyUrl"] == "https://example.com/privacy"
    with pytest.raises(ValueError, match="must be an https:// URL"):
        teams_package.build_manifest(
            app_id=APP_ID, host=HOST, version=VERSION, website_url="http://example.com/"
        )


def test_names_and_colour_reuse_the_slack_app(manifest: dict[str, Any]) -> None:
    slack = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    display = slack["display_information"]

    assert manifest["name"]["short"] == display["name"]
    assert manifest["description"]["short"] == display["description"].replace("Slack", "Teams")
    assert manifest["accentColor"] == display["background_color"]
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_the_bot_version_is_one_teams_accepts() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", bot.__version__)
    built = teams_package.build_manifest(app_id=APP_ID, host=HOST, version=bot.__version__)
    assert built["version"] == bot.__version__


@pytest.mark.parametrize("version", ["1.2", "1.2.3.4", "v1.2.3", "1.2.3-beta", "01.2.3", ""])
def test_a_version_teams_refuses_is_refused(version: str) -> None:
    with pytest.raises(ValueError, match=r"MAJOR\.MINOR\.PATCH, like 1\.2\.3"):
        teams_package.build_manifest(app_id=APP_ID, host=HOST, version=version)


@pytest.mark.parametrize("app_id", ["", "my-bot", APP_ID + "0", "{" + APP_ID + "}"])
def test_an_app_id_that_is_not_a_guid_is_refused(app_id: str) -> None:
    with pytest.raises(ValueError, match="must be a GUID"):
        teams_package.build_manifest(app_id=app_id, host=HOST, version=VERSION)


# -------------------------------------------------------------------------------- hosts


@pytest.mark.parametrize(
    ("host", "says"),
    [
        ("https://bot.example.com", "is a URL, not a host name"),
        ("bot.example.com/api/messages", "is a URL, not a host name"),
        ("bot.example.com:443", "has a port"),
        ("127.0.0.1", "is an IP address"),
        ("[::1]", "is an IP address"),
        ("localhost", "is this machine"),
        ("intranet", "has no domain"),
        ("bad_host.example.com", "is not a valid host name"),
        ("*.example.com", "is not a valid host name"),
        ("-bot.example.com", "is not a valid host name"),
        ("   ", "the host is empty"),
    ],
)
def test_a_host_teams_cannot_use_is_refused_saying_what_to_pass(host: str, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)) as caught:
        teams_package.build_manifest(app_id=APP_ID, host=host, version=VERSION)
    assert "like bot.example.com" in str(caught.value)


def test_a_host_is_used_bare_and_lower_case() -> None:
    built = teams_package.build_manifest(app_id=APP_ID, host=" Bot.Example.COM ", version=VERSION)

    assert built["validDomains"] == ["bot.example.com"]
    assert built["developer"]["websiteUrl"] == "https://bot.example.com/"


# ---------------------------------------------------------------------------- the zip


def test_the_zip_holds_exactly_the_manifest_and_two_icons(tmp_path: Path) -> None:
    path = teams_package.write_package(
        tmp_path / "teams.zip", app_id=APP_ID, host=HOST, version=VERSION
    )

    assert path == tmp_path / "teams.zip"
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        icons = {name: archive.read(name) for name in ("color.png", "outline.png")}
        entries = archive.infolist()
    assert manifest == teams_package.build_manifest(app_id=APP_ID, host=HOST, version=VERSION)
    assert icons == {
        "color.png": teams_package.color_icon(),
        "outline.png": teams_package.outline_icon(),
    }
    assert {entry.date_time for entry in entries} == {(1980, 1, 1, 0, 0, 0)}


def test_writing_again_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "teams.zip"
    path.write_bytes(b"old")

    teams_package.write_package(path, app_id=APP_ID, host=HOST, version=VERSION)

    assert zipfile.is_zipfile(path)


def test_a_refused_input_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "teams.zip"

    with pytest.raises(ValueError, match="is a URL"):
        teams_package.write_package(path, app_id=APP_ID, host="https://x.example", version=VERSION)

    assert not path.exists()


def test_same_inputs_give_the_same_bytes_in_any_process(tmp_path: Path) -> None:
    here = teams_package.package_bytes(app_id=APP_ID, host=HOST, version=VERSION)
    elsewhere = subprocess.run(
        [
            sys.executable,
            "-c",
            "import hashlib, sys; from bot.teams.package import package_bytes; "
            "sys.stdout.write(hashlib.sha256(package_bytes(app_id=sys.argv[1], host=sys.argv[2], "
            "version=sys.argv[3])).hexdigest())",
            APP_ID,
            HOST,
            VERSION,
        ],
        cwd=tmp_path,
        env={"PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout

    assert elsewhere == hashlib.sha256(here).hexdigest()
    other_host = teams_package.package_bytes(app_id=APP_ID, host="t.example.org", version=VERSION)
    assert other_host != here


# -------------------------------------------------------------------------------- icons


@dataclass(frozen=True)
class Png:
    width: int
    height: int
    color_type: int
    """2: RGB, 6: RGBA."""
    pixels: list[tuple[int, ...]]


def read_png(data: bytes) -> Png:
    """A non-interlaced 8-bit RGB/RGBA PNG with unfiltered rows, every chunk's CRC checked."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    stream = io.BytesIO(data[8:])
    chunks: list[tuple[bytes, bytes]] = []
    while True:
        length, kind = struct.unpack(">I4s", stream.read(8))
        body = stream.read(length)
        (crc,) = struct.unpack(">I", stream.read(4))
        assert crc == zlib.crc32(kind + body), f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        if kind == b"IEND":
            break
    assert stream.read() == b"", "bytes after IEND"
    assert chunks[0][0] == b"IHDR"
    width, height, depth, color_type, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    assert (depth, compression, filtering, interlace) == (8, 0, 0, 0)
    channels = {2: 3, 6: 4}[color_type]
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * channels
    assert len(raw) == height * (stride + 1)
    pixels: list[tuple[int, ...]] = []
    for row in range(height):
        start = row * (stride + 1)
        assert raw[start] == 0, "a filtered row: this reader reads what the writer writes"
        line = raw[start + 1 : start + 1 + stride]
        pixels += [tuple(line[i : i + channels]) for i in range(0, stride, channels)]
    return Png(width, height, color_type, pixels)


def test_color_icon_is_a_192_pixel_full_colour_png() -> None:
    icon = read_png(teams_package.color_icon())

    assert (icon.width, icon.height, icon.color_type) == (192, 192, 2)
    colours = set(icon.pixels)
    assert (0x1D, 0x4F, 0x91) in colours  # the accent colour, as background
    assert (255, 255, 255) in colours  # the ticket
    assert icon.pixels[0] == (0x1D, 0x4F, 0x91)


def test_outline_icon_is_32_pixels_white_on_transparent() -> None:
    icon = read_png(teams_package.outline_icon())

    assert (icon.width, icon.height, icon.color_type) == (32, 32, 6)
    assert {pixel[:3] for pixel in icon.pixels} == {(255, 255, 255)}
    alphas = [pixel[3] for pixel in icon.pixels]
    assert alphas[0] == 0  # a transparent corner
    assert alphas.count(255) > 200  # a solid shape
    assert alphas.count(0) > 200  # around it


def test_png_reader_sees_a_broken_file() -> None:
    data = bytearray(teams_package.outline_icon())
    data[20] ^= 0xFF  # inside IHDR

    with pytest.raises(AssertionError, match="bad CRC"):
        read_png(bytes(data))
