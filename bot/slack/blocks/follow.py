"""Follow-through messages in a ticket's thread: status changes and the service desk's replies.

People's and technicians' words are escaped before they are echoed; the requester is
mentioned only when they are asked "Fixed?".
"""

from __future__ import annotations

from bot.core.ports import DeskReply, StatusChanged
from bot.core.text import clean, one_line, truncate_escaped
from bot.slack import ids
from bot.slack.blocks.kit import Json, actions, button, context, section
from bot.slack.mrkdwn import link, mention, quote

SHOWN = 2500
NAME_SHOWN = 100
FOLLOW_ACTIONS = "ticket_follow_actions"


def build_status_message(notice: StatusChanged) -> Json:
    """ "INC-12 is now In Progress (Sam Lee)"; a resolved ticket asks its requester."""
    number = link(notice.link.url, notice.link.number)
    status = truncate_escaped(one_line(clean(notice.status)), NAME_SHOWN)
    who = f" ({_name(notice.by)})" if notice.by else ""
    text = f":arrows_counterclockwise: *{number}* is now *{status}*{who}"
    blocks: list[Json] = [section(text)]
    if notice.resolution:
        shown = truncate_escaped(clean(notice.resolution).strip(), SHOWN)
        blocks.append(section("*Resolution:*\n" + quote(shown)))
    if notice.ask:
        value = str(notice.link.request_id)
        blocks.append(section(f"{mention(notice.ask)}, is it fixed?"))
        blocks.append(
            actions(
                FOLLOW_ACTIONS,
                [
                    button("Yes, close it", ids.FIXED_ACTION, value, primary=True),
                    button("No, reopen", ids.REOPEN_ACTION, value),
                ],
            )
        )
    plain = f"{notice.link.number} is now {one_line(clean(notice.status))}"
    return {"text": truncate_escaped(plain, 300), "blocks": blocks}


def build_desk_reply(notice: DeskReply) -> Json:
    """What a technician wrote to the requester, marked as from the service desk."""
    number = link(notice.link.url, notice.link.number)
    who = f" ({_name(notice.by)})" if notice.by else ""
    shown = truncate_escaped(clean(notice.text).strip(), SHOWN) or "(no text)"
    return {
        "text": f"The service desk replied on {notice.link.number}",
        "blocks": [
            context(f":speech_balloon: *Service desk*{who} on *{number}*"),
            section(quote(shown)),
        ],
    }


def _name(name: str | None) -> str:
    return truncate_escaped(one_line(clean(name or "")), NAME_SHOWN)
