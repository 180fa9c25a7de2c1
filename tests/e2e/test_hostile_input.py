"""Hostile and odd input (tests/data/hostile.py) through every journey that takes text.

Each (case, journey) must end in one of:

- a ticket, where every text the app showed in Slack is escaped (the only markup in it is the
  bot's own: the filer's mention, the channel it posted in, the portal link), Slack accepted
  every call, and ServiceOps got the description as escaped HTML;
- an inline error under the named block of the modal, and no ticket;
- a private message (and the modal) saying why no ticket was filed;
- silence, for messages from bots.

Whatever the ending: no exception (no ERROR log record, no traceback), no call Slack refused,
nothing but HTTP 200 to Slack, and no control characters or lone surrogates sent anywhere.
One app serves the whole module; each test looks only at what happened since it started.
"""

from __future__ import annotations

import html
import itertools
import logging
import re
import unicodedata
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio

from bot.config import FormConfig
from bot.slack import ids
from tests.data import hostile
from tests.data.hostile import Case
from tests.e2e.harness import (
    CHANNEL,
    Harness,
    ListenerRuns,
    button_value,
    initial_values,
    message_shortcut,
    start_harness,
    stop_harness,
    text_of,
    tracking_listener_runs,
)
from tests.fakes import slack_requests as sr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import Call, FakeSlack
from tests.unit.blocks.slack_limits import check_blocks, check_message, check_view

pytestmark = pytest.mark.asyncio(loop_scope="module")

DESK_CHANNEL = "C0DESK01"
"""Where the journeys run: a channel the corpus never names, so `<#C0DESK01>` is the bot's."""
DEPARTMENTS = ["IT", "Facilities", "HR"]
BENIGN = {"subject": "Printer jammed", "description": "Paper stuck in tray 2", "tags": "printer"}
"""The other fields of the form journeys."""
FORM_FIELD = {
    hostile.FORM_SUBJECT: "subject",
    hostile.FORM_DESCRIPTION: "description",
    hostile.FORM_TAGS: "tags",
}
SHOWN_METHODS = ("views.open", "views.update", "chat.postMessage", "chat.postEphemeral")
EXPECTED_REFUSALS = {"user_not_found"}
"""Slack errors that are facts, not faults: looking up (or DMing) someone Slack doesn't know."""
ALLOWED_HTML = {"<p>", "</p>", "<br>"}
MARKUP = re.compile(r"<([^<>]*)>|[<>]")
BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")
_timestamps = itertools.count(1)


# --------------------------------------------------------------------------- fixtures


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_app() -> AsyncIterator[Harness]:
    """One app, FakeSlack and FakeServiceOps for every test of the module."""
    async with FakeSlack() as slack, FakeServiceOps(departments=DEPARTMENTS) as desk:
        for user_id, profile in hostile.USERS.items():
            slack.add_user(user_id, **profile)
        slack.add_channel(CHANNEL, member=True, name="it-help")
        slack.add_channel(DESK_CHANNEL, member=True, name="service-desk")
        harness, runner = await start_harness(slack, desk, FormConfig(departments=DEPARTMENTS))
        # Assertions read the calls the app made, not the fake's stored view, so the app
        # need not wait long for Slack to apply its "Creating…" ack before updating the view.
        harness.bot.deps.view_settle_seconds = 0.01
        try:
            yield harness
        finally:
            await stop_harness(harness, runner)


@pytest_asyncio.fixture(loop_scope="module")
async def runs() -> AsyncIterator[ListenerRuns]:
    """The app's listener tasks started during one test (see `ListenerRuns`)."""
    with tracking_listener_runs() as runs:
        yield runs


# --------------------------------------------------------------------------- one journey


