"""Bodies that end early or cannot be read end quietly: no 500, no ERROR traceback.

A client that disconnects in the middle of its body is an everyday event (one DEBUG line);
a signed body Bolt cannot read (Slack never sends one) is a 400.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.e2e.harness import Harness
from tests.fakes import slack_requests as sr

PROMISED = 1000


async def disconnect_mid_body(app: Harness, path: str) -> None:
    """Send the head of a POST promising `PROMISED` bytes, ten of them, then vanish."""
    host, port = app.url.removeprefix("http://").split(":")
    _reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {PROMISED}\r\n\r\n"
    )
    writer.write(head.encode() + b'{"type": "')
    await writer.drain()
    await asyncio.sleep(0.1)  # the handler is reading the body now
    writer.transport.abort()


async def test_a_client_vanishing_mid_body_leaves_no_error(
    app: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for _ in range(3):
        await disconnect_mid_body(app, "/slack/events")
    await asyncio.sleep(0.3)  # the server notices the lost connections

    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == []
    assert [r.getMessage() for r in caplog.records].count("request_abandoned") == 3
    # The server is unharmed.
    assert (await app.http.get(app.url + "/healthz")).status_code == 200


MALFORMED = [
    pytest.param("application/x-www-form-urlencoded", b"payload=%7Bnot-json", id="payload-text"),
    pytest.param("application/x-www-form-urlencoded", b"payload=%5B1%2C2%5D", id="payload-list"),
    pytest.param("application/x-www-form-urlencoded", b"payload=null", id="payload-null"),
    pytest.param("application/json", b"[1, 2]", id="json-list"),
    pytest.param("application/json", b"null", id="json-null"),
    pytest.param("application/json", b"1", id="json-scalar"),
    pytest.param("application/json", b"{bad", id="json-broken"),
    pytest.param("application/json", b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}", id="deep"),
]


@pytest.mark.parametrize(("content_type", "body"), MALFORMED)
async def test_a_signed_body_bolt_cannot_read_is_a_quiet_400(
    app: Harness, caplog: pytest.LogCaptureFixture, content_type: str, body: bytes
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = {"Content-Type": content_type, **sr.sign(body)}

    response = await app.http.post(app.url + "/slack/events", content=body, headers=headers)

    assert response.status_code == 400
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert app.slack.calls == []
    assert app.desk.calls == []
