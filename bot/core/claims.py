"""Claims in the shared cache that make "at most once" hold across retries and replicas.

A claim is an atomic add (Redis `SET NX`, or the in-process equivalent): the first caller
wins, later callers see what the winner recorded. Every key is built by `ClaimKey`:

- a delivery of a platform event (`event`), so a platform's retries are processed once;
- a source message (`source`), so one message files one ticket;
- a filing attempt (`attempt`), so a double click or a replayed submission files once;
- the announcement of an attempt's ticket (`announced`), so it is posted once.

A pending claim carries a deadline (`pending_ttl` after it was taken). A claim whose holder
died is not locked for its whole TTL: once the deadline passed, the next claimer is told its
outcome is "unknown" (the holder may have finished the work before dying) and may take over.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

from bot.core.model import Origin

ClaimState = Literal["pending", "done", "unknown"]
"""pending: being worked on; done: finished (value holds the result); unknown: the outcome
of a create is not known (a timeout after sending), so a retry must look before it files."""


class ClaimKey:
    """The one place claim keys are spelled. Keys are stable across releases: replicas of
    different versions and records written before an upgrade must keep meaning the same."""

    @staticmethod
    def event(event_id: str, *, platform: str = "slack") -> str:
        """A platform's delivery of one event (Slack's `event_id`, a Teams activity id)."""
        return f"event:{event_id}" if platform == "slack" else f"event:{platform}:{event_id}"

    @staticmethod
    def source(origin: Origin) -> str | None:
        """The message a ticket is about; None when the origin names no message."""
        if origin.conversation is None or origin.message is None:
            return None
        scope = f"{origin.workspace or '-'}:{origin.conversation}:{origin.message}"
        if origin.platform == "slack":  # the first platform kept its keys unprefixed
            return f"source:{scope}"
        return f"source:{origin.platform}:{scope}"

    @staticmethod
    def attempt(attempt_id: str) -> str:
        """One filing attempt (a form submission and its "Try again" clicks)."""
        return f"attempt:{attempt_id}"

    @staticmethod
    def announced(attempt_id: str) -> str:
        """That an attempt's ticket was announced, and where."""
        return f"announced:{attempt_id}"


@dataclass(frozen=True)
class Claim:
    """What an earlier caller recorded under a key."""

    state: ClaimState
    value: dict[str, Any]


class Claims:
    """Atomic first-wins claims over an aiocache backend (memory or Redis)."""

    def __init__(self, cache: Any, *, pending_ttl: float = 120.0) -> None:
        self._cache = cache
        self._pending_ttl = pending_ttl

    def _pending(self, value: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "state": "pending",
            "value": value or {},
            "until": time.time() + self._pending_ttl,
        }

    async def claim(
        self, key: str, *, value: dict[str, Any] | None = None, ttl: float | None = None
    ) -> Claim | None:
        """Take `key` if nobody holds it. Returns None when taken, else the holder's record.

        Args:
            value: what to remember while pending (returned to a claimer that takes over).
            ttl: how long the record lives; defaults to the pending deadline.
        """
        try:
            await self._cache.add(key, self._pending(value), ttl=ttl or self._pending_ttl)
        except ValueError:  # aiocache: the key exists
            existing = await self.peek(key)
            if existing is None:  # expired between the add and the get: try once more
                return await self.claim(key, value=value, ttl=ttl)
            return existing
        return None

    async def peek(self, key: str) -> Claim | None:
        """The record under `key`, if any, without claiming it."""
        existing = await self._cache.get(key)
        if existing is None:
            return None
        state = existing["state"]
        if state == "pending" and existing.get("until", math.inf) < time.time():
            state = "unknown"  # the holder missed its deadline: it may have died mid-work
        return Claim(state=state, value=existing.get("value", {}))

    async def hold(
        self, key: str, *, value: dict[str, Any] | None = None, ttl: float | None = None
    ) -> None:
        """Mark a key we are entitled to (e.g. after an unknown outcome) as pending again."""
        await self._cache.set(key, self._pending(value), ttl=ttl or self._pending_ttl)

    async def complete(self, key: str, value: dict[str, Any], *, ttl: float) -> None:
        """Record the result under a claim we hold, for `ttl` seconds."""
        await self._cache.set(key, {"state": "done", "value": value}, ttl=ttl)

    async def mark_unknown(self, key: str, value: dict[str, Any], *, ttl: float) -> None:
        """Keep the claim but record that the outcome is not known."""
        await self._cache.set(key, {"state": "unknown", "value": value}, ttl=ttl)

    async def release(self, key: str) -> None:
        """Give a claim back (the work failed and may be tried again)."""
        await self._cache.delete(key)
