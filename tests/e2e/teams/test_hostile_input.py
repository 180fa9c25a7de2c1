"""Hostile and odd input (tests/data/hostile.py) through the Teams journeys that take text.

The corpus is written for Slack; in Teams the same words arrive in Teams' own shapes:

- `action`: someone typed the text in a channel and "Create ticket" is used on that message:
  the body comes as the HTML the Teams client writes (`<p>` per line, `<`, `>` and `&` as
  entities) in `value.messagePayload.body.content`; the form is then submitted as shown;
- `action-html`: the same, with the text taken as the message's HTML itself (markup posted by
  another app, a connector or Graph): hostile tags, unbalanced markup, entities;
- `chat`: the text written to the bot in a 1:1 chat (as Teams sends it: the `text` of a
  message activity, as typed), the prompt card's "Create ticket" (task/fetch), the form
  submitted as shown;
- `form-subject`, `form-description`, `form-tags`: the form opened on an ordinary message,
  submitted with the text typed into one field.

Each (case, journey) must end in one of:

- a ticket: the dialog says "Ticket created" with its number, the ticket is announced once
  where it belongs (the message's thread, the chat), ServiceOps got what the person typed
  (the description as escaped HTML), and every echo of their text is escaped;
- the form again, with a message under the named field, and no ticket;
- "Ticket not created" in the dialog, saying why, and the same sent to the person in their
  chat with the bot (where Teams lets the bot reach them).

Whatever the ending: every answer is 200 and every card valid, Teams accepted every post, no
ERROR log record, and nothing the person wrote reaches a card or a message unescaped (card
text by the Markdown rules, message text by the XML rules of `bot.teams.markdown`), nor any
control character or lone surrogate. One app serves the whole module; each test looks only at
what happened since it started.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio

from bot.config import FormConfig
from bot.core.text import clean, first_line
from bot.teams import ids
from bot.teams.cards.form import TRIMMED_MARKER
from tests.data import hostile
from tests.data.hostile import Case
from tests.e2e.teams.harness import (
    TeamsHarness,
    button,
    initial_values,
    inputs,
    start_teams,
    stop_teams,
    submit_data,
)
from tests.fakes import teams_requests as tr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.teams_api import Call, FakeTeams
from tests.unit.teams.adaptive import check_dialog, check_message

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEPARTMENTS = ["IT", "Facilities", "HR"]
DESK = tr.channel(
    "19:0d3e5f7a9b1c4d6e8f0a2b4c6d8e0f1a@thread.tacv2", name="Service desk <b>&amp;</b> co"
)
"""Where the message actions run: a channel the corpus never names."""
BENIGN = {"subject": "Printer jammed", "description": "Paper stuck in tray 2", "tags": "printer"}
"""The other fields of the form journeys."""

# --------------------------------------------------------------------------- journeys

ACTION = "action"
ACTION_HTML = "action-html"
CHAT = "chat"
FORM_FIELD = {
    hostile.FORM_SUBJECT: "subject",
    hostile.FORM_DESCRIPTION: "description",
    hostile.FORM_TAGS: "tags",
}
JOURNEYS = {
    ACTION: hostile.SHORTCUT,
    ACTION_HTML: hostile.SHORTCUT,
    CHAT: hostile.DM,
    **{name: name for name in hostile.FORM_JOURNEYS},
}
"""Each Teams journey, and the Slack journey of the corpus whose ending it shares."""
TYPED = (ACTION, CHAT)
"""Journeys where the prefilled form must hold exactly what the person typed."""

# --------------------------------------------------------------------------- people

EVIL_FILER = "U0EVILFL"
"""A member whose Teams display name is Teams markup (the announcement mentions them)."""
EVIL_NAME = "<at>Everyone</at> **Boss** [x](https://evil.example) & <script>alert(4)</script> _~`#"
CARD_BOT = "U0CARDBT"
"""An app that posts cards (its messages have no text, and no user as author)."""
NAMES = {
    **{user: str(profile["real_name"]) for user, profile in hostile.USERS.items()},
    hostile.HOSTILE_NAME: str(hostile.USERS[hostile.HOSTILE_NAME]["name"]),
    hostile.STRANGER: "Someone Elsewhere",
    EVIL_FILER: EVIL_NAME,
    CARD_BOT: "Build <b>bot</b>",
}
PEOPLE = {user: tr.person(name) for user, name in NAMES.items()}
"""The corpus' members as Teams people (`29:` ids, Entra object ids, display names)."""
MEMBERS: dict[str, dict[str, Any]] = {
    hostile.FILER: {"email": hostile.FILER_EMAIL},
    hostile.AUTHOR: {"email": "ada@example.com"},
    hostile.NO_EMAIL: {"upn": "guest_example.com#EXT#@contoso.onmicrosoft.com"},
    EVIL_FILER: {"email": "mallory@example.com"},
}
"""Who the members API knows (STRANGER is from another organisation: unknown)."""
EMAILS = {hostile.FILER: hostile.FILER_EMAIL, EVIL_FILER: "mallory@example.com"}

