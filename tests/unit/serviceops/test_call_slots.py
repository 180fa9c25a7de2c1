"""At most LIMITS.max_connections ServiceOps calls run at once; the rest wait a bounded time."""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from bot.serviceops import OutcomeUnknownError, ServiceUnavailableError
from bot.serviceops.transport import LIMITS, Sender


def sender(handler: httpx2.MockTransport, *, pool_wait: float) -> Sender:
    http = httpx2.AsyncClient(
        transport=handler, timeout=httpx2.Timeout(5.0, pool=pool_wait), limits=LIMITS
    )
    return Sender(
        http, attempts=1, wait_initial=0.01, wait_max=0.01, retry_after_max=1, observer=None
    )


async def test_calls_beyond_the_limit_wait_their_turn() -> None:
    running = 0
    most = 0

    async def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.05)
        running -= 1
        return httpx2.Response(200, json={})

    calls = sender(httpx2.MockTransport(handler), pool_wait=5)
    limit = LIMITS.max_connections or 0
    answers = await asyncio.gather(
        *(
            calls.send("get_request", "GET", "http://desk/x", headers={}, idempotent=True)
            for _ in range(limit + 10)
        )
    )
    assert all(answer.status_code == 200 for answer in answers)
    assert most == limit
    await calls.aclose()


async def test_a_turn_not_given_in_time_is_a_pool_timeout_before_sending() -> None:
    sent: list[httpx2.Request] = []

    async def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        await asyncio.sleep(1)
        return httpx2.Response(200, json={})

    calls = sender(httpx2.MockTransport(handler), pool_wait=0.05)
    limit = LIMITS.max_connections or 0
    hogs = [
        asyncio.create_task(
            calls.send("get_request", "GET", "http://desk/x", headers={}, idempotent=True)
        )
        for _ in range(limit)
    ]
    while len(sent) < limit:
        await asyncio.sleep(0.01)
    with pytest.raises(ServiceUnavailableError) as caught:
        await calls.send("create_request", "POST", "http://desk/y", headers={}, idempotent=False)
    assert len(sent) == limit, "the waiting call was never sent"
    assert not isinstance(caught.value, OutcomeUnknownError), "known not to have been sent"
    assert "PoolTimeout" in str(caught.value)
    for hog in hogs:
        hog.cancel()
    await asyncio.gather(*hogs, return_exceptions=True)
    await calls.aclose()
