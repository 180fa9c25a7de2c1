"""Token lifetimes as servers send them: absurdly long, zero, or not stored by the cache.

A lifetime is clamped to `MAX_LIFETIME`, so Redis accepts its TTL and the token is reused;
when the shared cache cannot keep the token (a refused write, a key gone missing) the copy
this process holds is used until it is due for renewal; `expires_in: 0` means the token must
not be reused at all.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as redis
from aiocache import Cache
from aiocache.serializers import JsonSerializer

from bot.cache import build_cache
from bot.serviceops import PasswordGrant, ServiceOpsClient
from bot.serviceops.auth import DEFAULT_LIFETIME, MAX_LIFETIME, TokenCache
from bot.serviceops.models import TokenResponse
from tests.fakes.serviceops_api import FakeServiceOps
from tests.redis_server import redis_server, redis_url  # noqa: F401 (fixtures)


class Issuer:
    """Stands in for the token endpoint; counts fetches."""

    def __init__(self, expires_in: Any) -> None:
        self.expires_in = expires_in
        self.count = 0

    async def __call__(self) -> TokenResponse:
        self.count += 1
        return TokenResponse.model_validate(
            {"access_token": f"token-{self.count}", "expires_in": self.expires_in}
        )


def token_cache(issuer: Issuer, cache: Any) -> TokenCache:
    return TokenCache(key="serviceops-token:test", cache=cache, fetch=issuer)


class ForgetfulCache:
    """A cache that refuses every write and never has the key (an evicting, full Redis)."""

    def __init__(self) -> None:
        self.writes = 0

    async def get(self, key: str) -> Any:
        return None

    async def set(self, key: str, value: Any, ttl: Any = None) -> None:
        self.writes += 1
        raise OSError("OOM command not allowed when used memory > 'maxmemory'")

    async def add(self, key: str, value: Any, ttl: Any = None) -> None:
        return None

    async def delete(self, key: str) -> int:
        return 0


@pytest.mark.parametrize("expires_in", [2**63 - 1, 10**16, 1e16], ids=["2^63-1", "10^16", "1e16"])
async def test_a_huge_lifetime_is_clamped_so_redis_keeps_the_token(
    redis_url: str,  # noqa: F811
    expires_in: Any,
) -> None:
    issuer = Issuer(expires_in)
    cache = build_cache(redis_url)
    tokens = token_cache(issuer, cache)
    try:
        first = await tokens.get()
        # Another replica (a fresh process) finds it in Redis instead of logging in again.
        again = await token_cache(issuer, build_cache(redis_url)).get()
    finally:
        await cache.close()

    assert first == again == "token-1"
    assert issuer.count == 1
    client = redis.from_url(redis_url)
    try:
        [key] = await client.keys("*serviceops-token:test")
        ttl = await client.ttl(key)
    finally:
        await client.aclose()
    assert 0 < ttl <= MAX_LIFETIME


async def test_a_token_the_cache_does_not_keep_is_reused_from_this_process() -> None:
    issuer, cache = Issuer(3600), ForgetfulCache()
    tokens = token_cache(issuer, cache)

    results = [await tokens.get() for _ in range(5)]

    assert results == ["token-1"] * 5
    assert issuer.count == 1
    assert cache.writes == 1


async def test_a_key_gone_from_the_cache_falls_back_to_this_process() -> None:
    issuer = Issuer(3600)
    cache = Cache(Cache.MEMORY, serializer=JsonSerializer())
    tokens = token_cache(issuer, cache)
    assert await tokens.get() == "token-1"

    await cache.clear()  # evicted, or Redis restarted without persistence

    assert await tokens.get() == "token-1"
    assert issuer.count == 1


async def test_a_refused_token_is_not_reused_from_this_process() -> None:
    issuer = Issuer(3600)
    cache = Cache(Cache.MEMORY, serializer=JsonSerializer())
    tokens = token_cache(issuer, cache)
    assert await tokens.get() == "token-1"

    await tokens.invalidate("token-1")

    assert await tokens.get() == "token-2"


async def test_zero_lifetime_means_the_token_is_not_reused() -> None:
    issuer = Issuer(0)
    cache = Cache(Cache.MEMORY, serializer=JsonSerializer())
    tokens = token_cache(issuer, cache)

    results = [await tokens.get() for _ in range(3)]

    assert results == ["token-1", "token-2", "token-3"]
    assert await cache.get("serviceops-token:test") is None


async def test_concurrent_callers_with_a_zero_lifetime_each_get_a_token() -> None:
    issuer = Issuer(0)
    tokens = token_cache(issuer, Cache(Cache.MEMORY, serializer=JsonSerializer()))

    results = await asyncio.gather(*(tokens.get() for _ in range(3)))

    assert sorted(results) == ["token-1", "token-2", "token-3"]


async def test_a_missing_lifetime_is_an_hour() -> None:
    issuer = Issuer(None)
    cache = Cache(Cache.MEMORY, serializer=JsonSerializer())
    tokens = token_cache(issuer, cache)

    await tokens.get()

    entry = await cache.get("serviceops-token:test")
    assert entry["renew_at"] - entry["fetched_at"] == pytest.approx(DEFAULT_LIFETIME - 60)


# --------------------------------------------------------------------------- over HTTP


async def test_the_client_logs_in_once_for_a_huge_lifetime(redis_url: str) -> None:  # noqa: F811
    cache = build_cache(redis_url)
    async with FakeServiceOps(expires_in=2**63 - 1) as desk:
        grant = PasswordGrant(desk.client_id, desk.client_secret, desk.username, desk.password)
        async with ServiceOpsClient(desk.url, auth=grant, cache=cache) as client:
            for _ in range(3):
                await client.search_requests(size=1)
    await cache.close()

    assert desk.token_requests == 1
    assert len(desk.calls_of("search")) == 3
