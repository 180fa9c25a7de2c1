"""Reading where a request came from out of Slack payloads (pure functions)."""

from __future__ import annotations

from typing import Any

from bot.core.drafts import Origin, Surface


def _team(body: dict[str, Any]) -> str | None:
    team = body.get("team")
    if isinstance(team, dict):
        return team.get("id")
    return body.get("team_id") or (team if isinstance(team, str) else None)


def from_command(body: dict[str, Any]) -> Origin:
    """`/ticket`: the channel it was typed in; the result opens a new thread there."""
    return Origin(
        surface="command",
        team_id=body.get("team_id"),
        user_id=body["user_id"],
        channel_id=body.get("channel_id"),
        response_url=body.get("response_url"),
    )


def from_message_shortcut(body: dict[str, Any]) -> Origin:
    """Message shortcut: reply in the message's thread (the parent's, for a reply)."""
    message = body.get("message") or {}
    ts = message.get("ts") or body.get("message_ts")
    root = message.get("thread_ts") or ts
    return Origin(
        surface="message",
        team_id=_team(body),
        user_id=body["user"]["id"],
        channel_id=(body.get("channel") or {}).get("id"),
        thread_ts=root,
        message_ts=ts,
        response_url=body.get("response_url"),
    )


def from_global_shortcut(body: dict[str, Any]) -> Origin:
    """Global shortcut: no conversation; the result goes to the person by DM."""
    return Origin(surface="global", team_id=_team(body), user_id=body["user"]["id"])


def from_message_event(event: dict[str, Any], *, surface: Surface, team_id: str | None) -> Origin:
    """DM or @mention: the conversation's thread; one ticket per thread."""
    root = event.get("thread_ts") or event["ts"]
    return Origin(
        surface=surface,
        team_id=team_id,
        user_id=event["user"],
        channel_id=event["channel"],
        thread_ts=root,
        message_ts=root,
    )


def from_prompt_action(body: dict[str, Any]) -> Origin:
    """The "Create ticket" button under a DM/mention prompt, when its value is lost."""
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    root = message.get("thread_ts") or message.get("ts")
    surface: Surface = "dm" if str(channel).startswith("D") else "mention"
    return Origin(
        surface=surface,
        team_id=_team(body),
        user_id=body["user"]["id"],
        channel_id=channel,
        thread_ts=root,
        message_ts=root,
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
