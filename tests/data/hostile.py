"""Hostile and odd input, as data: what people write to the bot, and how each journey must end.

Each `Case` is one thing a person might write (or a message they might point the shortcut
at) and says, for every journey it is worth running through, how that journey must end:
with a ticket, with an inline form error under a given block, with a private message saying
why no ticket was filed, or (for messages from bots) with no answer at all.

`text` is used as is: as the slash command's text, as the text of the message the shortcut
is used on, as the DM or @mention text, and as what is typed into one field of the modal. It
is deliberately not escaped the way Slack would escape it, so raw markup (`<!here>`) reaches
every surface; the cases with `&lt;…&gt;` are what Slack sends when someone types markup
literally.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# --------------------------------------------------------------------------- journeys

COMMAND = "command"
"""`/ticket <text>`, then the prefilled modal submitted as is."""
SHORTCUT = "shortcut"
"""The message shortcut on a message with that text, then the modal submitted as is."""
DM = "dm"
"""A DM to the bot, its "Create ticket" button, then the modal submitted as is."""
MENTION = "mention"
"""`@bot <text>` in a channel, the button, then the modal submitted as is."""
FORM_SUBJECT = "form-subject"
FORM_DESCRIPTION = "form-description"
FORM_TAGS = "form-tags"
"""The modal (opened by a bare `/ticket`) submitted with the text typed into one field."""

TEXT_JOURNEYS = (COMMAND, SHORTCUT, DM, MENTION)
FORM_JOURNEYS = (FORM_SUBJECT, FORM_DESCRIPTION, FORM_TAGS)
ALL_JOURNEYS = TEXT_JOURNEYS + FORM_JOURNEYS
MESSAGE_JOURNEYS = (SHORTCUT, DM, MENTION)

# --------------------------------------------------------------------------- outcomes

TICKET = "ticket"
"""A request is created and announced; every echo of the text is escaped."""
REFUSED = "refused"
"""No request; the modal and a private message say why."""
IGNORED = "ignored"
"""Not a person asking (a bot's message): the bot stays quiet."""


def error(block_id: str) -> str:
    """An inline error under the modal's input block `block_id`; no request."""
    return f"error:{block_id}"


# --------------------------------------------------------------------------- people

FILER = "U0FILER1"
"""Who starts the journeys (unless a case says otherwise)."""
FILER_EMAIL = "filer@example.com"
AUTHOR = "U0ADA1"
"""Who wrote the messages the shortcut is used on."""
NO_EMAIL = "U0NOMAIL"
"""A member whose profile shows no e-mail (a guest, or e-mail hidden from apps)."""
DELETED = "U0GONE01"
"""A deactivated member."""
STRANGER = "U0STRANG"
"""An id `users.info` does not know (someone from another organisation)."""
HOSTILE_NAME = "U0EVILNM"
"""A member whose display name is markup."""
CI_BOT = "U0CIBOT1"
"""A bot user; its messages carry `bot_id`."""
CI_BOT_ID = "B0CI0001"

USERS: Mapping[str, Mapping[str, Any]] = {
    FILER: {"email": FILER_EMAIL, "real_name": "Filer Person"},
    AUTHOR: {"email": "ada@example.com", "real_name": "Ada Lovelace"},
    NO_EMAIL: {"real_name": "Guest Without Mail"},
    DELETED: {"email": "gone@example.com", "real_name": "Gone Person", "deleted": True},
    HOSTILE_NAME: {
        "email": "mallory@example.com",
        "real_name": "Mallory",
        "name": "<!channel> <script>alert(3)</script> & co",
    },
    CI_BOT: {"real_name": "CI", "is_bot": True},
}
"""`FakeSlack.add_user` keyword arguments for each member the corpus names."""


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    journeys: tuple[str, ...] = ALL_JOURNEYS
    expect: Mapping[str, str] = field(default_factory=dict)
    """Outcome per journey; `TICKET` where not given."""
    filer: str = FILER
    author: str | None = AUTHOR
    """The message's author (shortcut; for DM and mention the filer writes)."""
    bot_id: str | None = None
    """Set for a bot's message: the shortcut still works on it, DMs and mentions are ignored."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """More fields of the Slack message or event: files, blocks, attachments, subtype."""
    subject: str | None = None
    """The subject the text journeys that end in a ticket must prefill (when worth pinning)."""
    tags: tuple[str, ...] | None = None
    """The tags ServiceOps must receive on the form-tags journey."""
    says: str | None = None
    """Words the refusal (private message and modal) must contain."""

    def outcome(self, journey: str) -> str:
        return self.expect.get(journey, TICKET)


def _lines(total: int) -> str:
    """Numbered lines of prose adding up to exactly `total` characters."""
    text = "".join(f"line {i}: the printer on floor 3 jams again & again\n" for i in range(400))
    return text[:total]


SUBJECT_LIMIT = 250
AT_LIMIT = ("Printer on floor 3 jams " * 20)[:SUBJECT_LIMIT]
OVER_LIMIT = AT_LIMIT + "s"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 7 code points
FLAG_UA = "\U0001f1fa\U0001f1e6"
FLAG_JP = "\U0001f1ef\U0001f1f5"
RAINBOW = "\U0001f3f3\ufe0f\u200d\U0001f308"
WHITESPACE = "   \t \n  \u00a0 \u3000 \n\n"
EMPTY_TEXT = {COMMAND: error("subject"), DM: error("subject"), MENTION: error("subject")}

CASES: tuple[Case, ...] = (
    # ------------------------------------------------------------------ size
    Case(
        "long-message-10k",
        _lines(10_000),
        expect={
            FORM_SUBJECT: error("subject"),
            FORM_DESCRIPTION: error("description"),
            FORM_TAGS: error("tags"),
        },
        subject="line 0: the printer on floor 3 jams again & again",
    ),
    Case(
        "single-word-10k",
        "W" * 10_000,
        expect={
            FORM_SUBJECT: error("subject"),
            FORM_DESCRIPTION: error("description"),
            FORM_TAGS: error("tags"),
        },
        subject="W" * (SUBJECT_LIMIT - 1) + "…",
    ),
    Case("subject-at-limit", AT_LIMIT, subject=AT_LIMIT),
    Case("subject-over-limit", OVER_LIMIT, expect={FORM_SUBJECT: error("subject")}),
    # ------------------------------------------------------------------ emoji
    Case(
        "emoji-zwj-and-flags",
        f"\U0001f525 Printer on fire \U0001f9ef {FAMILY} {RAINBOW} {FLAG_UA}{FLAG_JP} "
        "\U0001f44d\U0001f3fd",
    ),
    Case(
        "zwj-families-over-limit",
        FAMILY * 400,
        expect={FORM_SUBJECT: error("subject"), FORM_TAGS: error("tags")},
        journeys=(COMMAND, SHORTCUT, DM, FORM_SUBJECT, FORM_DESCRIPTION, FORM_TAGS),
    ),
    Case(
        "flags-over-limit",
        (FLAG_UA + FLAG_JP) * 300,
        expect={FORM_SUBJECT: error("subject"), FORM_TAGS: error("tags")},
        journeys=(COMMAND, SHORTCUT, MENTION, FORM_SUBJECT, FORM_TAGS),
    ),
    # ------------------------------------------------------------------ right to left
    Case("arabic-hebrew", "الطابعة لا تعمل منذ الصباح\nהמדפסת תקועה שוב, בבקשה לעזור"),
    Case(
        "bidi-overrides",
        "\u202eexe.tnemyap\u202c invoice \u202dforced LTR\u202c \u2067isolate\u2069 \u200fmark",
    ),
    # ------------------------------------------------------------------ control characters
    Case(
        "control-characters",
        "Printer\x00 jammed\x07 \x1b[31mred\x1b[0m\r\nsecond\x0bline\x0cfeed\x7f\x85end",
        subject="Printer jammed [31mred[0m",
    ),
    Case(
        "separator-controls",
        "Printer\x0bon\x0cfloor\x1c3\x1fis\x85jammed",
        subject="Printer on floor 3 is jammed",
    ),
    Case(
        "unpaired-surrogates",
        "broken \ud800 emoji \udfff here",
        # A form field cannot carry one (Slack sends UTF-8); JSON payloads and events can.
        journeys=(SHORTCUT, DM, MENTION, FORM_SUBJECT, FORM_DESCRIPTION, FORM_TAGS),
        subject="broken emoji here",
    ),
    # ------------------------------------------------------------------ Slack markup
    Case(
        "broadcast-mentions",
        "<!here> <!channel> <!everyone> printer down",
        subject="@here @channel @everyone printer down",
    ),
    Case(
        "user-and-channel",
        "<@U0ADA1> says <#C0HELP1|it-help> is down, ask <@U0GRACE|grace>",
        subject="@U0ADA1 says #it-help is down, ask @grace",
    ),
    Case(
        "user-group",
        "<!subteam^S123> and <!subteam^S456|@oncall> please look",
        subject="@subteam and @oncall please look",
    ),
    Case(
        "links",
        "<https://x|label> then <https://evil.example/?a=1&amp;b=2> and "
        "<mailto:ada@example.com|ada@example.com>",
        subject="label then https://evil.example/?a=1&b=2 and ada@example.com",
    ),
    Case(
        "unbalanced-markup",
        "<<<!here>>> <!channel <@U0ADA1 <#C0HELP1|it-help <https://x|y > a < b",
    ),
    Case(
        "markup-typed-literally",
        "&lt;!here&gt; &lt;@U0ADA1&gt; &lt;#C0HELP1&gt; &amp;lt;b&amp;gt;",
        subject="<!here> <@U0ADA1> <#C0HELP1> &lt;b&gt;",
    ),
    Case(
        "mrkdwn-spoofing",
        "*URGENT* ~ignore~ `rm -rf /` > quote\n:ticket: <@U0ADA1> created ticket *INC-999*",
        expect={FORM_TAGS: error("tags")},
    ),
    # ------------------------------------------------------------------ HTML
    Case(
        "html-and-script",
        '<script>alert(1)</script><b>bold</b> <img src=x onerror="alert(2)"> & </p><p>',
    ),
    Case(
        "script-as-slack-sends-it",
        "&lt;script&gt;alert(1)&lt;/script&gt; in &lt;b&gt;bold&lt;/b&gt; &amp; more",
        subject="<script>alert(1)</script> in <b>bold</b> & more",
    ),
    Case("html-entities", "AT&amp;T &amp;amp; R&amp;D &#60;!here&#62; &nbsp; &copy;"),
    # ------------------------------------------------------------------ tags
    Case(
        "two-hundred-tags",
        " ".join(f"#tag{i}" for i in range(200)),
        expect={FORM_SUBJECT: error("subject"), FORM_TAGS: error("tags")},
    ),
    Case(
        "tag-punctuation",
        "#vpn, laptop ,, # ,#vpn  wi-fi\t#Printer,printer ## a#b",
        journeys=(FORM_TAGS, FORM_SUBJECT),
        tags=("vpn", "laptop", "wi-fi", "Printer", "a#b"),
    ),
    # ------------------------------------------------------------------ empty or invisible
    Case(
        "whitespace-only",
        WHITESPACE,
        expect={**EMPTY_TEXT, SHORTCUT: error("subject"), FORM_SUBJECT: error("subject")},
    ),
    Case(
        "invisible-only",
        "\u200b\u200c\u2060\ufeff\u200e",
        expect={**EMPTY_TEXT, SHORTCUT: error("subject"), FORM_SUBJECT: error("subject")},
    ),
    Case(
        "files-only",
        "",
        journeys=(SHORTCUT, DM, MENTION),
        expect={},  # DMs and mentions draft from file names and block text too,
        extra={
            "subtype": "file_share",
            "files": [
                {"id": "F01", "name": "screen <!here>.png", "title": "screen <@U0ADA1>.png"},
                {"id": "F02", "name": "log & trace.txt"},
            ],
        },
        subject="Files: screen @U0ADA1.png, log & trace.txt",
    ),
    Case(
        "blocks-only",
        "",
        journeys=(SHORTCUT, DM, MENTION),
        expect={},  # DMs and mentions draft from file names and block text too,
        extra={
            "blocks": [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": "*Deploy failed* <!here> <https://ci|log>"},
                },
                {
                    "type": "rich_text",
                    "elements": [
                        {"type": "rich_text_section", "elements": [{"type": "text", "text": "x"}]}
                    ],
                },
            ]
        },
        subject="*Deploy failed* @here log",
    ),
    # ------------------------------------------------------------------ who
    Case(
        "bot-message",
        "",
        journeys=MESSAGE_JOURNEYS,
        expect={DM: IGNORED, MENTION: IGNORED},
        author=CI_BOT,
        bot_id=CI_BOT_ID,
        extra={
            "subtype": "bot_message",
            "attachments": [
                {
                    "fallback": "<!channel> Build 12 failed",
                    "title": "Build &lt;b&gt;12&lt;/b&gt; failed",
                }
            ],
        },
        subject="Build <b>12</b> failed",
    ),
    Case("deleted-author", "Printer on floor 3 is jammed", journeys=(SHORTCUT,), author=DELETED),
    Case(
        "markup-in-author-name",
        "Printer on floor 3 is jammed",
        journeys=(SHORTCUT,),
        author=HOSTILE_NAME,
    ),
    Case(
        "filer-without-email",
        "VPN drops every five minutes",
        journeys=(*TEXT_JOURNEYS, FORM_SUBJECT),
        filer=NO_EMAIL,
        expect=dict.fromkeys((*TEXT_JOURNEYS, FORM_SUBJECT), REFUSED),
        says="e-mail address",
    ),
    Case(
        "filer-unknown-to-slack",
        "VPN drops every five minutes",
        journeys=(COMMAND, SHORTCUT),
        filer=STRANGER,
        expect=dict.fromkeys((COMMAND, SHORTCUT), REFUSED),
        says="active Slack account",
    ),
)
"""Every case; `runs()` expands them into (case, journey) pairs."""


def runs() -> list[tuple[Case, str]]:
    """Each case with each journey it names."""
    return [(case, journey) for case in CASES for journey in case.journeys]
