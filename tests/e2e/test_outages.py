"""Outages survived: ServiceOps refusing connections, failing at its gateway, answering too
late or unreadably, or just slowly; Slack refusing the announcement; the app itself being
stopped or replaced mid-way.

Every time, the person is told in the modal and privately, "Try again" resubmits what they
typed, a request that may already exist is looked for before filing again, and the ticket
number reaches them.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, NamedTuple

import httpx2
import pytest
import stamina
from aiohttp import web

from bot.cache import build_cache
from bot.config import FormConfig
from bot.server import serve
from bot.slack import ids
from bot.slack.app import create_app
from tests.e2e.harness import (
    CHANNEL,
    USER,
    Harness,
    ListenerRuns,
    button_value,
    created_view,
    failed_view,
    make_settings,
    message_shortcut,
    start_harness,
    stop_harness,
    submit_as_shown,
    text_of,
)
from tests.fakes import slack_requests as sr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import Call, FakeSlack

TYPED = {
    "subject": "Payroll export fails",
    "description": "The March export stops at 80%.\nTried twice, same result.",
    "priority": "High",
    "department": "HR",
}
UNREACHABLE = "The service desk is unreachable right now"
MAYBE_CREATED = "may or may not have been created"


@pytest.fixture(autouse=True)
def no_backoff() -> Iterator[None]:
    """The client's retries happen without their backoff waits (attempts are kept)."""
    with stamina.set_testing(True, attempts=2):
        yield


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Outlet:
    """A loopback port in front of FakeServiceOps that can be switched off (connections are
    refused, as by a server that is down) and on again, on the same port."""

    def __init__(self, desk: FakeServiceOps) -> None:
        self.target = httpx2.URL(desk.url)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: asyncio.Server | None = None
        self._streams: set[asyncio.StreamWriter] = set()

    async def on(self) -> None:
        self._server = await asyncio.start_server(
            self._pipe, "127.0.0.1", self.port, reuse_address=True
        )

    async def off(self) -> None:
        if self._server is not None:
            self._server.close()
            for stream in self._streams:
                stream.close()
            await self._server.wait_closed()
            self._server = None

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.target.host, self.target.port)
        self._streams |= {writer, up_writer}

        async def copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.close()

        await asyncio.gather(copy(reader, up_writer), copy(up_reader, writer))
        self._streams -= {writer, up_writer}


class GarblingDesk(FakeServiceOps):
    """Creates the request, then answers 200 with an HTML page instead of its JSON (a proxy
    in the way, a broken upgrade): the request exists but the bot cannot read its number."""

    garble_next = 0

    async def _create(self, request: web.Request) -> web.Response:
        response = await super()._create(request)
        if response.status == 200 and self.garble_next:
            self.garble_next -= 1
            return web.Response(text="<html><body>Welcome</body></html>", content_type="text/html")
        return response


@pytest.fixture
async def garbling_desk() -> AsyncIterator[GarblingDesk]:
    async with GarblingDesk(departments=["IT", "Facilities", "HR"]) as fake:
        yield fake


async def submit_typed(app: Harness, **typed: str) -> dict[str, Any]:
    """`/ticket`, then the form submitted with `typed` (default TYPED); the modal."""
    assert (await app.command("payroll")).status_code == 200
    view = await app.opened_view()
    answer = await app.submit(view, **(typed or TYPED))
    assert answer.json()["response_action"] == "update"
    return view


class Notice(NamedTuple):
    """The private message telling the person, and the DM it was posted in."""

    channel: str
    message: dict[str, Any]

    async def try_again(self, app: Harness) -> None:
        """Press its Try again (on `app`, which may be another instance than the sender)."""
        retry = button_value(self.message["blocks"], ids.RETRY_ACTION)
        await app.click(ids.RETRY_ACTION, retry, channel=self.channel, message=self.message)


