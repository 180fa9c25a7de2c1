"""`well_formed`: which signed bodies Bolt can read (anything else is a quiet 400), and what
Bolt is given of them."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Sequence

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.slack.requests import JSON_DEPTH_MAX, bolt_request, percent_decode, well_formed

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


INTERACTION = {
    "type": "view_submission",
    "team": {"id": "T1", "domain": "acme"},
    "user": {"id": "U1", "team_id": "T1"},
    "api_app_id": "A1",
    "view": {
        "id": "V1",
        "callback_id": "ticket_form",
        "private_metadata": "a+b=c&d%e \\ “quoted” é 😀",
        "state": {"values": {"subject": {"input": {"value": "Printer 100% broken; a+b"}}}},
    },
}


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(form(payload=json.dumps(INTERACTION)), FORM, id="interaction"),
        pytest.param(
            form(payload=json.dumps(INTERACTION, ensure_ascii=False)), FORM, id="utf-8-encoded"
        ),
        pytest.param(
            re.sub(
                rb"%[0-9A-F]{2}", lambda hit: hit[0].lower(), form(payload=json.dumps(INTERACTION))
            ),
            FORM,
            id="lowercase-hex",
        ),
        pytest.param(
            b"payload=%7B%22type%22%3A%22x%22%2C%22t%22%3A%22%e2%82%22%7D", FORM, id="bad-utf-8"
        ),
        pytest.param(b"payload=%7B%22t%22%3A%22%ZZ%22%7D", FORM, id="bad-percent"),
        pytest.param(b'payload={"t":"a\\\\x41"}', FORM, id="backslashes"),
        pytest.param(form(command="/ticket", text="a payload=1"), FORM, id="command"),
        pytest.param(json.dumps(INTERACTION).encode(), JSON, id="json"),
    ],
)
def test_the_body_and_context_are_bolts_own(body: bytes, headers: dict[str, str]) -> None:
    # Interactions are decoded here, not by Bolt (speed): the outcome must be Bolt's.
    ours = bolt_request(body, headers)
    wire: dict[str, str | Sequence[str]] = {**headers}
    bolts = AsyncBoltRequest(body=body.decode(), headers=wire)

    assert ours is not None
    assert ours.body == bolts.body
    assert dict(ours.context) == dict(bolts.context)
    assert ours.raw_body == bolts.raw_body  # what Bolt's own signature check reads


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain",
        "%41%42",
        "%e2%82%ac",
        "%E2%82",
        "%ZZ",
        "a%",
        "%4",
        "%%41",
        "\\x41%5C",
        "é%C3%A9",
    ],
)
def test_percent_decoding_is_urllibs(value: str) -> None:
    assert percent_decode(value) == urllib.parse.unquote(value)
