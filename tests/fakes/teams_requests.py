"""Build the activities Microsoft Teams (the Bot Connector) posts to a bot's `POST /api/messages`.

Every builder returns a plain dict, ready to JSON-encode, shaped like what Teams sends: a
unique `id`, `timestamp`, `serviceUrl`, `channelId: "msteams"`, `from` (a `29:` user id with
`aadObjectId` and `name`), `recipient` (the bot, `28:<app id>`), `conversation` (with
`conversationType`, `tenantId`, and an id that says where: `a:1…` for a 1:1 chat,
`19:…@thread.tacv2` for a channel, `19:…@thread.v2` for a group chat; a channel message carries
`;messageid=<thread root>` in its conversation id), `channelData` (`tenant`, and for channels
`team` and `channel`) and `entities` (`clientInfo`, plus `mention` where someone @mentions the bot).

    activity = channel_mention("VPN is down", bot=teams.bot, sender=ada)
    response = await post_activity(http, bot_url, activity, teams.sign())

Who and where are small records: `Bot` (the app id, its name, the service URL Teams calls from
and the tenant: `FakeTeams.bot` gives the fake's), `Person` (anything with `id`, `name` and
`aad_object_id`, such as `FakeTeams.add_user`'s `Member`), `Conversation` (`personal_chat`,
`channel`, `group_chat`). Shapes follow Microsoft's Teams and Bot Framework documentation and
the Teams SDK's activity models (`microsoft_teams.api.activities`), which a unit test checks
every builder against.

All functions are pure: nothing here talks to the network, except `post_activity`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal, NamedTuple, Protocol
from urllib.parse import quote

import httpx2

from bot.teams import ids

JSON = dict[str, Any]

APP_ID = "3f9c2a71-8d4e-4b6a-9c1f-5e7d2b0a4c18"
"""Default app (client) id of the bot's Entra app registration."""
TENANT_ID = "8b1e4f2c-6a3d-4e9b-b7c5-2d0f9a1e6c34"
"""Default Entra tenant (single-tenant app registration)."""
BOT_NAME = "ServiceOps"
SERVICE_URL = "https://smba.trafficmanager.net/amer/"
"""What real Teams sends as `serviceUrl` (with its region segment and trailing slash)."""
TEAM_ID = "19:Vq3bX0kR8nT2yL5wE7pA1sD4fG6hJ9cM@thread.tacv2"
"""A team is addressed by the id of its General channel."""
CHANNEL_ID = "19:8e41c0f2a7b94d53b6e1f0c92d7a3b58@thread.tacv2"
GROUP_CHAT_ID = "19:5a7c1e9b3f2d4b6a8c0e1d3f5b7a9c2e@thread.v2"
THEME = "default"

MESSAGE_ACTION_CONTEXT = "message"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"

ConversationType = Literal["personal", "channel", "groupChat"]


# --------------------------------------------------------------------------- who and where


class Bot(NamedTuple):
    """The bot as Teams addresses it, and where its activities come from."""

    app_id: str = APP_ID
    name: str = BOT_NAME
    service_url: str = SERVICE_URL
    tenant_id: str = TENANT_ID

    @property
    def id(self) -> str:
        """The bot's account id in activities: `28:<app id>`."""
        return f"28:{self.app_id}"


DEFAULT_BOT = Bot()


class PersonLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def aad_object_id(self) -> str: ...


class Person(NamedTuple):
    """Someone in the tenant: the `29:` id Teams gives them for this bot, their name and
    their Entra object id (what Graph and message payloads use)."""

    id: str
    name: str
    aad_object_id: str


def person(name: str) -> Person:
    """A person with stable, realistic ids derived from `name`."""
    digest = hashlib.sha256(name.encode()).digest()
    user_id = "29:1" + base64.urlsafe_b64encode(digest * 2).decode().rstrip("=")[:70]
    return Person(user_id, name, str(uuid.uuid5(uuid.NAMESPACE_URL, f"aad:{name}")))


ADA = person("Ada Lovelace")
GRACE = person("Grace Hopper")


class Conversation(NamedTuple):
    """Where an activity happens. `id` is the base id, without `;messageid=`."""

    id: str
    type: ConversationType
    team_id: str | None = None
    name: str | None = None