async def told(app: Harness, view: dict[str, Any], phrase: str) -> tuple[dict[str, Any], Notice]:
    """The person was told `phrase` in the modal and in a DM, each with Try again and Back to
    the form; returns the failure modal and the DM."""
    await app.slack.wait_for("views.update", where=lambda c: failed_view(c) and phrase in str(c))
    dm = app.slack.dm_channel(USER)
    [sent] = await app.slack.wait_for(
        "chat.postMessage", where=lambda c: c.ok and c.args["channel"] == dm and phrase in str(c)
    )
    failed = app.slack.views[view["id"]]
    notice = Notice(dm, sent.response["message"])
    for blocks in (failed["blocks"], notice.message["blocks"]):
        assert button_value(blocks, ids.RETRY_ACTION)
        assert button_value(blocks, ids.EDIT_ACTION)
    return failed, notice


def assert_filed_as_typed(created: dict[str, Any], typed: dict[str, str] = TYPED) -> None:
    assert created["subject"] == typed["subject"]
    assert created["priorityName"] == typed["priority"]
    assert created["departmentName"] == typed["department"]
    assert typed["description"].splitlines()[-1] in created["description"]


async def try_again_in_modal(app: Harness, failed: dict[str, Any]) -> dict[str, Any]:
    """Press Try again in the failure modal; the one request ServiceOps then holds."""
    await app.click(ids.RETRY_ACTION, button_value(failed["blocks"], ids.RETRY_ACTION), view=failed)
    await app.slack.wait_for("views.update", where=created_view)
    [created] = app.desk.created
    final = app.slack.views[failed["id"]]
    assert created["name"] in text_of(final)
    [announced] = [m for m in app.slack.messages_in(CHANNEL) if created["name"] in m["text"]]
    assert f"<@{USER}>" in announced["text"]
    return created


# --------------------------------------------------------------------------- ServiceOps down


async def test_refused_connections_then_try_again_once_it_is_back(
    slack: FakeSlack, desk: FakeServiceOps, form_config: FormConfig
) -> None:
    outlet = Outlet(desk)  # switched off: nothing listens on its port yet
    app, runner = await start_harness(slack, desk, form_config, serviceops_url=outlet.url)
    try:
        view = await submit_typed(app)
        failed, _ = await told(app, view, UNREACHABLE)
        assert desk.calls == []  # nothing reached ServiceOps

        await outlet.on()
        created = await try_again_in_modal(app, failed)
        assert_filed_as_typed(created)
    finally:
        await stop_harness(app, runner)
        await outlet.off()


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_errors_are_told_and_try_again_files_once(app: Harness, status: int) -> None:
    app.desk.fail_next("create", status, html=True)  # the gateway's HTML error page
    view = await submit_typed(app)

    # A 502/504 came from a gateway after the request was sent on: it may exist, and the
    # person is told so; a 503 means ServiceOps did not take it.
    maybe = status in (502, 504)
    failed, _ = await told(app, view, MAYBE_CREATED if maybe else UNREACHABLE)
    assert app.desk.created == []

    created = await try_again_in_modal(app, failed)
    assert_filed_as_typed(created)
    if maybe:
        assert app.desk.calls_of("search")  # it looked before filing again


async def test_create_answered_too_late_is_found_not_filed_twice(
    slack: FakeSlack, desk: FakeServiceOps, form_config: FormConfig
) -> None:
    app, runner = await start_harness(slack, desk, form_config, serviceops_read_timeout=0.3)
    try:
        desk.delay_reply("create", 1.0)  # created at once, answered after the read timeout
        view = await submit_typed(app)
        _, notice = await told(app, view, MAYBE_CREATED)
        [created] = desk.created  # it does exist
        desk.delay_reply("create", 0)

        await notice.try_again(app)

        await slack.wait_for("views.update", where=created_view)
        assert desk.created == [created]  # found by its subject and requester, not refiled
        assert len(desk.calls_of("create")) == 1
        assert desk.calls_of("search")
        shown = [c for c in slack.calls_to("views.update") if created_view(c)]
        assert created["name"] in text_of(shown[-1].args)
        [announced] = [m for m in slack.messages_in(CHANNEL) if created["name"] in m["text"]]
        assert TYPED["subject"] in announced["text"]
    finally:
        await stop_harness(app, runner)


