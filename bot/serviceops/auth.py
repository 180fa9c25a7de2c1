"""Credentials and the access-token cache.

Two ways to authenticate (pick one per client):

- `PasswordGrant`: OAuth2 password grant against the token endpoint; the token is cached
  in the shared aiocache backend, renewed shortly before it expires, fetched by one
  coroutine at a time per process;
- `ApiKey` (ServiceOps 8.5+): a fixed `Authorization: Apikey <key>` header, no token call.

Secrets are `SecretStr` and never appear in `repr`, `str` or logs.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import SecretStr

from bot.serviceops.models import TokenResponse

__all__ = ["ApiKey", "Auth", "PasswordGrant", "TokenCache", "cache_key"]

log = logging.getLogger("bot.serviceops")

MAX_RENEW_MARGIN = 60.0
"""Renew when less than min(60 s, 10% of the lifetime) remains."""
DEFAULT_LIFETIME = 3600
"""Assumed lifetime when the server omits `expires_in`."""
MAX_LIFETIME = 24 * 3600
"""Longest a token is reused, whatever the server says: a day is plenty, and an absurd
`expires_in` (2^63-1) would be a TTL Redis refuses, so the token would never be shared."""
FETCH_LEASE = 10.0
"""Seconds one replica may hold the right to fetch before the others stop waiting for it."""
LEASE_POLL = 0.05
"""How often a replica waiting for another's fetch looks for the token."""


def _secret(value: str | SecretStr) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(value)


class PasswordGrant:
    """OAuth2 password grant: REST client id/secret plus the user the bot acts as."""

    __slots__ = ("client_id", "client_secret", "password", "username")

    def __init__(
        self,
        client_id: str,
        client_secret: str | SecretStr,
        username: str,
        password: str | SecretStr,
    ) -> None:
        self.client_id = client_id
        self.client_secret = _secret(client_secret)
        self.username = username
        self.password = _secret(password)

    def basic_header(self) -> str:
        """`Basic base64(client_id:client_secret)` for the token endpoint (RFC 7617)."""
        pair = f"{self.client_id}:{self.client_secret.get_secret_value()}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def form(self) -> dict[str, str]:
        """Form fields of the token request."""
        return {
            "username": self.username,
            "password": self.password.get_secret_value(),
            "grant_type": "password",
        }

    def __repr__(self) -> str:
        return (
            f"PasswordGrant(client_id={self.client_id!r}, client_secret='**********', "
            f"username={self.username!r}, password='**********')"
        )


class ApiKey:
    """A ServiceOps API key, sent exactly as given (the portal may show it URL-encoded)."""

    __slots__ = ("key",)

    def __init__(self, key: str | SecretStr) -> None:
        self.key = _secret(key)

    def header(self) -> str:
        return f"Apikey {self.key.get_secret_value()}"

    def __repr__(self) -> str:
        return "ApiKey('**********')"


Auth = PasswordGrant | ApiKey


def cache_key(prefix: str, *identity: str) -> str:
    """A cache key for a token: `prefix:` and a hash of who and where (never a secret)."""
    joined = "\n".join(identity).encode()
    return f"{prefix}:" + hashlib.sha256(joined).hexdigest()[:32]


def renew_margin(lifetime: float) -> float:
    """Seconds before expiry at which a token is replaced."""
    return min(MAX_RENEW_MARGIN, lifetime * 0.1)


def lifetime_of(expires_in: float | None) -> float:
    """Seconds a token may be reused: `expires_in` clamped to `[0, MAX_LIFETIME]`; an hour
    when the server does not say; 0 (do not reuse it) when it says 0."""
    if expires_in is None:
        return float(DEFAULT_LIFETIME)
    return min(max(float(expires_in), 0.0), float(MAX_LIFETIME))


