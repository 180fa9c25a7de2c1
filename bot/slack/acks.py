"""Acks first: the Slack answer leaves before the work that follows it starts.

Bolt sends a listener's ack from another task that checks for it every 10 ms. Work started
right after `ack()` (building a view, calling Slack or ServiceOps) would compete with that
task and with the acks of every request queued behind it; under a burst, acks then wait for
other people's work. A short pause after `ack()` lets the answers out first. It costs nothing
a person can notice: `views.open` has 3 seconds, and filing takes far longer.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

ACK_HEADSTART = 0.02
"""Seconds between `ack()` and the work after it (two of Bolt's 10 ms checks)."""


async def let_ack_out() -> None:
    """Call right after `ack()`, before any slow work."""
    await asyncio.sleep(ACK_HEADSTART)


Listener = Callable[..., Awaitable[None]]


def acks_first(listener: Listener) -> Listener:
    """Decorate a Bolt listener that answers Slack with a plain `ack()` before its work.

    The listener still declares `ack` (Bolt injects arguments by name, looking through
    this decorator) but does not call it: the decorator acks, lets the answer out, then
    runs the listener.
    """

    @functools.wraps(listener)
    async def acked(**kwargs: Any) -> None:
        await kwargs["ack"]()
        await let_ack_out()
        await listener(**kwargs)

    return acked
