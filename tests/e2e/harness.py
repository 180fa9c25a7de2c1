"""The Slack end-to-end harness: the real app in HTTP mode on loopback, between FakeSlack and
FakeServiceOps (a Teams harness will sit beside this one later).

Requests are signed like Slack signs them and posted to `POST /slack/events`; what the app
does is read back from what the fakes recorded. Where Slack itself would apply the app's
HTTP answer (a view_submission's `response_action: update`), the harness applies it to the
fake, as Slack would.

The pytest fixtures built on it (`slack`, `desk`, `app`, `listener_runs`, `replicas`...) are
in `conftest.py`; tests import from here what they call themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from aiohttp import web

from bot.cache import build_cache
from bot.config import FormConfig, Settings
from bot.server import Intake, build_web_app
from bot.slack.app import BotApp, create_app
from bot.webhook import PATH as WEBHOOK_PATH
from bot.webhook import FollowIntake, build_follow_intake
from tests.fakes import slack_requests as sr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack

USER = "U0ADA1"
USER_EMAIL = "ada@example.com"
OTHER_USER = "U0GRACE"
CHANNEL = "C0HELP1"
WEBHOOK_SECRET = "wh-0123456789abcdef0123"
"""`SERVICEOPS_WEBHOOK_SECRET` of a harness started with `follow_settings()`."""


def follow_settings(**more: Any) -> dict[str, Any]:
    """Settings overrides that mount the follow-through intake (`POST /serviceops/events`
    with `WEBHOOK_SECRET`; polling too when `serviceops_poll_seconds` is given)."""
    return {"serviceops_webhook_secret": WEBHOOK_SECRET, **more}


def make_settings(slack: FakeSlack, desk: FakeServiceOps, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": slack.bot_token,
        "slack_signing_secret": sr.SIGNING_SECRET,
        "slack_api_url": slack.api_url,
        "serviceops_url": desk.url,
        "serviceops_client_id": desk.client_id,
        "serviceops_client_secret": desk.client_secret,
        "serviceops_username": desk.username,
        "serviceops_password": desk.password,
        "serviceops_read_timeout": 3.0,
        "serviceops_connect_timeout": 1.0,
        "cache_url": "memory://",
        "state_url": "sqlite:///:memory:",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class Harness:
    """A running app and the two fakes around it."""

    url: str
    slack: FakeSlack
    desk: FakeServiceOps
    bot: BotApp
    http: httpx2.AsyncClient
    responses: list[httpx2.Response] = field(default_factory=list)
    opened_before: int = 0
    """Successful views.open calls seen when the last request was sent."""
    intake: FollowIntake | None = None
    """The follow-through intake, when the settings enable it (see `follow_settings`)."""

    async def send(self, request: sr.SlackRequest) -> httpx2.Response:
        body, headers = request
        self.opened_before = len([c for c in self.slack.calls_to("views.open") if c.ok])
        response = await self.http.post(self.url + "/slack/events", content=body, headers=headers)
        self.responses.append(response)
        return response

    async def command(
        self, text: str = "", *, user: str = USER, channel: str = CHANNEL
    ) -> httpx2.Response:
        return await self.send(
            sr.slash_command(
                text,
                user_id=user,
                channel_id=channel,
                trigger_id=self.slack.new_trigger_id(),
                response_url=self.slack.response_url(),
            )
        )

    async def opened_view(self, index: int = -1) -> dict[str, Any]:
        """The view of the `index`th successful views.open, waiting for the one the last
        request opens (the app opens it just after acking that request)."""
        calls = await self.slack.wait_for("views.open", count=self.opened_before + 1, where=_ok)
        view_id = calls[index].response["view"]["id"]
        return self.slack.views[view_id]

    async def submit(
        self, view: dict[str, Any], *, user: str = USER, **fields: Any
    ) -> httpx2.Response:
        """Submit the stored modal with `fields` typed in, as Slack would."""
        current = self.slack.views[view["id"]]
        values = sr.form_values(view=current, **fields)
        response = await self.send(sr.view_submission(current, values, user_id=user))
        if response.content:
            answer = response.json()
            if answer.get("response_action") == "update":
                self.slack.replace_view(view["id"], answer["view"])
        return response

    async def click(
        self,
        action_id: str,
        value: str | None,
        *,
        user: str = USER,
        view: dict[str, Any] | None = None,
        channel: str | None = None,
        message: dict[str, Any] | None = None,
    ) -> httpx2.Response:
        return await self.send(
            sr.block_action(
                action_id,
                value,
                user_id=user,
                trigger_id=self.slack.new_trigger_id(),
                view=view,
                channel_id=channel,
                message=message,
            )
        )

    async def event(self, event: dict[str, Any], **options: Any) -> httpx2.Response:
        return await self.send(sr.event_callback(event, **options))

    async def webhook(
        self,
        body: Any = None,
        *,
        secret: str | None = WEBHOOK_SECRET,
        content: bytes | None = None,
    ) -> httpx2.Response:
        """ServiceOps' "Run Webhook": `POST /serviceops/events` with `body` as JSON (or the raw
        `content`), `Authorization: Bearer <secret>` (none when `secret` is None)."""
        return await post_webhook(self.http, self.url, body, secret=secret, content=content)

    async def follow_settled(self) -> None:
        """Wait until the follow-through work started so far is done (see `follow_settled`)."""
        assert self.intake is not None, "start the harness with follow_settings()"
        await follow_settled(self.intake)


def _ok(call: Any) -> bool:
    return bool(call.ok)


def button_value(blocks: list[dict[str, Any]], action_id: str) -> str | None:
    """The value of the button `action_id` in a message's or view's blocks."""
    for block in blocks:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return element.get("value")
    return None


def text_of(blocks_or_view: Any) -> str:
    """Every text in a message/view, to assert on what a person reads."""
    return json.dumps(blocks_or_view, ensure_ascii=False)


async def start_harness(
    slack: FakeSlack,
    desk: FakeServiceOps,
    form: FormConfig,
    *,
    cache: Any = None,
    **overrides: Any,
) -> tuple[Harness, web.AppRunner]:
    """The app on loopback. With a webhook secret or a polling period in `overrides` (see
    `follow_settings`), the follow-through intake is mounted, warmed up and started next to
    the Slack surface, as the server does."""
    settings = make_settings(slack, desk, **overrides)
    bot = await create_app(
        settings, form=form, cache=cache or build_cache("memory://"), view_settle_seconds=0.2
    )
    intakes: list[Intake] = [bot]
    intake = follow_intake(bot.core, settings)
    if intake is not None:
        await intake.warm_up()
        intakes.append(intake)
    runner = web.AppRunner(build_web_app(bot.core, intakes), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    if intake is not None:
        await intake.start()
    host, port = runner.addresses[0][:2]
    http = httpx2.AsyncClient(timeout=10)
    return Harness(f"http://{host}:{port}", slack, desk, bot, http, intake=intake), runner


async def stop_harness(harness: Harness, runner: web.AppRunner) -> None:
    if harness.intake is not None:
        await harness.intake.stop()
    await harness.bot.deps.inflight.drain(10)
    await harness.http.aclose()
    await runner.cleanup()
    if harness.intake is not None:
        await harness.intake.aclose()
    await harness.bot.aclose()


# --------------------------------------------------------------------------- follow-through


def follow_intake(core: Any, settings: Settings) -> FollowIntake | None:
    """The follow-through intake when `settings` enable it (a webhook secret or polling)."""
    desk = settings.serviceops
    if desk.webhook_secret is None and not desk.poll_seconds:
        return None
    return build_follow_intake(core, settings)


async def post_webhook(
    http: httpx2.AsyncClient,
    url: str,
    body: Any = None,
    *,
    secret: str | None = WEBHOOK_SECRET,
    content: bytes | None = None,
) -> httpx2.Response:
    """`POST {url}/serviceops/events` as a ServiceOps workflow calls it."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    data = content if content is not None else json.dumps(body).encode()
    return await http.post(url + WEBHOOK_PATH, content=data, headers=headers)


