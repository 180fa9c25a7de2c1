"""`Claims` (bot/core/claims.py) over both backends `CACHE_URL` offers: memory and real Redis.

A claim is the bot's "at most once": the first caller wins, everybody after sees what the
winner recorded, and a claim nobody completes expires. On Redis the same must hold across
replicas, so the "replica" tests use two cache objects built from the same URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis

from bot.cache import build_cache
from bot.core.claims import Claim, Claims
from tests.redis_server import RedisServer, redis_server, redis_url, running_redis  # noqa: F401

REDIS_PREFIX = "serviceops-bot:"
"""How aiocache names keys on Redis: `namespace:key`."""


@pytest.fixture(params=["memory", "redis"])
async def make_cache(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], Any]]:
    """Builds caches of one backend; on Redis every cache is a separate client ("replica")."""
    caches: list[Any] = []
    if request.param == "memory":
        shared = build_cache("memory://")
        caches.append(shared)

        def make() -> Any:
            return shared  # one process: replicas cannot exist, the one cache is shared

    else:
        url = request.getfixturevalue("redis_url")

        def make() -> Any:
            cache = build_cache(url)
            caches.append(cache)
            return cache

    yield make
    for cache in caches:
        await cache.close()


@pytest.fixture
def claims(make_cache: Callable[[], Any]) -> Claims:
    return Claims(make_cache())


async def test_first_claim_wins_and_later_ones_see_it_pending(claims: Claims) -> None:
    assert await claims.claim("event:Ev1") is None
    assert await claims.claim("event:Ev1") == Claim(state="pending", value={})
    assert await claims.claim("event:Ev2") is None  # other keys are independent


async def test_completed_claim_hands_out_the_result(claims: Claims) -> None:
    ticket = {"id": 61, "number": "INC-41", "subject": "VPN ✓ <drops>", "url": "https://x/61"}
    assert await claims.claim("attempt:a1", ttl=60) is None
    await claims.complete("attempt:a1", ticket, ttl=60)

    later = await claims.claim("attempt:a1")
    assert later == Claim(state="done", value=ticket)
    assert await claims.peek("attempt:a1") == later


async def test_unknown_outcome_is_kept_and_hold_makes_it_pending_again(claims: Claims) -> None:
    assert await claims.claim("attempt:a2") is None
    await claims.mark_unknown("attempt:a2", {"subject": "VPN", "since": "2024-01-01"}, ttl=60)
    seen = await claims.claim("attempt:a2")
    assert seen is not None
    assert seen.state == "unknown"
    assert seen.value == {"subject": "VPN", "since": "2024-01-01"}

    await claims.hold("attempt:a2")
    assert await claims.claim("attempt:a2") == Claim(state="pending", value={})


async def test_released_claim_can_be_taken_again(claims: Claims) -> None:
    assert await claims.claim("source:T1:C1:1.2") is None
    await claims.release("source:T1:C1:1.2")
    assert await claims.peek("source:T1:C1:1.2") is None
    assert await claims.claim("source:T1:C1:1.2") is None
    assert await claims.claim("source:T1:C1:1.2") is not None


async def test_peek_never_claims(claims: Claims) -> None:
    assert await claims.peek("source:T1:C1:9.9") is None
    assert await claims.peek("source:T1:C1:9.9") is None
    assert await claims.claim("source:T1:C1:9.9") is None


async def test_abandoned_claim_expires(claims: Claims) -> None:
    """A process that died mid-work must not lock the key forever."""
    assert await claims.claim("attempt:dead", ttl=0.15) is None
    assert await claims.claim("attempt:dead") is not None
    await asyncio.sleep(0.3)  # nothing signals an expiry: wait it out (short)
    assert await claims.peek("attempt:dead") is None
    assert await claims.claim("attempt:dead") is None


async def test_concurrent_claims_have_exactly_one_winner(make_cache: Callable[[], Any]) -> None:
    """Many callers at once, each on its own client where the backend allows ("replicas")."""
    contenders = [Claims(make_cache()) for _ in range(8)]
    results = await asyncio.gather(
        *(c.claim("attempt:view:V1") for c in contenders for _ in range(3))
    )
    winners = [r for r in results if r is None]
    assert len(winners) == 1
    assert all(r == Claim(state="pending", value={}) for r in results if r is not None)


async def test_a_replica_sees_what_another_completed(make_cache: Callable[[], Any]) -> None:
    first, second = Claims(make_cache()), Claims(make_cache())
    assert await first.claim("source:T1:C1:1.5") is None
    assert await second.claim("source:T1:C1:1.5") == Claim(state="pending", value={})
    await first.complete("source:T1:C1:1.5", {"number": "INC-7"}, ttl=60)
    assert await second.peek("source:T1:C1:1.5") == Claim(state="done", value={"number": "INC-7"})


async def test_claim_taken_when_the_holder_vanishes_between_add_and_get() -> None:
    """The key existed for `add` but expired before `get`: the caller tries again and wins."""

    class Racing:
        def __init__(self) -> None:
            self.adds = 0

        async def add(self, key: str, value: Any, ttl: float | None = None) -> bool:
            self.adds += 1
            if self.adds == 1:
                raise ValueError("Key exists")
            return True

        async def get(self, key: str) -> Any:
            return None

    cache = Racing()
    assert await Claims(cache).claim("event:Ev9") is None
    assert cache.adds == 2


async def test_redis_claims_carry_a_ttl(redis_server: RedisServer, redis_url: str) -> None:  # noqa: F811
    """On Redis every record expires: pending ones after `pending_ttl`, results after `ttl`."""
    cache = build_cache(redis_url)
    try:
        claims = Claims(cache, pending_ttl=30)
        await claims.claim("event:EvT")
        await claims.claim("attempt:a3", ttl=90)
        await claims.complete("attempt:a3", {"number": "INC-1"}, ttl=600)
        pending_ms = int(redis_server.command("PTTL", f"{REDIS_PREFIX}event:EvT").lstrip(b":"))
        done_ms = int(redis_server.command("PTTL", f"{REDIS_PREFIX}attempt:a3").lstrip(b":"))
    finally:
        await cache.close()
    assert 0 < pending_ms <= 30_000
    assert 90_000 < done_ms <= 600_000


# --------------------------------------------------------------------------- the Redis helper


@pytest.mark.parametrize("required", [False, True])
def test_missing_redis_skips_unless_required(
    monkeypatch: pytest.MonkeyPatch, required: bool
) -> None:
    monkeypatch.setattr("tests.redis_server.shutil.which", lambda name: None)
    if required:
        monkeypatch.setenv("REQUIRE_REDIS", "1")
    else:
        monkeypatch.delenv("REQUIRE_REDIS", raising=False)
    expected = pytest.fail.Exception if required else pytest.skip.Exception

    with pytest.raises(expected, match="redis-server` is not on PATH"), running_redis():
        pass


def test_redis_server_runs_on_loopback_without_persistence(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    client = redis.Redis(host=redis_server.host, port=redis_server.port)
    try:
        config = {**client.config_get("save"), **client.config_get("appendonly")}
        bound = client.config_get("bind")["bind"]
    finally:
        client.close()
    assert config == {"save": "", "appendonly": "no"}
    assert bound == "127.0.0.1"
    assert redis_server.url(0) == f"redis://127.0.0.1:{redis_server.port}/0"
