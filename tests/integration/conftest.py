"""Fixtures for the ServiceOps client against FakeServiceOps over real loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import stamina

from bot.serviceops import PasswordGrant, RequestCreate, ServiceOpsClient
from tests.fakes.serviceops_api import FakeServiceOps

CLIENT_ID = "Bot-client"
CLIENT_SECRET = "s3cret-client"
USERNAME = "automation"
PASSWORD = "pa55word"
API_KEY = "cnvwSGGPRGPVXApR%40RxLdh%2B"

MakeClient = Callable[..., ServiceOpsClient]


@pytest.fixture(autouse=True)
def real_retries() -> Iterator[None]:
    """These tests count retries and time Retry-After waits: keep stamina's real behaviour
    even if a broader conftest switches on its test mode (which skips waits and caps attempts).
    """
    with stamina.set_testing(False):
        yield


def grant(**changes: str) -> PasswordGrant:
    values = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "username": USERNAME,
        "password": PASSWORD,
    }
    values.update(changes)
    return PasswordGrant(**values)


def new_request(subject: str = "Printer on fire", **fields: Any) -> RequestCreate:
    return RequestCreate(subject=subject, requester_email="ada@example.com", **fields)


@pytest.fixture
async def fake() -> AsyncIterator[FakeServiceOps]:
    async with FakeServiceOps(api_keys={API_KEY}, departments=["IT", "Finance"]) as server:
        yield server


@pytest.fixture
async def make_client(fake: FakeServiceOps) -> AsyncIterator[MakeClient]:
    """Build clients for `fake` with tiny retry waits; all are closed after the test."""
    clients: list[ServiceOpsClient] = []

    def make(**overrides: Any) -> ServiceOpsClient:
        options: dict[str, Any] = {
            "auth": grant(),
            "connect_timeout": 1.0,
            "read_timeout": 2.0,
            "retry_wait_initial": 0.01,
            "retry_wait_max": 0.05,
        }
        options.update(overrides)
        client = ServiceOpsClient(options.pop("base_url", fake.url), **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def client(make_client: MakeClient) -> ServiceOpsClient:
    return make_client()