async def follow_settled(intake: FollowIntake, timeout: float = 30) -> None:
    """Wait until every webhook call answered so far has been handled: look-ups of display
    numbers, then the follower's reads and posts (with the retries they schedule)."""
    async with asyncio.timeout(timeout):
        while True:
            lookups = [task for task in intake._pending if not task.done()]
            if lookups:
                await asyncio.wait(lookups)
                continue
            await intake.follower.idle()
            if not any(not task.done() for task in intake._pending):
                return


# --------------------------------------------------------------------------- journey helpers


def block_of(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    """The block `block_id` of a view (or a message with `blocks`)."""
    for block in view.get("blocks", []):
        if block.get("block_id") == block_id:
            return dict(block)
    raise AssertionError(f"no block {block_id!r} in {[b.get('block_id') for b in view['blocks']]}")


def initial_values(view: dict[str, Any]) -> dict[str, str | None]:
    """What the modal shows before anyone types: `{block_id: initial value}` of its inputs.

    Submitting these unchanged is what a person does who only presses "Create ticket".
    """
    values: dict[str, str | None] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        if element.get("type") == "file_input":
            continue  # a file input shows no value (files are picked, not prefilled)
        option = element.get("initial_option")
        if "initial_users" in element:
            values[block["block_id"]] = " ".join(element["initial_users"]) or None
            continue
        values[block["block_id"]] = (
            option["value"] if option is not None else element.get("initial_value")
        )
    return values


class ListenerRuns:
    """Knows when the app has finished with the requests sent so far.

    Bolt acknowledges first and runs each listener in its own task; those tasks are
    recorded through the event loop's task factory, so a test can await the app's work
    instead of sleeping before it asserts that something did *not* happen.
    """

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[Any]] = []
        self._seen = 0

    def factory(
        self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any
    ) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.Task(coro, loop=loop, **kwargs)
        if getattr(coro, "__qualname__", "").endswith("run_ack_function_asynchronously"):
            self._tasks.append(task)
        return task

    async def settle(self, timeout: float = 5) -> int:
        """Wait until every listener started so far has finished; how many finished since
        the previous call (so a test can check the app did look at its request)."""
        async with asyncio.timeout(timeout):
            while pending := [task for task in self._tasks if not task.done()]:
                await asyncio.wait(pending)
        finished = len(self._tasks) - self._seen
        self._seen = len(self._tasks)
        return finished


