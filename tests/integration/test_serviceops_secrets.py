"""Secrets never reach exceptions or log records, whatever goes wrong."""

from __future__ import annotations

import base64
import logging

import pytest

from bot.serviceops import ApiKey, ServiceOpsClient, ServiceOpsError
from tests.fakes.serviceops_api import FakeServiceOps
from tests.integration.conftest import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    MakeClient,
    grant,
    new_request,
)


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


async def test_no_secret_in_errors_or_logs(
    fake: FakeServiceOps, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[ServiceOpsError] = []

    async def attempt(client: ServiceOpsClient, *, department: str | None = None) -> None:
        try:
            await client.create_request(new_request(department_name=department))
        except ServiceOpsError as exc:
            errors.append(exc)

    good = make_client(read_timeout=0.3)
    await attempt(good)  # success
    fake.revoke_tokens()
    await attempt(good)  # 401, re-authentication
    fake.fail_next("create", 401, times=2)
    await attempt(good)  # 401 twice
    await attempt(good, department="Nope")  # rejected
    fake.fail_next("create", 502, html=True)
    await attempt(good)  # proxy error page
    fake.delay_reply("create", 1.0)
    await attempt(good)  # outcome unknown
    fake.delay_reply("create", 0)
    await attempt(make_client(auth=grant(client_secret=CLIENT_SECRET + "x")))
    await attempt(make_client(auth=grant(password=PASSWORD + "x")))
    await attempt(make_client(auth=ApiKey(API_KEY + "x")))
    await attempt(make_client(auth=ApiKey(API_KEY)))
    repr_of_clients = repr(good) + repr(make_client(auth=ApiKey(API_KEY)))

    assert len(errors) == 7
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    secrets = [CLIENT_SECRET, PASSWORD, API_KEY, basic, *fake.issued]
    assert len(fake.issued) >= 6
    for error in errors:
        for text in (str(error), repr(error), error.user_message, getattr(error, "admin_hint", "")):
            assert not _leaks(text, secrets), f"{type(error).__name__}: {text}"
    assert not _leaks(repr_of_clients, secrets)
    assert caplog.records
    for record in caplog.records:
        text = record.getMessage() + " " + " ".join(map(str, vars(record).values()))
        assert not _leaks(text, secrets), f"{record.name}: {text}"