class TokenCache:
    """The current access token for one identity at one server, shared through `cache`.

    `get()` returns a token that is not about to expire, fetching one with `fetch` when needed.
    Concurrent callers wait for a single fetch: within a process through a lock, across
    replicas sharing the cache through a short lease (an atomic `add`) whose holder fetches
    while the others wait for its token to appear. When the cache cannot help (Redis down,
    a write refused, the key evicted) the copy this process fetched is used until it is due
    for renewal, instead of failing the call or logging in again.

    Lifetimes are clamped to `MAX_LIFETIME`; a token that comes with `expires_in: 0` is used
    for the call that fetched it and never reused.

    The mechanism is not ServiceOps-specific: any OAuth2 token that a grant returns as
    `TokenResponse` can be cached this way (the Teams bot's client-credentials token is).

    Args:
        key: the cache key (derived from who and where, never from a secret).
        cache: an aiocache backend with a JSON serializer (values are plain dicts).
        fetch: performs the token request.
        clock: wall-clock seconds; injectable for tests.
        label: names the token in log events (`{label}_token_fetched`).
    """

    def __init__(
        self,
        *,
        key: str,
        cache: Any,
        fetch: Callable[[], Awaitable[TokenResponse]],
        clock: Callable[[], float] = time.time,
        label: str = "serviceops",
    ) -> None:
        self.key = key
        self._label = label
        self._cache = cache
        self._fetch = fetch
        self._clock = clock
        self._lock = asyncio.Lock()
        self._local: dict[str, Any] | None = None
        self._failure: tuple[float, Exception] | None = None
        """When the last fetch failed (monotonic) and how, for the callers waiting on it."""

    @classmethod
    def for_grant(
        cls,
        grant: PasswordGrant,
        *,
        base_url: str,
        cache: Any,
        fetch: Callable[[], Awaitable[TokenResponse]],
        clock: Callable[[], float] = time.time,
    ) -> TokenCache:
        """The ServiceOps token of `grant` at `base_url`."""
        return cls(
            key=cache_key("serviceops-token", base_url, grant.client_id, grant.username),
            cache=cache,
            fetch=fetch,
            clock=clock,
        )

    async def get(self) -> str:
        """A valid access token, from the cache or freshly fetched.

        A caller that waited while another's fetch failed gets that failure too, rather
        than fetching again itself: behind a busy token endpoint, people queued for the
        token are told at once instead of one full retry period after another.
        """
        token = await self._fresh_cached()
        if token is not None:
            return token
        asked = time.monotonic()
        async with self._lock:
            token = await self._fresh_cached()
            if token is not None:
                return token
            if self._failure is not None and self._failure[0] >= asked:
                raise self._failure[1]
            try:
                return await self._renew_once_across_replicas()
            except Exception as exc:
                self._failure = (time.monotonic(), exc)
                raise

    async def renew(self) -> str:
        """Fetch a new token now, whatever is cached (used by the credentials check)."""
        async with self._lock:
            return await self._renew()

    async def invalidate(self, token: str) -> None:
        """Forget `token` after the server refused it, unless it was already replaced."""
        async with self._lock:
            entry = await self._read()
            if entry is not None and entry.get("access_token") == token:
                self._local = None
                try:
                    await self._cache.delete(self.key)
                except Exception:  # noqa: BLE001 (a cache outage must not stop tickets)
                    log.warning(
                        f"{self._label}_token_cache_unavailable", extra={"action": "delete"}
                    )

    async def _renew_once_across_replicas(self) -> str:
        """Fetch, unless another replica is fetching right now: then take its token."""
        lease = self.key + ":fetching"
        try:
            await self._cache.add(lease, 1, ttl=FETCH_LEASE)
        except ValueError:  # aiocache: the lease exists, another replica is fetching
            token = await self._wait_for_other_fetch(lease)
            return token if token is not None else await self._renew()
        except Exception:  # noqa: BLE001 (a cache outage must not stop tickets)
            log.warning(f"{self._label}_token_cache_unavailable", extra={"action": "lease"})
            return await self._renew()
        try:
            return await self._renew()
        finally:
            try:
                await self._cache.delete(lease)
            except Exception:  # noqa: BLE001 (the lease expires by itself)
                log.warning(f"{self._label}_token_cache_unavailable", extra={"action": "release"})

    async def _wait_for_other_fetch(self, lease: str) -> str | None:
        """The token another replica fetched; None when it gave up or took too long."""
        deadline = time.monotonic() + FETCH_LEASE
        while time.monotonic() < deadline:
            await asyncio.sleep(LEASE_POLL)  # another process: nothing to await but the cache
            token = await self._fresh_cached()
            if token is not None:
                return token
            try:
                if await self._cache.get(lease) is None:  # released without a token
                    return await self._fresh_cached()
            except Exception:  # noqa: BLE001 (a cache outage must not stop tickets)
                return None
        return None

    async def _fresh_cached(self) -> str | None:
        entry = await self._read()
        if entry is None or self._clock() >= float(entry.get("renew_at", 0)):
            return None
        token = entry.get("access_token")
        return token if isinstance(token, str) and token else None

    async def _read(self) -> dict[str, Any] | None:
        """The shared entry; this process's copy when the cache fails or lacks the key."""
        try:
            entry = await self._cache.get(self.key)
        except Exception:  # noqa: BLE001 (a cache outage must not stop tickets)
            log.warning(f"{self._label}_token_cache_unavailable", extra={"action": "get"})
            return self._local
        return entry if isinstance(entry, dict) else self._local

    async def _renew(self) -> str:
        response = await self._fetch()
        lifetime = lifetime_of(response.expires_in)
        now = self._clock()
        renew_in = max(lifetime - renew_margin(lifetime), 0.0)
        token = response.access_token.get_secret_value()
        entry = {
            "access_token": token,
            "token_type": response.token_type,
            "fetched_at": now,
            "renew_at": now + renew_in,
        }
        self._local = entry
        if renew_in > 0:
            try:
                await self._cache.set(self.key, entry, ttl=max(1, math.ceil(renew_in)))
            except Exception:  # noqa: BLE001 (a cache outage must not stop tickets)
                log.warning(f"{self._label}_token_cache_unavailable", extra={"action": "set"})
        log.info(
            f"{self._label}_token_fetched",
            extra={"expires_in": response.expires_in, "cache_key": self.key},
        )
        return token
