"""A ServiceOps server whose certificate the bot does not trust (self-signed, no
`SERVICEOPS_CA_BUNDLE`): the failure is named as TLS to the person, in the logs and in
`/readyz`, and it is not retried (the same certificate fails the same way every time)."""

from __future__ import annotations

import asyncio
import logging
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.config import FormConfig
from bot.slack import ids
from tests.e2e.harness import (
    Harness,
    button_value,
    failed_view,
    start_harness,
    stop_harness,
    text_of,
)
from tests.e2e.test_outages import TYPED
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack

TLS_WORDS = "secure (TLS) connection"


@dataclass
class UntrustedDesk:
    """HTTPS on loopback with a self-signed certificate; counts the connections made to it."""

    url: str
    connections: list[int] = field(default_factory=list)


def self_signed(directory: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a self-signed certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
async def untrusted(tmp_path: Path) -> AsyncIterator[UntrustedDesk]:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    desk = UntrustedDesk("")

    def counting() -> asyncio.Protocol:  # made per TCP connection, before the handshake
        desk.connections.append(1)
        return asyncio.Protocol()

    server = await asyncio.get_running_loop().create_server(counting, "127.0.0.1", 0, ssl=context)
    desk.url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    # asyncio reports each refused handshake on the server side; that is not under test.
    logging.getLogger("asyncio").disabled = True
    try:
        yield desk
    finally:
        logging.getLogger("asyncio").disabled = False
        server.close()
        await server.wait_closed()


@pytest.fixture
async def tls_app(
    slack: FakeSlack, desk: FakeServiceOps, form_config: FormConfig, untrusted: UntrustedDesk
) -> AsyncIterator[Harness]:
    app, runner = await start_harness(slack, desk, form_config, serviceops_url=untrusted.url)
    yield app
    await stop_harness(app, runner)


async def test_an_untrusted_certificate_is_named_as_tls_and_not_retried(
    tls_app: Harness, untrusted: UntrustedDesk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    assert (await tls_app.command("payroll")).status_code == 200
    view = await tls_app.opened_view()
    assert (await tls_app.submit(view, **TYPED)).json()["response_action"] == "update"

    await tls_app.slack.wait_for("views.update", where=failed_view)

    shown = tls_app.slack.views[view["id"]]
    assert TLS_WORDS in text_of(shown)
    assert "unreachable" not in text_of(shown)
    assert button_value(shown["blocks"], ids.EDIT_ACTION)  # what they typed is kept
    assert not button_value(shown["blocks"], ids.RETRY_ACTION)  # trying again cannot help
    assert len(untrusted.connections) == 1  # one handshake, no retries
    [logged] = [r for r in caplog.records if r.getMessage() == "serviceops_tls_failed"]
    assert logged.levelno == logging.ERROR
    assert "certificate not trusted: self-signed" in logged.hint  # type: ignore[attr-defined]
    assert "SERVICEOPS_CA_BUNDLE" in logged.hint  # type: ignore[attr-defined]


async def test_readyz_names_tls(tls_app: Harness, untrusted: UntrustedDesk) -> None:
    response = await tls_app.http.get(tls_app.url + "/readyz")

    assert response.status_code == 503
    assert TLS_WORDS in response.json()["checks"]["serviceops"]
    assert len(untrusted.connections) == 1