@contextlib.contextmanager
def tracking_listener_runs() -> Iterator[ListenerRuns]:
    """Records the tasks the running loop starts (the app's listeners) while active."""
    runs = ListenerRuns()
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    loop.set_task_factory(runs.factory)
    try:
        yield runs
    finally:
        loop.set_task_factory(previous)


async def message_shortcut(
    app: Harness,
    message: dict[str, Any],
    *,
    user: str = USER,
    channel: str = CHANNEL,
) -> httpx2.Response:
    """The "Create ticket" message shortcut on `message` (see `sr.chat_message`)."""
    return await app.send(
        sr.message_shortcut(
            message,
            user_id=user,
            channel_id=channel,
            trigger_id=app.slack.new_trigger_id(),
            response_url=app.slack.response_url(),
        )
    )


async def global_shortcut(app: Harness, *, user: str = USER) -> httpx2.Response:
    """The global "Create ticket" shortcut (no channel, no response_url)."""
    return await app.send(sr.global_shortcut(user_id=user, trigger_id=app.slack.new_trigger_id()))


OUTPUT_METHODS = ("chat.postMessage", "chat.postEphemeral", "response_url", "views.update")
"""Every way the app shows something to people (besides `views.open`)."""


def outputs(slack: FakeSlack) -> list[Any]:
    """Every call through which the app showed something to someone, in order."""
    return [call for call in slack.calls if call.method in OUTPUT_METHODS]


async def submitted_ticket(app: Harness) -> dict[str, Any]:
    """The one request ServiceOps created, once the app has announced it in the modal."""
    await app.slack.wait_for(
        "views.update", where=lambda c: c.ok and "Ticket created" in text_of(c.args)
    )
    assert len(app.desk.created) == 1, app.desk.created
    return app.desk.created[0]


# --------------------------------------------------------------------------- replicas, races


def created_view(call: Any) -> bool:
    """A successful `views.update` showing a created ticket."""
    return bool(call.ok) and "Ticket created" in text_of(call.args)


def failed_view(call: Any) -> bool:
    """A successful `views.update` showing that the ticket was not created."""
    return bool(call.ok) and "Ticket not created" in text_of(call.args)


async def submit_as_shown(
    app: Harness, view: dict[str, Any], *, user: str = USER
) -> httpx2.Response:
    """Submit the modal with what it shows, as a person who only presses the button."""
    values = {k: v for k, v in initial_values(view).items() if v is not None}
    return await app.submit(view, user=user, **values)


Replicas = tuple[Harness, Harness]


class AttemptGate:
    """Makes "two at once" happen for sure, in the worst order.

    The first filing attempt to claim its key is held right after claiming, until `open()`;
    every contender refused the same key (a second click, the other replica) is then held
    until the first has finished entirely, so whatever it reports comes last.

    Install it on the `Claims` of each app instance (replicas share the cache, so the gate
    sees the race the way they do); `await gate.refused(n)` before `gate.open()`.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *apps: Harness) -> None:
        self._first: asyncio.Task[Any] | None = None
        self._open = asyncio.Event()
        self._refusals = 0
        self._changed = asyncio.Condition()
        for app in apps:
            claims = app.bot.deps.claims
            monkeypatch.setattr(claims, "claim", self._wrap(claims.claim))

    def _wrap(self, claim: Any) -> Any:
        async def gated(key: str, **options: Any) -> Any:
            result = await claim(key, **options)
            if not key.startswith("attempt:"):
                return result
            if result is None and self._first is None:
                self._first = asyncio.current_task()
                await self._open.wait()
            elif result is not None:
                async with self._changed:
                    self._refusals += 1
                    self._changed.notify_all()
                first = self._first
                if first is not None and first is not asyncio.current_task():
                    await asyncio.wait([first])
            return result

        return gated

    async def refused(self, count: int = 1, timeout: float = 5) -> None:
        """Wait until `count` contenders found the attempt already claimed."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self._refusals >= count)

    def open(self) -> None:
        """Let the first attempt go on."""
        self._open.set()
