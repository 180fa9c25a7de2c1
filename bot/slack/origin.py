"""Reading where a request came from out of Slack payloads (pure functions).

Slack's ids map onto core's `Origin`: team → workspace, channel → conversation, the thread
root's ts → thread, the source message's ts → message, `response_url` → reply handle.
"""

from __future__ import annotations

from typing import Any

from bot.core.model import Entry, Origin


def _team(body: dict[str, Any]) -> str | None:
    team = body.get("team")
    if isinstance(team, dict):
        return team.get("id")
    return body.get("team_id") or (team if isinstance(team, str) else None)


def from_command(body: dict[str, Any]) -> Origin:
    """`/ticket`: the channel it was typed in; the result opens a new thread there."""
    return Origin(
        platform="slack",
        entry="command",
        workspace=body.get("team_id"),
        user=body["user_id"],
        conversation=body.get("channel_id"),
        reply_handle=body.get("response_url"),
    )


def from_message_shortcut(body: dict[str, Any]) -> Origin:
    """Message shortcut: reply in the message's thread (the parent's, for a reply)."""
    message = body.get("message") or {}
    ts = message.get("ts") or body.get("message_ts")
    root = message.get("thread_ts") or ts
    return Origin(
        platform="slack",
        entry="message",
        workspace=_team(body),
        user=body["user"]["id"],
        conversation=(body.get("channel") or {}).get("id"),
        thread=root,
        message=ts,
        reply_handle=body.get("response_url"),
    )


def from_global_shortcut(body: dict[str, Any]) -> Origin:
    """Global shortcut: no conversation; the result goes to the person by DM."""
    return Origin(platform="slack", entry="global", workspace=_team(body), user=body["user"]["id"])


def from_message_event(event: dict[str, Any], *, entry: Entry, team_id: str | None) -> Origin:
    """DM or @mention: the conversation's thread; one ticket per thread."""
    root = event.get("thread_ts") or event["ts"]
    return Origin(
        platform="slack",
        entry=entry,
        workspace=team_id,
        user=event["user"],
        conversation=event["channel"],
        thread=root,
        message=root,
    )


def from_reaction(event: dict[str, Any], message: dict[str, Any], *, team_id: str | None) -> Origin:
    """A reaction on a message: whoever reacted files; the result goes in the message's
    thread (the parent's, for a reply), as for the message shortcut."""
    item = event["item"]
    return Origin(
        platform="slack",
        entry="message",
        workspace=team_id,
        user=event["user"],
        conversation=item["channel"],
        thread=message.get("thread_ts") or item["ts"],
        message=item["ts"],
    )


def from_prompt_action(body: dict[str, Any]) -> Origin:
    """The "Create ticket" button under a DM/mention prompt, when its value is lost."""
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    root = message.get("thread_ts") or message.get("ts")
    entry: Entry = "dm" if str(channel).startswith("D") else "mention"
    return Origin(
        platform="slack",
        entry=entry,
        workspace=_team(body),
        user=body["user"]["id"],
        conversation=channel,
        thread=root,
        message=root,
    )


def from_button(body: dict[str, Any]) -> Origin:
    """Whoever pressed a button on one of the bot's messages, to answer them privately."""
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    return Origin(
        platform="slack",
        entry="message",
        workspace=_team(body),
        user=body["user"]["id"],
        conversation=channel,
        thread=message.get("thread_ts") or message.get("ts"),
        reply_handle=body.get("response_url"),
    )


def permalink(
    workspace_url: str | None, channel_id: str, ts: str, thread_ts: str | None
) -> str | None:
    """A message's permalink built locally (no `chat.getPermalink` before `views.open`)."""
    if not workspace_url:
        return None
    link = f"{workspace_url.rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel_id}"
    return link
