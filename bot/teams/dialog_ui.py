"""Core's `FormUI` for Teams: the dialog (or card) an invoke answers with.

An invoke is answered in its HTTP response, within Teams' 5 seconds, and what it shows can
not be changed afterwards. So the handler waits a bounded time for the first outcome and
answers with it; when filing takes longer it answers "Creating your ticket…", and outcomes
that come later reach the person as messages instead (core announces a filed ticket and
sends failures privately anyway; "already filed" is sent here).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.core.ports import AlreadyFiled, Outcome

Late = Callable[[AlreadyFiled], Awaitable[None]]


class DialogUI:
    """The answer of one invoke: the first outcome shown in time, later ones by `late`."""

    def __init__(self, late: Late) -> None:
        self._first: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._late = late
        self.answered = False

    async def show(self, outcome: Outcome) -> None:
        if not self.answered and not self._first.done():
            self._first.set_result(outcome)
            return
        if isinstance(outcome, AlreadyFiled):  # nothing else tells the person
            await self._late(outcome)

    async def wait(self, seconds: float) -> Outcome | None:
        """The first outcome, or None when it takes longer than `seconds` (the invoke is
        then answered without it, and later outcomes go by message)."""
        try:
            return await asyncio.wait_for(asyncio.shield(self._first), max(0.0, seconds))
        except TimeoutError:
            return None
        finally:
            self.answered = True
