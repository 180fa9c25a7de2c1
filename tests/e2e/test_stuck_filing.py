"""A filing whose holder died (a replica killed mid-create, its claim kept by a Redis that
restarted with its data) must not leave the form on "Creating…" with no way out: after a
while the form says the ticket is still being created and offers Try again, which (once the
dead filing's deadline has passed) looks for its ticket before filing, so nothing is lost
and nothing is filed twice."""

from __future__ import annotations

import time

from bot.core.claims import ClaimKey
from tests.e2e.harness import Harness, button_value, text_of
from tests.e2e.test_failures import RETRY, failure_shown, submit_typed


async def test_a_stuck_filing_says_so_and_try_again_recovers_once_its_deadline_passed(
    app: Harness,
) -> None:
    app.bot.deps.filing.stuck_after = 0.3
    app.desk.fail_next("create", 503, retry_after=0)
    view = await submit_typed(app)
    failed, _ = await failure_shown(app, view)
    retry_value = button_value(failed["blocks"], RETRY)
    assert retry_value
    pending = await app.bot.deps.drafts.load(retry_value)
    assert pending is not None
    attempt = pending.attempt_id
    assert attempt

    # Another replica takes this attempt and dies before finishing: its claim stays pending.
    key = ClaimKey.attempt(attempt)
    assert (
        await app.bot.deps.claims.claim(
            key, value={"subject": "x", "since": "2026-01-01T00:00:00+00:00"}
        )
        is None
    )

    await app.click(RETRY, retry_value, view=failed)
    await app.slack.wait_for(
        "views.update", where=lambda c: c.ok and "already being created" in text_of(c.args)
    )
    shown = app.slack.views[view["id"]]
    assert "already being created" in text_of(shown)
    again = button_value(shown["blocks"], RETRY)
    assert again  # a way out, not a dead end
    assert app.desk.created == []

    # The dead holder's deadline passes: its claim now reads as "outcome unknown".
    record = await app.bot.deps.cache.get(key)
    await app.bot.deps.cache.set(key, {**record, "until": time.time() - 1}, ttl=60)

    await app.click(RETRY, again, view=shown)
    await app.slack.wait_for(
        "views.update", where=lambda c: c.ok and "Ticket created" in text_of(c.args)
    )
    assert len(app.desk.created) == 1
