"""How many Slack Web API calls (by method) one ticket costs on each surface, from a cold
start: a new process with an empty cache. Run with `-s` to see the table.

The counts are exact on purpose: a new call on the path of every ticket (another lookup, a
second post) should be a decision, not an accident. Rate limits are per method, so the
table also says which Slack limits each surface leans on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot.config import FormConfig
from tests.e2e.harness import (
    CHANNEL,
    OTHER_USER,
    USER,
    USER_EMAIL,
    Harness,
    ListenerRuns,
    button_value,
    global_shortcut,
    initial_values,
    message_shortcut,
    start_harness,
    stop_harness,
    submitted_ticket,
)
from tests.fakes import slack_requests as sr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack

Journey = Callable[[Harness], Awaitable[None]]

EXPECTED: dict[str, dict[str, int]] = {
    "command": {
        "auth.test": 1,
        "views.open": 1,
        "users.info": 1,
        "chat.postMessage": 1,
        "views.update": 1,
    },
    "message shortcut": {
        "auth.test": 1,
        "views.open": 1,
        "users.info": 2,  # the filer's e-mail, the message author's name
        "chat.postMessage": 1,
        "views.update": 1,
    },
    "global shortcut": {
        "auth.test": 1,
        "views.open": 1,
        "users.info": 1,
        "conversations.open": 1,
        "chat.postMessage": 1,
        "views.update": 1,
    },
    "DM + button": {
        "auth.test": 1,
        "chat.postMessage": 2,  # the prompt, the result
        "views.open": 1,
        "users.info": 1,  # author and filer are the same person: one lookup
        "views.update": 1,
    },
    "mention + button": {
        "auth.test": 1,
        "chat.postMessage": 2,
        "views.open": 1,
        "users.info": 1,
        "views.update": 1,
    },
}
"""auth.test: once per process, not per ticket; its answer authorizes every request for Bolt
and gives the workspace URL (permalinks). Servers make it at warm-up; this harness skips the
warm-up, so the first request makes it."""
SERVICEOPS = {"token": 1, "create": 1}


@asynccontextmanager
async def cold_app() -> AsyncIterator[Harness]:
    """A new app process with an empty cache, between new fakes."""
    async with FakeSlack() as slack, FakeServiceOps(departments=["IT"]) as desk:
        slack.add_user(USER, email=USER_EMAIL, real_name="Ada Lovelace")
        slack.add_user(OTHER_USER, email="grace@example.com", real_name="Grace Hopper")
        slack.add_channel(CHANNEL, member=True, name="it-help")
        harness, runner = await start_harness(slack, desk, FormConfig(departments=["IT"]))
        try:
            yield harness
        finally:
            await stop_harness(harness, runner)


async def submit_as_prefilled(app: Harness, subject: str | None = None) -> None:
    view = await app.opened_view()
    fields = {k: v for k, v in initial_values(view).items() if v is not None}
    if subject is not None:
        fields["subject"] = subject
    await app.submit(view, **fields)
    await submitted_ticket(app)


async def by_command(app: Harness) -> None:
    await app.command("printer jammed")
    await submit_as_prefilled(app)


async def by_message_shortcut(app: Harness) -> None:
    await message_shortcut(app, sr.chat_message("printer jammed", user=OTHER_USER))
    await submit_as_prefilled(app)


async def by_global_shortcut(app: Harness) -> None:
    await global_shortcut(app)
    await submit_as_prefilled(app, subject="printer jammed")


async def by_dm_and_button(app: Harness) -> None:
    dm = app.slack.dm_channel(USER)
    await app.event(sr.dm_event("printer jammed", user_id=USER, channel_id=dm))
    await press_create_ticket(app, dm)


async def by_mention_and_button(app: Harness) -> None:
    await app.event(sr.mention_event("printer jammed", user_id=USER, channel_id=CHANNEL))
    await press_create_ticket(app, CHANNEL)


async def press_create_ticket(app: Harness, channel: str) -> None:
    await app.slack.wait_for("chat.postMessage", where=lambda c: c.ok)
    [prompt] = app.slack.messages_in(channel)
    value = button_value(prompt["blocks"], "ticket_open_form")
    await app.click("ticket_open_form", value, channel=channel, message=prompt)
    await submit_as_prefilled(app)


JOURNEYS: dict[str, Journey] = {
    "command": by_command,
    "message shortcut": by_message_shortcut,
    "global shortcut": by_global_shortcut,
    "DM + button": by_dm_and_button,
    "mention + button": by_mention_and_button,
}


def table(measured: dict[str, dict[str, int]]) -> str:
    methods = sorted({m for counts in measured.values() for m in counts})
    journeys = list(measured)
    width = max(len(m) for m in [*methods, "Slack Web API method", "total (per ticket)"])
    head = " | ".join(["Slack Web API method".ljust(width), *journeys])
    lines = [head, "-" * len(head)]
    for method in [*methods, "total (per ticket)"]:
        if method == "total (per ticket)":
            cells = [sum(c for m, c in measured[j].items() if m != "auth.test") for j in journeys]
        else:
            cells = [measured[j].get(method, 0) for j in journeys]
        row = [method.ljust(width)] + [
            str(c).rjust(len(j)) for c, j in zip(cells, journeys, strict=True)
        ]
        lines.append(" | ".join(row))
    return "\n".join(lines)


async def test_slack_calls_per_ticket_on_each_surface(listener_runs: ListenerRuns) -> None:
    measured: dict[str, dict[str, int]] = {}
    desk_calls: dict[str, dict[str, int]] = {}
    for name, journey in JOURNEYS.items():
        async with cold_app() as app:
            await journey(app)
            await listener_runs.settle()
            assert len(app.desk.created) == 1, name
            measured[name] = dict(Counter(call.method for call in app.slack.calls))
            desk_calls[name] = dict(Counter(call.kind for call in app.desk.calls))

    print("\n" + table(measured))
    assert measured == EXPECTED
    assert desk_calls == {name: SERVICEOPS for name in JOURNEYS}
