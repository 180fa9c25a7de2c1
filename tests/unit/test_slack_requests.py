"""The checks made before a Slack request is read, and where the bot may answer."""

from __future__ import annotations

import time

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.slack.requests import compressed, signed_by_slack, slack_owned

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def headers_for(body: bytes, timestamp: str) -> dict[str, str]:
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": str(signature)}


def test_a_signed_body_passes_and_any_change_fails() -> None:
    verifier = SignatureVerifier(SECRET)
    body = b"token=x&command=%2Fticket"
    headers = headers_for(body, str(int(time.time())))

    assert signed_by_slack(verifier, body, headers)
    assert not signed_by_slack(verifier, body + b"&x=1", headers)
    assert not signed_by_slack(None, body, headers)  # no secret configured: nothing passes


@pytest.mark.parametrize("timestamp", ["abc", "", "1e10", "١٢٣"])
def test_malformed_timestamps_are_refused_not_raised(timestamp: str) -> None:
    body = b"x"
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=00"}

    assert not signed_by_slack(SignatureVerifier(SECRET), body, headers)


def test_a_body_that_is_not_utf8_is_refused() -> None:
    body = b"\xff\xfe payload"
    headers = headers_for(b"x", str(int(time.time())))

    assert not signed_by_slack(SignatureVerifier(SECRET), body, headers)


@pytest.mark.parametrize(
    ("encoding", "refused"), [("gzip", True), ("deflate", True), ("identity", False), ("", False)]
)
def test_compressed_bodies_are_recognised(encoding: str, refused: bool) -> None:
    assert compressed({"Content-Encoding": encoding}) is refused


@pytest.mark.parametrize(
    ("url", "owned"),
    [
        ("https://hooks.slack.com/commands/T1/1/abc", True),
        ("https://hooks.slack-gov.com/commands/T1/1/abc", True),
        ("http://hooks.slack.com/commands/T1/1/abc", False),
        ("https://hooks.slack.com.evil.example/x", False),
        ("http://127.0.0.1:8080/hook", False),
        ("https://slack.com/api/", True),
        ("https://slack.com:8443/api/", False),
        ("", False),
        (None, False),
    ],
)
def test_only_slack_owned_response_urls_are_answered(url: str | None, owned: bool) -> None:
    assert slack_owned(url, "https://slack.com/api/") is owned