@pytest.mark.parametrize("exists", [True, False], ids=["request-created", "nothing-created"])
async def test_unreadable_success_answer_is_looked_for_before_filing_again(
    slack: FakeSlack, garbling_desk: GarblingDesk, form_config: FormConfig, exists: bool
) -> None:
    """A 2xx whose body cannot be read: the request probably exists, so Try again searches
    first. Whether it was created or not, exactly one request exists in the end."""
    desk = garbling_desk
    if exists:
        desk.garble_next = 1
    else:
        desk.fail_next("create", 200, html=True)  # answered before anything was created
    app, runner = await start_harness(slack, desk, form_config)
    try:
        view = await submit_typed(app)
        failed, _ = await told(app, view, MAYBE_CREATED)
        assert len(desk.created) == (1 if exists else 0)

        created = await try_again_in_modal(app, failed)
        assert_filed_as_typed(created)
        assert desk.calls_of("search")
        assert len(desk.calls_of("create")) == (1 if exists else 2)
    finally:
        await stop_harness(app, runner)


async def test_slow_desk_does_not_slow_the_ack(
    slack: FakeSlack, desk: FakeServiceOps, form_config: FormConfig
) -> None:
    app, runner = await start_harness(slack, desk, form_config, serviceops_read_timeout=6.0)
    try:
        desk.latency = 2.5
        assert (await app.command("payroll")).status_code == 200
        view = await app.opened_view()

        started = time.perf_counter()
        answer = await app.submit(view, **TYPED)
        ack_seconds = time.perf_counter() - started

        assert answer.json()["response_action"] == "update"
        assert "Creating your ticket" in text_of(answer.json()["view"])
        assert ack_seconds < desk.latency / 3, f"ack took {ack_seconds:.2f}s"
        await slack.wait_for("views.update", where=created_view, timeout=10)
        [created] = desk.created
        assert_filed_as_typed(created)
    finally:
        await stop_harness(app, runner)


# --------------------------------------------------------------------------- Slack refuses


async def test_rate_limited_announcement_reaches_the_person_privately(
    app: Harness, listener_runs: ListenerRuns
) -> None:
    # More 429s than slack_sdk retries (1 + 2): the thread reply is given up on.
    app.slack.rate_limit_next("chat.postMessage", retry_after=0, times=5)
    message = sr.chat_message("Badge does not open the garage", user=USER)
    await message_shortcut(app, message)
    await submit_as_shown(app, await app.opened_view())

    await app.slack.wait_for("views.update", where=created_view)
    await listener_runs.settle()
    [created] = app.desk.created
    refused = [c for c in app.slack.calls_to("chat.postMessage") if c.status == 429]
    assert len(refused) == 3
    assert app.slack.messages_in(CHANNEL) == []
    [private] = [c for c in app.slack.calls_to("response_url") if c.ok]
    assert created["name"] in text_of(private.args)
    assert private.args["response_type"] == "ephemeral"
    assert "a private message" in text_of(app.slack.views[app.slack.calls[-1].args["view_id"]])


async def test_refused_announcement_of_a_command_reaches_the_person_privately(
    app: Harness, listener_runs: ListenerRuns
) -> None:
    app.slack.fail_next("chat.postMessage", "not_in_channel")
    view = await submit_typed(app)

    await app.slack.wait_for("views.update", where=created_view)
    await listener_runs.settle()
    [created] = app.desk.created
    assert app.slack.messages_in(CHANNEL) == []
    [private] = [c for c in app.slack.calls_to("response_url") if c.ok]
    assert created["name"] in text_of(private.args)
    assert "a private message" in text_of(app.slack.views[view["id"]])


# --------------------------------------------------------------------------- the app restarts