@dataclass
class Journey:
    """One case through one journey, and the marks that tell its traffic from earlier tests'."""

    app: Harness
    case: Case
    name: str
    ts: str = field(default_factory=lambda: f"17100{next(_timestamps):05d}.000100")
    since: float = 0.0
    submitted_at: float = 0.0
    created_before: int = 0
    responses_before: int = 0
    acks: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.since = self.app.slack.clock()
        self.created_before = len(self.app.desk.created)
        self.responses_before = len(self.app.responses)

    @property
    def slack(self) -> FakeSlack:
        return self.app.slack

    @property
    def outcome(self) -> str:
        return self.case.outcome(self.name)

    @property
    def dm(self) -> str:
        return self.slack.dm_channel(self.case.filer)

    @property
    def sender(self) -> str:
        """Who writes the DM or mention: the filer, or the bot of a bot's message."""
        return (self.case.author or "") if self.case.bot_id else self.case.filer

    def calls(self, *methods: str) -> list[Call]:
        return [
            c
            for c in self.slack.calls
            if c.time >= self.since and (not methods or c.method in methods)
        ]

    def fresh(self, call: Call) -> bool:
        return call.time >= self.since and call.ok

    def created(self) -> list[dict[str, Any]]:
        return self.app.desk.created[self.created_before :]

    def announced_in(self) -> tuple[str, str | None]:
        """Channel and thread where the ticket must be announced."""
        if self.name == hostile.SHORTCUT or self.name == hostile.MENTION:
            return DESK_CHANNEL, self.ts
        if self.name == hostile.DM:
            return self.dm, self.ts
        return DESK_CHANNEL, None


async def start(journey: Journey) -> dict[str, Any] | None:
    """Run the journey up to the opened modal; None when the app (rightly) stays quiet."""
    app, case, name = journey.app, journey.case, journey.name
    if name in hostile.FORM_JOURNEYS:
        response = await app.command("", user=case.filer, channel=DESK_CHANNEL)
    elif name == hostile.COMMAND:
        response = await app.command(case.text, user=case.filer, channel=DESK_CHANNEL)
    elif name == hostile.SHORTCUT:
        message = sr.chat_message(
            case.text, user=case.author, ts=journey.ts, bot_id=case.bot_id, **case.extra
        )
        response = await message_shortcut(app, message, user=case.filer, channel=DESK_CHANNEL)
    else:
        response = await app.event(_event(journey))
        assert response.status_code == 200
        if journey.outcome == hostile.IGNORED:
            return None
        channel, thread_ts = journey.announced_in()
        [prompt_call] = await journey.slack.wait_for(
            "chat.postMessage",
            where=lambda c: journey.fresh(c) and c.args.get("thread_ts") == thread_ts,
        )
        assert prompt_call.args["channel"] == channel
        prompt = prompt_call.response["message"]
        value = button_value(prompt["blocks"], ids.OPEN_FORM_ACTION)
        assert value, "the prompt has no Create ticket button"
        response = await app.click(
            ids.OPEN_FORM_ACTION, value, user=case.filer, channel=channel, message=prompt
        )
    assert response.status_code == 200
    [opened] = await journey.slack.wait_for("views.open", where=journey.fresh)
    return journey.slack.views[opened.response["view"]["id"]]


def _event(journey: Journey) -> dict[str, Any]:
    case = journey.case
    extra = dict(case.extra)
    if case.bot_id:
        extra["bot_id"] = case.bot_id
    if journey.name == hostile.DM:
        return sr.dm_event(
            case.text, user_id=journey.sender, channel_id=journey.dm, ts=journey.ts, **extra
        )
    event = sr.mention_event(
        case.text, user_id=journey.sender, channel_id=DESK_CHANNEL, ts=journey.ts
    )
    return event | extra


def fields_to_submit(journey: Journey, view: dict[str, Any]) -> dict[str, str]:
    """Text journeys: the prefilled form as is. Form journeys: the text typed into one field."""
    if journey.name in hostile.FORM_JOURNEYS:
        return BENIGN | {FORM_FIELD[journey.name]: journey.case.text}
    return {k: v for k, v in initial_values(view).items() if v is not None}


# --------------------------------------------------------------------------- endings


def assert_ticket(journey: Journey, answer: dict[str, Any], submitted: dict[str, str]) -> None:
    assert answer.get("response_action") == "update", answer
    [created] = journey.created()
    assert created["requesterEmail"] == hostile.USERS[journey.case.filer]["email"]
    text = journey.case.text
    if journey.name in hostile.TEXT_JOURNEYS:
        assert created["subject"] == submitted["subject"].strip()  # as prefilled
    elif journey.name == hostile.FORM_SUBJECT and not unwanted_characters(text):
        assert created["subject"] == " ".join(text.split())  # as typed, on one line
    if journey.name == hostile.FORM_TAGS and journey.case.tags is not None:
        assert tuple(created.get("tags", ())) == journey.case.tags
    typed = submitted.get("description") or ""
    if not unwanted_characters(typed):  # ServiceOps gets what was typed (as HTML)
        assert words(typed) in words(plain_description(created.get("description") or ""))

    channel, thread_ts = journey.announced_in()
    posts = [
        c
        for c in journey.calls("chat.postMessage")
        if c.args["channel"] == channel
        and created["name"] in text_of(c.args)
        and " created ticket " in text_of(c.args)  # not the note on files left unattached
    ]
    assert len(posts) == 1, f"expected the ticket announced once in {channel}: {posts}"
    assert posts[0].args.get("thread_ts") == thread_ts
    updates = [c for c in journey.calls("views.update") if "Ticket created" in text_of(c.args)]
    assert len(updates) == 1
    assert created["name"] in text_of(updates[0].args)


