"""Work that must finish before the process exits (tickets being filed)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class InFlight:
    """Counts running units of work; `drain` waits for them, up to a bound.

    A unit is tracked by whoever starts it (e.g. a listener, from before the platform is
    answered) and may be tracked again by what it calls (the filing flow): it counts once.
    """

    def __init__(self) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._inside = contextvars.ContextVar(f"inflight-{id(self)}", default=False)
        """Set inside `track` (in this task and tasks it starts): counted already."""

    @property
    def running(self) -> int:
        return self._running

    @asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        if self._inside.get():
            yield
            return
        token = self._inside.set(True)
        self._running += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._inside.reset(token)
            self._running -= 1
            if self._running == 0:
                self._idle.set()

    async def drain(self, seconds: float) -> bool:
        """Wait until nothing runs; False when `seconds` passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True
