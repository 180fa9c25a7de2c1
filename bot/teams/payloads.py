"""Reading Teams activities: who acted, where, and what the message says (pure functions).

Teams' ids map onto core's `Origin`: tenant → workspace, the conversation id without its
`;messageid=` suffix → conversation, the root message of a channel thread → thread, the
message a ticket is about → message, the activity's `serviceUrl` → endpoint. Chats (1:1 and
group) have no threads: results are posted in the chat itself.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from bot.core.model import Entry, Origin, TicketDraft
from bot.core.text import clean, first_line

THREAD_MARK = ";messageid="
SUBJECT_MAX = 250

Activity = dict[str, Any]


def conversation_of(activity: Activity) -> tuple[str, str | None]:
    """The conversation id without a thread suffix, and the thread root it names (if any)."""
    raw = str((activity.get("conversation") or {}).get("id") or "")
    base, _, root = raw.partition(THREAD_MARK)
    return base, root or None


def conversation_type(activity: Activity) -> str:
    """`personal`, `groupChat` or `channel`."""
    return str((activity.get("conversation") or {}).get("conversationType") or "personal")


def is_group_conversation(conversation: str | None) -> bool:
    """A channel or a group chat (`19:…`), not a 1:1 chat with the bot (`a:…`): the only
    kinds whose members include people other than the one acting."""
    return bool(conversation) and str(conversation).startswith("19:")


def tenant_of(activity: Activity) -> str | None:
    tenant = ((activity.get("channelData") or {}).get("tenant") or {}).get("id")
    return tenant or (activity.get("conversation") or {}).get("tenantId")


def user_of(activity: Activity) -> str:
    return str((activity.get("from") or {}).get("id") or "")


def from_message(activity: Activity) -> Origin:
    """A message to the bot: in a 1:1 chat (`dm`) or mentioning it (`mention`).

    In a channel, the thread is the one the message is in (a new post starts its own); one
    ticket per thread, as on Slack. In a chat, each message is its own source.
    """
    conversation, root = conversation_of(activity)
    kind = conversation_type(activity)
    entry: Entry = "dm" if kind == "personal" else "mention"
    message_id = str(activity.get("id") or "")
    thread = (root or message_id) if kind == "channel" else None
    return Origin(
        platform="teams",
        entry=entry,
        workspace=tenant_of(activity),
        user=user_of(activity),
        conversation=conversation,
        thread=thread,
        message=thread or message_id,
        endpoint=activity.get("serviceUrl"),
    )


def from_message_action(activity: Activity) -> Origin:
    """ "Create ticket" on a message: the message's thread in a channel (its root for a
    reply), the chat itself otherwise. The person who acted is the requester."""
    conversation, root = conversation_of(activity)
    payload = message_payload(activity)
    message_id = str(payload.get("id") or "") or None
    thread = None
    if conversation_type(activity) == "channel":
        thread = payload.get("replyToId") or root or message_id
    return Origin(
        platform="teams",
        entry="message",
        workspace=tenant_of(activity),
        user=user_of(activity),
        conversation=conversation,
        thread=thread,
        message=message_id,
        endpoint=activity.get("serviceUrl"),
    )


def message_payload(activity: Activity) -> dict[str, Any]:
    value = activity.get("value") or {}
    payload = value.get("messagePayload") if isinstance(value, dict) else None
    return payload if isinstance(payload, dict) else {}


def payload_author(activity: Activity) -> tuple[str | None, str | None]:
    """The id and display name of who wrote the message an action is on."""
    user = ((message_payload(activity).get("from") or {}).get("user")) or {}
    return user.get("id"), user.get("displayName")


def payload_text(activity: Activity) -> str:
    """The words of the message an action is on (its body is HTML)."""
    body = message_payload(activity).get("body") or {}
    content = str(body.get("content") or "")
    if str(body.get("contentType") or "html").lower() == "text":
        return clean(content)
    return html_to_text(content)


def message_text(activity: Activity, *, bot_id: str | None) -> str:
    """A message's words without the bot's own mention (others' become `@Name`).

    Teams sends what the person typed as is (`textFormat: "plain"`): `<`, `>` and `&` are
    their own characters, not markup, and are kept. The only markup is a mention,
    `<at>Name</at>`, with that exact text in a `mention` entity. Text sent as `xml` is HTML.
    """
    text = str(activity.get("text") or "")
    for entity in activity.get("entities") or []:
        if not isinstance(entity, dict) or entity.get("type") != "mention":
            continue
        tag = str(entity.get("text") or "")
        mentioned = (entity.get("mentioned") or {}).get("id")
        if not tag:
            continue
        if mentioned and bot_id and _same_bot(mentioned, bot_id):
            text = text.replace(tag, " ")
        elif tag.startswith("<at>") and tag.endswith("</at>"):
            text = text.replace(tag, "@" + tag.removeprefix("<at>").removesuffix("</at>"))
    if str(activity.get("textFormat") or "plain").lower() == "xml":
        return html_to_text(text)
    return _tidy(clean(text))


def mentions(activity: Activity, bot_id: str) -> bool:
    """Whether the message @mentions the bot."""
    for entity in activity.get("entities") or []:
        if isinstance(entity, dict) and entity.get("type") == "mention":
            mentioned = (entity.get("mentioned") or {}).get("id")
            if isinstance(mentioned, str) and bot_id and _same_bot(mentioned, bot_id):
                return True
    return False


def draft_from_text(text: str) -> TicketDraft:
    """Subject = the first line that shows something; description = the whole text."""
    return TicketDraft(subject=first_line(text, SUBJECT_MAX), description=text.strip())


def html_to_text(content: str) -> str:
    """Teams message HTML as plain text: tags dropped (`<at>` becomes `@Name`), entities
    decoded, paragraphs and line breaks kept, scripts and styles dropped with their text."""
    parser = _TextParser()
    parser.feed(content)
    parser.close()
    return _tidy(clean("".join(parser.parts)))


def _tidy(text: str) -> str:
    """No spaces at line ends, at most one blank line in a row, none around."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _same_bot(mentioned: str, bot_id: str) -> bool:
    return mentioned == bot_id or mentioned.removeprefix("28:") == bot_id.removeprefix("28:")


_BREAKS = frozenset({"br"})
_BLOCKS = frozenset(
    {"p", "div", "li", "tr", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_HIDDEN = frozenset({"script", "style", "head", "title"})


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BREAKS:
            self.parts.append("\n")
        elif tag == "li":
            self._block_break()
            self.parts.append("• ")
        elif tag in _BLOCKS:
            self._block_break()
        elif tag == "at":
            self.parts.append("@")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self._block_break()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)

    def _block_break(self) -> None:
        if self.parts and not "".join(self.parts[-2:]).endswith("\n"):
            self.parts.append("\n")