# --------------------------------------------------------------------------- cases

SLACK_SHAPED = {"files-only", "blocks-only", "bot-message"}
"""Cases whose words live in Slack-only fields (files, blocks, attachments): Teams' own
versions are in `TEAMS_CASES`."""
SAYS = {"filer-unknown-to-slack": "couldn't find you"}
"""Teams' words for a refusal, where Slack's differ."""

TEAMS_CASES: tuple[Case, ...] = (
    Case(
        "teams-markup",
        "<at>Everyone</at> **URGENT** [click](https://evil.example/x) _it_ ~s~ `code` "
        "{{DATE(2017-02-14T06:00:00Z, SHORT)}}\n# heading\n- item\n+ item\n1. first\n> quote\n"
        "===\n&lt;at&gt;Everyone&lt;/at&gt; &#60;b&#62; AT&T <https://autolink.example> \\*",
        journeys=(hostile.SHORTCUT, hostile.DM, *hostile.FORM_JOURNEYS),
        expect={hostile.FORM_TAGS: hostile.error("tags")},
    ),
    Case(
        "teams-hostile-filer-name",
        "Printer on floor 3 is jammed",
        journeys=(hostile.SHORTCUT, hostile.DM, hostile.FORM_SUBJECT),
        filer=EVIL_FILER,
    ),
    Case(
        "teams-card-message",
        '<attachment id="5e4f0c1a2b3d4e5f"></attachment>',
        journeys=(hostile.SHORTCUT,),
        author=CARD_BOT,
        bot_id=CARD_BOT,
    ),
)
"""Teams' own markup, a member whose name is markup, and a bot's card (no words at all)."""

EXPECT = {
    ("teams-card-message", ACTION_HTML): hostile.error("subject"),
}
"""Teams endings that differ from the corpus' Slack ones."""

CASES = [case for case in hostile.CASES if case.name not in SLACK_SHAPED] + list(TEAMS_CASES)


def runs() -> list[tuple[Case, str]]:
    return [
        (case, journey)
        for case in CASES
        for journey, slack_journey in JOURNEYS.items()
        if slack_journey in case.journeys
    ]


# --------------------------------------------------------------------------- fixtures


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_app() -> AsyncIterator[TeamsHarness]:
    """One Teams surface, FakeTeams and FakeServiceOps for every test of the module."""
    async with FakeTeams() as teams, FakeServiceOps(departments=DEPARTMENTS) as desk:
        for user, member in MEMBERS.items():
            person = PEOPLE[user]
            teams.add_user(
                person.id, name=person.name, aad_object_id=person.aad_object_id, **member
            )
        harness = await start_teams(teams, desk, FormConfig(departments=DEPARTMENTS))
        try:
            yield harness
        finally:
            await stop_teams(harness)


# --------------------------------------------------------------------------- one journey


