"""Build the HTTP requests Slack sends to an app's `POST /slack/events`, signed like Slack.

Every builder returns a `SlackRequest`, a `(body, headers)` pair ready to post::

    body, headers = slash_command("VPN down", user_id="U1", channel_id="C1",
                                  trigger_id=slack.new_trigger_id(),
                                  response_url=slack.response_url())
    await http.post(f"{bot_url}/slack/events", data=body, headers=headers)

Shapes follow Slack's documentation of interaction payloads
(https://api.slack.com/reference/interaction-payloads), slash commands and the Events API:
slash commands are form fields; shortcuts, block actions, view submissions and block
suggestions are a form field `payload=<json>`; events are a JSON body. Signatures are
`v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")` in `X-Slack-Signature`, with
`X-Slack-Request-Timestamp` (https://docs.slack.dev/authentication/verifying-requests-from-slack/),
computed by slack_sdk's `SignatureVerifier`, the code Bolt verifies them with.

All functions are pure: nothing here talks to the network.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode

from slack_sdk.signature import SignatureVerifier

from bot.slack import ids

JSON = dict[str, Any]

SIGNING_SECRET = "test-signing-secret"
"""Default signing secret the builders sign with; give the app the same one."""
VERIFICATION_TOKEN = "legacy-verification-token"
"""The deprecated `token` field Slack still includes in payloads (apps must not rely on it)."""


class SlackRequest(NamedTuple):
    """A signed request: unpack as `body, headers = request`."""

    body: bytes
    headers: dict[str, str]

    def payload(self) -> JSON:
        """The decoded content: JSON body, `payload=` form field, or plain form fields."""
        if self.headers.get("Content-Type", "").startswith("application/json"):
            data: JSON = json.loads(self.body)
            return data
        fields = dict(parse_qsl(self.body.decode(), keep_blank_values=True))
        if "payload" in fields:
            decoded: JSON = json.loads(fields["payload"])
            return decoded
        return fields


# --------------------------------------------------------------------------- signing


def sign(
    body: bytes | str, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """The signature headers Slack sends for `body` (timestamp defaults to now)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None  # None means no timestamp was given
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def _form(fields: Mapping[str, Any], secret: str, timestamp: int | None) -> SlackRequest:
    body = urlencode({k: v for k, v in fields.items() if v is not None}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, secret, timestamp)}
    return SlackRequest(body, headers)


def _interaction(payload: JSON, secret: str, timestamp: int | None) -> SlackRequest:
    return _form({"payload": json.dumps(payload, separators=(",", ":"))}, secret, timestamp)


def _json(payload: JSON, secret: str, timestamp: int | None) -> SlackRequest:
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", **sign(body, secret, timestamp)}
    return SlackRequest(body, headers)


# --------------------------------------------------------------------------- common parts


def _team(team_id: str) -> JSON:
    return {"id": team_id, "domain": "example"}


def _user(user_id: str, team_id: str) -> JSON:
    name = f"user.{user_id.lower()}"
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _action_ts() -> str:
    return f"{time.time():.6f}"


def chat_message(
    text: str,
    *,
    user: str | None = "U2",
    ts: str = "1700000000.000100",
    thread_ts: str | None = None,
    bot_id: str | None = None,
    **extra: Any,
) -> JSON:
    """A conversation message as it appears in payloads (`user=None` + `bot_id` for a bot's)."""
    message: JSON = {"type": "message", "text": text, "ts": ts, **extra}
    if user is not None:
        message["user"] = user
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
    if bot_id is not None:
        message["bot_id"] = bot_id
    return message


# --------------------------------------------------------------------------- commands, shortcuts


def slash_command(
    text: str,
    *,
    user_id: str,
    channel_id: str,
    trigger_id: str,
    response_url: str,
    team_id: str = "T1",
    command: str = ids.COMMAND,
    channel_name: str | None = None,
    api_app_id: str = "A1",
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
) -> SlackRequest:
    """`/ticket text` typed in `channel_id` (form-encoded, like Slack)."""
    default_name = "directmessage" if channel_id.startswith("D") else channel_id.lower()
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": "example",
        "channel_id": channel_id,
        "channel_name": channel_name or default_name,
        "user_id": user_id,
        "user_name": f"user.{user_id.lower()}",
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    return _form(fields, secret, timestamp)