def plain_description(description: str) -> str:
    """The text behind the description's HTML (paragraphs and line breaks)."""
    text = description.replace("</p><p>", "\n\n").replace("<br>", "\n")
    return html.unescape(text.removeprefix("<p>").removesuffix("</p>"))


def words(text: str) -> str:
    return " ".join(text.split())


def assert_inline_error(journey: Journey, view: dict[str, Any], answer: dict[str, Any]) -> None:
    block_id = journey.outcome.removeprefix("error:")
    assert answer.get("response_action") == "errors", answer
    errors = answer["errors"]
    inputs = {b["block_id"] for b in view["blocks"] if b["type"] == "input"}
    assert block_id in errors, errors
    assert set(errors) <= inputs, errors
    assert all(isinstance(m, str) and m.strip() for m in errors.values()), errors
    assert journey.created() == []
    later = [c for c in journey.calls(*SHOWN_METHODS) if c.time >= journey.submitted_at]
    assert later == [], "an inline error is the whole answer"


def assert_refused(journey: Journey, answer: dict[str, Any]) -> None:
    says = journey.case.says
    assert says
    assert answer.get("response_action") == "update", answer
    assert journey.created() == []
    [failure] = [
        c for c in journey.calls("views.update") if "Ticket not created" in text_of(c.args)
    ]
    assert says in text_of(failure.args)
    private = [
        c
        for c in journey.calls("chat.postMessage", "chat.postEphemeral", "response_url")
        if says in text_of(c.args)
        and (
            c.method == "response_url"
            or c.args.get("channel") == journey.dm
            or c.args.get("user") == journey.case.filer
        )
    ]
    assert private, "the person was not told privately why no ticket was filed"


def assert_ignored(journey: Journey, finished: int) -> None:
    assert finished >= 1, "the app never handled the event"
    assert journey.calls(*SHOWN_METHODS, "response_url") == []


# --------------------------------------------------------------------------- safety


def strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from strings(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from strings(item)


def mrkdwn(obj: Any) -> Iterator[str]:
    """The text of every mrkdwn object (a message's own `text` is checked separately)."""
    if isinstance(obj, dict):
        if obj.get("type") == "mrkdwn":
            yield obj["text"]
        for value in obj.values():
            yield from mrkdwn(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from mrkdwn(item)


def unwanted_characters(text: str) -> list[str]:
    return [
        f"U+{ord(ch):04X}"
        for ch in text
        if ch not in "\n\t" and unicodedata.category(ch) in ("Cc", "Cs")
    ]


def assert_escaped(journey: Journey, text: str, where: str) -> None:
    """The only markup in `text` is the bot's own; every `&` starts an entity."""
    portal = re.compile(re.escape(journey.app.desk.url) + r"/t/request/view/\d+\|[A-Z]+-\d+")
    own = {f"@{journey.case.filer}", f"#{DESK_CHANNEL}", f"#{journey.dm}"}
    for match in MARKUP.finditer(text):
        inner = match.group(1)
        if match.group(0) == ">" and text[: match.start()][-1:] in ("", "\n"):
            continue  # the bot's own block quote
        ok = inner is not None and (inner in own or portal.fullmatch(inner) is not None)
        assert ok, f"{where} shows {match.group(0)!r} unescaped: {text!r}"
    assert not BARE_AMPERSAND.search(text), f"{where} has an unescaped '&': {text!r}"


def assert_safe_for_slack(journey: Journey) -> None:
    """Slack accepted every call, and what the app showed is escaped and within limits."""
    calls = journey.calls()
    refused = [
        (c.method, c.error, c.response.get("response_metadata"))
        for c in calls
        if not c.ok and c.error not in EXPECTED_REFUSALS
    ]
    assert not refused, f"Slack refused: {refused}"
    shown: list[tuple[str, Any]] = [("ack", ack["view"]) for ack in journey.acks if "view" in ack]
    for call in calls:
        if call.method in ("views.open", "views.update"):
            shown.append((call.method, call.args["view"]))
            check_view(call.args["view"])
        elif call.method in ("chat.postMessage", "chat.postEphemeral", "response_url"):
            message: dict[str, Any] = {
                k: call.args[k] for k in ("text", "blocks") if k in call.args
            }
            shown.append((call.method, message))
            if "blocks" in message and "text" in message:
                check_message(message)
            elif "blocks" in message:
                check_blocks(message["blocks"])
            assert_escaped(journey, message.get("text") or "", f"{call.method} text")
    for ack in journey.acks:
        if "view" in ack:
            check_view(ack["view"])
    for where, obj in shown:
        for text in mrkdwn(obj):
            assert_escaped(journey, text, where)
        for text in strings(obj):
            assert not unwanted_characters(text), f"{where} sends {unwanted_characters(text)}"
    for response in journey.app.responses[journey.responses_before :]:
        assert response.status_code == 200, response.text


def assert_safe_for_serviceops(journey: Journey) -> None:
    for body in journey.created():
        subject = body["subject"]
        assert subject.strip(), subject
        assert "\n" not in subject, subject
        assert len(subject) <= 250, subject
        description = body.get("description") or ""
        assert set(re.findall(r"<[^>]*>", description)) <= ALLOWED_HTML, description
        assert "<script" not in description.lower()
        tags = body.get("tags") or []
        assert len(tags) <= 10
        for tag in tags:
            assert 0 < len(tag) <= 50, tag
            assert not tag.startswith("#"), tag
            assert not re.search(r"[,\s]", tag), tag
        for text in [subject, description, *tags]:
            assert not unwanted_characters(text), f"ServiceOps gets {unwanted_characters(text)}"


def assert_prefilled(journey: Journey, view: dict[str, Any]) -> None:
    """Text journeys: the subject is one line within the limit, cut between characters."""
    prefilled = initial_values(view)
    subject = prefilled["subject"] or ""
    assert "\n" not in subject
    assert len(subject) <= 250
    body = subject.removesuffix("…")
    assert not body.endswith("\u200d"), "a cut inside an emoji sequence"
    flags = len(body) - len(body.rstrip("".join(map(chr, range(0x1F1E6, 0x1F200)))))
    assert flags % 2 == 0, "a cut inside a flag"
    if journey.case.subject is not None and journey.outcome == hostile.TICKET:
        assert subject == journey.case.subject


def assert_no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [(r.name, r.getMessage(), r.exc_info) for r in errors]
    assert "Traceback" not in caplog.text


# --------------------------------------------------------------------------- the test


@pytest.mark.parametrize(
    ("case", "journey_name"),
    [pytest.param(case, journey, id=f"{case.name}-{journey}") for case, journey in hostile.runs()],
)
async def test_hostile_input_ends_in_a_ticket_or_a_message(
    shared_app: Harness,
    runs: ListenerRuns,
    caplog: pytest.LogCaptureFixture,
    case: Case,
    journey_name: str,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot")
    journey = Journey(shared_app, case, journey_name)
    submitted: dict[str, str] = {}
    answer: dict[str, Any] = {}

    view = await start(journey)
    if view is not None:
        assert view["callback_id"] == ids.FORM_CALLBACK
        if journey_name in hostile.TEXT_JOURNEYS:
            assert_prefilled(journey, view)
        submitted = fields_to_submit(journey, view)
        journey.submitted_at = shared_app.slack.clock()
        response = await shared_app.submit(view, user=case.filer, **submitted)
        answer = response.json() if response.content else {}
        journey.acks.append(answer)
    finished = await runs.settle()
    assert await shared_app.bot.deps.inflight.drain(10)

    outcome = journey.outcome
    if outcome == hostile.IGNORED:
        assert view is None
        assert_ignored(journey, finished)
    elif outcome == hostile.TICKET:
        assert_ticket(journey, answer, submitted)
    elif outcome == hostile.REFUSED:
        assert_refused(journey, answer)
    else:
        assert view is not None
        assert_inline_error(journey, view, answer)
    assert_safe_for_slack(journey)
    assert_safe_for_serviceops(journey)
    assert_no_errors_logged(caplog)