@dataclass
class Journey:
    """One case through one journey, and the marks that tell its traffic from earlier tests'."""

    app: TeamsHarness
    case: Case
    name: str
    message_id: str = field(default_factory=tr.new_message_id)
    since: float = 0.0
    submitted_at: float = 0.0
    created_before: int = 0
    responses_before: int = 0
    answers: list[dict[str, Any]] = field(default_factory=list)
    payload: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.since = self.app.teams.clock()
        self.created_before = len(self.app.desk.created)
        self.responses_before = len(self.app.responses)

    @property
    def teams(self) -> FakeTeams:
        return self.app.teams

    @property
    def outcome(self) -> str:
        return EXPECT.get((self.case.name, self.name)) or self.case.outcome(JOURNEYS[self.name])

    @property
    def filer(self) -> tr.Person:
        return PEOPLE[self.case.filer]

    @property
    def author(self) -> tr.Person:
        return PEOPLE[self.case.author or hostile.AUTHOR]

    @property
    def chat(self) -> str:
        """The filer's 1:1 chat with the bot."""
        return tr.personal_conversation_id(self.filer.id, self.teams.app_id)

    def calls(self, *kinds: str) -> list[Call]:
        return [
            c for c in self.teams.calls if c.time >= self.since and (not kinds or c.kind in kinds)
        ]

    def created(self) -> list[dict[str, Any]]:
        return self.app.desk.created[self.created_before :]

    def announced_in(self) -> tuple[str, str | None]:
        """Conversation and thread where the ticket must be announced."""
        if self.name == CHAT:
            return self.chat, None
        return DESK.id, self.message_id

    async def invoke(self, activity: dict[str, Any]) -> dict[str, Any]:
        answer = await self.app.invoke(activity)
        self.answers.append(answer)
        return answer


def message_html(journey: Journey) -> str:
    """The body of the message the action is used on."""
    if journey.name in FORM_FIELD:
        return "<p>Printer jammed on floor 3</p>"
    if journey.name == ACTION_HTML:
        return journey.case.text
    return as_typed_in_teams(journey.case.text)


def as_typed_in_teams(text: str) -> str:
    """What the Teams client writes for a message typed as `text`: a paragraph per line,
    `<`, `>` and `&` as entities."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in lines)


async def open_form(journey: Journey) -> dict[str, Any]:
    """Run the journey up to the opened form; the form's card."""
    app, filer = journey.app, journey.filer
    if journey.name == CHAT:
        message = tr.personal_message(
            journey.case.text, sender=filer, activity_id=journey.message_id, bot=app.bot
        )
        assert (await app.send(message)).status_code == 200
        [prompt] = await journey.teams.wait_for(
            "send", where=lambda c: c.time >= journey.since and c.conversation == journey.chat
        )
        assert prompt.card is not None, prompt.activity
        create = button(prompt.card, ids.OPEN_FORM)
        answer = await journey.invoke(tr.task_fetch(create["data"], sender=filer, bot=app.bot))
    else:
        fetch = tr.message_action_fetch(
            message_html(journey),
            author=journey.author,
            message_id=journey.message_id,
            conversation=DESK,
            sender=filer,
            bot=app.bot,
        )
        journey.payload = fetch["value"]["messagePayload"]
        if journey.case.bot_id:  # a bot's message: written by an application, not a user
            journey.payload["from"] = {
                "user": None,
                "application": {
                    "id": journey.author.aad_object_id,
                    "displayName": journey.author.name,
                    "applicationIdentityType": "bot",
                },
            }
        answer = await journey.invoke(fetch)
    form = check_dialog(answer)
    assert set(inputs(form)) >= set(FORM_FIELD.values()), form
    return form


def fields_to_submit(journey: Journey, form: dict[str, Any]) -> dict[str, str]:
    """Text journeys: the prefilled form as is. Form journeys: the text typed into one field."""
    if journey.name in FORM_FIELD:
        return BENIGN | {FORM_FIELD[journey.name]: journey.case.text}
    return initial_values(form)