class LogEvents(logging.Handler):
    """Lets a test await a log event (the runner says when it started and stopped)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: dict[str, asyncio.Event] = {}

    def event(self, name: str) -> asyncio.Event:
        return self.seen.setdefault(name, asyncio.Event())

    def emit(self, record: logging.LogRecord) -> None:
        self.event(str(record.msg)).set()


@pytest.fixture
def runner_log() -> Iterator[LogEvents]:
    handler = LogEvents()
    logger = logging.getLogger("bot.server")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)


async def test_stop_lets_the_ticket_being_filed_finish_first(
    slack: FakeSlack, desk: FakeServiceOps, form_config: FormConfig, runner_log: LogEvents
) -> None:
    bot = await create_app(make_settings(slack, desk), form=form_config, view_settle_seconds=0.2)
    port, stop = free_port(), asyncio.Event()
    server = asyncio.create_task(serve(bot.core, [bot], port=port, host="127.0.0.1", stop=stop))
    async with httpx2.AsyncClient(timeout=10) as http:
        app = Harness(f"http://127.0.0.1:{port}", slack, desk, bot, http)
        await asyncio.wait_for(runner_log.event("server_started").wait(), 5)
        desk.latency = 1.0  # ServiceOps is slow: the stop comes while it works
        view = await submit_typed(app)
        assert bot.deps.inflight.running == 1  # acked; the ticket is being filed
        assert desk.created == []

        stop.set()
        await asyncio.wait_for(server, 10)

    # Shutdown completed only after the ticket was created and announced everywhere.
    [created] = desk.created
    assert_filed_as_typed(created)
    assert [m for m in slack.messages_in(CHANNEL) if created["name"] in m["text"]]
    assert created["name"] in text_of(slack.views[view["id"]])
    assert bot.deps.inflight.running == 0
    assert runner_log.event("stopped").is_set()
    assert not runner_log.event("shutdown_abandoned_work").is_set()


def _calls_after(slack: FakeSlack, mark: int) -> list[Call]:
    return slack.calls[mark:]


@pytest.mark.parametrize("long_description", [False, True], ids=["inline-state", "state-in-redis"])
async def test_try_again_works_on_the_instance_that_replaced_the_failing_one(
    slack: FakeSlack,
    desk: FakeServiceOps,
    form_config: FormConfig,
    redis_url: str,
    long_description: bool,
) -> None:
    typed = dict(TYPED)
    if long_description:  # too long for a button: the draft waits in Redis under a key
        typed["description"] = "Steps so far:\n" + "; ".join(["checked the export log"] * 100)
    old, old_runner = await start_harness(
        slack, desk, form_config, cache=build_cache(redis_url), cache_url=redis_url
    )
    desk.fail_next("create", 503)
    view = await submit_typed(old, **typed)
    _, notice = await told(old, view, UNREACHABLE)
    retry = button_value(notice.message["blocks"], ids.RETRY_ACTION)
    assert retry is not None
    assert retry.startswith("k:") == long_description
    await stop_harness(old, old_runner)

    new, new_runner = await start_harness(
        slack, desk, form_config, cache=build_cache(redis_url), cache_url=redis_url
    )
    try:
        mark = len(slack.calls)
        await notice.try_again(new)
        await slack.wait_for("views.update", where=created_view)
        [created] = desk.created
        assert_filed_as_typed(created, typed)
        assert "expired" not in text_of([c.args for c in _calls_after(slack, mark)])
    finally:
        await stop_harness(new, new_runner)


async def test_unknown_outcome_survives_the_replacement_of_the_instance(
    slack: FakeSlack, desk: FakeServiceOps, form_config: FormConfig, redis_url: str
) -> None:
    """The old instance timed out on a create that did happen; the new one, asked to try
    again, finds that request (the attempt's state is in Redis) instead of filing another."""
    old, old_runner = await start_harness(
        slack,
        desk,
        form_config,
        cache=build_cache(redis_url),
        cache_url=redis_url,
        serviceops_read_timeout=0.3,
    )
    desk.delay_reply("create", 1.0)
    view = await submit_typed(old)
    _, notice = await told(old, view, MAYBE_CREATED)
    await stop_harness(old, old_runner)
    desk.delay_reply("create", 0)

    new, new_runner = await start_harness(
        slack, desk, form_config, cache=build_cache(redis_url), cache_url=redis_url
    )
    try:
        await notice.try_again(new)
        await slack.wait_for("views.update", where=created_view)
        [created] = desk.created
        assert len(desk.calls_of("create")) == 1
        assert [m for m in slack.messages_in(CHANNEL) if created["name"] in m["text"]]
    finally:
        await stop_harness(new, new_runner)
