"""ServiceOps creates the request but its answer has no `name` (the display number): the
person is told the number is not known yet and given the link, never the internal id
dressed up as a ticket number."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.config import FormConfig
from tests.e2e.harness import (
    CHANNEL,
    Harness,
    created_view,
    start_harness,
    stop_harness,
    text_of,
)
from tests.e2e.test_outages import TYPED
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack


class NamelessDesk(FakeServiceOps):
    """Creates the request, then answers without its `name`."""

    async def _create(self, request: web.Request) -> web.Response:
        response = await super()._create(request)
        body = json.loads(response.text or "{}")
        body.pop("name", None)
        return web.json_response(body, status=response.status)


@pytest.fixture
async def nameless(slack: FakeSlack, form_config: FormConfig) -> AsyncIterator[Harness]:
    async with NamelessDesk(departments=["IT", "Facilities", "HR"]) as desk:
        app, runner = await start_harness(slack, desk, form_config)
        yield app
        await stop_harness(app, runner)


async def test_a_create_answer_without_a_number_says_so_and_gives_the_link(
    nameless: Harness,
) -> None:
    assert (await nameless.command("payroll")).status_code == 200
    view = await nameless.opened_view()
    assert (await nameless.submit(view, **TYPED)).json()["response_action"] == "update"

    await nameless.slack.wait_for("views.update", where=created_view)
    [created] = nameless.desk.created
    link = f"{nameless.desk.url}/t/request/view/{created['id']}"
    shown = text_of(nameless.slack.views[view["id"]])
    [announced] = nameless.slack.messages_in(CHANNEL)
    for text in (shown, text_of(announced)):
        assert "number not known yet" in text
        assert link in text
        assert f"#{created['id']}" not in text
    assert "Your ticket" in shown
    assert "has been created" in shown
