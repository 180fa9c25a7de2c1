"""`well_formed`: which signed bodies Bolt can read (anything else is a quiet 400)."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from bot.slack.requests import JSON_DEPTH_MAX, well_formed

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


def form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def nested(depth: int) -> dict[str, object]:
    value: dict[str, object] = {}
    for _ in range(depth):
        value = {"a": [value]}
    return value


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(b"", FORM, id="empty"),
        pytest.param(form(command="/ticket", text="printer"), FORM, id="command"),
        pytest.param(form(payload=json.dumps({"type": "block_actions"})), FORM, id="payload"),
        pytest.param(json.dumps({"type": "event_callback"}).encode(), JSON, id="event"),
        pytest.param(b"command=%ZZ&text=%ZZ", FORM, id="bad-percent-is-still-fields"),
        pytest.param(
            json.dumps({"type": "x"}).encode(),
            {"Content-Type": "application/json; charset=utf-8"},
            id="json-with-charset",
        ),
        pytest.param(json.dumps(nested(JSON_DEPTH_MAX // 2 - 1)).encode(), JSON, id="deep-enough"),
    ],
)
def test_what_slack_sends_is_well_formed(body: bytes, headers: dict[str, str]) -> None:
    assert well_formed(body, headers)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(b"payload=%7Bnot-json", FORM, id="payload-not-json"),
        pytest.param(form(payload="[1, 2]"), FORM, id="payload-list"),
        pytest.param(form(payload="null"), FORM, id="payload-null"),
        pytest.param(form(payload="7"), FORM, id="payload-scalar"),
        pytest.param(b"[1, 2]", JSON, id="json-list"),
        pytest.param(b"null", JSON, id="json-null"),
        pytest.param(b"1", JSON, id="json-scalar"),
        pytest.param(b"{bad", JSON, id="json-broken"),
        pytest.param(b"{bad", FORM, id="brace-form-is-json-to-bolt"),
        pytest.param(b"\xff\xfe{}", JSON, id="not-utf-8"),
        pytest.param(b"{}", {"Content-Type": "application/json; charset=nope"}, id="charset"),
        pytest.param(b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}", JSON, id="deeper-than-python"),
        pytest.param(b"payload=" + b"%5B" * 50_000, FORM, id="payload-deep"),
        pytest.param(json.dumps(nested(JSON_DEPTH_MAX)).encode(), JSON, id="too-deep"),
    ],
)
def test_what_bolt_cannot_read_is_not(body: bytes, headers: dict[str, str]) -> None:
    assert not well_formed(body, headers)