async def submit(journey: Journey, form: dict[str, Any], typed: dict[str, str]) -> dict[str, Any]:
    app = journey.app
    data = submit_data(form, **typed)
    if journey.name == CHAT:
        activity = tr.task_submit(data, sender=journey.filer, bot=app.bot)
    else:
        activity = tr.message_action_submit(
            data, payload=journey.payload, conversation=DESK, sender=journey.filer, bot=app.bot
        )
    journey.submitted_at = journey.teams.clock()
    return await journey.invoke(activity)


# --------------------------------------------------------------------------- endings


def assert_ticket(journey: Journey, answer: dict[str, Any], submitted: dict[str, str]) -> None:
    assert answer["task"]["value"]["title"] == "Ticket created", answer
    [created] = journey.created()
    assert created["requesterEmail"] == EMAILS[journey.case.filer]
    assert created["name"] in shown(answer)
    assert created["subject"] == words(clean(submitted["subject"]))  # as typed, on one line
    text = journey.case.text
    if journey.name in FORM_FIELD:
        if journey.name == hostile.FORM_TAGS and journey.case.tags is not None:
            assert tuple(created.get("tags", ())) == journey.case.tags
    elif journey.name in TYPED:  # the form holds what the person typed
        assert submitted["subject"] == first_line(text, 250)
        assert_is_what_was_typed(submitted.get("description") or "", text)
    typed = submitted.get("description") or ""
    if not unwanted_characters(typed):  # ServiceOps gets what was typed (as HTML)
        assert words(typed) in words(plain_description(created.get("description") or ""))

    conversation, thread = journey.announced_in()
    posts = [
        c
        for c in journey.teams.posted(conversation)
        if c.time >= journey.since and created["name"] in c.text
    ]
    assert len(posts) == 1, f"expected the ticket announced once in {conversation}: {posts}"
    assert posts[0].thread_root == thread
    [mentioned] = posts[0].activity["entities"]
    assert mentioned["mentioned"]["id"] == journey.filer.id


def assert_is_what_was_typed(prefilled: str, typed: str) -> None:
    """The prefilled description is the typed text (cut to fit, with a note, when long)."""
    expected = words(clean(typed))
    if prefilled.endswith(TRIMMED_MARKER):
        kept = words(prefilled.removesuffix(TRIMMED_MARKER))
        assert kept
        assert expected.startswith(kept), (kept[:80], expected[:80])
    else:
        assert words(prefilled) == expected


def plain_description(description: str) -> str:
    """The text behind the description's HTML (paragraphs and line breaks)."""
    text = description.replace("</p><p>", "\n\n").replace("<br>", "\n")
    return html.unescape(text.removeprefix("<p>").removesuffix("</p>"))


def words(text: str) -> str:
    return " ".join(text.split())


def assert_inline_error(journey: Journey, answer: dict[str, Any]) -> None:
    name = journey.outcome.removeprefix("error:")
    form = check_dialog(answer)
    body = form["body"]
    [where] = [i for i, e in enumerate(body) if e.get("id") == name]
    below = body[where + 1]
    assert below["type"] == "TextBlock", below
    assert below.get("color") == "Attention", below
    assert below["text"].strip()
    assert journey.created() == []
    later = [c for c in journey.calls(*POSTING) if c.time >= journey.submitted_at]
    assert later == [], "the form with its error is the whole answer"


def assert_refused(journey: Journey, answer: dict[str, Any]) -> None:
    says = SAYS.get(journey.case.name) or journey.case.says
    assert says
    assert answer["task"]["value"]["title"] == "Ticket not created", answer
    assert says in shown(answer)
    assert journey.created() == []
    if journey.case.filer not in MEMBERS:
        return  # Teams knows no chat with them: the dialog is the only place that can say it
    private = [c for c in journey.teams.posted(journey.chat) if c.time >= journey.submitted_at]
    assert any(says in shown(c.activity) for c in private), "not told in their chat"