def message_shortcut(
    message: JSON,
    *,
    user_id: str,
    channel_id: str,
    trigger_id: str,
    response_url: str,
    callback_id: str = ids.MESSAGE_SHORTCUT,
    team_id: str = "T1",
    channel_name: str | None = None,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
) -> SlackRequest:
    """The "Create ticket" message shortcut used on `message` (see `chat_message`)."""
    payload = {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": _action_ts(),
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "channel": {"id": channel_id, "name": channel_name or channel_id.lower()},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": message,
    }
    return _interaction(payload, secret, timestamp)


def global_shortcut(
    *,
    user_id: str,
    trigger_id: str,
    callback_id: str = ids.GLOBAL_SHORTCUT,
    team_id: str = "T1",
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
) -> SlackRequest:
    """The global "Create ticket" shortcut: no channel, no message, no response_url."""
    payload = {
        "type": "shortcut",
        "token": VERIFICATION_TOKEN,
        "action_ts": _action_ts(),
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
    }
    return _interaction(payload, secret, timestamp)


# --------------------------------------------------------------------------- views


def _state(values: Mapping[str, Mapping[str, Any]]) -> JSON:
    """`view.state.values` from `{block_id: element_state}`.

    An element state with a `type` is one element whose action_id equals the block_id (the
    modal's convention); otherwise it is taken as `{action_id: element_state}` already.
    """
    state: JSON = {}
    for block_id, element in values.items():
        state[block_id] = {block_id: dict(element)} if "type" in element else dict(element)
    return state


def _submitted_view(view: JSON, values: Mapping[str, Mapping[str, Any]]) -> JSON:
    """The view as it comes back in a payload: the stored view with the typed values."""
    return {**view, "state": {"values": _state(values)}}


