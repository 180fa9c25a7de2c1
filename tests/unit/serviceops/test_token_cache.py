"""TokenCache: renewal margin, single flight, invalidation, cache keys, backend failures."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiocache import Cache
from aiocache.serializers import JsonSerializer
from pydantic import SecretStr

from bot.serviceops import ApiKey, PasswordGrant
from bot.serviceops.auth import TokenCache, renew_margin
from bot.serviceops.models import TokenResponse


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Issuer:
    """Stands in for the token endpoint; counts fetches."""

    def __init__(self, expires_in: int = 43199, delay: float = 0.0) -> None:
        self.expires_in = expires_in
        self.delay = delay
        self.count = 0

    async def __call__(self) -> TokenResponse:
        self.count += 1
        await asyncio.sleep(self.delay)
        return TokenResponse(
            access_token=SecretStr(f"token-{self.count}"), expires_in=self.expires_in
        )


def memory() -> Any:
    return Cache(Cache.MEMORY, serializer=JsonSerializer())


GRANT = PasswordGrant("Bot-client", "s3cret-client", "automation", "pa55word")


def tokens(issuer: Issuer, clock: Clock, cache: Any = None, grant: PasswordGrant = GRANT) -> Any:
    return TokenCache.for_grant(
        grant,
        base_url="https://desk.example.com",
        cache=cache if cache is not None else memory(),
        fetch=issuer,
        clock=clock,
    )


@pytest.mark.parametrize(
    ("lifetime", "margin"), [(43199, 60.0), (172800, 60.0), (300, 30.0), (2, 0.2)]
)
def test_renewal_margin(lifetime: int, margin: float) -> None:
    assert renew_margin(lifetime) == pytest.approx(margin)


async def test_token_is_renewed_once_the_margin_is_reached() -> None:
    issuer, clock = Issuer(expires_in=600), Clock()
    cache = tokens(issuer, clock)

    assert await cache.get() == "token-1"
    clock.now += 600 - 60 - 0.001
    assert await cache.get() == "token-1"
    clock.now += 0.002
    assert await cache.get() == "token-2"
    assert issuer.count == 2


async def test_concurrent_callers_share_one_fetch() -> None:
    issuer = Issuer(delay=0.01)
    cache = tokens(issuer, Clock())

    got = await asyncio.gather(*(cache.get() for _ in range(100)))

    assert set(got) == {"token-1"}
    assert issuer.count == 1


async def test_invalidate_drops_only_the_refused_token() -> None:
    issuer = Issuer()
    cache = tokens(issuer, Clock())
    await cache.get()
    await cache.invalidate("token-1")
    assert await cache.get() == "token-2"

    await cache.invalidate("token-1")  # a late caller with the old token

    assert await cache.get() == "token-2"
    assert issuer.count == 2


async def test_cache_key_names_server_client_and_user_but_no_secret() -> None:
    clock, shared = Clock(), memory()
    base = tokens(Issuer(), clock, shared)
    same = tokens(Issuer(), clock, shared, PasswordGrant("Bot-client", "other", "automation", "x"))
    other = tokens(Issuer(), clock, shared, PasswordGrant("Bot-client", "s", "someone", "x"))

    assert base.key == same.key
    assert base.key != other.key
    for secret in ("s3cret-client", "pa55word", "automation", "Bot-client"):
        assert secret not in base.key


async def test_tokens_are_stored_as_plain_json() -> None:
    shared = memory()
    cache = tokens(Issuer(), Clock(), shared)
    await cache.get()

    stored = await shared.get(cache.key)

    assert stored["access_token"] == "token-1"
    assert isinstance(stored["renew_at"], float)


class BrokenCache:
    async def get(self, key: str) -> Any:
        raise ConnectionError("redis down")

    async def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        raise ConnectionError("redis down")

    async def delete(self, key: str) -> None:
        raise ConnectionError("redis down")


async def test_unreachable_cache_falls_back_to_this_process() -> None:
    issuer = Issuer()
    cache = tokens(issuer, Clock(), BrokenCache())

    assert await cache.get() == "token-1"
    assert await cache.get() == "token-1"
    await cache.invalidate("token-1")
    assert await cache.get() == "token-2"


def test_credentials_never_show_their_secrets() -> None:
    key = ApiKey("k3y@abc")
    texts = [repr(GRANT), str(GRANT), repr(key), str(key)]

    for text in texts:
        for secret in ("s3cret-client", "pa55word", "k3y@abc"):
            assert secret not in text


def test_password_grant_headers_and_form() -> None:
    assert GRANT.basic_header() == "Basic Qm90LWNsaWVudDpzM2NyZXQtY2xpZW50"
    assert GRANT.form() == {
        "username": "automation",
        "password": "pa55word",
        "grant_type": "password",
    }
    assert ApiKey("cnvw%40Rx%2B").header() == "Apikey cnvw%40Rx%2B"