def personal_conversation_id(user_id: str, app_id: str = APP_ID) -> str:
    """The 1:1 chat between a person and the bot: one stable `a:1…` id per pair (what the
    Bot Connector's `POST /v3/conversations` returns too)."""
    digest = hashlib.sha256(f"{user_id}|{app_id}".encode()).digest()
    return "a:1" + base64.urlsafe_b64encode(digest * 3).decode().rstrip("=")[:96]


def personal_chat(user: PersonLike = ADA, *, bot: Bot = DEFAULT_BOT) -> Conversation:
    return Conversation(personal_conversation_id(user.id, bot.app_id), "personal")


def channel(
    channel_id: str = CHANNEL_ID, *, team_id: str = TEAM_ID, name: str = "Help Desk"
) -> Conversation:
    return Conversation(channel_id, "channel", team_id=team_id, name=name)


def group_chat(chat_id: str = GROUP_CHAT_ID) -> Conversation:
    return Conversation(chat_id, "groupChat")


THREAD_MARKER = ";messageid="


def thread_id(conversation_id: str, root: str) -> str:
    """The conversation id of a channel thread: `<channel>;messageid=<root message id>`."""
    return f"{conversation_id}{THREAD_MARKER}{root}"


def split_thread(conversation_id: str) -> tuple[str, str | None]:
    """`(base conversation id, thread root or None)` of a conversation id."""
    base, marker, root = conversation_id.partition(THREAD_MARKER)
    return base, (root or None) if marker else None


# --------------------------------------------------------------------------- ids and times

_counter = itertools.count(1)
_last_message_id = 0


def new_message_id() -> str:
    """A Teams message id: milliseconds since the epoch, strictly increasing here."""
    global _last_message_id
    _last_message_id = max(int(time.time() * 1000), _last_message_id + 1)
    return str(_last_message_id)


def new_invoke_id() -> str:
    """An invoke activity's id (`f:` and digits, as Teams sends them)."""
    return f"f:{secrets.randbelow(10**18):018d}{next(_counter) % 10}"


