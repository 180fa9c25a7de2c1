"""`/readyz` is cheap and tells the truth.

Probes are unauthenticated and may come in floods: one readiness check runs at a time and
its result is reused for a few seconds, and a check uses the ServiceOps token in use rather
than logging in. With a Redis cache, Redis is part of readiness: every ticket needs it.
"""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from bot import server
from tests.e2e.harness import Harness
from tests.redis_server import RedisServer

PROBES = 300


async def test_a_flood_of_probes_costs_one_check(app: Harness) -> None:
    app.desk.latency = 0.3  # the check is still running when the other probes arrive
    limits = httpx2.Limits(max_connections=PROBES, max_keepalive_connections=PROBES)
    async with httpx2.AsyncClient(timeout=30, limits=limits) as http:
        answers = await asyncio.gather(*(http.get(app.url + "/readyz") for _ in range(PROBES)))

    assert [answer.status_code for answer in answers] == [200] * PROBES
    assert app.desk.token_requests <= 2
    assert len(app.desk.calls_of("search")) <= 2
    assert app.slack.count("auth.test") <= 2


async def test_probes_do_not_log_in_while_the_token_is_valid(
    app: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A probe every second for a while, each past the reuse period: every one checks.
    monkeypatch.setattr(server, "READY_CACHE_SECONDS", 0.0)
    for _ in range(15):
        assert (await app.http.get(app.url + "/readyz")).status_code == 200

    assert app.desk.token_requests == 1  # the first check logged in; the others reused it
    assert len(app.desk.calls_of("search")) == 15  # each check did ask ServiceOps
    assert app.slack.count("auth.test") == 15


async def test_a_refused_token_makes_a_probe_log_in_again(
    app: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "READY_CACHE_SECONDS", 0.0)
    assert (await app.http.get(app.url + "/readyz")).status_code == 200

    app.desk.revoke_tokens()  # ServiceOps restarted: the cached token is no longer valid

    assert (await app.http.get(app.url + "/readyz")).status_code == 200
    assert app.desk.token_requests == 2


# --------------------------------------------------------------------------- Redis


async def test_readyz_checks_redis_and_says_not_ready_when_it_is_down(
    on_redis: Harness, own_redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "READY_CACHE_SECONDS", 0.0)
    ready = await on_redis.http.get(on_redis.url + "/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"serviceops": "ok", "cache": "ok", "slack": "ok"}

    own_redis.kill()

    down = await on_redis.http.get(on_redis.url + "/readyz")
    assert down.status_code == 503
    checks = down.json()["checks"]
    assert checks["cache"].startswith("Redis unreachable")
    assert checks["serviceops"] == "ok"  # the token this process holds still works
    assert str(own_redis.port) not in down.text
