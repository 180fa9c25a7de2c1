"""`manifest.yml` is a valid Slack app manifest and declares exactly what the code listens for.

The manifest is validated against Slack's published JSON Schema (vendored in
`tests/data/slack-manifest-schema/`, so the test runs offline): the top-level dispatcher
`manifest.schema.json` refers to the versioned schemas by public URL, and a `referencing`
registry maps those URLs to the local copies, so the real `$ref` dispatch on
`_metadata.major_version` is exercised.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT7

import bot.check
from bot.slack import ids

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "manifest.yml"
SCHEMA_DIR = ROOT / "tests" / "data" / "slack-manifest-schema"

# The URLs `manifest.schema.json` refers to (pinned to the upstream release it belongs to).
_UPSTREAM = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"
_VERSIONED = ("manifest.schema.1.0.0.json", "manifest.schema.2.0.0.json")

REQUIRED_SCOPES = set(bot.check.REQUIRED_SCOPES)
"""What `serviceops-bot check` demands; the manifest must grant exactly these."""
REQUIRED_EVENTS = {"message.im", "app_mention"}


def _load_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def manifest_validator() -> jsonschema.Draft7Validator:
    """A validator for the dispatcher schema whose `$ref`s resolve to the vendored files."""
    registry: Registry = Registry().with_resources(
        (_UPSTREAM + name, DRAFT7.create_resource(_load_json(SCHEMA_DIR / "schemas" / name)))
        for name in _VERSIONED
    )
    schema = _load_json(SCHEMA_DIR / "manifest.schema.json")
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, registry=registry)


def manifest_errors(manifest: dict[str, Any]) -> list[str]:
    """Every schema violation as `path: message` (empty when valid).

    The dispatcher's `oneOf` reports one top-level error; its `context` holds the causes found
    in each branch, which are what a person needs to read.
    """
    errors: list[str] = []
    for error in manifest_validator().iter_errors(manifest):
        for cause in error.context or [error]:
            where = "/".join(str(part) for part in cause.absolute_path) or "(root)"
            line = f"{where}: {cause.message}"
            if line not in errors:
                errors.append(line)
    return errors


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return data


def test_manifest_is_valid_against_slack_schema(manifest: dict[str, Any]) -> None:
    assert manifest_errors(manifest) == []


def test_vendored_schema_keeps_its_license() -> None:
    license_text = (SCHEMA_DIR / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in license_text
    assert "Slack Technologies" in license_text


@pytest.mark.parametrize(
    ("mutation", "why"),
    [
        (lambda m: m["features"]["shortcuts"][0].update(name="C" * 30), "shortcut name > 24"),
        (lambda m: m["features"]["shortcuts"][1].pop("description"), "shortcut needs description"),
        (lambda m: m["features"]["slash_commands"][0].update(command="ticket"), "command needs /"),
        (lambda m: m["display_information"].update(long_description="short"), "long desc < 175"),
        (lambda m: m["settings"]["interactivity"].pop("is_enabled"), "is_enabled required"),
        (lambda m: m.update(unknown_key=True), "no additional properties"),
    ],
)
def test_broken_manifest_is_rejected(manifest: dict[str, Any], mutation: Any, why: str) -> None:
    broken = copy.deepcopy(manifest)
    mutation(broken)
    assert manifest_errors(broken), f"schema accepted a manifest with: {why}"


def test_command_matches_code(manifest: dict[str, Any]) -> None:
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == [ids.COMMAND]


def test_shortcut_callback_ids_match_code(manifest: dict[str, Any]) -> None:
    shortcuts = {s["type"]: s["callback_id"] for s in manifest["features"]["shortcuts"]}
    assert shortcuts == {"message": ids.MESSAGE_SHORTCUT, "global": ids.GLOBAL_SHORTCUT}


def test_required_scopes_and_events_present(manifest: dict[str, Any]) -> None:
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == REQUIRED_SCOPES
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) >= REQUIRED_EVENTS
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_people_can_dm_the_bot(manifest: dict[str, Any]) -> None:
    app_home = manifest["features"]["app_home"]
    assert app_home["messages_tab_enabled"] is True
    assert app_home["messages_tab_read_only_enabled"] is False
