"""The modal's private_metadata: round trip, the 3000-character bound, garbage."""

from __future__ import annotations

import pytest

from bot.core.drafts import Origin
from bot.slack.blocks.metadata import FormMetadata, MetadataError, decode, encode

ORIGIN = Origin(
    surface="message",
    team_id="T1",
    user_id="U1",
    channel_id="C1",
    thread_ts="1700000000.000100",
    message_ts="1700000000.000200",
    response_url="https://hooks.slack.com/actions/T1/1/abc",
)


def test_round_trip() -> None:
    meta = FormMetadata(
        origin=ORIGIN,
        source_permalink="https://team.slack.com/archives/C1/p1700000000000200",
        author_id="U2",
        attempt_id="a1",
    )
    raw = encode(meta)
    assert decode(raw) == meta
    assert " " not in raw  # compact


def test_defaults_are_left_out() -> None:
    raw = encode(FormMetadata(origin=Origin(surface="global", user_id="U1")))
    assert raw == '{"origin":{"surface":"global","user_id":"U1"}}'


def test_too_long_drops_optional_parts_first() -> None:
    meta = FormMetadata(
        origin=ORIGIN.model_copy(update={"response_url": "https://h.example/" + "x" * 2000}),
        source_permalink="https://p.example/" + "y" * 1500,
        author_id="U2",
    )
    raw = encode(meta)
    assert len(raw) <= 3000
    back = decode(raw)
    assert back.origin.response_url is None
    assert back.source_permalink is not None
    assert back.origin.model_dump(exclude={"response_url"}) == ORIGIN.model_dump(
        exclude={"response_url"}
    )


def test_drops_the_permalink_when_still_too_long() -> None:
    meta = FormMetadata(origin=ORIGIN, source_permalink="https://p.example/" + "y" * 3000)
    back = decode(encode(meta))
    assert back.source_permalink is None
    assert back.origin.message_ts == ORIGIN.message_ts


def test_essentials_that_cannot_fit_raise() -> None:
    meta = FormMetadata(origin=ORIGIN.model_copy(update={"thread_ts": "9" * 3000}))
    with pytest.raises(MetadataError, match="does not fit"):
        encode(meta)


@pytest.mark.parametrize("raw", ["", "not json", "[]", '{"origin": {}}', '{"x": 1}', "{" * 5000])
def test_decode_rejects_garbage(raw: str) -> None:
    with pytest.raises(MetadataError):
        decode(raw)