def _timestamps(when: datetime | None) -> dict[str, str]:
    moment = when or datetime.now(UTC)
    local = moment.astimezone(timezone(timedelta(hours=1)))
    return {
        "timestamp": moment.astimezone(UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "localTimestamp": local.isoformat(timespec="milliseconds"),
    }


# --------------------------------------------------------------------------- envelope


def _conversation_json(conversation: Conversation, bot: Bot, thread_root: str | None) -> JSON:
    conversation_id = conversation.id
    if thread_root is not None:
        conversation_id = thread_id(conversation_id, thread_root)
    data: JSON = {"conversationType": conversation.type, "tenantId": bot.tenant_id}
    if conversation.type != "personal":
        data["isGroup"] = True
    data["id"] = conversation_id
    return data


def _channel_data(conversation: Conversation, bot: Bot) -> JSON:
    data: JSON = {}
    if conversation.type == "channel":
        team_id = conversation.team_id or TEAM_ID
        channel_info: JSON = {"id": conversation.id}
        if conversation.name:
            channel_info["name"] = conversation.name
        data.update(
            {
                "teamsChannelId": conversation.id,
                "teamsTeamId": team_id,
                "channel": channel_info,
                "team": {"id": team_id},
            }
        )
    data["tenant"] = {"id": bot.tenant_id}
    return data


def _client_info(locale: str) -> JSON:
    return {
        "type": "clientInfo",
        "locale": locale,
        "country": locale.rsplit("-", 1)[-1],
        "platform": "Web",
        "timezone": "Europe/London",
    }


def envelope(
    activity_type: str,
    *,
    bot: Bot = DEFAULT_BOT,
    sender: PersonLike = ADA,
    conversation: Conversation | None = None,
    thread_root: str | None = None,
    activity_id: str | None = None,
    when: datetime | None = None,
    locale: str = "en-US",
    **fields: Any,
) -> JSON:
    """The envelope every activity shares; `fields` are added at the top level (`text`,
    `name`, `value`, `replyToId`...). `conversation` defaults to the sender's 1:1 chat with
    the bot; `thread_root` puts a channel activity in that thread (`;messageid=`)."""
    where = conversation or personal_chat(sender, bot=bot)
    data: JSON = {
        "type": activity_type,
        "id": activity_id or (new_invoke_id() if activity_type == "invoke" else new_message_id()),
        **_timestamps(when),
        "serviceUrl": bot.service_url,
        "channelId": "msteams",
        "from": {"id": sender.id, "name": sender.name, "aadObjectId": sender.aad_object_id},
        "conversation": _conversation_json(where, bot, thread_root),
        "recipient": {"id": bot.id, "name": bot.name},
        "entities": [_client_info(locale)],
        "channelData": _channel_data(where, bot),
        "locale": locale,
        "localTimezone": "Europe/London",
    }
    data.update(fields)
    return data


# --------------------------------------------------------------------------- messages


def personal_message(
    text: str,
    *,
    bot: Bot = DEFAULT_BOT,
    sender: PersonLike = ADA,
    activity_id: str | None = None,
    when: datetime | None = None,
) -> JSON:
    """Someone writes `text` to the bot in their 1:1 chat with it."""
    return envelope(
        "message",
        bot=bot,
        sender=sender,
        activity_id=activity_id,
        when=when,
        text=text,
        textFormat="plain",
    )


def _mention(
    text: str,
    *,
    bot: Bot,
    bot_name: str | None,
    sender: PersonLike,
    conversation: Conversation,
    thread_root: str | None,
    activity_id: str | None,
    when: datetime | None,
    reply_to_id: str | None,
) -> JSON:
    name = bot_name or bot.name
    tag = f"<at>{name}</at>"
    html = (
        '<div><div><span itemscope="" itemtype="http://schema.skype.com/Mention" '
        f'itemid="0">{name}</span> {_escape_html(text)}</div>\n</div>'
    )
    extra: JSON = {}
    if reply_to_id is not None:
        extra["replyToId"] = reply_to_id
    data = envelope(
        "message",
        bot=bot,
        sender=sender,
        conversation=conversation,
        thread_root=thread_root,
        activity_id=activity_id,
        when=when,
        text=f"{tag} {text}\n",
        textFormat="plain",
        attachments=[{"contentType": "text/html", "content": html}],
        **extra,
    )
    data["entities"].insert(
        0, {"type": "mention", "text": tag, "mentioned": {"id": bot.id, "name": name}}
    )
    return data


def channel_mention(
    text: str,
    *,
    bot_name: str | None = None,
    reply_to_root: str | None = None,
    bot: Bot = DEFAULT_BOT,
    sender: PersonLike = ADA,
    conversation: Conversation | None = None,
    activity_id: str | None = None,
    when: datetime | None = None,
) -> JSON:
    """`@bot text` in a channel (`conversation`, default `channel()`).

    A new post starts its own thread: its conversation id ends with `;messageid=<its own id>`.
    With `reply_to_root`, it is a reply in that thread: `;messageid=<root>` and
    `replyToId=<root>`. The text is as Teams sends it (`<at>ServiceOps</at> text\\n`), with the
    `mention` entity; `bot_name` is the name shown in the mention (default `bot.name`).
    """
    message_id = activity_id or new_message_id()
    return _mention(
        text,
        bot=bot,
        bot_name=bot_name,
        sender=sender,
        conversation=conversation or channel(),
        thread_root=reply_to_root or message_id,
        activity_id=message_id,
        when=when,
        reply_to_id=reply_to_root,
    )


def group_chat_mention(
    text: str,
    *,
    bot_name: str | None = None,
    bot: Bot = DEFAULT_BOT,
    sender: PersonLike = ADA,
    conversation: Conversation | None = None,
    activity_id: str | None = None,
    when: datetime | None = None,
) -> JSON:
    """`@bot text` in a group chat (no threads there: no `;messageid=`)."""
    return _mention(
        text,
        bot=bot,
        bot_name=bot_name,
        sender=sender,
        conversation=conversation or group_chat(),
        thread_root=None,
        activity_id=activity_id,
        when=when,
        reply_to_id=None,
    )


def _escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --------------------------------------------------------------------------- message action


def message_link(
    conversation: Conversation,
    message_id: str,
    *,
    root_id: str | None = None,
    bot: Bot = DEFAULT_BOT,
    created: datetime | None = None,
) -> str:
    """A "Copy link" URL of a message, as Teams puts in `messagePayload.linkToMessage`."""
    created_ms = int((created or datetime.now(UTC)).timestamp() * 1000)
    query = f"tenantId={bot.tenant_id}&createdTime={created_ms}"
    if conversation.type == "channel":
        query += (
            f"&groupId={uuid.uuid5(uuid.NAMESPACE_URL, conversation.team_id or TEAM_ID)}"
            f"&parentMessageId={root_id or message_id}"
            "&teamName=Support"
            f"&channelName={quote(conversation.name or 'General')}"
        )
    return f"https://teams.microsoft.com/l/message/{conversation.id}/{message_id}?{query}"


def message_payload(
    message_html: str,
    *,
    author: PersonLike = GRACE,
    link: str | None = None,
    conversation: Conversation | None = None,
    message_id: str | None = None,
    reply_to_id: str | None = None,
    created: datetime | None = None,
    bot: Bot = DEFAULT_BOT,
) -> JSON:
    """The message a message action was used on (`value.messagePayload`): HTML body, the
    author as `from.user` (its id is the Entra object id, not the `29:` id), a link to it;
    `reply_to_id` is the thread's root when the message is a reply in a channel thread."""
    moment = created or datetime.now(UTC)
    msg_id = message_id or new_message_id()
    where = conversation or channel()
    return {
        "id": msg_id,
        "replyToId": reply_to_id,
        "messageType": "message",
        "createdDateTime": _timestamps(moment)["timestamp"],
        "lastModifiedDateTime": None,
        "deleted": False,
        "subject": None,
        "summary": None,
        "importance": "normal",
        "locale": "en-us",
        "linkToMessage": link
        or message_link(where, msg_id, root_id=reply_to_id, bot=bot, created=moment),
        "from": {
            "user": {
                "id": author.aad_object_id,
                "displayName": author.name,
                "userIdentityType": "aadUser",
            },
            "application": None,
            "device": None,
            "conversation": None,
        },
        "body": {"contentType": "html", "content": message_html},
        "attachments": [],
        "mentions": [],
        "reactions": [],
    }


def message_action_fetch(
    message_html: str,
    *,
    author: PersonLike = GRACE,
    link: str | None = None,
    message_id: str | None = None,
    reply_to_id: str | None = None,
    conversation: Conversation | None = None,
    sender: PersonLike = ADA,
    command_id: str = ids.MESSAGE_ACTION,
    bot: Bot = DEFAULT_BOT,
    when: datetime | None = None,
) -> JSON:
    """ "Create ticket" picked from a message's ⋯ > More actions: invoke
    `composeExtension/fetchTask` with the message in `value.messagePayload` (see
    `message_payload`). `sender` is who used the action, `author` who wrote the message;
    `conversation` defaults to `channel()` (the invoke's conversation id has no `;messageid=`)."""
    where = conversation or channel()
    payload = message_payload(
        message_html,
        author=author,
        link=link,
        conversation=where,
        message_id=message_id,
        reply_to_id=reply_to_id,
        bot=bot,
    )
    return _message_action(
        "composeExtension/fetchTask",
        {"commandId": command_id, "commandContext": MESSAGE_ACTION_CONTEXT},
        payload,
        where=where,
        sender=sender,
        bot=bot,
        when=when,
    )


def message_action_submit(
    data: Mapping[str, Any],
    *,
    payload: JSON | None = None,
    conversation: Conversation | None = None,
    sender: PersonLike = ADA,
    command_id: str = ids.MESSAGE_ACTION,
    bot: Bot = DEFAULT_BOT,
    when: datetime | None = None,
) -> JSON:
    """The dialog opened by the message action submitted: invoke
    `composeExtension/submitAction`, the card's inputs (and its submit action's data) in
    `value.data`. `payload` is the message it was opened on (take it from the fetch
    activity's `value.messagePayload`; a fresh one otherwise)."""
    where = conversation or channel()
    return _message_action(
        "composeExtension/submitAction",
        {"commandId": command_id, "commandContext": MESSAGE_ACTION_CONTEXT, "data": dict(data)},
        payload or message_payload("<p>message</p>", conversation=where, bot=bot),
        where=where,
        sender=sender,
        bot=bot,
        when=when,
    )


def _message_action(
    name: str,
    value: JSON,
    payload: JSON,
    *,
    where: Conversation,
    sender: PersonLike,
    bot: Bot,
    when: datetime | None,
) -> JSON:
    data = envelope(
        "invoke",
        bot=bot,
        sender=sender,
        conversation=where,
        when=when,
        name=name,
        value={
            **value,
            "messagePayload": payload,
            "context": {"theme": THEME},
            "requestId": secrets.token_hex(8),
        },
    )
    data["channelData"]["source"] = {"name": "message"}
    return data


# --------------------------------------------------------------------------- dialogs, cards


def _card_invoke(
    name: str,
    value: JSON,
    *,
    bot: Bot,
    sender: PersonLike,
    conversation: Conversation | None,
    thread_root: str | None,
    reply_to_id: str | None,
    when: datetime | None,
) -> JSON:
    extra: JSON = {"replyToId": reply_to_id} if reply_to_id is not None else {}
    return envelope(
        "invoke",
        bot=bot,
        sender=sender,
        conversation=conversation,
        thread_root=thread_root,
        when=when,
        name=name,
        value=value,
        **extra,
    )


def task_fetch(
    data: Mapping[str, Any],
    *,
    reply_to_id: str | None = None,
    conversation: Conversation | None = None,
    thread_root: str | None = None,
    sender: PersonLike = ADA,
    bot: Bot = DEFAULT_BOT,
    when: datetime | None = None,
) -> JSON:
    """A card button (`Action.Submit` with `data.msteams.type = "task/fetch"`) clicked:
    invoke `task/fetch`, the button's data in `value.data` (`msteams` added if missing).
    `reply_to_id` is the id of the message holding the card, as Teams sends it."""
    payload = dict(data)
    payload.setdefault("msteams", {"type": "task/fetch"})
    return _card_invoke(
        "task/fetch",
        {"data": payload, "context": {"theme": THEME}},
        bot=bot,
        sender=sender,
        conversation=conversation,
        thread_root=thread_root,
        reply_to_id=reply_to_id,
        when=when,
    )


def task_submit(
    data: Mapping[str, Any],
    *,
    reply_to_id: str | None = None,
    conversation: Conversation | None = None,
    thread_root: str | None = None,
    sender: PersonLike = ADA,
    bot: Bot = DEFAULT_BOT,
    when: datetime | None = None,
) -> JSON:
    """The form in a dialog submitted: invoke `task/submit`, its inputs (keyed by input id)
    and its submit action's data in `value.data`."""
    return _card_invoke(
        "task/submit",
        {"data": dict(data), "context": {"theme": THEME}},
        bot=bot,
        sender=sender,
        conversation=conversation,
        thread_root=thread_root,
        reply_to_id=reply_to_id,
        when=when,
    )


def card_action(
    verb: str,
    data: Mapping[str, Any],
    *,
    action_id: str | None = None,
    reply_to_id: str | None = None,
    conversation: Conversation | None = None,
    thread_root: str | None = None,
    sender: PersonLike = ADA,
    bot: Bot = DEFAULT_BOT,
    when: datetime | None = None,
) -> JSON:
    """An `Action.Execute` button clicked (Universal Actions): invoke `adaptiveCard/action`
    with `value.action = {type, verb, data}` and `trigger: "manual"`."""
    action: JSON = {"type": "Action.Execute", "verb": verb, "data": dict(data)}
    if action_id is not None:
        action["id"] = action_id
    return _card_invoke(
        "adaptiveCard/action",
        {"action": action, "trigger": "manual"},
        bot=bot,
        sender=sender,
        conversation=conversation,
        thread_root=thread_root,
        reply_to_id=reply_to_id,
        when=when,
    )


# --------------------------------------------------------------------------- sending


class TeamsRequest(NamedTuple):
    """A request as the Bot Connector sends it: unpack as `body, headers = request`."""

    body: bytes
    headers: dict[str, str]

    def payload(self) -> JSON:
        data: JSON = json.loads(self.body)
        return data


def signed(activity: Mapping[str, Any], token: str | None) -> TeamsRequest:
    """`activity` as a JSON body with `Authorization: Bearer <token>` (none when None)."""
    body = json.dumps(activity, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return TeamsRequest(body, headers)


async def post_activity(
    http: httpx2.AsyncClient,
    url: str,
    activity: Mapping[str, Any],
    token: str | None,
    *,
    headers: Mapping[str, str] | None = None,
) -> httpx2.Response:
    """POST `activity` to the bot, signed with `token` (e.g. `FakeTeams.sign()`).

    `url` is the bot's base URL (`/api/messages` is appended) or the endpoint itself."""
    endpoint = url if url.rstrip("/").endswith(ids.ENDPOINT) else url.rstrip("/") + ids.ENDPOINT
    body, request_headers = signed(activity, token)
    request_headers.update(headers or {})
    return await http.post(endpoint, content=body, headers=request_headers)
