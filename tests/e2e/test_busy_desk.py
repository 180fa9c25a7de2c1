"""A busy ServiceOps: its token endpoint answers 429 with a long `Retry-After`.

Nobody is left on "Creating your ticket…" for the length of the server's wait (30 s, three
times over): the person is told the desk is busy within the client's wait bound, keeps what
they typed (Try again files it once the desk answers), and the others who asked at the same
time are told at once too instead of queueing behind one another for the token.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
import stamina

from bot.serviceops.transport import RETRY_WAIT_TOTAL
from tests.e2e.harness import OTHER_USER, USER, Harness, failed_view, text_of
from tests.e2e.test_outages import (
    TYPED,
    Notice,
    assert_filed_as_typed,
    told,
    try_again_in_modal,
)

BUSY = "busy right now"


@pytest.fixture(autouse=True)
def real_retries() -> Iterator[None]:
    """Real waits: what is measured here is how long the client keeps trying."""
    with stamina.set_testing(False):
        yield


async def test_a_busy_token_endpoint_is_told_within_the_wait_bound_and_the_draft_is_kept(
    app: Harness,
) -> None:
    app.desk.fail_next("token", 429, retry_after=30)
    started = time.monotonic()

    assert (await app.command("payroll")).status_code == 200
    view = await app.opened_view()
    assert (await app.submit(view, **TYPED)).json()["response_action"] == "update"
    failed, _ = await told_within(app, view, RETRY_WAIT_TOTAL + 2)

    assert time.monotonic() - started < RETRY_WAIT_TOTAL + 2
    assert len(app.desk.calls_of("token")) == 1  # 30 s is beyond the bound: not waited for at all
    assert app.desk.created == []

    created = await try_again_in_modal(app, failed)
    assert_filed_as_typed(created)


async def test_people_asking_together_are_all_told_without_queueing_for_the_token(
    app: Harness,
) -> None:
    # Retry-After within the bound: the first caller waits for it once, then gives up; the
    # one waiting behind it for the token is told the same at the same time.
    app.desk.fail_next("token", 429, retry_after=RETRY_WAIT_TOTAL * 0.6, times=100)
    started = time.monotonic()
    views = []
    for user in (USER, OTHER_USER):
        assert (await app.command("payroll", user=user)).status_code == 200
        views.append(await app.opened_view())
    answers = await asyncio.gather(
        *(
            app.submit(view, user=user, **TYPED)
            for view, user in zip(views, (USER, OTHER_USER), strict=True)
        )
    )
    assert all(answer.json()["response_action"] == "update" for answer in answers)

    await app.slack.wait_for(
        "views.update",
        count=2,
        timeout=RETRY_WAIT_TOTAL + 2,
        where=lambda c: failed_view(c) and BUSY in text_of(c.args),
    )

    assert time.monotonic() - started < RETRY_WAIT_TOTAL + 2  # not twice the bound
    assert len(app.desk.calls_of("token")) == 2  # one caller: the first try and the one retry
    assert app.desk.created == []


async def told_within(
    app: Harness, view: dict[str, Any], seconds: float
) -> tuple[dict[str, Any], Notice]:
    """`told(app, view, BUSY)`, waiting up to `seconds` for it."""
    async with asyncio.timeout(seconds):
        while True:
            try:
                return await told(app, view, BUSY)
            except AssertionError:  # FakeSlack.wait_for's own 5 s timeout: keep waiting
                continue