def view_submission(
    view: JSON,
    values: Mapping[str, Mapping[str, Any]],
    *,
    user_id: str,
    team_id: str = "T1",
    api_app_id: str = "A1",
    trigger_id: str | None = None,
    response_urls: list[JSON] | None = None,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
) -> SlackRequest:
    """The modal submitted. `view` is the one Slack stored (e.g. `FakeSlack.views[view_id]`),
    so `id`, `hash`, `private_metadata`, `callback_id` are the real ones; `values` is
    `{block_id: element_state}` (see `form_values`)."""
    payload = {
        "type": "view_submission",
        "token": VERIFICATION_TOKEN,
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "api_app_id": api_app_id,
        "trigger_id": trigger_id or f"{secrets.randbelow(10**12)}.{secrets.token_hex(8)}",
        "view": _submitted_view(view, values),
        "response_urls": response_urls or [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _interaction(payload, secret, timestamp)


def block_action(
    action_id: str,
    value: str | None,
    *,
    user_id: str,
    trigger_id: str,
    channel_id: str | None = None,
    message: JSON | None = None,
    container: JSON | None = None,
    view: JSON | None = None,
    block_id: str | None = None,
    action_type: str = "button",
    response_url: str | None = None,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    team_id: str = "T1",
    api_app_id: str = "A1",
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
) -> SlackRequest:
    """A click on a button (or another element) in a message or in a modal.

    In a message: pass `channel_id` and `message` (and `response_url`, which Slack includes
    for message actions). In a modal: pass the stored `view` (and the `values` typed so far).
    """
    action: JSON = {
        "type": action_type,
        "action_id": action_id,
        "block_id": block_id or action_id,
        "action_ts": _action_ts(),
    }
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": action_id, "emoji": True}
        if value is not None:
            action["value"] = value
    elif value is not None:
        action["selected_option"] = {"text": {"type": "plain_text", "text": value}, "value": value}
    if container is None:
        if view is not None:
            container = {"type": "view", "view_id": view["id"]}
        elif message is not None:
            container = {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
            if message.get("thread_ts"):
                container["thread_ts"] = message["thread_ts"]
        else:
            container = {}
    payload: JSON = {
        "type": "block_actions",
        "token": VERIFICATION_TOKEN,
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "api_app_id": api_app_id,
        "trigger_id": trigger_id,
        "container": container,
        "actions": [action],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    if channel_id is not None:
        payload["channel"] = {"id": channel_id, "name": channel_id.lower()}
    if message is not None:
        payload["message"] = message
        payload["state"] = {"values": {}}
    if view is not None:
        payload["view"] = _submitted_view(view, values or {})
    if response_url is not None:
        payload["response_url"] = response_url
    return _interaction(payload, secret, timestamp)


def block_suggestion(
    action_id: str,
    value: str,
    *,
    view: JSON,
    user_id: str = "U1",
    block_id: str | None = None,
    team_id: str = "T1",
    api_app_id: str = "A1",
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
) -> SlackRequest:
    """Someone typed `value` into an external select of `view` (the Options Load URL call)."""
    payload = {
        "type": "block_suggestion",
        "token": VERIFICATION_TOKEN,
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "api_app_id": api_app_id,
        "action_id": action_id,
        "block_id": block_id or action_id,
        "value": value,
        "container": {"type": "view", "view_id": view.get("id")},
        "view": view,
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _interaction(payload, secret, timestamp)


# --------------------------------------------------------------------------- events


def event_callback(
    event: JSON,
    *,
    event_id: str | None = None,
    team_id: str = "T1",
    api_app_id: str = "A1",
    authorizations: list[JSON] | None = None,
    bot_user_id: str = "UBOT",
    event_time: int | None = None,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
) -> SlackRequest:
    """An Events API delivery (`message.im`, `app_mention`...). A retry of the same event
    keeps its `event_id` and adds `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`."""
    payload = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": event_time if event_time is not None else int(time.time()),
        "authorizations": authorizations
        or [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_hex(8)}",
    }
    request = _json(payload, secret, timestamp)
    if retry_num is not None:
        request.headers["X-Slack-Retry-Num"] = str(retry_num)
        request.headers["X-Slack-Retry-Reason"] = retry_reason
    return request


def dm_event(
    text: str, *, user_id: str, channel_id: str, ts: str = "1700000000.000100", **extra: Any
) -> JSON:
    """The `event` of a `message.im`: someone wrote to the bot in its DM."""
    return {
        "type": "message",
        "channel_type": "im",
        "channel": channel_id,
        "user": user_id,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        **extra,
    }


def mention_event(
    text: str,
    *,
    user_id: str,
    channel_id: str,
    ts: str = "1700000000.000200",
    thread_ts: str | None = None,
    bot_user_id: str = "UBOT",
) -> JSON:
    """The `event` of an `app_mention` (the text starts with `<@UBOT>`, as Slack sends it)."""
    event: JSON = {
        "type": "app_mention",
        "channel": channel_id,
        "user": user_id,
        "text": f"<@{bot_user_id}> {text}",
        "ts": ts,
        "event_ts": ts,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def reaction_event(
    reaction: str,
    *,
    user_id: str,
    channel_id: str,
    ts: str,
    item_user: str | None = None,
    removed: bool = False,
    channel_type: str = "channel",
) -> JSON:
    """The `event` of a `reaction_added` (`reaction_removed` when `removed`): `user_id` put
    `reaction` on the message `ts` in `channel_id`, written by `item_user` (absent for
    messages no user wrote, e.g. an incoming webhook's)."""
    event: JSON = {
        "type": "reaction_removed" if removed else "reaction_added",
        "user": user_id,
        "reaction": reaction,
        "item": {"type": "message", "channel": channel_id, "ts": ts, "channel_type": channel_type},
        "event_ts": _action_ts(),
    }
    if item_user is not None:
        event["item_user"] = item_user
    return event


def url_verification(
    challenge: str = "challenge-token", *, secret: str = SIGNING_SECRET
) -> SlackRequest:
    """The handshake Slack sends when a Request URL is saved."""
    payload = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    return _json(payload, secret, None)


# --------------------------------------------------------------------------- modal values


def text_value(value: str | None) -> JSON:
    """State of a `plain_text_input` (Slack sends `null` when left empty)."""
    return {"type": "plain_text_input", "value": value}


def select_value(
    value: str | None, *, kind: str = "static_select", text: str | None = None
) -> JSON:
    """State of a `static_select`/`external_select` (`null` when nothing is picked)."""
    option = None
    if value is not None:
        option = {
            "text": {"type": "plain_text", "text": text or value, "emoji": True},
            "value": value,
        }
    return {"type": kind, "selected_option": option}


_DEFAULT_TYPES = {
    ids.Block.SUBJECT: "plain_text_input",
    ids.Block.DESCRIPTION: "plain_text_input",
    ids.Block.PRIORITY: "static_select",
    ids.Block.URGENCY: "static_select",
    ids.Block.IMPACT: "static_select",
    ids.Block.DEPARTMENT: "plain_text_input",
    ids.Block.TAGS: "plain_text_input",
    ids.Block.CATEGORY: "static_select",
    ids.Block.LOCATION: "static_select",
    ids.Block.CC_PEOPLE: "multi_users_select",
}


def _element_types(view: JSON) -> dict[str, str]:
    """`{block_id: element type}` of the input blocks of a view."""
    return {
        block["block_id"]: block["element"]["type"]
        for block in view.get("blocks", [])
        if block.get("type") == "input" and "block_id" in block and "element" in block
    }


def form_values(
    *,
    subject: str | None = None,
    description: str | None = None,
    priority: str | None = None,
    urgency: str | None = None,
    impact: str | None = None,
    department: str | None = None,
    tags: str | list[str] | None = None,
    category: str | None = None,
    location: str | None = None,
    cc_people: str | list[str] | None = None,
    view: JSON | None = None,
    department_type: str | None = None,
    files: list[JSON] | None = None,
) -> dict[str, JSON]:
    """The `values` for `view_submission` of the ticket modal (block ids of `bot.slack.ids`).

    With `view` (recommended), element types come from the view's input blocks and every
    input block gets a state, empty ones included, exactly as Slack submits them. Without
    it, only the given fields are included; department is free text unless `department_type`
    says `static_select` or `external_select`. Tags may be a list (joined with ", "); CC
    people a list of user ids (or one string of them separated by spaces).
    `files`: what was uploaded in the file input (file objects, see `FakeSlack.add_file`).
    """
    given: dict[str, str | None] = {
        ids.Block.SUBJECT: subject,
        ids.Block.DESCRIPTION: description,
        ids.Block.PRIORITY: priority,
        ids.Block.URGENCY: urgency,
        ids.Block.IMPACT: impact,
        ids.Block.DEPARTMENT: department,
        ids.Block.TAGS: ", ".join(tags) if isinstance(tags, list) else tags,
        ids.Block.CATEGORY: category,
        ids.Block.LOCATION: location,
        ids.Block.CC_PEOPLE: " ".join(cc_people) if isinstance(cc_people, list) else cc_people,
    }
    if view is not None:
        types = _element_types(view)
        blocks = list(types)
    else:
        types = dict(_DEFAULT_TYPES)
        if department_type is not None:
            types[ids.Block.DEPARTMENT] = department_type
        blocks = [block_id for block_id, value in given.items() if value is not None]
    values: dict[str, JSON] = {}
    for block_id in blocks:
        kind = types[block_id]
        value = given.get(block_id)
        if kind == "plain_text_input":
            values[block_id] = text_value(value)
        elif kind in ("static_select", "external_select"):
            values[block_id] = select_value(value, kind=kind)
        elif kind == "multi_users_select":
            values[block_id] = {"type": kind, "selected_users": (value or "").split()}
        elif kind == "file_input":
            values[block_id] = {"type": kind, "files": list(files or [])}
        else:
            values[block_id] = {"type": kind}
    return values