# --------------------------------------------------------------------------- safety

POSTING = ("send", "reply", "update", "create_conversation")
PORTAL = r"/t/request/view/\d+"
BOT_BOLD = {
    "Subject:",
    "Your ticket wasn't created.",
    "Creating your ticket…",
    "Create ticket",
}
"""The bot's own words in bold (card text); anything else in bold came from a person."""
BOT_TEXTS = [re.compile(r"Separate with commas or spaces \(up to \d+\)\.")]
"""Card texts entirely the bot's, with characters Markdown reads but never as markup here."""
NUMBER = re.compile(r"[A-Z]+-\d+|#\d+")
ESCAPED = re.compile(r"\\(.)", re.DOTALL)
CARD_SPECIALS = re.compile(r"[*_~`\[\]()<>]")
CARD_LINE_START = re.compile(r"^[ \t]*(?:[#+=-]|[0-9]+\.)", re.MULTILINE)
ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
MESSAGE_SPECIALS = re.compile(r"[*_~`\[\]#\\<>\"]")
MESSAGE_LINE_START = re.compile(r"^[ \t]*(?:[+=-]|[0-9]+\.)", re.MULTILINE)
BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;|quot;|#[0-9]+;)")


def shown(obj: Any) -> str:
    """Every string in `obj`, as a reader sees card text (escapes removed)."""
    return "\n".join(ESCAPED.sub(r"\1", text) for text in strings(obj))


def strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from strings(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from strings(item)


def card_texts(obj: Any) -> Iterator[str]:
    """The Markdown text of every TextBlock (and fact value) in `obj`."""
    if isinstance(obj, dict):
        if obj.get("type") == "TextBlock":
            yield obj["text"]
        if obj.get("type") == "Fact":
            yield obj["value"]
        for value in obj.values():
            yield from card_texts(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from card_texts(item)


def unwanted_characters(text: str) -> list[str]:
    return [
        f"U+{ord(ch):04X}"
        for ch in text
        if ch not in "\n\t" and unicodedata.category(ch) in ("Cc", "Cs")
    ]


def assert_card_text_escaped(journey: Journey, text: str, where: str) -> None:
    """The only Markdown in card text is the bot's own: its bold words and portal links."""
    if any(pattern.fullmatch(text) for pattern in BOT_TEXTS):
        return
    portal = re.escape(journey.app.desk.url) + PORTAL
    masked = ESCAPED.sub("\ue000", text)  # an escaped character is inert: never markup
    masked = re.sub(
        r"\[([^\[\]]*)\]\((" + portal + r")\)", lambda m: m.group(1), masked
    )  # the bot's links to the ticket: their labels
    for bold in re.findall(r"\*\*(.+?)\*\*", masked):
        assert bold in BOT_BOLD or NUMBER.fullmatch(bold), f"{where}: **{bold}** in {text!r}"
    masked = re.sub(r"\*\*(.+?)\*\*", r"\1", masked)
    found = CARD_SPECIALS.findall(masked)
    assert not found, f"{where} shows {found} unescaped: {text!r}"
    assert not CARD_LINE_START.search(masked), f"{where} starts a line with markup: {text!r}"
    assert not ENTITY.search(masked), f"{where} has an entity of the person's own: {text!r}"


def assert_message_text_escaped(journey: Journey, activity: dict[str, Any], where: str) -> None:
    """The only markup in message text (XML) is the bot's own: one mention, bold, links to
    the ticket; everything else is an entity."""
    text = str(activity.get("text") or "")
    if not text:
        return
    assert activity.get("textFormat") == "xml", activity
    portal = re.escape(journey.app.desk.url) + PORTAL
    for entity in activity.get("entities") or []:
        if entity.get("type") == "mention":
            tag = entity["text"]
            assert tag.startswith("<at>"), tag
            assert tag.endswith("</at>"), tag
            assert tag in text
            assert entity["mentioned"]["id"] == journey.filer.id
            text = text.replace(tag, tag.removeprefix("<at>").removesuffix("</at>"), 1)
    text = re.sub(r'<a href="' + portal + r'">|</a>|</?b>', "", text)
    assert not BARE_AMPERSAND.search(text), f"{where} has an unescaped '&': {text!r}"
    found = MESSAGE_SPECIALS.findall(ENTITY.sub("\ue000", text))
    assert not found, f"{where} shows {found} unescaped: {text!r}"
    assert not MESSAGE_LINE_START.search(text), f"{where} starts a line with markup: {text!r}"


def assert_safe_for_teams(journey: Journey) -> None:
    """Teams accepted every post, every card is valid, and what it shows is escaped."""
    calls = journey.calls()
    # Someone from another organisation: Teams knows no such member, nor a chat with them.
    unknown = journey.case.filer not in MEMBERS
    expected_refusals = {"member", "create_conversation"} if unknown else set()
    refused = [(c.kind, c.status, c.error) for c in calls if not c.ok]
    assert all(kind in expected_refusals for kind, _, _ in refused), f"Teams refused: {refused}"
    shown_to_people: list[tuple[str, Any]] = [("dialog", a) for a in journey.answers]
    for answer in journey.answers:
        if answer["task"]["type"] == "continue":
            check_dialog(answer)
    for call in calls:
        if call.kind in POSTING and call.ok and call.activity:
            check_message(call.activity)
            assert_message_text_escaped(journey, call.activity, call.kind)
            shown_to_people.append((call.kind, call.activity))
    for where, obj in shown_to_people:
        for text in card_texts(obj):
            assert_card_text_escaped(journey, text, where)
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
        assert set(re.findall(r"<[^>]*>", description)) <= {"<p>", "</p>", "<br>"}, description
        assert "<script" not in description.lower()
        tags = body.get("tags") or []
        assert len(tags) <= 10
        for tag in tags:
            assert 0 < len(tag) <= 50, tag
            assert not tag.startswith("#"), tag
            assert not re.search(r"[,\s]", tag), tag
        for text in [subject, description, *tags]:
            assert not unwanted_characters(text), f"ServiceOps gets {unwanted_characters(text)}"


def assert_prefilled(form: dict[str, Any]) -> None:
    """The subject is one line within the limit, cut between characters."""
    subject = initial_values(form).get("subject", "")
    assert "\n" not in subject
    assert len(subject) <= 250
    body = subject.removesuffix("…")
    assert not body.endswith("\u200d"), "a cut inside an emoji sequence"
    flags = len(body) - len(body.rstrip("".join(map(chr, range(0x1F1E6, 0x1F200)))))
    assert flags % 2 == 0, "a cut inside a flag"


def assert_no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [(r.name, r.getMessage(), r.exc_info) for r in errors]
    assert "Traceback" not in caplog.text


# --------------------------------------------------------------------------- the test


@pytest.mark.parametrize(
    ("case", "journey_name"),
    [pytest.param(case, journey, id=f"{case.name}-{journey}") for case, journey in runs()],
)
async def test_hostile_input_ends_in_a_ticket_or_a_message(
    shared_app: TeamsHarness,
    caplog: pytest.LogCaptureFixture,
    case: Case,
    journey_name: str,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot")
    journey = Journey(shared_app, case, journey_name)

    form = await open_form(journey)
    assert_prefilled(form)
    submitted = fields_to_submit(journey, form)
    answer = await submit(journey, form, submitted)
    await shared_app.settle()

    outcome = journey.outcome
    if outcome == hostile.TICKET:
        assert_ticket(journey, answer, submitted)
    elif outcome == hostile.REFUSED:
        assert_refused(journey, answer)
    else:
        assert_inline_error(journey, answer)
    assert_safe_for_teams(journey)
    assert_safe_for_serviceops(journey)
    assert_no_errors_logged(caplog)
