"""The shared cache: in-process memory by default, Redis when several replicas run.

This is the only module that builds aiocache objects. Every store the bot keeps (ServiceOps
tokens, Slack e-mails, de-duplication claims) is a namespace in the one backend chosen by
`CACHE_URL`, so replicas pointed at the same Redis share all of them.
Values are JSON-serialised in both backends so code that works in memory works on Redis.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from aiocache import Cache
from aiocache.serializers import JsonSerializer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


def build_cache(url: str = "memory://", *, namespace: str = "serviceops-bot") -> Any:
    """Return an aiocache backend for `memory://` or `redis://[:password@]host:port/db`.

    `rediss://` turns on TLS to Redis. The return type is aiocache's `BaseCache`
    (untyped upstream, hence `Any`).
    """
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "memory":
        # No timeout: an operation on a dict never waits, and aiocache's timeout runs every
        # call in a task of its own (`asyncio.wait_for`), several per ticket for nothing.
        return Cache(Cache.MEMORY, serializer=JsonSerializer(), namespace=namespace, timeout=None)
    if parsed.scheme in ("redis", "rediss"):
        db = parsed.path.strip("/") or "0"
        return Cache(
            Cache.REDIS,
            serializer=JsonSerializer(),
            namespace=namespace,
            endpoint=parsed.hostname or "127.0.0.1",
            port=parsed.port or 6379,
            db=int(db),
            password=urllib.parse.unquote(parsed.password) if parsed.password else None,
            ssl=parsed.scheme == "rediss",
            create_connection_timeout=5,
        )
    raise ValueError(f"unsupported cache URL scheme {parsed.scheme!r}")


def unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the cache cannot be reached now (Redis stopped, restarting, cut off
    by the network): the work needing it cannot be done now, and can be tried again later."""
    return isinstance(
        exc, RedisConnectionError | RedisTimeoutError | ConnectionError | TimeoutError
    )
